//===- Session.cpp - runs a sieve.model with a KV cache -------------------===//
//
// Interprets the body of a `sieve.model` (and of each `sieve.decoder_layer`)
// op by op on [batch, seq, hidden] float32 tensors. Every `sieve.attention`
// owns a KV cache [maxBatch, kvHeads, maxContext, headDim] for keys and for
// values; a step writes its new keys/values at each row's offset and attends
// over the cached positions (causal). GEMMs go through sgemmBatched, the
// attention's two products as one batched GEMM over (row, head).
//
// Quantized IR runs as the GPU runs it: `sieve.quantized_weight` is
// dequantized once from its stored codes and scales (sieve/Quant), a GEMM
// with an fp8 weight first quantizes its activations to E4M3 per token, and
// an attention with `#sieve.kv` stores its keys and values quantized and
// dequantizes the positions it reads.
//
//===----------------------------------------------------------------------===//

#include "Ops.h"
#include "Parallel.h"
#include "VecKernels.h"
#include "sieve/Dialect/ONNX/ONNXDialect.h"
#include "sieve/Dialect/ONNX/ONNXOps.h"
#include "sieve/Dialect/Sieve/SieveOps.h"
#include "sieve/Quant/Quant.h"
#include "sieve/Reference/Session.h"
#include "sieve/Reference/Weights.h"
#include "sieve/Runtime/token_select.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <unistd.h>

using namespace mlir;
using namespace sieve::ref;

//===----------------------------------------------------------------------===//
// The model: weights and structure
//===----------------------------------------------------------------------===//

struct SieveModel::Impl {
  sieve::ModelOp model;
  WeightReader reader{"."};
  ThreadPool pool;
  /// sieve.weight and sieve.quantized_weight values (the latter
  /// dequantized once).
  llvm::DenseMap<Operation *, Tensor> weights;
  /// Quantized weights in fp8: their GEMMs quantize activations per token.
  llvm::DenseSet<Operation *> fp8Weights;
  /// Attention ops in program order; their index is their cache slot.
  std::vector<sieve::AttentionOp> attentions;
  llvm::DenseMap<Operation *, unsigned> cacheSlot;

  Impl(int threads)
      : pool(threads > 0 ? threads
                         : std::max(1u, std::thread::hardware_concurrency())) {}
};

SieveModel::SieveModel() = default;
SieveModel::~SieveModel() = default;

bool SieveModel::contains(ModuleOp module) {
  bool found = false;
  module.walk([&](sieve::ModelOp) {
    found = true;
    return WalkResult::interrupt();
  });
  return found;
}

FailureOr<std::unique_ptr<SieveModel>>
SieveModel::open(ModuleOp module, StringRef baseDir, int threads) {
  SmallVector<sieve::ModelOp> models;
  module.walk([&](sieve::ModelOp m) { models.push_back(m); });
  if (models.size() != 1)
    return module.emitError() << "expected one sieve.model, found "
                              << models.size();
  std::unique_ptr<SieveModel> m(new SieveModel());
  m->impl = std::make_unique<Impl>(threads);
  Impl &I = *m->impl;
  I.model = models[0];
  I.reader = WeightReader(baseDir.empty() ? "." : baseDir.str());
  WalkResult r = I.model.walk([&](Operation *op) {
    if (auto w = dyn_cast<sieve::WeightOp>(op)) {
      FailureOr<Tensor> t = I.reader.load(w);
      if (failed(t))
        return WalkResult::interrupt();
      I.weights[op] = *t;
    } else if (auto q = dyn_cast<sieve::QuantizedWeightOp>(op)) {
      FailureOr<Tensor> t = I.reader.load(q);
      if (failed(t))
        return WalkResult::interrupt();
      I.weights[op] = *t;
      if (q.getFormat().getKind() == sieve::QuantKind::fp8)
        I.fp8Weights.insert(op);
    } else if (auto a = dyn_cast<sieve::AttentionOp>(op)) {
      I.cacheSlot[op] = I.attentions.size();
      I.attentions.push_back(a);
    }
    return WalkResult::advance();
  });
  if (r.wasInterrupted())
    return failure();
  return m;
}

int64_t SieveModel::vocabSize() const {
  return impl->model.getVocabSize();
}
int64_t SieveModel::numLayers() const {
  return impl->model.getLayers().size();
}
int SieveModel::numThreads() const { return impl->pool.size(); }
const Tensor *SieveModel::weight(Operation *op) const {
  auto it = impl->weights.find(op);
  return it == impl->weights.end() ? nullptr : &it->second;
}
Operation *SieveModel::modelOp() const { return impl->model; }

SessionObserver::~SessionObserver() = default;

//===----------------------------------------------------------------------===//
// The session
//===----------------------------------------------------------------------===//

namespace {
struct FreeDeleter {
  void operator()(float *p) const { std::free(p); }
};
struct KV {
  int64_t kvHeads = 0, headDim = 0;
  // Float cache (no #sieve.kv): [maxBatch, kvHeads, maxContext, headDim],
  // zero-initialized.
  std::unique_ptr<float, FreeDeleter> k, v;
  // Quantized cache (#sieve.kv): per (row, head, position) vector, its
  // codes, scales and zero points (sieve/Quant's KV layout).
  sieve::quant::KVFormat format = sieve::quant::KVFormat::None;
  int64_t group = 0, codeBytes = 0, groups = 0;
  struct Stored {
    std::vector<uint8_t> codes, zeros;
    std::vector<float> scales;
  } qk, qv;

