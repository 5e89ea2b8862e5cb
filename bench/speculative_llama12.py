#!/usr/bin/env python3
"""Self-speculative decoding on llama12 (float32) on the CPU reference:
acceptance rate and tokens per verify step of greedy self-speculative
decoding for drafts that skip the layers --sieve-skip-layers removes first
(static block influence, count 2, 3, 4, layers 0 and 11 kept) and for a
draft skipping four MLP blocks, at draft k = 2 and 4.

    bench/speculative_llama12.py [--build BUILD] [--tokens 96] [--prompts 8]
        [--ks 2,4] [--counts 2,3,4] [--tag NAME]

Steps: raise the shared llama12.onnx (sieve-translate, sieve-opt
--sieve-simplify --sieve-raise); profile it on the first 64 windows of
valid.txt (sieve-run --profile); then for every draft and k, for every
prompt: sieve-run RAISED --prompt P --max-new-tokens N --json
--speculative='draft=K count=C profile=PROFILE' (or 'draft=K skip=LIST'),
which runs plain greedy and the speculative loop on one session and fails
unless both give the same tokens. Prompts: the reference prompt "The list
type in Python" and the first 48 bytes of lines of valid.txt spread over
the file (lines of at least 48 bytes, every len/P-th one).

Acceptance rate = accepted drafts / drafted tokens, summed over prompts;
tokens per verify step = committed tokens (after the prefill's first) /
verify steps, summed over prompts. CPU tokens/s are printed but say little:
the CPU reference runs a k+1-token verify at nearly k+1 times the cost of a
decode step (no memory-bound regime on a 16 MB model), see the GPU script
test/gpu/speculative.sh for speed.

Writes bench/results/speculative_llama12_<tag>.json and prints a markdown
table.
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
REFERENCE_PROMPT = "The list type in Python"


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("command failed (%d): %s\n%s" % (r.returncode, " ".join(cmd),
                                                  r.stderr))
    return r


def prompts_from_valid(count):
    lines = [l[:48] for l in open(VALID, encoding="utf-8", errors="replace")
             .read().split("\n") if len(l.encode()) >= 48 and l.isascii()]
    step = max(1, len(lines) // count)
    return [lines[i * step] for i in range(count)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--tokens", type=int, default=96)
    ap.add_argument("--prompts", type=int, default=8,
                    help="prompts in all (the reference prompt + N-1 from valid.txt)")
    ap.add_argument("--ks", default="2,4")
    ap.add_argument("--counts", default="2,3,4")
    ap.add_argument("--mlp", default="2.mlp,3.mlp,4.mlp,5.mlp",
                    help="an extra draft skipping these blocks ('' for none)")
    ap.add_argument("--tag", default="cpu")
    a = ap.parse_args()
    bin_ = os.path.join(a.build, "bin")
    tmp = tempfile.mkdtemp(prefix="spec-l12-")
    raised = os.path.join(tmp, "llama12.mlir")
    run([os.path.join(bin_, "sieve-translate"), "--import-onnx",
         os.path.join(SHARED, "llama12.onnx"), "-o", os.path.join(tmp, "in.mlir")])
    run([os.path.join(bin_, "sieve-opt"), "--sieve-simplify", "--sieve-raise",
         os.path.join(tmp, "in.mlir"), "-o", raised])
    profile = os.path.join(tmp, "profile.json")
    run([os.path.join(bin_, "sieve-run"), raised, "--profile", VALID,
         "--max-windows", "64", "-o", profile])

    prompts = [REFERENCE_PROMPT] + prompts_from_valid(a.prompts - 1)
    drafts = [("static-cosine count=%s" % c, "count=%s profile=%s" % (c, profile))
              for c in a.counts.split(",")]
    if a.mlp:
        drafts.append(("list " + a.mlp, "skip=" + a.mlp))
    rows = []
    for label, spec in drafts:
        for k in [int(x) for x in a.ks.split(",")]:
            tot = {"verify_steps": 0, "drafted": 0, "accepted": 0,
                   "committed": 0, "greedy_seconds": 0.0, "spec_seconds": 0.0}
            skipped = None
            for p in prompts:
                cmd = [os.path.join(bin_, "sieve-run"), raised, "--prompt", p,
                       "--max-new-tokens", str(a.tokens), "--json",
                       "--speculative=draft=%d %s" % (k, spec)]
                r = json.loads(run(cmd).stdout.strip().splitlines()[-1])
                assert r["identical_to_greedy"], (label, k, p)
                skipped = r["skipped"]
                tot["verify_steps"] += r["verify_steps"]
                tot["drafted"] += r["drafted"]
                tot["accepted"] += r["accepted"]
                tot["committed"] += len(r["tokens"]) - 1
                if r["greedy_tokens_per_second"] > 0:
                    tot["greedy_seconds"] += (len(r["tokens"]) - 1) / r["greedy_tokens_per_second"]
                if r["speculative_tokens_per_second"] > 0:
                    tot["spec_seconds"] += (len(r["tokens"]) - 1) / r["speculative_tokens_per_second"]
            row = {"draft": label, "skipped": skipped, "k": k,
                   "prompts": len(prompts), "tokens": a.tokens,
                   "identical_to_greedy": True,
                   "acceptance_rate": tot["accepted"] / tot["drafted"],
                   "tokens_per_verify": tot["committed"] / tot["verify_steps"],
                   "cpu_greedy_tokens_per_second": tot["committed"] / tot["greedy_seconds"],
                   "cpu_speculative_tokens_per_second": tot["committed"] / tot["spec_seconds"],
                   **tot}
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    out = {"command": " ".join(sys.argv), "prompts": prompts,
           "load_average": os.getloadavg(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
           "rows": rows}
    path = os.path.join(ROOT, "bench", "results", "speculative_llama12_%s.json" % a.tag)
    json.dump(out, open(path, "w"), indent=1)
    print("| draft | layers (blocks) skipped | k | acceptance rate | tokens per verify step | verify steps | identical to greedy |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| %s | %s | %d | %.3f | %.2f | %d | %s |" % (
            r["draft"], r["skipped"], r["k"], r["acceptance_rate"],
            r["tokens_per_verify"], r["verify_steps"],
            "yes, %d prompts x %d tokens" % (r["prompts"], r["tokens"])))
    print("\nwritten", path)


if __name__ == "__main__":
    main()
