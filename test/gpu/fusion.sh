#!/usr/bin/env bash
# The decode-step fusions (--sieve-fuse-decode, kernel.fused_gemm) on the
# GPU machine, in one run of under 4 minutes:
#   1. fused_gemm_test: the fused kernels vs the un-fused launches vs an
#      fp64 host reference (f16, bf16; rows 1-2 fused, rows 5 un-fused),
#      then their timing at Llama-3.2-1B decode shapes;
#   2. test/gpu/compiled_e2e.sh llama12 (logits vs the float32 reference,
#      greedy generation vs reference.json with --check-kv, bits per byte),
#      compiled with --decode-fusion (SIEVE_COMPILE_FLAGS; the carried
#      l12-bf16.sieve is used as carried: compile it with --decode-fusion
#      too), and llama12 f16 greedy tokens with and without --decode-fusion
#      (batch 1: sieve-run generates one sequence; the
#      un-fused path inside fused_gemm, rows > 2, is checked by 1. and
#      runs in the batch-8 bench of 3.);
#   3. the Llama-3.2-1B shape (bench/make_llama_shape_onnx.py, fp16) compiled
#      with and without --decode-fusion: decode tokens/s at 512 tokens of
#      context, batch 1 and 8, and the ratio.
#
#   CARRY=carry OUT=$OUT bash test/gpu/fusion.sh [kernels] [e2e] [speed]
#
# CARRY as for compiled_e2e.sh (bin/sieve-compile, bin/sieve-run built from
# this branch; llama12/ with the float32 reference logits; l12-bf16.sieve).
# Prints PASS/FAIL lines; results also in $OUT/fusion.jsonl, log in
# $OUT/fusion.log. Exit status non-zero on any failure.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CARRY="$(cd "${CARRY:-$ROOT/carry}" && pwd)"
OUT="${OUT:-/tmp/sieve-fusion-out}"
WORK="${WORK:-/tmp/sieve-fusion}"
BIN="$CARRY/bin"
GPU="$ROOT/test/gpu"
NVCC="${NVCC:-/usr/local/cuda/bin/nvcc}"
mkdir -p "$OUT" "$WORK"
exec > >(tee -a "$OUT/fusion.log") 2>&1
RESULTS="$OUT/fusion.jsonl"
parts=" ${*:-kernels e2e speed} "
status=0
has() { [[ "$parts" == *" $1 "* ]]; }
note() { echo "== $(date -u +%H:%M:%S) $*"; }
record() { echo "$1" | tee -a "$RESULTS"; }
fail() { echo "FAIL $*"; status=1; }

nvidia-smi -L

# The kernel test and the 1B model build in the background meanwhile.
test_pid=""
if has kernels; then
  note "build fused_gemm_test (background)"
  "$NVCC" -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -I"$ROOT/runtime" \
    -I"$ROOT/include" -I"$GPU" "$GPU/fused_gemm_test.cu" -o "$WORK/fused_gemm_test" \
    -lcublasLt -lcublas > "$WORK/fused_gemm_test.build.log" 2>&1 &
  test_pid=$!
fi
M1B=$WORK/llama1b
speed_pids=()
if has speed; then
  note "llama1b shape: export fp16, compile with and without --decode-fusion (background)"
  (
    python3 "$ROOT/bench/make_llama_shape_onnx.py" llama1b "$M1B" --dtype fp16 \
      --max-pos 4096 > "$WORK/export.log" 2>&1 || exit 1
    "$BIN/sieve-compile" "$M1B/llama1b.onnx" -o "$M1B/fused.sieve" \
      --decode-fusion > "$WORK/compile-fused.log" 2>&1 &
    p1=$!
    "$BIN/sieve-compile" "$M1B/llama1b.onnx" -o "$M1B/unfused.sieve" \
      > "$WORK/compile-unfused.log" 2>&1 &
    p2=$!
    wait $p1 && wait $p2
  ) &
  speed_pids+=($!)
fi

if has kernels; then
  if wait "$test_pid"; then
    note "fused_gemm_test --bench"
    "$WORK/fused_gemm_test" --bench > "$WORK/fused_gemm_test.txt" 2>&1
    rc=$?
    cat "$WORK/fused_gemm_test.txt"
    record "{\"kernel_test\": \"fused_gemm_test\", \"rc\": $rc, \"pass\": $(grep -c '^PASS' "$WORK/fused_gemm_test.txt"), \"fail\": $(grep -c '^FAIL' "$WORK/fused_gemm_test.txt")}"
    [[ $rc == 0 ]] || fail "fused_gemm_test (rc $rc)"
  else
    cat "$WORK/fused_gemm_test.build.log"
    fail "fused_gemm_test did not build"
  fi