  void store(Stored &c, size_t vec, const float *x) {
    sieve::quant::kvQuantize(format, headDim, group, x,
                             c.codes.data() + vec * codeBytes,
                             c.scales.data() + vec * groups,
                             c.zeros.data() + vec * groups);
  }
  /// Copies cached vector `src` of keys and values over vector `dst`
  /// (KV eviction compacting a row).
  void move(size_t dst, size_t src) {
    if (!k) {
      for (Stored *c : {&qk, &qv}) {
        std::memmove(c->codes.data() + dst * codeBytes,
                     c->codes.data() + src * codeBytes, codeBytes);
        std::memmove(c->scales.data() + dst * groups,
                     c->scales.data() + src * groups, groups * sizeof(float));
        std::memmove(c->zeros.data() + dst * groups,
                     c->zeros.data() + src * groups, groups);
      }
      return;
    }
    std::memmove(k.get() + dst * headDim, k.get() + src * headDim,
                 headDim * sizeof(float));
    std::memmove(v.get() + dst * headDim, v.get() + src * headDim,
                 headDim * sizeof(float));
  }
  void load(const Stored &c, size_t vec, float *out) const {
    sieve::quant::kvDequantize(format, headDim, group,
                               c.codes.data() + vec * codeBytes,
                               c.scales.data() + vec * groups,
                               c.zeros.data() + vec * groups, out);
  }
};

/// The cache format of an attention's #sieve.kv (None when absent).
sieve::quant::KVFormat kvFormat(sieve::AttentionOp a) {
  sieve::KVAttr kv = a.getKvAttr();
  if (!kv)
    return sieve::quant::KVFormat::None;
  switch (kv.getKind()) {
  case sieve::QuantKind::int8:
    return sieve::quant::KVFormat::Int8;
  case sieve::QuantKind::fp8:
    return sieve::quant::KVFormat::FP8;
  case sieve::QuantKind::int4:
    return sieve::quant::KVFormat::Int4;
  }
  return sieve::quant::KVFormat::None;
}

/// One step: B rows of S positions, row b written at cache offset start[b]
/// and at position pos[b] (rotary, learned positions); the two differ once
/// KV eviction has dropped cached positions.
struct Step {
  int64_t B = 0, S = 0;
  std::vector<int64_t> start, pos;
};
} // namespace

struct Session::Impl {
  SieveModel::Impl &M;
  // SIEVE_REF_PROFILE=1: wall seconds per op kind, printed at destruction.
  bool profile = std::getenv("SIEVE_REF_PROFILE") != nullptr;
  llvm::StringMap<std::pair<double, int64_t>> opTimes;
  ~Impl() {
    if (!profile)
      return;
    std::vector<std::pair<double, std::string>> rows;
    for (auto &e : opTimes)
      rows.push_back({e.second.first, e.getKey().str() + " x" +
                                          std::to_string(e.second.second)});
    std::sort(rows.rbegin(), rows.rend());
    for (auto &r : rows)
      llvm::errs() << llvm::format("%8.3f s  ", r.first) << r.second << "\n";
  }
  int64_t maxBatch, maxCtx;
  int64_t curBatch = 0;
  std::vector<int64_t> lengths;   // per row: cached positions
  std::vector<int64_t> positions; // per row: the next token's position
  std::vector<KV> caches;
  SessionObserver *observer = nullptr;
  const Session::Bypass *bypass = nullptr;
  // The model's run-time policies (null when absent).
  sieve::TokenFilterAttr filter;
  sieve::KVEvictAttr evict;
  std::vector<int64_t> kept; // the last prefill's kept prompt indices
  // The filter pass: set while it runs; the attention of the decoder layer
  // `filter.getLayer()` scores into `filterScores` and halts the step.
  bool filtering = false, halted = false;
  int64_t filterLayerNow = -1; // index of the decoder layer being run
  std::vector<double> filterScores;
  // KV eviction: per cache slot, attention probabilities summed onto each
  // cached [row, KV head, position] (laid out as the cache, compacted with
  // it): SnapKV adds the prefill's last `window` queries, H2O every query
  // of every step. `collecting` says whether this step adds.
  std::vector<std::vector<float>> mass;
  bool collecting = false;
  std::vector<int64_t> windowLengths; // the prefill's row lengths

  Impl(SieveModel::Impl &m, int64_t maxBatch, int64_t maxCtx)
      : M(m), maxBatch(maxBatch), maxCtx(maxCtx) {}

  LogicalResult step(const Step &st, const Tensor &ids, Tensor &logits);
  LogicalResult prefillRows(const Tensor &ids, ArrayRef<int64_t> lengths,
                            Tensor &logits);
  FailureOr<std::vector<int64_t>> selectTokens(const Tensor &ids);
  void scoreFilterRows(sieve::AttentionOp op, const Tensor &q,
                       const Tensor &k, int64_t S);
  void collectMass(sieve::AttentionOp op, const float *probs, int64_t rows,
                   int64_t keys, int64_t s0, const Step &st);
  void evictCaches();
  LogicalResult runBlock(Block &block, ArrayRef<Tensor> args,
                         std::vector<Tensor> &results, const Step &st);
  LogicalResult runOp(Operation *op, ArrayRef<const Tensor *> in, Tensor &out,
                      const Step &st);
  LogicalResult attention(sieve::AttentionOp op, const Tensor &q,
                          const Tensor &k, const Tensor &v, Tensor &out,
                          const Step &st);
};

Session::Session() = default;
Session::~Session() = default;
int64_t Session::batch() const { return impl->curBatch; }
int64_t Session::length(int64_t b) const { return impl->lengths[b]; }
int64_t Session::maxContext() const { return impl->maxCtx; }
int64_t Session::maxBatch() const { return impl->maxBatch; }

FailureOr<std::unique_ptr<Session>>
Session::create(SieveModel &model, int64_t maxBatch, int64_t maxContext) {
  SieveModel::Impl &M = *model.impl;
  if (maxBatch < 1 || maxContext < 1)
    return M.model.emitError() << "a session needs max batch >= 1 and max "
                                  "context >= 1, got "
                               << maxBatch << " and " << maxContext;
  std::unique_ptr<Session> s(new Session());
  s->impl = std::make_unique<Impl>(M, maxBatch, maxContext);
  for (sieve::AttentionOp a : M.attentions) {
    if (!isa<sieve::DenseAttr>(a.getSparsityOrDense()))
      return a.emitError() << "the CPU reference runs only #sieve.dense "
                              "attention, not "
                           << a.getSparsityOrDense();
    if (!a.getCausal())
      return a.emitError() << "non-causal attention cannot run with a KV "
                              "cache (a later position would change earlier "
                              "outputs)";
    KV kv;
    kv.kvHeads = a.getNumKvHeads();
    kv.headDim = a.getHeadDim();
    if (kv.kvHeads < 1 || kv.headDim < 1 || a.getNumHeads() % kv.kvHeads)
      return a.emitError() << "bad head counts";
    kv.format = kvFormat(a);
    size_t vectors = size_t(maxBatch) * kv.kvHeads * maxContext;
    if (kv.format == sieve::quant::KVFormat::None) {
      size_t n = vectors * kv.headDim;
      kv.k.reset(static_cast<float *>(std::calloc(n, sizeof(float))));
      kv.v.reset(static_cast<float *>(std::calloc(n, sizeof(float))));
      if (!kv.k || !kv.v)
        return a.emitError() << "cannot allocate a KV cache of 2 x " << n
                             << " floats";
    } else {
      kv.group = a.getKvAttr().getGroup();
      if (kv.format == sieve::quant::KVFormat::Int4 &&
          (kv.group < 1 || kv.headDim % kv.group))
        return a.emitError() << "KV group " << kv.group
                             << " does not divide head_dim " << kv.headDim;
      kv.codeBytes = sieve::quant::kvCodeBytes(kv.format, kv.headDim);
      kv.groups = sieve::quant::kvGroups(kv.format, kv.headDim, kv.group);
      for (KV::Stored *c : {&kv.qk, &kv.qv}) {
        c->codes.assign(vectors * kv.codeBytes, 0);
        c->scales.assign(vectors * kv.groups, 0.0f);
        c->zeros.assign(vectors * kv.groups, 0);
      }
    }
    s->impl->caches.push_back(std::move(kv));
  }
  s->impl->lengths.assign(maxBatch, 0);
  s->impl->positions.assign(maxBatch, 0);
  s->impl->filter = M.model.getTokenFilterAttr();
  s->impl->evict = M.model.getKvEvictAttr();
  return s;
}

