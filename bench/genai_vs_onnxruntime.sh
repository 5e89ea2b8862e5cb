#!/bin/bash
# The opset-23 and onnxruntime-genai style models of test/models/genai on the
# CPU reference against onnxruntime 1.30's logits (committed with them),
# at the onnx level and raised (sieve level). Prints a markdown table.
#
#   bash bench/genai_vs_onnxruntime.sh [BUILD_DIR] > bench/results/genai_vs_onnxruntime.md
#
# The msgenai graphs take a mask and past KV besides the ids, which
# sieve-run's model mode does not feed: their onnx level is checked by
# sieve-onnx-test on its backend-test sets (prefill, and decode from
# onnxruntime's presents) instead of a logits file.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${1:-$ROOT/build}/bin"
MODELS="$ROOT/test/models/genai"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

compare() { # OUT REF -> "rel | max abs"
  /usr/bin/python3 - "$1" "$2" <<'PY'
import sys, numpy as np
o, r = np.load(sys.argv[1]).astype(np.float64), np.load(sys.argv[2]).astype(np.float64)
print(f"{np.linalg.norm(o - r) / np.linalg.norm(r):.2e} | {np.abs(o - r).max():.2e}")
PY
}

echo "| model | level | logits vs onnxruntime: relative L2 | max abs |"
echo "|---|---|---|---|"
for m in opset23 msgenai msgenai_rope; do
  ids="$MODELS/$m/input_ids.bin"
  if [ "$m" = opset23 ]; then
    "$BIN/sieve-run" "$MODELS/$m/model.onnx" --input-file "$ids" --input-bytes 16 \
      --logits-out "$TMP/$m.onnx.npy" > /dev/null
    echo "| $m | onnx | $(compare "$TMP/$m.onnx.npy" "$MODELS/$m/logits.npy") |"
  else
    verdict=$("$BIN/sieve-onnx-test" --atol 1e-5 --filter "^$m\$" "$MODELS")
    verdict="${verdict%%$'\n'*}"
    echo "| $m | onnx | sieve-onnx-test --atol 1e-5 (prefill and decode sets): ${verdict%%:*} | |"
  fi
  "$BIN/sieve-translate" --import-onnx --elide-resources-larger-than=0 \
    "$MODELS/$m/model.onnx" -o "$TMP/$m.in.mlir"
  "$BIN/sieve-opt" --sieve-simplify --sieve-raise "$TMP/$m.in.mlir" -o "$TMP/$m.mlir" 2> /dev/null
  "$BIN/sieve-run" "$TMP/$m.mlir" --input-file "$ids" --input-bytes 16 \
    --logits-out "$TMP/$m.sieve.npy" > /dev/null
  echo "| $m | sieve (raised) | $(compare "$TMP/$m.sieve.npy" "$MODELS/$m/logits.npy") |"
done
