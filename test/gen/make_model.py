#!/usr/bin/env python3
"""Writes one small ONNX model for the importer's lit tests.

    /usr/bin/python3 make_model.py CASE OUT.onnx

CASE names a model below (`--list` prints them). Models that keep data in an
external file write it beside OUT. Run with Debian's python3-onnx (1.12):
everything is built with onnx.helper or by setting TensorProto fields by
hand (int4 and friends are newer than 1.12), never checked by onnx.checker,
since several models are broken on purpose.
"""
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

F, F16, BF16, I8, U8, I32, I64, BOOL, STR = (
    TensorProto.FLOAT, TensorProto.FLOAT16, TensorProto.BFLOAT16,
    TensorProto.INT8, TensorProto.UINT8, TensorProto.INT32, TensorProto.INT64,
    TensorProto.BOOL, TensorProto.STRING)
INT4 = 22  # TensorProto.INT4 in onnx >= 1.16

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def raw_tensor(name, dtype, dims, raw):
    t = TensorProto()
    t.name = name
    t.data_type = dtype
    t.dims.extend(dims)
    t.raw_data = raw
    return t


def model(nodes, inputs, outputs, inits=(), value_info=(), opset=18,
          extra_opsets=(), name="g"):
    graph = helper.make_graph(nodes, name, inputs, outputs,
                              initializer=list(inits),
                              value_info=list(value_info))
    opsets = [helper.make_opsetid("", opset)]
    opsets += [helper.make_opsetid(d, v) for d, v in extra_opsets]
    m = helper.make_model(graph, opset_imports=opsets,
                          producer_name="sieve-test")
    m.ir_version = 8
    return m


def add_model(opset=18):
    return model([helper.make_node("Add", ["x", "y"], ["z"], name="add0")],
                 [vi("x", F, [2, 3]), vi("y", F, [2, 3])],
                 [vi("z", F, [2, 3])], opset=opset)


# ---------------------------------------------------------------- import --

@case
def init_types(out):
    """One initializer per element type, returned as graph outputs."""
    f32 = np.array([1.5, -2.0, 0.25], dtype=np.float32)
    f16 = np.array([1.0, -0.5], dtype=np.float16)
    # bfloat16 1.0 = 0x3f80, -2.0 = 0xc000, 0.5 = 0x3f00
    bf16 = struct.pack("<3H", 0x3F80, 0xC000, 0x3F00)
    i8 = np.array([-128, 0, 127], dtype=np.int8)
    u8 = np.array([0, 200, 255], dtype=np.uint8)
    i64 = np.array([-1, 1 << 40], dtype=np.int64)
    b = np.array([True, False, True], dtype=np.bool_)
    # int4 [1, -2, 7, -8, 3]: packed low nibble first -> 0xE1, 0x87, 0x03
    i4 = bytes([0xE1, 0x87, 0x03])
    inits = [
        raw_tensor("w_f32", F, [3], f32.tobytes()),
        raw_tensor("w_f16", F16, [2], f16.tobytes()),
        raw_tensor("w_bf16", BF16, [3], bf16),
        raw_tensor("w_i8", I8, [3], i8.tobytes()),
        raw_tensor("w_u8", U8, [3], u8.tobytes()),
        raw_tensor("w_i64", I64, [2], i64.tobytes()),
        raw_tensor("w_bool", BOOL, [3], b.tobytes()),
        raw_tensor("w_i4", INT4, [5], i4),
    ]
    outs = [vi(t.name, t.data_type, list(t.dims)) for t in inits]
    return model([], [], outs, inits)


@case
def inline_sizes(out):
    """A 2x2 initializer (dense) and a 16x16 one (dense_resource)."""
    small = np.arange(4, dtype=np.float32).reshape(2, 2)
    large = np.arange(256, dtype=np.float32).reshape(16, 16)
    inits = [helper.make_tensor("small", F, [2, 2], small.tobytes(), raw=True),
             helper.make_tensor("large", F, [16, 16], large.tobytes(),
                                raw=True)]
    return model([], [], [vi("small", F, [2, 2]), vi("large", F, [16, 16])],
                 inits)


