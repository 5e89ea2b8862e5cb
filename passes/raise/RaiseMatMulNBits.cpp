//===- RaiseMatMulNBits.cpp - com.microsoft MatMulNBits -> sieve.linear ---===//
//
// A MatMulNBits whose quantized weight, scales and zero points are constants
// becomes sieve.linear (plus its bias, if any). The weight stays packed when
// the int4 format can hold it (docs/quantization.md, "Models that arrive
// quantized"): bits = 4 with block_size dividing K and uint8 zero points (or
// none) give a sieve.quantized_weight #sieve.quant<int4, group =
// block_size, asym> with
// - data: B's bytes ([N, K/G, G/2] uint8, low nibble first, is byte for
//   byte the [N, K] ui4 codes), referenced in place when B is external;
// - scales: the model's f32 scales [N, K/G], unchanged (so the CPU
//   reference computes exactly what the op computes; the GPU layout rounds
//   them to f16, which the lowering reports);
// - zeros: the zero points, in place when K/G is even; with K/G odd the
//   model pads each row to whole bytes and ours pack the flat array, so
//   they are repacked; absent ones are 8.
// Otherwise (bits 2 or 8, K not a multiple of block_size, float zero
// points) the weight is dequantized bit-exactly by the CPU reference's
// dequantizer (sieve/Reference/NBits.h) into a float32 sieve.weight, and a
// remark names the op and the reason. g_idx is not raised.
//
//===----------------------------------------------------------------------===//

#include "Raise.h"

#include "sieve/Reference/NBits.h"

using namespace mlir;

namespace sieve::raise {
namespace {

/// The int4 format's zero points, [N, K/G] nibbles packed over the flat
/// array (low nibble first), from MatMulNBits' rows of ceil(K/G / 2)
/// bytes, or 8 for every block when the model has none.
std::vector<uint8_t> flatZeroPoints(const ref::NBitsLayout &l,
                                    const std::vector<uint8_t> *rows) {
  int64_t blocks = l.blocksPerRow(), count = l.n * blocks;
  std::vector<uint8_t> flat((count + 1) / 2, 0);
  for (int64_t n = 0; n < l.n; ++n)
    for (int64_t b = 0; b < blocks; ++b) {
      uint8_t z = 8;
      if (rows) {
        uint8_t byte = (*rows)[n * l.zeroPointRowBytes() + b / 2];
        z = b % 2 ? byte >> 4 : byte & 15;
      }
      int64_t i = n * blocks + b;
      flat[i / 2] |= i % 2 ? uint8_t(z << 4) : z;
    }
  return flat;
}

/// Why the int4 format cannot hold this MatMulNBits weight, or "" when it
/// can. Its scales are known to be f32 (the activations' type).
std::string int4Refusal(const ref::NBitsLayout &l, bool floatZeroPoints) {
  if (l.bits != 4)
    return "bits = " + std::to_string(l.bits) +
           " has no sieve.quant format (int4 is the packed one)";
  if (l.k % l.blockSize)
    return "block_size " + std::to_string(l.blockSize) +
           " does not divide K = " + std::to_string(l.k) +
           " (int4 groups must)";
  if (floatZeroPoints)
    return "float zero points (the int4 format's are uint4 codes)";
  return "";
}

struct RaiseMatMulNBits : public OpRewritePattern<onnx::MSMatMulNBitsOp> {
  RaiseMatMulNBits(MLIRContext *ctx, Notes &notes)
      : OpRewritePattern(ctx), notes(notes) {}

  LogicalResult matchAndRewrite(onnx::MSMatMulNBitsOp op,
                                PatternRewriter &rewriter) const override {
    auto fail = [&](const Twine &reason) {
      notes.note(op, "MatMulNBits: " + reason);
      return failure();
    };
    auto type = dyn_cast<RankedTensorType>(op.getY().getType());
    auto aType = dyn_cast<RankedTensorType>(op.getA().getType());
    if (!type || !aType || aType.getRank() != 3 || type.getRank() != 3 ||
        !aType.getElementType().isF32())
      return fail("A is not a float32 [batch, seq, K] activation");
    if (!isa<NoneType>(op.getGIdx().getType()))
      return fail("g_idx is not raised");
    ref::NBitsLayout l;
    l.n = op.getN(), l.k = op.getK(), l.bits = op.getBits(),
    l.blockSize = op.getBlockSize();
    std::string bad = l.check();
    if (!bad.empty())
      return fail(bad);
    auto packed = getConstantBytes(op.getB());
    auto scales = getConstantFloats(op.getScales());
    if (!packed || !scales || int64_t(packed->size()) != l.n * l.rowBytes() ||
        int64_t(scales->size()) != l.n * l.blocksPerRow())
      return fail("B and scales are not constants of the layout's sizes");
    std::vector<float> scalesF(scales->begin(), scales->end());
    ref::NBitsZeroPoints zeros;
    std::optional<std::vector<uint8_t>> zpBytes;
    std::vector<float> zpFloats;
    if (!isa<NoneType>(op.getZeroPoints().getType())) {
      if ((zpBytes = getConstantBytes(op.getZeroPoints()))) {
        if (int64_t(zpBytes->size()) != l.n * l.zeroPointRowBytes())
          return fail("packed zero points have the wrong size");
        zeros.packed = zpBytes->data();
      } else if (auto zf = getConstantFloats(op.getZeroPoints())) {
        if (int64_t(zf->size()) != l.n * l.blocksPerRow())
          return fail("float zero points have the wrong size");
        zpFloats.assign(zf->begin(), zf->end());
        zeros.values = zpFloats.data();
      } else {
        return fail("the zero points are not a constant");
      }
    }
    Value bias = op.getBias();
    bool hasBias = !isa<NoneType>(bias.getType());
    if (hasBias &&
        (!isWeight(bias) || rankOf(bias) != 1 || shapeOf(bias)[0] != l.n))
      return fail("the bias is not a constant [N] weight");

    std::string refusal = int4Refusal(l, zeros.values != nullptr);
    Value weight =
        refusal.empty()
            ? quantizedWeight(rewriter, op, l, *packed, scalesF,
                              zpBytes ? &*zpBytes : nullptr)
            : dequantizedWeight(rewriter, op, l, *packed, scalesF, zeros,
                                refusal);
    rewriter.replaceOpWithNewOp<LinearOp>(op, type, op.getA(), weight,
                                          hasBias ? makeWeight(rewriter, bias)
                                                  : Value());
    return success();
  }

