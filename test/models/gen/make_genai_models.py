#!/usr/bin/python3
"""Builds the opset-23 and onnxruntime-genai style test models and op cases
of test/models/genai, with onnxruntime's outputs as their references.

Runs here (no GPU): Debian's python3-onnx (1.12; only onnx.helper, no
checker, since the graphs use opset 23 and com.microsoft ops) and numpy for
seeded random weights; the references come from onnxruntime-node 1.30 on the
CPU provider, through ort_run.js (ORT_DIR holds node_modules/onnxruntime-node,
default ~/.cache/sieve-ort, see bench/eval_vs_onnxruntime.sh).

  /usr/bin/python3 test/models/gen/make_genai_models.py [OUT]

Models (2-layer Llama-style decoders: vocabulary 256, hidden 64, 4 heads,
2 KV heads, head size 16, intermediate 128, byte-level):
  opset23/  Gather embedding, RMSNormalization, MatMul q/k/v/o,
            RotaryEmbedding (cos/sin caches as initializers, position ids
            from Range), Attention (is_causal; layer 0 on 3-D activations
            with q_num_heads/kv_num_heads, layer 1 on 4-D [B, H, S, D]
            views by Reshape + Transpose, as torch.onnx writes them),
            SwiGLU MLP (Sigmoid/Mul), final norm, LM head.
  msgenai/  the onnxruntime-genai form: SimplifiedLayerNormalization /
            SkipSimplifiedLayerNormalization, com.microsoft
            GroupQueryAttention (do_rotary, cos/sin caches, seqlens_k and
            total_sequence_length from attention_mask), past_key_values.*
            inputs and present.* outputs, MatMul projections except layer
            1's o_proj, a 4-bit MatMulNBits with zero points.
  msgenai_rope/  the older genai form, one layer: a position_ids input,
            com.microsoft RotaryEmbedding on Q and K, GroupQueryAttention
            without rotary.
Each holds model.onnx, input_ids.bin (16 byte ids), logits.npy (onnxruntime's
logits [16, 256] for them) and test_data_set_* in the ONNX backend-test layout
(msgenai*: set 0 is the 16-token prefill, set 1 a decode step after a
12-token prefill, its past taken from onnxruntime's presents).
ops/ holds single-op cases of GroupQueryAttention and MatMulNBits that the
make_tiny_families.py cases do not cover.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "genai")
ORT_DIR = os.environ.get("ORT_DIR", os.path.expanduser("~/.cache/sieve-ort"))
T, I64, I32 = TensorProto.FLOAT, TensorProto.INT64, TensorProto.INT32
vi = helper.make_tensor_value_info
OPSETS = [helper.make_opsetid("", 23), helper.make_opsetid("com.microsoft", 1)]
V, HID, NH, KVH, HD, FF, LAYERS, MAXPOS = 256, 64, 4, 2, 16, 128, 2, 128
THETA = 10000.0
ORT_TYPES = {np.float32: "float32", np.int64: "int64", np.int32: "int32",
             np.uint8: "uint8"}
NP_TYPES = {v: k for k, v in ORT_TYPES.items()}


def ort_run(path, feeds):
    """onnxruntime's outputs (in graph order) for `feeds` {name: array}."""
    with tempfile.TemporaryDirectory() as tmp:
        manifest = []
        for k, (name, a) in enumerate(feeds.items()):
            f = os.path.join(tmp, f"in_{k}.bin")
            np.ascontiguousarray(a).tofile(f)
            manifest.append({"name": name, "type": ORT_TYPES[a.dtype.type],
                             "dims": list(a.shape), "file": f})
        with open(os.path.join(tmp, "inputs.json"), "w") as f:
            json.dump(manifest, f)
        env = dict(os.environ, NODE_PATH=os.path.join(ORT_DIR, "node_modules"))
        subprocess.run(["node", os.path.join(HERE, "ort_run.js"), path,
                        os.path.join(tmp, "inputs.json"), tmp], check=True,
                       env=env)
        with open(os.path.join(tmp, "outputs.json")) as f:
            outs = json.load(f)
        return [np.fromfile(o["file"], NP_TYPES[o["type"]]).reshape(o["dims"])
                for o in outs]


def save_model(graph, d):
    os.makedirs(d, exist_ok=True)
    model = helper.make_model(graph, opset_imports=OPSETS)
    model.ir_version = 10
    path = os.path.join(d, "model.onnx")
    onnx.save(model, path)
    return path


