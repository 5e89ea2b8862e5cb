#!/usr/bin/env bash
# Raises the float16 exports of test/models/tiny-fp16 and compares the raised
# model's logits with the onnx level's on the CPU reference (16 ids).
# Usage: bench/tiny_fp16_raise.sh BUILD_DIR > bench/results/tiny_fp16_raise.md
set -euo pipefail
build=${1:?usage: tiny_fp16_raise.sh BUILD_DIR}
bin=$build/bin
src=$(cd "$(dirname "$0")/.." && pwd)
models=$src/test/models/tiny-fp16
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "| model | onnx ops left | max abs diff | max abs logit | relative L2 | same argmax |"
echo "|---|---|---|---|---|---|"
for m in tiny-llama1b/llama1b tiny-gpt2/gpt2; do
  f=$(basename "$m")
  "$bin/sieve-translate" --import-onnx "$models/$m.onnx" |
    "$bin/sieve-opt" --sieve-simplify --sieve-raise -o "$tmp/$f.mlir"
  left=$(grep -c '= onnx\.' "$tmp/$f.mlir" || true)
  for level in onnx raised; do
    model=$models/$m.onnx
    [ "$level" = raised ] && model=$tmp/$f.mlir
    "$bin/sieve-run" "$model" --input-file "$models/input_ids.bin" \
      --input-bytes 16 --logits-out "$tmp/$f.$level.npy"
  done
  /usr/bin/python3 - "$tmp/$f.raised.npy" "$tmp/$f.onnx.npy" "$f" "$left" <<'PY'
import sys
import numpy as np
out, ref = np.load(sys.argv[1]).astype(np.float64), np.load(sys.argv[2]).astype(np.float64)
rel = np.linalg.norm(out - ref) / np.linalg.norm(ref)
same = (out.argmax(-1) == ref.argmax(-1)).mean()
print(f"| {sys.argv[3]} | {sys.argv[4]} | {np.abs(out - ref).max():.3g} | "
      f"{np.abs(ref).max():.3g} | {rel:.3g} | {same:.0%} |")
PY
done
