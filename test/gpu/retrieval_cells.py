#!/usr/bin/env python3
"""Retrieval accuracy per (context, depth) cell, GPU against the CPU
reference, as one JSON record (the "<label> retrieval gpu vs cpu" check
that bench/snapkv_gpu_table.py renders):

    python3 test/gpu/retrieval_cells.py LABEL GPU.json CPU.json

GPU.json and CPU.json are `sieve-run --retrieval --json` reports of the
same cases (the first line of each file is read). Prints the record and
one INFO line per cell; exit status 0 (a comparison, not a check: the
caller decides what agreement it needs)."""
import json
import sys


def first_json(path):
    return json.loads(open(path).read().splitlines()[0])


def cells_record(label, gpu, cpu):
    g, c = gpu["results"], cpu["results"]
    if len(g) != len(c):
        sys.exit(f"retrieval_cells.py: {len(g)} GPU results against {len(c)} CPU results")
    for a, b in zip(g, c):
        if (a["context"], a["depth"], a["answer"]) != (b["context"], b["depth"], b["answer"]):
            sys.exit("retrieval_cells.py: the two reports hold different cases")
    cells = {}
    for a, b in zip(g, c):
        cell = cells.setdefault((b["context"], b["depth"]), [0, 0, 0])
        cell[0] += a["correct"]
        cell[1] += b["correct"]
        cell[2] += 1
    return {"check": f"{label} retrieval gpu vs cpu", "cases": len(c),
            "gpu_correct": sum(a["correct"] for a in g),
            "cpu_correct": sum(b["correct"] for b in c),
            "same_answer": sum(a["predicted"] == b["predicted"] for a, b in zip(g, c)),
            "same_digits": sum(x == y for a, b in zip(g, c)
                               for x, y in zip(a["predicted"], b["predicted"])),
            "cells": {f"{k[0]}@{k[1]}": v for k, v in sorted(cells.items())},
            "gpu_where": gpu.get("where"), "cpu_where": cpu.get("where")}


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    record = cells_record(sys.argv[1], first_json(sys.argv[2]), first_json(sys.argv[3]))
    print(json.dumps(record))
    for key, (gc, cc, m) in record["cells"].items():
        print(f"INFO: {sys.argv[1]} context {key.replace('@', ' depth ')}: GPU {gc}/{m}, CPU {cc}/{m}")


if __name__ == "__main__":
    main()