def save_set(d, k, graph, feeds, outs):
    s = os.path.join(d, f"test_data_set_{k}")
    os.makedirs(s, exist_ok=True)
    for i, g in enumerate(graph.input):
        with open(os.path.join(s, f"input_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(feeds[g.name], g.name)
                    .SerializeToString())
    for i, (g, v) in enumerate(zip(graph.output, outs)):
        with open(os.path.join(s, f"output_{i}.pb"), "wb") as f:
            f.write(numpy_helper.from_array(v, g.name).SerializeToString())


def op_case(name, nodes, inputs, feeds, inits=()):
    graph = helper.make_graph(nodes, name, inputs,
                              [vi(o, T, None) for o in nodes[-1].output if o],
                              list(inits))
    d = os.path.join(OUT, "ops", name)
    path = save_model(graph, d)
    save_set(d, 0, graph, feeds, ort_run(path, feeds))
    print("op case", name)


class Graph:
    """Collects nodes and initializers with unique names."""

    def __init__(self, rng):
        self.rng, self.nodes, self.inits, self.n = rng, [], [], 0
        self.value_info = []

    def name(self, hint):
        self.n += 1
        return f"{hint}_{self.n}"

    def const(self, hint, array):
        n = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(array), n))
        return n

    def weight(self, hint, shape, scale=None):
        scale = scale if scale is not None else 1.0 / np.sqrt(shape[0])
        return self.const(hint, (self.rng.standard_normal(shape) * scale)
                          .astype(np.float32))

    def norm_weight(self, hint):
        return self.const(hint, (1.0 + 0.1 * self.rng.standard_normal(HID))
                          .astype(np.float32))

    def op(self, op_type, inputs, n_out=1, domain="", outs=None, types=(),
           **attrs):
        """Adds a node; `types` gives (element type, shape) of its first
        outputs as value_info, for ops the importer cannot infer types of."""
        outs = outs or [self.name(op_type.lower()) for _ in range(n_out)]
        for o, (elem, shape) in zip(outs, types):
            self.value_info.append(vi(o, elem, shape))
        self.nodes.append(helper.make_node(op_type, inputs, outs,
                                           domain=domain, **attrs))
        return outs[0] if len(outs) == 1 else outs

    def matmul(self, x, k, n):
        return self.op("MatMul", [x, self.weight("w", (k, n))])

    def swiglu(self, h):
        g = self.matmul(h, HID, FF)
        u = self.matmul(h, HID, FF)
        act = self.op("Mul", [g, self.op("Sigmoid", [g])])
        return self.matmul(self.op("Mul", [act, u]), FF, HID)


def cos_sin():
    inv = THETA ** (-np.arange(0, HD, 2, dtype=np.float64) / HD)
    ang = np.arange(MAXPOS, dtype=np.float64)[:, None] * inv[None]
    return np.cos(ang).astype(np.float32), np.sin(ang).astype(np.float32)


