#!/usr/bin/env bash
# Quantized weights on the GPU (issue 9), in one run (about 2 minutes on an
# H100):
#
#   CARRY=carry OUT=$OUT bash test/gpu/quant_e2e.sh [kernels] [llama12] [hf]
#
# (default: kernels llama12)
# 1. test/gpu/quant_gemm_test.cu: gemm_quant (int8 per channel, int4 groups
#    of 128 and 32) against an fp64 host product on both paths (fused kernel
#    for rows <= 16, dequantize + cuBLASLt above), f16 and bf16; then its
#    --bench timing mode: GB/s of packed weight bytes read at rows 1..16 on
#    Llama-3.2-1B and Llama-3-8B projection shapes, next to the f16 GEMM.
# 2. llama12 compiled with sieve-compile for fp16, int8
#    (--quantize='weights=int8'), int4 (--quantize='weights=int4
#    group=128') and fp8 (--quantize='weights=fp8'), from $CARRY/llama12/llama12.onnx (float32) when present,
#    else the bundled models/llama12/llama12_fp16w.onnx.
# 3. Bits per byte on valid.txt of each on the GPU (sieve-run --eval),
#    against the CPU reference of the same IR (sieve-run --device=cpu on the
#    output of sieve-opt --sieve-quantize with the same options): computed
#    here with QUANT_CPU=1 when $CARRY/bin has sieve-opt and sieve-translate
#    (minutes of CPU), else the figures docs/quantization.md records
#    (bench/quant_cpu_reference.sh). PASS within 5e-4 bits per byte.
# 4. sieve-run --bench: prefill 512/2048 tokens, decode tokens/s at batch 1
#    and 16 for each.
# hf (optional, about 3 more minutes; needs torch and transformers): the
# Llama-3.2-1B shape (random weights, test/gpu/export_hf.py; HF_MODEL=
# selects another shape of that script) compiled as fp16, int8 and int4,
# sieve-run --bench: prefill 2048 tokens, decode batch 1 and 16, with the
# weight bytes a decode step reads (weights.bin payload less the embedding
# table when the LM head does not read it) per second. The tied LM head
# stays f16 (the quantization pass leaves a tied head float).
#
# CARRY holds bin/sieve-compile and bin/sieve-run built from this branch
# (sieve-compile must know --quantize). Results: one JSON line each in
# $OUT/quant.jsonl; the log is $OUT/quant.log. Exit status 0 when every
# check passed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CARRY="$(cd "${CARRY:-$ROOT/carry}" && pwd)"
OUT="${OUT:-/tmp/sieve-quant-out}"
WORK="${WORK:-/tmp/sieve-quant}"
BIN="$CARRY/bin"
NVCC="${NVCC:-/usr/local/cuda/bin/nvcc}"
mkdir -p "$OUT" "$WORK"
exec > >(tee -a "$OUT/quant.log") 2>&1
RESULTS="$OUT/quant.jsonl"
status=0
note() { echo "== $*"; }
record() { echo "$1" | tee -a "$RESULTS"; }
fail() { echo "FAIL $*"; status=1; }
START=$SECONDS
parts=" ${*:-kernels llama12} "
has() { [[ "$parts" == *" $1 "* ]]; }

nvidia-smi -L
help=$("$BIN/sieve-compile" --help 2>&1)
if [[ $help != *--quantize* ]]; then
  echo "FAIL $BIN/sieve-compile has no --quantize: build it from branch quantgpu"
  exit 1
fi

test_pid=""
if has kernels; then
note "build quant_gemm_test (in the background, with the model compiles)"
"$NVCC" -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -I"$ROOT/runtime" \
  -I"$ROOT/include" -I"$ROOT/test/gpu" "$ROOT/test/gpu/quant_gemm_test.cu" \
  -o "$WORK/quant_gemm_test" -lcublasLt -lcublas > "$WORK/quant_gemm_test.log" 2>&1 &
test_pid=$!
fi

SRC="$ROOT/models/llama12/llama12_fp16w.onnx"
SRC_KIND=fp16w
if [[ -f "$CARRY/llama12/llama12.onnx" ]]; then
  SRC="$CARRY/llama12/llama12.onnx"
  SRC_KIND=fp32
