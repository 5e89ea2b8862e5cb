#!/usr/bin/env python3
"""Markdown table of accuracy by context and needle depth from the JSON lines
that bench/retrieval_dense.sh appends (one line per context length; a later
line for the same length replaces an earlier one).

    python3 bench/retrieval_table.py bench/results/retrieval_dense_cpu.jsonl"""
import json, sys

def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    latest = {}
    for line in open(sys.argv[1]):
        if line.strip():
            r = json.loads(line)
            latest[r["length"]] = r
    depths = sorted({c["depth"] for r in latest.values() for c in r["cells"]})
    print("| context | " + " | ".join(f"depth {d:g}" for d in depths) + " | where | seconds |")
    print("|---" * (len(depths) + 3) + "|")
    for L in sorted(latest):
        r = latest[L]
        cells = {c["depth"]: c for c in r["cells"]}
        row = [f"{cells[d]['accuracy']:.2f} ({cells[d]['correct']}/{cells[d]['cases']})"
               if d in cells else "-" for d in depths]
        print(f"| {L} | " + " | ".join(row) + f" | {r['where']} | {r['seconds']:.0f} |")

if __name__ == "__main__":
    main()
