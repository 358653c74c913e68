"""The ``class_token`` kind: a learned token put in front of the sequence (ViT's class token)."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.registry import Tokens, register
from costcalc.graph.units import per_channel_letters

# The quantities it records; what each counting tool charges for them is in graph/quantities.py.
PARAMS = q.CLASS_TOKEN_PARAMS


@register("class_token", tokens="only", letters=per_channel_letters(1), prefix="cls")
def class_token(b, f, x, name):
    """N tokens of width D -> N + 1 tokens (a sequence). No MACs; params D."""
    d, h, w = x.shape
    return b.add_node(name, "class_token", (x,), Tokens(d, h * w + 1, 1), {PARAMS: d},
                      op_class="other", input=x.shape)
