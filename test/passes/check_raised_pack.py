#!/usr/bin/env python3
"""Checks the int4 arrays that sieve-compile packed for a raised MatMulNBits
model against the model's own initializers (docs/quantization.md, "Models
that arrive quantized" and "GPU layouts"): every kernel.weight of
model.mlir whose sources are raised MatMulNBits arrays (dense_resource
blobs named after B: `<B>.codes`, `<B>.scales`, `<B>.zeros`) must hold, at
its offset of weights.bin, its sources stacked:
- codes: B's bytes;
- scales: the model's f32 scales rounded to f16 (nearest even, numpy's
  astype), as the weights writer rounds them;
- zeros: one byte per group, the model's zero point nibbles read per row
  (rows of ceil(K/G / 2) bytes), or 8 where the model has none.

    check_raised_pack.py MODEL.onnx MODEL.sieve

Prints one line per array kind and exits non-zero on the first mismatch.
"""
import json
import os
import re
import sys

import numpy as np
import onnx
from onnx import numpy_helper

WEIGHT = re.compile(r'kernel\.weight @(\S+) : tensor<[0-9x]+x(\w+)> at (\d+)'
                    r' \{sources = \[(.*)\]\}')
SOURCE = re.compile(r'dense_resource<([^>]+)\.(codes|scales|zeros)>')


def expected_arrays(model):
    """{B name: {"codes", "scales", "zeros": bytes}} of every 4-bit
    MatMulNBits of the model."""
    inits = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    out = {}
    for node in model.graph.node:
        if node.op_type != "MatMulNBits":
            continue
        attrs = {a.name: a.i for a in node.attribute}
        if attrs.get("bits", 4) != 4:
            continue
        n, k, g = attrs["N"], attrs["K"], attrs["block_size"]
        blocks = k // g
        b, scales = inits[node.input[1]], inits[node.input[2]]
        if len(node.input) > 3 and node.input[3]:
            rows = inits[node.input[3]].reshape(n, -1)
            z = np.stack([(rows[:, i // 2] >> (4 * (i % 2))) & 15
                          for i in range(blocks)], axis=1)
        else:
            z = np.full((n, blocks), 8)
        out[node.input[1]] = {
            "codes": b.tobytes(),
            "scales": scales.astype(np.float16).tobytes(),
            "zeros": z.astype(np.uint8).tobytes(),
        }
    return out


def main():
    model = onnx.load(sys.argv[1])
    folder = sys.argv[2]
    arrays = expected_arrays(model)
    tensors = json.load(open(os.path.join(folder, "manifest.json")))[
        "weights"]["tensors"]
    sizes = {t["name"]: t["bytes"] for t in tensors}
    payload = open(os.path.join(folder, "weights.bin"), "rb").read()[4096:]
    counts = {}
    for line in open(os.path.join(folder, "model.mlir")):
        m = WEIGHT.search(line)
        sources = SOURCE.findall(m.group(4)) if m else []
        if not sources:
            continue
        name, offset = m.group(1), int(m.group(3))
        kind = sources[0][1]
        # MLIR suffixes a blob name that is taken with _N.
        expected = b"".join(
            arrays[b if b in arrays else re.sub(r"_\d+$", "", b)][k]
            for b, k in sources)
        got = payload[offset:offset + len(expected)]
        if got != expected or sizes[name] != len(expected):
            print(f"FAIL {name} ({kind}): {sizes[name]} bytes packed, "
                  f"{len(expected)} expected; equal: {got == expected}")
            return 1
        counts[kind] = counts.get(kind, 0) + 1
    if not counts:
        print("FAIL no raised int4 arrays in", folder)
        return 1
    for kind in sorted(counts):
        print(f"{kind}: {counts[kind]} packed arrays match the model")
    return 0


if __name__ == "__main__":
    sys.exit(main())
