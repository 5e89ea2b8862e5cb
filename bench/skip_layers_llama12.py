#!/usr/bin/env python3
"""Layer skipping on llama12 (float32) on the CPU reference: bits per byte on
valid.txt, greedy-token agreement and mean KL against the full model, for 0..6
removed layers (blocks in sublayer mode) per method, next to what was removed.

    bench/skip_layers_llama12.py [--build BUILD] [--max-windows N]
        [--counts 0,1,2,3,4,5,6] [--methods static-cosine,...] [--tag NAME]

Steps: raise the shared llama12.onnx (sieve-translate, sieve-opt
--sieve-simplify --sieve-raise); profile it on the first 64 windows of
valid.txt (sieve-run --profile, the calibration of the issue's PyTorch
reference); for every method and count, sieve-opt --sieve-skip-layers and
sieve-run PRUNED --eval valid.txt --baseline RAISED --json [--max-windows N].
Layers 0 and 11 are kept (keep-first=1 keep-last=1). The iterative method
re-profiles on the same 64 windows after each removal. Models that remove the
same set (static cosine and lim rank alike) are evaluated once.

Writes bench/results/skip_layers_llama12_<tag>.json (every row, the commands,
the load average) and prints a markdown table.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared", "models", "llama12")
VALID = os.path.join(SHARED, "valid.txt")
CALIB_WINDOWS = 64

METHODS = {
    "static-cosine": "mode=static metric=cosine profile={profile}",
    "static-lim": "mode=static metric=lim profile={profile}",
    "static-zd": "mode=static metric=zd profile={profile}",
    "unified": "mode=unified",
    "sublayer-cosine": "mode=sublayer metric=cosine profile={profile}",
    "iterative-cosine": ("mode=static metric=cosine iterative=true "
                         "calibration={valid} max-windows=%d" % CALIB_WINDOWS),
}

# The PyTorch reference of issue 8 (full valid.txt, 1..4 layers).
REFERENCE = {
    "static-cosine": {"layers": [[2], [2, 4], [2, 4, 3], [2, 4, 3, 5]],
                      "bpb": [1.218, 1.401, 1.630, 2.238]},
    "unified": {"bpb": [1.520, 1.561, 2.289, 2.893]},
}


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit("command failed: %s\n%s" % (" ".join(cmd), r.stderr))
    return r


def removed_of(mlir_path):
    """The sieve.removed entries of a pruned module, as 'L3' / 'L3.attn'."""
    out = []
    with open(mlir_path) as f:
        head = f.readline()
    if "sieve.removed" not in head:
        return out
    text = head[head.index("sieve.removed"):]
    for entry in text.split("{")[1:]:
        fields = dict(
            (kv.split("=")[0].strip(), kv.split("=")[1].strip().split(" :")[0].strip('"'))
            for kv in entry.split("}")[0].split(", ") if "=" in kv)
        if "layer" in fields:
            block = fields.get("block", "layer")
            out.append(fields["layer"] + ("" if block == "layer" else "." + block))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--max-windows", type=int, default=0)
    ap.add_argument("--counts", default="0,1,2,3,4,5,6")
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--tag", default=None)
    ap.add_argument("--table", metavar="RESULTS_JSON",
                    help="only print the table of an earlier results file")
    args = ap.parse_args()
    if args.table:
        results = json.load(open(args.table))
        print_table(results["rows"], full=results["max_windows"] == 0)
        return
    bin_ = os.path.join(args.build, "bin")
    counts = [int(c) for c in args.counts.split(",")]
    methods = args.methods.split(",")
    tag = args.tag or ("w%d" % args.max_windows if args.max_windows else "full")
    tmp = tempfile.mkdtemp(prefix="skip-llama12-")
    raised = os.path.join(tmp, "llama12.mlir")
    run([os.path.join(bin_, "sieve-translate"), "--import-onnx",
         os.path.join(SHARED, "llama12.onnx"), "-o", raised + ".in"])
    run([os.path.join(bin_, "sieve-opt"), "--sieve-simplify", "--sieve-raise",
         raised + ".in", "-o", raised])
    profile = os.path.join(tmp, "profile.json")
    run([os.path.join(bin_, "sieve-run"), raised, "--profile", VALID,
         "--max-windows", str(CALIB_WINDOWS), "-o", profile])
    evals = {}  # removed set -> eval report
    rows = []
    for method in methods:
        for k in counts:
            opts = METHODS[method].format(profile=profile, valid=VALID)
            pruned = os.path.join(tmp, "%s-%d.mlir" % (method, k))
            t0 = time.time()
            r = run([os.path.join(bin_, "sieve-opt"),
                     "--sieve-skip-layers=%s count=%d" % (opts, k), raised,
                     "-o", pruned])
            pass_s = time.time() - t0
            removed = removed_of(pruned)
            key = tuple(sorted(removed))
            if key not in evals:
                cmd = [os.path.join(bin_, "sieve-run"), pruned, "--eval", VALID,
                       "--baseline", raised, "--json"]
                if args.max_windows:
                    cmd += ["--max-windows", str(args.max_windows)]
                load = open("/proc/loadavg").read().split()[:3]
                evals[key] = json.loads(run(cmd).stdout)
                evals[key]["load_before"] = load
            remark = r.stderr.strip().splitlines()
            row = {"method": method, "count": k, "removed": removed,
                   "pass_seconds": round(pass_s, 2),
                   "remark": remark[0] if remark else "", **evals[key]}
            rows.append(row)
            print("%-17s %d %-28s %.4f agree %.4f kl %.4f" % (
                method, k, " ".join(removed), row["bits_per_byte"],
                row["greedy_agreement"], row["mean_kl_nats"]), flush=True)
    out = os.path.join(ROOT, "bench", "results",
                       "skip_layers_llama12_%s.json" % tag)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"command": " ".join(sys.argv), "max_windows": args.max_windows,
                   "calibration_windows": CALIB_WINDOWS, "reference": REFERENCE,
                   "rows": rows}, f, indent=1)
    print("\nwrote", out)
    print_table(rows, full=args.max_windows == 0)


def analytic_speedup(remark):
    """The pass's remark ends '... analytic decode speedup X at context=C'."""
    if "speedup " not in remark:
        return ""
    return remark.split("speedup ")[1].split()[0]


def print_table(rows, full):
    """The reference figures are for all of valid.txt: shown only then."""
    print("| method | removed | layers (blocks) removed, in order | analytic "
          "speedup (context 2048) | bits/byte | greedy agreement | mean KL "
          "(nats) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        ref = ""
        refm = REFERENCE.get(r["method"])
        if full and refm and 1 <= r["count"] <= len(refm["bpb"]):
            ref = " (PyTorch %.3f)" % refm["bpb"][r["count"] - 1]
        print("| %s | %d | %s | %s | %.4f%s | %.4f | %.4f |" % (
            r["method"], r["count"], ", ".join(r["removed"]) or "-",
            analytic_speedup(r["remark"]) or "1.000", r["bits_per_byte"], ref,
            r["greedy_agreement"], r["mean_kl_nats"]))


if __name__ == "__main__":
    main()
