"""The ``patch_merging`` kind: Swin's downsampling of tokens on a grid (2 x 2 neighbours merged)."""
from __future__ import annotations

from costcalc.graph.registry import register
from costcalc.graph.units import out_size

# Measured on torchvision's PatchMerging(32) at 8 x 8 and 7 x 7 (padded to 8 x 8 by F.pad): the
# slicing, the padding and the concatenation are free for every tool; its nn.LayerNorm and
# nn.Linear are modules, counted as the layer_norm and linear kinds count them on tokens.


@register("patch_merging", tokens="only", prefix="merge", composite=True)
def patch_merging(b, f, x, name):
    """Tokens of width C on an H x W grid -> C' = 2C on ceil(H / 2) x ceil(W / 2): each 2 x 2
    neighbourhood concatenated (4C, zero padding an odd side), LayerNorm(4C), Linear(4C -> 2C)
    without bias. MACs = (H' W') 4C 2C; params 8C^2 + 8C (the norm's 2 x 4C)."""
    c, h, w = x.shape
    merged = x.shape._replace(c=4 * c, h=out_size(h, 2, 2, "same"), w=out_size(w, 2, 2, "same"))
    with b.block(name, "patch_merging"):
        y = b.add_node(f"{name}.merge", "patch_merging", (x,), merged, {}, role="merge",
                       op_class="other", input=x.shape)
        y = b.call("layer_norm", y, f"{name}.norm", role="body")
        return b.call("linear", y, f"{name}.reduction", role="project", out=2 * c, bias=False)