def external(t, location, offset, length):
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", str(offset)),
                 ("length", str(length))):
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


@case
def external_data(out):
    """Two weights in OUT.data (hand-written): 4x4 f32 at 0, 8 f16 at 64."""
    data = os.path.basename(out) + ".data"
    w0 = np.arange(16, dtype=np.float32).tobytes()
    w1 = np.arange(8, dtype=np.float16).tobytes()
    with open(out + ".data", "wb") as f:
        f.write(w0 + w1)
    t0 = TensorProto(name="w0", data_type=F, dims=[4, 4])
    t1 = TensorProto(name="w1", data_type=F16, dims=[8])
    inits = [external(t0, data, 0, 64), external(t1, data, 64, 16)]
    x = vi("x", F, [2, 4])
    n = helper.make_node("MatMul", ["x", "w0"], ["y"], name="mm")
    return model([n], [x], [vi("y", F, [2, 4]), vi("w1", F16, [8])], inits)


@case
def typed_fields(out):
    """Initializers in float_data / int32_data / int64_data, not raw_data."""
    inits = [
        helper.make_tensor("t_f32", F, [2], [0.5, 2.0]),
        helper.make_tensor("t_i32", I32, [3], [7, -8, 9]),
        helper.make_tensor("t_i64", I64, [2], [-3, 1 << 33]),
        # float16 bit patterns in int32_data: 1.0 = 0x3c00, -2.0 = 0xc000
        TensorProto(name="t_f16", data_type=F16, dims=[2],
                    int32_data=[0x3C00, 0xC000]),
        helper.make_tensor("t_bool", BOOL, [2], [True, False]),
        helper.make_tensor("t_i8", I8, [2], [-5, 6]),
    ]
    outs = [vi(t.name, t.data_type, list(t.dims)) for t in inits]
    return model([], [], outs, inits)


@case
def constants(out):
    """Constant nodes: value (tensor), value_float, value_ints, value_int,
    value_floats."""
    nodes = [
        helper.make_node("Constant", [], ["c_value"], name="c_value",
                         value=helper.make_tensor("v", F, [2], [1.0, 2.0])),
        helper.make_node("Constant", [], ["c_float"], name="c_float",
                         value_float=0.5),
        helper.make_node("Constant", [], ["c_ints"], name="c_ints",
                         value_ints=[1, -1, 4]),
        helper.make_node("Constant", [], ["c_int"], name="c_int",
                         value_int=42),
        helper.make_node("Constant", [], ["c_floats"], name="c_floats",
                         value_floats=[0.25, 4.0]),
    ]
    outs = [vi("c_value", F, [2]), vi("c_float", F, []), vi("c_ints", I64, [3]),
            vi("c_int", I64, []), vi("c_floats", F, [2])]
    return model(nodes, [], outs)


@case
def optional_inputs(out):
    """Clip(x, "", max): an empty name in the middle; Clip(x): both trailing
    inputs omitted; Slice without axes/steps."""
    inits = [helper.make_tensor("hi", F, [], [6.0]),
             helper.make_tensor("starts", I64, [1], [1]),
             helper.make_tensor("ends", I64, [1], [3])]
    nodes = [helper.make_node("Clip", ["x", "", "hi"], ["a"], name="clip_max"),
             helper.make_node("Clip", ["a"], ["b"], name="clip_none"),
             helper.make_node("Slice", ["b", "starts", "ends"], ["c"],
                              name="slice")]
    return model(nodes, [vi("x", F, [4])], [vi("c", F, [2])], inits,
                 value_info=[vi("a", F, [4]), vi("b", F, [4])])


@case
def locations(out):
    """Named and unnamed nodes: names (or first outputs) become locations."""
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="/layers.0/act/Relu"),
             helper.make_node("Neg", ["r"], ["unnamed_out"])]
    return model(nodes, [vi("x", F, [3])], [vi("unnamed_out", F, [3])],
                 value_info=[vi("r", F, [3])])


