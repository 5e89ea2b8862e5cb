#!/usr/bin/env bash
# fp8 prefill GEMMs on cuBLASLt's FP8 tensor cores (issue 9), checks and
# timings in one run (about 2 minutes on an H100; needs nvcc there):
#
#   CARRY=carry OUT=$OUT bash test/gpu/fp8_lt.sh
#
# 1. llama12 end to end (test/gpu/quant_e2e.sh llama12 with QUANT_CONFIGS
#    "fp16 fp8"; CARRY holds bin/sieve-compile and bin/sieve-run): bits per
#    byte on valid.txt on the GPU against the CPU reference of the same IR
#    (PASS within 5e-4), greedy generation, prefill/decode timings against
#    fp16. Every window is a 512-row prefill, so its fp8 GEMMs run on the
#    FP8 path; a line "sieve: fp8 GEMM ... dequantize" in the log (the
#    runtime's note when cuBLASLt refuses a problem) is a FAIL.
# 2. test/gpu/quant_gemm_test.cu, built here with nvcc (in the background
#    while step 1 runs), every check (all formats and paths; the fp8 ones
#    at rows 17-2048 against the CPU reference's arithmetic, and that the
#    FP8 path ran), then --fp8-bench: 2048 rows on the Llama-3-8B and
#    Llama-3.2-1B projection shapes, f16 cuBLASLt against fp8 before
#    (quantize + dequantize + f16 cuBLASLt) and on cuBLASLt's FP8 GEMM
#    (with and without FAST_ACCUM), in TFLOP/s: table $OUT/fp8_prefill.md.
#
# Logs: $OUT/fp8_lt.log (this), $OUT/quant.log and quant.jsonl (step 1),
# $OUT/quant_gemm_test.txt (step 2). Exit status 0 when every check passed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${OUT:-/tmp/sieve-fp8lt-out}"
WORK="${WORK:-/tmp/sieve-fp8lt}"
NVCC="${NVCC:-/usr/local/cuda/bin/nvcc}"
mkdir -p "$OUT" "$WORK"
exec > >(tee -a "$OUT/fp8_lt.log") 2>&1
START=$SECONDS
status=0
fail() { echo "FAIL $*"; status=1; }
note() { echo "== $(date -u +%H:%M:%S) $*"; }

nvidia-smi -L || { echo "FAIL fp8_lt: no GPU"; exit 1; }
[ -x "$NVCC" ] || { echo "FAIL fp8_lt: no nvcc at $NVCC (set NVCC)"; exit 1; }

note "build quant_gemm_test (background)"
"$NVCC" -std=c++17 -O2 -gencode=arch=compute_90a,code=sm_90a -I"$ROOT/runtime" \
  -I"$ROOT/include" -I"$ROOT/test/gpu" "$ROOT/test/gpu/quant_gemm_test.cu" \
  -o "$WORK/quant_gemm_test" -lcublasLt -lcublas > "$WORK/build.log" 2>&1 &
BUILD=$!

note "llama12 fp16 and fp8 end to end (test/gpu/quant_e2e.sh llama12)"
QUANT_CONFIGS="fp16 fp8" OUT="$OUT" WORK="$WORK/e2e" bash "$ROOT/test/gpu/quant_e2e.sh" llama12 \
  > /dev/null 2>&1
e2e=$?
grep -E '^(PASS|FAIL|\{|==)' "$OUT/quant.log"
[[ $e2e == 0 ]] && echo "PASS quant_e2e llama12 fp16 fp8" || fail "quant_e2e llama12 (exit $e2e)"
if grep -q 'sieve: fp8 GEMM' "$OUT/quant.log"; then
  grep 'sieve: fp8 GEMM' "$OUT/quant.log" | sort | uniq -c
  fail "llama12 fp8: some GEMMs fell back to dequantize + cuBLASLt"
else
  echo "PASS llama12 fp8: no fp8 GEMM fell back from cuBLASLt's FP8 path"
fi

if ! wait $BUILD; then
  fail "quant_gemm_test does not build"; tail -20 "$WORK/build.log"
else
  note "quant_gemm_test --fp8-bench"
  "$WORK/quant_gemm_test" --fp8-bench > "$OUT/quant_gemm_test.txt" 2>&1
  rc=$?
  passed=$(grep -c '^PASS' "$OUT/quant_gemm_test.txt")
  failed=$(grep -c '^FAIL' "$OUT/quant_gemm_test.txt")
  grep -E '^FAIL|^INFO|^(PASS|FAIL) gemm_quant fp8 [a-z0-9]+->' "$OUT/quant_gemm_test.txt"
  grep -E '^(sieve: fp8|device:)' "$OUT/quant_gemm_test.txt" | sort | uniq -c
  # Which FP8 ways cuBLASLt offered (the direct runs) and gemm_quant took.
  grep -oE '^(PASS|FAIL) gemm_quant fp8 .*\((cuBLASLt FP8, [a-z +-]+|dequantize \+ cuBLASLt)(, direct)?\)' \
    "$OUT/quant_gemm_test.txt" | sed -E 's/.*\((.*)\)$/\1/' | sort | uniq -c
  if [[ $rc == 0 && $failed == 0 && $passed -gt 0 ]]; then
    echo "PASS quant_gemm_test: $passed checks"
  else
    fail "quant_gemm_test: $failed of $((passed + failed)) checks failed, exit $rc"
  fi
  python3 - "$OUT/quant_gemm_test.txt" <<'EOF' | tee "$OUT/fp8_prefill.md"
import math, re, sys
num = r"([\d.]+|nan)"
pat = re.compile(
    rf"BENCH fp8 prefill (\S+) rows (\d+) N (\d+) K (\d+): f16 {num} ms \| old {num} ms \| "
    rf"outer-vector {num} ms \| epilogue {num} ms \| fast-accum \((\S+)\) {num} ms \| "
    rf"quantize {num} ms")
print("| model | N x K | f16 cuBLASLt | fp8 before (deq + f16 cuBLASLt) | FP8, outer-vector "
      "scales | FP8, unit scales + epilogue | FP8 with FAST_ACCUM | act. quantization |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for line in open(sys.argv[1], errors="replace"):
    m = pat.match(line)
    if not m:
        continue
    label, rows, n, k = m[1], int(m[2]), int(m[3]), int(m[4])
    f16, old, outer, epi, fast, quant = (float(m[i]) for i in (5, 6, 7, 8, 10, 11))
    flop = 2.0 * rows * n * k
    def cell(ms, base=True):
        if math.isnan(ms):
            return "no algorithm"
        tf = flop / ms / 1e9
        return f"{ms:.3f} ms, {tf:.0f} TF" + (f", {f16 / ms:.2f}x" if base else "")
    print(f"| {label} | {n} x {k} | {cell(f16, False)} | {cell(old)} | {cell(outer)} | "
          f"{cell(epi)} | {m[9]}: {cell(fast)} | {quant:.3f} ms |")
print()
print("2048 rows, f16 activations; TF = TFLOP/s (2 rows N K / time), x = speed-up over the f16 "
      "GEMM; the FP8 columns include the activation quantization.")
EOF
fi

echo "fp8_lt: $((SECONDS - START)) s"
[[ $status == 0 ]] && echo "fp8_lt: ALL PASSED" || echo "fp8_lt: FAILED"
exit $status
