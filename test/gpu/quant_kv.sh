#!/usr/bin/env bash
# Quantized KV caches on the GPU (issue 9, docs/quantization.md "KV cache on
# the GPU"), in one run (about 2-3 minutes on an H100):
#
#   CARRY=carry OUT=$OUT bash test/gpu/quant_kv.sh [kernels] [llama12]
#
# (default: both)
# kernels: test/gpu/kernel_test.cu built with nvcc, its groups rotary and
#   attention (the f16/bf16 caches, unchanged paths) and kvquant (the
#   quantizing append against the host rule, prefill and decode attention
#   over int8 and fp8 caches at head_dim 32/64/128 against an fp64 reference
#   of the dequantized cache; int4 with one group per vector likewise), then
#   `--only kvquant --bench`: f16 attention at Llama-3-8B's shape (32/8
#   heads, hd 128) over f16, int8, fp8 and int4 caches (prefill 2048 tokens;
#   decode 16 slots x 4000 tokens).
# llama12: the bundled models/llama12/llama12_fp16w.onnx (or
#   $CARRY/llama12/llama12.onnx, float32, when present) compiled as fp16,
#   kv-int8 (--quantize='kv=int8'), kv-fp8 (--quantize='kv=fp8') and kv-int4
#   (--quantize='kv=int4': one group of head_dim per vector):
#   - the manifest's kv_format and kv_bytes_per_token;
#   - bits per byte on valid.txt on the GPU against the CPU reference of the
#     same IR (bench/results/quant_cpu_reference.jsonl, computed by
#     bench/quant_cpu_reference.sh; QUANT_CPU=1 with sieve-opt and
#     sieve-translate in $CARRY/bin recomputes them here, minutes of CPU):
#     PASS within 5e-4;
#   - greedy generation of 64 tokens with --check-kv (decode with the cache
#     against a fresh prefill: PASS below 0.1 max |logit difference|) and
#     the tokens it shares with fp16's generation;
#   - sieve-run --bench: decode tokens/s at batch 1 and 16 at 512 and 2048
#     tokens of context, prefill of 2048 tokens, against fp16.
#
# CARRY holds bin/sieve-compile and bin/sieve-run built from this branch.
# Results: one JSON line each in $OUT/quant_kv.jsonl; the log is
# $OUT/quant_kv.log. Exit status 0 when every check passed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CARRY="$(cd "${CARRY:-$ROOT/carry}" && pwd)"
OUT="${OUT:-/tmp/sieve-quant-kv-out}"
WORK="${WORK:-/tmp/sieve-quant-kv}"
BIN="$CARRY/bin"
NVCC="${NVCC:-/usr/local/cuda/bin/nvcc}"
mkdir -p "$OUT" "$WORK"
exec > >(tee -a "$OUT/quant_kv.log") 2>&1
export RESULTS="$OUT/quant_kv.jsonl"
status=0
note() { echo "== $*"; }
fail() { echo "FAIL $*"; status=1; }
START=$SECONDS
parts=" ${*:-kernels llama12} "
has() { [[ "$parts" == *" $1 "* ]]; }

nvidia-smi -L
if [[ $("$BIN/sieve-compile" --help 2>&1) != *--quantize* ]]; then
  echo "FAIL $BIN/sieve-compile has no --quantize: build it from branch quantgpu"
  exit 1
fi

test_pid=""
if has kernels; then
  note "build kernel_test (in the background, with the model compiles)"
  (
    "$NVCC" -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -I"$ROOT/runtime" \
      -I"$ROOT/include" -I"$ROOT/test/gpu" "$ROOT/test/gpu/kernel_test.cu" \
      "$ROOT/runtime/sampling.cu" -o "$WORK/kernel_test" -lcublasLt -lcublas
  ) > "$WORK/kernel_test.log" 2>&1 &
  test_pid=$!
fi

SRC="$ROOT/models/llama12/llama12_fp16w.onnx"
SRC_KIND=fp16w
if [[ -f "$CARRY/llama12/llama12.onnx" ]]; then
  SRC="$CARRY/llama12/llama12.onnx"
  SRC_KIND=fp32
fi
TEXT="$ROOT/models/llama12/valid.txt"
declare -A OPTIONS=([fp16]="" [kv-int8]="kv=int8" [kv-fp8]="kv=fp8" [kv-int4]="kv=int4")
CONFIGS=(fp16 kv-int8 kv-fp8 kv-int4)

