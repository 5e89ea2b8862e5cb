//===- RaiseFusedRotary.cpp - RotaryEmbedding -> sieve.rotary -------------===//
//
// The opset-23 and com.microsoft RotaryEmbedding on a [batch, seq,
// heads * head_dim] activation (or its [batch, heads, seq, head_dim] view by
// Reshape + Transpose) with position_ids that are the positions
// 0..seq-1 (or the position_ids argument of an onnxruntime-genai export,
// which the session's positions stand for) and constant cos/sin caches
// [max_position, rotary_dim / 2].
// sieve.rotary computes its angles from inv_freq and the (implicit)
// positions, so the caches must be scaling * cos/sin(p * inv_freq[i]) for
// every row p: inv_freq and the scaling are recovered from the caches
// (recoverInvFreq, shared with the GroupQueryAttention pattern) and every
// row is checked.
//
//===----------------------------------------------------------------------===//

#include "Raise.h"

#include "mlir/IR/IRMapping.h"

#include <cmath>

using namespace mlir;

namespace sieve::raise {

/// recoverInvFreq without the memo.
static std::optional<RotaryCaches> checkCaches(Value cosCache, Value sinCache,
                                               std::string &why) {
  ArrayRef<int64_t> cs = shapeOf(cosCache);
  if (cs.size() != 2 || shapeOf(sinCache) != cs ||
      ShapedType::isDynamicShape(cs) || cs[0] < 2) {
    why = "the cos/sin caches are not static [max_position >= 2, half]";
    return std::nullopt;
  }
  auto cosV = getConstantFloats(cosCache), sinV = getConstantFloats(sinCache);
  if (!cosV || !sinV) {
    why = "the cos/sin caches are not f32, f16 or bf16 constants whose data "
          "can be read (an elided resource blob?)";
    return std::nullopt;
  }
  // Half the spacing of the caches' element type near 1: the rounding of a
  // cache value (an f16 table is off by up to 2^-11, a bf16 one by 2^-8).
  auto elementType = cast<FloatType>(cast<ShapedType>(cosCache.getType()).getElementType());
  double valueRounding =
      std::ldexp(1.0, -int(APFloat::semanticsPrecision(elementType.getFloatSemantics())));
  int64_t rows = cs[0], half = cs[1];
  auto cosAt = [&](int64_t p, int64_t i) { return (*cosV)[p * half + i]; };
  auto sinAt = [&](int64_t p, int64_t i) { return (*sinV)[p * half + i]; };
  RotaryCaches r;
  // Row 0 is (scaling, 0) for every pair.
  r.scaling = cosAt(0, 0);
  if (!(r.scaling > 0)) {
    why = "cos_cache[0] is not a positive scaling";
    return std::nullopt;
  }
  for (int64_t i = 0; i < half; ++i) {
    // The angle of row 1 (|inv_freq| < pi), refined on rows 2, 4, 8, ...
    // and the last: row p's angle, unwrapped by the current estimate, gives
    // inv_freq with the error of a cache value divided by p. Doubling p
    // keeps the unwrapping's error (p times the last estimate's) far below
    // pi even for f16 caches, whose values are off by up to 2^-11.
    double inv = std::atan2(sinAt(1, i), cosAt(1, i));
    auto refine = [&](int64_t p) {
      double a = std::atan2(sinAt(p, i), cosAt(p, i));
      double turns = std::round((double(p) * inv - a) / (2 * M_PI));
      inv = (a + 2 * M_PI * turns) / double(p);
    };
    for (int64_t p = 2; p < rows - 1; p *= 2)
      refine(p);
    refine(rows - 1);
    for (int64_t p = 0; p < rows; ++p) {
      // The session's angle, float(p) * inv_freq in float32. Caches made
      // from float64 angles differ from it by up to the rounding of a
      // float32 angle (p * inv_freq * 2^-24), which grows with p: allowed,
      // on top of the rounding of the cache values.
      double ang = double(float(p) * float(inv));
      double tol = 2e-4 + 2 * std::abs(ang) * 0x1p-24 + r.scaling * valueRounding;
      if (std::abs(cosAt(p, i) - r.scaling * std::cos(ang)) > tol ||
          std::abs(sinAt(p, i) - r.scaling * std::sin(ang)) > tol) {
        why = "the cos/sin caches are not cos/sin of positions x inv_freq "
              "(row " +
              std::to_string(p) + ", pair " + std::to_string(i) + ")";
        return std::nullopt;
      }
    }
    r.invFreq.push_back(float(inv));
  }
  return r;
}

std::optional<RotaryCaches> recoverInvFreq(Value cosCache, Value sinCache,
                                           RotaryMemo &memo, std::string &why) {
  auto c = cosCache.getDefiningOp<onnx::ConstantOp>();
  auto s = sinCache.getDefiningOp<onnx::ConstantOp>();
  if (!c || !s)
    return checkCaches(cosCache, sinCache, why);
  auto key = std::make_pair(c.getValue(), s.getValue());
  auto it = memo.find(key);
  if (it == memo.end()) {
    std::string w;
    auto r = checkCaches(cosCache, sinCache, w);
    it = memo.try_emplace(key, std::move(r), std::move(w)).first;
  }
  why = it->second.second;
  return it->second.first;
}

Value createRotary(PatternRewriter &rewriter, Location loc, Value x,
                   const RotaryCaches &caches, int64_t heads, int64_t headDim,
                   bool interleaved) {
  int64_t half = caches.invFreq.size();
  auto invType = RankedTensorType::get({half}, rewriter.getF32Type());
  Value inv = WeightOp::create(
      rewriter, loc, invType,
      DenseElementsAttr::get(invType, ArrayRef<float>(caches.invFreq)),
      StringAttr());
  return RotaryOp::create(
      rewriter, loc, x.getType(), x, inv, rewriter.getI64IntegerAttr(heads),
      rewriter.getI64IntegerAttr(headDim), rewriter.getI64IntegerAttr(2 * half),
      RotaryStyleAttr::get(rewriter.getContext(), interleaved
                                                      ? RotaryStyle::interleaved
                                                      : RotaryStyle::half),
      rewriter.getF32FloatAttr(float(caches.scaling)));
}

namespace {

/// The operands and attributes of either RotaryEmbedding, in one form.
struct RotaryView {
  Value x, positions, cosCache, sinCache;
  int64_t heads = 0; ///< 0: derive from the rotary dimension (com.microsoft)
  int64_t rotaryDim = 0; ///< the attribute; 0: the head size
  bool interleaved = false;
  std::string unsupported; ///< an attribute sieve.rotary cannot express
};

RotaryView viewOf(onnx::RotaryEmbeddingOp op) {
  return {op.getX(),
          op.getPositionIds(),
          op.getCosCache(),
          op.getSinCache(),
          int64_t(op.getNumHeads().value_or(0)),
          op.getRotaryEmbeddingDim(),
          op.getInterleaved() != 0,
          ""};
}

RotaryView viewOf(onnx::MSRotaryEmbeddingOp op) {
  RotaryView v{op.getInput(),
               op.getPositionIds(),
               op.getCosCache(),
               op.getSinCache(),
               int64_t(op.getNumHeads()),
               int64_t(op.getRotaryEmbeddingDim()),
               op.getInterleaved() != 0,
               ""};
  if (op.getIsPackedBatching())
    v.unsupported = "is_packed_batching is not raised";
  else if (!op.getScale().isExactlyValue(1.0))
    v.unsupported = "a scale other than 1 is not raised";
  return v;
}

/// Whether `v` is the position_ids argument of an onnxruntime-genai export
/// ([batch, seq] integers): the session's positions stand for it (the
/// raised function drops it, see Raise.cpp).
bool isPositionIdsArgument(Value v) {
  auto arg = dyn_cast<BlockArgument>(v);
  auto func = arg ? dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp())
                  : func::FuncOp();
  if (!func || rankOf(v) != 2 ||
      !cast<ShapedType>(v.getType()).getElementType().isInteger(64))
    return false;
  auto name =
      func.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "onnx.name");
  return name && name.getValue() == "position_ids";
}

