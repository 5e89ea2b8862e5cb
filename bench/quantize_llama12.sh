#!/usr/bin/env bash
# Bits per byte of llama12 (float32, shared models) on valid.txt with the CPU
# reference for each quantized format of --sieve-quantize (issue 9): fp32,
# fp16 weights, int8, int4 RTN and AWQ (with and without the LM head), fp8,
# KV int8/fp8/int4, and int4/int8 mixed precision at 5 and 6 average bits
# with the layer order from LIM, ZD and random (seeds 0, 1, 2; SEEDS="0"
# keeps one, AWQ_HEAD=0 drops the AWQ + LM head row: the full table takes
# about 3 minutes per configuration on a loaded 2-core machine).
#
#   [SEEDS="0 1 2"] [AWQ_HEAD=1] bench/quantize_llama12.sh [BUILD_DIR] [--max-windows N]
#   ONLY="kv-int4-g32 kv-int4-g16" bench/quantize_llama12.sh [BUILD_DIR] ...
#
# ONLY measures just the named configurations and replaces (or adds) their
# lines in the existing results, keeping the others (the table is remade
# from all of them, in this script's order).
#
# The calibration profile (AWQ, LIM, ZD) is `sieve-run --profile` over the
# first 64 windows of valid.txt (the convention of issue 8's reference;
# CALIB=FILE overrides the text). Writes bench/results/quantize_llama12.jsonl
# (or quantize_llama12_wN.jsonl with --max-windows N): one JSON line per
# configuration, and the markdown table next to it (.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
shift || true
MAXW=0
if [ "${1:-}" = "--max-windows" ]; then MAXW="$2"; shift 2; fi
OPT="$BUILD/bin/sieve-opt"
RUN="$BUILD/bin/sieve-run"
TRANSLATE="$BUILD/bin/sieve-translate"
MODELS="${SIEVE_SHARED_MODELS:-$ROOT/../shared/models}/llama12"
TEXT="$MODELS/valid.txt"
CALIB="${CALIB:-$TEXT}"
NAME=quantize_llama12
[ "$MAXW" != 0 ] && NAME="${NAME}_w$MAXW"
OUT="$ROOT/bench/results"
mkdir -p "$OUT"
RESULTS="$OUT/$NAME.jsonl"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
ONLY=" ${ONLY:-} "
NEW="$TMP/new.jsonl" # this run's lines, merged into $RESULTS at the end
: > "$NEW"
# wanted NAME: whether this run measures NAME (every name without ONLY);
# records NAME's place in the table either way.
wanted() {
  echo "$1" >> "$TMP/order"
  [[ "$ONLY" == "  " || "$ONLY" == *" $1 "* ]]
}
evalflags=(--eval "$TEXT" --json)
[ "$MAXW" != 0 ] && evalflags+=(--max-windows "$MAXW")

raise() { # MODEL.onnx OUT.mlir
  "$TRANSLATE" --import-onnx "$1" -o "$TMP/in.mlir"
  "$OPT" --sieve-simplify --sieve-raise "$TMP/in.mlir" -o "$2"
}
raise "$MODELS/llama12.onnx" "$TMP/fp32.mlir"
raise "$MODELS/llama12_fp16w.onnx" "$TMP/fp16.mlir"
"$RUN" "$TMP/fp32.mlir" --profile "$CALIB" --max-windows 64 \
  -o "$TMP/profile.json" 2>&1 | tail -1

measure() { # NAME MLIR OPTIONS NOTE
  local report
  report=$("$RUN" "$2" "${evalflags[@]}" | tail -1)
  /usr/bin/python3 -c "import json, sys
r = json.loads(sys.argv[1])
r.update(config=sys.argv[2], options=sys.argv[3], note=sys.argv[4],
         quantized_bytes=int(sys.argv[5]), load=sys.argv[6])
print(json.dumps(r))" "$report" "$1" "$3" "$4" "$(cat "$TMP/bytes")" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$NEW"
}

