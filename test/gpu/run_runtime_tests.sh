#!/usr/bin/env bash
# Builds and runs the CUDA runtime tests (kernel launchers, C API, sampling).
#
#   test/gpu/run_runtime_tests.sh [--compile-only] [--bench] [--sanitize] [BUILD_DIR]
#
# --compile-only  nvcc-compiles every runtime and test source (no GPU needed;
#                 what CI can check) and stops.
# --bench         also times attention and GEMM (kernel_test --bench).
# --sanitize      also runs the f16 C-API test under compute-sanitizer memcheck
#                 and the attention kernel tests under racecheck.
# Exit status: non-zero if any build or test fails; 77 when no GPU is present
# (after the compile step).
set -euo pipefail

SRC="$(cd "$(dirname "$0")/../.." && pwd)"
COMPILE_ONLY=0 BENCH=0 SANITIZE=0 BUILD=""
for arg in "$@"; do
  case "$arg" in
    --compile-only) COMPILE_ONLY=1 ;;
    --bench) BENCH=1 ;;
    --sanitize) SANITIZE=1 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    -*) echo "run_runtime_tests.sh: unknown option $arg" >&2; exit 2 ;;
    *) BUILD="$arg" ;;
  esac
done
BUILD="${BUILD:-$SRC/build-gpu-tests}"
NVCC="${NVCC:-/usr/local/cuda/bin/nvcc}"
[ -x "$NVCC" ] || { echo "run_runtime_tests.sh: no nvcc at $NVCC (set NVCC)" >&2; exit 2; }
mkdir -p "$BUILD"
FLAGS=(-std=c++17 -O2 -gencode=arch=compute_90a,code=sm_90a -I"$SRC/runtime" -I"$SRC/include"
       -I"$SRC/test/gpu" -Xcompiler -Wall)

# name source [extra flags...]: one object per line, compiled in parallel.
OBJECTS=(
  "runtime runtime/runtime.cu"
  "sampling runtime/sampling.cu"
  "tiny_f16 test/gpu/tiny_model.cu"
  "tiny_bf16 test/gpu/tiny_model.cu -DTINY_BF16"
  "capi_f16 test/gpu/capi_test.cu"
  "capi_bf16 test/gpu/capi_test.cu -DTINY_BF16"
  "kernel_test test/gpu/kernel_test.cu"
  "quant_gemm_test test/gpu/quant_gemm_test.cu"
  "fused_gemm_test test/gpu/fused_gemm_test.cu"
)
pids=()
for line in "${OBJECTS[@]}"; do
  read -r name src extra <<<"$line"
  "$NVCC" "${FLAGS[@]}" ${extra:-} -c "$SRC/$src" -o "$BUILD/$name.o" 2>"$BUILD/$name.log" &
  pids+=("$!:$name")
done
failed=0
for entry in "${pids[@]}"; do
  if ! wait "${entry%%:*}"; then
    echo "FAIL compile ${entry#*:}"; cat "$BUILD/${entry#*:}.log"; failed=1
  else
    echo "PASS compile ${entry#*:}"
  fi
done
[ $failed -eq 0 ] || exit 1
[ $COMPILE_ONLY -eq 1 ] && exit 0

LINK=(-gencode=arch=compute_90a,code=sm_90a -lcublasLt -lcublas)
"$NVCC" "$BUILD/kernel_test.o" "$BUILD/sampling.o" -o "$BUILD/kernel_test" "${LINK[@]}"
"$NVCC" "$BUILD/quant_gemm_test.o" -o "$BUILD/quant_gemm_test" "${LINK[@]}"
"$NVCC" "$BUILD/fused_gemm_test.o" -o "$BUILD/fused_gemm_test" "${LINK[@]}"
for t in f16 bf16; do
  "$NVCC" "$BUILD/capi_$t.o" "$BUILD/tiny_$t.o" "$BUILD/runtime.o" "$BUILD/sampling.o" \
    -o "$BUILD/capi_test_$t" "${LINK[@]}"
done

if ! nvidia-smi -L >/dev/null 2>&1; then
  echo "SKIP run_runtime_tests.sh: no GPU here (sources compiled and linked)"
  exit 77
fi
status=0
run() { echo "== $*"; "$@" || status=1; }
if [ $BENCH -eq 1 ]; then run "$BUILD/kernel_test" --bench; else run "$BUILD/kernel_test"; fi
if [ $BENCH -eq 1 ]; then run "$BUILD/quant_gemm_test" --bench; else run "$BUILD/quant_gemm_test"; fi
if [ $BENCH -eq 1 ]; then run "$BUILD/fused_gemm_test" --bench; else run "$BUILD/fused_gemm_test"; fi
run "$BUILD/capi_test_f16" "$BUILD/work-f16"
run "$BUILD/capi_test_bf16" "$BUILD/work-bf16"
if [ $SANITIZE -eq 1 ]; then
  SAN="${COMPUTE_SANITIZER:-$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)}"
  run "$SAN" --tool memcheck --error-exitcode 3 --leak-check full "$BUILD/capi_test_f16" \
    "$BUILD/work-sanitize"
  run "$SAN" --tool racecheck --error-exitcode 3 "$BUILD/kernel_test" --only attention
fi
[ $status -eq 0 ] && echo "run_runtime_tests.sh: all passed" || echo "run_runtime_tests.sh: FAILED"
exit $status
