#!/usr/bin/env bash
# The compiled path end to end on the GPU machine (issue 6), in one run:
# compile with the carried self-contained sieve-compile, run with sieve-run,
# compare with the float32 reference and with PyTorch.
#
#   CARRY=carry OUT=$OUT bash test/gpu/compiled_e2e.sh [llama12] [sanitize] [hf] [bench]
#
# CARRY holds bin/sieve-compile, bin/sieve-run and llama12/ (llama12.onnx +
# .data, llama12_ref_logits_fp32.npy from ../shared/models/llama12). Every
# result is one JSON line in $OUT/e2e.jsonl; the log is $OUT/e2e.log.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CARRY="$(cd "${CARRY:-$ROOT/carry}" && pwd)"
OUT="${OUT:-/tmp/sieve-e2e-out}"
WORK="${WORK:-/tmp/sieve-e2e}"
BIN="$CARRY/bin"
GPU="$ROOT/test/gpu"
mkdir -p "$OUT" "$WORK"
exec > >(tee -a "$OUT/e2e.log") 2>&1
RESULTS="$OUT/e2e.jsonl"
parts="${*:-llama12 sanitize hf}"
status=0
note() { echo "== $*"; }
record() { echo "$1" | tee -a "$RESULTS"; }
run_or_fail() { "$@" || { echo "FAILED: $*"; status=1; }; }

nvidia-smi -L
python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'

compile() { # LABEL INPUT OUTDIR [flags]
  local label=$1 in=$2 out=$3; shift 3
  python3 "$GPU/measure.py" "compile $label" "$BIN/sieve-compile" "$in" -o "$out" "$@" \
    2> >(tee -a "$OUT/compile.log" >&2)
}

if [[ " $parts " == *" llama12 "* ]]; then
  note "llama12: compile f16 and bf16 from float32, and the bundled fp16 copy"
  L=$CARRY/llama12
  run_or_fail compile llama12-f16 "$L/llama12.onnx" "$WORK/l12-f16.sieve" --dtype f16
  run_or_fail compile llama12-bf16 "$L/llama12.onnx" "$WORK/l12-bf16.sieve" --dtype bf16
  run_or_fail compile llama12-bundled "$ROOT/models/llama12/llama12_fp16w.onnx" "$WORK/l12w.sieve"
  grep '"measure"' "$OUT/compile.log" | tee -a "$RESULTS"

  note "logits of the first 128 bytes of valid.txt vs the float32 reference"
  for m in l12-f16 l12-bf16 l12w; do
    run_or_fail "$BIN/sieve-run" "$WORK/$m.sieve" --logits-out "$WORK/$m.npy" \
      --input-file "$ROOT/models/llama12/valid.txt" --input-bytes 128
    python3 "$GPU/compare_logits.py" "llama12 $m vs fp32 ref" "$WORK/$m.npy" \
      "$L/llama12_ref_logits_fp32.npy" 1e-2 | tee -a "$RESULTS" || status=1
  done

  note "greedy generation of 96 tokens (f16) vs reference.json, KV decode vs recompute"
  for m in l12-f16 l12w l12-bf16; do
    "$BIN/sieve-run" "$WORK/$m.sieve" --prompt "The list type in Python" \
      --max-new-tokens 96 --json --check-kv > "$WORK/$m.gen.json" || status=1
    python3 - "$m" "$WORK/$m.gen.json" "$ROOT/models/llama12/reference.json" <<'EOF' | tee -a "$RESULTS"
import json, sys
m, got, ref = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
want = ref["greedy_fp32_ids"]
same = next((i for i, (a, b) in enumerate(zip(got["tokens"], want)) if a != b), None)
print(json.dumps({"generate": m, "tokens": len(got["tokens"]),
                  "matches_reference": same is None and len(got["tokens"]) == len(want),
                  "first_mismatch": same, "kv_max_abs_diff": got.get("kv_max_abs_diff"),
                  "decode_tokens_per_second": got.get("decode_tokens_per_second")}))
EOF
  done

  note "bits per byte on valid.txt (512-byte windows)"
  for m in l12-f16 l12-bf16; do
    r=$("$BIN/sieve-run" "$WORK/$m.sieve" --eval "$ROOT/models/llama12/valid.txt" --json) || status=1
    record "{\"eval\": \"$m\", \"result\": $r}"
  done
fi

if [[ " $parts " == *" sanitize "* ]]; then
  note "compute-sanitizer memcheck: llama12 prefill + 32 decode steps"
  [[ -d "$WORK/l12-f16.sieve" ]] || compile llama12-f16 "$CARRY/llama12/llama12.onnx" "$WORK/l12-f16.sieve"
  compute-sanitizer --tool memcheck --leak-check full --error-exitcode 9 \
    "$BIN/sieve-run" "$WORK/l12-f16.sieve" --prompt "The list type in Python" \
    --max-new-tokens 33 > "$WORK/sanitize.txt" 2>&1
  rc=$?
  tail -5 "$WORK/sanitize.txt"
  errors=$(grep -c "========= Invalid\|========= Program hit\|ERROR SUMMARY: [1-9]" "$WORK/sanitize.txt")
  summary=$(grep "ERROR SUMMARY" "$WORK/sanitize.txt" | tail -1)
  record "{\"sanitize\": \"memcheck llama12 prefill + 32 decode steps\", \"rc\": $rc, \"summary\": \"$summary\"}"
  [[ $rc == 0 ]] || status=1
fi

if [[ " $parts " == *" hf "* ]]; then
  for name in gpt2 llama1b qwen1.5b; do
    note "$name: export (random weights, fp16), compile, compare at batch 1 and 8"
    D=$WORK/$name
    run_or_fail python3 "$GPU/export_hf.py" "$name" "$D"
    run_or_fail compile "$name" "$D/$name.onnx" "$D/$name.sieve"
    for b in 1 8; do
      "$BIN/sieve-run" "$D/$name.sieve" --logits-out "$D/sieve_b$b.npy" \
        --input-file "$D/ids_b$b.npy" || status=1
      python3 "$GPU/compare_logits.py" "$name batch $b vs pytorch fp16" \
        "$D/sieve_b$b.npy" "$D/logits_b$b.npy" 2e-2 | tee -a "$RESULTS" || status=1
    done
    grep '"measure"' "$OUT/compile.log" | tail -1 | tee -a "$RESULTS"
    if [[ " $parts " == *" bench "* ]]; then
      r=$("$BIN/sieve-run" "$D/$name.sieve" --bench --json \
          --bench-prompt-lengths 512,2048 --bench-batches 1,8,32) || status=1
      record "{\"bench\": \"$name\", \"result\": $r}"
    fi
    rm -rf "$D"/*.onnx* # disk
  done
fi

echo "e2e status $status"
exit $status