void Session::setObserver(SessionObserver *observer) {
  impl->observer = observer;
}

void Session::setBypass(const Bypass *b) { impl->bypass = b; }

LogicalResult Session::truncate(int64_t row, int64_t length) {
  Impl &I = *impl;
  if (row < 0 || row >= I.curBatch)
    return I.M.model.emitError() << "truncate: row " << row
                                 << " is not one of the " << I.curBatch
                                 << " rows of the last prefill";
  if (length < 0 || length > I.lengths[row])
    return I.M.model.emitError() << "truncate: row " << row << " holds "
                                 << I.lengths[row] << " positions, cannot "
                                 << "keep " << length;
  // Positions run ahead of cache offsets by what KV eviction dropped.
  I.positions[row] -= I.lengths[row] - length;
  I.lengths[row] = length;
  return success();
}

LogicalResult Session::extend(const Tensor &ids, Tensor &logits) {
  Impl &I = *impl;
  if (I.curBatch == 0)
    return I.M.model.emitError() << "extend before prefill";
  if (ids.storage != Storage::I64 || ids.shape.size() != 2 ||
      ids.shape[0] != I.curBatch || ids.shape[1] < 1)
    return I.M.model.emitError() << "extend takes int64 ids [" << I.curBatch
                                 << ", seq >= 1]";
  int64_t B = I.curBatch, S = ids.shape[1];
  for (int64_t b = 0; b < B; ++b)
    if (I.lengths[b] + S > I.maxCtx)
      return I.M.model.emitError()
             << "context full: row " << b << " holds " << I.lengths[b]
             << " of " << I.maxCtx << " positions, " << S << " more asked";
  Step st;
  st.B = B;
  st.S = S;
  st.start.assign(I.lengths.begin(), I.lengths.begin() + B);
  st.pos.assign(I.positions.begin(), I.positions.begin() + B);
  if (failed(I.step(st, ids, logits)))
    return failure();
  for (int64_t b = 0; b < B; ++b) {
    I.lengths[b] += S;
    I.positions[b] += S;
  }
  return success();
}

void Session::reset() {
  impl->curBatch = 0;
  std::fill(impl->lengths.begin(), impl->lengths.end(), 0);
  std::fill(impl->positions.begin(), impl->positions.end(), 0);
  impl->kept.clear();
}

ArrayRef<int64_t> Session::keptIndices() const { return impl->kept; }

LogicalResult Session::prefill(const Tensor &ids, ArrayRef<int64_t> lengths,
                               Tensor &logits) {
  Impl &I = *impl;
  reset();
  if (ids.storage != Storage::I64 || ids.shape.size() != 2)
    return I.M.model.emitError() << "prefill takes int64 ids [batch, seq]";
  int64_t B = ids.shape[0], S = ids.shape[1];
  if (B < 1 || S < 1)
    return I.M.model.emitError() << "prefill needs at least one token";
  if (B > I.maxBatch)
    return I.M.model.emitError() << "batch " << B
                                 << " exceeds the session's max batch "
                                 << I.maxBatch;
  if (S > I.maxCtx)
    return I.M.model.emitError()
           << "context full: the prompt has " << S
           << " positions, the session holds " << I.maxCtx;
  if (!lengths.empty() && int64_t(lengths.size()) != B)
    return I.M.model.emitError() << "prefill: " << lengths.size()
                                 << " lengths for " << B << " rows";
  for (int64_t l : lengths)
    if (l < 1 || l > S)
      return I.M.model.emitError() << "prefill: row length " << l
                                   << " outside [1, " << S << "]";
  int64_t promptLength = lengths.empty() ? S : lengths[0];
  if (I.filter && promptLength > I.filter.getK()) {
    if (B != 1)
      return I.M.model.emitError()
             << "the token filter prunes one prompt at a time, got a batch "
                "of "
             << B;
    Tensor prompt = Tensor::i64({1, promptLength}); // without padding
    std::copy(ids.i(), ids.i() + promptLength, prompt.i());
    FailureOr<std::vector<int64_t>> kept = I.selectTokens(prompt);
    if (failed(kept))
      return failure();
    int64_t K = kept->size();
    Tensor gathered = Tensor::i64({1, K});
    for (int64_t i = 0; i < K; ++i)
      gathered.i()[i] = ids.i()[(*kept)[i]];
    if (failed(I.prefillRows(gathered, {}, logits)))
      return failure();
    I.kept = std::move(*kept);
    return success();
  }
  return I.prefillRows(ids, lengths, logits);
}

LogicalResult Session::Impl::prefillRows(const Tensor &ids,
                                         ArrayRef<int64_t> rowLengths,
                                         Tensor &logits) {
  int64_t B = ids.shape[0], S = ids.shape[1];
  Step st;
  st.B = B;
  st.S = S;
  st.start.assign(B, 0);
  st.pos.assign(B, 0);
  windowLengths.assign(B, S);
  if (!rowLengths.empty())
    windowLengths.assign(rowLengths.begin(), rowLengths.end());
  if (evict) {
    mass.resize(caches.size());
    for (auto [slot, kv] : llvm::enumerate(caches))
      mass[slot].assign(size_t(maxBatch) * kv.kvHeads * maxCtx, 0.0f);
  }
  collecting = bool(evict);
  LogicalResult ran = step(st, ids, logits);
  collecting = false;
  if (failed(ran))
    return failure();
  curBatch = B;
  for (int64_t b = 0; b < B; ++b)
    lengths[b] = positions[b] = windowLengths[b];
  if (evict)
    evictCaches();
  return success();
}

