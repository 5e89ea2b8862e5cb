//===- RaiseGroupQueryAttention.cpp - GQA with past/present -> session KV -===//
//
// com.microsoft GroupQueryAttention as onnxruntime-genai exports it: Q, K, V
// [batch, seq, heads * head_dim], past_key_values.* arguments, present.*
// results, seqlens_k and total_sequence_length computed from the
// attention_mask argument, rotary inside the op (do_rotary, cos/sin caches).
//
// The past/present pairs are the KV cache that the sieve-level session
// keeps itself (design.md, "Prefill and decode from one graph"): the raised
// function takes only the token ids and returns only the logits. So this
// step works on the whole function, before the patterns: when every GQA op
// of the function qualifies, each becomes sieve.rotary (Q and K, inv_freq
// recovered from the caches) + sieve.attention (causal), the present
// results leave the function's results, and the past arguments and the
// attention_mask (with the seqlens_k / total_sequence_length computation)
// leave its arguments. What the session assumes instead of attention_mask:
// every position of a row is a real token (no padding inside a row; rows of
// a batch keep their own lengths in the session), which is what seqlens_k =
// sum(mask) - 1 and total = mask width give for a mask of ones.
//
// When one GQA op does not qualify (packed QKV, attention_bias, a local
// window, softcap, position_ids, caches that are not cos/sin of positions x
// inv_freq, a past that is not a function argument, ...), nothing is
// changed and the op is reported; the model still runs at the onnx level.
//
//===----------------------------------------------------------------------===//

#include "Raise.h"

#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/BitVector.h"

#include <cmath>

using namespace mlir;

