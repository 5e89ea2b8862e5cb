#!/usr/bin/env python3
"""Makes the tiny test models of issue 4 on the GPU machine (torch,
transformers, onnx 1.23 and onnxruntime live there; nothing is downloaded).

For each family (Llama, Qwen2, Mistral, Phi-3, Gemma, GPT-2): a tiny config
with seeded random weights, a torch.onnx dynamo export (opset 18, batch 1,
dynamic sequence, external data) and the PyTorch float32 logits for a fixed
input, checked against onnxruntime. Then single-op graphs of the opset-23
and com.microsoft operators (Attention, RMSNormalization, RotaryEmbedding,
GroupQueryAttention, SimplifiedLayerNormalization,
SkipSimplifiedLayerNormalization, RotaryEmbedding (ms), MatMulNBits) in the
ONNX backend-test layout (model.onnx, test_data_set_0/input_*.pb,
output_*.pb), with onnxruntime's CPU outputs as the reference.

Usage: python3 test/gpu/make_tiny_families.py OUT_DIR
"""
import json
import os
import sys
import traceback

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import TensorProto, helper, numpy_helper

OUT = sys.argv[1]
os.makedirs(OUT, exist_ok=True)
SEQ = 16
report = {"families": {}, "ops": {}}


def families():
    import transformers as tf
    common = dict(vocab_size=256, hidden_size=64, intermediate_size=128,
                  num_hidden_layers=2, num_attention_heads=4,
                  max_position_embeddings=256)
    yield "llama", tf.LlamaForCausalLM, tf.LlamaConfig(
        num_key_value_heads=2, rope_theta=10000.0, **common)
    yield "qwen2", tf.Qwen2ForCausalLM, tf.Qwen2Config(
        num_key_value_heads=2, rope_theta=1000000.0,
        tie_word_embeddings=True, **common)
    yield "mistral", tf.MistralForCausalLM, tf.MistralConfig(
        num_key_value_heads=2, sliding_window=None, **common)
    yield "phi3", tf.Phi3ForCausalLM, tf.Phi3Config(
        num_key_value_heads=4, pad_token_id=0, bos_token_id=1,
        eos_token_id=2, **common)
    yield "gemma", tf.GemmaForCausalLM, tf.GemmaConfig(
        num_key_value_heads=1, head_dim=16, pad_token_id=0,
        bos_token_id=1, eos_token_id=2, **common)
    yield "gpt2", tf.GPT2LMHeadModel, tf.GPT2Config(
        vocab_size=256, n_embd=64, n_layer=2, n_head=4, n_positions=256,
        bos_token_id=1, eos_token_id=2)


class LogitsOnly(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids):
        return self.model(input_ids=input_ids, use_cache=False).logits


def export_family(name, cls, config):
    torch.manual_seed(0)
    model = cls(config).eval().float()
    # Larger random weights than the init's 0.02, so the logits are not
    # nearly uniform and raising mistakes show.
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() >= 2:
                p.normal_(0.0, 0.08)
            else:
                p.add_(torch.randn_like(p) * 0.1)
    wrapped = LogitsOnly(model)
    gen = torch.Generator().manual_seed(1)
    ids = torch.randint(0, 256, (1, SEQ), generator=gen)
    with torch.no_grad():
        logits = wrapped(ids).float().numpy()
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, f"{name}.onnx")
    seq = torch.export.Dim("seq", min=2, max=256)
    torch.onnx.export(wrapped, (ids,), path, dynamo=True, opset_version=18,
                      dynamic_shapes={"input_ids": {1: seq}},
                      external_data=True)
    np.save(os.path.join(d, "input_ids.npy"), ids.numpy())
    np.save(os.path.join(d, "logits.npy"), logits)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = sess.run(None, {"input_ids": ids.numpy()})[0]
    err = float(np.linalg.norm(got - logits) / np.linalg.norm(logits))
    m = onnx.load(path, load_external_data=False)
    ops = sorted({n.op_type for n in m.graph.node})
    report["families"][name] = {
        "config": {k: v for k, v in config.to_dict().items()
                   if isinstance(v, (int, float, str, bool)) or v is None},
        "ort_relative_error": err, "nodes": len(m.graph.node), "ops": ops,
        "parameters": sum(p.numel() for p in model.parameters())}
    print(f"{name}: {len(m.graph.node)} nodes, ort rel err {err:.2e}")


