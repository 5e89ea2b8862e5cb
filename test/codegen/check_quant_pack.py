#!/usr/bin/env python3
"""Checks the quantized arrays of a compiled model (sieve-compile --quantize)
against the file the quantization pass wrote: every `kernel.weight` of
model.mlir with integer or quantization-scale contents must hold, at its
offset of weights.bin, its sources stacked: codes and scales byte for byte,
zero points widened from two nibbles per byte (low first) to one byte each
(docs/quantization.md, "GPU layouts").

    check_quant_pack.py MODEL.sieve

Prints one line per array kind and exits non-zero on the first mismatch.
"""
import json
import os
import re
import sys

WEIGHT = re.compile(r'kernel\.weight @(\S+) : tensor<([0-9x]+)x(\w+)> at (\d+)'
                    r'(?: transposed)? \{sources = \[(.*)\]\}')
SOURCE = re.compile(r'#onnx\.external<"([^"]+)", (\d+), (\d+)> : tensor<([0-9x]+)x(\w+)>')


def main():
    folder = sys.argv[1]
    manifest = json.load(open(os.path.join(folder, "manifest.json")))
    roles = {t["name"]: t.get("quant_role") for t in manifest["weights"]["tensors"]}
    payload = open(os.path.join(folder, "weights.bin"), "rb").read()[4096:]
    counts = {}
    for line in open(os.path.join(folder, "model.mlir")):
        m = WEIGHT.search(line)
        if not m or not roles.get(m.group(1)):
            continue
        name, dtype, offset, sources = m.group(1), m.group(3), int(m.group(4)), m.group(5)
        role = roles[name]
        expected = b""
        for path, off, length, shape, src_type in SOURCE.findall(sources):
            with open(path, "rb") as f:
                f.seek(int(off))
                raw = f.read(int(length))
            if role == "zeros":
                assert src_type == "ui4" and dtype == "ui8", (name, src_type, dtype)
                n = 1
                for d in shape.split("x"):
                    n *= int(d)
                raw = bytes((raw[i // 2] >> (4 * (i % 2))) & 15 for i in range(n))
            expected += raw
        got = payload[offset:offset + len(expected)]
        if got != expected:
            bad = next(i for i, (a, b) in enumerate(zip(got, expected)) if a != b)
            print(f"FAIL {name} ({role}): byte {bad} differs ({got[bad]} != {expected[bad]})")
            return 1
        size = [t["bytes"] for t in manifest["weights"]["tensors"] if t["name"] == name][0]
        if size != len(expected):
            print(f"FAIL {name} ({role}): manifest says {size} bytes, sources hold {len(expected)}")
            return 1
        counts[role] = counts.get(role, 0) + 1
    if not counts:
        print("FAIL no quantized arrays in", folder)
        return 1
    for role in sorted(counts):
        print(f"PASS {counts[role]} {role} arrays match their sources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
