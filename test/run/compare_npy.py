"""Compares two float .npy files: compare_npy.py OUT REF TOL.

Prints the shape, max abs difference and relative L2 error; exits 1 when
the shapes differ or the max abs difference exceeds TOL."""
import sys

import numpy as np

out, ref, tol = np.load(sys.argv[1]), np.load(sys.argv[2]), float(sys.argv[3])
if out.shape != ref.shape:
    print(f"shape mismatch: {out.shape} vs {ref.shape}")
    sys.exit(1)
diff = float(np.abs(out.astype(np.float64) - ref).max())
rel = float(np.linalg.norm(out.astype(np.float64) - ref) / np.linalg.norm(ref))
ok = diff <= tol
print(f"shape {list(out.shape)} max_abs_diff {diff:.3g} rel_l2 {rel:.3g} "
      f"tol {tol:g}: {'OK' if ok else 'FAIL'}")
sys.exit(0 if ok else 1)
