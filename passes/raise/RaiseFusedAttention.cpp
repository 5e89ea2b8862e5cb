//===- RaiseFusedAttention.cpp - opset-23 Attention -> sieve.attention ----===//
//
// The opset-23 Attention on 3-D [batch, seq, heads * head_dim] query/key/
// value (q_num_heads / kv_num_heads given), or on 4-D [batch, heads, seq,
// head_dim] head views of such activations whose result is merged back by
// Transpose + Reshape (torch.onnx's form), causal (is_causal = 1) and
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

/// Attention on flat [batch, seq, heads * head_dim] activations: the
/// operands, the op whose result it replaces, and the ops that die with it
/// (users first).
struct Flat {
  Value q, k, v;
  int64_t heads = 0, kvHeads = 0, headDim = 0;
  Operation *root = nullptr;
  SmallVector<Operation *> dead;
};

/// 3-D Q/K/V with q_num_heads / kv_num_heads: already flat.
std::string flatten3D(onnx::AttentionOp op, Flat &f) {
  auto type = dyn_cast<RankedTensorType>(op.getQ().getType());
  if (!type || type.getRank() != 3 || op.getY().getType() != type ||
      !isa<FloatType>(type.getElementType()))
    return "Q is not a float [batch, seq, heads * head_dim] activation";
  int64_t heads = op.getQNumHeads().value_or(0);
  int64_t kvHeads = op.getKvNumHeads().value_or(0);
  int64_t width = type.getShape()[2];
  if (heads <= 0 || kvHeads <= 0 || ShapedType::isDynamic(width) ||
      width % heads)
    return "q_num_heads/kv_num_heads do not give the head size";
  int64_t headDim = width / heads;
  for (Value kv : {op.getK(), op.getV()}) {
    auto t = dyn_cast<RankedTensorType>(kv.getType());
    if (!t || t.getRank() != 3 || t.getShape()[2] != kvHeads * headDim)
      return "K/V are not [batch, seq, kv_num_heads * head_dim]";
  }
  f = {op.getQ(), op.getK(), op.getV(), heads, kvHeads, headDim, op, {op}};
  return "";
}

/// 4-D [B, H, S, D] Q/K/V that are head views of flat activations, and a
/// result merged back by Transpose([0, 2, 1, 3]) + Reshape to [B, S, H * D].
std::string flatten4D(onnx::AttentionOp op, Flat &f) {
  auto q = matchHeads(op.getQ()), k = matchHeads(op.getK()),
       v = matchHeads(op.getV());
  auto plain = [](const std::optional<HeadsView> &h) {
    return h && h->rank == 4 && !h->transposed && h->rep == 1;
  };
  if (!plain(q) || !plain(k) || !plain(v))
    return "the 4-D Q/K/V are not Transpose(Reshape(flat, [B, S, H, D]), "
           "[0, 2, 1, 3])";
  if (k->kvHeads != v->kvHeads || k->headDim != q->headDim ||
      v->headDim != q->headDim || q->kvHeads % k->kvHeads)
    return "the Q/K/V heads do not agree";
  Value y = op.getY();
  auto tr = y.hasOneUse() ? dyn_cast<onnx::TransposeOp>(*y.getUsers().begin())
                          : onnx::TransposeOp();
  auto perm = tr ? tr.getPermAttr() : DenseI64ArrayAttr();
  auto rs = tr && tr->hasOneUse()
                ? dyn_cast<onnx::ReshapeOp>(*tr->getUsers().begin())
                : onnx::ReshapeOp();
  if (!perm || perm.asArrayRef() != ArrayRef<int64_t>{0, 2, 1, 3} || !rs ||
      rs.getType() != q->flat.getType())
    return "the 4-D result is not merged back by Transpose([0, 2, 1, 3]) + "
           "Reshape to Q's flat shape";
  f = {q->flat,    k->flat,    v->flat, q->kvHeads,
       k->kvHeads, q->headDim, rs,      {rs, tr, op}};
  return "";
}

struct RaiseAttentionOp : public OpRewritePattern<onnx::AttentionOp> {
  RaiseAttentionOp(MLIRContext *ctx, Notes &notes)
      : OpRewritePattern(ctx), notes(notes) {}

  LogicalResult matchAndRewrite(onnx::AttentionOp op,
                                PatternRewriter &rewriter) const override {
    auto fail = [&](const Twine &reason) {
      notes.note(op, "Attention: " + reason);
      return failure();
    };
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
    Flat f;
    std::string why =
        rankOf(op.getQ()) == 4 ? flatten4D(op, f) : flatten3D(op, f);
    if (!why.empty())
      return fail(why);
    float scale = op.getScale() ? op.getScale()->convertToFloat()
                                : 1.0f / std::sqrt(float(f.headDim));
    rewriter.setInsertionPoint(f.root);
    auto attn = AttentionOp::create(
        rewriter, op.getLoc(), f.q.getType(), f.q, f.k, f.v,
        rewriter.getI64IntegerAttr(f.heads),
        rewriter.getI64IntegerAttr(f.kvHeads),
        rewriter.getI64IntegerAttr(f.headDim), rewriter.getBoolAttr(true),
        rewriter.getF32FloatAttr(scale), Attribute(), /*kv=*/KVAttr());
    rewriter.replaceAllUsesWith(f.root->getResult(0), attn.getResult());
    for (Operation *dead : f.dead)
      rewriter.eraseOp(dead);
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