if has llama12; then
  note "compile llama12 ($SRC_KIND source) as ${CONFIGS[*]}"
  pids=()
  for c in "${CONFIGS[@]}"; do
    rm -rf "$WORK/l12-$c.sieve"
    args=("$SRC" -o "$WORK/l12-$c.sieve" --dtype f16 --quiet)
    [[ -n "${OPTIONS[$c]}" ]] && args+=(--quantize="${OPTIONS[$c]}")
    "$BIN/sieve-compile" "${args[@]}" > "$WORK/compile-$c.log" 2>&1 &
    pids+=("$!:$c")
  done
  for entry in "${pids[@]}"; do
    c=${entry#*:}
    if wait "${entry%%:*}"; then
      echo "PASS compile llama12 $c"
    else
      fail "compile llama12 $c"; cat "$WORK/compile-$c.log"
    fi
  done
  # The cache of one token: 2 (K, V) x 12 layers x 2 KV heads x a vector of
  # 64 values (f16: 128 bytes; int8 / fp8: 64 codes + a 4-byte scale;
  # int4: 32 bytes of codes + a 4-byte scale + a zero-point byte).
  declare -A KV_BYTES=([fp16]=6144 [kv-int8]=3264 [kv-fp8]=3264 [kv-int4]=1776)
  declare -A KV_FORMAT=([fp16]=f16 [kv-int8]=int8 [kv-fp8]=fp8 [kv-int4]=int4)
  for c in "${CONFIGS[@]}"; do
    [[ -f "$WORK/l12-$c.sieve/manifest.json" ]] || continue
    python3 - "$WORK/l12-$c.sieve/manifest.json" "$c" "${KV_FORMAT[$c]}" "${KV_BYTES[$c]}" <<'EOF' || status=1
import json, sys
m = json.load(open(sys.argv[1]))["config"]
ok = m.get("kv_format") == sys.argv[3] and m.get("kv_bytes_per_token") == int(sys.argv[4])
print(("PASS" if ok else "FAIL") + f" manifest llama12 {sys.argv[2]}: kv_format "
      f"{m.get('kv_format')}, kv_bytes_per_token {m.get('kv_bytes_per_token')} "
      f"(expected {sys.argv[3]}, {sys.argv[4]})")
sys.exit(0 if ok else 1)
EOF
  done
fi

if has kernels; then
  note "kernel_test: rotary, attention (f16/bf16 caches), kvquant; then the attention bench"
  if wait $test_pid; then
    for group in rotary attention kvquant; do
      "$WORK/kernel_test" --only $group > "$OUT/kernel_test_$group.txt" 2>&1
      rc=$?
      grep -E '^(PASS|FAIL)' "$OUT/kernel_test_$group.txt" | grep -c '^PASS' |
        xargs echo "kernel_test --only $group checks passed:"
      grep '^FAIL' "$OUT/kernel_test_$group.txt"
      [[ $rc == 0 ]] && echo "PASS kernel_test --only $group" ||
        { fail "kernel_test --only $group (exit $rc)"; tail -5 "$OUT/kernel_test_$group.txt"; }
    done
    grep -E 'kv (int8|fp8|int4)' "$OUT/kernel_test_kvquant.txt" | head -8
    "$WORK/kernel_test" --only kvquant --bench 2>&1 | grep '^BENCH' | tee "$OUT/kernel_bench.txt"
    python3 - "$OUT/kernel_bench.txt" <<'EOF' | tee -a "$RESULTS"
import json, re, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"BENCH (attention_\w+) f16( kv \w+)? .*: ([0-9.]+) ms", line)
    if m:
        rows[(m.group(1), (m.group(2) or " f16").split()[-1])] = float(m.group(3))
for kind in ("attention_prefill", "attention_decode"):
    base = rows.get((kind, "f16"))
    for fmt in ("f16", "int8", "fp8", "int4"):
        ms = rows.get((kind, fmt))
        if ms is not None:
            print(json.dumps({"kernel_bench": kind, "kv": fmt, "ms": ms,
                              "vs_f16": round(base / ms, 3) if base else None}))
EOF
  else
    fail "build kernel_test"; cat "$WORK/kernel_test.log"
  fi
fi

