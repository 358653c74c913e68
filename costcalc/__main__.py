"""``python -m costcalc``: the command line."""
from costcalc.cli import main

main()
