#!/usr/bin/env python3
"""Exports a Hugging Face model shape with seeded random weights to ONNX on
the GPU machine, with PyTorch's fp16 logits for a fixed input at batch 1 and
batch 8 (the reference sieve's compiled model is compared with).

Shapes (build-notes.md): llama1b (Llama-3.2-1B), qwen1.5b (Qwen2.5-1.5B),
gpt2 (124M), llama8b (Llama-3-8B). Plain RoPE (no llama3 rope scaling).

The PyTorch reference runs in fp16 on the GPU; the ONNX file is exported
from a float32 copy of the same weights by default (--onnx-dtype fp16
exports the fp16 model itself), and sieve-compile --dtype f16 rounds them
back to the same fp16 values.

Usage: export_hf.py NAME OUT_DIR [--seq 64] [--no-logits] [--onnx-dtype fp32|fp16]
Writes OUT_DIR/NAME.onnx (+ .data), ids_b1.npy, ids_b8.npy, logits_b1.npy,
logits_b8.npy (float32 copies of the fp16 logits) and info.json.
"""
import argparse
import json
import os
import time

import numpy as np
import torch
import transformers as tf


def config(name):
    if name == "llama1b":
        return tf.LlamaForCausalLM, tf.LlamaConfig(
            vocab_size=128256, hidden_size=2048, intermediate_size=8192,
            num_hidden_layers=16, num_attention_heads=32,
            num_key_value_heads=8, head_dim=64, rope_theta=500000.0,
            tie_word_embeddings=True, max_position_embeddings=8192,
            rms_norm_eps=1e-5)
    if name == "qwen1.5b":
        return tf.Qwen2ForCausalLM, tf.Qwen2Config(
            vocab_size=151936, hidden_size=1536, intermediate_size=8960,
            num_hidden_layers=28, num_attention_heads=12,
            num_key_value_heads=2, rope_theta=1000000.0,
            tie_word_embeddings=True, max_position_embeddings=8192,
            rms_norm_eps=1e-6)
    if name == "llama8b":
        return tf.LlamaForCausalLM, tf.LlamaConfig(
            vocab_size=128256, hidden_size=4096, intermediate_size=14336,
            num_hidden_layers=32, num_attention_heads=32,
            num_key_value_heads=8, rope_theta=500000.0,
            tie_word_embeddings=False, max_position_embeddings=8192,
            rms_norm_eps=1e-5)
    if name == "gpt2":
        return tf.GPT2LMHeadModel, tf.GPT2Config(
            vocab_size=50257, n_embd=768, n_layer=12, n_head=12,
            n_positions=1024)
    raise SystemExit(f"unknown model shape {name}")


def build_model(cls, cfg):
    """The fp16 model on the GPU with the seeded weights every script uses.
    The default init (std 0.02) gives near-uniform logits; wider weights
    make a wrong kernel show."""
    torch.manual_seed(0)
    torch.set_default_dtype(torch.float16)
    with torch.device("cuda"):
        model = cls(cfg).eval()
    torch.set_default_dtype(torch.float32)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() >= 2:
                p.normal_(0.0, 0.04)
    return model


class LogitsOnly(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids):
        return self.model(input_ids=input_ids, use_cache=False).logits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name")
    ap.add_argument("out")
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--no-logits", action="store_true")
    ap.add_argument("--onnx-dtype", choices=["fp32", "fp16"], default="fp32")
    ap.add_argument("--tiny", action="store_true",
                    help="2 layers, hidden 128: a small export to debug with")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    cls, cfg = config(a.name)
    if a.tiny:
        if a.name == "gpt2":
            cfg.n_layer, cfg.n_embd, cfg.n_head, cfg.vocab_size = 2, 128, 2, 256
        else:
            cfg.num_hidden_layers, cfg.hidden_size = 2, 128
            cfg.intermediate_size, cfg.vocab_size = 256, 256
            cfg.num_attention_heads, cfg.num_key_value_heads = 2, 1
            cfg.head_dim = 64
    t0 = time.time()
    model = build_model(cls, cfg)
    wrapped = LogitsOnly(model).eval()
    gen = torch.Generator().manual_seed(1)
    ids8 = torch.randint(0, cfg.vocab_size, (8, a.seq), generator=gen)
    info = {"name": a.name, "parameters": sum(p.numel() for p in model.parameters()),
            "config": {k: v for k, v in cfg.to_dict().items()
                       if isinstance(v, (int, float, str, bool))}}
    if not a.no_logits:
        with torch.no_grad():
            l8 = wrapped(ids8.cuda()).float().cpu().numpy()
            l1 = wrapped(ids8[:1].cuda()).float().cpu().numpy()
        np.save(os.path.join(a.out, "ids_b8.npy"), ids8.numpy())
        np.save(os.path.join(a.out, "ids_b1.npy"), ids8[:1].numpy())
        np.save(os.path.join(a.out, "logits_b8.npy"), l8)
        np.save(os.path.join(a.out, "logits_b1.npy"), l1)
    t1 = time.time()
    path = os.path.join(a.out, f"{a.name}.onnx")
    seq = torch.export.Dim("seq", min=2, max=4096)
    if a.onnx_dtype == "fp32":
        wrapped = wrapped.float()
    with torch.no_grad():
        torch.onnx.export(wrapped, (ids8[:1].cuda(),), path, dynamo=True,
                          opset_version=18,
                          dynamic_shapes={"input_ids": {1: seq}},
                          external_data=True)
    info["export_seconds"] = round(time.time() - t1, 1)
    info["onnx_dtype"] = a.onnx_dtype
    info["build_seconds"] = round(t1 - t0, 1)
    with open(os.path.join(a.out, "info.json"), "w") as f:
        json.dump(info, f, indent=1)
    print(json.dumps({"exported": a.name, "parameters": info["parameters"],
                      "export_seconds": info["export_seconds"]}), flush=True)


if __name__ == "__main__":
    main()
