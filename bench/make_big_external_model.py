#!/usr/bin/python3
"""Writes an ONNX model whose weights (random float32, about SIZE_GB in all)
live in one external-data file, to show that importing it references the
weights instead of copying them (peak RSS stays small).

Usage: /usr/bin/python3 bench/make_big_external_model.py OUT_DIR [SIZE_GB]
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

out_dir = sys.argv[1]
size_gb = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
hidden = 4096
layer_bytes = hidden * hidden * 4
layers = max(1, int(size_gb * 1e9 // layer_bytes))
os.makedirs(out_dir, exist_ok=True)
data_name = "big.onnx.data"
rng = np.random.default_rng(0)

initializers, nodes = [], []
prev = "x"
with open(os.path.join(out_dir, data_name), "wb") as f:
    for i in range(layers):
        w = rng.standard_normal((hidden, hidden), dtype=np.float32) * 0.01
        offset = f.tell()
        f.write(w.tobytes())
        t = TensorProto()
        t.name = f"w{i}"
        t.data_type = TensorProto.FLOAT
        t.dims.extend([hidden, hidden])
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", data_name), ("offset", str(offset)),
                     ("length", str(layer_bytes))):
            e = t.external_data.add()
            e.key, e.value = k, v
        initializers.append(t)
        nodes.append(helper.make_node("MatMul", [prev, f"w{i}"], [f"h{i}"],
                                      name=f"layer{i}"))
        prev = f"h{i}"
graph = helper.make_graph(
    nodes, "big",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "seq", hidden])],
    [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [1, "seq", hidden])],
    initializers)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
onnx.save(model, os.path.join(out_dir, "big.onnx"))
print(f"wrote {layers} weights of {layer_bytes} bytes "
      f"({layers * layer_bytes / 1e9:.2f} GB) to {out_dir}")
