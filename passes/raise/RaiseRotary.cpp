//===- RaiseRotary.cpp - rotary position embedding -> sieve.rotary --------===//
//
// q * cos + rotate_half(q) * sin on a head view [B, H, S, D] of a flat
// activation, where rotate_half(q) = Concat(-q[..., D/2:], q[..., :D/2]) and
// cos/sin = Cos/Sin(Concat(f, f)) of the angles f = positions x inv_freq.
// Partial rotary (rotary_dim < head_dim) rotates q[..., :rd] and concatenates
// q[..., rd:] unchanged. The sieve.rotary takes the flat activation and
// inv_freq; the head view is rebuilt on its result for the consumers
// (attention raising absorbs it).
//
//===----------------------------------------------------------------------===//

#include "Raise.h"

#include "mlir/IR/IRMapping.h"

using namespace mlir;

namespace sieve::raise {
namespace {

/// Looks through Unsqueeze ops and a narrowing Cast (fp16 exports compute
/// the table in fp32 and store it in fp16) to a Cos or Sin: returns its
/// input (the angles) and whether it was a Cos. sieve.rotary computes the
/// table in fp32 without that rounding (measured in docs/raising.md,
/// "Float16 exports").
Value matchTable(Value v, bool &isCos) {
  while (auto u = v.getDefiningOp<onnx::UnsqueezeOp>())
    v = u.getData();
  v = peelNarrowingCast(v);
  if (auto c = v.getDefiningOp<onnx::CosOp>()) {
    isCos = true;
    return c.getInput();
  }
  if (auto s = v.getDefiningOp<onnx::SinOp>()) {
    isCos = false;
    return s.getInput();
  }
  return nullptr;
}

/// Slice(x, [start], [end], [axis]) along the last axis (steps 1): returns
/// whether it matches.
bool isLastAxisSlice(Value v, Value x, int64_t start, int64_t end) {
  auto s = v.getDefiningOp<onnx::SliceOp>();
  if (!s || s.getData() != x)
    return false;
  int64_t rank = rankOf(x), d = shapeOf(x).back();
  auto starts = onnx::getConstantInts(s.getStarts()), ends = onnx::getConstantInts(s.getEnds());
  if (!starts || !ends || starts->size() != 1 || ends->size() != 1)
    return false;
  if (!isa<NoneType>(s.getAxes().getType())) {
    auto axes = onnx::getConstantInts(s.getAxes());
    if (!axes || axes->size() != 1 ||
        ((*axes)[0] != -1 && (*axes)[0] != rank - 1))
      return false;
  } else if (rank != 1) {
    return false;
  }
  if (!isa<NoneType>(s.getSteps().getType())) {
    auto steps = onnx::getConstantInts(s.getSteps());
    if (!steps || steps->size() != 1 || (*steps)[0] != 1)
      return false;
  }
  auto clamp = [d](int64_t i) {
    if (i < 0)
      i += d;
    return std::min(std::max<int64_t>(i, 0), d);
  };
  return clamp((*starts)[0]) == start && clamp((*ends)[0]) == end;
}

/// Concat(Neg(x[..., D/2:]), x[..., :D/2]) along the last axis.
bool isRotateHalf(Value v, Value x) {
  auto cat = v.getDefiningOp<onnx::ConcatOp>();
  int64_t rank = rankOf(x), d = shapeOf(x).back();
  if (!cat || cat.getInputs().size() != 2 || ShapedType::isDynamic(d) ||
      (static_cast<int64_t>(cat.getAxis()) != -1 && static_cast<int64_t>(cat.getAxis()) != rank - 1))
    return false;
  auto neg = cat.getInputs()[0].getDefiningOp<onnx::NegOp>();
  return neg && isLastAxisSlice(neg.getX(), x, d / 2, d) &&
         isLastAxisSlice(cat.getInputs()[1], x, 0, d / 2);
}

/// The angles Concat(f, f) with f = positions x inv_freq, [.., S, D].
/// Returns inv_freq (a weight) and its number of elements D/2.
Value matchAngles(Value emb, int64_t d, std::string &why) {
  auto cat = emb.getDefiningOp<onnx::ConcatOp>();
  int64_t rank = rankOf(emb);
  if (!cat || cat.getInputs().size() != 2 ||
      cat.getInputs()[0] != cat.getInputs()[1] ||
      (static_cast<int64_t>(cat.getAxis()) != -1 && static_cast<int64_t>(cat.getAxis()) != rank - 1)) {
    why = "the angles are not Concat(freqs, freqs)";
    return nullptr;
  }
  Value f = cat.getInputs()[0];
  // Transpose(MatMul(inv_freq [1, D/2, 1], positions [1, 1, S]), [0, 2, 1])
  if (auto tr = f.getDefiningOp<onnx::TransposeOp>()) {
    auto perm = tr.getPermAttr();
    auto mm = tr.getData().getDefiningOp<onnx::MatMulOp>();
    if (perm && perm.asArrayRef() == ArrayRef<int64_t>{0, 2, 1} && mm) {
      Value inv = mm.getA();
      while (auto ex = inv.getDefiningOp<onnx::ExpandOp>())
        inv = ex.getInput();
      ArrayRef<int64_t> is = shapeOf(inv);
      if (!isWeight(inv) || is.size() != 3 || is[0] != 1 || is[1] != d / 2 ||
          is[2] != 1) {
        why = "inv_freq is not a constant [1, D/2, 1]";
        return nullptr;
      }
      if (!isPositionsAlong(mm.getB(), -1, why))
        return nullptr;
      return inv;
    }
  }
  // MatMul(positions [.., S, 1], inv_freq [1, D/2]) or the broadcast Mul.
  Operation *def = f.getDefiningOp();
  if (def && isa<onnx::MatMulOp, onnx::MulOp>(def)) {
    for (int i = 0; i < 2; ++i) {
      Value inv = def->getOperand(1 - i), pos = def->getOperand(i);
      if (isa<onnx::MatMulOp>(def) && i == 1)
        break;
      ArrayRef<int64_t> is = shapeOf(inv);
      if (!isWeight(inv) || is.empty() || is.back() != d / 2 ||
          llvm::any_of(is.drop_back(), [](int64_t s) { return s != 1; }))
        continue;
      if (!isPositionsAlong(pos, -2, why))
        return nullptr;
      return inv;
    }
  }
  why = "the angles are not positions x inv_freq";
  return nullptr;
}

struct RaiseRotary : public OpRewritePattern<onnx::AddOp> {
  RaiseRotary(MLIRContext *ctx, Notes &notes)
      : OpRewritePattern(ctx), notes(notes) {}

