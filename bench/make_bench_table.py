#!/usr/bin/env python3
"""Builds the markdown table and the plot of issue 7 from the raw JSON that
bench/gpu_bench.sh writes (one file per run; several runs, e.g. the 8B shape
measured on its own, are put side by side). Every floor uses the ceilings
measured in the same run as the model. Formulas: docs/benchmarks.md.

Usage: make_bench_table.py RUN.json [RUN.json...] --md OUT.md [--png OUT.png]
"""
import argparse
import json
import os
import sys


# ---------------------------------------------------------------- floors --

def weight_bytes(shape):
    """Bytes one decode step reads once whatever the batch: every layer, the
    final norm and the LM head (tied or not, it is read as the head); the
    embedding gives one row per token, which is left out."""
    params = shape["layer_params"] + shape["final_norm_params"] + shape["lm_head_params"]
    return params * shape["bytes_per_param"]


def kv_bytes(shape, context):
    """Bytes of K and V cache one sequence reads at `context` positions."""
    return (2 * shape["layers"] * shape["kv_heads"] * shape["head_dim"] * context
            * shape["bytes_per_param"])


def decode_floor_tps(shape, gb_per_s, batch, context):
    """Tokens/s if a step cost only its bytes over the copy bandwidth."""
    step_bytes = weight_bytes(shape) + batch * kv_bytes(shape, context)
    return batch * gb_per_s * 1e9 / step_bytes


def prefill_flops(shape, tokens):
    """2 x layer parameters x tokens + 2 x layers x tokens^2 x hidden (causal
    attention) + the LM head for the last position."""
    return (2 * shape["layer_params"] * tokens
            + 2 * shape["layers"] * tokens ** 2 * shape["hidden"]
            + 2 * shape["hidden"] * shape["vocab"])


def prefill_floor_ms(shape, tflop_per_s, tokens):
    return prefill_flops(shape, tokens) / (tflop_per_s * 1e12) * 1e3


# ------------------------------------------------------------ extraction --

class Failed:
    """A measurement that was attempted and failed (shown, never dropped)."""

    def __str__(self):
        return "failed"


FAILED = Failed()


def field(record, key):
    """record[key], FAILED when the record holds an error, None if absent."""
    if record is None:
        return None
    if "error" in record:
        return FAILED
    return record.get(key)


def sieve_results(model):
    """prefill {tokens: ms} and decode {(batch, context): tokens/s} of the
    sieve-run --bench records; FAILED entries for a run that failed."""
    prefill, decode, peak = {}, {}, []
    for key in ("sieve_bench", "sieve_bench_4096"):
        rec = model.get(key)
        if rec is None:
            continue
        if rec.get("rc") != 0 or "result" not in rec:
            decode[key] = FAILED
            continue
        for p in rec["result"].get("prefill", []):
            prefill[p["tokens"]] = p["ms"]
        for d in rec["result"].get("decode", []):
            decode[(d["batch"], d["context"])] = d["tokens_per_s"]
        if rec.get("peak_gpu_mib") is not None:
            peak.append(rec["peak_gpu_mib"])
    # gpu_bench.sh reruns without 8192 when the run with it failed.
    if "sieve_bench_failed" in model and 8192 not in prefill:
        prefill[8192] = FAILED
    return prefill, decode, (max(peak) if peak else None)