/// The opset-23 (X, cos, sin, position_ids) and com.microsoft (input,
/// position_ids, cos, sin) RotaryEmbedding on [batch, seq, heads * head_dim].
template <typename OpTy>
struct RaiseRotaryEmbedding : public OpRewritePattern<OpTy> {
  RaiseRotaryEmbedding(MLIRContext *ctx, Notes &notes)
      : OpRewritePattern<OpTy>(ctx), notes(notes) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    std::string why;
    auto fail = [&](const Twine &reason) {
      notes.note(op, op->getName().getStringRef() + ": " + reason);
      return failure();
    };
    RotaryView v = viewOf(op);
    if (!v.unsupported.empty())
      return fail(v.unsupported);
    // 4-D [B, H, S, D]: the head view of a flat activation, rotated flat and
    // viewed as heads again.
    std::optional<HeadsView> view;
    Value flat = v.x;
    if (rankOf(v.x) == 4) {
      view = matchHeads(v.x);
      if (!view || view->rank != 4 || view->transposed || view->rep != 1 ||
          op.getType() != v.x.getType())
        return fail("the 4-D input is not Transpose(Reshape(flat, [B, S, H, "
                    "D]), [0, 2, 1, 3])");
      flat = view->flat;
    }
    auto type = dyn_cast<RankedTensorType>(flat.getType());
    if (!type || type.getRank() != 3 || (!view && op.getType() != type) ||
        !isa<FloatType>(type.getElementType()) ||
        ShapedType::isDynamic(type.getShape()[2]))
      return fail("the input is not a float [batch, seq, heads * head_dim] "
                  "activation or a head view of one");
    if (isa<NoneType>(v.positions.getType()))
      return fail("without position_ids the caches are per token");
    bool sessionPositions = isPositionIdsArgument(v.positions);
    if (!sessionPositions && !isPositionsAlong(v.positions, -1, why))
      return fail("position_ids are not the positions (Range(0, seq) or a "
                  "genai position_ids argument): " +
                  why);
    auto caches = recoverInvFreq(v.cosCache, v.sinCache, notes.rotaryMemo, why);
    if (!caches)
      return fail(why);
    int64_t rd = 2 * int64_t(caches->invFreq.size());
    int64_t width = type.getShape()[2];
    int64_t heads = view          ? view->kvHeads
                    : v.heads > 0 ? v.heads
                                  : width / (v.rotaryDim ? v.rotaryDim : rd);
    if (heads <= 0 || width % heads)
      return fail("the heads do not divide the hidden size");
    int64_t headDim = width / heads;
    if ((v.rotaryDim ? v.rotaryDim : headDim) != rd || rd > headDim)
      return fail("the rotary dimension does not match the caches");
    if (sessionPositions)
      notes.sessionArguments.insert(v.positions);
    Value rot = createRotary(rewriter, op.getLoc(), flat, *caches, heads,
                             headDim, v.interleaved);
    if (view) {
      // The same head view of the rotated activation.
      auto tr = v.x.template getDefiningOp<onnx::TransposeOp>();
      auto rs = tr.getData().template getDefiningOp<onnx::ReshapeOp>();
      IRMapping map;
      map.map(flat, rot);
      Operation *newRs = rewriter.clone(*rs, map);
      map.map(rs.getResult(), newRs->getResult(0));
      rot = rewriter.clone(*tr, map)->getResult(0);
    }
    rewriter.replaceOp(op, rot);
    return success();
  }
  Notes &notes;
};

} // namespace

void populateRaiseFusedRotaryPatterns(RewritePatternSet &patterns,
                                      Notes &notes) {
  patterns.add<RaiseRotaryEmbedding<onnx::RotaryEmbeddingOp>,
               RaiseRotaryEmbedding<onnx::MSRotaryEmbeddingOp>>(
      patterns.getContext(), notes);
}

} // namespace sieve::raise
