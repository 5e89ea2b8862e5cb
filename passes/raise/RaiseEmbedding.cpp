//===- RaiseEmbedding.cpp - Gather of a table -> sieve.embedding ----------===//

#include "Raise.h"

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

} // namespace

void populateRaiseEmbeddingPatterns(RewritePatternSet &patterns,
                                    Notes &notes) {
  patterns.add<RaiseEmbedding>(patterns.getContext(), notes);
}

} // namespace sieve::raise
