#!/usr/bin/env bash
# Bits per byte of llama12 on valid.txt by onnxruntime (CPU, 2 threads,
# through onnxruntime-node from npm, as build-notes.md describes) and by the
# sieve CPU reference at the onnx and sieve levels, back to back in one run,
# so the times compare on the same machine under the same load.
#
#   bench/eval_vs_onnxruntime.sh [BUILD_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
MODEL="${SIEVE_EVAL_MODEL:-$ROOT/../shared/models/llama12/llama12.onnx}"
TEXT="$ROOT/models/llama12/valid.txt"
ORT_DIR="${ORT_DIR:-$HOME/.cache/sieve-ort}"
if [ ! -d "$ORT_DIR/node_modules/onnxruntime-node" ]; then
  mkdir -p "$ORT_DIR"
  (cd "$ORT_DIR" && npm install --silent --ignore-scripts onnxruntime-node@1.30)
fi
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
"$BUILD/bin/sieve-translate" --import-onnx "$MODEL" |
  "$BUILD/bin/sieve-opt" --sieve-simplify --sieve-raise -o "$TMP/raised.mlir"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo -n "onnxruntime:        "
NODE_PATH="$ORT_DIR/node_modules" node "$ROOT/bench/ort_eval.js" "$MODEL" "$TEXT"
echo -n "sieve, onnx level:  "
"$BUILD/bin/sieve-run" "$MODEL" --eval "$TEXT" --json --threads=2 2>/dev/null
echo -n "sieve, sieve level: "
"$BUILD/bin/sieve-run" "$TMP/raised.mlir" --eval "$TEXT" --json --threads=2 2>/dev/null
echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"
