"""Closed forms in alpha, rho, t: symbolic build, per-layer formulas, terms, calculus, budget solving, tables and LaTeX."""
