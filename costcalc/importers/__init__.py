"""Front ends other than YAML: each reads a model file and feeds ``costcalc.graph.GraphBuilder``.

See ``costcalc.importers.base`` for the interface and docs/architecture.md for the checklist.
"""
