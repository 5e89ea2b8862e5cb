#!/usr/bin/env python3
"""Summarizes an Nsight Compute CSV (--csv --page raw --print-units base)
of `sieve-run --bench` (bench/profile_kernels.sh): splits the launches at
each sampling kernel (sampleKernel ends every prefill and decode step) and
prints, for the second prefill (the first is a warm-up) and the last decode
step, the time and DRAM traffic per kernel name and in total.

Usage: ncu_summary.py PROFILE.csv"""
import csv
import re
import sys
from collections import OrderedDict


def rows(path):
    with open(path, errors="replace") as f:
        lines = f.read().splitlines()
    start = next((i for i, l in enumerate(lines) if l.startswith('"ID"')), None)
    if start is None:
        sys.exit(f"{path}: no ncu CSV header (did ncu run?)")
    reader = csv.DictReader(l for l in lines[start:] if l.startswith('"'))
    for r in reader:
        if not r.get("ID", "").isdigit():  # the units row
            continue
        yield r


def short(name):
    name = re.sub(r"^void ", "", name)
    name = re.sub(r"sieve::rt::detail::", "", name)
    return name if len(name) <= 90 else name[:87] + "..."


def num(r, key):
    try:
        return float((r.get(key, "") or "0").replace(",", ""))
    except ValueError:
        return 0.0


def summarize(title, seg):
    agg = OrderedDict()
    for r in seg:
        k = short(r["Kernel Name"])
        a = agg.setdefault(k, [0, 0.0, 0.0, 0.0])
        a[0] += 1
        a[1] += num(r, "gpu__time_duration.sum")
        a[2] += num(r, "dram__bytes_read.sum")
        a[3] += num(r, "dram__bytes_write.sum")
    total_ns = sum(a[1] for a in agg.values())
    total_rd = sum(a[2] for a in agg.values())
    print(f"\n## {title}: {len(seg)} kernels, {total_ns / 1e3:.1f} us of kernel time, "
          f"{total_rd / 1e6:.1f} MB read from DRAM "
          f"({total_rd / max(total_ns, 1):.0f} GB/s over kernel time)")
    print(f"{'calls':>5} {'us':>9} {'%':>5} {'MB read':>9} {'MB write':>9} {'GB/s':>6} kernel")
    for k, (n, ns, rd, wr) in sorted(agg.items(), key=lambda kv: -kv[1][1]):
        print(f"{n:5d} {ns / 1e3:9.1f} {100 * ns / max(total_ns, 1):5.1f} {rd / 1e6:9.1f} "
              f"{wr / 1e6:9.1f} {(rd + wr) / max(ns, 1):6.0f} {k}")


def main():
    all_rows = list(rows(sys.argv[1]))
    segs, cur = [], []
    for r in all_rows:
        cur.append(r)
        if "sampleKernel" in r["Kernel Name"]:
            segs.append(cur)
            cur = []
    if cur:
        segs.append(cur)
    print(f"{len(all_rows)} kernels in {len(segs)} segments (split at sampleKernel)")
    if len(segs) < 8:
        sys.exit("fewer segments than 6 prefills + a decode step: profile incomplete")
    summarize("prefill (second of the repeats)", segs[1])
    # The last segment holds the final sample only; the one before it the
    # last timed decode step (sample + decode graph nodes).
    last = segs[-1] if len(segs[-1]) > 1 else segs[-2]
    summarize("decode step (the last timed one)", last)


if __name__ == "__main__":
    main()
