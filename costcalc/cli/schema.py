"""``costcalc schema``: the JSON Schema of the spec language, for editors (yaml-language-server)."""
from __future__ import annotations

from typing import Optional

import typer


def schema(
    out: Optional[str] = typer.Option(None, "--out", "-o",
                                      help="Write the schema to this file instead of stdout."),
) -> None:
    """The JSON Schema (draft-07) of the spec language, generated from the layer kinds.

    Editors with yaml-language-server complete keys and kinds from it and flag misplaced
    ones. costcalc validate remains the full check (expressions, shapes).

    Example:

        costcalc schema --out costcalc.schema.json

    then start a spec with the line

        # yaml-language-server: $schema=costcalc.schema.json
    """
    import json

    from costcalc.spec.schema import schema as spec_schema

    text = json.dumps(spec_schema(), indent=2, ensure_ascii=True) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    from pathlib import Path

    from costcalc.errors import UsageError

    try:
        Path(out).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {out!r}: {exc.strerror or exc}") from None
    typer.echo(f"wrote {out} ({len(text.encode()):,} bytes)")
