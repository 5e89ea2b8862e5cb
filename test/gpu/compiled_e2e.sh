#!/usr/bin/env bash
# The compiled path end to end on the GPU machine (issue 6), in one run:
# compile with the carried self-contained sieve-compile, run with sieve-run,
# compare with the float32 reference and with PyTorch.
#
#   CARRY=carry OUT=$OUT bash test/gpu/compiled_e2e.sh [llama12] [sanitize] [hf] [bench]
#
# CARRY holds bin/sieve-compile, bin/sieve-run, llama12/
# llama12_ref_logits_fp32.npy (from ../shared/models/llama12) and
# l12-bf16.sieve, llama12 compiled here from its float32 weights with
# --dtype bf16 (the float32 model does not fit the 64 MiB a run carries
# next to the repository). The f16 model is compiled there from the bundled
# copy: its weights.bin is bit-identical to compiling the float32 model
# with --dtype f16 (checked with cmp). Every result is one JSON line in
# $OUT/e2e.jsonl; the log is $OUT/e2e.log. SIEVE_COMPILE_FLAGS (e.g.
# --decode-fusion) are added to every sieve-compile this script runs.
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

compile() { # LABEL INPUT OUTDIR [flags]; $SIEVE_COMPILE_FLAGS are added to every compile
  local label=$1 in=$2 out=$3; shift 3
  python3 "$GPU/measure.py" "compile $label" "$BIN/sieve-compile" "$in" -o "$out" "$@" \
    ${SIEVE_COMPILE_FLAGS:-} \
    2> >(tee -a "$OUT/compile.log" >&2)
}

if [[ " $parts " == *" llama12 "* ]]; then
  note "llama12: compile f16 from the bundled copy; bf16 was compiled from float32"
  L=$CARRY/llama12
  run_or_fail compile llama12-f16 "$ROOT/models/llama12/llama12_fp16w.onnx" "$WORK/l12-f16.sieve"
  if [[ -d "$CARRY/l12-bf16.sieve" ]]; then
    cp -r "$CARRY/l12-bf16.sieve" "$WORK/l12-bf16.sieve"
  else # not carried (space): bf16 from the float16 copy (rounded twice)
    note "no $CARRY/l12-bf16.sieve: bf16 compiled from the bundled float16 copy"
    run_or_fail compile llama12-bf16-from-f16 "$ROOT/models/llama12/llama12_fp16w.onnx" \
      "$WORK/l12-bf16.sieve" --dtype bf16
  fi
  grep '"measure"' "$OUT/compile.log" | tee -a "$RESULTS"

  note "logits of the first 128 bytes of valid.txt vs the float32 reference"
  for m in l12-f16 l12-bf16; do
    run_or_fail "$BIN/sieve-run" "$WORK/$m.sieve" --logits-out "$WORK/$m.npy" \
      --input-file "$ROOT/models/llama12/valid.txt" --input-bytes 128
    python3 "$GPU/compare_logits.py" "llama12 $m vs fp32 ref" "$WORK/$m.npy" \
      "$L/llama12_ref_logits_fp32.npy" 1e-2 | tee -a "$RESULTS" || status=1
  done

  note "greedy generation of 96 tokens (f16) vs reference.json, KV decode vs recompute"
  for m in l12-f16 l12-bf16; do
    "$BIN/sieve-run" "$WORK/$m.sieve" --prompt "The list type in Python" \
      --max-new-tokens 96 --json --check-kv > "$WORK/$m.gen.json" || status=1
    python3 - "$m" "$WORK/$m.gen.json" "$ROOT/models/llama12/reference.json" \
        "$BIN/sieve-run" "$WORK/$m.sieve" "$WORK" <<'EOF' | tee -a "$RESULTS"
import json, subprocess, sys
import numpy as np
m, got, ref = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
run, model, work = sys.argv[4:7]
want = ref["greedy_fp32_ids"]
same = next((i for i, (a, b) in enumerate(zip(got["tokens"], want)) if a != b), None)
out = {"generate": m, "tokens": len(got["tokens"]),
       "matches_reference": same is None and len(got["tokens"]) == len(want),
       "first_mismatch": same, "kv_max_abs_diff": got.get("kv_max_abs_diff"),
       "decode_tokens_per_second": got.get("decode_tokens_per_second")}
if same is not None:
    # The two logits at the first flip, from a prefill of the reference prefix.
    prefix = ref["prompt"].encode() + bytes(want[:same])
    open(f"{work}/flip.bin", "wb").write(prefix)
    subprocess.run([run, model, "--logits-out", f"{work}/flip.npy",
                    "--input-file", f"{work}/flip.bin"], check=True)
    row = np.load(f"{work}/flip.npy")[-1]
    out["flip"] = {"reference_token": want[same], "reference_logit": float(row[want[same]]),
                   "compiled_token": got["tokens"][same], "compiled_logit": float(row[got["tokens"][same]])}
print(json.dumps(out))
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
  [[ -d "$WORK/l12-f16.sieve" ]] || compile llama12-f16 "$ROOT/models/llama12/llama12_fp16w.onnx" "$WORK/l12-f16.sieve"
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

if [[ " $parts " == *" tiny-fp16 "* ]]; then
  # Small fp16-computing exports, brought back to debug raising with.
  for name in llama1b gpt2; do
    python3 "$GPU/export_hf.py" "$name" "$WORK/tiny-$name" --tiny --onnx-dtype fp16 --no-logits &&
      tar -C "$WORK" -czf "$OUT/tiny-$name-fp16.tgz" "tiny-$name"
  done
fi

if [[ " $parts " == *" hf "* ]]; then
  for name in ${HF_MODELS:-gpt2 llama1b qwen1.5b}; do
    note "$name: export (random weights, fp16), compile, compare at batch 1 and 8"
    D=$WORK/$name
    run_or_fail python3 "$GPU/export_hf.py" "$name" "$D"
    run_or_fail compile "$name" "$D/$name.onnx" "$D/$name.sieve" --dtype f16
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
