#!/usr/bin/env bash
# Issue 7's harness on the GPU machine, in one run: the two hardware
# ceilings, then per model shape PyTorch fp16 (eager and static-cache
# compiled generate) and sieve (export, compile --dtype f16, sieve-run
# --bench), every figure from this run. Method and formulas:
# docs/benchmarks.md.
#
#   CARRY=carry OUT=$OUT PYTHONUNBUFFERED=1 bash bench/gpu_bench.sh [llama1b] [qwen1.5b] [llama8b]
#
# (default: llama1b qwen1.5b; the 8B shape in its own run, split over
# several device commands with BENCH_PARTS below.) BENCH_ONNX picks how
# sieve's ONNX of a Llama shape is made: "shape" (default) writes it in
# float16 at disk speed with bench/make_llama_shape_onnx.py (seeded random
# weights, opset-23 fused ops; sieve raises both to the same program),
# "hf" exports the Hugging Face model with test/gpu/export_hf.py (the 1B
# shape took 87 s, the 8B shape, as float16, 443 s). qwen1.5b is always
# exported (its q/k/v biases and tied LM head are not a shape of
# make_llama_shape_onnx.py).
# BENCH_COMPILE_FLAGS adds sieve-compile flags (recorded in the compiled
# model's manifest). BENCH_KEEP=1 keeps each model's ONNX and compiled f16 model in
# $WORK/files-NAME for bench/variants_gpu.sh. CARRY holds bin/sieve-compile and
# bin/sieve-run. Writes bench/results/$BENCH_NAME.{json,md,png}
# (BENCH_NAME defaults to gpu_bench, gpu_bench_8b for a run of llama8b
# alone) and copies them with the log to $OUT. Each model's files are
# deleted once it is measured.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARRY="$(cd "${CARRY:-$ROOT/carry}" && pwd)" || { echo "no CARRY directory"; exit 2; }
OUT="${OUT:-/tmp/sieve-bench-out}"
WORK="${WORK:-/tmp/sieve-bench}"
BIN="$CARRY/bin"
PY="python3 $ROOT/bench/gpu_bench.py"
export PYTHONUNBUFFERED=1
models="${*:-llama1b qwen1.5b}"
# BENCH_PARTS splits a run over several commands (the 8B shape in three,
# each under the device's 10 minutes): "compile" exports and compiles,
# "sieve" measures the compiled model (compiling first when "compile" is
# not in this run and no compiled model is left in WORK). A run with
# "ceilings" starts from an empty WORK; one without adds to the WORK a
# previous run left.
PARTS=" ${BENCH_PARTS:-ceilings pytorch compile sieve} "
# "publish" alone assembles what an earlier run left in WORK (one that ran
# out of time before its end).
for p in $PARTS; do
  case $p in ceilings|pytorch|compile|sieve|publish) ;; *) echo "unknown BENCH_PARTS entry '$p' (ceilings, pytorch, compile, sieve, publish)"; exit 2;; esac
done
has() { [[ "$PARTS" == *" $1 "* ]]; }
default_name=gpu_bench
[[ "$models" == "llama8b" ]] && default_name=gpu_bench_8b
NAME="${BENCH_NAME:-$default_name}"
RESULTS="$ROOT/bench/results"
status=0
for m in $models; do
  case $m in llama1b|qwen1.5b|llama8b) ;; *) echo "unknown model shape '$m' (llama1b, qwen1.5b, llama8b)"; exit 2;; esac
done
case ${BENCH_ONNX:-} in ""|hf|shape) ;; *) echo "unknown BENCH_ONNX '$BENCH_ONNX' (hf, shape)"; exit 2;; esac
for tool in sieve-compile sieve-run; do
  [[ -x "$BIN/$tool" ]] || { echo "missing $BIN/$tool"; exit 2; }
done
has ceilings && rm -rf "$WORK"
mkdir -p "$OUT" "$WORK" "$RESULTS"
exec > >(tee -a "$OUT/$NAME.log") 2>&1
note() { echo "== $(date -u +%H:%M:%S) $*"; }
run_or_fail() { "$@" || { echo "FAILED: $*"; status=1; }; }
start=$(date +%s)
# The JSON, table, plot and raw records so far, into bench/results and
# $OUT: called after each model, so a run cut short keeps what it measured.
publish() {
  note "assemble, table, plot"
  run_or_fail $PY assemble "$WORK" "$RESULTS/$NAME.json"
  run_or_fail python3 "$ROOT/bench/make_bench_table.py" "$RESULTS/$NAME.json" \
    --md "$RESULTS/$NAME.md" --png "$RESULTS/$NAME.png"
  tar -C "$WORK" --exclude='files-*' -czf "$OUT/$NAME-records.tgz" .
  for f in json md png; do
    [[ -f "$RESULTS/$NAME.$f" ]] && cp "$RESULTS/$NAME.$f" "$OUT/"
  done
}
bench() { # RECORD LENGTHS BATCHES, for $name in $M; peak GPU memory around it
  $PY memrun "$D/$1.json" -- "$BIN/sieve-run" "$M/$name.sieve" --bench --json \
    --bench-prompt-lengths "$2" --bench-batches "$3"
}

