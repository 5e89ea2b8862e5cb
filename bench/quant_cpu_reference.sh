#!/usr/bin/env bash
# CPU reference bits per byte of the IR that test/gpu/quant_e2e.sh compiles
# for the GPU from the bundled llama12 copy (models/llama12/llama12_fp16w.onnx):
# raised, then `--sieve-quantize` with the options of each variant in
# bench/quant_configs.tsv (the GPU script reads the same table), evaluated
# by the CPU reference on all of valid.txt. test/gpu/quant_e2e.sh compares
# its GPU bits per byte with these when it has no sieve-opt to compute them
# itself.
#
#   bench/quant_cpu_reference.sh [BUILD_DIR]                 # every variant
#   CONFIGS="fp8" bench/quant_cpu_reference.sh [BUILD_DIR]   # some, replacing their lines
#
# The variants with @PROFILE@ (AWQ, the LIM and ZD orders of mixed
# precision) use bench/results/profile_llama12_fp16w.json, the calibration
# profile (`sieve-run --profile`) of the same model over the first 64
# windows of valid.txt; it is made here when missing (PROFILE=1 remakes it).
#
# Each line also holds the variant's greedy continuation of "The list type
# in Python" (64 tokens, `sieve-run --prompt ... --json`) and the top-2
# logit margin at each of its tokens, which the GPU script compares its own
# with (test/gpu/quant_check.py). GREEDY_ONLY=1 keeps the bits per byte
# already recorded and redoes the greedy part only. PYTHON= names a python3
# with numpy.
#
# Results: bench/results/quant_cpu_reference.jsonl (one line per variant).
#
# PREQUANT="nbits dq" evaluates instead models that arrive quantized: the
# same llama12 rewritten by test/gen/make_quantized_models.py --from ...
# --form F (MatMulNBits int4 / DequantizeLinear int8), raised, no
# --sieve-quantize; variants prequant-F, results in
# bench/results/prequant_cpu_reference.jsonl (test/gpu/quant_e2e.sh
# prequant compares with them).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/bench/quant_configs.sh"
BUILD="${1:-$ROOT/build}"
B="$BUILD/bin"
M="$ROOT/models/llama12"
OUT="$ROOT/bench/results/${PREQUANT:+pre}quant_cpu_reference.jsonl"
PROFILE_JSON="$ROOT/bench/results/profile_llama12_fp16w.json"
PROMPT="The list type in Python"
PY="${PYTHON:-python3}" # with numpy
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
CONFIGS_RUN="${CONFIGS:-$(quant_config_names)}"
[[ -n ${PREQUANT:-} ]] && CONFIGS_RUN=$(printf 'prequant-%s ' $PREQUANT)
for c in $CONFIGS_RUN; do
  [[ $c == prequant-nbits || $c == prequant-dq ]] && continue
  quant_options "$c" "" > /dev/null ||
    { echo "unknown config $c ($(quant_config_names | tr '\n' ' '))"; exit 2; }
done
"$B/sieve-translate" --import-onnx "$M/llama12_fp16w.onnx" -o "$TMP/in.mlir"
"$B/sieve-opt" --sieve-simplify --sieve-raise "$TMP/in.mlir" -o "$TMP/fp16.mlir"
if [[ ! -f "$PROFILE_JSON" || ${PROFILE:-0} == 1 ]]; then
  echo "profiling llama12_fp16w over the first 64 windows of valid.txt"
  "$B/sieve-run" "$TMP/fp16.mlir" --profile "$M/valid.txt" --max-windows 64 -o "$PROFILE_JSON"
fi
touch "$OUT"
for c in $CONFIGS_RUN; do
  m="$TMP/fp16.mlir"
  note=""
  source="llama12_fp16w.onnx"
  if [[ $c == prequant-* ]]; then # the model arrives quantized
    opts=""
    "$PY" "$ROOT/test/gen/make_quantized_models.py" --from "$M/llama12_fp16w.onnx" \
      --form "${c#prequant-}" "$TMP/$c"
    "$B/sieve-translate" --import-onnx "$TMP/$c/model.onnx" | "$B/sieve-opt" --sieve-simplify \
      --sieve-raise -o "$TMP/$c.mlir"
    m="$TMP/$c.mlir"
    source="llama12_fp16w.onnx, test/gen/make_quantized_models.py --form ${c#prequant-}"
  else
    opts=$(quant_options "$c" "$PROFILE_JSON")
  fi
  if [[ -n "$opts" ]]; then
    note=$("$B/sieve-opt" --sieve-quantize="$opts weights-file=$TMP/$c.bin" "$TMP/fp16.mlir" \
      -o "$TMP/$c.mlir" 2>&1 | sed -n 's/.*remark: sieve-quantize: //p')
    m="$TMP/$c.mlir"
  fi
  r="{}"
  if [[ ${GREEDY_ONLY:-0} != 1 ]]; then
    r=$("$B/sieve-run" "$m" --device=cpu --eval "$M/valid.txt" --json 2>/dev/null | tail -1)
  fi
  g=$("$B/sieve-run" "$m" --device=cpu --prompt "$PROMPT" --max-new-tokens 64 --json \
    2>/dev/null | tail -1)
  # The top-2 logit margin at each generated token: the logits of the prompt
  # and continuation in one prefill (on the CPU decode and recompute are
  # bit-identical), row P - 1 + i predicting token i.
  "$PY" -c 'import json, sys
sys.stdout.buffer.write(sys.argv[1].encode() + bytes(json.loads(sys.argv[2])["tokens"]))' \
    "$PROMPT" "$g" > "$TMP/greedy.txt"
  "$B/sieve-run" "$m" --device=cpu --logits-out "$TMP/greedy.npy" --input-file "$TMP/greedy.txt" \
    --input-bytes "$(stat -c %s "$TMP/greedy.txt")" > /dev/null
  margins=$("$PY" - "$TMP/greedy.npy" "$g" "${#PROMPT}" <<'PY'
import json, sys
import numpy as np
logits, tokens, p = np.load(sys.argv[1]), json.loads(sys.argv[2])["tokens"], int(sys.argv[3])
out = []
for i, t in enumerate(tokens):
    row = logits[p - 1 + i]
    top = np.argsort(-row)[:2]
    assert top[0] == t, f"token {i}: the prefill's argmax {top[0]} is not the greedy token {t}"
    out.append(round(float(row[top[0]] - row[top[1]]), 4))
print(json.dumps(out))
PY
)
  # The options are recorded with the profile as @PROFILE@ (the file's place
  # differs between machines); the line replaces an earlier one of $c.
  "$PY" - "$r" "$g" "$c" "$(quant_options "$c" @PROFILE@ || true)" "$note" "$OUT" "$margins" \
    "$source" <<'PY'
import json, sys
r, g = json.loads(sys.argv[1]), json.loads(sys.argv[2])
c, opts, note, out = sys.argv[3:7]
margins, source = json.loads(sys.argv[7]), sys.argv[8]
old = [json.loads(l) for l in open(out) if l.strip()]
prev = next((x for x in old if x["config"] == c), {})
if not r:  # GREEDY_ONLY: keep the recorded evaluation
    r = {k: v for k, v in prev.items() if not k.startswith("greedy_")}
r.update(config=c, source=source, options=opts,
         greedy_tokens=g["tokens"], greedy_text=g["text"], greedy_margins=margins)
if note:
    r["note"] = note
lines = [json.dumps(x) + "\n" for x in old if x["config"] != c]
open(out, "w").writelines(lines + [json.dumps(r) + "\n"])
print(json.dumps(r))
PY
  rm -f "$TMP/$c.bin"
done
