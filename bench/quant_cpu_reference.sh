#!/usr/bin/env bash
# CPU reference bits per byte of the IR that test/gpu/quant_e2e.sh compiles
# for the GPU from the bundled llama12 copy (models/llama12/llama12_fp16w.onnx):
# raised, then `--sieve-quantize` with the same options as the GPU run
# (fp16: none; int8: weights=int8; int4: weights=int4 group=128; fp8:
# weights=fp8; kv-int8: kv=int8; kv-fp8: kv=fp8; kv-int4: kv=int4), evaluated by the CPU
# reference on all of valid.txt. The GPU scripts (test/gpu/quant_e2e.sh,
# test/gpu/quant_kv.sh) compare their bits per byte with these when they
# have no sieve-opt to compute them themselves.
#
#   bench/quant_cpu_reference.sh [BUILD_DIR]
#   CONFIGS="fp8" bench/quant_cpu_reference.sh [BUILD_DIR]   # some, appended
#   CONFIGS="kv-int8 kv-fp8 kv-int4" bench/quant_cpu_reference.sh   # the KV caches
#
# Results: bench/results/quant_cpu_reference.jsonl (one line per config).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
B="$BUILD/bin"
M="$ROOT/models/llama12"
OUT="$ROOT/bench/results/quant_cpu_reference.jsonl"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
CONFIGS_RUN="${CONFIGS:-fp16 int8 int4 fp8}"
[[ -z "${CONFIGS:-}" ]] && : > "$OUT"
"$B/sieve-translate" --import-onnx "$M/llama12_fp16w.onnx" -o "$TMP/in.mlir"
"$B/sieve-opt" --sieve-simplify --sieve-raise "$TMP/in.mlir" -o "$TMP/fp16.mlir"
for c in $CONFIGS_RUN; do
  case $c in
    fp16) opts="" ;;
    int8) opts="weights=int8" ;;
    int4) opts="weights=int4 group=128" ;;
    fp8) opts="weights=fp8" ;;
    kv-int8) opts="kv=int8" ;;
    kv-fp8) opts="kv=fp8" ;;
    kv-int4) opts="kv=int4" ;;
    *) echo "unknown config $c (fp16, int8, int4, fp8, kv-int8, kv-fp8, kv-int4)"; exit 2 ;;
  esac
  m="$TMP/fp16.mlir"
  if [[ -n "$opts" ]]; then
    "$B/sieve-opt" --sieve-quantize="$opts weights-file=$TMP/$c.bin" "$TMP/fp16.mlir" -o "$TMP/$c.mlir"
    m="$TMP/$c.mlir"
  fi
  r=$("$B/sieve-run" "$m" --device=cpu --eval "$M/valid.txt" --json 2>/dev/null | tail -1)
  python3 -c "import json, sys
r = json.loads(sys.argv[1])
r.update(config=sys.argv[2], source='llama12_fp16w.onnx', options=sys.argv[3])
print(json.dumps(r))" "$r" "$c" "$opts" | tee -a "$OUT"
done
