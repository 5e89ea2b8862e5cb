"""Checks a sieve-run --profile JSON against the schema in docs/profile.md.

usage: check_profile.py PROFILE [--sink-only] [--bi-order N]
Prints one line per check; "profile OK" at the end if the schema holds.
--sink-only: every query lies within the first 4 tokens (window <= 4), so
  every head's sink mass must be 1.
--bi-order N: also print the N layers of lowest block influence (1 - cosine)
  among layers 1 .. L-2, lowest first.
"""
import json
import math
import sys

path = sys.argv[1]
p = json.load(open(path))
errors = []


def need(cond, what):
    if not cond:
        errors.append(what)


need(p.get("schema") == "sieve-profile", "schema")
need(p.get("version") == 1, "version")
need(isinstance(p.get("model"), str), "model")
cal = p.get("calibration", {})
for key in ("text", "bytes", "window", "windows"):
    need(key in cal, "calibration." + key)


def check_ranges(a, where, width=None):
    need(set(a) >= {"abs_mean", "abs_max"}, where + " keys")
    mean, mx = a["abs_mean"], a["abs_max"]
    need(len(mean) == len(mx) and len(mean) > 0, where + " lengths")
    if width is not None:
        need(len(mean) == width, where + " width %d != %d" % (len(mean), width))
    need(all(0 <= m <= x + 1e-6 for m, x in zip(mean, mx)),
         where + " abs_mean <= abs_max")


for layer in p["layers"]:
    i = layer["index"]
    for key in ("cosine", "cosine_attention", "cosine_mlp"):
        need(-1 - 1e-6 <= layer[key] <= 1 + 1e-6, "layer %d %s range" % (i, key))
    need(len(layer["heads"]) > 0, "layer %d heads" % i)
    for h, head in enumerate(layer["heads"]):
        total = head["sink"] + head["local"] + head["rest"]
        need(abs(total - 1) < 1e-4, "layer %d head %d mass sums to %g" % (i, h, total))
        if "--sink-only" in sys.argv:
            need(abs(head["sink"] - 1) < 1e-5, "layer %d head %d sink %g" % (i, h, head["sink"]))
    for key in ("attention", "attention_output", "mlp", "mlp_down"):
        check_ranges(layer["inputs"][key], "layer %d inputs.%s" % (i, key))
    w = layer["weights"]
    need(0 <= w["zd"] <= 1 and w["bytes"] > 0, "layer %d weights" % i)
    for lin in w["linears"]:
        need(0 <= lin["zd"] <= 1 and lin["std"] >= 0, "layer %d linear %s" % (i, lin["name"]))
check_ranges(p["lm_head"]["inputs"], "lm_head.inputs")

print("layers", len(p["layers"]))
if "--bi-order" in sys.argv:
    n = int(sys.argv[sys.argv.index("--bi-order") + 1])
    inner = p["layers"][1:-1]
    order = sorted(inner, key=lambda l: 1 - l["cosine"])[:n]
    print("lowest block influence:", " ".join(str(l["index"]) for l in order))
for e in errors:
    print("FAIL:", e)
print("profile OK" if not errors else "profile BAD")
sys.exit(1 if errors else 0)
