#!/usr/bin/env bash
# Quantization on the GPU (issue 9), in one run (about 4 minutes on an
# H100):
#
#   CARRY=carry OUT=$OUT bash test/gpu/quant_e2e.sh [kernels] [kvkernels] [llama12] [prequant] [hf]
#   CARRY=carry OUT=$OUT bash test/gpu/quant_e2e.sh kvgroup
#
# (default: kernels kvkernels llama12)
# kvgroup: int4 KV caches with groups smaller than head_dim, i.e.
#   kvkernels without its f16/bf16-cache groups (kvquant checks the append
#   and both attention kernels at int4 groups of 8, 16, 32 and 64 against
#   the host rule) and llama12 over the variants fp16, kv-int4 (one group
#   of 64) and kv-int4-g32 / g16 / g8 (QUANT_CONFIGS overrides the list).
#   On the H100 (2026-11-25, before kvkernels ran kvquant once with --bench
#   instead of twice and kvgroup left out rotary and attention): 439 s,
#   most of it building kernel_test and running its groups.
# kernels: test/gpu/quant_gemm_test.cu: gemm_quant (int8 per channel, int4
#   groups of 128 and 32, fp8) against an fp64 host product on both paths
#   (fused kernel for few rows, dequantize + cuBLASLt above), f16 and bf16,
#   and AWQ's pieces (gemm_quant into a column range, scale_columns);
#   then its --bench timing mode: GB/s of packed weight bytes read at rows
#   1..16 on Llama-3.2-1B and Llama-3-8B projection shapes, next to f16.
# kvkernels: test/gpu/kernel_test.cu, its groups rotary and attention (f16
#   and bf16 caches) and kvquant (the quantizing append against the host
#   rule; prefill and decode attention over int8, fp8 and int4 caches
#   against an fp64 reference of the dequantized cache), then `--only
#   kvquant --bench`: attention at Llama-3-8B's shape over f16, int8, fp8
#   and int4 caches (one group of 128, and groups of 32 and 16).
# llama12: the bundled models/llama12/llama12_fp16w.onnx compiled with
#   sieve-compile --quantize for every variant of bench/quant_configs.tsv
#   (QUANT_CONFIGS="NAME ..." picks some): weight formats, KV-cache formats,
#   AWQ, and int4/int8 mixed precision at 5 and 6 bits by LIM, ZD and
#   random order, the profile being bench/results/profile_llama12_fp16w.json
#   (the one the CPU reference used). For each:
#   - the manifest's formats and sizes (and, for mixed precision, the
#     layers at int8, which must be the CPU reference's);
#   - bits per byte on valid.txt on the GPU against the CPU reference of
#     the same IR (bench/results/quant_cpu_reference.jsonl, made by
#     bench/quant_cpu_reference.sh; QUANT_CPU=1 with sieve-opt and
#     sieve-translate in $CARRY/bin or $CARRY/cpu recomputes them here,
#     minutes of CPU): PASS within 5e-4;
#   - greedy generation of 64 tokens with --check-kv (decode with the
#     cache against a fresh prefill of the prefix, max |logit difference|)
#     and its agreement with the CPU reference's greedy tokens. With an f16
#     or bf16 KV cache PASS needs the difference below 0.1; with a
#     quantized cache the difference is reported, and PASS needs the 64
#     tokens to equal the CPU's (docs/quantization.md, "KV cache on the GPU",
#     says why);
#   - sieve-run --bench: prefill 512/2048 tokens, decode tokens/s at batch 1
#     and 16 at 512 tokens of context, against fp16.
# prequant (optional, about 2 minutes alone): models that arrive quantized.
#   The same llama12 rewritten by test/gen/make_quantized_models.py --from
#   ... --form nbits (com.microsoft MatMulNBits, 4 bits, blocks of 128, zero
#   points) and --form dq (int8 DequantizeLinear per output channel),
#   compiled without --quantize (variants prequant-nbits, prequant-dq):
#   every GEMM's format in the manifest must be the model's (int4 g128 /
#   int8), and bits per byte and greedy generation are checked as for
#   llama12 against bench/results/prequant_cpu_reference.jsonl (made by
#   PREQUANT="nbits dq" bench/quant_cpu_reference.sh). Needs python3 with
#   onnx and numpy.
# hf (optional, about 3 more minutes; needs torch and transformers): the
#   Llama-3.2-1B shape (random weights, test/gpu/export_hf.py; HF_MODEL=
#   selects another shape of that script) compiled as fp16, int8 and int4,
#   sieve-run --bench: prefill 2048 tokens, decode batch 1 and 16, with the
#   weight bytes a decode step reads per second.
#
# SIEVE_COMPILE_FLAGS adds sieve-compile flags to every compile (for
# example --decode-fusion). CARRY holds bin/sieve-compile and bin/sieve-run. Results: one JSON line
# each in $OUT/quant.jsonl; the log is $OUT/quant.log. Exit status 0 when
# every check passed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CARRY="$(cd "${CARRY:-$ROOT/carry}" && pwd)"
OUT="${OUT:-/tmp/sieve-quant-out}"
WORK="${WORK:-/tmp/sieve-quant}"
BIN="$CARRY/bin"
NVCC="${NVCC:-/usr/local/cuda/bin/nvcc}"
source "$ROOT/bench/quant_configs.sh"
mkdir -p "$OUT" "$WORK"
exec > >(tee -a "$OUT/quant.log") 2>&1
export RESULTS="$OUT/quant.jsonl"
status=0
note() { echo "== $(date -u +%H:%M:%S) $*"; }
fail() { echo "FAIL $*"; status=1; }
START=$SECONDS
parts=" ${*:-kernels kvkernels llama12} "
has() { [[ "$parts" == *" $1 "* ]]; }
for p in $parts; do
  case $p in kernels|kvkernels|llama12|prequant|hf|kvgroup) ;;
    *) echo "unknown part '$p' (kernels, kvkernels, llama12, prequant, hf, kvgroup)"; exit 2 ;;
  esac