def rows_for(name, model, ceilings):
    """One row per metric: (metric, unit, floor, sieve, eager, compiled,
    higher_is_better)."""
    torch = model.get("pytorch", {})
    shape = torch.get("shape")
    if shape is None:
        raise SystemExit(f"{name}: no pytorch.shape record, the floors need its parameter counts")
    bw = ceilings["copy"]["gb_per_s"]
    rate = ceilings["gemm"]["tflop_per_s"]
    s_prefill, s_decode, _ = sieve_results(model)
    failed_all = s_decode.get("sieve_bench") is FAILED
    rows = []
    prefill_lengths = sorted(set(s_prefill) | {2048})
    for t in prefill_lengths:
        eager = field(torch.get("eager_prefill"), "ms") if t == 2048 else None
        comp = field(torch.get("static_prefill_b1"), "prefill_ms") if t == 2048 else None
        sieve = s_prefill.get(t, FAILED if failed_all else None)
        rows.append((f"prefill {t} tokens, batch 1", "ms",
                     prefill_floor_ms(shape, rate, t), sieve, eager, comp, False))
    wanted = {(1, 512), (32, 512)}
    if "sieve_bench_4096" in model:  # shown even when its run failed
        wanted.add((1, 4096))
    decode_points = sorted(set(k for k in s_decode if isinstance(k, tuple)) | wanted)
    for batch, ctx in decode_points:
        eager = comp = None
        if (batch, ctx) == (1, 512):
            eager = field(torch.get("eager_decode_b1"), "tokens_per_s")
            comp = field(torch.get("static_decode_b1"), "decode_tokens_per_s")
        if (batch, ctx) == (32, 512):
            eager = field(torch.get("eager_decode_b32"), "tokens_per_s")
        which = "sieve_bench_4096" if ctx == 4096 else "sieve_bench"
        sieve = s_decode.get((batch, ctx), FAILED if s_decode.get(which) is FAILED else None)
        rows.append((f"decode batch {batch}, {ctx} of context", "tokens/s",
                     decode_floor_tps(shape, bw, batch, ctx), sieve, eager, comp, True))
    return rows


# ---------------------------------------------------------------- output --

def number(v, digits=1):
    if v is None:
        return "—"
    if v is FAILED:
        return "failed"
    return f"{v:,.{digits}f}"


def fraction(v, floor, higher):
    """The share of the floor reached: measured/floor for a rate, floor/
    measured for a latency."""
    if not isinstance(v, (int, float)):
        return None
    return v / floor if higher else floor / v


def best_pytorch(eager, comp, higher):
    vals = [v for v in (eager, comp) if isinstance(v, (int, float))]
    if not vals:
        return None
    return max(vals) if higher else min(vals)


def speedup(sieve, best, higher):
    if not isinstance(sieve, (int, float)) or best is None:
        return None
    return sieve / best if higher else best / sieve


def percent(f):
    return "—" if f is None else f"{100 * f:.0f}%"


def markdown(runs, sources):
    out = ["# sieve vs PyTorch on the GPU (issue 7)", "",
           "Generated by `bench/make_bench_table.py` from "
           + ", ".join(f"`{s}`" for s in sources)
           + " (written by `bench/gpu_bench.sh`; method: docs/benchmarks.md).", ""]
    for run, src in zip(runs, sources):
        c = run["ceilings"]
        out.append(f"- `{os.path.basename(src)}`: {c['device']}, torch {c['torch']}: "
                   f"copy bandwidth {c['copy']['gb_per_s']:,.0f} GB/s (read + write), "
                   f"cuBLAS fp16 GEMM {c['gemm']['tflop_per_s']:,.0f} TFLOP/s "
                   f"({c['gemm']['n']}^3)")
    out.append("")
    out.append("Floor: decode = bytes read per step (weights incl. LM head + KV cache) "
               "/ copy bandwidth; prefill = FLOPs / GEMM rate. `% floor` = share of the "
               "floor reached. Speedup = sieve / best PyTorch (>1: sieve faster). "
               "Eager decode: manual greedy loop over the HF KV cache; compiled: "
               "`generate(cache_implementation=\"static\")`, auto-compiled.")
    out.append("")
    for run in runs:
        for name, model in run["models"].items():
            torch = model.get("pytorch", {})
            out.append(f"## {name}")
            out.append("")
            out.append("| metric | floor | sieve | eager | compiled | sieve % floor "
                       "| eager % floor | compiled % floor | speedup vs best PyTorch |")
            out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
            for metric, unit, floor, sieve, eager, comp, higher in rows_for(name, model, run["ceilings"]):
                best = best_pytorch(eager, comp, higher)
                sp = speedup(sieve, best, higher)
                out.append(
                    f"| {metric} ({unit}) | {number(floor)} | {number(sieve)} | {number(eager)} "
                    f"| {number(comp)} | {percent(fraction(sieve, floor, higher))} "
                    f"| {percent(fraction(eager, floor, higher))} "
                    f"| {percent(fraction(comp, floor, higher))} "
                    f"| {'—' if sp is None else f'{sp:.2f}x'} |")
            _, _, peak = sieve_results(model)
            notes = []
            if peak is not None:
                notes.append(f"sieve peak GPU memory {peak:,} MiB (nvidia-smi polling)")
            if "max_memory_allocated_mib" in torch:
                notes.append(f"PyTorch max_memory_allocated {torch['max_memory_allocated_mib']:,.0f} MiB")
            loops = sorted({d.get("loop") for key in ("sieve_bench", "sieve_bench_4096")
                            for d in model.get(key, {}).get("result", {}).get("decode", [])
                            if d.get("loop")})
            if loops:
                notes.append("sieve decode loop: " + " and ".join(
                    "device (sieve_generate)" if l == "device" else l for l in loops))
            static = torch.get("static_decode_b1", {})
            if "compiled" in static:
                notes.append(f"static generate compiled: {static['compiled']} "
                             f"({static.get('dynamo_unique_graphs')} dynamo graphs)")
            comp = model.get("compile")
            if comp and "seconds" in comp:
                notes.append(f"sieve-compile {comp['seconds']} s, peak RSS {comp.get('peak_rss_mb')} MB")
            exp = model.get("export")
            if exp and "export_seconds" in exp:
                notes.append(f"export {exp['export_seconds']} s")
            if "sieve_bench_failed" in model:
                notes.append("sieve-run --bench with 8192 tokens failed (its output is in the "
                             "JSON, sieve_bench_failed); the other rows are from the rerun without it")
            if notes:
                out.append("")
                out.append("; ".join(notes) + ".")
            out.append("")
    return "\n".join(out)


