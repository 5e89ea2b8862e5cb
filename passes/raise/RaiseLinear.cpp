//===- RaiseLinear.cpp - MatMul by a weight (+ bias) -> sieve.linear ------===//

#include "Raise.h"

using namespace mlir;

namespace sieve::raise {
namespace {

/// MatMul(x [..., K], W [K, N]) with a constant W.
struct RaiseMatMul : public OpRewritePattern<onnx::MatMulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx::MatMulOp op,
                                PatternRewriter &rewriter) const override {
    Value x = op.getA(), w = op.getB();
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type || !isWeight(w) || rankOf(w) != 2 || rankOf(x) < 2 ||
        isWeight(x) || !isa<FloatType>(type.getElementType()))
      return failure();
    Value weight = makeWeight(rewriter, w);
    rewriter.replaceOpWithNewOp<LinearOp>(op, type, x, weight, Value());
    return success();
  }
};

/// Add(linear, bias [N]) -> linear with bias, when the linear has no other
/// user.
struct FoldLinearBias : public OpRewritePattern<onnx::AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx::AddOp op,
                                PatternRewriter &rewriter) const override {
    for (int i = 0; i < 2; ++i) {
      auto lin = op->getOperand(i).getDefiningOp<LinearOp>();
      Value b = op->getOperand(1 - i);
      if (!lin || lin.getBias() || !lin->hasOneUse() || !isWeight(b) ||
          rankOf(b) != 1 || lin.getType() != op.getType() ||
          shapeOf(b)[0] != shapeOf(lin.getWeight())[1])
        continue;
      Value bias = makeWeight(rewriter, b);
      rewriter.replaceOpWithNewOp<LinearOp>(op, lin.getType(), lin.getInput(),
                                            lin.getWeight(), bias);
      rewriter.eraseOp(lin);
      return success();
    }
    return failure();
  }
};

} // namespace

void populateRaiseLinearPatterns(RewritePatternSet &patterns, Notes &) {
  patterns.add<RaiseMatMul, FoldLinearBias>(patterns.getContext());
}

} // namespace sieve::raise
