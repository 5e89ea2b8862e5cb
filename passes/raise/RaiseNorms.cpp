//===- RaiseNorms.cpp - RMSNorm -> sieve.rms_norm -------------------------===//
//
// x * reciprocal(sqrt(mean(x^2, -1) + eps)) * w in the exporters' forms:
// the inverse as Reciprocal(Sqrt), Div(1, Sqrt), Pow(., -0.5) or a Div of x
// by the Sqrt; x^2 as Pow(x, 2) or Mul(x, x); the weight on either side; in
// fp16 exports the normalization in fp32 between two Casts.
// eps must be a constant. A weight written as Add(w, 1) (Gemma's 1 + w,
// when not folded) becomes weight_offset = 1. onnx.LayerNormalization over
// the last axis -> sieve.layer_norm.
//
//===----------------------------------------------------------------------===//

#include "Raise.h"

using namespace mlir;

namespace sieve::raise {
namespace {

bool isConstEq(Value v, double expected) {
  auto c = getScalarFloat(v);
  return c && *c == expected;
}

/// mean(x^2) over the last axis with keepdims: returns x.
Value matchMeanSquare(Value v) {
  auto mean = v.getDefiningOp<onnx::ReduceMeanOp>();
  if (!mean || mean.getKeepdims() != 1)
    return nullptr;
  int64_t rank = rankOf(mean.getData());
  SmallVector<int64_t> axes;
  if (auto a = mean.getAxesAttr())
    axes.assign(a.asArrayRef().begin(), a.asArrayRef().end());
  else if (auto ints = onnx::getConstantInts(mean.getAxesInput()))
    axes = *ints;
  if (axes.size() != 1 || (axes[0] != -1 && axes[0] != rank - 1))
    return nullptr;
  Value sq = mean.getData();
  if (auto pow = sq.getDefiningOp<onnx::PowOp>())
    return isConstEq(pow.getY(), 2.0) ? pow.getX() : nullptr;
  if (auto mul = sq.getDefiningOp<onnx::MulOp>())
    return mul.getA() == mul.getB() ? mul.getA() : nullptr;
  return nullptr;
}

/// The variance + eps: returns (x, eps value).
std::pair<Value, Value> matchVarEps(Value v) {
  auto add = v.getDefiningOp<onnx::AddOp>();
  if (!add)
    return {};
  if (Value x = matchMeanSquare(add.getA()))
    return {x, add.getB()};
  if (Value x = matchMeanSquare(add.getB()))
    return {x, add.getA()};
  return {};
}

/// x * rsqrt(var + eps) in any form: returns (x, eps value).
std::pair<Value, Value> matchNormalized(Value v) {
  auto fromInverse = [](Value x, Value inv) -> std::pair<Value, Value> {
    Value var;
    if (auto r = inv.getDefiningOp<onnx::ReciprocalOp>()) {
      if (auto s = r.getX().getDefiningOp<onnx::SqrtOp>())
        var = s.getX();
    } else if (auto d = inv.getDefiningOp<onnx::DivOp>()) {
      if (isConstEq(d.getA(), 1.0))
        if (auto s = d.getB().getDefiningOp<onnx::SqrtOp>())
          var = s.getX();
    } else if (auto p = inv.getDefiningOp<onnx::PowOp>()) {
      if (isConstEq(p.getY(), -0.5))
        var = p.getX();
    }
    if (!var)
      return {};
    auto [x2, eps] = matchVarEps(var);
    if (x2 != x)
      return {};
    return {x, eps};
  };
  if (auto mul = v.getDefiningOp<onnx::MulOp>()) {
    auto r = fromInverse(mul.getA(), mul.getB());
    if (!r.first)
      r = fromInverse(mul.getB(), mul.getA());
    return r;
  }
  if (auto div = v.getDefiningOp<onnx::DivOp>()) {
    if (auto s = div.getB().getDefiningOp<onnx::SqrtOp>()) {
      auto [x, eps] = matchVarEps(s.getX());
      if (x == div.getA())
        return {x, eps};
    }
  }
  return {};
}

/// matchNormalized, or its fp16-export form Cast_f16(normalized(Cast_f32(x)))
/// (HF computes the normalization in fp32 and stores it in the activations'
/// type before the weight): returns (x, eps) with x the stored activation.
/// sieve.rms_norm computes x * inv * w in fp32 and rounds once, where the
/// graph also rounds before the weight (measured in docs/raising.md,
/// "Float16 exports").
std::pair<Value, Value> matchStoredNormalized(Value normed) {
  Value inner = peelNarrowingCast(normed);
  auto [x, eps] = matchNormalized(inner);
  if (!x || inner == normed)
    return {x, eps};
  Value stored = peelWideningCast(x);
  if (stored == x || stored.getType() != normed.getType())
    return {};
  return {stored, eps};
}

struct RaiseRMSNorm : public OpRewritePattern<onnx::MulOp> {
  RaiseRMSNorm(MLIRContext *ctx, Notes &notes)
      : OpRewritePattern(ctx, /*benefit=*/2), notes(notes) {}

