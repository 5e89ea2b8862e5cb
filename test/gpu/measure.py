#!/usr/bin/env python3
"""Runs a command and prints its wall time and peak resident memory as JSON
on stderr (the child's ru_maxrss), passing its output through.

Usage: measure.py LABEL CMD [ARGS...]"""
import json
import resource
import subprocess
import sys
import time

label, cmd = sys.argv[1], sys.argv[2:]
start = time.time()
rc = subprocess.call(cmd)
wall = time.time() - start
rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"measure": label, "seconds": round(wall, 2),
                  "peak_rss_mb": round(rss_kb / 1024, 1), "rc": rc}),
      file=sys.stderr, flush=True)
sys.exit(rc)
