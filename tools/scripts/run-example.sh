#!/usr/bin/env bash
# Installs dependencies, builds sieve and runs the main job on the bundled
# example model (models/llama12): import it, simplify it, print a summary,
# raise it to the sieve dialect, compile it for the GPU with sieve-compile
# (CUDA source, packed weights and, when nvcc is present, libmodel.so), then
# generate a continuation of a prompt and measure bits per byte on held-out
# text: on the GPU when one is present, on the CPU reference otherwise.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${SIEVE_BUILD_DIR:-$ROOT/build}"
SCRIPTS="$ROOT/tools/scripts"
MODEL="${1:-$ROOT/models/llama12/llama12_fp16w.onnx}"

bash "$SCRIPTS/install-deps.sh"
bash "$SCRIPTS/build.sh" "$BUILD" sieve-opt sieve-translate sieve-run sieve-compile
OUT="$BUILD/example"
mkdir -p "$OUT"
echo "sieve: importing $MODEL"
"$BUILD/bin/sieve-translate" --import-onnx "$MODEL" -o "$OUT/imported.mlir"
echo "sieve: simplifying and raising to the sieve dialect"
"$BUILD/bin/sieve-opt" --sieve-simplify "$OUT/imported.mlir" -o "$OUT/simplified.mlir"
"$BUILD/bin/sieve-opt" --sieve-raise "$OUT/simplified.mlir" -o "$OUT/raised.mlir"
python3 "$SCRIPTS/summarize-mlir.py" "$OUT/imported.mlir" "$OUT/simplified.mlir"
echo "== $OUT/raised.mlir"
echo "   $(grep -c 'sieve.decoder_layer' "$OUT/raised.mlir") decoder layers," \
     "$(grep -c '= onnx\.' "$OUT/raised.mlir" || true) onnx ops left"
NVCC="$(command -v nvcc || true)"
[[ -z "$NVCC" && -x /usr/local/cuda/bin/nvcc ]] && NVCC=/usr/local/cuda/bin/nvcc
BUILD_FLAGS=(--no-build)
[[ -n "$NVCC" ]] && BUILD_FLAGS=(--nvcc "$NVCC")
echo "sieve: compiling for the GPU (${NVCC:-no nvcc: sources and weights only})"
"$BUILD/bin/sieve-compile" "$MODEL" -o "$OUT/model.sieve" "${BUILD_FLAGS[@]}"
if [[ -n "$NVCC" ]] && command -v nvidia-smi >/dev/null && nvidia-smi >/dev/null 2>&1; then
  echo "sieve: generating on the GPU (compiled model, CUDA graphs)"
  "$BUILD/bin/sieve-run" "$OUT/model.sieve" \
    --prompt "The list type in Python" --max-new-tokens 64
  echo
  echo "sieve: bits per byte on valid.txt (all windows) on the GPU"
  "$BUILD/bin/sieve-run" "$OUT/model.sieve" --eval "$ROOT/models/llama12/valid.txt"
  exit 0
fi
echo "sieve: no GPU here: generating on the CPU reference executor"
"$BUILD/bin/sieve-run" "$OUT/raised.mlir" --device=cpu \
  --prompt "The list type in Python" --max-new-tokens 64
echo
echo "sieve: bits per byte on the first 16 windows of valid.txt"
"$BUILD/bin/sieve-run" "$OUT/raised.mlir" --device=cpu \
  --eval "$ROOT/models/llama12/valid.txt" --max-windows 16
