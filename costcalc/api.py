"""Library entry points: load a spec (zoo name or file) and analyse it at given parameters.

A facade for users of the library and for the command line; the engine itself never imports it.
"""
from __future__ import annotations

from costcalc.costing.analyze import analyze, resolve
from costcalc.spec.models import SHORTCUTS, load

__all__ = ["SHORTCUTS", "analyze", "load", "resolve"]
