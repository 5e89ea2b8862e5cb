#!/usr/bin/env bash
# Installs what sieve needs to build and test on Debian 12 (apt-get, as root
# or through sudo). Packages already present are not touched.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ ccache git python3 file
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  libonnx-dev libprotobuf-dev protobuf-compiler libzstd-dev zlib1g-dev
  python3-onnx python3-numpy
  libonnx-testdata  # the ONNX backend node tests (test/conformance)
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "sieve: all build dependencies are installed"
  exit 0
fi

SUDO=""
if [[ $(id -u) != 0 ]]; then SUDO=sudo; fi
echo "sieve: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
  --no-install-recommends "${missing[@]}" >/dev/null
echo "sieve: dependencies installed"