done
DEFAULT_CONFIGS=$(quant_config_names)
if has kvgroup; then
  parts="$parts kvkernels llama12 "
  DEFAULT_CONFIGS="fp16 kv-int4 kv-int4-g32 kv-int4-g16 kv-int4-g8"
fi
CONFIGS=(${QUANT_CONFIGS:-$DEFAULT_CONFIGS})
for c in "${CONFIGS[@]}"; do
  quant_options "$c" "" > /dev/null ||
    { echo "unknown config '$c' ($(quant_config_names | tr '\n' ' '))"; exit 2; }
done
PROFILE_JSON="$ROOT/bench/results/profile_llama12_fp16w.json"
CPU_JSONL="$ROOT/bench/results/quant_cpu_reference.jsonl"

nvidia-smi -L
if [[ $("$BIN/sieve-compile" --help 2>&1) != *--quantize* ]]; then
  echo "FAIL $BIN/sieve-compile has no --quantize"
  exit 1
fi

# The two unit-test programs build in the background while models compile.
build_test() { # NAME EXTRA_SOURCES...
  local name=$1; shift
  "$NVCC" -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -I"$ROOT/runtime" \
    -I"$ROOT/include" -I"$ROOT/test/gpu" "$ROOT/test/gpu/$name.cu" "$@" \
    -o "$WORK/$name" -lcublasLt -lcublas > "$WORK/$name.build.log" 2>&1
}
declare -A BUILD_PID
if has kernels; then build_test quant_gemm_test & BUILD_PID[quant_gemm_test]=$!; fi
if has kvkernels; then
  build_test kernel_test "$ROOT/runtime/sampling.cu" & BUILD_PID[kernel_test]=$!
fi
built() { # NAME: waits for its build; fails with the log when it did not
  wait "${BUILD_PID[$1]}" && return 0
  fail "build $1"; cat "$WORK/$1.build.log"; return 1
}

