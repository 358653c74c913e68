"""``costcalc conventions``: every counting profile side by side, and why each differs from paper."""
from __future__ import annotations

from typing import Optional

import typer

from costcalc.cli import completion, options
from costcalc.render import Format


def conventions(
    model: Optional[str] = typer.Argument(
        None, help="Zoo name or spec path; omitted: the rules of every profile.",
        autocompletion=completion.model),
    alpha: options.Alpha = None,
    res: options.Res = None,
    classes: options.Classes = None,
    proposals: options.Proposals = None,
    set_: options.Sets = None,
    model_input: options.ModelInput = None,
    allow_unknown: options.AllowUnknown = False,
    extra: Optional[list[str]] = typer.Option(
        None, "--convention", "-c", metavar="NAME|FILE.yaml", autocompletion=completion.convention,
        help="Also show this profile (a YAML user profile or a built-in); repeatable."),
    rules: bool = typer.Option(False, "--rules",
                               help="The weight of every quantity in every profile (no MODEL)."),
    columns: options.ColumnNames = None,
    caption: options.Caption = None,
    label: options.Label = None,
    no_notes: options.NoNotes = False,
    format: options.OutputFormat = Format.table,
    exact: options.Exact = False,
) -> None:
    """MACs, FLOPs and params of MODEL under every counting profile, reconciled with paper.

    Each row gives the number the tool reports (its MACs or its FLOPs), both MACs and FLOPs
    under that profile, and the difference from the paper count split into op classes:
    fvcore = paper + 2 x bn + gap_in means BatchNorm elements twice plus the pool's input.
    Without MODEL: each profile's formula; with --rules: the weight table.

    Examples:

        costcalc conventions v2 --set flavor=torchvision

        costcalc conventions v3-small --set flavor=torchvision -c my-rules.yaml -f markdown

        costcalc conventions --rules
    """
    from costcalc.costing.reconcile import conventions_table, formulas_table, rules_table
    from costcalc.errors import UsageError
    from costcalc.render import render

    names = profile_names(extra)
    if model is None:
        if any(v for v in (alpha, res, classes, proposals, set_, model_input, allow_unknown)):
            raise UsageError("--alpha, --res, --classes, --proposals, --set, --input and "
                             "--allow-unknown need a MODEL")
        table = rules_table(names) if rules else formulas_table(names)
    else:
        if rules:
            raise UsageError("--rules takes no MODEL: costcalc conventions --rules")
        table = conventions_table(model, options.overrides(
            alpha, res, classes, set_, model_input, allow_unknown, proposals, (model,)), names)
    typer.echo(render(options.select_columns(table, columns), format, exact=exact, **options.latex(caption, label, no_notes)), nl=False)


def profile_names(extra: Optional[list[str]]) -> list[str]:
    """Built-in profiles, then any extra ones asked for (each once)."""
    from costcalc.costing.conventions import BUILT_IN

    names = list(BUILT_IN)
    for name in extra or []:
        if name not in names:
            names.append(name)
    return names
