"""Writes small ONNX backend-style test folders (model.onnx +
test_data_set_0/{input,output}_*.pb) whose expected outputs are right or
deliberately wrong, to check sieve-onnx-test's verdicts (runner.test)."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

root = sys.argv[1]


def write(name, node, inputs, outputs, dtype=TensorProto.FLOAT, out_dtype=None,
          opset=17, dynamic_outputs=False):
    d = os.path.join(root, name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    out_dtype = dtype if out_dtype is None else out_dtype
    graph = helper.make_graph(
        [node], name,
        [helper.make_tensor_value_info("x%d" % i, dtype, a.shape)
         for i, a in enumerate(inputs)],
        [helper.make_tensor_value_info(
            "y%d" % i, out_dtype,
            [None] * a.ndim if dynamic_outputs else a.shape)
         for i, a in enumerate(outputs)])
    model = helper.make_model(graph,
                              opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(model, os.path.join(d, "model.onnx"))
    for kind, arrays in (("input", inputs), ("output", outputs)):
        for i, a in enumerate(arrays):
            t = numpy_helper.from_array(a, "%s%d" % (kind[0], i))
            with open(os.path.join(d, "test_data_set_0",
                                   "%s_%d.pb" % (kind, i)), "wb") as f:
                f.write(t.SerializeToString())


a = np.array([[1.0, 2.0, np.nan], [4.0, -5.0, 6.0]], np.float32)
b = np.array([[0.5, 0.25, 1.0], [1.0, 1.0, 1.0]], np.float32)
add = helper.make_node("Add", ["x0", "x1"], ["y0"])
write("test_add_ok", add, [a, b], [a + b])  # NaN == NaN
near = a + b
near[1, 2] *= 1.0005  # inside rtol 1e-3
write("test_add_within_rtol", add, [a, b], [near])
off = a + b
off[1, 1] += 0.01
write("test_add_wrong", add, [a, b], [off])
write("test_add_wrong_shape", add, [a, b], [(a + b).reshape(3, 2)],
      dynamic_outputs=True)
i = np.array([1, 2, 3], np.int64)
write("test_add_int_wrong", add, [i, i], [i + i + np.array([0, 1, 0])],
      dtype=TensorProto.INT64)
d = np.array([1.0, 2.0], np.float64)
write("test_add_double", add, [d, d], [d + d], dtype=TensorProto.DOUBLE)
write("test_maxpool_unsupported",
      helper.make_node("MaxPool", ["x0"], ["y0"], kernel_shape=[1, 1]),
      [a.reshape(1, 1, 2, 3)], [a.reshape(1, 1, 2, 3)])
