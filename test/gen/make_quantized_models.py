#!/usr/bin/env python3
"""Writes models that arrive quantized, for the raise tests (issue 9).

    python3 make_quantized_models.py OUT_DIR

- OUT_DIR/nbits_llama/model.onnx: the opset-23 Llama of
  test/models/gen/make_genai_models.py (same seed and weights) with every
  MatMul by a constant weight replaced by a com.microsoft MatMulNBits of
  that weight, quantized per block of G inputs as onnxruntime's 4-bit
  quantizer does (f32 scales, so not f16 values). The blocks vary by
  projection (see NBITS): zero points present or absent (then 8), K/G even
  or odd (1 block per row: the per-row zero point padding differs from a
  flat packing), the LM head included, and one 8-bit weight (no packed
  format; raised dequantized). q/k/v and gate/up share a format, as the
  GPU lowering stacks them. Also input_ids.bin (16 byte ids).
- OUT_DIR/nbits_<case>/model.onnx: single MatMulNBits models for the
  refusals (x [1, seq, K] -> y [1, seq, N]).
- OUT_DIR/dq_llama/model.onnx: the same Llama with every MatMul weight as
  int8 codes and f32 scales through DequantizeLinear, in the forms of DQ:
  codes [K, N] with the scale on axis 1, codes [N, K] on axis 0 then a
  Transpose, a per-tensor scale, explicit zero points of 0, and the LM head
  and layer 1's down projection as QuantizeLinear -> DequantizeLinear of
  the float weight (a fake-quantized export). Also input_ids.bin.
- OUT_DIR/dq_<case>/model.onnx: single DequantizeLinear -> MatMul models
  for the refusals (non-zero zero points, uint8 codes, a scale along the
  input axis).

    python3 make_quantized_models.py --from MODEL.onnx --form nbits|dq OUT_DIR

- OUT_DIR/model.onnx: MODEL (for example models/llama12/llama12_fp16w.onnx)
  with every MatMul by a constant 2-D weight rewritten as a model that
  arrives quantized does: --form nbits, a com.microsoft MatMulNBits of 4
  bits in blocks of 128 with zero points (onnxruntime's default 4-bit
  quantizer: asymmetric, f32 scales); --form dq, int8 codes [K, N] with one
  f32 scale per output channel through DequantizeLinear. A weight stored in
  another float type and cast to float32 before its MatMul (Cast of an f16
  initializer, as in llama12_fp16w) is quantized from its float32 values,
  and the Cast goes with it. The weights go to OUT_DIR/model.onnx.data.

Debian's python3-onnx (1.12) and numpy; onnx.helper only.
"""
import argparse
import collections
import importlib.util
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "genai", os.path.join(HERE, "..", "models", "gen", "make_genai_models.py"))
genai = importlib.util.module_from_spec(spec)
spec.loader.exec_module(genai)

F = TensorProto.FLOAT

# (bits, block_size, zero points) of each MatMul in graph order: layer 0
# q k v o gate up down, layer 1 the same, then the LM head. K is 64 except
# down (128).
NBITS = [
    (4, 32, True), (4, 32, True), (4, 32, True),     # l0 q k v
    (4, 64, True),                                   # l0 o: K/G = 1 (odd)
    (4, 32, False), (4, 32, False),                  # l0 gate up: no zp
    (4, 128, True),                                  # l0 down: K/G = 1
    (4, 64, False), (4, 64, False), (4, 64, False),  # l1 q k v: odd, no zp
    (4, 32, True),                                   # l1 o
    (4, 64, True), (4, 64, True),                    # l1 gate up: odd
    (8, 32, True),                                   # l1 down: 8 bits
    (4, 32, True),                                   # LM head
]


