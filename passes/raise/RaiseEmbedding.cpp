//===- RaiseEmbedding.cpp - Gather of a table -> sieve.embedding ----------===//
//
// Gather(table, ids) -> sieve.embedding; a scalar constant multiplied into
// it (Gemma's sqrt(hidden)) -> its scale; plus Gather(positions table,
// Range(0, seq) positions) added to it (GPT-2) -> sieve.position_embedding.
//
//===----------------------------------------------------------------------===//

#include "Raise.h"

#include <cmath>

using namespace mlir;

namespace sieve::raise {
namespace {

/// Gather(table [vocab, hidden], ids [batch, seq], axis 0) where the ids are
/// a function argument (the token ids; other gathers of constant tables,
/// such as cos/sin caches indexed by positions, are not embeddings).
struct RaiseEmbedding : public OpRewritePattern<onnx::GatherOp> {
  RaiseEmbedding(MLIRContext *ctx, Notes &notes)
      : OpRewritePattern(ctx), notes(notes) {}

  LogicalResult matchAndRewrite(onnx::GatherOp op,
                                PatternRewriter &rewriter) const override {
    Value table = op.getData(), ids = op.getIndices();
    if (!isWeight(table) || rankOf(table) != 2 || rankOf(ids) != 2 ||
        !isa<BlockArgument>(ids))
      return failure();
    auto idsType = cast<RankedTensorType>(ids.getType());
    if (!idsType.getElementType().isInteger(64) &&
        !idsType.getElementType().isInteger(32))
      return failure();
    if (op.getAxis() != 0) {
      notes.note(op, "embedding: Gather of a table along an axis other than 0");
      return failure();
    }
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type || type.getRank() != 3)
      return failure();
    Value weight = makeWeight(rewriter, table);
    rewriter.replaceOpWithNewOp<EmbeddingOp>(op, type, ids, weight,
                                             rewriter.getF32FloatAttr(1.0));
    return success();
  }
  Notes &notes;
};

/// Mul(embedding, c) with a scalar constant c -> the embedding's scale.
struct FoldEmbeddingScale : public OpRewritePattern<onnx::MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx::MulOp op,
                                PatternRewriter &rewriter) const override {
    for (int i = 0; i < 2; ++i) {
      auto emb = op->getOperand(i).getDefiningOp<EmbeddingOp>();
      auto c = getScalarFloat(op->getOperand(1 - i));
      if (!emb || !c || !emb->hasOneUse() || emb.getType() != op.getType() ||
          !std::isfinite(*c))
        continue;
      rewriter.replaceOpWithNewOp<EmbeddingOp>(
          op, emb.getType(), emb.getIds(), emb.getTable(),
          rewriter.getF32FloatAttr(
              static_cast<float>(*c * emb.getScale().convertToDouble())));
      rewriter.eraseOp(emb);
      return success();
    }
    return failure();
  }
};

/// Add(embedding, Gather(table [max_pos, hidden], positions)) with the
/// positions 0..seq-1 (possibly unsqueezed) -> sieve.position_embedding.
struct RaisePositionEmbedding : public OpRewritePattern<onnx::AddOp> {
  RaisePositionEmbedding(MLIRContext *ctx, Notes &notes)
      : OpRewritePattern(ctx), notes(notes) {}

  LogicalResult matchAndRewrite(onnx::AddOp op,
                                PatternRewriter &rewriter) const override {
    for (int i = 0; i < 2; ++i) {
      auto emb = op->getOperand(i).getDefiningOp<EmbeddingOp>();
      auto g = op->getOperand(1 - i).getDefiningOp<onnx::GatherOp>();
      if (!emb || !g || emb.getType() != op.getType() || !isWeight(g.getData()) ||
          rankOf(g.getData()) != 2 || g.getAxis() != 0)
        continue;
      std::string why;
      Value pos = g.getIndices();
      if (!isPositionsAlong(pos, -1, why)) {
        notes.note(op, "position embedding: " + why);
        return failure();
      }
      if (shapeOf(g.getData())[1] != emb.getType().getShape().back()) {
        notes.note(op, "position embedding: the table's width is not the "
                       "hidden size");
        return failure();
      }
      Value table = makeWeight(rewriter, g.getData());
      rewriter.replaceOpWithNewOp<PositionEmbeddingOp>(op, emb.getType(), emb,
                                                       table);
      return success();
    }
    return failure();
  }
  Notes &notes;
};

} // namespace

void populateRaiseEmbeddingPatterns(RewritePatternSet &patterns,
                                    Notes &notes) {
  patterns.add<RaiseEmbedding, RaisePositionEmbedding>(patterns.getContext(),
                                                       notes);
  patterns.add<FoldEmbeddingScale>(patterns.getContext());
}

} // namespace sieve::raise
