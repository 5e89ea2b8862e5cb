//===- NBits.cpp - MatMulNBits dequantization -----------------------------===//

#include "sieve/Reference/NBits.h"

#include <algorithm>

using namespace sieve::ref;

std::string NBitsLayout::check() const {
  if (bits != 2 && bits != 4 && bits != 8)
    return "bits must be 2, 4 or 8, not " + std::to_string(bits);
  if (blockSize < 16 || (blockSize & (blockSize - 1)))
    return "block_size must be a power of two >= 16, not " +
           std::to_string(blockSize);
  if (n <= 0 || k <= 0)
    return "N and K must be positive (N=" + std::to_string(n) +
           ", K=" + std::to_string(k) + ")";
  return "";
}

/// Element `i` of a run of `bits`-bit values packed lowest bits first.
static int unpack(const uint8_t *bytes, int64_t i, int64_t bits) {
  int64_t perByte = 8 / bits;
  return (bytes[i / perByte] >> ((i % perByte) * bits)) & ((1 << bits) - 1);
}

/// The zero point of block `blk` of row `row`.
static float zeroPointOf(const NBitsLayout &l, NBitsZeroPoints zp, int64_t row,
                         int64_t blk) {
  if (zp.values)
    return zp.values[row * l.blocksPerRow() + blk];
  if (!zp.packed)
    return float(l.defaultZeroPoint());
  return float(unpack(zp.packed + row * l.zeroPointRowBytes(), blk, l.bits));
}

void sieve::ref::dequantizeNBits(const NBitsLayout &l, const uint8_t *packed,
                                 const float *scales, NBitsZeroPoints zp,
                                 int64_t rowBegin, int64_t rowEnd, float *out) {
  int64_t blocks = l.blocksPerRow();
  for (int64_t row = rowBegin; row < rowEnd; ++row) {
    float *w = out + (row - rowBegin) * l.k;
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const uint8_t *src = packed + row * l.rowBytes() + blk * l.blockBytes();
      float scale = scales[row * blocks + blk];
      float z = zeroPointOf(l, zp, row, blk);
      int64_t k0 = blk * l.blockSize;
      int64_t count = std::min(l.blockSize, l.k - k0);
      for (int64_t i = 0; i < count; ++i) {
        int q = unpack(src, i, l.bits);
        // q and z are small integers (or z a float zero point): the
        // subtraction is exact for integer zero points, so the one rounding
        // is the multiply.
        w[k0 + i] = (float(q) - z) * scale;
      }
    }
  }
}
