#!/usr/bin/env bash
# The optimization passes on a large model shape on the GPU machine, each
# variant against the plain f16 model in the same run (speed and memory
# only: seeded random weights):
#   skip      issue 8: decode tokens/s with 25% of the decoder layers removed
#             (sieve-compile --skip-layers='mode=unified count=L/4', first
#             and last layer kept) vs none, batch 1 and 8 at 512 of context;
#   quant     issue 9: int8, int4 (groups of 128) and fp8 weights
#             (sieve-compile --quantize=...) vs f16: prefill of 2048 tokens,
#             decode at batch 1 and 16 at 2048 of context, with the weight
#             bytes a decode step reads;
#   gemfilter issue 10: time to first token and peak GPU memory of one
#             prompt of 8k, 32k and 64k tokens, dense vs GemFilter
#             (sieve-compile --prune-tokens='layer=R k=K'), one process per
#             prompt length (nvidia-smi polling, bench/gpu_bench.py memrun).
#
#   CARRY=carry OUT=$OUT bash bench/variants_gpu.sh SHAPE PART...
#
# SHAPE: llama1b or llama8b (bench/make_llama_shape_onnx.py). The f16 ONNX
# and the compiled f16 model are taken from $WORK/files-SHAPE (what
# `BENCH_KEEP=1 bash bench/gpu_bench.sh SHAPE` leaves there), else made
# here: float16 ONNX with 131072 rotary positions, compiled --dtype f16.
# Every variant is compiled from that ONNX, measured and deleted before the
# next (the 8B shape's ONNX and f16 model take 32 GB of the 64 GB disk).
# Knobs: VARIANTS_QUANT (default "int8 int4 fp8"; int4-head also quantizes
# the LM head), VARIANTS_FILTER ("layer=13 k=1024", the GemFilter paper's
# setting for Llama-3.1-8B), VARIANTS_PROMPTS (8192,32768,65536).
# Results: one JSON line per measurement appended to
# $OUT/variants_SHAPE.jsonl (parts may run in separate device commands; the
# committed bench/results/variants_SHAPE.jsonl gathers them), its table
# $OUT/variants_SHAPE.md (bench/variants_table.py), the log
# $OUT/variants_SHAPE.log.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARRY="$(cd "${CARRY:-$ROOT/carry}" && pwd)" || { echo "no CARRY directory"; exit 2; }
OUT="${OUT:-/tmp/sieve-variants-out}"
WORK="${WORK:-/tmp/sieve-bench}"
BIN="$CARRY/bin"
SHAPE="${1:-}"
shift || true
PARTS="$*"
case $SHAPE in llama1b|llama8b) ;; *) echo "usage: bash bench/variants_gpu.sh {llama1b|llama8b} {skip|quant|gemfilter}..."; exit 2;; esac
[[ -n $PARTS ]] || { echo "name at least one part: skip, quant, gemfilter"; exit 2; }
for p in $PARTS; do
  case $p in skip|quant|gemfilter) ;; *) echo "unknown part '$p' (skip, quant, gemfilter)"; exit 2;; esac
done
for q in ${VARIANTS_QUANT:-int8 int4 fp8}; do
  case $q in int8|int4|int4-head|fp8) ;; *) echo "unknown VARIANTS_QUANT entry '$q' (int8, int4, int4-head, fp8)"; exit 2;; esac
done
for tool in sieve-compile sieve-run; do
  [[ -x "$BIN/$tool" ]] || { echo "missing $BIN/$tool"; exit 2; }
done
M="$WORK/files-$SHAPE"
mkdir -p "$OUT" "$M"
exec > >(tee -a "$OUT/variants_$SHAPE.log") 2>&1
RESULTS="$OUT/variants_$SHAPE.jsonl"
status=0
note() { echo "== $(date -u +%H:%M:%S) $*"; }
fail() { echo "FAIL $*"; status=1; }
PY="python3 $ROOT/bench/gpu_bench.py"

# One JSON line: the part, the variant and what the model and the run say.
record() { # PART VARIANT MODEL_DIR BENCH_JSON [EXTRA_JSON]
  python3 - "$SHAPE" "$@" <<'PY' | tee -a "$RESULTS"
import json, sys
shape, part, variant, model, bench = sys.argv[1:6]
extra = json.loads(sys.argv[6]) if len(sys.argv) > 6 else {}
man = json.load(open(f"{model}/manifest.json"))
run = json.load(open(bench))
result = run.get("result", run)  # a memrun record or sieve-run's own JSON
tensors = {t["name"]: t["bytes"] for t in man["weights"]["tensors"]}
payload = man["weights"]["payload_bytes"]
# A decode step reads every weight but the embedding table, unless the LM
# head is the table itself (tied); a quantized head is w.lm_head.codes etc.
untied = any(n == "w.lm_head" or n.startswith("w.lm_head.") for n in tensors)
step = payload - tensors.get("w.embed", 0) if untied else payload
head = [g["format"] for g in (man.get("quantization") or {}).get("gemms", [])
        if g.get("codes", "").startswith("w.lm_head")]
row = {"shape": shape, "part": part, "variant": variant,
       "config": man["config"], "options": man["options"],
       "weights_payload_bytes": payload, "decode_weight_bytes": step,
       "lm_head": head[0] if head else man["dtype"],
       "removed": [r.get("layer") for r in man.get("removed", [])],
       "prefill": result.get("prefill"), "decode": result.get("decode")}
for k in ("peak_gpu_mib", "rc", "seconds"):
    if k in run:
        row[k] = run[k]
row.update(extra)
print(json.dumps(row))
PY
}

