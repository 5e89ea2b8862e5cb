#!/usr/bin/env python3
"""Prints a summary of onnx-dialect MLIR files: signature, op counts, weights."""
import collections
import re
import sys

for path in sys.argv[1:]:
    text = open(path).read()
    ops = collections.Counter(re.findall(r"\bonnx\.(?:ms\.)?[A-Z][A-Za-z]*", text))
    external = re.findall(r'#onnx\.external<"([^"]+)", (\d+), (\d+)>', text)
    sig = re.search(r"func\.func @main\(([^)]*)\) -> \(?([^{]*)", text)
    print(f"== {path}")
    if sig:
        print(f"   signature: ({sig.group(1).strip()}) -> {sig.group(2).strip()}")
    print(f"   {sum(ops.values())} onnx ops, {len(ops)} kinds")
    for name, count in ops.most_common():
        print(f"   {count:6d}  {name}")
    print(f"   external weights: {len(external)} tensors, "
          f"{sum(int(l) for _, _, l in external)} bytes, referenced in place")
