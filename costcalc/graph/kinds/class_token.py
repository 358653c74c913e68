"""The ``class_token`` kind: a learned token put in front of the sequence (ViT's class token)."""
from __future__ import annotations

from costcalc.graph import quantities as q
from costcalc.graph.registry import Tokens, register
from costcalc.graph.units import per_channel_letters

# An nn.Parameter concatenated to the tokens (torch.cat): no module and no arithmetic, so no
# tool charges it anything but its D parameters.
PARAMS = q.declare("class_token_params", "class token values (D)", "param", params={"*": 1})


@register("class_token", tokens="only", letters=per_channel_letters(1), prefix="cls")
def class_token(b, f, x, name):
    """N tokens of width D -> N + 1 tokens (a sequence). No MACs; params D."""
    d, h, w = x.shape
    return b.add_node(name, "class_token", (x,), Tokens(d, h * w + 1, 1), {PARAMS: d},
                      op_class="other", input=x.shape)
