//===- RaiseFusedNorms.cpp - RMS norm operators -> sieve.rms_norm ---------===//
//
// The one-op RMS norms: opset-23 RMSNormalization, onnxruntime's
// SimplifiedLayerNormalization (default domain or com.microsoft), and
// com.microsoft SkipSimplifiedLayerNormalization, which becomes sieve.add
// (input + skip, the residual stream that its 4th result returns) followed
// by sieve.rms_norm. Each must normalize the last axis of a float
// [batch, seq, hidden] activation with a constant [hidden] weight; the
// inverse deviation (and Skip's mean) must be unused, and Skip's bias absent.
//
//===----------------------------------------------------------------------===//

#include "Raise.h"

using namespace mlir;

namespace sieve::raise {
namespace {

/// Why `x`, `weight` and `axis` do not make a raisable RMS norm over the last
/// axis (empty if they do).
std::string checkRMSNorm(Value x, Value weight, int64_t axis, Type result) {
  auto type = dyn_cast<RankedTensorType>(x.getType());
  if (!type || type.getRank() != 3 || !isa<FloatType>(type.getElementType()) ||
      result != type)
    return "the input is not a float [batch, seq, hidden] activation of the "
           "result's type";
  if (axis != -1 && axis != 2)
    return "it does not normalize the last axis only";
  if (!isWeight(weight) || rankOf(weight) != 1 ||
      shapeOf(weight)[0] != type.getShape().back())
    return "the scale is not a constant [hidden] weight";
  return "";
}

Value createRMSNorm(PatternRewriter &rewriter, Location loc, Value x,
                    Value weight, float epsilon) {
  return RMSNormOp::create(
      rewriter, loc, x.getType(), x, makeWeight(rewriter, weight),
      rewriter.getF32FloatAttr(epsilon), rewriter.getF32FloatAttr(0.0f));
}

/// RMSNormalization / SimplifiedLayerNormalization (same operands and
/// attributes; the latter's inv_std_var result must be unused).
template <typename OpTy>
struct RaiseRMSNormalization : public OpRewritePattern<OpTy> {
  RaiseRMSNormalization(MLIRContext *ctx, Notes &notes)
      : OpRewritePattern<OpTy>(ctx), notes(notes) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    std::string why = checkRMSNorm(op.getX(), op.getScale(), op.getAxis(),
                                   op->getResult(0).getType());
    if (why.empty() && op->getNumResults() > 1 && !op->getResult(1).use_empty())
      why = "its inverse deviation is used";
    if (!why.empty()) {
      notes.note(op, op->getName().getStringRef() + ": " + why);
      return failure();
    }
    Value norm = createRMSNorm(rewriter, op.getLoc(), op.getX(), op.getScale(),
                               op.getEpsilon().convertToFloat());
    rewriter.replaceAllUsesWith(op->getResult(0), norm);
    rewriter.eraseOp(op);
    return success();
  }
  Notes &notes;
};

/// SkipSimplifiedLayerNormalization(input, skip, gamma): sum = input + skip
/// -> sieve.add; output = rms_norm(sum).
struct RaiseSkipRMSNorm
    : public OpRewritePattern<onnx::MSSkipSimplifiedLayerNormalizationOp> {
  RaiseSkipRMSNorm(MLIRContext *ctx, Notes &notes)
      : OpRewritePattern(ctx), notes(notes) {}

  LogicalResult matchAndRewrite(onnx::MSSkipSimplifiedLayerNormalizationOp op,
                                PatternRewriter &rewriter) const override {
    std::string why = checkRMSNorm(op.getInput(), op.getGamma(), -1,
                                   op.getOutput().getType());
    if (why.empty() && op.getSkip().getType() != op.getInput().getType())
      why = "skip is not an activation of the input's type";
    if (why.empty() && !isa<NoneType>(op.getBias().getType()))
      why = "a bias is not supported";
    if (why.empty() &&
        (!op.getMean().use_empty() || !op.getInvStdVar().use_empty()))
      why = "its mean or inverse deviation is used";
    if (!why.empty()) {
      notes.note(op, "SkipSimplifiedLayerNormalization: " + why);
      return failure();
    }
    Value sum = AddOp::create(rewriter, op.getLoc(), op.getInput().getType(),
                              op.getSkip(), op.getInput());
    Value norm = createRMSNorm(rewriter, op.getLoc(), sum, op.getGamma(),
                               op.getEpsilon().convertToFloat());
    rewriter.replaceAllUsesWith(op.getOutput(), norm);
    rewriter.replaceAllUsesWith(op.getInputSkipBiasSum(), sum);
    rewriter.eraseOp(op);
    return success();
  }
  Notes &notes;
};

} // namespace

void populateRaiseFusedNormPatterns(RewritePatternSet &patterns, Notes &notes) {
  patterns.add<RaiseRMSNormalization<onnx::RMSNormalizationOp>,
               RaiseRMSNormalization<onnx::MSSimplifiedLayerNormalizationOp>,
               RaiseSkipRMSNorm>(patterns.getContext(), notes);
}

} // namespace sieve::raise
