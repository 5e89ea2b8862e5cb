#!/usr/bin/env python3
"""One PASS/FAIL line for a compiled llama12 variant's bits per byte on the
GPU against the CPU reference of the same IR (test/gpu/quant_e2e.sh,
test/gpu/quant_kv.sh): PASS within 5e-4, then the record as JSON.

  bpb_check.py CONFIG SIEVE_RUN_EVAL_JSON CPU_BITS_PER_BYTE SOURCE_KIND
"""
import json
import math
import sys

if len(sys.argv) != 5:
    sys.exit(__doc__)
c, r, cpu, src = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
gpu = r["bits_per_byte"]
ok = math.isfinite(cpu) and abs(gpu - cpu) <= 5e-4
print(("PASS" if ok else "FAIL") + " " + json.dumps(
    {"eval": f"llama12 {c}", "source": src, "gpu_bits_per_byte": gpu,
     "cpu_reference_bits_per_byte": cpu, "difference": gpu - cpu,
     "seconds": r.get("seconds"), "windows": r.get("windows")}))