  /// The packed weight as #sieve.quant<int4, group = block_size, asym>.
  static Value quantizedWeight(PatternRewriter &rewriter,
                               onnx::MSMatMulNBitsOp op,
                               const ref::NBitsLayout &l,
                               const std::vector<uint8_t> &packed,
                               const std::vector<float> &scales,
                               const std::vector<uint8_t> *zeroPointRows) {
    MLIRContext *ctx = rewriter.getContext();
    int64_t blocks = l.blocksPerRow();
    StringAttr name = constantName(op.getB());
    std::string blob = name ? name.str() : "matmulnbits";
    auto ui4 = IntegerType::get(ctx, 4, IntegerType::Unsigned);
    auto groupType = [&](Type et) {
      return RankedTensorType::get({l.n, blocks}, et);
    };
    Attribute codes =
        storedArray(op.getB(), /*sameBytes=*/true,
                    RankedTensorType::get({l.n, l.k}, ui4), packed,
                    blob + ".codes");
    ArrayRef<uint8_t> scaleBytes(
        reinterpret_cast<const uint8_t *>(scales.data()), scales.size() * 4);
    Attribute scaleAttr =
        storedArray(op.getScales(), /*sameBytes=*/true,
                    groupType(rewriter.getF32Type()), scaleBytes,
                    blob + ".scales");
    // Per-row padding only differs from flat packing when K/G is odd.
    bool sameZeroBytes = zeroPointRows && blocks % 2 == 0;
    Attribute zeroAttr = storedArray(
        op.getZeroPoints(), sameZeroBytes, groupType(ui4),
        flatZeroPoints(l, zeroPointRows), blob + ".zeros");
    auto wType = RankedTensorType::get({l.k, l.n}, rewriter.getF32Type());
    return QuantizedWeightOp::create(
        rewriter, op.getLoc(), wType,
        QuantAttr::get(ctx, QuantKind::int4, l.blockSize, /*asym=*/true),
        codes, scaleAttr, zeroAttr, /*input_scales=*/nullptr, name);
  }

  /// W [N, K] dequantized to the linear's float32 [K, N] sieve.weight.
  static Value dequantizedWeight(PatternRewriter &rewriter,
                                 onnx::MSMatMulNBitsOp op,
                                 const ref::NBitsLayout &l,
                                 const std::vector<uint8_t> &packed,
                                 const std::vector<float> &scales,
                                 ref::NBitsZeroPoints zeros,
                                 StringRef why) {
    op->emitRemark() << "sieve-raise: MatMulNBits kept as a float32 weight "
                        "(dequantized): "
                     << why;
    std::vector<float> w(l.n * l.k), wt(l.n * l.k);
    ref::dequantizeNBits(l, packed.data(), scales.data(), zeros, 0, l.n,
                         w.data());
    for (int64_t n = 0; n < l.n; ++n)
      for (int64_t k = 0; k < l.k; ++k)
        wt[k * l.n + n] = w[n * l.k + k];
    auto wType = RankedTensorType::get({l.k, l.n}, rewriter.getF32Type());
    return WeightOp::create(
        rewriter, op.getLoc(), wType,
        DenseElementsAttr::get(wType, ArrayRef<float>(wt)), StringAttr());
  }

  Notes &notes;
};

} // namespace

void populateRaiseMatMulNBitsPatterns(RewritePatternSet &patterns,
                                      Notes &notes) {
  patterns.add<RaiseMatMulNBits>(patterns.getContext(), notes);
}

} // namespace sieve::raise