LogicalResult Session::decode(ArrayRef<int64_t> ids, Tensor &logits) {
  Impl &I = *impl;
  if (I.curBatch == 0)
    return I.M.model.emitError() << "decode before prefill";
  int64_t B = I.curBatch;
  if (int64_t(ids.size()) != B)
    return I.M.model.emitError() << "decode takes one id per row (" << B
                                 << "), got " << ids.size();
  for (int64_t b = 0; b < B; ++b)
    if (I.lengths[b] + 1 > I.maxCtx)
      return I.M.model.emitError()
             << "context full: row " << b << " holds " << I.lengths[b]
             << " of " << I.maxCtx << " positions";
  Tensor in = Tensor::i64({B, 1});
  std::copy(ids.begin(), ids.end(), in.i());
  Step st;
  st.B = B;
  st.S = 1;
  st.start.assign(I.lengths.begin(), I.lengths.begin() + B);
  st.pos.assign(I.positions.begin(), I.positions.begin() + B);
  Tensor out;
  // H2O accumulates every decode step's attention and evicts after it.
  bool h2o = I.evict && I.evict.getMethod() == "h2o";
  I.collecting = h2o;
  LogicalResult ran = I.step(st, in, out);
  I.collecting = false;
  if (failed(ran))
    return failure();
  int64_t V = out.shape.back();
  logits = out;
  logits.shape = {B, V};
  for (int64_t b = 0; b < B; ++b) {
    ++I.lengths[b];
    ++I.positions[b];
  }
  if (h2o)
    I.evictCaches();
  return success();
}

LogicalResult Session::Impl::step(const Step &st, const Tensor &ids,
                                  Tensor &logits) {
  Block &body = M.model.getBody().front();
  std::vector<Tensor> results;
  if (failed(runBlock(body, {ids}, results, st)))
    return failure();
  if (results.size() != 1 || results[0].storage != Storage::F32 ||
      results[0].shape.size() != 3)
    return M.model.emitError() << "the model body did not produce logits "
                                  "[batch, seq, vocab]";
  logits = results[0];
  return success();
}

LogicalResult Session::Impl::runBlock(Block &block, ArrayRef<Tensor> args,
                                      std::vector<Tensor> &results,
                                      const Step &st) {
  llvm::DenseMap<Value, Tensor> values;
  for (auto [arg, t] : llvm::zip(block.getArguments(), args))
    values[arg] = t;
  std::vector<const Tensor *> in;
  for (Operation &op : block) {
    in.clear();
    // The draft: passed-through ops forward a value, skipped ops vanish.
    if (bypass) {
      if (bypass->skipped.contains(&op))
        continue;
      if (auto it = bypass->passThrough.find(&op);
          it != bypass->passThrough.end()) {
        auto v = values.find(it->second);
        if (v == values.end())
          return op.emitError() << "draft bypass: the value it forwards is "
                                   "not computed";
        Tensor forwarded = v->second;
        values[op.getResult(0)] = std::move(forwarded);
        continue;
      }
    }
    for (Value v : op.getOperands()) {
      auto it = values.find(v);
      if (it == values.end())
        return op.emitError() << "operand not computed (defined outside the "
                                 "block?)";
      in.push_back(&it->second);
    }
    if (isa<sieve::OutputOp, sieve::YieldOp>(op)) {
      results.clear();
      for (const Tensor *t : in)
        results.push_back(*t);
      return success();
    }
    if (auto split = dyn_cast<sieve::SplitOp>(op)) {
      // Consecutive pieces of the last axis.
      const Tensor &x = *in[0];
      int64_t W = x.shape.back(), rows = x.numel() / W, offset = 0;
      ArrayRef<int64_t> sizes = split.getSizes();
      if (sizes.size() != op.getNumResults())
        return op.emitError() << "split sizes do not match its results";
      for (auto [r, size] : llvm::enumerate(sizes)) {
        if (size < 0 || offset + size > W)
          return op.emitError() << "split sizes exceed the last axis " << W;
        std::vector<int64_t> shape = x.shape;
        shape.back() = size;
        Tensor piece = Tensor::f32(shape);
        for (int64_t row = 0; row < rows; ++row)
          std::memcpy(piece.f() + row * size, x.f() + row * W + offset,
                      size * sizeof(float));
        offset += size;
        values[op.getResult(r)] = piece;
      }
      continue;
    }
    if (op.getNumResults() != 1)
      return op.emitError() << "the sieve-level CPU reference does not "
                               "support '"
                            << op.getName() << "'";
    Tensor out;
    auto t0 = std::chrono::steady_clock::now();
    if (failed(runOp(&op, in, out, st)))
      return failure();
    if (halted) // the filter pass has its scores: skip the rest
      return success();
    if (profile && !isa<sieve::DecoderLayerOp>(op)) {
      auto &e = opTimes[op.getName().getStringRef()];
      e.first += std::chrono::duration<double>(
                     std::chrono::steady_clock::now() - t0)
                     .count();
      ++e.second;
    }
    // Round to the stored type (weights are exact already).
    if (!isa<sieve::WeightOp>(op)) {
      Type et = cast<ShapedType>(op.getResult(0).getType()).getElementType();
      float (*round)(float) = et.isF16()    ? roundToF16
                              : et.isBF16() ? roundToBF16
                                            : nullptr;
      if (round && out.storage == Storage::F32) {
        float *p = out.f();
        for (int64_t i = 0, n = out.numel(); i < n; ++i)
          p[i] = round(p[i]);
      }
    }
    if (observer)
      observer->afterOp(&op, in, out);
    values[op.getResult(0)] = std::move(out);
  }
  return block.getParentOp()->emitError() << "block has no terminator";
}

//===----------------------------------------------------------------------===//
// Op implementations
//===----------------------------------------------------------------------===//

namespace {

/// y[M, N] = x[M, K] @ w (w is [K, N], or [N, K] when transposed).
Tensor matmul(ThreadPool &pool, const Tensor &x, const Tensor &w,
              bool transposed) {
  int64_t K = x.shape.back(), M = x.numel() / K;
  int64_t N = transposed ? w.shape[0] : w.shape[1];
  std::vector<int64_t> shape(x.shape.begin(), x.shape.end() - 1);
  shape.push_back(N);
  Tensor y = Tensor::f32(shape);
  int64_t zero = 0;
  sgemmBatched(pool, 1, M, N, K, x.f(), &zero, K, 1, w.f(), &zero,
               transposed ? 1 : N, transposed ? K : 1, y.f(), &zero, N);
  return y;
}

void addBias(ThreadPool &pool, Tensor &y, const Tensor *bias) {
  if (!bias)
    return;
  int64_t N = y.shape.back(), rows = y.numel() / N;
  float *p = y.f();
  const float *b = bias->f();
  parallelRange(pool, rows, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      for (int64_t n = 0; n < N; ++n)
        p[r * N + n] += b[n];
  });
}

