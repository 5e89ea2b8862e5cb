//===- RaiseLinear.cpp - MatMul by a weight (+ bias) -> sieve.linear ------===//
//
// MatMul(x, W) (+ b) and GPT-2's Conv1D as Gemm between Reshapes
// (Reshape(Gemm(Reshape(x, [-1, K]), W, b), [.., N])) become sieve.linear;
// the pieces of a fused projection (Split, or Slices tiling the last axis of
// a linear's result) become one sieve.split.
//
//===----------------------------------------------------------------------===//

#include "Raise.h"

#include <map>

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

/// Reshape(Gemm(Reshape(x, [-1, K]), W [K, N], b [N]), [..., N]) where the
/// outer shape is x's with its last dimension(s) replaced by N: a linear of
/// x (first reshaped to [..., K] when x has its K split over two axes, as
/// attention's [B, S, H, D] output).
struct RaiseGemm : public OpRewritePattern<onnx::ReshapeOp> {
  RaiseGemm(MLIRContext *ctx, Notes &notes)
      : OpRewritePattern(ctx), notes(notes) {}

  LogicalResult matchAndRewrite(onnx::ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto gemm = op.getData().getDefiningOp<onnx::GemmOp>();
    if (!gemm)
      return failure();
    auto inner = gemm.getA().getDefiningOp<onnx::ReshapeOp>();
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!inner || !type || type.getRank() != 3 || !isWeight(gemm.getB()) ||
        !isa<FloatType>(type.getElementType()))
      return failure();
    if (gemm.getTransA() != 0 || gemm.getTransB() != 0 ||
        gemm.getAlpha().convertToDouble() != 1.0 ||
        gemm.getBeta().convertToDouble() != 1.0) {
      notes.note(op, "linear: Gemm with transposes or alpha/beta != 1");
      return failure();
    }
    Value x = inner.getData(), c = gemm.getC();
    bool hasBias = !isa<NoneType>(c.getType());
    ArrayRef<int64_t> w = shapeOf(gemm.getB()), xs = shapeOf(x);
    if (rankOf(gemm.getB()) != 2 || type.getShape().back() != w[1] ||
        (hasBias && (!isWeight(c) || rankOf(c) != 1 || shapeOf(c)[0] != w[1])))
      return failure();
    // x [B, S, K] or [B, S, H, D] with H * D = K; the result [B, S, N].
    if (rankOf(x) < 3 || xs.take_front(2) != type.getShape().take_front(2))
      return failure();
    int64_t k = 1;
    for (int64_t d : xs.drop_front(2))
      k *= d;
    if (xs.size() > 4 || k != w[0] || ShapedType::isDynamic(k))
      return failure();
    if (rankOf(x) == 4) {
      // Reshape(x, [0, 0, K]): the dimensions B and S copied.
      auto shapeType = RankedTensorType::get({3}, rewriter.getI64Type());
      auto shape = onnx::ConstantOp::create(
          rewriter, op.getLoc(), shapeType,
          DenseIntElementsAttr::get(shapeType, ArrayRef<int64_t>{0, 0, k}));
      auto flatType = RankedTensorType::get(
          {xs[0], xs[1], k}, cast<RankedTensorType>(x.getType()).getElementType());
      x = onnx::ReshapeOp::create(rewriter, op.getLoc(), flatType, x, shape,
                                  rewriter.getI64IntegerAttr(0));
    }
    if (x.getType() != RankedTensorType::get({xs[0], xs[1], k},
                                             type.getElementType()))
      return failure();
    Value weight = makeWeight(rewriter, gemm.getB());
    Value bias = hasBias ? makeWeight(rewriter, c) : Value();
    rewriter.replaceOpWithNewOp<LinearOp>(op, type, x, weight, bias);
    return success();
  }
  Notes &notes;
};

