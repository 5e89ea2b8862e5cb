#!/usr/bin/env bash
# GemFilter on retrieval8 on the GPU machine (issue 10), in one run:
#  1. dense retrieval accuracy of the compiled retrieval8 (sieve-compile,
#     sieve-run --retrieval) on the cases of bench/retrieval_pruning.sh,
#     compared case by case with the CPU reference's dense run committed in
#     bench/results/retrieval_pruning_cpu.jsonl;
#  2. ../shared/reference/gemfilter_reference.py (PyTorch) at each GemFilter
#     variant of that file (layers 2 and 4, k 256 and 512, pool 5): its kept
#     indices against the CPU reference's (test/gpu/gemfilter_compare.py:
#     equal except near-ties), and its accuracy against sieve's.
# The compiled path does not prune yet (docs/token-pruning.md), so sieve's
# GemFilter indices come from the CPU reference only.
#
#   CARRY=carry OUT=$OUT bash test/gpu/gemfilter.sh
#   env LENGTHS (default 1024,2048,4096: must be a prefix-compatible subset
#   of the bench's, see below), PER_CELL=8, SEED=99 (the bench's)
#
# CARRY holds bin/sieve-compile, bin/sieve-run and
# reference/gemfilter_reference.py. Results: $OUT/gemfilter.jsonl (one JSON
# line per check), log $OUT/gemfilter.log.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CARRY="$(cd "${CARRY:-$ROOT/carry}" && pwd)"
OUT="${OUT:-/tmp/sieve-gemfilter-out}"
WORK="${WORK:-/tmp/sieve-gemfilter}"
BIN="$CARRY/bin"
REF="$CARRY/reference/gemfilter_reference.py"
CPU="$ROOT/bench/results/retrieval_pruning_cpu.jsonl"
mkdir -p "$OUT" "$WORK"
exec > >(tee -a "$OUT/gemfilter.log") 2>&1
RESULTS="$OUT/gemfilter.jsonl"
status=0
note() { echo "== $*"; }
start=$(date +%s)

nvidia-smi -L
python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'

# The bench's cases (task.py draws lengths in order from one seeded
# generator, so the same LENGTHS, PER_CELL, SEED give the same cases).
python3 "$ROOT/models/retrieval8/task.py" --filler "$ROOT/models/llama12/valid.txt" \
  --lengths "${LENGTHS:-1024,2048,4096}" --per-cell "${PER_CELL:-8}" --seed "${SEED:-99}" \
  > "$WORK/cases.jsonl"
# Each CPU variant's report, one file per variant.
python3 - "$CPU" "$WORK" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    open(f"{sys.argv[2]}/cpu-{r['variant']}.json", "w").write(json.dumps(r) + "\n")
PY

note "1. dense retrieval on the GPU (compiled) vs the CPU reference"
if "$BIN/sieve-compile" "$ROOT/models/retrieval8/retrieval8.onnx" -o "$WORK/r8.sieve" \
    > "$WORK/compile.log" 2>&1; then
  "$BIN/sieve-run" "$WORK/r8.sieve" --retrieval "$WORK/cases.jsonl" --json \
    > "$WORK/gpu-dense.json" 2> "$WORK/gpu-dense.err" || { tail -5 "$WORK/gpu-dense.err"; status=1; }
  python3 - "$WORK/gpu-dense.json" "$WORK/cpu-dense.json" <<'PY' | tee -a "$RESULTS" || status=1
import json, sys
gpu, cpu = (json.loads(open(p).read().splitlines()[0]) for p in sys.argv[1:])
same = sum(g["predicted"] == c["predicted"] for g, c in zip(gpu["results"], cpu["results"]))
agree = same == len(cpu["results"]) == len(gpu["results"])
print(json.dumps({"check": "dense gpu vs cpu", "gpu_accuracy": gpu["accuracy"],
                  "cpu_accuracy": cpu["accuracy"], "cases": gpu["cases"],
                  "same_prediction": same, "gpu_where": gpu["where"],
                  "gpu_seconds": gpu["seconds"],
                  "cells": [[c["context"], c["depth"], c["accuracy"]] for c in gpu["cells"]]}))
print(f"{'PASS' if agree else 'FAIL'}: dense retrieval8 GPU accuracy {gpu['accuracy']:.3f} "
      f"({gpu['correct']}/{gpu['cases']}), CPU {cpu['accuracy']:.3f}; "
      f"{same}/{len(cpu['results'])} cases predict the same answer")
sys.exit(0 if agree else 1)
PY
else
  tail -20 "$WORK/compile.log"; echo "FAIL: sieve-compile retrieval8"; status=1
fi

note "2. GemFilter kept indices: reference (PyTorch, GPU) vs sieve (CPU reference)"
for v in gemfilter-l2-k256 gemfilter-l2-k512 gemfilter-l4-k256 gemfilter-l4-k512; do
  [ -f "$WORK/cpu-$v.json" ] || { echo "FAIL: no CPU result for $v in $CPU"; status=1; continue; }
  layer=${v#gemfilter-l}; layer=${layer%%-*}; k=${v##*-k}
  t0=$(date +%s)
  python3 "$REF" --model "$ROOT/models/retrieval8/retrieval8.onnx" --cases "$WORK/cases.jsonl" \
    --layer "$layer" --k "$k" --pool 5 > "$WORK/ref-$v.jsonl" || { echo "FAIL: reference $v"; status=1; continue; }
  echo "reference $v: $(tail -1 "$WORK/ref-$v.jsonl"), $(( $(date +%s) - t0 )) s"
  python3 "$ROOT/test/gpu/gemfilter_compare.py" --reference-script "$REF" \
    --model "$ROOT/models/retrieval8/retrieval8.onnx" --cases "$WORK/cases.jsonl" \
    --sieve "$WORK/cpu-$v.json" --reference "$WORK/ref-$v.jsonl" \
    --layer "$layer" --k "$k" --pool 5 --label "cpu $v" > "$WORK/cmp-$v.txt" || status=1
  head -1 "$WORK/cmp-$v.txt" >> "$RESULTS"
  tail -1 "$WORK/cmp-$v.txt"
done
cp "$WORK"/ref-*.jsonl "$OUT/" 2>/dev/null

echo "total $(( $(date +%s) - start )) s"
[ $status -eq 0 ] && echo "ALL PASS" || echo "SOME FAILED"
exit $status
