#!/usr/bin/env python3
"""Markdown table of bench/retrieval_pruning.sh results: one row per variant
and context length (dense, then GemFilter, SnapKV and H2O variants), one
column per needle depth, each cell accuracy (correct/cases); the last line
of a variant wins when it was run twice.

    python3 bench/retrieval_pruning_table.py bench/results/retrieval_pruning_cpu.jsonl
"""
import json, sys


def main():
    runs = {}
    for line in open(sys.argv[1]):
        if line.strip():
            r = json.loads(line)
            runs[r["variant"]] = r
    depths = sorted({c["depth"] for r in runs.values() for c in r["cells"]})
    print("| variant | context | " + " | ".join(f"depth {d:g}" for d in depths)
          + " | all | seconds | where |")
    print("|---|---|" + "---|" * (len(depths) + 3))
    kinds = ["dense", "gemfilter", "snapkv", "h2o"]
    order = sorted(runs, key=lambda v: (next((i for i, k in enumerate(kinds)
                                               if v.startswith(k)), len(kinds)), v))
    for v in order:
        r = runs[v]
        contexts = sorted({c["context"] for c in r["cells"]})
        for ctx in contexts:
            cells = {c["depth"]: c for c in r["cells"] if c["context"] == ctx}
            row = [f"{cells[d]['accuracy']:.2f} ({cells[d]['correct']}/{cells[d]['cases']})"
                   if d in cells else "-" for d in depths]
            n = sum(c["cases"] for c in cells.values())
            ok = sum(c["correct"] for c in cells.values())
            print(f"| {v} | {ctx} | " + " | ".join(row) +
                  f" | {ok / n:.2f} | {r['seconds']:.0f} | {r['where']} |")


if __name__ == "__main__":
    main()
