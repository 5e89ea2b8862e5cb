//===- RaiseFusedAttention.cpp - opset-23 Attention -> sieve.attention ----===//
//
// The opset-23 Attention on 3-D [batch, seq, heads * head_dim] query/key/
// value (q_num_heads / kv_num_heads given), causal (is_causal = 1) and
// nothing else: no attn_mask, no past, no softcap, presents and
// qk_matmul_output unused. The scale defaults to 1 / sqrt(head_dim) as the
// operator defines it.
//
//===----------------------------------------------------------------------===//

#include "Raise.h"

#include <cmath>

using namespace mlir;

namespace sieve::raise {
namespace {

struct RaiseAttentionOp : public OpRewritePattern<onnx::AttentionOp> {
  RaiseAttentionOp(MLIRContext *ctx, Notes &notes)
      : OpRewritePattern(ctx), notes(notes) {}

  LogicalResult matchAndRewrite(onnx::AttentionOp op,
                                PatternRewriter &rewriter) const override {
    auto fail = [&](const Twine &reason) {
      notes.note(op, "Attention: " + reason);
      return failure();
    };
    auto type = dyn_cast<RankedTensorType>(op.getQ().getType());
    if (!type || type.getRank() != 3 || op.getY().getType() != type ||
        !isa<FloatType>(type.getElementType()))
      return fail("Q is not a float [batch, seq, heads * head_dim] "
                  "activation (4-D inputs are not raised)");
    if (!isa<NoneType>(op.getAttnMask().getType()))
      return fail("an attn_mask is given (only the causal mask raises)");
    if (!isa<NoneType>(op.getPastKey().getType()) ||
        !isa<NoneType>(op.getPastValue().getType()))
      return fail("past_key/past_value are given");
    if (!op.getIsCausal())
      return fail("it is not causal");
    if (!op.getSoftcap().isZero())
      return fail("softcap is not supported by sieve.attention");
    for (unsigned i = 1; i < op->getNumResults(); ++i)
      if (!op->getResult(i).use_empty())
        return fail("its presents or qk_matmul_output are used");
    int64_t heads = op.getQNumHeads().value_or(0);
    int64_t kvHeads = op.getKvNumHeads().value_or(0);
    int64_t width = type.getShape()[2];
    if (heads <= 0 || kvHeads <= 0 || ShapedType::isDynamic(width) ||
        width % heads)
      return fail("q_num_heads/kv_num_heads do not give the head size");
    int64_t headDim = width / heads;
    for (Value kv : {op.getK(), op.getV()}) {
      auto t = dyn_cast<RankedTensorType>(kv.getType());
      if (!t || t.getRank() != 3 || t.getShape()[2] != kvHeads * headDim)
        return fail("K/V are not [batch, seq, kv_num_heads * head_dim]");
    }
    float scale = op.getScale() ? op.getScale()->convertToFloat()
                                : 1.0f / std::sqrt(float(headDim));
    auto attn = AttentionOp::create(
        rewriter, op.getLoc(), type, op.getQ(), op.getK(), op.getV(),
        rewriter.getI64IntegerAttr(heads), rewriter.getI64IntegerAttr(kvHeads),
        rewriter.getI64IntegerAttr(headDim), rewriter.getBoolAttr(true),
        rewriter.getF32FloatAttr(scale), Attribute());
    rewriter.replaceAllUsesWith(op.getY(), attn.getResult());
    rewriter.eraseOp(op);
    return success();
  }
  Notes &notes;
};

} // namespace

void populateRaiseFusedAttentionPatterns(RewritePatternSet &patterns,
                                         Notes &notes) {
  patterns.add<RaiseAttentionOp>(patterns.getContext(), notes);
}

} // namespace sieve::raise
