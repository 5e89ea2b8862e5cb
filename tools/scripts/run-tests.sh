#!/usr/bin/env bash
# Installs dependencies, builds sieve and runs every test (lit + FileCheck).
# Ends with a summary line: "lit: N passed, N failed, N skipped".
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${SIEVE_BUILD_DIR:-$ROOT/build}"
SCRIPTS="$ROOT/tools/scripts"

bash "$SCRIPTS/install-deps.sh"
start=$(date +%s)
bash "$SCRIPTS/build.sh" "$BUILD" sieve-opt sieve-translate sieve-run sieve-compile sieve-onnx-test
echo "sieve: build took $(( $(date +%s) - start )) s"

results="$BUILD/lit-results.json"
rm -f "$results"
status=0
/usr/lib/llvm-22/bin/lit -sv --output "$results" "$BUILD/test" || status=$?
python3 "$SCRIPTS/lit-summary.py" "$results" || status=1
exit $status
