"""Long fuzz run of the ONNX importer: valid fixtures damaged at random, for a fixed time.

Usage: python scripts/onnx_fuzz.py [--seconds 300] [--seed 1] [--out onnx-fuzz-crashes]

Every case runs ``costcalc FILE`` in a forked child under CPU, wall-clock and memory limits
(tests/onnx_fuzz_cases.py) and must end in a consistent report (totals = sums of rows, CSV rows
= JSON rows; a fifth of the cases only rename nodes, tensors and the graph with hostile text and
must give the original's totals in every output format, escaped) or exit 2 with one line on
stderr; anything else is saved to --out as the file and
the violation. Exit code 1 when any violation was found.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import onnx_fuzz_cases  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="onnx-fuzz-crashes")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    fixtures = onnx_fuzz_cases.fixtures()
    counts: Counter = Counter()
    found: dict[str, int] = {}
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as workdir:
        onnx_fuzz_cases.prepare(workdir)
        originals = [onnx_fuzz_cases.original_totals(data, workdir) for _, data in fixtures]
        while time.monotonic() - start < args.seconds:
            seed = rng.randrange(1 << 32)
            label, data = fixtures[seed % len(fixtures)]
            expected = None
            if seed % 5 == 0:  # names only: the original's totals, in every format
                case = onnx_fuzz_cases.rename(random.Random(seed), data)
                expected = originals[seed % len(fixtures)]
            else:
                case = onnx_fuzz_cases.mutate(random.Random(seed), data)
            extra = ("--allow-unknown",) if seed % 3 == 1 else ()  # unknown ops as rows
            try:
                counts[onnx_fuzz_cases.judge(case, workdir, expected=expected,
                                             formats=onnx_fuzz_cases.FORMATS if expected
                                             else ("csv",), args=extra)] += 1
            except onnx_fuzz_cases.Violation as exc:
                counts["violation"] += 1
                signature = " ".join(str(exc).split()[:6])
                if signature in found:
                    continue
                found[signature] = seed
                out = Path(args.out)
                out.mkdir(parents=True, exist_ok=True)
                (out / f"case{len(found)}.onnx").write_bytes(case)
                (out / f"case{len(found)}.txt").write_text(f"{label} seed {seed} {extra}\n{exc}\n")
                print(f"violation {len(found)} ({label}, seed {seed} {extra}): {str(exc)[:300]}",
                      flush=True)
    total = sum(counts.values())
    print(f"{total} cases in {time.monotonic() - start:.0f}s (seed {args.seed}): "
          f"{counts['ok']} reports, {counts['error']} one-line errors, "
          f"{counts['violation']} violations ({len(found)} distinct)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