quantize() { # NAME OPTIONS
  local note
  wanted "$1" || return 0
  note=$("$OPT" --sieve-quantize="$2 weights-file=$TMP/$1.bin" \
    "$TMP/fp32.mlir" -o "$TMP/$1.mlir" 2>&1 |
    sed -n 's/.*remark: sieve-quantize: //p')
  if [ -f "$TMP/$1.bin" ]; then stat -c %s "$TMP/$1.bin" > "$TMP/bytes"
  else echo 0 > "$TMP/bytes"; fi
  measure "$1" "$TMP/$1.mlir" "$2" "$note"
  rm -f "$TMP/$1.bin"
}

P="profile=$TMP/profile.json"
echo 0 > "$TMP/bytes"
if wanted fp32; then measure fp32 "$TMP/fp32.mlir" "" "float32 weights"; fi
if wanted fp16; then
  measure fp16 "$TMP/fp16.mlir" "" "llama12_fp16w (weights rounded to f16)"
fi
quantize int8 "weights=int8"
quantize int4-rtn "weights=int4 group=128"
quantize int4-rtn-head "weights=int4 group=128 lm-head=true"
quantize int4-awq "weights=int4 group=128 method=awq $P"
[ "${AWQ_HEAD:-1}" = 1 ] &&
  quantize int4-awq-head "weights=int4 group=128 method=awq lm-head=true $P"
quantize fp8 "weights=fp8"
quantize kv-int8 "kv=int8"
quantize kv-fp8 "kv=fp8"
quantize kv-int4 "kv=int4"
quantize kv-int4-g32 "kv=int4 kv-group=32"
quantize kv-int4-g16 "kv=int4 kv-group=16"
quantize kv-int4-g8 "kv=int4 kv-group=8"
for bits in 5 6; do
  quantize "mixed$bits-lim" "weights=int4 target-bits=$bits order=lim $P"
  quantize "mixed$bits-zd" "weights=int4 target-bits=$bits order=zd $P"
  for seed in ${SEEDS:-0 1 2}; do
    quantize "mixed$bits-random$seed" \
      "weights=int4 target-bits=$bits order=random seed=$seed"
  done
done

/usr/bin/python3 - "$RESULTS" "$OUT/$NAME.md" "$MAXW" "$NEW" "$TMP/order" "$ONLY" <<'PY'
import json, os, sys
# Without ONLY this run's lines are the results; with it they replace the
# lines of the same configurations. Table order: this script's.
new = [json.loads(l) for l in open(sys.argv[4]) if l.strip()]
old = []
if sys.argv[6].strip() and os.path.exists(sys.argv[1]):
    old = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by_config = {r["config"]: r for r in old}
by_config.update({r["config"]: r for r in new})
order = [l.strip() for l in open(sys.argv[5])]
rows = [by_config.pop(c) for c in order if c in by_config] + list(by_config.values())
with open(sys.argv[1], "w") as f:
    f.writelines(json.dumps(r) + "\n" for r in rows)
base = next(r for r in rows if r["config"] == "fp32")["bits_per_byte"]
w = rows[0]["windows"]
out = [f"llama12 float32, valid.txt, {w} windows of 512 "
       f"({rows[0]['predicted_bytes']} predicted bytes), CPU reference.",
       "",
       "| config | --sieve-quantize options | bits/byte | vs fp32 | quantized file | note |",
       "|---|---|---|---|---|---|"]
for r in rows:
    opts = r["options"].replace(" profile=", " profile=P ").split(" profile=P ")[0]
    opts = " ".join(o for o in r["options"].split() if not o.startswith("profile="))
    if "profile=" in r["options"]:
        opts += " profile=P"
    size = f"{r['quantized_bytes'] / 1e6:.2f} MB" if r["quantized_bytes"] else "-"
    out.append(f"| {r['config']} | `{opts}` | {r['bits_per_byte']:.5f} | "
               f"{100 * (r['bits_per_byte'] / base - 1):+.2f}% | {size} | "
               f"{r['note']} |")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print("\n".join(out))
PY
