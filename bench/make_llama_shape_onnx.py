#!/usr/bin/python3
"""Writes a Llama-shaped ONNX model of any size without PyTorch, for
measuring sieve-compile on large models (issue 6: compile time and peak RSS
of the Llama-3-8B shape) on a machine where a torch export is too slow or
impossible. The graph is the opset-23 Llama decoder of
test/models/gen/make_genai_models.py (RMSNormalization, RotaryEmbedding,
Attention, SwiGLU), scaled to the shape's sizes; its weights are float32 in
one external-data file, written tensor by tensor (host memory stays at one
tensor). Weight values are a seeded random 1 MiB block repeated: compiling
does not depend on them, and the file is written at disk speed.

  /usr/bin/python3 bench/make_llama_shape_onnx.py {llama1b,llama8b} OUT_DIR
"""
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
}


class ExternalWeights:
    """Appends float32 tensors to one data file; returns initializers that
    reference it."""

    def __init__(self, path):
        self.path, self.f = path, open(path, "wb")
        block = np.random.default_rng(1).standard_normal(1 << 18).astype(np.float32)
        self.block = block * np.float32(0.02)

    def tensor(self, name, shape, fill=None):
        count = int(np.prod(shape))
        offset = self.f.tell()
        if fill is not None:
            self.f.write(np.full(count, fill, np.float32).tobytes())
        else:
            left = count
            while left:
                n = min(left, self.block.size)
                self.f.write(self.block[:n].tobytes())
                left -= n
        t = TensorProto()
        t.name, t.data_type = name, TensorProto.FLOAT
        t.dims.extend(shape)
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", os.path.basename(self.path)), ("offset", str(offset)),
                     ("length", str(count * 4))):
            e = t.external_data.add()
            e.key, e.value = k, v
        return t


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in SHAPES:
        sys.exit(__doc__)
    name, out = sys.argv[1], sys.argv[2]
    (gen.V, gen.HID, gen.NH, gen.KVH, gen.HD, gen.FF, gen.LAYERS) = SHAPES[name]
    gen.MAXPOS = 8192
    os.makedirs(out, exist_ok=True)
    data = ExternalWeights(os.path.join(out, f"{name}.onnx.data"))

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
    print(f"{name}: {os.path.getsize(data.path) / 1e9:.1f} GB of float32 weights in {out}")


if __name__ == "__main__":
    main()
