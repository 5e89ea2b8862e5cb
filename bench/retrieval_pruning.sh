#!/usr/bin/env bash
# Token pruning and KV eviction on retrieval8's long-context retrieval task,
# on the CPU reference (issue 10, docs/token-pruning.md): raises
# models/retrieval8 once, applies each variant's pass, runs
# `sieve-run --retrieval --json` on the same cases and appends one JSON line
# per variant to RESULTS (the report with every case, the kept indices of
# GemFilter included, the pass, the command, the load average), then prints
# the table (bench/retrieval_pruning_table.py).
#
#   bench/retrieval_pruning.sh [BUILD_DIR] [RESULTS]
#   env LENGTHS=1024,2048,4096 (default), PER_CELL=8, SEED=99,
#       VARIANTS (default: all; a comma list of names below, to resume),
#       ACTIVATIONS=f32: rewrite the raised IR's f16 activation types
#       (tensor<1x?x...xf16>) to f32 first, so the CPU reference computes
#       the activations in float32 from the stored f16 weights, as the
#       PyTorch reference does; variant names get a -f32 suffix
#       ROPE=exact: replace the export's rotary frequencies (float16-rounded
#       constants) by theta^(-2i/32) with retrieval8's theta = 1e5 in
#       float32, as the reference script's PyTorch model computes them;
#       names get a -exactrope suffix (docs/token-pruning.md says why)
#
# Variants: dense; gemfilter at layers 2 and 4 with k 256 and 512 (pool 5,
# the reference rule) and at layer 3 (the profile rule's choice) with
# k 512; snapkv (pool 7) and h2o (no pooling) with budget k - 32 and
# window 32 (k cached positions after the prefill, the same as GemFilter's
# k).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
RESULTS="${2:-$ROOT/bench/results/retrieval_pruning_cpu.jsonl}"
LENGTHS="${LENGTHS:-1024,2048,4096}"
PER_CELL="${PER_CELL:-8}"
SEED="${SEED:-99}"
BIN="$BUILD/bin"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
mkdir -p "$(dirname "$RESULTS")"

declare -A PASS=(
  [dense]=""
  [gemfilter-l2-k256]="--sieve-prune-tokens=method=gemfilter layer=2 k=256 pool=5"
  [gemfilter-l2-k512]="--sieve-prune-tokens=method=gemfilter layer=2 k=512 pool=5"
  [gemfilter-l3-k512]="--sieve-prune-tokens=method=gemfilter layer=3 k=512 pool=5"
  [gemfilter-l4-k256]="--sieve-prune-tokens=method=gemfilter layer=4 k=256 pool=5"
  [gemfilter-l4-k512]="--sieve-prune-tokens=method=gemfilter layer=4 k=512 pool=5"
  [snapkv-256]="--sieve-evict-kv=method=snapkv budget=224 window=32 pool=7"
  [snapkv-512]="--sieve-evict-kv=method=snapkv budget=480 window=32 pool=7"
  [h2o-256]="--sieve-evict-kv=method=h2o budget=224 window=32 pool=1"
  [h2o-512]="--sieve-evict-kv=method=h2o budget=480 window=32 pool=1"
)
ORDER="dense,gemfilter-l2-k256,gemfilter-l2-k512,gemfilter-l3-k512,gemfilter-l4-k256,gemfilter-l4-k512,snapkv-256,snapkv-512,h2o-256,h2o-512"

/usr/bin/python3 "$ROOT/models/retrieval8/task.py" --filler "$ROOT/models/llama12/valid.txt" \
  --lengths "$LENGTHS" --per-cell "$PER_CELL" --seed "$SEED" > "$TMP/cases.jsonl"
# The raised IR references retrieval8.onnx.data next to it.
ln -s "$ROOT/models/retrieval8/retrieval8.onnx.data" "$TMP/"
"$BIN/sieve-translate" --import-onnx "$ROOT/models/retrieval8/retrieval8.onnx" -o "$TMP/r8.onnx.mlir"
"$BIN/sieve-opt" --sieve-simplify --sieve-raise "$TMP/r8.onnx.mlir" -o "$TMP/r8.mlir"
suffix=""
if [ "${ACTIVATIONS:-}" = f32 ]; then
  sed -i 's/\(tensor<1x?x[0-9]*\)xf16>/\1xf32>/g' "$TMP/r8.mlir"
  suffix=-f32
fi
if [ "${ROPE:-}" = exact ]; then
  /usr/bin/python3 - "$TMP/r8.mlir" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
tables = re.findall(r"dense<\[1\.000000e\+00, [^\]]*\]> : tensor<16xf32>", s)
if len(set(tables)) != 1:
    sys.exit(f"expected one rotary table of 16 frequencies, found {len(set(tables))}")
exact = ", ".join("%.9e" % (100000.0 ** (-2 * i / 32)) for i in range(16))
open(sys.argv[1], "w").write(s.replace(tables[0], f"dense<[{exact}]> : tensor<16xf32>"))
PY
  suffix=$suffix-exactrope
fi

IFS=, read -ra variants <<< "${VARIANTS:-$ORDER}"
for v in "${variants[@]}"; do
  [ -n "${PASS[$v]+x}" ] || { echo "unknown variant $v (known: $ORDER)" >&2; exit 1; }
  model="$TMP/r8.mlir"
  if [ -n "${PASS[$v]}" ]; then
    model="$TMP/r8-$v.mlir"
    "$BIN/sieve-opt" "${PASS[$v]}" "$TMP/r8.mlir" -o "$model"
  fi
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  "$BIN/sieve-run" "$model" --retrieval "$TMP/cases.jsonl" --json > "$TMP/report.json" 2> "$TMP/progress"
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  /usr/bin/python3 - "$TMP/report.json" "$v" "${PASS[$v]}" "$load_before" "$load_after" \
      "$LENGTHS" "$PER_CELL" "$SEED" "$suffix" >> "$RESULTS" <<'PY'
import json, sys
report, v, p, before, after, lengths, per_cell, seed, suffix = sys.argv[1:]
v += suffix
r = json.load(open(report))
r.update({"variant": v, "pass": p, "model": "retrieval8 (sieve-simplify, sieve-raise)",
          "task": f"task.py --filler models/llama12/valid.txt --lengths {lengths} "
                  f"--per-cell {per_cell} --seed {seed}",
          "loadavg_before": before, "loadavg_after": after})
print(json.dumps(r))
PY
  echo "$v$suffix: $(tail -1 "$RESULTS" | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin); print("%.3f (%d/%d), %.1f s" % (r["accuracy"], r["correct"], r["cases"], r["seconds"]))')"
done
/usr/bin/python3 "$ROOT/bench/retrieval_pruning_table.py" "$RESULTS"
