//===- Session.h - CPU reference executor for the sieve level ---*- C++ -*-===//
//
// Runs a `sieve.model` in float32 with a KV cache, at any batch size:
//
//   auto model = SieveModel::open(module, baseDir, threads);   // weights once
//   auto session = Session::create(**model, maxBatch, maxContext);
//   (*session)->prefill(ids /*[B, S] i64*/, lengths, logits /*[B, S, V]*/);
//   (*session)->decode(next /*B ids*/, logits /*[B, V]*/);
//   (*session)->reset();
//
// Each row of a batch has its own length: prefill takes per-row lengths
// (rows shorter than S are padded at the end; their padding positions are
// never read), and decode appends one position to every row at that row's
// own offset. Rotary and learned positions of row b are offset[b] + s.
//
// Every op follows its description in SieveOps.td; values whose IR element
// type is f16/bf16 are rounded to that type when stored (weights are upcast
// exactly). Errors (context full, batch too big, an op or attribute the
// executor does not support) are emitted as MLIR errors and returned as
// failure(), never aborts.
//
//===----------------------------------------------------------------------===//
#ifndef SIEVE_REFERENCE_SESSION_H
#define SIEVE_REFERENCE_SESSION_H

#include "sieve/Reference/Executor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <memory>
#include <vector>

namespace sieve::ref {

/// A loaded `sieve.model`: its weights (memory-mapped or converted to f32 once)
/// and a thread pool. Shared by the sessions created from it.
class SieveModel {
public:
  /// Finds the one `sieve.model` in `module` and loads its weights;
  /// #onnx.external paths resolve against `baseDir`. Emits an error and
  /// returns failure if there is none or loading fails.
  static mlir::FailureOr<std::unique_ptr<SieveModel>>
  open(mlir::ModuleOp module, llvm::StringRef baseDir, int threads);
  ~SieveModel();

  /// Whether `module` holds a `sieve.model` op.
  static bool contains(mlir::ModuleOp module);

  int64_t vocabSize() const;
  int64_t numLayers() const;
  int numThreads() const;
  /// The loaded value of a `sieve.weight` op (float32 for float weights), or
  /// null if `op` is not one of this model's weights.
  const Tensor *weight(mlir::Operation *op) const;
  /// The `sieve.model` op this was opened from.
  mlir::Operation *modelOp() const;

  struct Impl;
  std::unique_ptr<Impl> impl;

private:
  SieveModel();
};

/// Sees the values a Session computes, for calibration (Profile.h). Every
/// callback runs on the session's calling thread, after the value is final.
class SessionObserver {
public:
  virtual ~SessionObserver();
  /// After `op` (of the model body or of a decoder layer; a decoder layer
  /// itself too, with its input and output) computed `result` from
  /// `operands`.
  virtual void afterOp(mlir::Operation *op,
                       llvm::ArrayRef<const Tensor *> operands,
                       const Tensor &result) {}
  /// A value that only exists inside `op`: for sieve.gated_mlp and
  /// sieve.mlp, `what` = "down_input" is the input of the down projection
  /// [batch, seq, intermediate].
  virtual void innerValue(mlir::Operation *op, llvm::StringRef what,
                          const Tensor &value) {}
  /// Attention probabilities of one block of queries of `op`: probs holds
  /// batch * heads * rows rows of `keys` floats, row ((b * heads + h) *
  /// rows + r) for query position start[b] + s0 + r; only keys [0, that
  /// position] are meaningful (the rest are 0).
  struct AttentionProbs {
    int64_t batch, heads, rows, keys, s0;
    const int64_t *start;
    const float *probs;
  };
  virtual void attentionProbs(mlir::Operation *op, const AttentionProbs &p) {}
};

/// A KV cache for every attention of the model (in layer order) and the
/// per-row positions.
class Session {
public:
  static mlir::FailureOr<std::unique_ptr<Session>>
  create(SieveModel &model, int64_t maxBatch, int64_t maxContext);
  ~Session();

  /// Runs ids [B, S] (int64) from position 0 of every row (the session is
  /// reset first). `lengths` (optional, B entries in [1, S]) gives each row's
  /// real length; empty means S for all. `logits` becomes [B, S, V]; rows'
  /// positions past their length hold padding results.
  ///
  /// Run-time policies of the model (docs/token-pruning.md): with a
  /// `token_filter` and a batch-1 prompt longer than its k, the prompt is
  /// scored by the filter pass and only the kept tokens are prefilled (at
  /// positions 0..k-1): `logits` is then [1, kept, V] and keptIndices()
  /// lists them; the session must hold the whole prompt (the filter pass
  /// caches it). With `kv_evict`, rows longer than budget + window are
  /// compacted to budget + window cached positions after the prefill;
  /// length() is then the cached count and decoding continues at the
  /// prompt's position.
  mlir::LogicalResult prefill(const Tensor &ids,
                              llvm::ArrayRef<int64_t> lengths, Tensor &logits);
  /// Appends one token per row (B = the prefill's batch) and returns logits
  /// [B, V].
  mlir::LogicalResult decode(llvm::ArrayRef<int64_t> ids, Tensor &logits);
  /// Appends ids [B, S] (int64, B = the prefill's batch) to every row at
  /// its own offset and returns logits [B, S, V]: a prefill that continues
  /// (self-speculative verification).
  mlir::LogicalResult extend(const Tensor &ids, Tensor &logits);
  /// Forgets the positions >= `length` of row `row` (KV rollback; the
  /// cached values beyond are overwritten by later steps).
  mlir::LogicalResult truncate(int64_t row, int64_t length);
  /// Forgets every cached position.
  void reset();

  /// A draft of the model (self-speculative decoding, docs/speculative.md):
  /// ops in `passThrough` are not run and their result is the value they map
  /// to (a residual add -> its residual operand, a decoder layer -> its
  /// input); ops in `skipped` (what only those ops read) are not run, so a
  /// skipped attention writes no keys and values.
  struct Bypass {
    llvm::DenseMap<mlir::Operation *, mlir::Value> passThrough;
    llvm::DenseSet<mlir::Operation *> skipped;
  };
  /// Later steps run the draft `bypass` (null: the full model). Not owned.
  void setBypass(const Bypass *bypass);
  /// The prompt positions the last prefill kept when the model has a
  /// `token_filter` and the prompt was longer than its k (ascending);
  /// empty when the prefill ran unpruned.
  llvm::ArrayRef<int64_t> keptIndices() const;
  /// Reports the values of every later step to `observer` (null: none).
  /// Not owned; it must outlive the steps it observes.
  void setObserver(SessionObserver *observer);

  int64_t batch() const;
  /// Positions held for row b.
  int64_t length(int64_t b) const;
  int64_t maxContext() const;
  int64_t maxBatch() const;

  struct Impl;

private:
  Session();
  std::unique_ptr<Impl> impl;
};

} // namespace sieve::ref

#endif // SIEVE_REFERENCE_SESSION_H
