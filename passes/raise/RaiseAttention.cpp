//===- RaiseAttention.cpp - scaled dot-product attention -> sieve.attention ===//
//
//   Reshape(Transpose(MatMul(P, V), [0, 2, 1, 3]), [B, S, H * D])
//   P = Softmax(QK^T * scale + mask) (optionally Where(IsNaN(P), 0, P))
//
// with Q, K, V head views of flat [B, S, heads * D] activations (K
// transposed, K and V possibly repeated for GQA), the scale from scalar
// constants multiplied into Q, K or the scores (or divided out), and the
// mask exactly causal: an added Where(j <= i, 0, -big), or Where(j <= i,
// scores, -big) on the scores, over positions i (rows) and j (columns).
// Scores of any float type; sieve.attention's softmax is fp32.
//
//===----------------------------------------------------------------------===//

#include "Raise.h"

#include <cmath>

using namespace mlir;

namespace sieve::raise {
namespace {

/// Peels Mul/Div by scalar constants off `v`, multiplying them into scale.
Value peelScale(Value v, double &scale) {
  while (true) {
    if (auto m = v.getDefiningOp<onnx::MulOp>()) {
      if (auto c = getScalarFloat(m.getB())) {
        scale *= *c;
        v = m.getA();
        continue;
      }
      if (auto c = getScalarFloat(m.getA())) {
        scale *= *c;
        v = m.getB();
        continue;
      }
    }
    if (auto d = v.getDefiningOp<onnx::DivOp>()) {
      if (auto c = getScalarFloat(d.getB())) {
        scale /= *c;
        v = d.getA();
        continue;
      }
    }
    return v;
  }
}

/// Relation of column position j to row position i that `cond` computes.
enum class Rel { LE, LT, GE, GT, Unknown };

Rel flip(Rel r) {
  switch (r) {
  case Rel::LE:
    return Rel::GE;
  case Rel::LT:
    return Rel::GT;
  case Rel::GE:
    return Rel::LE;
  case Rel::GT:
    return Rel::LT;
  default:
    return Rel::Unknown;
  }
}

Rel matchCompare(Value cond, std::string &why) {
  Operation *def = cond.getDefiningOp();
  if (!def || def->getNumOperands() != 2) {
    why = "the mask condition is not a comparison of positions";
    return Rel::Unknown;
  }
  Rel r;
  if (isa<onnx::LessOrEqualOp>(def))
    r = Rel::LE;
  else if (isa<onnx::LessOp>(def))
    r = Rel::LT;
  else if (isa<onnx::GreaterOrEqualOp>(def))
    r = Rel::GE;
  else if (isa<onnx::GreaterOp>(def))
    r = Rel::GT;
  else {
    why = "the mask condition is not a comparison of positions";
    return Rel::Unknown;
  }
  Value a = def->getOperand(0), b = def->getOperand(1);
  std::string w1, w2;
  // a compared with b: columns (j, last axis) vs rows (i, axis -2).
  if (isPositionsAlong(a, -1, w1) && isPositionsAlong(b, -2, w2))
    return r;
  if (isPositionsAlong(a, -2, w1) && isPositionsAlong(b, -1, w2))
    return flip(r);
  why = "the mask compares values that are not the positions (" +
        (w1.empty() ? w2 : w1) + ")";
  return Rel::Unknown;
}

/// A score that softmax turns into an exact 0 weight: <= -1e9, or the
/// lowest finite value of the mask's float type (fp16 exports mask with
/// -65504; exp(s - 65504 - max) underflows to 0 in fp32 unless the fp16
/// scores of one row differ by more than about 65400).
bool isMaskedValue(double v, Value of) {
  if (v <= -1e9)
    return true;
  auto type = dyn_cast<FloatType>(getElementTypeOrSelf(of.getType()));
  return type && v == -llvm::APFloat::getLargest(type.getFloatSemantics())
                           .convertToDouble();
}

/// Whether a condition of relation `r` between key j and query i selects
/// exactly the causal keys j <= i (when `allowedIfTrue`) or exactly the
/// others.
bool isCausalCondition(Rel r, bool allowedIfTrue, std::string &why) {
  Rel allowed = allowedIfTrue ? r
                : r == Rel::LE ? Rel::GT
                : r == Rel::LT ? Rel::GE
                : r == Rel::GE ? Rel::LT
                               : Rel::LE;
  if (allowed != Rel::LE) {
    why = "the mask does not allow exactly the keys j <= i";
    return false;
  }
  return true;
}

/// Whether `mask` (added to the scores) is exactly causal.
bool isCausalMask(Value mask, std::string &why) {
  while (auto ex = mask.getDefiningOp<onnx::ExpandOp>())
    mask = ex.getInput();
  ArrayRef<int64_t> shape = shapeOf(mask);
  if (shape.size() < 2 ||
      llvm::any_of(shape.drop_back(2), [](int64_t s) { return s != 1; })) {
    why = "the mask is not one [seq, seq] matrix for all batches and heads";
    return false;
  }
  auto where = mask.getDefiningOp<onnx::WhereOp>();
  if (!where) {
    why = "the mask is not a Where of a position comparison";
    return false;
  }
  auto x = getScalarFloat(where.getX()), y = getScalarFloat(where.getY());
  if (!x || !y) {
    why = "the mask values are not constants";
    return false;
  }
  Rel r = matchCompare(where.getCondition(), why);
  if (r == Rel::Unknown)
    return false;
  bool allowedIfTrue;
  if (*x == 0 && isMaskedValue(*y, where.getY()))
    allowedIfTrue = true;
  else if (isMaskedValue(*x, where.getX()) && *y == 0)
    allowedIfTrue = false;
  else {
    why = "the mask values are not 0 and a large negative number";
    return false;
  }
  return isCausalCondition(r, allowedIfTrue, why);
}

struct RaiseAttention : public OpRewritePattern<onnx::ReshapeOp> {
  RaiseAttention(MLIRContext *ctx, Notes &notes)
      : OpRewritePattern(ctx), notes(notes) {}

