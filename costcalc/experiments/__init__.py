"""The notes' design claims as experiments (``costcalc ablate``): one module per paper (v1, v2,
v3), shared quotes and helpers in ``common``, the registry that runs them in ``registry``; the
papers' detection and segmentation tables in ``tasks`` (``--experiment detection``)."""
from costcalc.experiments.common import weights
from costcalc.experiments.registry import EXPERIMENTS, for_model, listing, render_all, run
from costcalc.experiments.v3 import (ACTIVATION_WEIGHTS, activation_elements, activation_table,
                                     activation_weights)

__all__ = ["ACTIVATION_WEIGHTS", "EXPERIMENTS", "activation_elements", "activation_table",
           "activation_weights",
           "for_model", "listing", "render_all", "run", "weights"]