def plot(runs, path):
    try:
        import matplotlib
    except ImportError:
        sys.exit("--png needs matplotlib, which this python3 lacks")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = [("prefill 2048 tokens, batch 1", "prefill 2048, batch 1: % of GEMM floor"),
              ("decode batch 1, 512 of context", "decode batch 1 @512: % of bandwidth floor"),
              ("decode batch 32, 512 of context", "decode batch 32 @512: % of bandwidth floor")]
    systems = [("sieve", 3, "tab:green"), ("eager", 4, "tab:gray"), ("compiled", 5, "tab:blue")]
    models = [(name, model, run["ceilings"]) for run in runs for name, model in run["models"].items()]
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4))
    width = 0.8 / len(systems)
    for ax, (metric, title) in zip(axes, panels):
        for i, (label, col, color) in enumerate(systems):
            xs, ys = [], []
            for j, (name, model, ceilings) in enumerate(models):
                row = next((r for r in rows_for(name, model, ceilings)
                            if r[0].startswith(metric)), None)
                f = row and fraction(row[col], row[2], row[6])
                if f is not None:
                    xs.append(j + (i - 1) * width)
                    ys.append(100 * f)
            bars = ax.bar(xs, ys, width, label=label, color=color)
            ax.bar_label(bars, fmt="%.0f", fontsize=7)
        ax.set_xticks(range(len(models)), [m[0] for m in models])
        ax.axhline(100, color="black", linewidth=0.8, linestyle="--")
        ax.set_title(title, fontsize=9)
        ax.set_ylabel("% of floor")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", help="gpu_bench JSON files")
    ap.add_argument("--md", required=True, help="markdown table to write")
    ap.add_argument("--png", help="plot to write (needs matplotlib)")
    a = ap.parse_args()
    runs = []
    for path in a.runs:
        try:
            with open(path) as f:
                run = json.load(f)
        except (OSError, ValueError) as e:
            sys.exit(f"cannot read {path}: {e}")
        if "ceilings" not in run or "models" not in run:
            sys.exit(f"{path}: not a gpu_bench.sh result (no 'ceilings'/'models')")
        c = run["ceilings"]
        try:
            c["copy"]["gb_per_s"], c["gemm"]["tflop_per_s"], c["gemm"]["n"], c["device"]
        except (KeyError, TypeError) as e:
            sys.exit(f"{path}: the ceilings record lacks {e}")
        runs.append(run)
    text = markdown(runs, a.runs)
    with open(a.md, "w") as f:
        f.write(text + "\n")
    print(f"wrote {a.md}")
    if a.png:
        plot(runs, a.png)
        print(f"wrote {a.png}")


if __name__ == "__main__":
    main()