@case
def dynamic_dims(out):
    """A static batch (1) and a symbolic sequence dim ('seq' -> ?)."""
    x = vi("input_ids", I64, [1, "seq"])
    n = helper.make_node("Cast", ["input_ids"], ["y"], name="cast", to=F)
    return model([n], [x], [vi("y", F, [1, "seq"])])


@case
def cast(out):
    """Cast's `to` becomes a type attribute."""
    nodes = [helper.make_node("Cast", ["x"], ["h"], name="to_f16", to=F16),
             helper.make_node("Cast", ["h"], ["i"], name="to_i64", to=I64),
             helper.make_node("Cast", ["i"], ["b"], name="to_bf16", to=BF16)]
    return model(nodes, [vi("x", F, [2, 3])], [vi("b", BF16, [2, 3])],
                 value_info=[vi("h", F16, [2, 3]), vi("i", I64, [2, 3])])


@case
def ms_domain(out):
    """com.microsoft SimplifiedLayerNormalization, second output omitted."""
    scale = helper.make_tensor("scale", F, [8], [1.0] * 8)
    n = helper.make_node("SimplifiedLayerNormalization", ["x", "scale"], ["y"],
                         name="rms", domain="com.microsoft", axis=-1,
                         epsilon=1e-6)
    return model([n], [vi("x", F, [1, "seq", 8])],
                 [vi("y", F, [1, "seq", 8])], [scale],
                 extra_opsets=[("com.microsoft", 1)])


@case
def type_inference(out):
    """No value_info, outputs without shapes: result types come from the
    ops' type inference (Add, MatMul, Cast, Concat)."""
    w = helper.make_tensor("w", F, [4, 5], np.zeros(20, np.float32).tolist())
    nodes = [helper.make_node("Add", ["x", "x"], ["a"], name="add"),
             helper.make_node("MatMul", ["a", "w"], ["m"], name="matmul"),
             helper.make_node("Cast", ["m"], ["c"], name="cast", to=F16),
             helper.make_node("Concat", ["c", "c"], ["y"], name="concat",
                              axis=1)]
    y = helper.make_tensor_value_info("y", F16, None)  # type, no shape
    return model(nodes, [vi("x", F, [2, "n", 4])], [y], [w])


@case
def shape_ops(out):
    """Reshape, Transpose, Softmax, Gather (types from value_info)."""
    inits = [helper.make_tensor("shape", I64, [3], [0, 4, 2]),
             helper.make_tensor("idx", I64, [2], [0, 3])]
    nodes = [
        helper.make_node("Reshape", ["x"] + ["shape"], ["r"], name="reshape"),
        helper.make_node("Transpose", ["r"], ["t"], name="transpose",
                         perm=[0, 2, 1]),
        helper.make_node("Softmax", ["t"], ["s"], name="softmax", axis=-1),
        helper.make_node("Gather", ["s", "idx"], ["g"], name="gather", axis=2),
    ]
    return model(nodes, [vi("x", F, [1, 8])], [vi("g", F, [1, 2, 2])], inits,
                 value_info=[vi("r", F, [1, 4, 2]), vi("t", F, [1, 2, 4]),
                             vi("s", F, [1, 2, 4])])


# ---------------------------------------------------------------- errors --

@case
def valid(out):
    """A valid Add model (cut short by the truncation test)."""
    return add_model()


@case
def missing_external(out):
    t = external(TensorProto(name="w", data_type=F, dims=[2, 3]),
                 "absent.data", 0, 24)
    m = add_model()
    m.graph.initializer.append(t)
    m.graph.node[0].input[1] = "w"
    del m.graph.input[1]
    return m


@case
def external_beyond(out):
    """Asks for bytes [16, 40) of a 32-byte file."""
    data = os.path.basename(out) + ".data"
    with open(out + ".data", "wb") as f:
        f.write(bytes(32))
    t = external(TensorProto(name="w", data_type=F, dims=[2, 3]), data, 16,
                 24)
    m = add_model()
    m.graph.initializer.append(t)
    m.graph.node[0].input[1] = "w"
    del m.graph.input[1]
    return m