  LogicalResult matchAndRewrite(onnx::ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type || type.getRank() != 3)
      return failure();
    auto tr = op.getData().getDefiningOp<onnx::TransposeOp>();
    if (!tr || !tr.getPermAttr() ||
        tr.getPermAttr().asArrayRef() != ArrayRef<int64_t>{0, 2, 1, 3})
      return failure();
    auto pv = tr.getData().getDefiningOp<onnx::MatMulOp>();
    if (!pv)
      return failure();
    Value p = pv.getA();
    // Where(IsNaN(P), 0, P): a no-op unless a row is fully masked, which a
    // causal mask never does.
    if (auto w = p.getDefiningOp<onnx::WhereOp>()) {
      auto isnan = w.getCondition().getDefiningOp<onnx::IsNaNOp>();
      auto zero = getScalarFloat(w.getX());
      if (isnan && zero && *zero == 0 && isnan.getX() == w.getY())
        p = w.getY();
    }
    auto sm = p.getDefiningOp<onnx::SoftmaxOp>();
    if (!sm)
      return failure();
    int64_t rank = rankOf(sm.getInput());
    if (rank != 4 || (static_cast<int64_t>(sm.getAxis()) != -1 && static_cast<int64_t>(sm.getAxis()) != 3))
      return failure();
    Value scores = sm.getInput();
    // fp16/bf16 scores (fp16 exports): sieve.attention computes the scores
    // and softmax in fp32 and rounds only its output, where the graph rounds
    // Q*scale, the scores, the probabilities and P*V (docs/raising.md,
    // "Float16 exports").
    if (!isa<FloatType>(cast<ShapedType>(scores.getType()).getElementType()))
      return failure();
    // The mask.
    Value mask;
    // Where(cond, scores, -big) (or Where(cond, -big, scores)).
    Value maskCond;
    bool allowedIfTrue = true;
    if (auto w = scores.getDefiningOp<onnx::WhereOp>()) {
      auto x = getScalarFloat(w.getX()), y = getScalarFloat(w.getY());
      if (y && isMaskedValue(*y, w.getY()) && !x) {
        scores = w.getX();
        maskCond = w.getCondition();
      } else if (x && isMaskedValue(*x, w.getX()) && !y) {
        scores = w.getY();
        maskCond = w.getCondition();
        allowedIfTrue = false;
      }
    } else if (auto add = scores.getDefiningOp<onnx::AddOp>()) {
      double ignored = 1.0;
      bool aIsScores =
          peelScale(add.getA(), ignored).getDefiningOp<onnx::MatMulOp>();
      scores = aIsScores ? add.getA() : add.getB();
      mask = aIsScores ? add.getB() : add.getA();
    }
    double scale = 1.0;
    auto qk = peelScale(scores, scale).getDefiningOp<onnx::MatMulOp>();
    if (!qk)
      return failure();
    auto q = matchHeads(peelScale(qk.getA(), scale));
    auto k = matchHeads(peelScale(qk.getB(), scale));
    auto v = matchHeads(pv.getB());
    if (!q || !k || !v)
      return failure();
    if (q->rank != 4 || q->transposed || q->rep != 1 || k->rank != 4 ||
        !k->transposed || v->rank != 4 || v->transposed) {
      notes.note(op, "attention: the query/key/value head layouts are not "
                     "Q [B,H,S,D], K^T [B,H,D,S], V [B,H,S,D]");
      return failure();
    }
    int64_t heads = q->kvHeads, kvHeads = k->kvHeads, d = q->headDim;
    if (k->heads() != heads || v->heads() != heads || v->kvHeads != kvHeads ||
        k->headDim != d || v->headDim != d || type.getShape()[2] != heads * d ||
        q->flat.getType() != type) {
      notes.note(op, "attention: query, key and value heads do not agree");
      return failure();
    }
    bool causal = false;
    if (mask) {
      std::string why;
      if (!isCausalMask(mask, why)) {
        notes.note(op, "attention: the mask is not causal: " + why);
        return failure();
      }
      causal = true;
    } else if (maskCond) {
      std::string why;
      Rel r = matchCompare(maskCond, why);
      if (r == Rel::Unknown ||
          !isCausalCondition(r, allowedIfTrue, why)) {
        notes.note(op, "attention: the mask is not causal: " + why);
        return failure();
      }
      causal = true;
    }
    if (!(scale > 0) || !std::isfinite(scale)) {
      notes.note(op, "attention: the scale is not a positive constant");
      return failure();
    }
    rewriter.replaceOpWithNewOp<AttentionOp>(
        op, type, q->flat, k->flat, v->flat, rewriter.getI64IntegerAttr(heads),
        rewriter.getI64IntegerAttr(kvHeads), rewriter.getI64IntegerAttr(d),
        rewriter.getBoolAttr(causal),
        rewriter.getF32FloatAttr(static_cast<float>(scale)), Attribute(),
        /*kv=*/KVAttr());
    return success();
  }
  Notes &notes;
};

} // namespace

void populateRaiseAttentionPatterns(RewritePatternSet &patterns,
                                    Notes &notes) {
  patterns.add<RaiseAttention>(patterns.getContext(), notes);
}

} // namespace sieve::raise
