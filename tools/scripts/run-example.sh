#!/usr/bin/env bash
# Installs dependencies, builds sieve and runs the main job on the bundled
# example model (models/llama12): import it, simplify it and print a summary.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${SIEVE_BUILD_DIR:-$ROOT/build}"
SCRIPTS="$ROOT/tools/scripts"
MODEL="${1:-$ROOT/models/llama12/llama12_fp16w.onnx}"

bash "$SCRIPTS/install-deps.sh"
bash "$SCRIPTS/build.sh" "$BUILD" sieve-opt sieve-translate
OUT="$BUILD/example"
mkdir -p "$OUT"
echo "sieve: importing $MODEL"
"$BUILD/bin/sieve-translate" --import-onnx "$MODEL" -o "$OUT/imported.mlir"
echo "sieve: simplifying"
"$BUILD/bin/sieve-opt" --sieve-simplify "$OUT/imported.mlir" -o "$OUT/simplified.mlir"
python3 "$SCRIPTS/summarize-mlir.py" "$OUT/imported.mlir" "$OUT/simplified.mlir"
