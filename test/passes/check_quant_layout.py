"""Checks --sieve-quantize's stored arrays against docs/quantization.md.

  check_quant_layout.py RAISED.mlir QUANTIZED.mlir MODEL_DIR

Pairs each `sieve.weight` of RAISED with the `sieve.quantized_weight` on the
same line of QUANTIZED (the pass replaces ops in place), reads the float
weight (external data under MODEL_DIR) and the stored arrays, and checks
them with an independent numpy implementation of the documented formats:
int8 and int4 codes, scales and zero points must be bit-identical; fp8
codes must decode to the E4M3 value nearest to w / scale. With
input_scales (AWQ) the float weight is first multiplied by them. Prints one
summary line; exits 1 on the first mismatch."""
import os
import re
import sys

import numpy as np

EXT = r'#onnx\.external<"([^"]+)", (\d+), (\d+)> : tensor<([0-9x]+)x(\w+)>'
DTYPES = {"f32": np.float32, "f16": np.float16, "i8": np.int8,
          "ui4": np.uint8, "f8E4M3FN": np.uint8}


def read(path, offset, length, shape, et, base):
    path = path if os.path.isabs(path) else os.path.join(base, path)
    with open(path, "rb") as f:
        f.seek(offset)
        raw = np.frombuffer(f.read(length), dtype=DTYPES[et])
    if et == "ui4":  # two per byte, low nibble first, flat order
        raw = np.stack([raw & 15, raw >> 4], axis=-1).reshape(-1)
    n = int(np.prod(shape))
    return raw[:n].reshape(shape)


def field(line, name, base):
    m = re.search(r"(?<!\w)" + name + r" = " + EXT, line)
    if not m:
        return None
    shape = [int(d) for d in m.group(4).split("x")]
    return read(m.group(1), int(m.group(2)), int(m.group(3)), shape,
                m.group(5), base)


def fp8_table():
    vals = []
    for code in range(128):
        e, m = code >> 3, code & 7
        if e == 15 and m == 7:
            vals.append(np.nan)
        elif e == 0:
            vals.append(m * 2.0 ** -9)
        else:
            vals.append((1 + m / 8) * 2.0 ** (e - 7))
    pos = np.array(vals, dtype=np.float64)
    return np.concatenate([pos, -pos])


def check(w, line, base):
    fmt = re.search(r"format = #sieve\.quant<(\w+)(?:, group = (\d+))?", line)
    kind = fmt.group(1)
    data, scales = field(line, "data", base), field(line, "scales", base)
    ins = field(line, "input_scales", base)
    if ins is not None:
        w = w * ins[:, None]
    K, N = w.shape
    wt = w.T.astype(np.float32)  # [N, K]
    if kind == "int8":
        s = (np.abs(wt).max(axis=1) / np.float32(127)).astype(np.float32)
        q = np.clip(np.rint(wt / s[:, None]), -127, 127)
        return np.array_equal(s, scales) and np.array_equal(q, data)
    if kind == "int4":
        g = int(fmt.group(2))
        zeros = field(line, "zeros", base)
        blocks = wt.reshape(N, K // g, g)
        lo, hi = blocks.min(axis=2), blocks.max(axis=2)
        s = ((hi - lo) / np.float32(15)).astype(np.float16).astype(np.float32)
        assert (s > 0).all(), "constant group"
        z = np.clip(np.rint(-lo / s), 0, 15)
        q = np.clip(np.rint(blocks / s[:, :, None]) + z[:, :, None], 0, 15)
        return (np.array_equal(s, scales.astype(np.float32))
                and np.array_equal(z, zeros)
                and np.array_equal(q.reshape(N, K), data))
    if kind == "fp8":
        s = (np.abs(wt).max(axis=1) / np.float32(448)).astype(np.float32)
        if not np.array_equal(s, scales):
            return False
        table = fp8_table()
        x = (wt / s[:, None]).astype(np.float64).reshape(-1)
        got = table[data.reshape(-1)]
        finite = table[np.isfinite(table)]
        # distance to the nearest representable value; ties allow either
        best = np.abs(x[:, None] - finite[None, :]).min(axis=1)
        return bool(np.all(np.abs(x - got) <= best + 1e-12))
    raise SystemExit(f"unknown format {kind}")


raised = open(sys.argv[1]).read().splitlines()
quant = open(sys.argv[2]).read().splitlines()
base = sys.argv[3]
if len(raised) != len(quant):
    sys.exit("the files differ in line count")
counts = {}
for a, b in zip(raised, quant):
    if "sieve.quantized_weight" not in b:
        continue
    m = re.search(r"value = " + EXT, a)
    if "sieve.weight" not in a or not m:
        sys.exit(f"no float weight on the line of: {b.strip()[:80]}")
    shape = [int(d) for d in m.group(4).split("x")]
    w = read(m.group(1), int(m.group(2)), int(m.group(3)), shape,
             m.group(5), base).astype(np.float32)
    if not check(w, b, base):
        sys.exit(f"MISMATCH: {b.strip()[:120]}")
    kind = re.search(r"#sieve\.quant<(\w+)", b).group(1)
    counts[kind] = counts.get(kind, 0) + 1
print("checked " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
      + ": OK")
