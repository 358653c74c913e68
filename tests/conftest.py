"""Shared test fixtures: paths to the project's data and a CLI runner."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite the golden files in tests/golden from the current output")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


GOLDEN = Path(__file__).resolve().parent / "golden"


@pytest.fixture
def golden(update_golden):
    """``golden(name, text)``: compare with tests/golden/NAME, or rewrite it with --update-golden."""
    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if update_golden:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.is_file(), f"missing golden file {path}; run pytest --update-golden"
        assert text == path.read_text(encoding="utf-8"), \
            f"output differs from {path}; if the change is intended, run pytest --update-golden"
    return check
