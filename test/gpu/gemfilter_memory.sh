#!/usr/bin/env bash
# GemFilter's transient filter state on the GPU machine (issue 10): the
# @filter pass runs on a cache of its own, sized for the prompt and freed
# after, so the session holds only the kept tokens (docs/token-pruning.md).
# On the bundled retrieval8, compiled dense and with --prune-tokens
# "layer=2 k=256 pool=5":
#  a. the 24 cases of 2048 tokens of bench/retrieval_pruning.sh through
#     `sieve-run --retrieval`: kept indices and answers against the CPU
#     reference's committed run (bench/results/retrieval_pruning_cpu.jsonl,
#     variant gemfilter-l2-k256); before this change the GPU kept the CPU's
#     set in 69 of those 72 cases (all lengths; overlap 0.9998) and
#     answered as the CPU in all 72 (bench/results/gemfilter_gpu.jsonl);
#  b. `sieve-run --bench --bench-prompt-lengths 4096 --bench-batches 1` on
#     both models: the filter model's session is smaller than the prompt,
#     keeps 256 tokens and reports less session and peak runtime memory
#     than the dense model's;
#  c. the C API through ctypes (test/gpu/gemfilter_capi.py): a 4096-token
#     prompt in a session of max_context 300 (the filter pass in chunks of
#     1000 and of 8192 tokens keeps the same positions), k > max_context
#     and over-long prompts refused with their statuses.
#
#   CARRY=carry OUT=$OUT bash test/gpu/gemfilter_memory.sh
#
# CARRY holds bin/sieve-compile and bin/sieve-run. Results: one JSON line
# per check in $OUT/gemfilter_memory.jsonl, log $OUT/gemfilter_memory.log;
# PASS/FAIL lines; exit status 1 if any check fails. About a minute.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CARRY="$(cd "${CARRY:-$ROOT/carry}" && pwd)"
OUT="${OUT:-/tmp/sieve-gemfilter-memory-out}"
WORK="${WORK:-/tmp/sieve-gemfilter-memory}"
BIN="$CARRY/bin"
CPU="$ROOT/bench/results/retrieval_pruning_cpu.jsonl"
MODEL="$ROOT/models/retrieval8/retrieval8.onnx"
mkdir -p "$OUT" "$WORK"
exec > >(tee -a "$OUT/gemfilter_memory.log") 2>&1
RESULTS="$OUT/gemfilter_memory.jsonl"
status=0
note() { echo "== $*"; }
start=$(date +%s)
nvidia-smi -L

note "compiling retrieval8 dense and with GemFilter layer 2, k 256 (in parallel)"
"$BIN/sieve-compile" "$MODEL" -o "$WORK/dense.sieve" > "$WORK/compile-dense.log" 2>&1 &
dense_pid=$!
"$BIN/sieve-compile" "$MODEL" -o "$WORK/gem.sieve" --prune-tokens "layer=2 k=256 pool=5" \
  > "$WORK/compile-gem.log" 2>&1 &
gem_pid=$!
# The bench's cases (task.py is seeded: those of the committed CPU run);
# the 2048-token ones, and the CPU's results for them.
python3 "$ROOT/models/retrieval8/task.py" --filler "$ROOT/models/llama12/valid.txt" \
  --lengths 1024,2048,4096 --per-cell 8 --seed 99 > "$WORK/cases.jsonl"
python3 - "$WORK/cases.jsonl" "$CPU" "$WORK" <<'PY' || status=1
import json, sys
cases = [json.loads(l) for l in open(sys.argv[1])]
cpu = next(r for r in map(json.loads, open(sys.argv[2])) if r["variant"] == "gemfilter-l2-k256")
assert len(cpu["results"]) == len(cases), (len(cpu["results"]), len(cases))
pick = [i for i, c in enumerate(cases) if c["length"] == 2048]
for i in pick:  # the same case: length, depth and answer
    r = cpu["results"][i]
    assert (r["context"], r["depth"], r["answer"]) == (2048, cases[i]["depth"], cases[i]["answer"]), (i, r)
open(f"{sys.argv[3]}/cases2048.jsonl", "w").writelines(json.dumps(cases[i]) + "\n" for i in pick)
json.dump([cpu["results"][i] for i in pick], open(f"{sys.argv[3]}/cpu2048.json", "w"))
print(f"{len(pick)} cases of 2048 tokens")
PY
wait $dense_pid || { echo "FAIL: sieve-compile dense"; tail -15 "$WORK/compile-dense.log"; status=1; }
wait $gem_pid || { echo "FAIL: sieve-compile gemfilter"; tail -15 "$WORK/compile-gem.log"; status=1; }