def quantize_blocks(w, bits, block, zero_points):
    """MatMulNBits inputs for the float weight w [K, N] (x @ w): B [N,
    K/G, G*bits/8] uint8, f32 scales [N * K/G], packed zero points (rows
    of ceil(K/G * bits / 8) bytes) or None (then 2^(bits-1))."""
    k, n = w.shape
    blocks = -(-k // block)  # a padded last block when block does not divide K
    wt = np.zeros((n, blocks * block))
    wt[:, :k] = w.T
    wt = wt.reshape(n, blocks, block)
    top = (1 << bits) - 1
    if zero_points:
        lo = np.minimum(wt.min(axis=2), 0.0)
        hi = np.maximum(wt.max(axis=2), 0.0)
        scale = ((hi - lo) / top).astype(np.float32)
        zp = np.clip(np.round(-lo / scale), 0, top).astype(np.uint8)
    else:
        scale = (np.abs(wt).max(axis=2) / (top // 2)).astype(np.float32)
        zp = np.full(scale.shape, 1 << (bits - 1), np.uint8)
    q = np.clip(np.round(wt / scale[..., None]) + zp[..., None], 0, top)
    q = q.astype(np.uint8)
    per_byte = 8 // bits

    def pack(v):  # last axis, lowest bits first, padded to whole bytes
        pad = (-v.shape[-1]) % per_byte
        v = np.concatenate([v, np.zeros(v.shape[:-1] + (pad,), np.uint8)],
                           axis=-1)
        v = v.reshape(v.shape[:-1] + (-1, per_byte))
        return sum(v[..., i] << (bits * i) for i in range(per_byte)) \
            .astype(np.uint8)

    return pack(q), scale.reshape(-1), pack(zp).reshape(-1) if zero_points \
        else None


def matmul_nbits(name, x, y, w, bits, block, zero_points, inits):
    b, s, z = quantize_blocks(w, bits, block, zero_points)
    inputs = [x, name + ".B", name + ".scales"]
    inits += [numpy_helper.from_array(b, inputs[1]),
              numpy_helper.from_array(s, inputs[2])]
    if z is not None:
        inputs.append(name + ".zp")
        inits.append(numpy_helper.from_array(z, inputs[3]))
    k, n = w.shape
    return helper.make_node("MatMulNBits", inputs, [y], name=name,
                            domain="com.microsoft", K=k, N=n, bits=bits,
                            block_size=block)


def nbits_llama(out):
    rng = np.random.default_rng(23)
    count, g = replace_matmuls(
        genai.opset23_model(rng),
        lambda k, node, w, kept: [matmul_nbits(
            f"mm{k}", node.input[0], node.output[0], w, *NBITS[k], kept)],
        "nbits_llama")
    assert count == len(NBITS), count
    save_llama(g, rng, os.path.join(out, "nbits_llama"))


def save_llama(g, rng, d):
    """The model and 16 byte ids."""
    genai.save_model(g, d)
    ids = rng.integers(0, genai.V, 16, dtype=np.int64)
    ids.astype(np.uint8).tofile(os.path.join(d, "input_ids.bin"))


def nbits_single(out, case, bits=4, block=32, zero_points=True, k=64, n=32,
           float_zp=False):
    """x [1, seq, K] -> MatMulNBits -> y [1, seq, N]."""
    rng = np.random.default_rng(9)
    w = rng.standard_normal((k, n)).astype(np.float32) / 8
    kept = []
    node = matmul_nbits("mm", "x", "y", w, bits, block, zero_points, kept)
    if float_zp:
        blocks = -(-k // block)
        kept.append(numpy_helper.from_array(
            np.full(n * blocks, 7.5, np.float32), "mm.fzp"))
        node.input.append("mm.fzp")
    g = helper.make_graph([node], case, [helper.make_tensor_value_info(
        "x", F, [1, "seq", k])], [helper.make_tensor_value_info(
            "y", F, [1, "seq", n])], kept)
    os.makedirs(out, exist_ok=True)
    genai.save_model(g, os.path.join(out, case))


# The DequantizeLinear forms of each MatMul of dq_llama, in graph order as
# NBITS: "kn" (codes [K, N], scale on axis 1), "nk" (codes [N, K], axis 0,
# then Transpose), "tensor" (a scalar scale), "zp" (explicit zero points,
# all 0) and "qdq" (QuantizeLinear -> DequantizeLinear of the float weight).
DQ = ["kn", "kn", "kn", "tensor", "zp", "zp", "kn",
      "nk", "nk", "nk", "nk", "kn", "kn", "qdq", "qdq"]


def int8_codes(w, per_tensor=False):
    """Symmetric int8 codes of w [K, N] and f32 scales per output (or one)."""
    amax = np.abs(w).max() if per_tensor else np.abs(w).max(axis=0)
    scale = (amax / 127).astype(np.float32)
    q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
    return q, scale


def dequantized(name, x, y, w, form, inits):
    """Nodes computing y = x @ DequantizeLinear(...) of w in `form`."""
    t = numpy_helper.from_array
    q, scale = int8_codes(w, per_tensor=form == "tensor")
    inits.append(t(scale, name + ".scale"))
    dq_in = [name + ".q", name + ".scale"]
    nodes = []
    if form in ("zp", "qdq"):
        inits.append(t(np.zeros(scale.shape, np.int8), name + ".zp"))
        dq_in.append(name + ".zp")
    if form == "qdq":
        inits.append(t(w, name + ".float"))
        nodes.append(helper.make_node("QuantizeLinear", [name + ".float"] +
                                      dq_in[1:], [name + ".q"], axis=1))
    else:
        inits.append(t(q.T.copy() if form == "nk" else q, name + ".q"))
    b = name + ".w"
    nodes.append(helper.make_node("DequantizeLinear", dq_in, [b],
                                  axis=0 if form == "nk" else 1, name=name))
    if form == "nk":
        nodes.append(helper.make_node("Transpose", [b], [b + "t"],
                                      perm=[1, 0]))
        b += "t"
    nodes.append(helper.make_node("MatMul", [x, b], [y]))
    return nodes


def constant_weights(graph):
    """{index of a MatMul node: (its float32 [K, N] weight, the names it
    replaces)} for each MatMul whose second input is a 2-D initializer,
    or a Cast to float32 of one (f16-stored exports), read by nothing
    else: replacing the MatMul then removes the weight (and the Cast)."""
    inits = {t.name: t for t in graph.initializer}
    readers = collections.Counter(i for n in graph.node for i in n.input)
    readers.update(o.name for o in graph.output)
    casts = {n.output[0]: n for n in graph.node if n.op_type == "Cast"
             and n.input[0] in inits
             and any(a.name == "to" and a.i == F for a in n.attribute)}
    found = {}
    for i, node in enumerate(graph.node):
        if node.op_type != "MatMul" or readers[node.input[1]] != 1:
            continue
        cast = casts.get(node.input[1])
        names = [node.input[1]] + ([cast.input[0]] if cast else [])
        w = inits.get(names[-1])
        if w is None or len(w.dims) != 2 or (cast and readers[names[-1]] != 1):
            continue
        found[i] = (numpy_helper.to_array(w).astype(np.float32), names)
    return found


def replace_matmuls(graph, make, name):
    """The graph with every MatMul by a constant [K, N] weight (see
    constant_weights) replaced by make(k, node, weight, kept) (a list of
    nodes)."""
    weights = constant_weights(graph)
    gone = {n for _, names in weights.values() for n in names}
    nodes, kept, k = [], [], 0
    for i, node in enumerate(graph.node):
        if i in weights:
            nodes += make(k, node, weights[i][0], kept)
            k += 1
        elif not (node.op_type == "Cast" and node.output[0] in gone):
            nodes.append(node)
    return k, helper.make_graph(
        nodes, name, graph.input, graph.output,
        [t for t in graph.initializer if t.name not in gone] + kept,
        value_info=[v for v in graph.value_info if v.name not in gone])


def dq_llama(out):
    rng = np.random.default_rng(23)
    count, g = replace_matmuls(
        genai.opset23_model(rng),
        lambda k, node, w, kept: dequantized(f"dq{k}", node.input[0],
                                             node.output[0], w, DQ[k], kept),
        "dq_llama")
    assert count == len(DQ), count
    save_llama(g, rng, os.path.join(out, "dq_llama"))


def dq_single(out, case, dtype=np.int8, zero=0, axis=1, scale_len=32):
    """x [1, seq, 64] -> MatMul(x, DequantizeLinear(codes [64, 32], scale
    [scale_len] on `axis`, zero points `zero` or none))."""
    rng = np.random.default_rng(9)
    w = rng.standard_normal((64, 32)).astype(np.float32) / 8
    q, scale = int8_codes(w)
    scale = np.resize(scale, scale_len)
    inits = [numpy_helper.from_array(q.astype(dtype), "q"),
             numpy_helper.from_array(scale, "s")]
    if zero is not None:
        inits.append(numpy_helper.from_array(np.full(scale_len, zero, dtype),
                                             "zp"))
    nodes = [helper.make_node("DequantizeLinear",
                              [i.name for i in inits], ["w"], axis=axis,
                              name="dq"),
             helper.make_node("MatMul", ["x", "w"], ["y"])]
    g = helper.make_graph(nodes, case, [helper.make_tensor_value_info(
        "x", F, [1, "seq", 64])], [helper.make_tensor_value_info(
            "y", F, [1, "seq", 32])], inits)
    genai.save_model(g, os.path.join(out, case))


# --from: the quantized form of every constant-weight MatMul of a model.
FORMS = {
    "nbits": lambda k, node, w, kept: [matmul_nbits(
        f"mm{k}", node.input[0], node.output[0], w, 4, 128, True, kept)],
    "dq": lambda k, node, w, kept: dequantized(
        f"dq{k}", node.input[0], node.output[0], w, "kn", kept),
}


def quantize_model(src, form, out):
    """OUT/model.onnx: the model at src with its MatMul weights in `form`."""
    model = onnx.load(src)
    count, g = replace_matmuls(model.graph, FORMS[form],
                               f"{model.graph.name}_{form}")
    if count == 0:
        sys.exit(f"{src}: no MatMul by a constant 2-D weight to quantize")
    opsets = [o for o in model.opset_import if o.domain != "com.microsoft"]
    if form == "nbits":
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    q = helper.make_model(g, opset_imports=opsets)
    q.ir_version = model.ir_version
    os.makedirs(out, exist_ok=True)
    # The weights in model.onnx.data, as the source keeps them: the
    # importer references external arrays in place (printed modules elide
    # large inline ones).
    onnx.save(q, os.path.join(out, "model.onnx"), save_as_external_data=True,
              all_tensors_to_one_file=True, location="model.onnx.data",
              size_threshold=1024)
    print(f"{out}/model.onnx: {count} MatMul weights as {form}")


def test_models(out):
    nbits_llama(out)
    dq_llama(out)
    dq_single(out, "dq_zero_point", zero=3)
    dq_single(out, "dq_uint8", dtype=np.uint8, zero=None)
    dq_single(out, "dq_input_axis", axis=0, scale_len=64)
    nbits_single(out, "nbits_8bit", bits=8)
    nbits_single(out, "nbits_float_zp", zero_points=False, float_zp=True)
    nbits_single(out, "nbits_padded_k", k=80)  # K = 80: the last block is padded
    nbits_single(out, "nbits_g16", block=16)   # raises; the GPU kernel needs 32 | G


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("out", help="output folder")
    p.add_argument("--from", dest="src", metavar="MODEL.onnx",
                   help="quantize this model's MatMul weights (else write "
                        "the test models)")
    p.add_argument("--form", choices=sorted(FORMS),
                   help="with --from: MatMulNBits int4 or DequantizeLinear "
                        "int8")
    a = p.parse_args()
    if (a.src is None) != (a.form is None):
        p.error("--from and --form go together")
    if a.src and not os.path.isfile(a.src):
        p.error(f"--from {a.src}: no such file")
    if a.src:
        quantize_model(a.src, a.form, a.out)
    else:
        test_models(a.out)


if __name__ == "__main__":
    main()
