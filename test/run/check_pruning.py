#!/usr/bin/env python3
"""Checks for test/run/prune-tokens.test on `sieve-run --retrieval --json`
reports (standard library only):

  check_pruning.py kept REPORT K BLOCK PROMPT_LEN
      every case kept K distinct ascending indices in [0, PROMPT_LEN), in
      whole aligned blocks of BLOCK positions (K less the missing part of
      the last block when that shorter block is kept)
  check_pruning.py gather CASES REPORT OUT
      writes the cases with each prompt replaced by its kept bytes
  check_pruning.py same REPORT_A REPORT_B
      the two reports predict the same answer bytes in every case
  check_pruning.py unpruned REPORT
      no case lists kept indices
"""
import json, sys


def report(path):
    return json.load(open(path))["results"]


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "kept":
        k, block, n = map(int, args[1:])
        for i, r in enumerate(report(args[0])):
            kept = r.get("kept")
            assert kept is not None, f"case {i}: no kept indices"
            short = (-n) % block if (n - 1) in kept else 0
            assert len(kept) == k - short, f"case {i}: {len(kept)} kept, expected {k - short}"
            assert kept == sorted(set(kept)), f"case {i}: not ascending and distinct"
            assert 0 <= kept[0] and kept[-1] < n, f"case {i}: index outside [0, {n})"
            blocks = {j // block for j in kept}
            assert all(b * block + o in kept for b in blocks for o in range(block)
                       if b * block + o < n), f"case {i}: a partial block"
        print(f"kept OK: {k} indices per case in blocks of {block}")
    elif cmd == "gather":
        cases = [json.loads(l) for l in open(args[0]) if l.strip()]
        with open(args[2], "w") as out:
            for c, r in zip(cases, report(args[1])):
                b = c["prompt"].encode("latin-1")
                c["prompt"] = bytes(b[j] for j in r["kept"]).decode("latin-1")
                out.write(json.dumps(c) + "\n")
        print("gathered")
    elif cmd == "same":
        a, b = report(args[0]), report(args[1])
        assert len(a) == len(b), "different case counts"
        for i, (x, y) in enumerate(zip(a, b)):
            assert x["predicted"] == y["predicted"], \
                f"case {i}: {x['predicted']!r} vs {y['predicted']!r}"
        print(f"same predictions in {len(a)} cases")
    elif cmd == "unpruned":
        assert all("kept" not in r for r in report(args[0])), "a case was pruned"
        print("unpruned")
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
