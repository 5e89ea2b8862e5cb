#!/usr/bin/env bash
# Dense accuracy of retrieval8 on its long-context retrieval task: makes the
# cases with models/retrieval8/task.py (filler models/llama12/valid.txt,
# --per-cell 8 --seed 99: the README's onnxruntime protocol), runs
# `sieve-run MODEL --retrieval` once per context length (so each length's
# result lands even if a later one is cut short), appends one JSON line per
# length to RESULTS (with the command and the load average: the machine may
# be shared) and prints the table by context and depth.
#
#   bench/retrieval_dense.sh [BUILD_DIR] [MODEL] [RESULTS] [-- sieve-run args]
#   env LENGTHS=1024,2048,4096 (default), PER_CELL=8, SEED=99,
#       RUN_LENGTHS (default LENGTHS: the lengths to run, to resume),
#       FIRST (default 0: all): run only the first FIRST cases of each cell
#       (long contexts are slow on a small CPU; the report's "task" says so)
#
# MODEL defaults to models/retrieval8/retrieval8.onnx (the CPU reference);
# a compiled model folder runs on the GPU. RESULTS defaults to
# bench/results/retrieval_dense_cpu.jsonl.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
MODEL="${2:-$ROOT/models/retrieval8/retrieval8.onnx}"
RESULTS="${3:-$ROOT/bench/results/retrieval_dense_cpu.jsonl}"
shift $(( $# < 3 ? $# : 3 ))
[ "${1:-}" = "--" ] && shift
RUN="$BUILD/bin/sieve-run"
LENGTHS="${LENGTHS:-1024,2048,4096}"
PER_CELL="${PER_CELL:-8}"
SEED="${SEED:-99}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$(dirname "$RESULTS")"

# One task.py call for all lengths (RUN_LENGTHS only selects among them):
# task.py draws the lengths in order from one seeded generator, so a
# length's cases depend on the lengths before it; with the default LENGTHS
# they equal the first cases of the README's command (which adds 8192).
python3 "$ROOT/models/retrieval8/task.py" --filler "$ROOT/models/llama12/valid.txt" \
  --lengths "$LENGTHS" --per-cell "$PER_CELL" --seed "$SEED" > "$TMP/cases.jsonl"
IFS=, read -ra lengths <<< "${RUN_LENGTHS:-$LENGTHS}"
for L in "${lengths[@]}"; do
  python3 - "$L" "${FIRST:-0}" < "$TMP/cases.jsonl" > "$TMP/cases-$L.jsonl" <<'PY'
import json, sys
L, first = int(sys.argv[1]), int(sys.argv[2])
seen = {}
for line in sys.stdin:
    c = json.loads(line)
    if c["length"] != L:
        continue
    seen[c["depth"]] = seen.get(c["depth"], 0) + 1
    if first == 0 or seen[c["depth"]] <= first:
        sys.stdout.write(line)
PY
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  report=$("$RUN" "$MODEL" --retrieval "$TMP/cases-$L.jsonl" --json "$@")
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  python3 - "$report" "$L" "$load_before" "$load_after" "$*" "$MODEL" \
      "$PER_CELL" "$SEED" "$LENGTHS" "${FIRST:-0}" >> "$RESULTS" <<'PY'
import json, sys
report, L, before, after, args, model, per_cell, seed, lengths, first = sys.argv[1:]
r = json.loads(report)
r.update({"model": model.split("/")[-1] or model.split("/")[-2],
          "length": int(L), "task": f"task.py --filler models/llama12/valid.txt "
          f"--lengths {lengths}: the {L} cells, --per-cell {per_cell} --seed {seed}"
          + (f", the first {first} of each cell" if first != "0" else ""),
          "sieve_run_args": args, "loadavg_before": before, "loadavg_after": after})
print(json.dumps(r))
PY
  tail -1 "$RESULTS" | python3 -c '
import json, sys
r = json.load(sys.stdin)
for c in r["cells"]:
    print("context %(context)d depth %(depth)g: %(accuracy).2f (%(correct)d/%(cases)d)" % c)
print("  %(where)s, %(seconds).1f s" % r)'
done