def save_case(name, graph, inputs, opsets):
    d = os.path.join(OUT, "ops", name)
    os.makedirs(os.path.join(d, "test_data_set_0"), exist_ok=True)
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 10
    path = os.path.join(d, "model.onnx")
    onnx.save(model, path)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    feeds = {i.name: inputs[i.name] for i in graph.input}
    outs = sess.run(None, feeds)
    for k, i in enumerate(graph.input):
        t = numpy_helper.from_array(inputs[i.name], i.name)
        with open(os.path.join(d, "test_data_set_0", f"input_{k}.pb"), "wb") as f:
            f.write(t.SerializeToString())
    for k, (o, v) in enumerate(zip(graph.output, outs)):
        t = numpy_helper.from_array(np.asarray(v), o.name)
        with open(os.path.join(d, "test_data_set_0", f"output_{k}.pb"), "wb") as f:
            f.write(t.SerializeToString())
    report["ops"][name] = {"outputs": [list(np.asarray(v).shape) for v in outs]}
    print(f"op case {name}: ok")


def op_cases():
    rng = np.random.default_rng(0)
    f = lambda *s: rng.standard_normal(s).astype(np.float32)
    std23 = [helper.make_opsetid("", 23)]
    ms = [helper.make_opsetid("", 23), helper.make_opsetid("com.microsoft", 1)]
    T = TensorProto.FLOAT
    vi = helper.make_tensor_value_info

    # opset-23 Attention: 4D q/k/v [B, H, S, D], GQA 4/2, causal.
    g = helper.make_graph(
        [helper.make_node("Attention", ["Q", "K", "V"], ["Y"], is_causal=1)],
        "attention_gqa_causal",
        [vi("Q", T, [1, 4, 8, 16]), vi("K", T, [1, 2, 8, 16]),
         vi("V", T, [1, 2, 8, 16])], [vi("Y", T, None)])
    yield "attention_gqa_causal", g, {"Q": f(1, 4, 8, 16), "K": f(1, 2, 8, 16),
                                      "V": f(1, 2, 8, 16)}, std23
    # 3D form with head counts.
    g = helper.make_graph(
        [helper.make_node("Attention", ["Q", "K", "V"], ["Y"], is_causal=1,
                          q_num_heads=4, kv_num_heads=2, scale=0.2)],
        "attention_3d", [vi("Q", T, [2, 8, 64]), vi("K", T, [2, 8, 32]),
                         vi("V", T, [2, 8, 32])], [vi("Y", T, None)])
    yield "attention_3d", g, {"Q": f(2, 8, 64), "K": f(2, 8, 32),
                              "V": f(2, 8, 32)}, std23
    g = helper.make_graph(
        [helper.make_node("RMSNormalization", ["X", "S"], ["Y"], axis=-1,
                          epsilon=1e-6)],
        "rms_normalization", [vi("X", T, [2, 8, 64]), vi("S", T, [64])],
        [vi("Y", T, None)])
    yield "rms_normalization", g, {"X": f(2, 8, 64), "S": f(64)}, std23
    pos = np.tile(np.arange(8, dtype=np.int64), (2, 1))
    ang = np.arange(32)[:, None] * (10000 ** (-np.arange(0, 16, 2) / 16))[None]
    cos, sin = np.cos(ang).astype(np.float32), np.sin(ang).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("RotaryEmbedding", ["X", "C", "S", "P"], ["Y"],
                          num_heads=4)],
        "rotary_embedding", [vi("X", T, [2, 8, 64]), vi("C", T, [32, 8]),
                             vi("S", T, [32, 8]),
                             vi("P", TensorProto.INT64, [2, 8])],
        [vi("Y", T, None)])
    yield "rotary_embedding", g, {"X": f(2, 8, 64), "C": cos, "S": sin,
                                  "P": pos}, std23
    g = helper.make_graph(
        [helper.make_node("SimplifiedLayerNormalization", ["X", "S"], ["Y"],
                          epsilon=1e-6, axis=-1, domain="")],
        "ms_simplified_layer_norm", [vi("X", T, [2, 8, 64]), vi("S", T, [64])],
        [vi("Y", T, None)])
    yield "simplified_layer_norm", g, {"X": f(2, 8, 64), "S": f(64)}, ms
    g = helper.make_graph(
        [helper.make_node("SkipSimplifiedLayerNormalization", ["X", "K", "G"],
                          ["Y", "", "", "Sum"], epsilon=1e-6,
                          domain="com.microsoft")],
        "ms_skip_simplified_layer_norm",
        [vi("X", T, [2, 8, 64]), vi("K", T, [2, 8, 64]), vi("G", T, [64])],
        [vi("Y", T, None), vi("Sum", T, None)])
    yield "ms_skip_simplified_layer_norm", g, {"X": f(2, 8, 64),
                                               "K": f(2, 8, 64),
                                               "G": f(64)}, ms
    g = helper.make_graph(
        [helper.make_node("RotaryEmbedding", ["X", "P", "C", "S"], ["Y"],
                          domain="com.microsoft", num_heads=4)],
        "ms_rotary_embedding", [vi("X", T, [2, 8, 64]),
                                vi("P", TensorProto.INT64, [2, 8]),
                                vi("C", T, [32, 8]), vi("S", T, [32, 8])],
        [vi("Y", T, None)])
    yield "ms_rotary_embedding", g, {"X": f(2, 8, 64), "P": pos, "C": cos,
                                     "S": sin}, ms
    # GroupQueryAttention, prefill from an empty cache (buffers of 8).
    hd, nh, kvh, S = 16, 4, 2, 8
    g = helper.make_graph(
        [helper.make_node(
            "GroupQueryAttention",
            ["Q", "K", "V", "PK", "PV", "SL", "TL"], ["Y", "PKo", "PVo"],
            domain="com.microsoft", num_heads=nh, kv_num_heads=kvh)],
        "ms_group_query_attention",
        [vi("Q", T, [1, S, nh * hd]), vi("K", T, [1, S, kvh * hd]),
         vi("V", T, [1, S, kvh * hd]), vi("PK", T, [1, kvh, S, hd]),
         vi("PV", T, [1, kvh, S, hd]), vi("SL", TensorProto.INT32, [1]),
         vi("TL", TensorProto.INT32, [])],
        [vi("Y", T, None), vi("PKo", T, None), vi("PVo", T, None)])
    yield "ms_group_query_attention", g, {
        "Q": f(1, S, nh * hd), "K": f(1, S, kvh * hd), "V": f(1, S, kvh * hd),
        "PK": np.zeros((1, kvh, S, hd), np.float32),
        "PV": np.zeros((1, kvh, S, hd), np.float32),
        "SL": np.array([S - 1], np.int32), "TL": np.array(S, np.int32)}, ms
    # MatMulNBits: 4-bit weights [N=32, K=64], block 32, no zero points
    # (the default zero point is 8).
    N, K, blk = 32, 64, 32
    packed = rng.integers(0, 256, (N, K // blk, blk // 2), dtype=np.uint8)
    scales = (rng.random((N * (K // blk),)) * 0.1).astype(np.float32)
    g = helper.make_graph(
        [helper.make_node("MatMulNBits", ["A", "B", "S"], ["Y"],
                          domain="com.microsoft", K=K, N=N, bits=4,
                          block_size=blk)],
        "ms_matmul_nbits", [vi("A", T, [2, 4, K])], [vi("Y", T, None)],
        [numpy_helper.from_array(packed, "B"),
         numpy_helper.from_array(scales, "S")])
    yield "ms_matmul_nbits", g, {"A": f(2, 4, K)}, ms


torch.set_grad_enabled(False)
for name, cls, config in families():
    try:
        export_family(name, cls, config)
    except Exception as e:  # report and go on: one family must not hide others
        traceback.print_exc()
        report["families"][name] = {"error": f"{type(e).__name__}: {e}"}
for case in op_cases():
    try:
        save_case(*case)
    except Exception as e:
        traceback.print_exc()
        report["ops"][case[0]] = {"error": f"{type(e).__name__}: {e}"}
with open(os.path.join(OUT, "report.json"), "w") as f:
    json.dump(report, f, indent=1)
print(json.dumps({k: {n: ("error" if "error" in v else "ok")
                      for n, v in d.items()} for k, d in report.items()}))
