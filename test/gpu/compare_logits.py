#!/usr/bin/env python3
"""Compares logits by design.md's relative error ||out - ref|| / ||ref||
and the max abs difference; exits 1 above the bound.

Usage: compare_logits.py LABEL OUT.npy REF.npy BOUND"""
import json
import sys

import numpy as np

label, out_path, ref_path, bound = sys.argv[1:5]
out = np.load(out_path).astype(np.float64)
ref = np.load(ref_path).astype(np.float64)
if out.shape != ref.shape:
    out = out.reshape(ref.shape)
rel = float(np.linalg.norm(out - ref) / np.linalg.norm(ref))
mx = float(np.abs(out - ref).max())
same_argmax = float((out.argmax(-1) == ref.argmax(-1)).mean())
ok = rel <= float(bound) and np.isfinite(out).all()
print(json.dumps({"compare": label, "relative_error": rel, "max_abs": mx,
                  "argmax_agreement": same_argmax, "bound": float(bound),
                  "ok": bool(ok)}), flush=True)
sys.exit(0 if ok else 1)
