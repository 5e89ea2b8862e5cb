#!/usr/bin/python3
"""Writes a Llama-shaped ONNX model of any size without PyTorch, for
measuring sieve-compile on large models (issue 6: compile time and peak RSS
of the Llama-3-8B shape) on a machine where a torch export is too slow or
impossible, and for the GPU benchmarks of the 8B shape (issues 7-10: a
torch fp16 export of it took 443 s on the H100 machine; this writes it at
disk speed). The graph is the opset-23 Llama decoder of
test/models/gen/make_genai_models.py (RMSNormalization, RotaryEmbedding,
Attention, SwiGLU, an untied LM head), scaled to the shape's sizes; its
weights are in one external-data file, written tensor by tensor (host
memory stays at one tensor). With --dtype fp16 the whole graph is float16
(as a Hugging Face fp16 export), the weights half the size. Weight values
are a seeded random block (N(0, 0.02)) repeated: neither compiling nor the
speed of the compiled model depends on them, so this is for timing and
memory only. --max-pos sets the rotary tables' positions (the longest
context the compiled model accepts).

  /usr/bin/python3 bench/make_llama_shape_onnx.py {llama1b,llama8b,tiny} OUT_DIR
      [--dtype fp32|fp16] [--max-pos N]
"""
import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test",
                                "models", "gen"))
import make_genai_models as gen  # noqa: E402

# vocab, hidden, heads, kv heads, head dim, intermediate, layers (the
# Hugging Face configs of Llama-3.2-1B and Llama-3-8B).
SHAPES = {
    "llama1b": (128256, 2048, 32, 8, 64, 8192, 16),
    "llama8b": (128256, 4096, 32, 8, 128, 14336, 32),
    "tiny": (256, 128, 4, 2, 32, 256, 2),  # for checking the script itself
}
DTYPES = {"fp32": (np.float32, TensorProto.FLOAT), "fp16": (np.float16, TensorProto.FLOAT16)}


class ExternalWeights:
    """Appends tensors of one element type to one data file; returns
    initializers that reference it."""

    def __init__(self, path, dtype):
        self.path, self.f = path, open(path, "wb")
        self.np_type, self.onnx_type = DTYPES[dtype]
        block = np.random.default_rng(1).standard_normal(1 << 18) * 0.02
        self.block = block.astype(self.np_type)

    def tensor(self, name, shape, fill=None):
        count = int(np.prod(shape))
        offset = self.f.tell()
        if fill is not None:
            self.f.write(np.full(count, fill, self.np_type).tobytes())
        else:
            left = count
            while left:
                n = min(left, self.block.size)
                self.f.write(self.block[:n].tobytes())
                left -= n
        t = TensorProto()
        t.name, t.data_type = name, self.onnx_type
        t.dims.extend(shape)
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", os.path.basename(self.path)), ("offset", str(offset)),
                     ("length", str(count * self.block.itemsize))):
            e = t.external_data.add()
            e.key, e.value = k, v
        return t


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("shape", choices=sorted(SHAPES))
    ap.add_argument("out_dir")
    ap.add_argument("--dtype", choices=sorted(DTYPES), default="fp32",
                    help="element type of the weights and the graph (default fp32)")
    ap.add_argument("--max-pos", type=int, default=8192,
                    help="positions of the rotary tables (default 8192)")
    args = ap.parse_args()
    if not 1 <= args.max_pos <= 1 << 20:
        ap.error(f"--max-pos {args.max_pos} is outside [1, 2^20]")
    name, out = args.shape, args.out_dir
    (gen.V, gen.HID, gen.NH, gen.KVH, gen.HD, gen.FF, gen.LAYERS) = SHAPES[name]
    gen.MAXPOS = args.max_pos
    np_type, gen.T = DTYPES[args.dtype]  # the graph's float type (value infos, logits)
    float_cos_sin = gen.cos_sin
    gen.cos_sin = lambda: tuple(a.astype(np_type) for a in float_cos_sin())
    os.makedirs(out, exist_ok=True)
    data = ExternalWeights(os.path.join(out, f"{name}.onnx.data"), args.dtype)

    def weight(self, hint, shape, scale=None):
        n = self.name(hint)
        self.inits.append(data.tensor(n, list(shape)))
        return n

    def norm_weight(self, hint):
        n = self.name(hint)
        self.inits.append(data.tensor(n, [gen.HID], fill=1.0))
        return n

    gen.Graph.weight, gen.Graph.norm_weight = weight, norm_weight
    graph = gen.opset23_model(np.random.default_rng(0))
    data.f.close()
    model = helper.make_model(graph, opset_imports=gen.OPSETS)
    model.ir_version = 10
    onnx.save(model, os.path.join(out, f"{name}.onnx"))
    print(f"{name}: {os.path.getsize(data.path) / 1e9:.1f} GB of {args.dtype} weights, "
          f"{args.max_pos} positions, in {out}")


if __name__ == "__main__":
    main()
