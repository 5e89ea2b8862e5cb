#!/usr/bin/env python3
"""Markdown tables of bench/variants_gpu.sh's JSON lines (one per
measurement): layer skipping, weight quantization and GemFilter against the
f16 model measured in the same run.

  python3 bench/variants_table.py RESULTS.jsonl [--ceilings CEILINGS.json] --md OUT.md

With --ceilings (bench/gpu_bench.py's ceilings record of the same machine)
the decode figures get their fraction of the bandwidth floor: the bytes a
step reads (the weights but the embedding table of an untied model, plus
the KV cache at the step's context) over the measured copy bandwidth.
"""
import argparse
import json
import sys


def load(path):
    rows = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                rows.append(json.loads(line))
            except ValueError as e:
                sys.exit(f"{path}:{n}: not JSON: {e}")
    if not rows:
        sys.exit(f"{path}: no measurements")
    return rows


def kv_bytes(row, batch, context):
    c = row["config"]
    return 2 * c["num_kv_layers"] * c["num_kv_heads"] * c["head_dim"] * 2 * batch * context


def decode_of(row, batch):
    for d in row.get("decode") or []:
        if d["batch"] == batch:
            return d
    return None


def prefill_of(row):
    p = row.get("prefill") or []
    return p[0] if p else None


def floor_pct(row, d, bandwidth):
    """Share of the bandwidth floor a decode measurement reaches."""
    if not bandwidth or not d:
        return ""
    step_bytes = row["decode_weight_bytes"] + kv_bytes(row, d["batch"], d["context"])
    floor_ms = step_bytes / bandwidth * 1e3
    return f"{100 * floor_ms / d['ms_per_step']:.0f}%"


def fmt(x, digits=1):
    return "—" if x is None else f"{x:,.{digits}f}"


def by_variant(rows, part):
    out = {}
    for r in rows:
        if r["part"] == part:
            out.setdefault(r["variant"], []).append(r)
    return out


def skip_table(rows, bandwidth):
    v = by_variant(rows, "skip")
    if "full" not in v or "skip" not in v:
        return []
    full, skip = v["full"][-1], v["skip"][-1]
    lines = [f"### Layer skipping (issue 8): {skip['config']['num_layers']} of "
             f"{full['config']['num_layers']} layers kept, removed {skip['removed']}",
             "",
             "| measurement | all layers | 25% skipped | ratio |",
             "|---|---:|---:|---:|"]
    for b in (1, 8):
        f, s = decode_of(full, b), decode_of(skip, b)
        if f and s:
            lines.append(f"| decode batch {b} at {f['context']} (tokens/s) | "
                         f"{fmt(f['tokens_per_s'])} ({floor_pct(full, f, bandwidth) or 'n/a'}) | "
                         f"{fmt(s['tokens_per_s'])} ({floor_pct(skip, s, bandwidth) or 'n/a'}) | "
                         f"{s['tokens_per_s'] / f['tokens_per_s']:.3f}x |")
    f, s = prefill_of(full), prefill_of(skip)
    if f and s:
        lines.append(f"| prefill {f['tokens']} tokens (ms) | {fmt(f['ms'], 2)} | {fmt(s['ms'], 2)} | "
                     f"{f['ms'] / s['ms']:.3f}x |")
    lines.append(f"| weights (MB) | {full['weights_payload_bytes'] / 1e6:,.0f} | "
                 f"{skip['weights_payload_bytes'] / 1e6:,.0f} | |")
    return lines + [""]


