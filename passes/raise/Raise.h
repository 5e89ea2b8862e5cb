//===- Raise.h - shared helpers of the sieve-raise patterns -----*- C++ -*-===//
//
// The raising patterns (one file per construct) and the small matching
// helpers they share: weights (constants, possibly upcast by a Cast), scalar
// constants, the implicit positions, and the head layouts of attention.
//
//===----------------------------------------------------------------------===//
#ifndef SIEVE_PASSES_RAISE_RAISE_H
#define SIEVE_PASSES_RAISE_RAISE_H

#include "sieve/Dialect/ONNX/ONNXOps.h"
#include "sieve/Dialect/Sieve/SieveOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SmallPtrSet.h"

#include <optional>
#include <string>
#include <vector>

namespace sieve::raise {

/// Rotary caches recognized as scaling * cos/sin(p * inv_freq[i]).
struct RotaryCaches {
  std::vector<float> invFreq; ///< rotary_dim / 2 values
  double scaling = 1.0;
};

/// recoverInvFreq's verdicts by the (cos, sin) caches' value attributes
/// (uniqued and immortal in the context): the rotary ops of a model share
/// one pair of caches, which is then checked once.
using RotaryMemo =
    llvm::DenseMap<std::pair<mlir::Attribute, mlir::Attribute>,
                   std::pair<std::optional<RotaryCaches>, std::string>>;

/// Why a construct that was recognized in part did not raise, keyed by its
/// root op. The pass reports the notes of the ops that are still there at
/// the end as remarks; the listener drops notes of erased ops.
struct Notes : public mlir::RewriterBase::Listener {
  llvm::MapVector<mlir::Operation *, std::string> byOp;
  void note(mlir::Operation *op, const llvm::Twine &why) {
    byOp[op] = why.str();
  }
  void notifyOperationErased(mlir::Operation *op) override {
    byOp.erase(op);
  }
  /// Pass-wide too: the rotary cache checks done so far.
  RotaryMemo rotaryMemo;
  /// Function arguments the session stands for (a genai position_ids
  /// argument read by a raised rotary): the pass drops them when nothing
  /// else uses them.
  llvm::SmallPtrSet<mlir::Value, 4> sessionArguments;
};

//===----------------------------------------------------------------------===//
// Matching helpers (RaiseUtils.cpp)
//===----------------------------------------------------------------------===//

/// A float weight: an onnx.Constant, an onnx.Cast widening one (f16/bf16 ->
/// f32, exact), or an existing sieve.weight.
bool isWeight(mlir::Value v);

/// Materializes the weight `v` (see isWeight) as a `sieve.weight` at the
/// rewriter's insertion point. A widening Cast is absorbed: the sieve.weight
/// keeps the stored (narrower) type; sieve ops upcast weights to their
/// activations' type. `reshape` gives the weight a new shape with the same
/// elements (inline or external data only).
mlir::Value makeWeight(mlir::PatternRewriter &rewriter, mlir::Value v,
                       std::optional<llvm::ArrayRef<int64_t>> reshape = {});

/// The value of a scalar (or one-element) float constant.
std::optional<double> getScalarFloat(mlir::Value v);

/// Looks through an onnx.Cast between float types that narrows (f32 ->
/// f16/bf16), as fp16 exports store an fp32 computation: returns its input,
/// or `v` itself when `v` is not such a Cast.
mlir::Value peelNarrowingCast(mlir::Value v);

/// Looks through an onnx.Cast between float types that widens (f16/bf16 ->
/// f32, exact): returns its input, or `v` itself.
mlir::Value peelWideningCast(mlir::Value v);

/// Whether `v` is the positions 0..seq-1 as a [seq] integer tensor:
/// Range(0, seq, 1) where seq is the sequence dimension (dimension 1) of a
/// tensor. Otherwise sets `why`.
bool isPositions(mlir::Value v, std::string &why);

/// Whether `v` (of rank >= 1) is `positions` with unit dimensions inserted,
/// varying along dimension `axis` (negative: from the back) only, possibly
/// Cast to another type. Returns the Range in `range`.
bool isPositionsAlong(mlir::Value v, int64_t axis, std::string &why);

/// A value seen as heads: the flat activation [B, S, kv * D] it comes from
/// and how it is laid out.
struct HeadsView {
  mlir::Value flat;     ///< [batch, seq, kvHeads * headDim]
  int64_t kvHeads = 0;  ///< heads of `flat`
  int64_t headDim = 0;
  int64_t rep = 1;      ///< each head of `flat` repeated rep times (GQA)
  /// [B, H, S, D] (4), [B, kv, rep, S, D] (5) or [B*H, S, D] with B = 1 (3).
  int64_t rank = 4;
  bool transposed = false; ///< S and D swapped
  int64_t heads() const { return kvHeads * rep; }
};

/// Recognizes the head layouts exporters build: Transpose(Reshape(flat,
/// [B, S, H, D]), [0, 2, 1, 3]), GQA repetition by Unsqueeze + Expand +
/// Reshape, and K^T by Transpose (possibly through [B*H, S, D] when B = 1).
std::optional<HeadsView> matchHeads(mlir::Value v);

/// The values of an onnx.Constant: `dense` (floats of any width), or f32
/// data in a `dense_resource` blob (not elided) or an `#onnx.external` file
/// / the bytes of an 8-bit integer (i8, ui8) tensor in any of these forms.
std::optional<std::vector<double>> getConstantFloats(mlir::Value v);
std::optional<std::vector<uint8_t>> getConstantBytes(mlir::Value v);

/// The name of the onnx.Constant defining `v` (its NameLoc), or null.
mlir::StringAttr constantName(mlir::Value v);

/// A sieve.quantized_weight array of `type` holding `bytes`: a reference to
/// the constant `source`'s own external data when `sameBytes` (it holds
/// exactly these bytes) and it is external, else a dense_resource blob
/// `blobName` with a copy.
mlir::Attribute storedArray(mlir::Value source, bool sameBytes,
                            mlir::RankedTensorType type,
                            llvm::ArrayRef<uint8_t> bytes,
                            llvm::StringRef blobName);

/// Static dimensions of a ranked tensor type (kDynamic for dynamic).
llvm::ArrayRef<int64_t> shapeOf(mlir::Value v);
int64_t rankOf(mlir::Value v);

/// Recovers inv_freq and the scaling from constant cos/sin caches
/// [max_position, rotary_dim / 2] and checks every row against them
/// (RaiseFusedRotary.cpp). Otherwise sets `why`. Verdicts are kept in
/// `memo`.
std::optional<RotaryCaches> recoverInvFreq(mlir::Value cosCache,
                                           mlir::Value sinCache,
                                           RotaryMemo &memo, std::string &why);

/// sieve.rotary of `x` [batch, seq, heads * headDim] with `caches`' inv_freq
/// (an inline sieve.weight) and scaling.
mlir::Value createRotary(mlir::PatternRewriter &rewriter, mlir::Location loc,
                         mlir::Value x, const RotaryCaches &caches,
                         int64_t heads, int64_t headDim, bool interleaved);

//===----------------------------------------------------------------------===//
// Pattern sets, applied in this order by the pass
//===----------------------------------------------------------------------===//

/// Before the patterns: GroupQueryAttention ops with past/present onto
/// sieve ops and the session's KV cache, dropping the past/present/mask
/// arguments and results (RaiseGroupQueryAttention.cpp).
void raiseGroupQueryAttention(mlir::func::FuncOp func, Notes &notes);

void populateRaiseNormPatterns(mlir::RewritePatternSet &patterns, Notes &notes);
void populateRaiseFusedNormPatterns(mlir::RewritePatternSet &patterns,
                                    Notes &notes);
void populateRaiseMatMulNBitsPatterns(mlir::RewritePatternSet &patterns,
                                      Notes &notes);
void populateRaiseDequantizeLinearPatterns(mlir::RewritePatternSet &patterns,
                                           Notes &notes);
void populateRaiseFusedRotaryPatterns(mlir::RewritePatternSet &patterns,
                                      Notes &notes);
void populateRaiseFusedAttentionPatterns(mlir::RewritePatternSet &patterns,
                                         Notes &notes);
void populateRaiseEmbeddingPatterns(mlir::RewritePatternSet &patterns,
                                    Notes &notes);
void populateRaiseLinearPatterns(mlir::RewritePatternSet &patterns,
                                 Notes &notes);
void populateRaiseRotaryPatterns(mlir::RewritePatternSet &patterns,
                                 Notes &notes);
void populateRaiseAttentionPatterns(mlir::RewritePatternSet &patterns,
                                    Notes &notes);
void populateRaiseMLPPatterns(mlir::RewritePatternSet &patterns, Notes &notes);
void populateRaiseResidualPatterns(mlir::RewritePatternSet &patterns,
                                   Notes &notes);

/// Groups the raised ops of `func` into decoder layers and a `sieve.model`.
/// Leaves the function unchanged (and returns why) when the structure is
/// incomplete; `why` stays empty when the function has no embedding (it is
/// no model, which is not worth a remark).
mlir::LogicalResult groupIntoModel(mlir::func::FuncOp func,
                                   std::string &why);

} // namespace sieve::raise

#endif // SIEVE_PASSES_RAISE_RAISE_H
