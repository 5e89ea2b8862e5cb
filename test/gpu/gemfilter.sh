#!/usr/bin/env bash
# GemFilter on retrieval8 on the GPU machine (issue 10), in one run:
#  1. dense retrieval accuracy of the compiled retrieval8 (sieve-compile,
#     sieve-run --retrieval) on the cases of bench/retrieval_pruning.sh,
#     compared case by case with the CPU reference's dense run committed in
#     bench/results/retrieval_pruning_cpu.jsonl;
#  2. ../shared/reference/gemfilter_reference.py (PyTorch) at each GemFilter
#     variant of that file (layers 2 and 4, k 256 and 512, pool 5): its kept
#     indices against the CPU reference's (test/gpu/gemfilter_compare.py:
#     equal except near-ties), and its accuracy against sieve's.
#  3. the compiled GemFilter (sieve-compile --prune-tokens) at the same
#     variants: its kept indices against the reference's and the CPU's,
#     its accuracy against both; and the CPU reference run with float32
#     activations (the PyTorch reference's precision) against the reference.
#
#   CARRY=carry OUT=$OUT bash test/gpu/gemfilter.sh
#
# CARRY holds bin/sieve-compile, bin/sieve-run and
# reference/gemfilter_reference.py. Results: $OUT/gemfilter.jsonl (one JSON
# line per check), log $OUT/gemfilter.log.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CARRY="$(cd "${CARRY:-$ROOT/carry}" && pwd)"
OUT="${OUT:-/tmp/sieve-gemfilter-out}"
WORK="${WORK:-/tmp/sieve-gemfilter}"
BIN="$CARRY/bin"
REF="$CARRY/reference/gemfilter_reference.py"
CPU="$ROOT/bench/results/retrieval_pruning_cpu.jsonl"
mkdir -p "$OUT" "$WORK"
exec > >(tee -a "$OUT/gemfilter.log") 2>&1
RESULTS="$OUT/gemfilter.jsonl"
status=0
note() { echo "== $*"; }
start=$(date +%s)

nvidia-smi -L
python3 -c 'import torch, transformers; print("torch", torch.__version__, "transformers", transformers.__version__)'

# The bench's cases (bench/retrieval_pruning.sh's defaults: task.py is
# seeded, so they are the cases of the committed CPU results).
python3 "$ROOT/models/retrieval8/task.py" --filler "$ROOT/models/llama12/valid.txt" \
  --lengths 1024,2048,4096 --per-cell 8 --seed 99 > "$WORK/cases.jsonl"
# Each CPU variant's report, one file per variant.
python3 - "$CPU" "$WORK" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    open(f"{sys.argv[2]}/cpu-{r['variant']}.json", "w").write(json.dumps(r) + "\n")
PY