float activate(sieve::Activation act, float x) {
  switch (act) {
  case sieve::Activation::silu:
    return x * (1.0f / (1.0f + std::exp(-x)));
  case sieve::Activation::gelu:
    return 0.5f * x * (1.0f + std::erf(x * 0.7071067811865476f));
  case sieve::Activation::gelu_tanh:
    return 0.5f * x *
           (1.0f + std::tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
  case sieve::Activation::relu:
    return x < 0.0f ? 0.0f : x;
  }
  return x;
}

bool isFloat(const Tensor *t) { return t && t->storage == Storage::F32; }

/// row[0, n) = softmax(row[0, n)) in float32.
void softmaxRow(float *row, int64_t n, bool vec) {
#ifdef SIEVE_HAVE_AVX2_KERNEL
  if (vec) {
    sieve_softmax_row_avx2(row, row, n);
    return;
  }
#endif
  float mx = -INFINITY;
  for (int64_t j = 0; j < n; ++j)
    mx = std::max(mx, row[j]);
  float sum = 0.0f;
  for (int64_t j = 0; j < n; ++j) {
    row[j] = std::exp(row[j] - mx);
    sum += row[j];
  }
  for (int64_t j = 0; j < n; ++j)
    row[j] /= sum;
}

} // namespace

LogicalResult Session::Impl::runOp(Operation *op, ArrayRef<const Tensor *> in,
                                   Tensor &out, const Step &st) {
  ThreadPool &pool = M.pool;
  for (auto [i, t] : llvm::enumerate(in)) {
    Type et = mlir::getElementTypeOrSelf(op->getOperand(i).getType());
    if (isa<FloatType>(et) && !isFloat(t))
      return op->emitError() << "operand " << i << " is not float";
  }
  auto hiddenCheck = [&](const Tensor &x) -> LogicalResult {
    if (x.shape.size() != 3 || x.shape[0] != st.B || x.shape[1] != st.S)
      return op->emitError() << "expected a [batch, seq, hidden] input";
    return success();
  };

  if (isa<sieve::WeightOp, sieve::QuantizedWeightOp>(op)) {
    out = M.weights.lookup(op);
    return success();
  }
  // What a GEMM with weight `w` reads of activations x: x itself, or for an
  // fp8 weight x quantized to E4M3 per token (dynamic scale amax / 448), as
  // the FP8 GEMM computes it (then accumulates in f32).
  auto gemmInput = [&](Value w, const Tensor &x) -> Tensor {
    Operation *def = w.getDefiningOp();
    if (!def || !M.fp8Weights.contains(def))
      return x;
    Tensor q = Tensor::f32(x.shape);
    std::memcpy(q.f(), x.f(), x.numel() * sizeof(float));
    int64_t cols = x.shape.back();
    sieve::quant::fp8QuantizeRows(q.f(), x.numel() / cols, cols);
    return q;
  };
  if (auto e = dyn_cast<sieve::EmbeddingOp>(op)) {
    const Tensor &ids = *in[0], &table = *in[1];
    if (ids.storage != Storage::I64 || table.shape.size() != 2)
      return op->emitError() << "embedding needs int ids and a 2-d table";
    int64_t V = table.shape[0], H = table.shape[1], n = ids.numel();
    float scale = e.getScale().convertToFloat();
    out = Tensor::f32({st.B, st.S, H});
    for (int64_t i = 0; i < n; ++i) {
      int64_t id = ids.i()[i];
      if (id < 0 || id >= V)
        return op->emitError() << "token id " << id << " outside [0, " << V
                               << ")";
      const float *src = table.f() + id * H;
      float *dst = out.f() + i * H;
      if (scale == 1.0f)
        std::memcpy(dst, src, H * sizeof(float));
      else
        for (int64_t h = 0; h < H; ++h)
          dst[h] = src[h] * scale;
    }
    return success();
  }
  if (isa<sieve::PositionEmbeddingOp>(op)) {
    const Tensor &x = *in[0], &table = *in[1];
    if (failed(hiddenCheck(x)))
      return failure();
    int64_t H = x.shape[2], P = table.shape[0];
    out = Tensor::f32(x.shape);
    for (int64_t b = 0; b < st.B; ++b)
      for (int64_t s = 0; s < st.S; ++s) {
        int64_t pos = st.pos[b] + s;
        if (pos >= P)
          return op->emitError() << "position " << pos
                                 << " beyond the learned table's " << P
                                 << " positions";
        const float *px = x.f() + (b * st.S + s) * H, *pt = table.f() + pos * H;
        float *po = out.f() + (b * st.S + s) * H;
        for (int64_t h = 0; h < H; ++h)
          po[h] = px[h] + pt[h];
      }
    return success();
  }
  if (auto n = dyn_cast<sieve::RMSNormOp>(op)) {
    const Tensor &x = *in[0], &w = *in[1];
    int64_t H = x.shape.back(), rows = x.numel() / H;
    if (w.numel() != H)
      return op->emitError() << "norm weight size mismatch";
    float eps = n.getEpsilon().convertToFloat();
    float off = n.getWeightOffset().convertToFloat();
    out = Tensor::f32(x.shape);
    parallelRange(pool, rows, 16, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float *px = x.f() + r * H;
        float *po = out.f() + r * H;
        double sum = 0;
        for (int64_t h = 0; h < H; ++h)
          sum += double(px[h] * px[h]);
        float mean = float(sum / double(H));
        float inv = 1.0f / std::sqrt(mean + eps);
        for (int64_t h = 0; h < H; ++h)
          po[h] = (px[h] * inv) * (off == 0.0f ? w.f()[h] : w.f()[h] + off);
      }
    });
    return success();
  }
  if (auto n = dyn_cast<sieve::LayerNormOp>(op)) {
    const Tensor &x = *in[0], &w = *in[1];
    const Tensor *bias = in.size() > 2 ? in[2] : nullptr;
    int64_t H = x.shape.back(), rows = x.numel() / H;
    float eps = n.getEpsilon().convertToFloat();
    out = Tensor::f32(x.shape);
    parallelRange(pool, rows, 16, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const float *px = x.f() + r * H;
        float *po = out.f() + r * H;
        double sum = 0;
        for (int64_t h = 0; h < H; ++h)
          sum += px[h];
        float mean = float(sum / double(H));
        double var = 0;
        for (int64_t h = 0; h < H; ++h)
          var += double((px[h] - mean) * (px[h] - mean));
        float inv = 1.0f / std::sqrt(float(var / double(H)) + eps);
        for (int64_t h = 0; h < H; ++h) {
          float y = (px[h] - mean) * inv * w.f()[h];
          po[h] = bias ? y + bias->f()[h] : y;
        }
      }
    });
    return success();
  }
  if (isa<sieve::LinearOp>(op)) {
    if (in[1]->shape.size() != 2 || in[1]->shape[0] != in[0]->shape.back())
      return op->emitError() << "linear weight shape mismatch";
    out = matmul(pool, gemmInput(op->getOperand(1), *in[0]), *in[1], false);
    addBias(pool, out, in.size() > 2 ? in[2] : nullptr);
    return success();
  }
  if (auto h = dyn_cast<sieve::LMHeadOp>(op)) {
    bool tr = h.getTransposed();
    const Tensor &w = *in[1];
    if (w.shape.size() != 2 || w.shape[tr ? 1 : 0] != in[0]->shape.back())
      return op->emitError() << "lm_head weight shape mismatch";
    out = matmul(pool, gemmInput(h.getWeight(), *in[0]), w, tr);
    addBias(pool, out, in.size() > 2 ? in[2] : nullptr);
    return success();
  }
  if (auto r = dyn_cast<sieve::RotaryOp>(op)) {
    const Tensor &x = *in[0], &invFreq = *in[1];
    if (failed(hiddenCheck(x)))
      return failure();
    int64_t heads = r.getNumHeads(), D = r.getHeadDim(),
            rd = r.getRotaryDim(), half = rd / 2;
    if (x.shape[2] != heads * D || rd > D || rd % 2 ||
        invFreq.numel() < half)
      return op->emitError() << "rotary shapes do not fit";
    bool interleaved = r.getStyle() == sieve::RotaryStyle::interleaved;
    float scaling = r.getAttentionScaling().convertToFloat();
    out = Tensor::f32(x.shape);
    int64_t rows = st.B * st.S;
    parallelRange(pool, rows, 4, [&](int64_t r0, int64_t r1) {
      std::vector<float> cs(half), sn(half);
      for (int64_t row = r0; row < r1; ++row) {
        int64_t b = row / st.S, s = row % st.S;
        // As the exported graphs compute it: float(position) * inv_freq in
        // float32, then cos / sin, then the attention scaling.
        float pos = float(st.pos[b] + s);
        for (int64_t i = 0; i < half; ++i) {
          float angle = pos * invFreq.f()[i];
          cs[i] = std::cos(angle) * scaling;
          sn[i] = std::sin(angle) * scaling;
        }
        for (int64_t hd = 0; hd < heads; ++hd) {
          const float *px = x.f() + row * heads * D + hd * D;
          float *po = out.f() + row * heads * D + hd * D;
          for (int64_t i = 0; i < half; ++i) {
            int64_t a = interleaved ? 2 * i : i;
            int64_t c = interleaved ? 2 * i + 1 : i + half;
            float xa = px[a], xc = px[c];
            po[a] = xa * cs[i] + (-xc) * sn[i];
            po[c] = xc * cs[i] + xa * sn[i];
          }
          for (int64_t d = rd; d < D; ++d)
            po[d] = px[d];
        }
      }
    });
    return success();
  }
  if (auto a = dyn_cast<sieve::AttentionOp>(op)) {
    for (int i = 0; i < 3; ++i)
      if (failed(hiddenCheck(*in[i])))
        return failure();
    if (filtering && filterLayerNow == filter.getLayer()) {
      scoreFilterRows(a, *in[0], *in[1], st.S);
      halted = true;
      return success();
    }
    return attention(a, *in[0], *in[1], *in[2], out, st);
  }
  if (auto g = dyn_cast<sieve::GatedMLPOp>(op)) {
    const Tensor &x = *in[0];
    if (in[1]->shape.size() != 2 || in[1]->shape[0] != x.shape.back() ||
        in[2]->shape != in[1]->shape || in[3]->shape.size() != 2 ||
        in[3]->shape[0] != in[1]->shape[1])
      return op->emitError() << "gated_mlp weight shapes do not fit";
    Tensor gate = matmul(pool, gemmInput(g.getGate(), x), *in[1], false);
    Tensor up = matmul(pool, gemmInput(g.getUp(), x), *in[2], false);
    sieve::Activation act = g.getActivation();
    float *pg = gate.f();
    const float *pu = up.f();
    bool vec = act == sieve::Activation::silu && useVectorKernels();
    parallelRange(pool, gate.numel(), 4096, [&](int64_t i0, int64_t i1) {
#ifdef SIEVE_HAVE_AVX2_KERNEL
      if (vec) {
        // x * sigmoid(x) with the vectorized sigmoid the onnx level uses.
        constexpr int64_t C = 1024;
        float sig[C];
        for (int64_t c = i0; c < i1; c += C) {
          int64_t n = std::min(C, i1 - c);
          sieve_sigmoid_avx2(pg + c, sig, n);
          for (int64_t i = 0; i < n; ++i)
            pg[c + i] = (pg[c + i] * sig[i]) * pu[c + i];
        }
        return;
      }
#endif
      for (int64_t i = i0; i < i1; ++i)
        pg[i] = activate(act, pg[i]) * pu[i];
    });
    if (observer)
      observer->innerValue(op, "down_input", gate);
    out = matmul(pool, gemmInput(g.getDown(), gate), *in[3], false);
    return success();
  }
  if (auto g = dyn_cast<sieve::GLUOp>(op)) {
    if (in[0]->shape != in[1]->shape)
      return op->emitError() << "glu of different shapes";
    out = Tensor::f32(in[0]->shape);
    sieve::Activation act = g.getActivation();
    const float *pg = in[0]->f(), *pu = in[1]->f();
    float *po = out.f();
    parallelRange(pool, out.numel(), 4096, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i)
        po[i] = activate(act, pg[i]) * pu[i];
    });
    return success();
  }
  if (auto m = dyn_cast<sieve::MLPOp>(op)) {
    const Tensor &x = *in[0];
    const Tensor *up = in[1], *upBias = nullptr, *down, *downBias = nullptr;
    unsigned i = 2;
    if (m.getUpBias())
      upBias = in[i++];
    down = in[i++];
    if (m.getDownBias())
      downBias = in[i++];
    if (up->shape.size() != 2 || up->shape[0] != x.shape.back() ||
        down->shape.size() != 2 || down->shape[0] != up->shape[1])
      return op->emitError() << "mlp weight shapes do not fit";
    Tensor h = matmul(pool, gemmInput(m.getUp(), x), *up, false);
    addBias(pool, h, upBias);
    sieve::Activation act = m.getActivation();
    float *ph = h.f();
    parallelRange(pool, h.numel(), 4096, [&](int64_t i0, int64_t i1) {
      for (int64_t k = i0; k < i1; ++k)
        ph[k] = activate(act, ph[k]);
    });
    if (observer)
      observer->innerValue(op, "down_input", h);
    out = matmul(pool, gemmInput(m.getDown(), h), *down, false);
    addBias(pool, out, downBias);
    return success();
  }
  if (isa<sieve::AddOp>(op)) {
    if (in[0]->shape != in[1]->shape)
      return op->emitError() << "add of different shapes";
    out = Tensor::f32(in[0]->shape);
    const float *pa = in[0]->f(), *pb = in[1]->f();
    float *po = out.f();
    for (int64_t i = 0, n = out.numel(); i < n; ++i)
      po[i] = pa[i] + pb[i];
    return success();
  }
  if (auto layer = dyn_cast<sieve::DecoderLayerOp>(op)) {
    std::vector<Tensor> results;
    filterLayerNow = layer.getIndex();
    if (failed(runBlock(layer.getBody().front(), {*in[0]}, results, st)))
      return failure();
    if (halted)
      return success();
    if (results.size() != 1)
      return op->emitError() << "decoder layer yields " << results.size()
                             << " values";
    out = results[0];
    return success();
  }
  return op->emitError() << "the sieve-level CPU reference does not support '"
                         << op->getName() << "'";
}

