"""Checks sieve-run --json reports.

  check_json.py tokens REPORT REFERENCE_JSON   # tokens == greedy_fp32_ids
  check_json.py bpb REPORT LOW HIGH            # LOW <= bits_per_byte <= HIGH
  check_json.py same-bpb REPORT1 REPORT2 TOL   # |difference| <= TOL
  check_json.py same-tokens REPORT1 REPORT2    # equal "tokens"
  check_json.py speculative REPORT             # identical to greedy, with
                                               # drafts both kept and rejected
"""
import json
import sys


def load(path):
    with open(path) as f:
        return json.loads(f.read().strip().splitlines()[-1])


kind = sys.argv[1]
if kind == "tokens":
    got = load(sys.argv[2])["tokens"]
    want = json.load(open(sys.argv[3]))["greedy_fp32_ids"]
    same = sum(a == b for a, b in zip(got, want))
    print(f"{same}/{len(want)} greedy ids match"
          + ("" if got == want else f"; got {got}"))
    sys.exit(0 if got == want else 1)
if kind == "bpb":
    bpb = load(sys.argv[2])["bits_per_byte"]
    lo, hi = float(sys.argv[3]), float(sys.argv[4])
    print(f"bits_per_byte {bpb:.6f} in [{lo}, {hi}]: "
          + ("OK" if lo <= bpb <= hi else "FAIL"))
    sys.exit(0 if lo <= bpb <= hi else 1)
if kind == "same-bpb":
    a, b = load(sys.argv[2])["bits_per_byte"], load(sys.argv[3])["bits_per_byte"]
    ok = abs(a - b) <= float(sys.argv[4])
    print(f"bits_per_byte {a:.6f} vs {b:.6f}: " + ("OK" if ok else "FAIL"))
    sys.exit(0 if ok else 1)
if kind == "same-tokens":
    a, b = load(sys.argv[2])["tokens"], load(sys.argv[3])["tokens"]
    print(f"{len(a)} tokens, " + ("same" if a == b else f"differ: {a} vs {b}"))
    sys.exit(0 if a == b else 1)
if kind == "speculative":
    r = load(sys.argv[2])
    # Lossless only means something when some drafts were rejected (the
    # cache rolled back) and some kept.
    mixed = 0 < r["accepted"] < r["drafted"]
    ok = r["identical_to_greedy"] and mixed
    print(f"identical {r['identical_to_greedy']}, accepted {r['accepted']}/"
          f"{r['drafted']} (acceptance {r['acceptance_rate']:.3f}), "
          f"{r['tokens_per_verify']:.2f} tokens per verify step: "
          + ("OK" if ok else "FAIL"))
    sys.exit(0 if ok else 1)
sys.exit(f"unknown check {kind}")
