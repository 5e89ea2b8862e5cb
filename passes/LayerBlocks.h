//===- LayerBlocks.h - the attention and MLP blocks of a layer --*- C++ -*-===//
//
// Shared by --sieve-skip-layers (which removes layers and blocks) and the
// self-speculative draft (passes/Speculative.cpp, which bypasses them).
//
//===----------------------------------------------------------------------===//
#ifndef SIEVE_PASSES_LAYERBLOCKS_H
#define SIEVE_PASSES_LAYERBLOCKS_H

#include "sieve/Dialect/Sieve/SieveOps.h"

#include <optional>

namespace sieve {

/// What a removal or a bypass names: a whole layer or one of its blocks.
enum class SkipUnit { Layer, Attention, Mlp };

/// `layer` is the decoder layer's index attribute (stable across removals).
struct SkipItem {
  int64_t layer;
  SkipUnit unit;
};

/// "layer" / "attention" / "mlp" (the `block` of `sieve.removed`).
llvm::StringRef skipUnitName(SkipUnit unit);
/// "4", "3.attn" or "3.mlp" (also "3.attention"); error text otherwise.
llvm::FailureOr<SkipItem> parseSkipItem(llvm::StringRef text,
                                        std::string &error);
/// The `sieve.removed` entries of `removed` as items.
llvm::SmallVector<SkipItem> skipItemsOf(mlir::ArrayAttr removed);

/// The residual adds of `layer` (either may be null, see
/// DecoderLayerOp::getResidualAdds) and the residual operand of each.
struct LayerBlocks {
  AddOp attention, mlp;
  mlir::Value attentionResidual, mlpResidual;
};
std::optional<LayerBlocks> getLayerBlocks(DecoderLayerOp layer);

/// The block of `add` that is not the residual: the ops that compute the
/// other operand, stopping at the residual stream.
llvm::SmallVector<mlir::Operation *> blockOps(AddOp add,
                                              mlir::Value residual);

DecoderLayerOp findLayer(ModelOp model, int64_t index);

} // namespace sieve

#endif