LogicalResult Session::Impl::attention(sieve::AttentionOp op, const Tensor &q,
                                       const Tensor &k, const Tensor &v,
                                       Tensor &out, const Step &st) {
  if (!isa<sieve::DenseAttr>(op.getSparsityOrDense()))
    return op.emitError() << "the CPU reference runs only #sieve.dense "
                             "attention";
  if (!op.getCausal())
    return op.emitError() << "non-causal attention cannot run with a KV cache";
  KV &kv = caches[M.cacheSlot.lookup(op)];
  int64_t H = op.getNumHeads(), KVH = kv.kvHeads, D = kv.headDim;
  int64_t B = st.B, S = st.S, group = H / KVH;
  if (q.shape[2] != H * D || k.shape[2] != KVH * D || v.shape[2] != KVH * D)
    return op.emitError() << "attention input widths do not match the heads";
  float scale = op.getScale().convertToFloat();
  int64_t P = 0; // keys covered: up to the last query of the longest row
  for (int64_t b = 0; b < B; ++b) {
    if (st.start[b] + S > maxCtx)
      return op.emitError() << "context full";
    P = std::max(P, st.start[b] + S);
  }
  // Append the new keys and values (quantized when the cache is).
  bool quantized = kv.format != sieve::quant::KVFormat::None;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t s = 0; s < S; ++s)
      for (int64_t h = 0; h < KVH; ++h) {
        size_t vec = (size_t(b) * KVH + h) * maxCtx + st.start[b] + s;
        const float *pk = k.f() + (b * S + s) * KVH * D + h * D;
        const float *pv = v.f() + (b * S + s) * KVH * D + h * D;
        if (quantized) {
          kv.store(kv.qk, vec, pk);
          kv.store(kv.qv, vec, pv);
          continue;
        }
        std::memcpy(kv.k.get() + vec * D, pk, D * sizeof(float));
        std::memcpy(kv.v.get() + vec * D, pv, D * sizeof(float));
      }
  // The keys and values the products read: the float cache (rows of
  // maxCtx positions), or positions [0, P) of a quantized cache
  // dequantized (rows of P positions).
  const float *kData = kv.k.get(), *vData = kv.v.get();
  int64_t ctxStride = maxCtx;
  std::vector<float> kRead, vRead;
  if (quantized) {
    ctxStride = P;
    kRead.resize(size_t(B) * KVH * P * D);
    vRead.resize(kRead.size());
    parallelRange(M.pool, B * KVH, 1, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r)
        for (int64_t j = 0; j < P; ++j) {
          size_t vec = size_t(r) * maxCtx + j, dst = (size_t(r) * P + j) * D;
          kv.load(kv.qk, vec, kRead.data() + dst);
          kv.load(kv.qv, vec, vRead.data() + dst);
        }
    });
    kData = kRead.data();
    vData = vRead.data();
  }
  // Queries in blocks of QB rows: block [s0, s1) reads keys [0, P) with
  // P = max_b start[b] + s1, so a long prefill skips most masked keys.
  // scores[b, h, s, j] = q[b, s, h, :] . K[b, h / group, j, :]
  constexpr int64_t QB = 64;
  int64_t maxStart = 0;
  for (int64_t b = 0; b < B; ++b)
    maxStart = std::max(maxStart, st.start[b]);
  int64_t problems = B * H;
  std::vector<float> scores(size_t(problems) * std::min(S, QB) * P);
  std::vector<int64_t> qOff(problems), kOff(problems), sOff(problems);
  out = Tensor::f32({B, S, H * D});
  bool vec = useVectorKernels();
  for (int64_t s0 = 0; s0 < S; s0 += QB) {
    int64_t rows = std::min(QB, S - s0), keys = maxStart + s0 + rows;
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < H; ++h) {
        int64_t p = b * H + h;
        qOff[p] = (b * S + s0) * H * D + h * D;
        kOff[p] = ((b * KVH + h / group) * ctxStride) * D;
        sOff[p] = p * rows * keys;
      }
    sgemmBatched(M.pool, problems, rows, keys, D, q.f(), qOff.data(), H * D,
                 1, kData, kOff.data(), 1, D, scores.data(), sOff.data(),
                 keys);
    // Scale, causal mask over the cached positions, softmax in float32.
    parallelRange(M.pool, problems * rows, 8, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        int64_t b = r / (H * rows), s = s0 + r % rows;
        int64_t n = st.start[b] + s + 1;
        float *row = scores.data() + r * keys;
        for (int64_t j = 0; j < n; ++j)
          row[j] *= scale;
        softmaxRow(row, n, vec);
        std::fill(row + n, row + keys, 0.0f);
      }
    });
    if (observer)
      observer->attentionProbs(op, {B, H, rows, keys, s0, st.start.data(),
                                    scores.data()});
    if (collecting)
      collectMass(op, scores.data(), rows, keys, s0, st);
    // out[b, s, h, :] = probs[b, h, s, :] @ V[b, h / group, :, :]
    sgemmBatched(M.pool, problems, rows, D, keys, scores.data(), sOff.data(),
                 keys, 1, vData, kOff.data(), D, 1, out.f(), qOff.data(),
                 H * D);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Token filter (GemFilter) and KV eviction (SnapKV)
