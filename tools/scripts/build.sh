#!/usr/bin/env bash
# Configures and builds sieve. Usage: build.sh [BUILD_DIR] [ninja targets...]
# Environment: SIEVE_SELF_CONTAINED=ON for the self-contained link mode.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${1:-$ROOT/build}"
shift || true
if [[ ! -f "$BUILD/build.ninja" ]]; then
  cmake -G Ninja -S "$ROOT" -B "$BUILD" \
    -DCMAKE_BUILD_TYPE=Release \
    -DSIEVE_SELF_CONTAINED="${SIEVE_SELF_CONTAINED:-OFF}" \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit >/dev/null
fi
ninja -C "$BUILD" "$@"