def opset23_model(rng):
    g = Graph(rng)
    cos, sin = cos_sin()
    cos_n, sin_n = g.const("cos_cache", cos), g.const("sin_cache", sin)
    x = g.op("Gather", [g.weight("embed", (V, HID), 1.0), "input_ids"])
    seq = g.op("Gather", [g.op("Shape", ["input_ids"]),
                          g.const("one", np.array(1, np.int64))], axis=0)
    rng_ = g.op("Range", [g.const("zero", np.array(0, np.int64)), seq,
                          g.const("step", np.array(1, np.int64))],
                types=[(I64, ["seq"])])
    pos = g.op("Unsqueeze", [rng_, g.const("axes", np.array([0], np.int64))],
               types=[(I64, [1, "seq"])])
    def heads(t, n):  # [1, S, n * HD] -> [1, n, S, HD]
        r = g.op("Reshape", [t, g.const("shape", np.array([1, -1, n, HD]))],
                 types=[(T, [1, "seq", n, HD])])
        return g.op("Transpose", [r], perm=[0, 2, 1, 3],
                    types=[(T, [1, n, "seq", HD])])

    for layer in range(LAYERS):
        h = g.op("RMSNormalization", [x, g.norm_weight("ln_in")], axis=-1,
                 epsilon=1e-6)
        if layer == 0:
            # 3-D: heads by attributes.
            q = g.op("RotaryEmbedding", [g.matmul(h, HID, NH * HD), cos_n,
                                         sin_n, pos], num_heads=NH)
            k = g.op("RotaryEmbedding", [g.matmul(h, HID, KVH * HD), cos_n,
                                         sin_n, pos], num_heads=KVH)
            v = g.matmul(h, HID, KVH * HD)
            a = g.op("Attention", [q, k, v], q_num_heads=NH,
                     kv_num_heads=KVH, is_causal=1,
                     types=[(T, [1, "seq", NH * HD])])
        else:
            # 4-D [B, H, S, D] views, as torch.onnx writes them.
            q = g.op("RotaryEmbedding", [heads(g.matmul(h, HID, NH * HD), NH),
                                         cos_n, sin_n, pos],
                     types=[(T, [1, NH, "seq", HD])])
            k = g.op("RotaryEmbedding",
                     [heads(g.matmul(h, HID, KVH * HD), KVH), cos_n, sin_n,
                      pos], types=[(T, [1, KVH, "seq", HD])])
            v = heads(g.matmul(h, HID, KVH * HD), KVH)
            a = g.op("Attention", [q, k, v], is_causal=1,
                     types=[(T, [1, NH, "seq", HD])])
            a = g.op("Transpose", [a], perm=[0, 2, 1, 3],
                     types=[(T, [1, "seq", NH, HD])])
            a = g.op("Reshape", [a, g.const("shape", np.array(
                [1, -1, NH * HD]))], types=[(T, [1, "seq", NH * HD])])
        x = g.op("Add", [x, g.matmul(a, NH * HD, HID)])
        h = g.op("RMSNormalization", [x, g.norm_weight("ln_post")], axis=-1,
                 epsilon=1e-6)
        x = g.op("Add", [x, g.swiglu(h)])
    h = g.op("RMSNormalization", [x, g.norm_weight("ln_f")], axis=-1,
             epsilon=1e-6)
    g.op("MatMul", [h, g.weight("lm_head", (HID, V))], outs=["logits"])
    return helper.make_graph(
        g.nodes, "opset23_llama", [vi("input_ids", I64, [1, "seq"])],
        [vi("logits", T, [1, "seq", V])], g.inits, value_info=g.value_info)


