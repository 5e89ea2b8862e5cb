#!/usr/bin/env python3
"""Markdown tables of test/gpu/snapkv.sh's results (docs/token-pruning.md,
"SnapKV on the GPU", "H2O on the GPU"): retrieval accuracy per cell, GPU
against the CPU reference, the greedy-generation check and, with H2O, the
decode step's time.

    python3 bench/snapkv_gpu_table.py bench/results/snapkv_gpu.jsonl

The input holds the JSON lines the script writes to $OUT/snapkv.jsonl
(lines that are not JSON objects with a "check" are skipped, so the
script's log works too)."""
import json
import sys


def records(path):
    for line in open(path):
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            r = json.loads(line)
        except json.JSONDecodeError:
            continue
        if "check" in r:
            yield r


def main():
    rows = list(records(sys.argv[1]))
    retrieval = [r for r in rows if r["check"].endswith("retrieval gpu vs cpu")]
    greedy = [r for r in rows if r["check"].endswith("greedy gpu vs cpu")]
    steps = [r for r in rows if r["check"] == "decode step time"]
    print("| variant | context | depth 0.1 GPU / CPU | depth 0.5 GPU / CPU | depth 0.9 GPU / CPU "
          "| all GPU / CPU | same answers |")
    print("|---|---|---|---|---|---|---|")
    for r in retrieval:
        variant = r["check"].split()[0]
        contexts = sorted({int(k.split("@")[0]) for k in r["cells"]})
        for ctx in contexts:
            cells = [r["cells"].get(f"{ctx}@{d}") for d in (0.1, 0.5, 0.9)]
            text = [f"{g}/{n} / {c}/{n}" if n else "-" for g, c, n in (x or (0, 0, 0) for x in cells)]
            print(f"| {variant} | {ctx} | {' | '.join(text)} | | |")
        n = r["cases"]
        print(f"| {variant} | all | | | | {r['gpu_correct'] / n:.3f} / {r['cpu_correct'] / n:.3f} "
              f"| {r['same_answer']}/{n} |")
    if greedy:
        print()
        print("| method | budget | context cell | GPU greedy (16 tokens) | CPU greedy | equal |")
        print("|---|---|---|---|---|---|")
        for r in greedy:
            g, c = bytes(r["gpu"]), bytes(r["cpu"])
            # Python's escapes (\\n) keep a generated newline in its cell.
            # Runs before H2O had no method field: SnapKV's.
            print(f"| {r.get('method', 'snapkv')} | {r['budget']} | {r['prompt_tokens']} "
                  f"| `{repr(g)[2:-1]}` | `{repr(c)[2:-1]}` | {'yes' if g == c else 'no'} |")
    if steps:
        print()
        print("| model | prompt tokens | decode steps | cache after | median step (ms) | min step (ms) |")
        print("|---|---:|---:|---:|---:|---:|")
        for r in steps:
            print(f"| {r['model']} | {r['prompt_tokens']} | {r['steps']} | {r['cache']} "
                  f"| {r['median_step_ms']:.3f} | {r['min_step_ms']:.3f} |")


if __name__ == "__main__":
    main()
