"""The ``pos_embed`` kind: a learned position embedding added to the tokens (ViT)."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.registry import register


def _letters(node, resolve):
    """0 MACs; params N M (one value per token and channel)."""
    shape = node.shape
    return [[("number", 0)]], [[("number", resolve(shape.h * shape.w)),
                                ("channels", "M", resolve(shape.c))]]

# The quantities it records; what each counting tool charges for them is in graph/quantities.py.
PARAMS = q.POS_EMBED_PARAMS


@register("pos_embed", tokens="only", memory="inplace", letters=_letters, prefix="pos")
def pos_embed(b, f, x, name):
    """y = x + E with a learned E of N x D. No MACs; N D adds recorded; params N D."""
    elements = x.shape.elements
    return b.add_node(name, "pos_embed", (x,), x.shape, {q.ADD: elements, PARAMS: elements},
                      op_class="other", input=x.shape)