/// Split(linear, axis = last) -> sieve.split.
struct RaiseSplit : public OpRewritePattern<onnx::SplitOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx::SplitOp op,
                                PatternRewriter &rewriter) const override {
    Value x = op.getInput();
    int64_t rank = rankOf(x);
    if (!x.getDefiningOp<LinearOp>() || rank < 1 ||
        (static_cast<int64_t>(op.getAxis()) != -1 &&
         static_cast<int64_t>(op.getAxis()) != rank - 1))
      return failure();
    SmallVector<int64_t> sizes;
    for (Value r : op.getOutputs()) {
      if (rankOf(r) != rank || ShapedType::isDynamic(shapeOf(r).back()))
        return failure();
      sizes.push_back(shapeOf(r).back());
    }
    if (!isa<NoneType>(op.getSplit().getType())) {
      auto given = onnx::getConstantInts(op.getSplit());
      if (!given || *given != ArrayRef<int64_t>(sizes))
        return failure();
    }
    rewriter.replaceOpWithNewOp<SplitOp>(op, op.getOutputs().getTypes(), x,
                                         rewriter.getDenseI64ArrayAttr(sizes));
    return success();
  }
};

/// Slices (steps 1) of a linear's result along its last axis that tile it
/// exactly -> one sieve.split.
struct RaiseSlicesToSplit : public OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LinearOp lin,
                                PatternRewriter &rewriter) const override {
    Value x = lin.getResult();
    int64_t rank = rankOf(x), n = shapeOf(x).back();
    if (lin->use_empty() || ShapedType::isDynamic(n))
      return failure();
    // start -> (end, slices)
    std::map<int64_t, std::pair<int64_t, SmallVector<onnx::SliceOp>>> pieces;
    for (Operation *user : lin->getUsers()) {
      auto s = dyn_cast<onnx::SliceOp>(user);
      if (!s || s.getData() != x)
        return failure();
      auto starts = onnx::getConstantInts(s.getStarts()), ends = onnx::getConstantInts(s.getEnds());
      auto axes = isa<NoneType>(s.getAxes().getType())
                      ? std::optional<SmallVector<int64_t>>()
                      : onnx::getConstantInts(s.getAxes());
      if (!starts || !ends || starts->size() != 1 || ends->size() != 1 ||
          !axes || axes->size() != 1 ||
          ((*axes)[0] != -1 && (*axes)[0] != rank - 1))
        return failure();
      if (!isa<NoneType>(s.getSteps().getType())) {
        auto steps = onnx::getConstantInts(s.getSteps());
        if (!steps || steps->size() != 1 || (*steps)[0] != 1)
          return failure();
      }
      int64_t b = (*starts)[0], e = std::min((*ends)[0], n);
      if (b < 0 || e <= b || s.getType() != RankedTensorType::get(
                                 [&] {
                                   SmallVector<int64_t> sh(shapeOf(x));
                                   sh.back() = e - b;
                                   return sh;
                                 }(),
                                 lin.getType().getElementType()))
        return failure();
      auto &piece = pieces[b];
      if (!piece.second.empty() && piece.first != e)
        return failure();
      piece.first = e;
      piece.second.push_back(s);
    }
    SmallVector<int64_t> sizes;
    SmallVector<Type> types;
    int64_t at = 0;
    for (auto &[b, piece] : pieces) {
      if (b != at)
        return failure();
      sizes.push_back(piece.first - b);
      types.push_back(piece.second.front().getType());
      at = piece.first;
    }
    if (at != n || sizes.size() < 2)
      return failure();
    rewriter.setInsertionPointAfter(lin);
    auto split = SplitOp::create(rewriter, lin.getLoc(), types, x,
                                 rewriter.getDenseI64ArrayAttr(sizes));
    unsigned i = 0;
    for (auto &[b, piece] : pieces) {
      for (onnx::SliceOp s : piece.second)
        rewriter.replaceOp(s, split.getResult(i));
      ++i;
    }
    return success();
  }
};

} // namespace

void populateRaiseLinearPatterns(RewritePatternSet &patterns, Notes &notes) {
  patterns.add<RaiseMatMul, FoldLinearBias, RaiseSplit, RaiseSlicesToSplit>(
      patterns.getContext());
  patterns.add<RaiseGemm>(patterns.getContext(), notes);
}

} // namespace sieve::raise