@case
def unknown_op(out):
    n = helper.make_node("FrobnicateV2", ["x"], ["y"], name="frob")
    return model([n], [vi("x", F, [2])], [vi("y", F, [2])])


@case
def unknown_op_domain(out):
    n = helper.make_node("Frob", ["x"], ["y"], name="frob",
                         domain="com.example")
    return model([n], [vi("x", F, [2])], [vi("y", F, [2])],
                 extra_opsets=[("com.example", 3)])


@case
def opset9(out):
    return add_model(opset=9)


@case
def opset30(out):
    return add_model(opset=30)


@case
def undefined_input(out):
    m = add_model()
    m.graph.node[0].input[1] = "ghost"
    return m


@case
def undefined_output(out):
    m = add_model()
    m.graph.output.append(vi("nowhere", F, [2, 3]))
    return m


@case
def cycle(out):
    nodes = [helper.make_node("Add", ["x", "b"], ["a"], name="first"),
             helper.make_node("Relu", ["a"], ["b"], name="second")]
    return model(nodes, [vi("x", F, [2])], [vi("b", F, [2])],
                 value_info=[vi("a", F, [2])])


@case
def subgraph(out):
    then_g = helper.make_graph(
        [helper.make_node("Identity", ["x"], ["t"])], "then", [],
        [vi("t", F, [2])])
    else_g = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["e"])], "else", [], [vi("e", F, [2])])
    n = helper.make_node("If", ["c"], ["y"], name="branch",
                         then_branch=then_g, else_branch=else_g)
    return model([n], [vi("c", BOOL, []), vi("x", F, [2])], [vi("y", F, [2])])


@case
def undeclared_attr(out):
    m = add_model()
    m.graph.node[0].attribute.append(helper.make_attribute("frobs", 3))
    return m


@case
def string_init(out):
    """An unused string initializer beside a valid graph."""
    m = add_model()
    m.graph.initializer.append(
        helper.make_tensor("names", STR, [2], [b"a", b"b"]))
    return m


@case
def raw_mismatch(out):
    t = raw_tensor("w", F, [2, 3], bytes(20))
    return model([], [], [vi("w", F, [2, 3])], [t])


@case
def missing_attr(out):
    """Cast without `to`, its output untyped: type inference must not run on
    the incomplete attributes."""
    nodes = [helper.make_node("Cast", ["x"], ["c"], name="cast_noto"),
             helper.make_node("Relu", ["c"], ["y"], name="relu")]
    return model(nodes, [vi("x", F, [2])], [vi("y", F, [2])])


@case
def attr_wrong_kind(out):
    """Concat with a FLOAT axis, its output untyped."""
    nodes = [helper.make_node("Concat", ["x", "x"], ["c"], name="cat",
                              axis=1.5),
             helper.make_node("Relu", ["c"], ["y"], name="relu")]
    return model(nodes, [vi("x", F, [2, 3])], [vi("y", F, [2, 6])])


@case
def no_broadcast(out):
    """Add of shapes that do not broadcast: the op verifier's error must
    name the node."""
    n = helper.make_node("Add", ["x", "y"], ["z"], name="add_bad")
    return model([n], [vi("x", F, [2, 3]), vi("y", F, [4, 5])],
                 [vi("z", F, [2, 3])])


@case
def default_attrs(out):
    """Gather and Softmax without their optional attributes, outputs untyped:
    inference sees the ODS defaults (axis 0, axis -1)."""
    nodes = [helper.make_node("Gather", ["x", "i"], ["g"], name="gather"),
             helper.make_node("Softmax", ["g"], ["y"], name="softmax")]
    return model(nodes, [vi("x", F, [4, 3]), vi("i", I64, [2])],
                 [helper.make_tensor_value_info("y", F, None)])


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--list":
        print("\n".join(CASES))
        return 0
    if len(sys.argv) != 3 or sys.argv[1] not in CASES:
        print("usage: make_model.py CASE OUT.onnx (cases: %s)"
              % ", ".join(CASES), file=sys.stderr)
        return 2
    out = sys.argv[2]
    onnx.save(CASES[sys.argv[1]](out), out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
