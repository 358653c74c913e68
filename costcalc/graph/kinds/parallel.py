"""The ``parallel`` kind: branches on one input merged by concat, add, multiply or matmul."""
from __future__ import annotations

from costcalc.errors import SpecError
from costcalc.graph.registry import Field, register
from costcalc.graph.units import ACT, add_merge, concat_merge


@register("parallel", Field("branches", "branches"),
          Field("merge", "choice", "concat", choices=("concat", "add", "multiply",
                                                         "matmul")),
          Field("split", "bool", False, "split the input channels equally between branches"),
          ACT, tokens="accept", prefix="block")
def parallel(b, f, x, name):
    """Branches on the same input (or on equal channel splits), merged by concat, add, an
    element-wise multiply (broadcast over sizes of 1) or a matmul of two branches (first @
    second: batch n k m MACs). Free merge in the paper convention, but for matmul."""
    branches = f["branches"]
    if not isinstance(branches, list) or not branches:
        raise SpecError("'branches' must be a non-empty list of layer lists")
    with b.block(name, "parallel"):
        outputs = []
        for j, branch in enumerate(branches):
            start = x
            if f["split"]:
                start = b.call("channel_split", x, f"{name}.split{j}", role="split",
                               parts=len(branches), index=j)
            if branch is not None:
                with b.block(f"{name}.branch{j}", "branch", role="branch"):
                    start = branch(start, f"{name}.branch{j}")
            outputs.append(start)
        if f["merge"] == "add":
            return add_merge(b, outputs, f"{name}.add", act=f["act"])
        if f["merge"] == "multiply":
            y = b.call("multiply", outputs, f"{name}.multiply", role="merge")
        elif f["merge"] == "matmul":
            y = b.call("matmul", outputs, f"{name}.matmul", role="merge")
        else:
            y = concat_merge(b, outputs, f"{name}.concat")
        if f["act"] != "none":
            y = b.call("activation", y, f"{name}.act", role="act", fn=f["act"])
        return y