note "a. 2048-token retrieval cases: kept indices and answers vs the CPU reference"
"$BIN/sieve-run" "$WORK/gem.sieve" --retrieval "$WORK/cases2048.jsonl" --json \
  > "$WORK/gpu2048.json" 2> "$WORK/gpu2048.err" || { echo "FAIL: sieve-run --retrieval"; tail -5 "$WORK/gpu2048.err"; status=1; }
python3 - "$WORK/gpu2048.json" "$WORK/cpu2048.json" <<'PY' | tee -a "$RESULTS" || status=1
import json, sys
gpu = json.loads(open(sys.argv[1]).read().splitlines()[0])["results"]
cpu = json.load(open(sys.argv[2]))
n = len(cpu)
same_kept = sum(g.get("kept") == c["kept"] for g, c in zip(gpu, cpu))
overlap = sum(len(set(g.get("kept", [])) & set(c["kept"])) / len(c["kept"]) for g, c in zip(gpu, cpu)) / n
same_answer = sum(g["predicted"] == c["predicted"] for g, c in zip(gpu, cpu))
sizes = sorted({len(g.get("kept", [])) for g in gpu})
# Before the change: 69/72 identical sets (all lengths), overlap 0.9998,
# 72/72 same answers; 3 differing sets among 24 is the most it allows.
ok = len(gpu) == n and sizes == [256] and same_answer == n and same_kept >= n - 3 and overlap >= 0.999
print(json.dumps({"check": "gemfilter-l2-k256 2048-token cases, gpu vs cpu", "cases": n,
                  "identical_kept": same_kept, "mean_overlap": overlap,
                  "same_answer": same_answer, "kept_sizes": sizes}))
print(f"{'PASS' if ok else 'FAIL'}: 2048-token cases: {same_kept}/{n} kept sets identical to the CPU's, "
      f"mean overlap {overlap:.5f}, {same_answer}/{n} same answers, kept sizes {sizes}")
sys.exit(0 if ok else 1)
PY

note "b. --bench at 4096 tokens, batch 1: session and runtime memory, dense vs GemFilter"
for m in dense gem; do
  "$BIN/sieve-run" "$WORK/$m.sieve" --bench --json --bench-prompt-lengths 4096 --bench-batches 1 \
    --bench-decode-steps 64 > "$WORK/bench-$m.json" 2> "$WORK/bench-$m.err" ||
    { echo "FAIL: sieve-run --bench $m"; tail -5 "$WORK/bench-$m.err"; status=1; }
done
python3 - "$WORK/bench-dense.json" "$WORK/bench-gem.json" <<'PY' | tee -a "$RESULTS" || status=1
import json, sys
dense, gem = (json.loads(open(p).read()) for p in sys.argv[1:3])
d, g = dense["prefill"][0], gem["prefill"][0]
mib = lambda b: b / 2**20
print(json.dumps({"check": "bench 4096 dense vs gemfilter", "dense": dense, "gemfilter": gem}))
checks = [
    ("the GemFilter session is smaller than the prompt", g["max_context"] < g["tokens"]),
    ("it keeps k = 256", g["kept"] == 256 and gem["token_filter_k"] == 256),
    ("the dense model keeps the prompt", d["kept"] == d["tokens"] == 4096 and d["transient_bytes"] == 0),
    ("the filter pass held transient memory", g["transient_bytes"] > 0),
    ("less session memory than dense", g["session_bytes"] < d["session_bytes"]),
    ("lower runtime peak than dense", g["runtime_peak_bytes"] < d["runtime_peak_bytes"]),
    ("decode runs from the kept cache", gem["decode"][0]["kept"] == 256),
]
for what, ok in checks:
    print(f"{'PASS' if ok else 'FAIL'}: {what}")
print(f"INFO: 4096 tokens: dense TTFT {d['ms']:.3f} ms, session {mib(d['session_bytes']):.2f} MiB, "
      f"peak {mib(d['runtime_peak_bytes']):.2f} MiB; GemFilter TTFT {g['ms']:.3f} ms, session "
      f"{mib(g['session_bytes']):.2f} MiB (max_context {g['max_context']}), transient "
      f"{mib(g['transient_bytes']):.2f} MiB, peak {mib(g['runtime_peak_bytes']):.2f} MiB")
sys.exit(0 if all(ok for _, ok in checks) else 1)
PY

note "c. the C API: prompts longer than max_context, chunked filter pass, refusals"
for m in gem dense; do
  python3 "$ROOT/test/gpu/gemfilter_capi.py" $m "$WORK/$m.sieve" "$WORK/cases.jsonl" | tee -a "$RESULTS"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done

echo "total $(( $(date +%s) - start )) s"
[ $status -eq 0 ] && echo "ALL PASS" || echo "SOME FAILED"
exit $status
