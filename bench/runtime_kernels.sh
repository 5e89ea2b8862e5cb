#!/usr/bin/env bash
# Times the runtime's attention kernels, cuBLASLt GEMM and the skinny (decode)
# GEMM vs cuBLASLt and the copy-bandwidth floor on the GPU at
# model-like sizes (kernel_test --bench: CUDA-event medians of 30 runs after
# a warm-up) and writes the table with the device, date and commit.
#
#   bench/runtime_kernels.sh [OUTPUT]   (default bench/results/runtime_kernels.txt)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUTPUT="${1:-$ROOT/bench/results/runtime_kernels.txt}"
# KERNEL_TEST=path reuses a kernel_test already built from this tree (as
# run_runtime_tests.sh leaves it in its build directory).
if [ -z "${KERNEL_TEST:-}" ]; then
  BUILD="$(mktemp -d)"
  trap 'rm -rf "$BUILD"' EXIT
  bash "$ROOT/test/gpu/run_runtime_tests.sh" --compile-only "$BUILD" >/dev/null
  /usr/local/cuda/bin/nvcc "$BUILD/kernel_test.o" "$BUILD/sampling.o" -o "$BUILD/kernel_test" \
    -gencode=arch=compute_90a,code=sm_90a -lcublasLt -lcublas
  KERNEL_TEST="$BUILD/kernel_test"
fi
{
  echo "# bench/runtime_kernels.sh, $(date -u +%Y-%m-%dT%H:%MZ), commit ${SIEVE_COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)}"
  "$KERNEL_TEST" --bench --only none | grep -E '^(device|BENCH)'
} | tee "$OUTPUT"
