"""The ``group_norm`` kind: GroupNorm, statistics over each group of C/G channels and H x W."""
from __future__ import annotations

from costcalc.errors import SpecError
from costcalc.graph import quantities as q
from costcalc.graph.norms import AFFINE, norm_counts
from costcalc.graph.registry import Field, register
from costcalc.graph.units import exact, free_letters, per_channel_letters

# The quantities it records; what each counting tool charges for them is in graph/quantities.py.
GROUP_NORM = q.GROUP_NORM
GROUP_NORM_AFFINE = q.GROUP_NORM_AFFINE


def _letters(node, resolve):
    """2M affine params, or 2G with ``affine_per: group``."""
    if node.info.get("affine_per") == "group" and node.info.get("affine", True):
        return free_letters(node, resolve)[0], [[("number", 2 * resolve(node.info["groups"]))]]
    return per_channel_letters(2)(node, resolve)


@register("group_norm", Field("groups", "count", doc="number of channel groups G (divides C)"),
          AFFINE, Field("affine_per", "choice", "channel", "channel: a scale and shift per "
                        "channel (nn.GroupNorm, ONNX opset 21); group: per group (ONNX "
                        "GroupNormalization at opsets 18 to 20)", choices=("channel", "group")),
          letters=_letters, prefix="gn")
def group_norm(b, f, x, name):
    """GroupNorm: statistics over each of G groups of C/G channels x H x W, then an affine scale
    and shift per channel (or per group).

    0 MACs in the paper convention; C H W elements recorded; params 2C when affine (2G per group).
    """
    if exact(x.shape.c, f["groups"]) and x.shape.c % f["groups"]:
        raise SpecError(f"group_norm groups={f['groups']} must divide channels {x.shape.c}")
    pairs = f["groups"] if f["affine_per"] == "group" else x.shape.c
    counts = norm_counts(GROUP_NORM, GROUP_NORM_AFFINE, pairs, x.shape.elements, f["affine"])
    return b.add_node(name, "group_norm", (x,), x.shape, counts, groups=f["groups"],
                      affine=f["affine"], affine_per=f["affine_per"], op_class="other",
                      input=x.shape)