namespace sieve::raise {
namespace {

using GQA = onnx::MSGroupQueryAttentionOp;

bool isAbsent(Value v) { return isa<NoneType>(v.getType()); }

/// Whether `v` is computed from constants and function arguments in `allowed`
/// only; adds the arguments it reads to `read`.
bool computedFrom(Value v, const llvm::SmallPtrSetImpl<Value> &allowed,
                  DenseSet<Value> &seen, llvm::SmallPtrSetImpl<Value> &read) {
  if (!seen.insert(v).second)
    return true;
  if (isa<BlockArgument>(v)) {
    read.insert(v);
    return allowed.contains(v);
  }
  Operation *def = v.getDefiningOp();
  if (!def || def->getNumRegions())
    return false;
  return llvm::all_of(def->getOperands(), [&](Value o) {
    return computedFrom(o, allowed, seen, read);
  });
}

/// Why `op` cannot map onto sieve ops and the session's cache ("" if it can);
/// sets `caches` for do_rotary and adds the arguments the session stands for
/// (the pasts, the mask) to `stateArgs`.
std::string whyNot(GQA op, func::FuncOp func, RotaryMemo &memo,
                   std::optional<RotaryCaches> &caches,
                   llvm::SmallPtrSetImpl<Value> &stateArgs) {
  if (isAbsent(op.getKey()))
    return "packed QKV is not raised";
  auto type = dyn_cast<RankedTensorType>(op.getQuery().getType());
  if (!type || type.getRank() != 3 || op.getOutput().getType() != type ||
      !isa<FloatType>(type.getElementType()) ||
      ShapedType::isDynamic(type.getShape()[2]))
    return "the query is not a float [batch, seq, heads * head_dim] "
           "activation";
  for (Value v : {op.getPositionIds(), op.getAttentionBias(), op.getHeadSink()})
    if (!isAbsent(v))
      return "position_ids, attention_bias and head_sink must be absent";
  if (!op.getSoftcap().isZero())
    return "softcap is not supported by sieve.attention";
  if (static_cast<int64_t>(op.getLocalWindowSize()) > 0)
    return "a local window is not raised";
  if (op.getSmoothSoftmax().value_or(0) || op.getQkOutput() ||
      !op.getOutputQk().use_empty())
    return "smooth_softmax and output_qk are not supported";
  Block &entry = func.getBody().front();
  Value ids = entry.getArgument(0);
  llvm::SmallPtrSet<Value, 8> pastArgs;
  for (Value past : {op.getPastKey(), op.getPastValue()}) {
    auto arg = dyn_cast<BlockArgument>(past);
    if (!arg || arg.getOwner() != &entry || past == ids || !past.hasOneUse())
      return "past_key/past_value are not function arguments used by this op "
             "only";
    pastArgs.insert(past);
  }
  for (Value present : {op.getPresentKey(), op.getPresentValue()})
    for (Operation *user : present.getUsers())
      if (!isa<func::ReturnOp>(user))
        return "present_key/present_value are used other than as results";
  // seqlens_k and total_sequence_length from the other arguments (the mask).
  llvm::SmallPtrSet<Value, 8> maskArgs;
  for (BlockArgument a : entry.getArguments())
    if (a != ids && !pastArgs.contains(a))
      maskArgs.insert(a);
  DenseSet<Value> seen;
  llvm::SmallPtrSet<Value, 4> read;
  if (!computedFrom(op.getSeqlensK(), maskArgs, seen, read) ||
      !computedFrom(op.getTotalSequenceLength(), maskArgs, seen, read))
    return "seqlens_k/total_sequence_length do not come from an "
           "attention_mask argument";
  if (op.getDoRotary()) {
    std::string why;
    caches = recoverInvFreq(op.getCosCache(), op.getSinCache(), memo, why);
    if (!caches)
      return why;
  }
  stateArgs.insert(pastArgs.begin(), pastArgs.end());
  stateArgs.insert(read.begin(), read.end());
  return "";
}

/// Q, K (rotated when the op rotates) and V -> sieve.attention.
Value createAttention(PatternRewriter &rewriter, GQA op,
                      const std::optional<RotaryCaches> &caches) {
  auto type = cast<RankedTensorType>(op.getQuery().getType());
  int64_t heads = op.getNumHeads(), kvHeads = op.getKvNumHeads();
  int64_t headDim = type.getShape()[2] / heads;
  Value q = op.getQuery(), k = op.getKey();
  if (caches) {
    bool inter = op.getRotaryInterleaved();
    q = createRotary(rewriter, op.getLoc(), q, *caches, heads, headDim, inter);
    k = createRotary(rewriter, op.getLoc(), k, *caches, kvHeads, headDim,
                     inter);
  }
  float scale = op.getScale().convertToFloat();
  if (scale == 0.0f)
    scale = 1.0f / std::sqrt(float(headDim));
  return AttentionOp::create(
      rewriter, op.getLoc(), type, q, k, op.getValue(),
      rewriter.getI64IntegerAttr(heads), rewriter.getI64IntegerAttr(kvHeads),
      rewriter.getI64IntegerAttr(headDim), rewriter.getBoolAttr(true),
      rewriter.getF32FloatAttr(scale), Attribute(), /*kv=*/KVAttr());
}

std::string argName(func::FuncOp func, unsigned i, bool result) {
  auto name = result ? func.getResultAttrOfType<StringAttr>(i, "onnx.name")
                     : func.getArgAttrOfType<StringAttr>(i, "onnx.name");
  return name ? name.str()
              : (result ? "result " : "argument ") + std::to_string(i);
}

} // namespace

void raiseGroupQueryAttention(func::FuncOp func, Notes &notes) {
  if (func.isExternal())
    return;
  SmallVector<GQA> ops;
  func.walk([&](GQA op) { ops.push_back(op); });
  if (ops.empty())
    return;
  SmallVector<std::optional<RotaryCaches>> caches(ops.size());
  llvm::SmallPtrSet<Value, 8> stateArgs;
  bool all = true;
  for (auto [op, c] : llvm::zip(ops, caches)) {
    std::string why = whyNot(op, func, notes.rotaryMemo, c, stateArgs);
    if (!why.empty()) {
      notes.note(op, "GroupQueryAttention: " + why);
      all = false;
    }
  }
  if (!all)
    return;
  PatternRewriter rewriter(func.getContext());
  auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
  llvm::BitVector dropResults(ret.getNumOperands());
  for (auto [op, c] : llvm::zip(ops, caches)) {
    rewriter.setInsertionPoint(op);
    rewriter.replaceAllUsesWith(op.getOutput(),
                                createAttention(rewriter, op, c));
    for (OpOperand &use : ret->getOpOperands())
      if (use.get() == op.getPresentKey() || use.get() == op.getPresentValue())
        dropResults.set(use.getOperandNumber());
  }
  std::string dropped;
  for (unsigned i : dropResults.set_bits())
    dropped += " " + argName(func, i, true);
  SmallVector<Value> kept;
  for (OpOperand &use : ret->getOpOperands())
    if (!dropResults.test(use.getOperandNumber()))
      kept.push_back(use.get());
  ret->setOperands(kept);
  (void)func.eraseResults(dropResults);
  for (GQA op : ops)
    rewriter.eraseOp(op);
  // The mask computation is dead now; then its argument and the pasts are
  // (unless something else still reads the mask).
  IRRewriter ir(func.getContext());
  (void)runRegionDCE(ir, func.getBody());
  Block &entry = func.getBody().front();
  llvm::BitVector dropArgs(entry.getNumArguments());
  for (BlockArgument a : entry.getArguments())
    if (stateArgs.contains(a) && a.use_empty()) {
      dropArgs.set(a.getArgNumber());
      dropped += " " + argName(func, a.getArgNumber(), false);
    }
  (void)func.eraseArguments(dropArgs);
  // At the function's location, without printing the whole function.
  emitRemark(func.getLoc())
      << "sieve-raise: " << ops.size()
      << " GroupQueryAttention ops use the session's KV cache; "
         "dropped from the signature:"
      << dropped;
}

} // namespace sieve::raise