# CONFIG_SRC[config]: a config's own model (then compiled without
# --quantize) in place of compile_all's SRC.
declare -A CONFIG_SRC=()
compile_all() { # SRC OUTPREFIX LABEL CONFIG...: every config in parallel
  local src=$1 prefix=$2 label=$3 pids=() entry c opts
  shift 3
  for c in "$@"; do
    rm -rf "$prefix-$c.sieve"
    opts=""
    [[ -z ${CONFIG_SRC[$c]:-} ]] && opts=$(quant_options "$c" "$PROFILE_JSON")
    args=("${CONFIG_SRC[$c]:-$src}" -o "$prefix-$c.sieve" --dtype f16 --quiet ${SIEVE_COMPILE_FLAGS:-})
    [[ -n "$opts" ]] && args+=(--quantize="$opts")
    "$BIN/sieve-compile" "${args[@]}" > "$prefix-compile-$c.log" 2>&1 &
    pids+=("$!:$c")
  done
  for entry in "${pids[@]}"; do
    c=${entry#*:}
    if wait "${entry%%:*}"; then
      echo "PASS compile $label $c"
    else
      fail "compile $label $c"; tail -5 "$prefix-compile-$c.log"
    fi
  done
}

# check_variants CPU_JSONL [FORMAT] CONFIG...: for each compiled
# $WORK/l12-CONFIG.sieve, bits per byte on valid.txt and greedy generation
# with --check-kv against the CPU reference (test/gpu/quant_check.py); with
# a FORMAT other than "-", every quantized GEMM must have it.
check_variants() {
  local cpu=$1 format=$2 c e g expect=()
  shift 2
  [[ $format != - ]] && expect=("$format")
  for c in "$@"; do
    [[ -d "$WORK/l12-$c.sieve" ]] || continue
    e=$("$BIN/sieve-run" "$WORK/l12-$c.sieve" --eval "$TEXT" --json) || { fail "eval $c"; continue; }
    g=$("$BIN/sieve-run" "$WORK/l12-$c.sieve" --prompt "The list type in Python" \
      --max-new-tokens 64 --json --check-kv) || { fail "generate $c"; continue; }
    python3 "$ROOT/test/gpu/quant_check.py" "$c" "$WORK/l12-$c.sieve/manifest.json" \
      "$e" "$g" "$cpu" "${expect[@]}" || status=1
  done
}

SRC="$ROOT/models/llama12/llama12_fp16w.onnx"
TEXT="$ROOT/models/llama12/valid.txt"
if has llama12; then
  note "compile llama12 as ${CONFIGS[*]}"
  compile_all "$SRC" "$WORK/l12" llama12 "${CONFIGS[@]}"
fi
PREQUANT=(prequant-nbits prequant-dq)
declare -A PREQUANT_FORMAT=([prequant-nbits]="#sieve.quant<int4, group = 128, asym>"
                            [prequant-dq]="#sieve.quant<int8>")
if has prequant; then
  note "llama12 arriving quantized (make_quantized_models.py --from): ${PREQUANT[*]}"
  made=()
  for c in "${PREQUANT[@]}"; do
    rm -rf "$WORK/$c" "$WORK/l12-$c.sieve"
    if python3 "$ROOT/test/gen/make_quantized_models.py" --from "$SRC" --form "${c#prequant-}" \
      "$WORK/$c"; then
      CONFIG_SRC[$c]="$WORK/$c/model.onnx"
      made+=("$c")
    else
      fail "make $c"
    fi
  done
  [[ ${#made[@]} -gt 0 ]] && compile_all "$SRC" "$WORK/l12" llama12 "${made[@]}"
fi

if has kernels && built quant_gemm_test; then
  note "quant_gemm_test (unit tests, then --bench)"
  "$WORK/quant_gemm_test" --bench > "$OUT/quant_gemm_test.txt" 2>&1
  rc=$?
  grep -E '^(FAIL|BENCH)' "$OUT/quant_gemm_test.txt"
  grep -c '^PASS' "$OUT/quant_gemm_test.txt" | xargs echo "quant_gemm_test checks passed:"
  [[ $rc == 0 ]] && echo "PASS quant_gemm_test" || fail "quant_gemm_test (exit $rc)"
fi

if has kvkernels && built kernel_test; then
  # kvgroup leaves out the f16/bf16-cache groups (their kernels only gained
  # the kv_group argument; llama12 fp16 runs them end to end).
  KV_GROUPS="rotary attention kvquant"
  has kvgroup && KV_GROUPS="kvquant"
  note "kernel_test: $KV_GROUPS (kvquant with --bench: its checks, then the attention bench)"
  for group in $KV_GROUPS; do
    flags=()
    [[ $group == kvquant ]] && flags=(--bench) # one run: the checks and the bench
    "$WORK/kernel_test" --only $group ${flags[@]+"${flags[@]}"} > "$OUT/kernel_test_$group.txt" 2>&1
    rc=$?
    grep -c '^PASS' "$OUT/kernel_test_$group.txt" |
      xargs echo "kernel_test --only $group checks passed:"
    grep '^FAIL' "$OUT/kernel_test_$group.txt"
    [[ $rc == 0 ]] && echo "PASS kernel_test --only $group" ||
      { fail "kernel_test --only $group (exit $rc)"; tail -5 "$OUT/kernel_test_$group.txt"; }
  done
  grep '^BENCH' "$OUT/kernel_test_kvquant.txt" > "$OUT/kernel_bench.txt"
  python3 - "$OUT/kernel_bench.txt" <<'EOF' | tee -a "$RESULTS"
import json, re, sys
rows = {}
for line in open(sys.argv[1]):
    m = re.match(r"BENCH (attention_\w+) f16( kv \w+)? .*: ([0-9.]+) ms", line)
    if m:
        rows[(m.group(1), (m.group(2) or " f16").split()[-1])] = float(m.group(3))
for kind in ("attention_prefill", "attention_decode"):
    base = rows.get((kind, "f16"))
    for fmt in ("f16", "int8", "fp8", "int4", "int4g32", "int4g16"):
        ms = rows.get((kind, fmt))
        if ms is not None:
            print(json.dumps({"kernel_bench": kind, "kv": fmt, "ms": ms,
                              "vs_f16": round(base / ms, 3) if base else None}))
EOF
fi

if has llama12; then
  # The CPU reference of each variant: computed here when the CPU tools are
  # carried and QUANT_CPU=1, else the committed records (the same IR: the
  # same ONNX, options and profile).
  CPU_NOW="$WORK/cpu_reference.jsonl"
  CPU_TOOLS=""
  for d in "$BIN" "$CARRY/cpu"; do
    [[ -x "$d/sieve-opt" && -x "$d/sieve-translate" ]] && CPU_TOOLS=$d && break
  done
  if [[ ${QUANT_CPU:-0} == 1 && -n $CPU_TOOLS ]]; then
    note "CPU reference of the same IR ($CPU_TOOLS/sieve-opt, sieve-run --device=cpu)"
    : > "$CPU_NOW"
    "$CPU_TOOLS/sieve-translate" --import-onnx "$SRC" -o "$WORK/in.mlir" &&
      "$CPU_TOOLS/sieve-opt" --sieve-simplify --sieve-raise "$WORK/in.mlir" -o "$WORK/raised.mlir"
    for c in "${CONFIGS[@]}"; do
      m="$WORK/raised.mlir"
      opts=$(quant_options "$c" "$PROFILE_JSON")
      if [[ -n "$opts" ]]; then
        "$CPU_TOOLS/sieve-opt" --sieve-quantize="$opts weights-file=$WORK/cpu-$c.bin" \
          "$WORK/raised.mlir" -o "$WORK/cpu-$c.mlir"
        m="$WORK/cpu-$c.mlir"
      fi
      e=$("$BIN/sieve-run" "$m" --device=cpu --eval "$TEXT" --json 2>/dev/null | tail -1)
      g=$("$BIN/sieve-run" "$m" --device=cpu --prompt "The list type in Python" \
        --max-new-tokens 64 --json 2>/dev/null | tail -1)
      python3 -c 'import json, sys
e, g = json.loads(sys.argv[1]), json.loads(sys.argv[2])
e.update(config=sys.argv[3], options=sys.argv[4], greedy_tokens=g["tokens"])
print(json.dumps(e))' "$e" "$g" "$c" "$opts" >> "$CPU_NOW"
    done
  else
    cp "$CPU_JSONL" "$CPU_NOW"
  fi

  note "per variant: manifest, bits per byte (GPU vs CPU), greedy generation with --check-kv"
  check_variants "$CPU_NOW" - "${CONFIGS[@]}"

  note "sieve-run --bench: prefill 512/2048, decode batch 1 and 16 at 512 of context"
  for c in "${CONFIGS[@]}"; do
    [[ -d "$WORK/l12-$c.sieve" ]] || continue
    "$BIN/sieve-run" "$WORK/l12-$c.sieve" --bench --json --bench-prompt-lengths 512,2048 \
      --bench-batches 1,16 > "$WORK/bench-$c.json" || fail "bench $c"
  done
  python3 - "$WORK" "${CONFIGS[@]}" <<'EOF'
import json, os, sys
work, configs = sys.argv[1], sys.argv[2:]
def load(c):
    p = f"{work}/bench-{c}.json"
    if not os.path.exists(p) or not os.path.getsize(p):
        return None
    return json.loads(open(p).read().strip().splitlines()[-1])
base = load("fp16")
b = {x["batch"]: x["tokens_per_s"] for x in base["decode"]} if base else {}
for c in configs:
    r = load(c)
    if r is None:
        continue
    d = {x["batch"]: x["tokens_per_s"] for x in r["decode"]}
    p = {x["tokens"]: x["ms"] for x in r["prefill"]}
    out = {"bench": f"llama12 {c}", "context": 512,
           "decode_b1_tokens_per_s": round(d.get(1, 0), 1),
           "decode_b16_tokens_per_s": round(d.get(16, 0), 1),
           "decode_b1_vs_fp16": round(d.get(1, 0) / b[1], 3) if b.get(1) else None,
           "decode_b16_vs_fp16": round(d.get(16, 0) / b[16], 3) if b.get(16) else None,
           "prefill_512_ms": p.get(512), "prefill_2048_ms": p.get(2048)}
    with open(os.environ["RESULTS"], "a") as f:
        f.write(json.dumps(out) + "\n")
    print(json.dumps(out))
EOF
fi

if has prequant; then
  note "per model arriving quantized: manifest formats, bits per byte (GPU vs CPU), greedy generation"
  for c in "${PREQUANT[@]}"; do
    check_variants "$ROOT/bench/results/prequant_cpu_reference.jsonl" "${PREQUANT_FORMAT[$c]}" "$c"
  done
fi

if has hf; then
  name=${HF_MODEL:-llama1b}
  D=$WORK/$name
  note "$name shape: export (random weights), compile fp16/int8/int4, bench"
  if python3 "$ROOT/test/gpu/export_hf.py" "$name" "$D" --no-logits; then
    compile_all "$D/$name.onnx" "$D/m" "$name" fp16 int8 int4
    rm -rf "$D"/*.onnx* # disk
    for c in fp16 int8 int4; do
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
