#!/usr/bin/env bash
# Bits per byte of llama12 on valid.txt with the CPU reference executor
# (README protocol: 512-byte windows), for the float32 model and the bundled
# float16-weight copy, plus logits agreement and greedy ids. Writes one JSON
# line per measurement to bench/results/eval_llama12_cpu.jsonl (with the load
# average, since the machine may be shared) and prints them.
#
#   bench/eval_llama12_cpu.sh [BUILD_DIR] [--max-windows N] [--threads N]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
shift || true
RUN="$BUILD/bin/sieve-run"
SHARED="$ROOT/../shared/models/llama12"
EXAMPLE="$ROOT/models/llama12"
OUT="$ROOT/bench/results"
mkdir -p "$OUT"
RESULTS="$OUT/eval_llama12_cpu.jsonl"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

models=("$EXAMPLE/llama12_fp16w.onnx")
[ -f "$SHARED/llama12.onnx" ] && models=("$SHARED/llama12.onnx" "${models[@]}")
for model in "${models[@]}"; do
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  report=$("$RUN" "$model" --eval "$EXAMPLE/valid.txt" --json "$@")
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  logits=""
  if [ -f "$SHARED/llama12_ref_logits_fp32.npy" ]; then
    "$RUN" "$model" --logits-out "$TMP/l.npy" --input-file "$EXAMPLE/valid.txt" \
      --input-bytes 128
    logits=$(/usr/bin/python3 -c "import numpy as np, sys
a = np.load(sys.argv[1]); b = np.load(sys.argv[2])
print(float(np.abs(a.astype(np.float64) - b).max()))" "$TMP/l.npy" \
      "$SHARED/llama12_ref_logits_fp32.npy")
  fi
  greedy=$("$RUN" "$model" --prompt "The list type in Python" \
    --max-new-tokens 96 --json)
  match=$(/usr/bin/python3 -c "import json, sys
got = json.loads(sys.argv[1])['tokens']
want = json.load(open(sys.argv[2]))['greedy_fp32_ids']
print(str(got == want).lower())" "$greedy" "$EXAMPLE/reference.json")
  line=$(/usr/bin/python3 -c "import json, sys
r = json.loads(sys.argv[1])
r.update(model=sys.argv[2], logits_max_abs_diff=float(sys.argv[3]) if sys.argv[3] else None,
         greedy_ids_match=sys.argv[4] == 'true', load_before=sys.argv[5],
         load_after=sys.argv[6], cpus=int(sys.argv[7]))
print(json.dumps(r))" "$report" "$(basename "$model")" "$logits" "$match" \
    "$load_before" "$load_after" "$(nproc)")
  echo "$line" | tee -a "$RESULTS"
done