  LogicalResult matchAndRewrite(onnx::AddOp op,
                                PatternRewriter &rewriter) const override {
    auto lhs = op.getA().getDefiningOp<onnx::MulOp>();
    auto rhs = op.getB().getDefiningOp<onnx::MulOp>();
    if (!lhs || !rhs)
      return failure();
    // Find (x, cos) and (rotate_half(x), sin) among the four operands.
    Value x, cosAngles, sinAngles, rotated;
    for (auto [m, other] : {std::pair(lhs, rhs), std::pair(rhs, lhs)}) {
      for (int i = 0; i < 2; ++i) {
        bool isCos;
        Value angles = matchTable(m->getOperand(i), isCos);
        if (!angles || !isCos)
          continue;
        for (int j = 0; j < 2; ++j) {
          bool otherIsCos;
          Value sAngles = matchTable(other->getOperand(j), otherIsCos);
          if (!sAngles || otherIsCos)
            continue;
          x = m->getOperand(1 - i);
          cosAngles = angles;
          sinAngles = sAngles;
          rotated = other->getOperand(1 - j);
        }
      }
      if (x)
        break;
    }
    if (!x || !isRotateHalf(rotated, x))
      return failure();
    // The tables broadcast as [.., S, rd] against x [B, H, S, rd].
    for (Operation *m : {lhs.getOperation(), rhs.getOperation()})
      for (Value t : m->getOperands()) {
        if (t == x || t == rotated)
          continue;
        ArrayRef<int64_t> ts = shapeOf(t), xs = shapeOf(x);
        if (ts.size() < 2 || ts.size() > xs.size() || ts.back() != xs.back() ||
            ts[ts.size() - 2] != xs[xs.size() - 2] ||
            llvm::any_of(ts.drop_back(2), [](int64_t d) { return d != 1; }))
          return failure();
      }
    // Full rotary: x is the head view. Partial rotary: x = xh[..., :rd] and
    // the result is Concat(rotated, xh[..., rd:]).
    Value xh = x;
    Operation *root = op;
    auto view = matchHeads(x);
    int64_t rd = shapeOf(x).back();
    if (!view) {
      auto slice = x.getDefiningOp<onnx::SliceOp>();
      if (!slice || !op->hasOneUse())
        return failure();
      xh = slice.getData();
      view = matchHeads(xh);
      auto cat = dyn_cast<onnx::ConcatOp>(*op->getUsers().begin());
      if (!view || !cat || !isLastAxisSlice(x, xh, 0, rd) ||
          cat.getInputs().size() != 2 || cat.getInputs()[0] != op.getResult() ||
          (static_cast<int64_t>(cat.getAxis()) != -1 &&
           static_cast<int64_t>(cat.getAxis()) != 3) ||
          !isLastAxisSlice(cat.getInputs()[1], xh, rd, view->headDim) ||
          cat.getType() != xh.getType())
        return failure();
      root = cat;
    } else if (op.getType() != x.getType()) {
      return failure();
    }
    if (view->rank != 4 || view->transposed || view->rep != 1)
      return failure();
    int64_t d = view->headDim;
    if (cosAngles != sinAngles) {
      notes.note(op, "rotary: cos and sin are of different angles");
      return failure();
    }
    std::string why;
    Value inv = matchAngles(cosAngles, rd, why);
    if (!inv) {
      notes.note(op, "rotary: the cos/sin tables do not come from positions "
                     "x inv_freq: " + why);
      return failure();
    }
    // The rotary on the flat activation, then the same head view.
    rewriter.setInsertionPoint(root);
    Value invFreq = makeWeight(rewriter, inv, ArrayRef<int64_t>{rd / 2});
    if (!invFreq)
      return failure();
    auto flatType = cast<RankedTensorType>(view->flat.getType());
    Value rot = RotaryOp::create(
        rewriter, op.getLoc(), flatType, view->flat, invFreq,
        rewriter.getI64IntegerAttr(view->kvHeads),
        rewriter.getI64IntegerAttr(d), rewriter.getI64IntegerAttr(rd),
        RotaryStyleAttr::get(rewriter.getContext(), RotaryStyle::half),
        rewriter.getF32FloatAttr(1.0));
    auto tr = xh.getDefiningOp<onnx::TransposeOp>();
    auto rs = tr.getData().getDefiningOp<onnx::ReshapeOp>();
    IRMapping map;
    map.map(view->flat, rot);
    Operation *newRs = rewriter.clone(*rs, map);
    map.map(rs.getResult(), newRs->getResult(0));
    Operation *newTr = rewriter.clone(*tr, map);
    rewriter.replaceOp(root, newTr->getResults());
    return success();
  }
  Notes &notes;
};

} // namespace

void populateRaiseRotaryPatterns(RewritePatternSet &patterns, Notes &notes) {
  patterns.add<RaiseRotary>(patterns.getContext(), notes);
}

} // namespace sieve::raise