if [[ "$PARTS" == " publish " ]]; then
  publish
  exit $status
fi

nvidia-smi -L
python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'

if has ceilings; then
  note "ceilings: copy bandwidth, cuBLAS fp16 GEMM"
  run_or_fail $PY ceilings "$WORK/ceilings.json"
fi

for name in $models; do
  D=$WORK/$name
  M=$WORK/files-$name # the model's files, deleted after; records stay in $D
  mkdir -p "$D" "$M"
  if has pytorch; then
    note "$name: PyTorch fp16 eager and static-cache generate"
    run_or_fail $PY pytorch "$name" "$D/pytorch.json"
  fi
  if has compile || { has sieve && [[ ! -d "$M/$name.sieve" ]]; }; then
    # float16 ONNX for the 8B shape: its float32 export (32 GB) and the
    # compile would not fit the 64 GB disk together.
    # The Llama shapes from make_llama_shape_onnx.py (seconds, not the
    # minutes of a torch export), unless BENCH_ONNX=hf; Qwen2.5 (q/k/v
    # biases, a tied LM head: not a shape of that script) always exported.
    dtype=fp32; onnx_source="${BENCH_ONNX:-shape}"
    [[ $name == llama8b ]] && dtype=fp16
    [[ $name == qwen1.5b ]] && onnx_source=hf
    if [[ $onnx_source == shape ]]; then
      note "$name: make_llama_shape_onnx.py (fp16 ONNX, seeded random weights)"
      run_or_fail python3 "$ROOT/bench/make_llama_shape_onnx.py" "$name" "$M" \
        --dtype fp16 --max-pos "${BENCH_MAX_POS:-131072}"
      echo '{"source": "bench/make_llama_shape_onnx.py", "onnx_dtype": "fp16"}' > "$D/export.json"
    else
      note "$name: export ($dtype ONNX, seeded random weights)"
      run_or_fail python3 "$ROOT/test/gpu/export_hf.py" "$name" "$M" --no-logits --onnx-dtype $dtype
      [[ -f "$M/info.json" ]] && cp "$M/info.json" "$D/export.json"
    fi

    note "$name: sieve-compile --dtype f16"
    python3 "$ROOT/test/gpu/measure.py" "compile $name" "$BIN/sieve-compile" \
      "$M/$name.onnx" -o "$M/$name.sieve" --dtype f16 ${BENCH_COMPILE_FLAGS:-} 2> "$M/compile.err"
    [[ $? == 0 ]] || { echo "FAILED: compile $name"; status=1; }
    cat "$M/compile.err"
    grep '"measure"' "$M/compile.err" | tail -1 > "$D/compile.json"
    [[ ${BENCH_KEEP:-0} == 1 ]] || rm -rf "$M"/*.onnx* # not needed any more (disk)
  fi
  has sieve || continue

  if [[ -d "$M/$name.sieve" ]]; then
    note "$name: sieve-run --bench (prefill 512/2048/8192, decode batch 1/8/32 at 512)"
    if ! bench sieve_bench 512,2048,8192 1,8,32; then
      echo "FAILED: sieve bench with 8192; again without it"
      status=1
      mv "$D/sieve_bench.json" "$D/sieve_bench_failed.json"
      run_or_fail bench sieve_bench 512,2048 1,8,32
    fi
    note "$name: sieve-run --bench decode at batch 1 with 4096 of context"
    run_or_fail bench sieve_bench_4096 4096 1
  fi
  [[ ${BENCH_KEEP:-0} == 1 ]] || rm -rf "$M"
  note "$name done ($(( $(date +%s) - start )) s so far)"
  [[ "$name" != "${models##* }" ]] && publish
done

publish
[[ -f "$RESULTS/$NAME.md" ]] && cat "$RESULTS/$NAME.md"
note "gpu_bench status $status, $(( $(date +%s) - start )) s"
exit $status
