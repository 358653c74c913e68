"""Command modules of the ``costcalc`` command line; each registers its commands on ``cli.app``."""
