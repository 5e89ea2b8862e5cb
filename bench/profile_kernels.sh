#!/usr/bin/env bash
# Where a compiled model's time goes, kernel by kernel, on the GPU machine:
# exports a model shape (export_hf.py), compiles it, times it with
# `sieve-run --bench`, then runs Nsight Compute over one prefill and a few
# decode steps and summarizes per kernel: time, DRAM bytes read, achieved
# bandwidth (bench/ncu_summary.py). The difference between the measured
# step time and the sum of the kernel times is the launch overhead.
#
#   CARRY=carry OUT=$OUT bash bench/profile_kernels.sh [llama1b] [PROMPT] [BATCH]
#
# NCU=0 stops after the timing (no profiler). TIMELINE=1 instead records
# the decode graph's kernels as they run (CUPTI, bench/step_timeline.cu:
# launches overlapped, nothing serialized) and charges each kernel the
# step time from the previous kernel's end to its own end
# (bench/step_breakdown.py; $OUT/profile-<model>-breakdown.txt).
# Needs ncu (Nsight Compute) and a GPU; writes $OUT/profile-<model>-*.{csv,txt}.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARRY="$(cd "${CARRY:-$ROOT/carry}" && pwd)" || { echo "no CARRY directory"; exit 2; }
OUT="${OUT:-/tmp/sieve-profile-out}"
NAME="${1:-llama1b}"
PROMPT="${2:-2048}"
BATCH="${3:-1}"
WORK="${WORK:-/tmp/sieve-profile}/$NAME"
BIN="$CARRY/bin"
mkdir -p "$OUT" "$WORK"
NCU="${NCU:-1}"
[[ $NCU == 0 || ${TIMELINE:-0} == 1 ]] || command -v ncu >/dev/null || { echo "ncu not found"; exit 2; }
note() { echo "== $(date -u +%H:%M:%S) $*"; }

if [[ ! -d "$WORK/$NAME.sieve" ]]; then
  note "export $NAME"
  python3 "$ROOT/test/gpu/export_hf.py" "$NAME" "$WORK" --no-logits --onnx-dtype fp16 || exit 1
  note "compile $NAME"
  "$BIN/sieve-compile" "$WORK/$NAME.onnx" -o "$WORK/$NAME.sieve" --dtype f16 --quiet || exit 1
  rm -f "$WORK"/*.onnx*
fi
M="$WORK/$NAME.sieve"

note "sieve-run --bench (no profiler): prefill $PROMPT, decode batch $BATCH"
"$BIN/sieve-run" "$M" --bench --bench-prompt-lengths "$PROMPT" --bench-batches "$BATCH" \
  | tee "$OUT/profile-$NAME-bench.txt"
[[ $NCU == 0 ]] && exit 0

if [[ ${TIMELINE:-0} == 1 ]]; then
  CUDA="$(dirname "$(dirname "$(command -v nvcc)")")"
  LIB="$WORK/libstep_timeline.so"
  note "timeline: decode batch $BATCH graph kernels (CUPTI)"
  nvcc -std=c++17 -O2 -shared -Xcompiler -fPIC "$ROOT/bench/step_timeline.cu" -o "$LIB" \
    -L"$CUDA/extras/CUPTI/lib64" -L"$CUDA/lib64" -lcupti || exit 1
  LD_LIBRARY_PATH="$CUDA/extras/CUPTI/lib64:$CUDA/lib64:${LD_LIBRARY_PATH:-}" \
    CUDA_INJECTION64_PATH="$LIB" STEP_TIMELINE_OUT="$OUT/profile-$NAME-timeline.tsv" \
    "$BIN/sieve-run" "$M" --bench --bench-prompt-lengths "$PROMPT" --bench-batches "$BATCH" \
    | tee "$OUT/profile-$NAME-timeline-bench.txt"
  python3 "$ROOT/bench/step_breakdown.py" "$OUT/profile-$NAME-timeline.tsv" \
    | tee "$OUT/profile-$NAME-breakdown.txt"
  exit 0
fi

# One prefill (the first of --bench's repeats) and decode steps: --bench
# runs 6 prefills, then per batch a prefill of the context, 8 warm-up steps
# and --bench-decode-steps timed steps; ncu profiles every kernel node of
# the decode graphs. The summary splits the launches at each sampling kernel.
note "ncu: prefill $PROMPT + decode batch $BATCH"
ncu --clock-control none --graph-profiling node --csv --page raw --print-units base \
  --metrics gpu__time_duration.sum,dram__bytes_read.sum,dram__bytes_write.sum,launch__grid_size,launch__registers_per_thread \
  "$BIN/sieve-run" "$M" --bench --bench-prompt-lengths "$PROMPT" --bench-batches "$BATCH" \
  --bench-decode-steps 2 > "$OUT/profile-$NAME-ncu.csv" 2> "$OUT/profile-$NAME-ncu.err"
echo "ncu rc $?"; tail -3 "$OUT/profile-$NAME-ncu.err"
python3 "$ROOT/bench/ncu_summary.py" "$OUT/profile-$NAME-ncu.csv" | tee "$OUT/profile-$NAME-summary.txt"