fi
TEXT="$ROOT/models/llama12/valid.txt"
declare -A OPTIONS=([fp16]="" [int8]="weights=int8" [int4]="weights=int4 group=128"
                   [fp8]="weights=fp8")
CONFIGS=(fp16 int8 int4 fp8)

compile_all() { # SRC OUTPREFIX LABEL: every config in parallel
  local src=$1 prefix=$2 label=$3 pids=() entry c args
  for c in "${CONFIGS[@]}"; do
    rm -rf "$prefix-$c.sieve"
    args=("$src" -o "$prefix-$c.sieve" --dtype f16 --quiet)
    [[ -n "${OPTIONS[$c]}" ]] && args+=(--quantize="${OPTIONS[$c]}")
    "$BIN/sieve-compile" "${args[@]}" > "$prefix-compile-$c.log" 2>&1 &
    pids+=("$!:$c")
  done
  for entry in "${pids[@]}"; do
    c=${entry#*:}
    if wait "${entry%%:*}"; then
      echo "PASS compile $label $c"
      python3 - "$prefix-$c.sieve/manifest.json" "$label $c" <<'EOF' | tee -a "$RESULTS"
import json, sys
m = json.load(open(sys.argv[1]))
q = m.get("quantization", {})
print(json.dumps({"compiled": sys.argv[2], "payload_bytes": m["weights"]["payload_bytes"],
                  "quantized_bytes": q.get("quantized_bytes"), "formats": q.get("formats")}))
EOF
    else
      fail "compile $label $c"; cat "$prefix-compile-$c.log"
    fi
  done
}

if has llama12; then
note "compile llama12 ($SRC_KIND source) as ${CONFIGS[*]}"
compile_all "$SRC" "$WORK/l12" llama12
fi

if has kernels; then
note "quant_gemm_test (unit tests, then --bench)"
if wait $test_pid; then
  "$WORK/quant_gemm_test" --bench | tee "$OUT/quant_gemm_test.txt"
  rc=${PIPESTATUS[0]}
  [[ $rc == 0 ]] && echo "PASS quant_gemm_test" || fail "quant_gemm_test (exit $rc)"
  grep -c '^PASS' "$OUT/quant_gemm_test.txt" | xargs echo "quant_gemm_test checks passed:"
else
  fail "build quant_gemm_test"; cat "$WORK/quant_gemm_test.log"
fi
fi

if has llama12; then
# CPU reference bits per byte of the same IR: computed here when the tools
# are carried, else the figures docs/quantization.md records (computed on
# the CPU machine by bench/quant_cpu_reference.sh).
declare -A CPU_REF
if [[ ${QUANT_CPU:-0} == 1 && -x "$BIN/sieve-opt" && -x "$BIN/sieve-translate" ]]; then
  note "CPU reference of the same IR (sieve-opt + sieve-run --device=cpu)"
  "$BIN/sieve-translate" --import-onnx "$SRC" -o "$WORK/in.mlir" &&
    "$BIN/sieve-opt" --sieve-simplify --sieve-raise "$WORK/in.mlir" -o "$WORK/raised.mlir"
  for c in "${CONFIGS[@]}"; do
    m="$WORK/raised.mlir"
    if [[ -n "${OPTIONS[$c]}" ]]; then
      "$BIN/sieve-opt" --sieve-quantize="${OPTIONS[$c]} weights-file=$WORK/cpu-$c.bin" \
        "$WORK/raised.mlir" -o "$WORK/cpu-$c.mlir"
      m="$WORK/cpu-$c.mlir"
    fi
    CPU_REF[$c]=$("$BIN/sieve-run" "$m" --device=cpu --eval "$TEXT" --json 2>/dev/null | tail -1 |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["bits_per_byte"])')
  done
elif [[ $SRC_KIND == fp16w ]]; then
  CPU_REF=([fp16]=1.085579 [int8]=1.085824 [int4]=1.105789 [fp8]=1.088671)
else
  CPU_REF=([fp16]=1.085566 [int8]=1.08573 [int4]=1.10575 [fp8]=1.08895)
fi

note "bits per byte on valid.txt (GPU) vs the CPU reference of the same IR"
for c in "${CONFIGS[@]}"; do
  [[ -d "$WORK/l12-$c.sieve" ]] || continue
  r=$("$BIN/sieve-run" "$WORK/l12-$c.sieve" --eval "$TEXT" --json) || { fail "eval $c"; continue; }
  line=$(python3 "$ROOT/test/gpu/bpb_check.py" "$c" "$r" "${CPU_REF[$c]:-nan}" "$SRC_KIND")
  echo "$line"
  echo "${line#* }" >> "$RESULTS"
  [[ $line == PASS* ]] || status=1
done

note "greedy generation, KV decode vs a fresh prefill (int4)"
if [[ -d "$WORK/l12-int4.sieve" ]]; then
  if r=$("$BIN/sieve-run" "$WORK/l12-int4.sieve" --prompt "The list type in Python" \
      --max-new-tokens 64 --json --check-kv); then
  python3 - "$r" <<'EOF' | tee -a "$RESULTS"
import json, sys
r = json.loads(sys.argv[1])
print(json.dumps({"generate": "llama12 int4", "tokens": len(r.get("tokens", [])),
                  "kv_max_abs_diff": r.get("kv_max_abs_diff"), "text": r.get("text", "")[:120]}))
EOF
  else
    fail "generate int4"
  fi
fi

note "sieve-run --bench: prefill 512/2048, decode batch 1 and 16"
for c in "${CONFIGS[@]}"; do
  [[ -d "$WORK/l12-$c.sieve" ]] || continue
  r=$("$BIN/sieve-run" "$WORK/l12-$c.sieve" --bench --json --bench-prompt-lengths 512,2048 \
      --bench-batches 1,16) || { fail "bench $c"; continue; }
  record "{\"bench\": \"llama12 $c\", \"result\": $r}"
  python3 - "$c" "$r" <<'EOF'
import json, sys
r = json.loads(sys.argv[2])
d = {x["batch"]: x["tokens_per_s"] for x in r["decode"]}
p = {x["tokens"]: x["ms"] for x in r["prefill"]}
print(f"llama12 {sys.argv[1]}: decode {d.get(1, 0):.0f} tokens/s (batch 1), "
      f"{d.get(16, 0):.0f} tokens/s (batch 16); prefill 2048 tokens {p.get(2048, 0):.2f} ms")
EOF
done

fi

if has hf; then
  name=${HF_MODEL:-llama1b}
  D=$WORK/$name
  note "$name shape: export (random weights), compile fp16/int8/int4, bench"
  if python3 "$ROOT/test/gpu/export_hf.py" "$name" "$D" --no-logits; then
    compile_all "$D/$name.onnx" "$D/m" "$name"
    rm -rf "$D"/*.onnx* # disk
    for c in "${CONFIGS[@]}"; do
      [[ -d "$D/m-$c.sieve" ]] || continue
      r=$("$BIN/sieve-run" "$D/m-$c.sieve" --bench --json --bench-prompt-lengths 2048 \
          --bench-batches 1,16) || { fail "bench $name $c"; continue; }
      python3 - "$name $c" "$r" "$D/m-$c.sieve/manifest.json" <<'EOF' | tee -a "$RESULTS"
import json, sys
label, r, m = sys.argv[1], json.loads(sys.argv[2]), json.load(open(sys.argv[3]))
tensors = {t["name"]: t["bytes"] for t in m["weights"]["tensors"]}
# A decode step reads every weight once, except the embedding table when
# the LM head has its own weight (then only a few rows of it are read).
step = m["weights"]["payload_bytes"]
if "w.lm_head" in tensors or "w.lm_head.codes" in tensors:
    step -= tensors.get("w.embed", 0)
d = {x["batch"]: x for x in r["decode"]}
out = {"bench": label, "weight_bytes_per_step": step, "prefill_2048_ms": r["prefill"][0]["ms"]}
for b, x in d.items():
    out[f"decode_b{b}_tokens_per_s"] = round(x["tokens_per_s"], 1)
    out[f"decode_b{b}_weight_GBps"] = round(step / (x["ms_per_step"] / 1e3) / 1e9, 1)
print(json.dumps(out))
EOF
    done
  else
    fail "export $name"
  fi
fi

echo "quant_e2e: $((SECONDS - START)) s, status $status"
[[ $status == 0 ]] && echo "quant_e2e: ALL PASSED" || echo "quant_e2e: FAILED"
exit $status
