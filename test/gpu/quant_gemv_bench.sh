#!/usr/bin/env bash
# The fused dequantizing GEMV of runtime/kernels/quant_gemm.cuh on the GPU,
# in one run (about 2 minutes on an H100; needs nvcc there):
#
#   OUT=$OUT bash test/gpu/quant_gemv_bench.sh
#
# 1. Builds test/gpu/quant_gemm_test.cu and runs its checks: gemm_quant for
#    int8, int4 (groups 128 and 32) and fp8 in f16 and bf16, both paths, the
#    fused kernel with packed (HFMA2) and exact fp32 products, bias, float
#    outputs, large activations, the refusals. PASS/FAIL per check.
# 2. Its --bench mode: Llama-3.2-1B and Llama-3-8B decode-step projection
#    shapes at rows 1, 2, 4, 8, 16: the f16 GEMM, and int8 / int4 (g128)
#    through the fused kernel with packed products (what gemm_quant runs)
#    and with exact fp32 products (the kernel before packed math), as ms,
#    GB/s of packed weight bytes and % of the measured copy bandwidth.
# Prints the per-shape table and the per-model sums (the decode step's
# GEMMs, LM head and attention excluded). Log: $OUT/gemv.log, the test's
# raw output $OUT/quant_gemm_test.log. Exit status 0 when every check
# passed.
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
echo "== build quant_gemm_test"
if ! "$NVCC" -std=c++17 -O2 -gencode=arch=compute_90a,code=sm_90a -I"$ROOT/runtime" \
    -I"$ROOT/include" -I"$ROOT/test/gpu" "$ROOT/test/gpu/quant_gemm_test.cu" \
    -o "$BUILD/quant_gemm_test" -lcublasLt -lcublas; then
  echo "FAIL quant_gemv_bench: quant_gemm_test does not build"
  exit 1
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
fused = re.compile(r"\| (int8|int4) ([\d.]+) ms\s+(\d+) GB/s \(\s*(\d+)% of copy\) ([\d.]+)x f16 "
                   r"\(exact ([\d.]+) ms\)( \(dequantize \+ cuBLASLt ([\d.]+) ms\))?")
# At 16 rows: is the fused (packed) kernel faster than dequantize + cuBLASLt
# (gemm_quant's path above kQuantGemvDispatchRows)?
verdicts = []
head = (f"{'model':<13}{'N x K':>12}{'rows':>5} {'f16 ms':>8} | {'int8 ms':>8} {'GB/s':>5} "
        f"{'%copy':>5} {'x f16':>6} {'exact':>8} | {'int4 ms':>8} {'GB/s':>5} {'%copy':>5} "
        f"{'x f16':>6} {'exact':>8}")
print(head)
print("-" * len(head))
for line in open(sys.argv[1], errors="replace"):
    m = shape.match(line)
    if not m:
        continue
    cells = f"{m[1]:<13}{m[2]:>12}{m[3]:>5} {float(m[4]):8.4f}"
    for f in fused.finditer(m[6]):
        cells += (f" | {float(f[2]):8.4f} {f[3]:>5} {f[4]:>4}% {float(f[5]):5.2f}x "
                  f"{float(f[6]):8.4f}")
        if f[8]:
            verdicts.append((f"{m[1]} {m[2]} {f[1]}", float(f[2]), float(f[8])))
    print(cells)
print()
for line in open(sys.argv[1], errors="replace"):
    if "decode-step GEMMs" in line:
        print(line.rstrip())
print()
for name, fusedMs, otherMs in verdicts:
    print(f"rows 16 {name}: fused {fusedMs:.4f} ms, dequantize + cuBLASLt {otherMs:.4f} ms: "
          f"{'fused' if fusedMs < otherMs else 'dequantize + cuBLASLt'} faster")
if verdicts:
    wins = sum(f < o for _, f, o in verdicts)
    print(f"rows 16: the fused kernel is faster on {wins} of {len(verdicts)} shape/format pairs "
          f"(gemm_quant sends rows 9-16 to dequantize + cuBLASLt)")
EOF

if [ $rc -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]; then
  echo "PASS quant_gemv_bench: $passed checks passed ($((SECONDS - START)) s)"
  exit 0
fi
echo "FAIL quant_gemv_bench: $failed of $((passed + failed)) checks failed, exit $rc ($((SECONDS - START)) s)"
exit 1
