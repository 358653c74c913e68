"""Charts drawn from the commands' JSON data: SVG, a self-contained HTML report and pgfplots.

Every chart function takes the plain dict a command prints with ``--format json`` (or a
documented extension of it) and returns text; nothing here computes a cost.
"""