def quant_table(rows, bandwidth):
    v = by_variant(rows, "quant")
    if "f16" not in v:
        return []
    base = v["f16"][-1]
    lines = ["### Weight formats (issue 9), each against f16 in the same run",
             "",
             "| weights | LM head | decode bytes/step (MB) | prefill 2048 (ms) | decode b1 (tok/s) | "
             "b1 vs f16 | b1 % floor | decode b16 (tok/s) | b16 vs f16 | b16 % floor |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    b1f, b16f = decode_of(base, 1), decode_of(base, 16)
    for name in ["f16"] + [k for k in v if k != "f16"]:
        r = v[name][-1]
        p, d1, d16 = prefill_of(r), decode_of(r, 1), decode_of(r, 16)
        ratio = lambda d, b: (f"{d['tokens_per_s'] / b['tokens_per_s']:.2f}x" if d and b else "—")
        lines.append(
            f"| {name} | {r['lm_head']} | {r['decode_weight_bytes'] / 1e6:,.0f} | "
            f"{fmt(p['ms'] if p else None, 2)} | {fmt(d1['tokens_per_s'] if d1 else None)} | "
            f"{ratio(d1, b1f)} | {floor_pct(r, d1, bandwidth) or 'n/a'} | "
            f"{fmt(d16['tokens_per_s'] if d16 else None)} | {ratio(d16, b16f)} | "
            f"{floor_pct(r, d16, bandwidth) or 'n/a'} |")
    return lines + [""]


def gemfilter_table(rows):
    v = by_variant(rows, "gemfilter")
    if "dense" not in v or "gemfilter" not in v:
        return []
    dense = {r["prompt_tokens"]: r for r in v["dense"]}
    gf = {r["prompt_tokens"]: r for r in v["gemfilter"]}
    filt = v["gemfilter"][-1].get("filter", "")
    lines = [f"### GemFilter (issue 10): `--prune-tokens='{filt}'`, time to first token and "
             "peak GPU memory, one process per prompt",
             "",
             "| prompt tokens | dense TTFT (ms) | GemFilter TTFT (ms) | speedup | "
             "dense peak (MiB) | GemFilter peak (MiB) | memory saved | "
             "runtime's own peak, dense / GemFilter (MiB) | kept |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    mib = lambda p: f"{p['runtime_peak_bytes'] / 2**20:,.0f}" if p and "runtime_peak_bytes" in p else "—"
    for n in sorted(set(dense) & set(gf)):
        d, g = prefill_of(dense[n]), prefill_of(gf[n])
        dm, gm = dense[n].get("peak_gpu_mib"), gf[n].get("peak_gpu_mib")
        speed = f"{d['ms'] / g['ms']:.2f}x" if d and g else "—"
        saved = f"{100 * (1 - gm / dm):.0f}%".replace("-0%", "0%") if dm and gm else "—"
        kept = f"{g['kept']:,}" if g and "kept" in g else "—"
        lines.append(f"| {n:,} | {fmt(d['ms'] if d else None)} | {fmt(g['ms'] if g else None)} | "
                     f"{speed} | {fmt(dm, 0)} | {fmt(gm, 0)} | {saved} | {mib(d)} / {mib(g)} | "
                     f"{kept} |")
    return lines + [""]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results")
    ap.add_argument("--ceilings", help="gpu_bench.py ceilings JSON of the same machine")
    ap.add_argument("--part-ceilings", action="append", default=[], metavar="PART=FILE",
                    help="the ceilings of the run that measured PART (skip, quant), when "
                         "it ran in another device command than --ceilings'")
    ap.add_argument("--md", required=True, help="markdown output")
    args = ap.parse_args()
    rows = load(args.results)

    def copy_bandwidth(path):
        with open(path) as f:
            bw = json.load(f).get("copy", {}).get("gb_per_s", 0) * 1e9
        if not bw:
            sys.exit(f"{path}: no copy bandwidth")
        return bw

    bandwidth = copy_bandwidth(args.ceilings) if args.ceilings else None
    per_part = {}
    for item in args.part_ceilings:
        part, _, path = item.partition("=")
        if part not in ("skip", "quant") or not path:
            sys.exit(f"--part-ceilings {item!r}: expected skip=FILE or quant=FILE")
        per_part[part] = copy_bandwidth(path)
    shapes = sorted({r["shape"] for r in rows})
    out = [f"# Optimization passes on the GPU: {', '.join(shapes)}", "",
           f"Generated by `bench/variants_table.py` from `{args.results}` "
           "(written by `bench/variants_gpu.sh`). Seeded random weights: speed and memory only. "
           "Decode at batch b reads the weights once per step plus b KV caches; "
           "% floor = (those bytes / measured copy bandwidth) / measured step time"
           + ("." if bandwidth else
              f" (only for {', '.join(sorted(per_part))}: ceilings given per part)." if per_part
              else " (not computed: no --ceilings)."), ""]
    for table in (skip_table(rows, per_part.get("skip", bandwidth)),
                  quant_table(rows, per_part.get("quant", bandwidth)), gemfilter_table(rows)):
        out += table
    with open(args.md, "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
