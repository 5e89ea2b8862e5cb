#!/usr/bin/env python3
"""Where a decode step's time goes, from bench/step_timeline.cu's records of
the kernels a process ran inside CUDA graphs.

  python3 bench/step_breakdown.py TIMELINE.tsv [--graph ID] [--skip N]

A graph replay is the kernels that share a graph id and a launch
correlation id. Within a replay the kernels are ordered by their end time
and each is charged the time from the previous kernel's end to its own end
(the first: its whole run): what the step's critical path pays for it, with
launches overlapped by programmatic dependent launch as they run. By
default the graph with the most replays is summarized (sieve-run --bench's
decode graph) and its first N replays (warm-up, default 8) are skipped.
Prints per kernel (name up to its template arguments): launches a step,
microseconds a step charged to it, its share, and its mean run time
(start to end, which includes any wait for its predecessor).
"""
import argparse
import collections
import statistics
import sys


def short(name):
    # "void sieve::foo<...>(...)" -> "sieve::foo"
    name = name.removeprefix("void ")
    for stop in "<(":
        i = name.find(stop)
        if i > 0:
            name = name[:i]
    return name


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("timeline")
    ap.add_argument("--graph", type=int, help="graph id (default: the most replayed)")
    ap.add_argument("--skip", type=int, default=8, help="replays to skip (warm-up)")
    args = ap.parse_args()

    replays = collections.defaultdict(list)  # (graph, correlation) -> [(start, end, name)]
    with open(args.timeline) as f:
        for n, line in enumerate(f, 1):
            if line.startswith("#"):
                print(line.strip())
                continue
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5:
                sys.exit(f"{args.timeline}:{n}: expected 5 tab-separated fields")
            graph, corr, start, end, name = parts
            replays[(int(graph), int(corr))].append((int(start), int(end), short(name)))
    if not replays:
        sys.exit(f"{args.timeline}: no graph kernels recorded")
    per_graph = collections.Counter(g for g, _ in replays)
    graph = args.graph if args.graph is not None else per_graph.most_common(1)[0][0]
    runs = sorted((k for k in replays if k[0] == graph), key=lambda k: min(replays[k])[0])
    if len(runs) <= args.skip:
        sys.exit(f"graph {graph}: {len(runs)} replays, none left after skipping {args.skip}")
    runs = runs[args.skip:]

    charged = collections.defaultdict(float)
    launches = collections.Counter()
    durations = collections.defaultdict(float)
    spans = []
    for key in runs:
        kernels = sorted(replays[key], key=lambda k: k[1])
        first_start = min(k[0] for k in kernels)
        spans.append((kernels[-1][1] - first_start) / 1e3)
        previous_end = first_start
        for start, end, name in kernels:
            charged[name] += (end - max(previous_end, first_start)) / 1e3
            previous_end = max(previous_end, end)
            launches[name] += 1
            durations[name] += (end - start) / 1e3
    steps = len(runs)
    total = sum(charged.values()) / steps
    print(f"graph {graph}: {steps} replays summarized ({args.skip} skipped), "
          f"{sum(launches.values()) // steps} kernels a replay; median span "
          f"{statistics.median(spans):.1f} us (first kernel start to last kernel end)")
    print(f"{'kernel':<48} {'launches':>8} {'us/step':>9} {'share':>6} {'mean run us':>12}")
    for name, us in sorted(charged.items(), key=lambda kv: -kv[1]):
        print(f"{name[:48]:<48} {launches[name] / steps:>8.1f} {us / steps:>9.1f} "
              f"{100 * us / steps / total:>5.1f}% {durations[name] / launches[name]:>12.2f}")
    print(f"{'total':<48} {sum(launches.values()) / steps:>8.1f} {total:>9.1f}")


if __name__ == "__main__":
    main()