//===----------------------------------------------------------------------===//

FailureOr<std::vector<int64_t>>
Session::Impl::selectTokens(const Tensor &ids) {
  int64_t S = ids.shape[1];
  Step st;
  st.B = 1;
  st.S = S;
  st.start.assign(1, 0);
  st.pos.assign(1, 0);
  filtering = true;
  halted = false;
  filterScores.clear();
  std::vector<Tensor> results;
  LogicalResult run =
      runBlock(M.model.getBody().front(), {ids}, results, st);
  bool scored = halted;
  filtering = halted = false;
  if (failed(run))
    return failure();
  if (!scored)
    return M.model.emitError()
           << "token filter: the filter pass did not reach the attention of "
              "decoder layer "
           << filter.getLayer();
  return sieve::select::gemfilterSelect(filterScores.data(), S, filter.getK(),
                                        filter.getPool(), filter.getBlock());
}

/// filterScores[j] = over the last `window` query rows r that see key j,
/// the mean of sum over query heads of log softmax_j(q_r . k_j * scale),
/// in double from the layer's float32 q and k (after rotary).
void Session::Impl::scoreFilterRows(sieve::AttentionOp op, const Tensor &q,
                                    const Tensor &k, int64_t S) {
  int64_t H = op.getNumHeads(), KVH = op.getNumKvHeads(),
          D = op.getHeadDim(), group = H / KVH;
  double scale = op.getScale().convertToFloat();
  int64_t W = std::min<int64_t>(filter.getWindow(), S);
  filterScores.assign(S, 0.0);
  std::vector<int64_t> rowsSeeing(S, 0);
  std::vector<std::vector<double>> perHead(H, std::vector<double>(S));
  for (int64_t r = S - W; r < S; ++r) {
    parallelRange(M.pool, H, 1, [&](int64_t h0, int64_t h1) {
      for (int64_t h = h0; h < h1; ++h) {
        const float *qr = q.f() + r * H * D + h * D;
        std::vector<double> &logit = perHead[h];
        double mx = -INFINITY;
        for (int64_t j = 0; j <= r; ++j) {
          const float *kj = k.f() + j * KVH * D + (h / group) * D;
          double dot = 0;
          for (int64_t d = 0; d < D; ++d)
            dot += double(qr[d]) * double(kj[d]);
          logit[j] = dot * scale;
          mx = std::max(mx, logit[j]);
        }
        double sum = 0;
        for (int64_t j = 0; j <= r; ++j)
          sum += std::exp(logit[j] - mx);
        double lse = mx + std::log(sum);
        for (int64_t j = 0; j <= r; ++j)
          logit[j] -= lse;
      }
    });
    for (int64_t h = 0; h < H; ++h)
      for (int64_t j = 0; j <= r; ++j)
        filterScores[j] += perHead[h][j];
    for (int64_t j = 0; j <= r; ++j)
      ++rowsSeeing[j];
  }
  for (int64_t j = 0; j < S; ++j)
    filterScores[j] /= double(rowsSeeing[j]);
}

