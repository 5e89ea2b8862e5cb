//===- RaiseMatMulNBits.cpp - com.microsoft MatMulNBits -> sieve.linear ---===//
//
// A MatMulNBits whose quantized weight, scales and zero points are constants
// becomes sieve.linear with the weight dequantized (bit-exactly, by the CPU
// reference's dequantizer, sieve/Reference/NBits.h) to a float32 [K, N]
// sieve.weight, and its bias, if any. The sieve dialect has no quantized
// linear yet, so the weight is stored 4-8x larger than in the model; the
// computation is the same as the op's. g_idx is not raised.
//
//===----------------------------------------------------------------------===//

#include "Raise.h"

#include "sieve/Reference/NBits.h"

using namespace mlir;

namespace sieve::raise {
namespace {

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
    // W [N, K] -> the linear's [K, N].
    std::vector<float> w(l.n * l.k), wt(l.n * l.k);
    ref::dequantizeNBits(l, packed->data(), scalesF.data(), zeros, 0, l.n,
                         w.data());
    for (int64_t n = 0; n < l.n; ++n)
      for (int64_t k = 0; k < l.k; ++k)
        wt[k * l.n + n] = w[n * l.k + k];
    auto wType = RankedTensorType::get({l.k, l.n}, rewriter.getF32Type());
    Value weight = WeightOp::create(
        rewriter, op.getLoc(), wType,
        DenseElementsAttr::get(wType, ArrayRef<float>(wt)), StringAttr());
    rewriter.replaceOpWithNewOp<LinearOp>(op, type, op.getA(), weight,
                                          hasBias ? makeWeight(rewriter, bias)
                                                  : Value());
    return success();
  }
  Notes &notes;
};

} // namespace

void populateRaiseMatMulNBitsPatterns(RewritePatternSet &patterns,
                                      Notes &notes) {
  patterns.add<RaiseMatMulNBits>(patterns.getContext(), notes);
}

} // namespace sieve::raise
