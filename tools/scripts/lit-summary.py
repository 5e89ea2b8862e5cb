#!/usr/bin/env python3
"""Prints one summary line for a lit --output JSON file."""
import json
import sys

with open(sys.argv[1]) as f:
    tests = json.load(f)["tests"]
codes = [t["code"] for t in tests]
passed = sum(c in ("PASS", "XFAIL") for c in codes)
failed = sum(c in ("FAIL", "XPASS", "UNRESOLVED", "TIMEOUT") for c in codes)
skipped = sum(c in ("UNSUPPORTED", "SKIPPED", "EXCLUDED") for c in codes)
print(f"lit: {passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or not tests else 0)