if has llama12; then
  declare -A CPU_REF
  if [[ ${QUANT_CPU:-0} == 1 && -x "$BIN/sieve-opt" && -x "$BIN/sieve-translate" ]]; then
    note "CPU reference of the same IR (sieve-opt + sieve-run --device=cpu)"
    "$BIN/sieve-translate" --import-onnx "$SRC" -o "$WORK/in.mlir" &&
      "$BIN/sieve-opt" --sieve-simplify --sieve-raise "$WORK/in.mlir" -o "$WORK/raised.mlir"
    for c in "${CONFIGS[@]}"; do
      m="$WORK/raised.mlir"
      if [[ -n "${OPTIONS[$c]}" ]]; then
        "$BIN/sieve-opt" --sieve-quantize="${OPTIONS[$c]}" "$WORK/raised.mlir" -o "$WORK/cpu-$c.mlir"
        m="$WORK/cpu-$c.mlir"
      fi
      CPU_REF[$c]=$("$BIN/sieve-run" "$m" --device=cpu --eval "$TEXT" --json 2>/dev/null |
        tail -1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["bits_per_byte"])')
    done
  elif [[ $SRC_KIND == fp16w ]]; then
    # bench/results/quant_cpu_reference.jsonl
    while read -r c v; do CPU_REF[$c]=$v; done < <(python3 - "$ROOT/bench/results/quant_cpu_reference.jsonl" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(r["config"], r["bits_per_byte"])
EOF
)
  else
    # docs/quantization.md: the float32 model on the CPU.
    CPU_REF=([fp16]=1.085566 [kv-int8]=1.08570 [kv-fp8]=1.08658 [kv-int4]=1.10000)
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

  note "greedy generation (64 tokens), KV decode vs a fresh prefill"
  for c in "${CONFIGS[@]}"; do
    [[ -d "$WORK/l12-$c.sieve" ]] || continue
    "$BIN/sieve-run" "$WORK/l12-$c.sieve" --prompt "The list type in Python" \
      --max-new-tokens 64 --json --check-kv > "$WORK/gen-$c.json" || { fail "generate $c"; continue; }
  done
  for c in "${CONFIGS[@]}"; do
    [[ -s "$WORK/gen-$c.json" ]] || continue
    python3 - "$c" "$WORK/gen-$c.json" "$WORK/gen-fp16.json" <<'EOF' || status=1
import json, os, sys
c = sys.argv[1]
r = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
base = []
if os.path.exists(sys.argv[3]) and os.path.getsize(sys.argv[3]):
    base = json.loads(open(sys.argv[3]).read().strip().splitlines()[-1]).get("tokens", [])
toks = r.get("tokens", [])
shared = 0
for a, b in zip(toks, base):
    if a != b:
        break
    shared += 1
diff = r.get("kv_max_abs_diff", float("inf"))
ok = len(toks) > 0 and diff < 0.1
out = {"generate": f"llama12 {c}", "tokens": len(toks), "kv_max_abs_diff": diff,
       "prefix_shared_with_fp16": shared, "text": r.get("text", "")[:100]}
with open(os.environ["RESULTS"], "a") as f:
    f.write(json.dumps(out) + "\n")
print(("PASS" if ok else "FAIL") + " generate " + json.dumps(out))
sys.exit(0 if ok else 1)
EOF
  done

  note "sieve-run --bench: decode batch 1 and 16 at 512 and 2048 tokens of context, prefill 2048"
  for ctx in 512 2048; do
    for c in "${CONFIGS[@]}"; do
      [[ -d "$WORK/l12-$c.sieve" ]] || continue
      lengths=$ctx
      [[ $ctx == 512 ]] && lengths=512,2048
      "$BIN/sieve-run" "$WORK/l12-$c.sieve" --bench --json --bench-prompt-lengths $lengths \
        --bench-batches 1,16 > "$WORK/bench-$c-$ctx.json" || fail "bench $c context $ctx"
    done
    python3 - "$ctx" "$WORK" "${CONFIGS[@]}" <<'EOF'
import json, os, sys
ctx, work, configs = sys.argv[1], sys.argv[2], sys.argv[3:]
def load(c):
    p = f"{work}/bench-{c}-{ctx}.json"
    if not os.path.exists(p) or not os.path.getsize(p):
        return None
    return json.loads(open(p).read().strip().splitlines()[-1])
base = load("fp16")
for c in configs:
    r = load(c)
    if r is None:
        continue
    d = {x["batch"]: x["tokens_per_s"] for x in r["decode"]}
    b = {x["batch"]: x["tokens_per_s"] for x in base["decode"]} if base else {}
    p = {x["tokens"]: x["ms"] for x in r["prefill"]}
    out = {"bench": f"llama12 {c}", "context": int(ctx),
           "decode_b1_tokens_per_s": round(d.get(1, 0), 1),
           "decode_b16_tokens_per_s": round(d.get(16, 0), 1),
           "decode_b1_vs_fp16": round(d.get(1, 0) / b[1], 3) if b.get(1) else None,
           "decode_b16_vs_fp16": round(d.get(16, 0) / b[16], 3) if b.get(16) else None,
           "prefill_2048_ms": p.get(2048)}
    with open(os.environ["RESULTS"], "a") as f:
        f.write(json.dumps(out) + "\n")
    print(json.dumps(out))
EOF
  done
fi

echo "quant_kv: $((SECONDS - START)) s, status $status"
[[ $status == 0 ]] && echo "quant_kv: ALL PASSED" || echo "quant_kv: FAILED"
exit $status
