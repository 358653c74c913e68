"""The built-in model zoo: names and aliases -> spec files shipped with the package."""
from __future__ import annotations

import os

from costcalc.errors import UsageError, close_matches

MODELS = {
    "mobilenet_v1": "mobilenet_v1.yaml",
    "mobilenet_v2": "mobilenet_v2.yaml",
    "mobilenet_v3_large": "mobilenet_v3_large.yaml",
    "mobilenet_v3_small": "mobilenet_v3_small.yaml",
    "mobilenet_v3_large_minimalistic": "mobilenet_v3_large_minimalistic.yaml",
    "mobilenet_v3_small_minimalistic": "mobilenet_v3_small_minimalistic.yaml",
    "vgg16": "vgg16.yaml",
    "resnet50": "resnet50.yaml",
    "resnet18": "resnet18.yaml",
    "efficientnet_b0": "efficientnet_b0.yaml",
    "mnasnet1_0": "mnasnet1_0.yaml",
    "shufflenet_v2_x1_0": "shufflenet_v2_x1_0.yaml",
    "squeezenet1_0": "squeezenet1_0.yaml",
    "squeezenet1_1": "squeezenet1_1.yaml",
    "convnext_tiny": "convnext_tiny.yaml",
    "efficientnet_v2_s": "efficientnet_v2_s.yaml",
    "regnet_x_400mf": "regnet_x_400mf.yaml",
    "regnet_y_400mf": "regnet_y_400mf.yaml",
    "vit_b_16": "vit_b_16.yaml",
    "vit_b_32": "vit_b_32.yaml",
    "swin_t": "swin_t.yaml",
    "maxvit_t": "maxvit_t.yaml",
    # detection and segmentation on a MobileNet v3-Large backbone (torchvision builds)
    "ssdlite320_mobilenet_v3_large": "ssdlite320_mobilenet_v3_large.yaml",
    "lraspp_mobilenet_v3_large": "lraspp_mobilenet_v3_large.yaml",
    "deeplabv3_mobilenet_v3_large": "deeplabv3_mobilenet_v3_large.yaml",
    "fasterrcnn_mobilenet_v3_large_320_fpn": "fasterrcnn_mobilenet_v3_large_320_fpn.yaml",
    # detection and segmentation heads on the MobileNets (the papers' tables, docs/detection.md)
    "ssd300_v1": "ssd300_v1.yaml",
    "ssdlite_v1": "ssdlite_v1.yaml",
    "ssdlite_v2": "ssdlite_v2.yaml",
    "ssdlite_v3_large": "ssdlite_v3_large.yaml",
    "ssdlite_v3_small": "ssdlite_v3_small.yaml",
    "frcnn_v1": "frcnn_v1.yaml",
    "deeplabv3_v1": "deeplabv3_v1.yaml",
    "deeplabv3_v2": "deeplabv3_v2.yaml",
    "lraspp_v3_large": "lraspp_v3_large.yaml",
    "lraspp_v3_small": "lraspp_v3_small.yaml",
}
ALIASES = {
    "v1": "mobilenet_v1", "v2": "mobilenet_v2", "v3": "mobilenet_v3_large",
    "v3-large": "mobilenet_v3_large", "v3-small": "mobilenet_v3_small",
    "v3-large-minimalistic": "mobilenet_v3_large_minimalistic",
    "v3-small-minimalistic": "mobilenet_v3_small_minimalistic",
}


def configs_dir() -> Path:
    """Where the zoo specs live: inside the installed package, or the source tree's configs/."""
    from pathlib import Path

    return Path(_configs_path())


def _configs_path() -> str:
    # os.path, not pathlib, on the main report's path (pathlib's import costs start-up time).
    here = os.path.dirname(os.path.realpath(__file__))
    # A wheel carries them as costcalc/zoo/configs (pyproject force-include); an editable
    # install reads the repository's top-level configs/.
    for candidate in (os.path.join(here, "configs"),
                      os.path.join(os.path.dirname(os.path.dirname(here)), "configs")):
        if os.path.isfile(os.path.join(candidate, MODELS["mobilenet_v2"])):
            return candidate
    raise UsageError("the model zoo is missing from this installation")


def names() -> list[str]:
    return list(MODELS)


def canonical(name: str) -> str | None:
    """The zoo name for ``name`` or an alias (case and -/_ insensitive), else None."""
    key = name.strip().lower()
    if key in MODELS:
        return key
    if key in ALIASES:
        return ALIASES[key]
    key = key.replace("-", "_")
    return key if key in MODELS else ALIASES.get(key.replace("_", "-"))


def is_path(model: str) -> bool:
    return model.endswith((".yaml", ".yml")) or "/" in model or os.path.exists(model or ".")


def locate(model: str) -> str:
    """Path of the spec for a zoo name, alias or file path."""
    name = canonical(model)
    if name is not None:
        return os.path.join(_configs_path(), MODELS[name])
    if is_path(model):
        return model
    valid = list(MODELS) + list(ALIASES)
    close = close_matches(model.lower(), valid, n=3, cutoff=0.5)
    hint = f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""
    raise UsageError(f"unknown model {model!r}{hint}; zoo: {', '.join(MODELS)}; "
                     "or give a path to a .yaml spec")
