"""Long fuzz run: random valid specs and random mutations of the zoo specs, for a fixed time.

Usage: python scripts/fuzz.py [--seconds 600] [--seed 1] [--out fuzz-crashes]

Every case must end in a report (valid specs, including specs whose widths come from number
literals next to binary floats: with the expected exact MACs and params where the generator
knows them) or in a one-line located CostcalcError; anything else is a crash,
saved to --out with its traceback. Exit code 1 when any crash was found.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import fuzz_cases  # noqa: E402


def make_case(rng: random.Random, zoo: list[tuple[str, str]]) -> tuple[str, str, dict | None,
                                                                      dict | None]:
    """(family, spec text, expected exact totals or None, overrides) of one random case."""
    if rng.random() < 0.15:
        text, expected = fuzz_cases.random_valid_spec(rng)
        return "display", fuzz_cases.with_hostile_names(rng, text), expected, None
    if rng.random() < 0.3:
        text, expected = fuzz_cases.random_valid_spec(rng)
        return "valid", text, expected, None
    if rng.random() < 0.15:
        text, expected, overrides = fuzz_cases.random_literal_spec(rng)
        return "valid", text, expected, overrides
    name, text = rng.choice(zoo)
    if rng.random() < 0.2:
        return f"overrides {name}", text, None, fuzz_cases.random_overrides(rng, text)
    for _ in range(rng.randint(1, 3)):
        text = fuzz_cases.mutate(rng, text)
    return f"mutated {name}", text, None, None


def judge(family: str, text: str, expected: dict | None, overrides: dict | None) -> str:
    """The case's outcome ("ok" or "error"); raises on a crash or a wrong result."""
    result = fuzz_cases.outcome(text, overrides, valid=family in ("valid", "display"),
                                expected=expected)
    if family == "display":  # valid specs with hostile names: shown literally in every format
        fuzz_cases.displayed(text)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="fuzz-crashes")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    zoo = fuzz_cases.zoo_texts()
    counts: Counter = Counter()
    crashes = 0
    signatures: set[str] = set()
    start = time.monotonic()
    while time.monotonic() - start < args.seconds:
        family, text, expected, overrides = make_case(random.Random(rng.random()), zoo)
        try:
            counts[judge(family, text, expected, overrides)] += 1
        except Exception as exc:  # noqa: BLE001 - every failure is a finding
            crashes += 1
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            signature = f"{type(exc).__name__} at {Path(frame.filename).name}:{frame.lineno}"
            if signature not in signatures:
                signatures.add(signature)
                out = Path(args.out)
                out.mkdir(parents=True, exist_ok=True)
                (out / f"crash{len(signatures)}.txt").write_text(
                    f"{traceback.format_exc()}\n--- input ({family}, overrides {overrides}):\n{text}", encoding="utf-8")
                print(f"crash {len(signatures)}: {signature}: {str(exc)[:200]}", flush=True)
    total = sum(counts.values()) + crashes
    elapsed = time.monotonic() - start
    print(f"{total} cases in {elapsed:.0f}s (seed {args.seed}): {counts['ok']} reports, "
          f"{counts['error']} one-line errors, {crashes} crashes "
          f"({len(signatures)} distinct)")
    return 1 if crashes else 0


if __name__ == "__main__":
    sys.exit(main())
