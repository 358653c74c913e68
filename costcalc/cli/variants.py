"""Options of compare and sweep that take comma-separated values (the syntax: ``costing.variants``)."""
from __future__ import annotations


import typer


ALPHAS = typer.Option(None, "--alpha", "-a", metavar="A[,A...]",
                      help="Width multipliers, comma-separated: 1,0.75,0.5,0.25.")
RESES = typer.Option(None, "--res", "-r", metavar="R[,R...]",
                     help="Input resolutions, comma-separated: 224,192,160,128.")
CLASSESES = typer.Option(None, "--classes", metavar="N[,N...]",
                         help="Classifier outputs, comma-separated.")
SETS = typer.Option(None, "--set", "-s", metavar="NAME=V[,V...]",
                    help="Any spec parameter and its values, comma-separated; repeatable.")