def quantize4(rng, n, k, block):
    """A random 4-bit MatMulNBits weight with packed zero points."""
    blocks = (k + block - 1) // block
    q = rng.integers(0, 16, (n, blocks * block), dtype=np.uint8)
    packed = (q[:, 0::2] | (q[:, 1::2] << 4)).reshape(n, blocks, block // 2)
    zp = rng.integers(0, 16, (n, blocks + blocks % 2), dtype=np.uint8)
    zp_packed = (zp[:, 0::2] | (zp[:, 1::2] << 4)).reshape(-1)
    scales = (rng.random(n * blocks) * 0.04 + 0.01).astype(np.float32)
    return packed, scales, zp_packed


def msgenai_model(rng, layers=LAYERS, rope_op=False):
    """The genai form; with `rope_op`, the older one: a position_ids input,
    com.microsoft RotaryEmbedding on Q and K, GroupQueryAttention without
    rotary."""
    g = Graph(rng)
    cos, sin = cos_sin()
    cos_n, sin_n = g.const("cos_cache", cos), g.const("sin_cache", sin)
    # seqlens_k = sum(attention_mask) - 1, total = attention_mask's width.
    total_i64 = g.op("Gather", [g.op("Shape", ["attention_mask"]),
                                g.const("one", np.array(1, np.int64))], axis=0)
    total = g.op("Cast", [total_i64], to=I32)
    summed = g.op("ReduceSum", ["attention_mask",
                                g.const("axes", np.array([1], np.int64))],
                  keepdims=0)
    seqlens = g.op("Cast", [g.op("Sub", [summed, g.const(
        "one_i", np.array(1, np.int64))])], to=I32)
    x = g.op("Gather", [g.weight("embed", (V, HID), 1.0), "input_ids"])
    h = g.op("SimplifiedLayerNormalization", [x, g.norm_weight("ln_in")],
             axis=-1, epsilon=1e-6)
    inputs = [vi("input_ids", I64, ["batch", "seq"]),
              vi("attention_mask", I64, ["batch", "total"])]
    if rope_op:
        inputs.append(vi("position_ids", I64, ["batch", "seq"]))
    outputs = [vi("logits", T, ["batch", "seq", V])]
    residual = x
    for layer in range(layers):
        q = g.matmul(h, HID, NH * HD)
        k = g.matmul(h, HID, KVH * HD)
        v = g.matmul(h, HID, KVH * HD)
        rotary = [cos_n, sin_n]
        if rope_op:
            q, k = (g.op("RotaryEmbedding", [t, "position_ids", cos_n, sin_n],
                         domain="com.microsoft", num_heads=heads)
                    for t, heads in ((q, NH), (k, KVH)))
            rotary = []
        pk, pv = f"past_key_values.{layer}.key", f"past_key_values.{layer}.value"
        ok, ov = f"present.{layer}.key", f"present.{layer}.value"
        for n in (pk, pv):
            inputs.append(vi(n, T, ["batch", KVH, "past", HD]))
        for n in (ok, ov):
            outputs.append(vi(n, T, ["batch", KVH, "total", HD]))
        a = g.op("GroupQueryAttention",
                 [q, k, v, pk, pv, seqlens, total] + rotary,
                 domain="com.microsoft", outs=[g.name("attn"), ok, ov],
                 num_heads=NH, kv_num_heads=KVH, do_rotary=int(not rope_op),
                 types=[(T, ["batch", "seq", NH * HD]),
                        (T, ["batch", KVH, "total", HD]),
                        (T, ["batch", KVH, "total", HD])])[0]
        if layer == 1:
            packed, scales, zp = quantize4(rng, HID, NH * HD, 32)
            o = g.op("MatMulNBits", [a, g.const("o_q4", packed),
                                     g.const("o_scales", scales),
                                     g.const("o_zp", zp)],
                     domain="com.microsoft", K=NH * HD, N=HID, bits=4,
                     block_size=32)
        else:
            o = g.matmul(a, NH * HD, HID)
        h, _, _, residual = g.op(
            "SkipSimplifiedLayerNormalization",
            [o, residual, g.norm_weight("ln_post")], domain="com.microsoft",
            outs=[g.name("h"), "", "", g.name("res")], epsilon=1e-6)
        m = g.swiglu(h)
        nxt = "ln_in" if layer + 1 < layers else "ln_f"
        h, _, _, residual = g.op(
            "SkipSimplifiedLayerNormalization",
            [m, residual, g.norm_weight(nxt)], domain="com.microsoft",
            outs=[g.name("h"), "", "", g.name("res")], epsilon=1e-6)
    g.op("MatMul", [h, g.weight("lm_head", (HID, V))], outs=["logits"])
    return helper.make_graph(g.nodes, "msgenai_rope" if rope_op else
                             "msgenai_llama", inputs, outputs,
                             g.inits, value_info=g.value_info)


def genai_feeds(ids, past=None, layers=LAYERS, positions=False):
    b, s = ids.shape
    plen = 0 if past is None else past[0].shape[2]
    feeds = {"input_ids": ids,
             "attention_mask": np.ones((b, plen + s), np.int64)}
    if positions:
        feeds["position_ids"] = np.tile(np.arange(plen, plen + s), (b, 1))
    for layer in range(layers):
        for j, kind in enumerate(("key", "value")):
            feeds[f"past_key_values.{layer}.{kind}"] = (
                np.zeros((b, KVH, 0, HD), np.float32) if past is None
                else past[2 * layer + j])
    return feeds


def genai_model_sets(d, graph, ids, **kw):
    """msgenai's sets: a 16-token prefill (set 0), and a decode step after a
    12-token prefill (set 1); returns the prefill logits."""
    path = save_model(graph, d)
    feeds = genai_feeds(ids, **kw)
    outs = ort_run(path, feeds)
    save_set(d, 0, graph, feeds, outs)
    past = ort_run(path, genai_feeds(ids[:, :12], **kw))[1:]
    feeds = genai_feeds(ids[:, 12:13], past, **kw)
    save_set(d, 1, graph, feeds, ort_run(path, feeds))
    return outs[0]


def main():
    rng = np.random.default_rng(23)
    ids = rng.integers(0, V, (1, 16), dtype=np.int64)
    for name, build in (("opset23", opset23_model), ("msgenai", msgenai_model)):
        graph = build(rng)
        d = os.path.join(OUT, name)
        path = save_model(graph, d)
        feeds = (genai_feeds(ids) if name == "msgenai"
                 else {"input_ids": ids})
        outs = ort_run(path, feeds)
        save_set(d, 0, graph, feeds, outs)
        ids.astype(np.uint8).tofile(os.path.join(d, "input_ids.bin"))
        np.save(os.path.join(d, "logits.npy"), outs[0].reshape(16, V))
        if name == "msgenai":
            past = ort_run(path, genai_feeds(ids[:, :12]))[1:]
            feeds = genai_feeds(ids[:, 12:13], past)
            save_set(d, 1, graph, feeds, ort_run(path, feeds))
        print("model", name, len(graph.node), "nodes")

    f = lambda *s: rng.standard_normal(s).astype(np.float32)
    ms = dict(domain="com.microsoft")
    # GroupQueryAttention decoding 3 tokens after a past of 5 in a buffer of
    # 8, with rotary (half style), batch 1.
    cos, sin = cos_sin()
    gqa_in = lambda S, P: [
        vi("Q", T, [1, S, NH * HD]), vi("K", T, [1, S, KVH * HD]),
        vi("V", T, [1, S, KVH * HD]), vi("PK", T, [1, KVH, P, HD]),
        vi("PV", T, [1, KVH, P, HD]), vi("SL", I32, [1]), vi("TL", I32, [])]
    gqa_feeds = lambda S, P, past: {
        "Q": f(1, S, NH * HD), "K": f(1, S, KVH * HD), "V": f(1, S, KVH * HD),
        "PK": f(1, KVH, P, HD), "PV": f(1, KVH, P, HD),
        "SL": np.array([past + S - 1], np.int32),
        "TL": np.array(past + S, np.int32)}
    io = ["Q", "K", "V", "PK", "PV", "SL", "TL"]
    op_case("ms_gqa_past_rotary", [helper.make_node(
        "GroupQueryAttention", io + ["C", "S"], ["Y", "PKo", "PVo"],
        num_heads=NH, kv_num_heads=KVH, do_rotary=1, **ms)],
        gqa_in(3, 8), gqa_feeds(3, 8, 5),
        [numpy_helper.from_array(cos, "C"), numpy_helper.from_array(sin, "S")])
    # One-token decode with a local window of 3 and a softcap, interleaved
    # rotary, batch 2 with different past lengths.
    feeds = gqa_feeds(1, 9, 0)
    feeds.update({"Q": f(2, 1, NH * HD), "K": f(2, 1, KVH * HD),
                  "V": f(2, 1, KVH * HD), "PK": f(2, KVH, 9, HD),
                  "PV": f(2, KVH, 9, HD), "SL": np.array([6, 9], np.int32),
                  "TL": np.array(10, np.int32)})
    inputs = gqa_in(1, 9)
    for i, s in ((0, [2, 1, NH * HD]), (1, [2, 1, KVH * HD]),
                 (2, [2, 1, KVH * HD]), (3, [2, KVH, 9, HD]),
                 (4, [2, KVH, 9, HD]), (5, [2])):
        inputs[i] = vi(inputs[i].name, inputs[i].type.tensor_type.elem_type, s)
    op_case("ms_gqa_window_softcap", [helper.make_node(
        "GroupQueryAttention", io + ["C", "S"], ["Y", "PKo", "PVo"],
        num_heads=NH, kv_num_heads=KVH, do_rotary=1, rotary_interleaved=1,
        local_window_size=3, softcap=2.0, **ms)], inputs, feeds,
        [numpy_helper.from_array(cos, "C"), numpy_helper.from_array(sin, "S")])
    # Packed QKV, a first prompt of batch 2 whose second row is right-padded
    # (seqlens_k 4 of 8), no past, no rotary.
    S = 8
    op_case("ms_gqa_packed_padded", [helper.make_node(
        "GroupQueryAttention", ["QKV", "", "", "", "", "SL", "TL"],
        ["Y", "PKo", "PVo"], num_heads=NH, kv_num_heads=KVH, scale=0.3,
        **ms)],
        [vi("QKV", T, [2, S, (NH + 2 * KVH) * HD]), vi("SL", I32, [2]),
         vi("TL", I32, [])],
        {"QKV": f(2, S, (NH + 2 * KVH) * HD),
         "SL": np.array([S - 1, 4], np.int32), "TL": np.array(S, np.int32)})
    # MatMulNBits: 4 bits with packed zero points and K = 80 (a padded last
    # block); 8 bits with zero points and bias; float zero points.
    N, K = 24, 80
    packed, scales, zp = quantize4(rng, N, K, 32)
    op_case("ms_matmul_nbits_4bit_zp", [helper.make_node(
        "MatMulNBits", ["A", "B", "S", "Z"], ["Y"], K=K, N=N, bits=4,
        block_size=32, **ms)], [vi("A", T, [3, K])], {"A": f(3, K)},
        [numpy_helper.from_array(packed, "B"),
         numpy_helper.from_array(scales, "S"),
         numpy_helper.from_array(zp, "Z")])
    q8 = rng.integers(0, 256, (N, 3, 32), dtype=np.uint8)
    op_case("ms_matmul_nbits_8bit_zp_bias", [helper.make_node(
        "MatMulNBits", ["A", "B", "S", "Z", "", "Bias"], ["Y"], K=K, N=N,
        bits=8, block_size=32, **ms)], [vi("A", T, [2, 3, K])],
        {"A": f(2, 3, K)},
        [numpy_helper.from_array(q8, "B"),
         numpy_helper.from_array(scales, "S"),
         numpy_helper.from_array(rng.integers(0, 256, N * 3, dtype=np.uint8),
                                 "Z"),
         numpy_helper.from_array(f(N), "Bias")])
    op_case("ms_matmul_nbits_float_zp", [helper.make_node(
        "MatMulNBits", ["A", "B", "S", "Z"], ["Y"], K=K, N=N, bits=4,
        block_size=32, **ms)], [vi("A", T, [3, K])], {"A": f(3, K)},
        [numpy_helper.from_array(packed, "B"),
         numpy_helper.from_array(scales, "S"),
         numpy_helper.from_array((rng.random(N * 3) * 15).astype(np.float32),
                                 "Z")])

    # Last, with its own seed (the data above stays as it was): the older
    # genai form, one layer.
    rng = np.random.default_rng(24)
    graph = msgenai_model(rng, layers=1, rope_op=True)
    d = os.path.join(OUT, "msgenai_rope")
    logits = genai_model_sets(d, graph, ids, layers=1, positions=True)
    ids.astype(np.uint8).tofile(os.path.join(d, "input_ids.bin"))
    np.save(os.path.join(d, "logits.npy"), logits.reshape(16, V))
    print("model msgenai_rope", len(graph.node), "nodes")

    # The dequantized weights themselves: A = I gives Y = W^T exactly (each
    # output is one weight times 1 plus zeros), so these compare bit for bit.
    rng = np.random.default_rng(25)
    N, K = 24, 80
    packed, scales, zp = quantize4(rng, N, K, 32)
    eye = np.eye(K, dtype=np.float32)
    op_case("ms_matmul_nbits_4bit_exact", [helper.make_node(
        "MatMulNBits", ["A", "B", "S", "Z"], ["Y"], K=K, N=N, bits=4,
        block_size=32, **ms)], [vi("A", T, [K, K])], {"A": eye},
        [numpy_helper.from_array(packed, "B"),
         numpy_helper.from_array(scales, "S"),
         numpy_helper.from_array(zp, "Z")])
    op_case("ms_matmul_nbits_4bit_default_zp_exact", [helper.make_node(
        "MatMulNBits", ["A", "B", "S"], ["Y"], K=K, N=N, bits=4,
        block_size=32, **ms)], [vi("A", T, [K, K])], {"A": eye},
        [numpy_helper.from_array(packed, "B"),
         numpy_helper.from_array(scales, "S")])
    q8 = rng.integers(0, 256, (N, 3, 32), dtype=np.uint8)
    op_case("ms_matmul_nbits_8bit_exact", [helper.make_node(
        "MatMulNBits", ["A", "B", "S", "Z"], ["Y"], K=K, N=N, bits=8,
        block_size=32, **ms)], [vi("A", T, [K, K])], {"A": eye},
        [numpy_helper.from_array(q8, "B"),
         numpy_helper.from_array(scales, "S"),
         numpy_helper.from_array(rng.integers(0, 256, N * 3, dtype=np.uint8),
                                 "Z")])


if __name__ == "__main__":
    main()
