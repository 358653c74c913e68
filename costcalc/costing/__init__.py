"""Costs of a built graph: counting conventions, the report, ratios, op-class breakdown, grids and their tables."""
