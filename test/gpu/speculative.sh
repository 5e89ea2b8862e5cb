#!/usr/bin/env bash
# Self-speculative decoding on the GPU (issue 8, docs/speculative.md):
# compiles llama12 with --self-speculative for a few draft skip sets, then
# for each: greedy 96 tokens from "The list type in Python" with
# --speculative (draft k = 4 and 2; verify by sieve_prefill, and by
# sieve_verify_step's CUDA graph with --verify-graph) must equal plain
# greedy of the same compiled model (sieve-run runs both on one session and
# fails otherwise);
# prints the acceptance rate, tokens per verify step and tokens/s of plain
# vs speculative decode, measured in the same run.
#
#   CARRY=carry OUT=$OUT bash test/gpu/speculative.sh
#
# CARRY holds bin/sieve-compile and bin/sieve-run (self-contained builds).
# The model is $CARRY/llama12/llama12.onnx when present (float32, compiled
# to f16), else the bundled f16 copy models/llama12/llama12_fp16w.onnx.
# Results: one JSON line per run in $OUT/speculative.jsonl, log in
# $OUT/speculative.log. About 1 minute on an H100 (nvcc dominates).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CARRY="$(cd "${CARRY:-$ROOT/carry}" && pwd)"
OUT="${OUT:-/tmp/sieve-spec-out}"
WORK="${WORK:-/tmp/sieve-spec}"
BIN="$CARRY/bin"
mkdir -p "$OUT" "$WORK"
exec > >(tee -a "$OUT/speculative.log") 2>&1
RESULTS="$OUT/speculative.jsonl"
PROMPT="The list type in Python"
TOKENS="${TOKENS:-96}"
# Skip sets: whole layers by block influence (count 2 and 3, the layers
# docs/skip-layers.md's static cosine removes first) and four MLP blocks.
SETS="${SETS:-2,4 2,4,3 2.mlp,3.mlp,4.mlp,5.mlp}"
status=0

MODEL="$ROOT/models/llama12/llama12_fp16w.onnx"
[[ -f "$CARRY/llama12/llama12.onnx" ]] && MODEL="$CARRY/llama12/llama12.onnx"
nvidia-smi -L
echo "model: $MODEL"

i=0
for set in $SETS; do
  i=$((i + 1))
  dir="$WORK/spec$i.sieve"
  echo "== compile with --self-speculative='draft=4 skip=$set'"
  if ! "$BIN/sieve-compile" "$MODEL" -o "$dir" --dtype f16 --quiet \
      --self-speculative="draft=4 skip=$set"; then
    echo "FAIL compile skip=$set"; status=1; continue
  fi
  for k in 4 2; do
   for verify in prefill graph; do
    json="$WORK/spec$i.k$k.$verify.json"
    flag=(); [[ $verify == graph ]] && flag=(--verify-graph)
    "$BIN/sieve-run" "$dir" --prompt "$PROMPT" --max-new-tokens "$TOKENS" \
      --speculative="draft=$k" "${flag[@]}" --json > "$json"
    rc=$?
    python3 - "$json" "$set" "$k" "$rc" <<'PY' | tee -a "$RESULTS"
import json, sys
path, skip, k, rc = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
try:
    r = json.load(open(path))
except Exception as e:
    print(json.dumps({"skip": skip, "draft": k, "error": f"no JSON ({e}), exit {rc}"}))
    print(f"FAIL speculative skip={skip} k={k}: sieve-run exit {rc}", file=sys.stderr)
    sys.exit(0)
r.pop("text", None); r.pop("tokens", None)
r.update({"skip": skip, "exit": rc})
print(json.dumps(r))
word = "PASS" if rc == 0 and r["identical_to_greedy"] else "FAIL"
print(f"{word} skip={skip} k={k} verify={r['verify']}: identical={r['identical_to_greedy']} "
      f"acceptance={r['acceptance_rate']:.3f} tokens/verify={r['tokens_per_verify']:.2f} "
      f"greedy {r['greedy_tokens_per_second']:.1f} tok/s, speculative "
      f"{r['speculative_tokens_per_second']:.1f} tok/s, x{r['speedup']:.2f}", file=sys.stderr)
PY
    [[ $rc -eq 0 ]] || status=1
   done
  done
done

echo "== --skip-layers: layers 2 and 4 removed (10 KV layers), bits per byte vs the CPU reference"
# docs/skip-layers.md: the float32 CPU reference gets 1.4011 bits per byte on
# all of valid.txt without layers 2 and 4 (the full model: 1.0856 CPU,
# 1.085584 compiled f16).
if "$BIN/sieve-compile" "$MODEL" -o "$WORK/skip.sieve" --dtype f16 --quiet \
    --skip-layers='mode=list layers=2,4'; then
  "$BIN/sieve-run" "$WORK/skip.sieve" --eval "$ROOT/models/llama12/valid.txt" --json \
    > "$WORK/skip.eval.json"
  "$BIN/sieve-run" "$WORK/skip.sieve" --prompt "$PROMPT" --max-new-tokens 32 \
    --check-kv --json > "$WORK/skip.gen.json"
  python3 - "$WORK/skip.sieve/manifest.json" "$WORK/skip.eval.json" "$WORK/skip.gen.json" <<'PY' | tee -a "$RESULTS"
import json, sys
last = lambda p: json.loads(open(p).read().strip().splitlines()[-1])
m, ev, gen = json.load(open(sys.argv[1])), last(sys.argv[2]), last(sys.argv[3])
bpb, kv = ev["bits_per_byte"], gen.get("kv_max_abs_diff")
ok = m["config"]["num_kv_layers"] == 10 and abs(bpb - 1.4011) < 2e-3 and kv is not None and kv < 5e-2
print(json.dumps({"skip_layers": "2,4", "num_kv_layers": m["config"]["num_kv_layers"],
                  "bits_per_byte": bpb, "cpu_reference": 1.4011, "kv_max_abs_diff": kv,
                  "decode_tokens_per_second": gen.get("decode_tokens_per_second")}))
print(("PASS" if ok else "FAIL") + f" skip-layers 2,4: {m['config']['num_kv_layers']} KV layers, "
      f"{bpb:.4f} bits/byte (CPU 1.4011), KV decode vs recompute {kv}", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
  [[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
else
  echo "FAIL compile --skip-layers"; status=1
fi

echo "== refusals"
if "$BIN/sieve-compile" "$MODEL" -o "$WORK/bad.sieve" --no-build --quiet \
    --self-speculative="draft=4 skip=12" 2>"$WORK/bad.err"; then
  echo "FAIL a skip list naming layer 12 of 12 compiled"; status=1
else
  echo "PASS refused: $(tail -1 "$WORK/bad.err")"
fi
[[ $status -eq 0 ]] && echo "ALL PASS" || echo "SOME FAILED"
exit $status
