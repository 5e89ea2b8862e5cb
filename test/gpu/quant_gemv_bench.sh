#!/usr/bin/env bash
# The decode kernels of runtime/kernels/quant_gemm.cuh (the tensor-core
# mma kernel and the GEMV) on the GPU, checks and timings in one run (about
# 2 minutes on an H100; needs nvcc there):
#
#   OUT=$OUT bash test/gpu/quant_gemv_bench.sh
#
# 1. Builds test/gpu/quant_gemm_test.cu and runs its checks: gemm_quant for
#    int8, int4 (groups 128 and 32) and fp8 in f16 and bf16, every path
#    (mma, the GEMV with packed (HFMA2) and exact fp32 products, dequantize
#    + cuBLASLt), bias, float outputs, large activations, the refusals.
#    PASS/FAIL per check.
# 2. Its --bench mode: Llama-3.2-1B and Llama-3-8B decode-step projection
#    shapes at rows 1, 2, 4, 8, 16: the f16 GEMM, and int8 / int4 (g128)
#    through gemm_quant as dispatched (ms, GB/s of packed weight bytes, %
#    of the measured copy bandwidth) and through each kernel: the
#    tensor-core mma kernel, the GEMV with packed and with exact fp32
#    products, dequantize + cuBLASLt (rows 8 and 16).
# Prints the per-shape table, the per-model sums (the decode step's GEMMs,
# LM head and attention excluded) and the fastest kernel per format and row
# count. Log: $OUT/gemv.log, the test's
# raw output $OUT/quant_gemm_test.log. Exit status 0 when every check
# passed.
#
# BASELINE=DIR (a copy of another commit's runtime/ directory) also builds
# the test against DIR's kernels and runs its --bench right after, so that
# a kernel change is timed against its predecessor in the same run (the
# baseline's per-model sums are printed last; raw output
# $OUT/quant_gemm_test_baseline.log).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${OUT:-/tmp/sieve-gemv-out}"
BUILD="${BUILD:-/tmp/sieve-gemv-build}"
NVCC="${NVCC:-/usr/local/cuda/bin/nvcc}"
mkdir -p "$OUT" "$BUILD"
exec > >(tee -a "$OUT/gemv.log") 2>&1
START=$SECONDS

if ! nvidia-smi -L; then
  echo "FAIL quant_gemv_bench: no GPU"
  exit 1
fi
[ -x "$NVCC" ] || { echo "FAIL quant_gemv_bench: no nvcc at $NVCC (set NVCC)"; exit 1; }
# build RUNTIME_DIR OUTPUT: quant_gemm_test against the kernels of RUNTIME_DIR.
build() {
  "$NVCC" -std=c++17 -O2 -gencode=arch=compute_90a,code=sm_90a -I"$1" -I"$ROOT/include" \
    -I"$ROOT/test/gpu" "$ROOT/test/gpu/quant_gemm_test.cu" -o "$2" -lcublasLt -lcublas
}
echo "== build quant_gemm_test"
build "$ROOT/runtime" "$BUILD/quant_gemm_test" ||
  { echo "FAIL quant_gemv_bench: quant_gemm_test does not build"; exit 1; }
if [ -n "${BASELINE:-}" ]; then
  echo "== build quant_gemm_test against the baseline runtime $BASELINE"
  build "$BASELINE" "$BUILD/quant_gemm_test_baseline" ||
    { echo "FAIL quant_gemv_bench: the baseline does not build"; exit 1; }
fi
echo "== quant_gemm_test --bench (built in $((SECONDS - START)) s)"
"$BUILD/quant_gemm_test" --bench > "$OUT/quant_gemm_test.log" 2>&1
rc=$?
passed=$(grep -c '^PASS' "$OUT/quant_gemm_test.log")
failed=$(grep -c '^FAIL' "$OUT/quant_gemm_test.log")
grep '^FAIL' "$OUT/quant_gemm_test.log"
grep '^BENCH copy' "$OUT/quant_gemm_test.log"

python3 - "$OUT/quant_gemm_test.log" <<'EOF'
import re, sys
shape = re.compile(r"BENCH quant_gemm (\S+) (\d+x\d+) rows\s+(\d+) N\s+\d+ K\s+\d+: f16 gemm "
                   r"([\d.]+) ms\s+(\d+) GB/s(.*)")
fmt = re.compile(r"\| (int8|int4) ([\d.]+) ms\s+(\d+) GB/s \(\s*(\d+)% of copy\) ([\d.]+)x f16 "
                 r"\(mma ([\d.]+), gemv ([\d.]+), exact ([\d.]+)(, dequantize \+ cuBLASLt ([\d.]+))? ms\)")
# Which kernel is fastest per shape, format and rows (gemm_quant's choice
# should be it).
fastest = {}
head = (f"{'model':<13}{'N x K':>12}{'rows':>5} {'f16 ms':>8}" +
        "".join(f" | {f + ' ms':>8} {'GB/s':>5} {'%copy':>5} {'x f16':>6} {'mma':>7} {'gemv':>7} "
                f"{'exact':>7} {'deq+Lt':>7}" for f in ("int8", "int4")))
print("gemm_quant as dispatched (ms, GB/s of packed bytes, % of copy, speed-up over f16), then "
      "each kernel's ms")
print(head)
print("-" * len(head))
for line in open(sys.argv[1], errors="replace"):
    m = shape.match(line)
    if not m:
        continue
    cells = f"{m[1]:<13}{m[2]:>12}{m[3]:>5} {float(m[4]):8.4f}"
    for f in fmt.finditer(m[6]):
        deq = f"{float(f[10]):7.4f}" if f[10] else f"{'-':>7}"
        cells += (f" | {float(f[2]):8.4f} {f[3]:>5} {f[4]:>4}% {float(f[5]):5.2f}x "
                  f"{float(f[6]):7.4f} {float(f[7]):7.4f} {float(f[8]):7.4f} {deq}")
        kernels = {"mma": float(f[6]), "gemv": float(f[7])}
        if f[10]:
            kernels["dequantize + cuBLASLt"] = float(f[10])
        fastest.setdefault((f[1], int(m[3])), []).append(min(kernels, key=kernels.get))
    print(cells)
print()
for line in open(sys.argv[1], errors="replace"):
    if "decode-step GEMMs" in line:
        print(line.rstrip())
print()
for (f, rows), wins in sorted(fastest.items()):
    counts = {k: wins.count(k) for k in sorted(set(wins))}
    print(f"fastest kernel, {f} rows {rows:2d}: " +
          ", ".join(f"{k} on {n} of {len(wins)} shapes" for k, n in counts.items()))
EOF

if [ -n "${BASELINE:-}" ]; then
  echo "== the baseline ($BASELINE), same run"
  "$BUILD/quant_gemm_test_baseline" --bench > "$OUT/quant_gemm_test_baseline.log" 2>&1 ||
    echo "baseline checks: exit $?"
  grep -E '^BENCH copy|decode-step GEMMs' "$OUT/quant_gemm_test_baseline.log"
fi

if [ $rc -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]; then
  echo "PASS quant_gemv_bench: $passed checks passed ($((SECONDS - START)) s)"
  exit 0
fi
echo "FAIL quant_gemv_bench: $failed of $((passed + failed)) checks failed, exit $rc ($((SECONDS - START)) s)"
exit 1