VARIANTS="gemfilter-l2-k256 gemfilter-l2-k512 gemfilter-l4-k256 gemfilter-l4-k512"
layer_of() { local l=${1#gemfilter-l}; echo "${l%%-*}"; }
k_of() { echo "${1##*-k}"; }

note "compiling retrieval8 dense and with each GemFilter variant (in parallel)"
compile_pids=()
"$BIN/sieve-compile" "$ROOT/models/retrieval8/retrieval8.onnx" -o "$WORK/dense.sieve" \
  > "$WORK/compile-dense.log" 2>&1 & compile_pids+=("$!:dense")
for v in $VARIANTS; do
  "$BIN/sieve-compile" "$ROOT/models/retrieval8/retrieval8.onnx" -o "$WORK/$v.sieve" \
    --prune-tokens "layer=$(layer_of $v) k=$(k_of $v) pool=5" > "$WORK/compile-$v.log" 2>&1 &
  compile_pids+=("$!:$v")
done

# The kernel tests of the attention (head_dim 32 included) and token_scores.
NVCC="${NVCC:-/usr/local/cuda/bin/nvcc}"
KT="$WORK/kernel_test"
FLAGS=(-std=c++17 -O2 -gencode=arch=compute_90a,code=sm_90a -I"$ROOT/runtime" -I"$ROOT/include" -I"$ROOT/test/gpu")
( "$NVCC" "${FLAGS[@]}" -c "$ROOT/test/gpu/kernel_test.cu" -o "$KT.o" &&
  "$NVCC" "${FLAGS[@]}" -c "$ROOT/runtime/sampling.cu" -o "$WORK/sampling.o" &&
  "$NVCC" "$KT.o" "$WORK/sampling.o" -o "$KT" -gencode=arch=compute_90a,code=sm_90a -lcublasLt -lcublas
) > "$WORK/compile-kernel_test.log" 2>&1 & compile_pids+=("$!:kernel_test")

note "reference (PyTorch, GPU) kept indices and accuracy per variant"
for v in $VARIANTS; do
  t0=$(date +%s)
  python3 "$REF" --model "$ROOT/models/retrieval8/retrieval8.onnx" --cases "$WORK/cases.jsonl" \
    --layer "$(layer_of $v)" --k "$(k_of $v)" --pool 5 > "$WORK/ref-$v.jsonl" \
    || { echo "FAIL: reference $v"; status=1; }
  echo "reference $v: $(tail -1 "$WORK/ref-$v.jsonl"), $(( $(date +%s) - t0 )) s"
done
cp "$WORK"/ref-*.jsonl "$OUT/" 2>/dev/null

for entry in "${compile_pids[@]}"; do
  if wait "${entry%%:*}"; then echo "compiled ${entry#*:}"; else
    echo "FAIL: sieve-compile ${entry#*:}"; tail -15 "$WORK/compile-${entry#*:}.log"; status=1; fi
done

if [ -x "$KT" ]; then
  note "kernel tests: attention (head_dim 32 among them) and token_scores"
  "$KT" --only attention > "$WORK/kt-attention.txt"; rc=$?
  grep -E "hd 32|FAIL" "$WORK/kt-attention.txt"; [ $rc -eq 0 ] || status=1
  "$KT" --only token_scores || status=1
fi

# One retrieval run per compiled model: $WORK/gpu-<variant>.json.
for m in dense $VARIANTS; do
  [ -f "$WORK/$m.sieve/libmodel.so" ] || continue
  "$BIN/sieve-run" "$WORK/$m.sieve" --retrieval "$WORK/cases.jsonl" --json \
    > "$WORK/gpu-$m.json" 2> "$WORK/gpu-$m.err" || { echo "FAIL: sieve-run $m"; tail -5 "$WORK/gpu-$m.err"; status=1; }
done
cp "$WORK"/gpu-*.json "$OUT/" 2>/dev/null

note "1. dense retrieval: GPU (compiled) vs the CPU reference, case by case"
python3 - "$WORK/gpu-dense.json" "$WORK/cpu-dense.json" <<'PY' | tee -a "$RESULTS" || status=1
import json, sys
gpu, cpu = (json.loads(open(p).read().splitlines()[0]) for p in sys.argv[1:])
same = sum(g["predicted"] == c["predicted"] for g, c in zip(gpu["results"], cpu["results"]))
agree = same == len(cpu["results"]) == len(gpu["results"])
print(json.dumps({"check": "dense gpu vs cpu", "gpu_accuracy": gpu["accuracy"],
                  "cpu_accuracy": cpu["accuracy"], "cases": gpu["cases"],
                  "same_prediction": same, "gpu_where": gpu["where"],
                  "gpu_seconds": gpu["seconds"],
                  "cells": [[c["context"], c["depth"], c["accuracy"]] for c in gpu["cells"]]}))
print(f"{'PASS' if agree else 'FAIL'}: dense retrieval8 GPU accuracy {gpu['accuracy']:.3f} "
      f"({gpu['correct']}/{gpu['cases']}), CPU {cpu['accuracy']:.3f}; "
      f"{same}/{len(cpu['results'])} cases predict the same answer")
sys.exit(0 if agree else 1)
PY
python3 "$ROOT/test/gpu/retrieval_cells.py" dense "$WORK/gpu-dense.json" "$WORK/cpu-dense.json" |
  tee -a "$RESULTS"

note "diagnostic: the compiled dense model vs the reference script's PyTorch model (logits of the first case's prompt)"
python3 - "$WORK/cases.jsonl" "$WORK/prompt0.txt" <<'PY'
import json, sys
c = json.loads(open(sys.argv[1]).readline())
open(sys.argv[2], "wb").write(c["prompt"].encode("latin-1"))
PY
if [ -f "$WORK/dense.sieve/libmodel.so" ] && "$BIN/sieve-run" "$WORK/dense.sieve" --logits-out "$WORK/dense0.npy" \
    --input-file "$WORK/prompt0.txt" --input-bytes 1019 > /dev/null 2>&1; then
  python3 - "$REF" "$ROOT/models/retrieval8/retrieval8.onnx" "$WORK/prompt0.txt" "$WORK/ref0.npy" <<'PY'
import importlib.util, sys, numpy as np, torch
from transformers import LlamaConfig
spec = importlib.util.spec_from_file_location("gemfilter_reference", sys.argv[1])
ref = importlib.util.module_from_spec(spec); spec.loader.exec_module(ref)
cfg = LlamaConfig(vocab_size=256, hidden_size=256, intermediate_size=768, num_hidden_layers=8,
                  num_attention_heads=8, num_key_value_heads=2, max_position_embeddings=8192,
                  rope_theta=100000.0, tie_word_embeddings=False, use_cache=False,
                  attn_implementation="eager")
dev = "cuda" if torch.cuda.is_available() else "cpu"
m = ref.load(sys.argv[2], cfg, dev)
inv = m.model.rotary_emb.inv_freq.float().cpu()
print(f"reference model: rotary inv_freq[1] = {inv[1].item():.6f} (theta 1e5 gives "
      f"{100000.0 ** (-2 / 32):.6f}, theta 1e4 {10000.0 ** (-2 / 32):.6f}); "
      f"rms eps {getattr(cfg, 'rms_norm_eps', None)}")
ids = torch.tensor([list(open(sys.argv[3], "rb").read())], device=dev)
with torch.no_grad():
    np.save(sys.argv[4], m(ids).logits[0].float().cpu().numpy())
PY
  python3 "$ROOT/test/gpu/compare_logits.py" "dense GPU vs the reference's PyTorch model" \
    "$WORK/dense0.npy" "$WORK/ref0.npy" 1e-1 | tee -a "$RESULTS" || echo "INFO: logits differ beyond 1e-1"
fi

note "2. GemFilter kept indices vs the reference: CPU reference, then GPU (compiled)"
for v in $VARIANTS; do
  sieves=()
  for where in cpu gpu; do
    if [ -f "$WORK/$where-$v.json" ]; then sieves+=(--sieve "$where $v=$WORK/$where-$v.json")
    else echo "FAIL: no $where result for $v"; status=1; fi
  done
  # The CPU reference with float32 activations (bench ACTIVATIONS=f32), when
  # committed: it separates the selection rule from the f16 export's rounding.
  [ -f "$WORK/cpu-$v-f32.json" ] && sieves+=(--sieve "cpu f32 $v=$WORK/cpu-$v-f32.json")
  # ... and with the reference's exact rotary frequencies (bench ROPE=exact):
  # the export stores them rounded to float16 (docs/token-pruning.md).
  [ -f "$WORK/cpu-$v-f32-exactrope.json" ] &&
    sieves+=(--sieve "cpu f32 exact-rope $v=$WORK/cpu-$v-f32-exactrope.json")
  [ ${#sieves[@]} -gt 0 ] && { python3 "$ROOT/test/gpu/gemfilter_compare.py" --reference-script "$REF" \
      --model "$ROOT/models/retrieval8/retrieval8.onnx" --cases "$WORK/cases.jsonl" \
      "${sieves[@]}" --reference "$WORK/ref-$v.jsonl" \
      --layer "$(layer_of $v)" --k "$(k_of $v)" --pool 5 > "$WORK/cmp-$v.txt" || status=1
    grep '^{' "$WORK/cmp-$v.txt" >> "$RESULTS"; grep -v '^{' "$WORK/cmp-$v.txt"; }
  # CPU and GPU: the same kept sets and predictions?
  [ -f "$WORK/gpu-$v.json" ] && python3 - "$WORK/cpu-$v.json" "$WORK/gpu-$v.json" "$v" <<'PY' | tee -a "$RESULTS"
import json, sys
cpu, gpu = (json.loads(open(p).read().splitlines()[0]) for p in sys.argv[1:3])
same_kept = sum(c.get("kept") == g.get("kept") for c, g in zip(cpu["results"], gpu["results"]))
overlap = [len(set(c.get("kept", [])) & set(g.get("kept", []))) / max(1, len(c.get("kept", [])))
           for c, g in zip(cpu["results"], gpu["results"])]
same_pred = sum(c["predicted"] == g["predicted"] for c, g in zip(cpu["results"], gpu["results"]))
print(json.dumps({"check": f"cpu vs gpu {sys.argv[3]}", "cases": len(cpu["results"]),
                  "identical_kept": same_kept, "mean_overlap": sum(overlap) / len(overlap),
                  "same_prediction": same_pred, "cpu_accuracy": cpu["accuracy"],
                  "gpu_accuracy": gpu["accuracy"]}))
print(f"INFO: {sys.argv[3]} CPU vs GPU: {same_kept}/{len(overlap)} identical kept sets, mean overlap "
      f"{sum(overlap) / len(overlap):.4f}, {same_pred} same predictions; accuracy CPU "
      f"{cpu['accuracy']:.3f} GPU {gpu['accuracy']:.3f}")
PY
  # ... and the accuracy per (context, depth) cell on both.
  [ -f "$WORK/gpu-$v.json" ] && python3 "$ROOT/test/gpu/retrieval_cells.py" "$v" \
    "$WORK/gpu-$v.json" "$WORK/cpu-$v.json" | tee -a "$RESULTS"
done

echo "total $(( $(date +%s) - start )) s"
[ $status -eq 0 ] && echo "ALL PASS" || echo "SOME FAILED"
exit $status