/// Adds attention probabilities onto mass[slot][row, KV head, position]:
/// SnapKV those of the prefill's last `window` query rows of each row, H2O
/// those of every (non-padding) query row.
void Session::Impl::collectMass(sieve::AttentionOp op, const float *probs,
                                int64_t rows, int64_t keys, int64_t s0,
                                const Step &st) {
  std::vector<float> &acc = mass[M.cacheSlot.lookup(op)];
  int64_t H = op.getNumHeads(), KVH = op.getNumKvHeads(), group = H / KVH;
  bool h2o = evict.getMethod() == "h2o";
  int64_t W = evict.getWindow();
  for (int64_t b = 0; b < st.B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t rr = 0; rr < rows; ++rr) {
        int64_t s = s0 + rr;
        // Prefill rows end at their own length (decode steps have one row).
        int64_t len = st.S > 1 ? windowLengths[b] : st.S;
        if (s >= len || (!h2o && s < len - W))
          continue;
        int64_t visible = std::min(keys, st.start[b] + s + 1);
        const float *row = probs + ((b * H + h) * rows + rr) * keys;
        float *dst = acc.data() + (b * KVH + h / group) * maxCtx;
        for (int64_t j = 0; j < visible; ++j)
          dst[j] += row[j];
      }
}

/// After a prefill (SnapKV, H2O) or a decode step (H2O): every row holding
/// more than budget + window positions keeps its last `window` and the
/// `budget` earlier positions of largest pooled mass, compacted to the front
/// of its cache (and of its mass) in their order.
void Session::Impl::evictCaches() {
  int64_t budget = evict.getBudget(), W = evict.getWindow();
  bool perLayer = evict.getScope() == "layer";
  for (auto [slot, kv] : llvm::enumerate(caches)) {
    std::vector<float> &acc = mass[slot];
    for (int64_t b = 0; b < curBatch; ++b) {
      int64_t len = lengths[b];
      if (len <= budget + W)
        continue;
      // The compiled runtime selects with the same function.
      auto keepOf = [&](int64_t h0, int64_t h1) {
        return sieve::select::evictKeep(
            acc.data() + (b * kv.kvHeads + h0) * maxCtx, maxCtx, h1 - h0, len,
            W, budget, evict.getPool());
      };
      std::vector<int64_t> shared;
      if (perLayer)
        shared = keepOf(0, kv.kvHeads);
      for (int64_t h = 0; h < kv.kvHeads; ++h) {
        std::vector<int64_t> keep = perLayer ? shared : keepOf(h, h + 1);
        size_t base = (size_t(b) * kv.kvHeads + h) * maxCtx;
        // keep is ascending, so keep[i] >= i: moving forward never
        // overwrites a vector still to be moved.
        for (size_t i = 0; i < keep.size(); ++i)
          if (int64_t(i) != keep[i])
            kv.move(base + i, base + keep[i]);
        sieve::select::compactKept(acc.data() + base, keep.data(),
                                   int64_t(keep.size()), len);
      }
    }
  }
  for (int64_t b = 0; b < curBatch; ++b)
    if (lengths[b] > budget + W)
      lengths[b] = budget + W;
}
