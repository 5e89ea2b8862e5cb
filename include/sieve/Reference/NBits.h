//===- NBits.h - MatMulNBits weights and dequantizer ------------*- C++ -*-===//
//
// The weight layout of onnxruntime's com.microsoft MatMulNBits, and a
// bit-exact dequantizer for it. The CPU reference's MatMulNBits handler uses
// it, and so can anything that receives pre-quantized weights in this layout.
//
// Layout of a weight W[N, K] (Y = A * W^T) with `bits` in {2, 4, 8}:
//   - K is cut into blocks of `blockSize` (a power of two >= 16); the last
//     block of a row is zero-padded: blocksPerRow = ceil(K / blockSize).
//   - B: uint8 [N, blocksPerRow, blockSize * bits / 8]. Element k of a block
//     is in byte k / (8 / bits), lowest bits first: for 4 bits the low
//     nibble holds the even element and the high nibble the odd one.
//   - scales: float [N * blocksPerRow], one per block.
//   - zero points, optional:
//       packed uint8 [N * ceil(blocksPerRow * bits / 8)]: per row, `bits`
//         bits per block, packed like B (lowest bits first);
//       or float [N * blocksPerRow] (the scales' type);
//       absent: 2^(bits-1) (2, 8 or 128).
//   - W[n, k] = (q - zp) * scale, computed as float(q - zp) * scale for an
//     integer zero point (one rounding, the same as onnxruntime's) and
//     (float(q) - zp) * scale for a float one.
//
//===----------------------------------------------------------------------===//
#ifndef SIEVE_REFERENCE_NBITS_H
#define SIEVE_REFERENCE_NBITS_H

#include <cstdint>
#include <string>

namespace sieve::ref {

struct NBitsLayout {
  int64_t n = 0, k = 0, bits = 0, blockSize = 0;

  int64_t blocksPerRow() const { return (k + blockSize - 1) / blockSize; }
  /// Bytes of B per block and per row.
  int64_t blockBytes() const { return blockSize * bits / 8; }
  int64_t rowBytes() const { return blocksPerRow() * blockBytes(); }
  /// Bytes of packed uint8 zero points per row.
  int64_t zeroPointRowBytes() const { return (blocksPerRow() * bits + 7) / 8; }
  int64_t defaultZeroPoint() const { return int64_t(1) << (bits - 1); }

  /// Empty if the attributes are usable, else why not.
  std::string check() const;
};

/// Zero points of a MatMulNBits weight: none (the default), packed uint8,
/// or float (one per block).
struct NBitsZeroPoints {
  const uint8_t *packed = nullptr;
  const float *values = nullptr;
};

/// Writes rows [rowBegin, rowEnd) of W (row-major, K floats per row) to
/// `out`. `packed` is B's bytes, `scales` one float per block; the sizes must
/// have been checked against `layout` (see check()).
void dequantizeNBits(const NBitsLayout &layout, const uint8_t *packed,
                     const float *scales, NBitsZeroPoints zeroPoints,
                     int64_t rowBegin, int64_t rowEnd, float *out);

} // namespace sieve::ref

#endif // SIEVE_REFERENCE_NBITS_H