fi

if has e2e; then
  note "compiled_e2e.sh llama12 (compiled with --decode-fusion)"
  SIEVE_COMPILE_FLAGS=--decode-fusion CARRY="$CARRY" OUT="$OUT/e2e" WORK="$WORK/e2e" \
    bash "$GPU/compiled_e2e.sh" llama12
  rc=$?
  grep -h '"compare"\|"generate"\|"eval"' "$OUT/e2e/e2e.jsonl" 2>/dev/null | tee -a "$RESULTS"
  if [[ $rc == 0 ]]; then echo "PASS compiled_e2e.sh llama12"; else fail "compiled_e2e.sh llama12 (rc $rc)"; fi

  note "llama12 f16: greedy tokens with and without --decode-fusion"
  L12=$WORK/e2e/l12-f16.sieve
  "$BIN/sieve-compile" "$ROOT/models/llama12/llama12_fp16w.onnx" -o "$WORK/l12-unfused.sieve" \
    --quiet || fail "compile llama12 without --decode-fusion"
  for m in "$L12" "$WORK/l12-unfused.sieve"; do
    "$BIN/sieve-run" "$m" --prompt "The list type in Python" --max-new-tokens 64 \
      --json > "$m.b1.json" 2> "$m.b1.err" || { cat "$m.b1.err"; fail "sieve-run $m"; }
  done
  python3 - "$L12" "$WORK/l12-unfused.sieve" <<'EOF' | tee -a "$RESULTS"
import json, sys
fused, unfused = sys.argv[1], sys.argv[2]
for b in (1,):
    try:
        f = json.load(open(f"{fused}.b{b}.json"))["tokens"]
        u = json.load(open(f"{unfused}.b{b}.json"))["tokens"]
    except Exception as e:
        print(json.dumps({"greedy_fused_vs_unfused": b, "error": str(e)}))
        print(f"FAIL llama12 f16 batch {b}: fused vs un-fused tokens not read ({e})")
        continue
    same = next((i for i, (x, y) in enumerate(zip(f, u)) if x != y), None)
    print(json.dumps({"greedy_fused_vs_unfused": b, "tokens": len(f),
                      "identical": same is None and len(f) == len(u), "first_difference": same}))
    # f16 rounding may flip a near-tie late in a long generation; the
    # first 32 tokens must agree.
    ok = same is None or same >= 32
    print(f"{'PASS' if ok else 'FAIL'} llama12 f16 batch {b}: greedy tokens fused vs un-fused, "
          f"first difference at {same} of {len(f)}")
EOF
fi

if has speed; then
  note "wait for the llama1b compiles"
  if wait "${speed_pids[@]}"; then
    grep -h "launches per decode step" "$WORK"/compile-*.log
    # Interleaved, twice each: the ratio of the better runs.
    for rep in 1 2; do
      for v in unfused fused; do
        note "bench llama1b $v (repeat $rep)"
        "$BIN/sieve-run" "$M1B/$v.sieve" --bench --json --bench-prompt-lengths 512 \
          --bench-batches 1,8 --bench-decode-steps 256 > "$WORK/bench-$v-$rep.json" ||
          fail "sieve-run --bench $v"
      done
    done
    python3 - "$WORK" <<'EOF' | tee -a "$RESULTS"
import json, sys
work = sys.argv[1]
best = {}
for v in ("unfused", "fused"):
    for rep in (1, 2):
        try:
            r = json.load(open(f"{work}/bench-{v}-{rep}.json"))
        except Exception:
            continue
        for d in r["decode"]:
            key = (v, d["batch"])
            best[key] = max(best.get(key, 0.0), d["tokens_per_s"])
for batch in (1, 8):
    u, f = best.get(("unfused", batch)), best.get(("fused", batch))
    if not u or not f:
        print(f"FAIL llama1b batch {batch}: no bench result")
        continue
    print(json.dumps({"llama1b_decode": batch, "context": 512, "unfused_tokens_per_s": round(u, 1),
                      "fused_tokens_per_s": round(f, 1), "ratio": round(f / u, 3)}))
    print(f"RESULT llama1b decode batch {batch} at 512: fused {f:.1f} tokens/s, "
          f"un-fused {u:.1f} tokens/s, ratio {f / u:.3f}")
EOF
  else
    tail -5 "$WORK"/export.log "$WORK"/compile-*.log
    fail "llama1b export/compile"
  fi
  rm -rf "$M1B" # disk
fi

echo "fusion status $status"
exit $status