compile() { # NAME FLAGS... : $M/NAME.sieve from the ONNX
  local name=$1; shift
  note "compile $name: $*"
  python3 "$ROOT/test/gpu/measure.py" "compile $SHAPE $name" "$BIN/sieve-compile" \
    "$M/$SHAPE.onnx" -o "$M/$name.sieve" --dtype f16 --quiet "$@" 2> "$M/$name.compile.err"
  local rc=$?
  tail -3 "$M/$name.compile.err"
  [[ $rc == 0 ]] || { fail "compile $name"; return 1; }
}

bench() { # MODEL RECORD_JSON sieve-run bench flags...
  local model=$1 out=$2; shift 2
  note "bench $(basename "$model") $*"
  $PY memrun "$out" -- "$BIN/sieve-run" "$model" --bench --json "$@" ||
    { fail "bench $model $*"; return 1; }
}

nvidia-smi -L
df -h "$WORK" | tail -1
if [[ ! -f "$M/$SHAPE.onnx" ]]; then
  note "make_llama_shape_onnx.py $SHAPE (fp16)"
  python3 "$ROOT/bench/make_llama_shape_onnx.py" "$SHAPE" "$M" --dtype fp16 --max-pos 131072 ||
    { echo "FAIL making the ONNX"; exit 1; }
fi
if [[ ! -d "$M/$SHAPE.sieve" ]]; then
  compile "$SHAPE" || exit 1
fi
FULL="$M/$SHAPE.sieve"
L=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['config']['num_layers'])" "$FULL/manifest.json")

for part in $PARTS; do
  case $part in
  skip)
    n=$((L / 4))
    compile skip --skip-layers="mode=unified count=$n" || continue
    for v in full skip; do
      model=$FULL; [[ $v == skip ]] && model=$M/skip.sieve
      bench "$model" "$M/skip-$v.json" --bench-prompt-lengths 512 --bench-batches 1,8 &&
        record skip "$v" "$model" "$M/skip-$v.json" "{\"skip_count\": $n}"
    done
    rm -rf "$M/skip.sieve"
    ;;
  quant)
    bench "$FULL" "$M/quant-f16.json" --bench-prompt-lengths 2048 --bench-batches 1,16 &&
      record quant f16 "$FULL" "$M/quant-f16.json"
    for q in ${VARIANTS_QUANT:-int8 int4 fp8}; do
      case $q in
      int8) opts="weights=int8" ;;
      int4) opts="weights=int4 group=128" ;;
      int4-head) opts="weights=int4 group=128 lm-head=true" ;;
      fp8) opts="weights=fp8" ;;
      esac
      compile "$q" --quantize="$opts" || continue
      bench "$M/$q.sieve" "$M/quant-$q.json" --bench-prompt-lengths 2048 --bench-batches 1,16 &&
        record quant "$q" "$M/$q.sieve" "$M/quant-$q.json"
      rm -rf "$M/$q.sieve" "$M/$q.sieve".quant.bin
    done
    ;;
  gemfilter)
    filter="${VARIANTS_FILTER:-layer=13 k=1024}"
    compile gemfilter --prune-tokens="$filter" || continue
    for len in $(echo "${VARIANTS_PROMPTS:-8192,32768,65536}" | tr , ' '); do
      for v in dense gemfilter; do
        model=$FULL; [[ $v == gemfilter ]] && model=$M/gemfilter.sieve
        bench "$model" "$M/gf-$v-$len.json" --bench-prompt-lengths "$len" --bench-batches 1 \
          --bench-decode-steps 32 &&
          record gemfilter "$v" "$model" "$M/gf-$v-$len.json" "{\"prompt_tokens\": $len, \"filter\": \"$filter\"}"
      done
    done
    rm -rf "$M/gemfilter.sieve"
    ;;
  esac
done

# The copy bandwidth of this machine: what gpu_bench.sh measured here, else
# measured now (torch; a few seconds), so every table has its floors.
if [[ ! -f "$WORK/ceilings.json" ]]; then
  note "ceilings: copy bandwidth, cuBLAS fp16 GEMM"
  $PY ceilings "$WORK/ceilings.json" || fail "ceilings"
fi
ceilings=(); [[ -f "$WORK/ceilings.json" ]] && ceilings=(--ceilings "$WORK/ceilings.json") &&
  cp "$WORK/ceilings.json" "$OUT/variants_ceilings.json"
python3 "$ROOT/bench/variants_table.py" "$RESULTS" "${ceilings[@]}" --md "$OUT/variants_$SHAPE.md" &&
  cat "$OUT/variants_$SHAPE.md"
[[ $status == 0 ]] && echo "variants_gpu: ALL PASSED" || echo "variants_gpu: SOME FAILED"
exit $status