  LogicalResult matchAndRewrite(onnx::MulOp op,
                                PatternRewriter &rewriter) const override {
    for (int i = 0; i < 2; ++i) {
      Value w = op->getOperand(i), normed = op->getOperand(1 - i);
      if (!isWeight(w) || rankOf(w) != 1)
        continue;
      auto [x, eps] = matchStoredNormalized(normed);
      if (!x)
        continue;
      auto type = dyn_cast<RankedTensorType>(x.getType());
      if (!type || type != op.getType() || !isa<FloatType>(type.getElementType()) ||
          shapeOf(w)[0] != type.getShape().back()) {
        notes.note(op, "RMSNorm: the weight or result shape does not match "
                       "the input's");
        return failure();
      }
      auto epsValue = getScalarFloat(eps);
      if (!epsValue) {
        notes.note(op, "RMSNorm: epsilon is not a constant");
        return failure();
      }
      if (*epsValue < 0) {
        notes.note(op, "RMSNorm: epsilon is negative");
        return failure();
      }
      Value weight = makeWeight(rewriter, w);
      rewriter.replaceOpWithNewOp<RMSNormOp>(
          op, type, x, weight, rewriter.getF32FloatAttr(*epsValue),
          rewriter.getF32FloatAttr(0.0));
      return success();
    }
    // normed * (w + 1): weight_offset 1.
    for (int i = 0; i < 2; ++i) {
      auto add = op->getOperand(i).getDefiningOp<onnx::AddOp>();
      Value normed = op->getOperand(1 - i);
      if (!add)
        continue;
      for (int j = 0; j < 2; ++j) {
        Value w = add->getOperand(j);
        auto one = getScalarFloat(add->getOperand(1 - j));
        if (!one || *one != 1.0 || !isWeight(w) || rankOf(w) != 1 ||
            add.getType() != w.getType())
          continue;
        auto [x, eps] = matchStoredNormalized(normed);
        if (!x)
          continue;
        auto type = dyn_cast<RankedTensorType>(x.getType());
        auto epsValue = getScalarFloat(eps);
        if (!type || type != op.getType() || shapeOf(w)[0] != type.getShape().back() ||
            !epsValue || *epsValue < 0) {
          notes.note(op, "RMSNorm (1 + w): the weight, result shape or "
                         "epsilon do not match");
          return failure();
        }
        Value weight = makeWeight(rewriter, w);
        rewriter.replaceOpWithNewOp<RMSNormOp>(
            op, type, x, weight, rewriter.getF32FloatAttr(*epsValue),
            rewriter.getF32FloatAttr(1.0));
        return success();
      }
    }
    return failure();
  }
  Notes &notes;
};

/// LayerNormalization(x, scale, bias) over the last axis, Mean and
/// InvStdDev unused.
struct RaiseLayerNorm : public OpRewritePattern<onnx::LayerNormalizationOp> {
  RaiseLayerNorm(MLIRContext *ctx, Notes &notes)
      : OpRewritePattern(ctx), notes(notes) {}

  LogicalResult matchAndRewrite(onnx::LayerNormalizationOp op,
                                PatternRewriter &rewriter) const override {
    Value x = op.getX(), w = op.getScale(), b = op.getB();
    auto type = dyn_cast<RankedTensorType>(x.getType());
    if (!type || !isa<FloatType>(type.getElementType()) ||
        op.getY().getType() != type)
      return failure();
    int64_t axis = op.getAxis();
    if (axis != -1 && axis != type.getRank() - 1) {
      notes.note(op, "LayerNorm: not over the last axis only");
      return failure();
    }
    if (!op.getMean().use_empty() || !op.getInvStdDev().use_empty()) {
      notes.note(op, "LayerNorm: its mean or inverse deviation is used");
      return failure();
    }
    bool hasBias = !isa<NoneType>(b.getType());
    if (!isWeight(w) || rankOf(w) != 1 || shapeOf(w)[0] != type.getShape().back() ||
        (hasBias && (!isWeight(b) || rankOf(b) != 1 ||
                     shapeOf(b)[0] != type.getShape().back()))) {
      notes.note(op, "LayerNorm: scale or bias is not a [hidden] constant");
      return failure();
    }
    Value weight = makeWeight(rewriter, w);
    Value bias = hasBias ? makeWeight(rewriter, b) : Value();
    auto ln = LayerNormOp::create(rewriter, op.getLoc(), type, x, weight, bias,
                                  op.getEpsilonAttr());
    rewriter.replaceAllUsesWith(op.getY(), ln.getResult());
    rewriter.eraseOp(op);
    return success();
  }
  Notes &notes;
};

} // namespace

void populateRaiseNormPatterns(RewritePatternSet &patterns, Notes &notes) {
  patterns.add<RaiseRMSNorm, RaiseLayerNorm>(patterns.getContext(), notes);
}

} // namespace sieve::raise
