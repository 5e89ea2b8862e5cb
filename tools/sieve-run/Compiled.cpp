//===- Compiled.cpp - sieve-run on a compiled model folder ----------------===//
//
// sieve-run needs no CUDA to be built: it opens the model's libmodel.so with
// dlopen and calls the C API of sieve_runtime.h through function pointers.
// Every mode mirrors the CPU reference's (same flags, same JSON keys), so
// scripts compare the two by swapping the model path.
//
//===----------------------------------------------------------------------===//

#include "Compiled.h"
#include "Retrieval.h"
#include "Speculative.h"

#include "sieve/Runtime/sieve_runtime.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <dlfcn.h>
#include <random>
#include <vector>

using namespace sieve::run;
using llvm::StringRef;
using llvm::Twine;

bool sieve::run::isCompiledModel(const std::string &path) {
  return llvm::sys::fs::is_directory(path) &&
         llvm::sys::fs::exists(path + "/manifest.json");
}

namespace {

[[noreturn]] void fail(const Twine &message) {
  llvm::errs() << "sieve-run: error: " << message << "\n";
  llvm::errs().flush();
  std::exit(1);
}

/// The C API, resolved from libmodel.so.
struct Runtime {
#define SIEVE_API(X)                                                           \
  X(sieve_last_error)                                                          \
  X(sieve_model_open)                                                          \
  X(sieve_model_get_config)                                                    \
  X(sieve_model_close)                                                         \
  X(sieve_session_create)                                                      \
  X(sieve_session_destroy)                                                     \
  X(sieve_session_reset)                                                       \
  X(sieve_session_lengths)                                                     \
  X(sieve_prefill)                                                             \
  X(sieve_decode_step)                                                         \
  X(sieve_sample)                                                              \
  X(sieve_session_memory)                                                      \
  X(sieve_model_kv_evict)                                                      \
  X(sieve_session_evicted)
// Added after ABI 1's first models: resolved when present. (The manifest
// check now admits only ABI 4 models, which export all of them.)
#define SIEVE_API_OPTIONAL(X)                                                  \
  X(sieve_session_truncate)                                                    \
  X(sieve_draft_step)                                                          \
  X(sieve_verify_step)                                                         \
  X(sieve_model_has_draft)                                                     \
  X(sieve_model_token_filter)                                                  \
  X(sieve_session_kept)                                                        \
  X(sieve_generate)
#define DECLARE(name) decltype(&::name) name = nullptr;
  SIEVE_API(DECLARE)
  SIEVE_API_OPTIONAL(DECLARE)
#undef DECLARE

  void load(const std::string &dir) {
    std::string lib = dir + "/libmodel.so";
    if (!llvm::sys::fs::exists(lib))
      fail("'" + dir + "' has no libmodel.so (compiled with --no-build? "
           "run sieve-compile again without it on a machine with nvcc)");
    void *handle = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      fail(Twine("cannot load '") + lib + "': " + dlerror());
#define RESOLVE(name)                                                          \
  name = reinterpret_cast<decltype(name)>(dlsym(handle, #name));               \
  if (!name)                                                                   \
    fail("'" + lib + "' does not export " #name " (not a sieve model?)");
    SIEVE_API(RESOLVE)
#undef RESOLVE
#define RESOLVE_OPTIONAL(name)                                                 \
  name = reinterpret_cast<decltype(name)>(dlsym(handle, #name));
    SIEVE_API_OPTIONAL(RESOLVE_OPTIONAL)
#undef RESOLVE_OPTIONAL
  }

  /// Fails with the runtime's message unless `status` is SIEVE_OK.
  void check(sieve_status status, const Twine &what) {
    if (status != SIEVE_OK)
      fail(what + ": " + sieve_last_error() + " (status " +
           Twine(int(status)) + ")");
  }
};

/// sieve_verify_step's largest token count (the prompt of the first
/// "verify" is longer: it goes through sieve_prefill).
constexpr int32_t kVerifyGraphMax = 32;

/// --bench's prefill launch size cap: the runtime's default one.
constexpr int64_t kBenchPrefillTokens = 8192;

double secondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
      .count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::vector<int32_t> readBytes(StringRef path, int64_t limit) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf)
    fail("cannot read '" + path + "': " + buf.getError().message());
  StringRef data = (*buf)->getBuffer();
  if (limit >= 0)
    data = data.take_front(limit);
  std::vector<int32_t> ids(data.bytes_begin(), data.bytes_end());
  return ids;
}

/// --input-file as token ids: an .npy of int32 or int64 [batch, seq] (or
/// [seq]); any other file is bytes (byte-level models).
std::vector<std::vector<int32_t>> readInputs(StringRef path, int64_t limit) {
  if (!path.ends_with(".npy"))
    return {readBytes(path, limit)};
  auto buf = llvm::MemoryBuffer::getFile(path, false, false);
  if (!buf)
    fail("cannot read '" + path + "': " + buf.getError().message());
  StringRef data = (*buf)->getBuffer();
  if (!data.starts_with("\x93NUMPY") || data.size() < 10)
    fail("'" + path + "' is not an .npy file");
  size_t headerLen = uint8_t(data[8]) | (uint8_t(data[9]) << 8);
  StringRef header = data.substr(10, headerLen);
  bool i64 = header.contains("'<i8'"), i32 = header.contains("'<i4'");
  if ((!i64 && !i32) || header.contains("'fortran_order': True"))
    fail("'" + path + "': expected a C-order int32 or int64 array");
  size_t open = header.find("'shape': ("), close = header.find(')', open);
  if (open == StringRef::npos || close == StringRef::npos)
    fail("'" + path + "': no shape in the .npy header");
  llvm::SmallVector<StringRef> dims;
  header.slice(open + 10, close).split(dims, ',', -1, false);
  std::vector<int64_t> shape;
  for (StringRef d : dims) {
    int64_t v;
    if (d.trim().getAsInteger(10, v) || v <= 0)
      fail("'" + path + "': bad shape");
    shape.push_back(v);
  }
  if (shape.size() == 1)
    shape.insert(shape.begin(), 1);
  if (shape.size() != 2)
    fail("'" + path + "': expected [batch, seq] token ids");
  size_t esize = i64 ? 8 : 4, count = size_t(shape[0] * shape[1]);
  StringRef body = data.drop_front(10 + headerLen);
  if (body.size() < count * esize)
    fail("'" + path + "' is truncated");
  int64_t seq = limit > 0 ? std::min(limit, shape[1]) : shape[1];
  std::vector<std::vector<int32_t>> rows(shape[0]);
  for (int64_t b = 0; b < shape[0]; ++b)
    for (int64_t t = 0; t < seq; ++t) {
      int64_t v = 0;
      std::memcpy(&v, body.data() + (b * shape[1] + t) * esize, esize);
      if (i32)
        v = int32_t(v);
      rows[b].push_back(int32_t(v));
    }
  return rows;
}

void writeNpy(StringRef path, const float *data,
              llvm::ArrayRef<int64_t> shape) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    fail("cannot write '" + path + "': " + ec.message());
  std::string dims;
  for (int64_t d : shape)
    dims += std::to_string(d) + ", ";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                       dims + "), }";
  while ((10 + header.size() + 1) % 64)
    header += ' ';
  header += '\n';
  os << "\x93NUMPY" << char(1) << char(0) << char(header.size() & 0xff)
     << char(header.size() >> 8) << header;
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  os.write(reinterpret_cast<const char *>(data), n * sizeof(float));
}

std::string jsonText(StringRef s) {
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::json::Value(llvm::json::fixUTF8(s));
  return out;
}

class Runner {
public:
  explicit Runner(const CompiledOptions &o) : o(o) {
    rt.load(o.modelDir);
    rt.check(rt.sieve_model_open(o.modelDir.c_str(), &model),
             "cannot open the model");
    rt.check(rt.sieve_model_get_config(model, &config), "model config");
  }
  ~Runner() {
    if (session)
      rt.sieve_session_destroy(session);
    if (model)
      rt.sieve_model_close(model);
  }

  int run() {
    if (!o.evalFile.empty())
      return eval();
    if (!o.prompt.empty() && o.speculative)
      return speculative();
    if (!o.prompt.empty())
      return generate();
    if (!o.logitsOut.empty())
      return logits();
    if (!o.retrievalFile.empty())
      return retrieval();
    if (o.bench)
      return bench();
    fail("a compiled model runs with --eval, --prompt, --logits-out, "
         "--retrieval or --bench");
  }

private:
  /// A session of at least `batch` slots of `context` tokens (reused when
  /// the open one is large enough); prefillTokens 0 takes the runtime's
  /// default launch size.
  void openSession(int64_t batch, int64_t context, int64_t prefillTokens = 0) {
    if (o.maxBatch > 0)
      batch = std::max<int64_t>(batch, o.maxBatch);
    if (o.maxContext > 0)
      context = std::max<int64_t>(context, o.maxContext);
    if (session && sessionBatch >= batch && sessionContext >= context) {
      rt.check(rt.sieve_session_reset(session), "reset");
      return;
    }
    if (session)
      rt.sieve_session_destroy(session);
    session = nullptr;
    sieve_session_options opts{int32_t(batch), int32_t(context),
                               int32_t(prefillTokens)};
    rt.check(rt.sieve_session_create(model, &opts, &session),
             "cannot create a session (max batch " + Twine(batch) +
                 ", max context " + Twine(context) + ")");
    sessionBatch = batch;
    sessionContext = context;
  }

  void checkByteLevel(StringRef mode) {
    if (config.vocab_size < 256)
      fail(mode + " needs a byte-level model (vocabulary >= 256), this one "
                  "has " + Twine(config.vocab_size));
  }

  /// Bits per byte over consecutive windows, several windows per prefill.
  int eval() {
    checkByteLevel("--eval");
    std::vector<int32_t> text = readBytes(o.evalFile, -1);
    int64_t total = (int64_t(text.size()) + o.window - 1) / o.window;
    if (o.maxWindows > 0)
      total = std::min(total, o.maxWindows);
    int64_t vocab = config.vocab_size, perCall = 16;
    openSession(perCall, o.window);
    double nll = 0;
    int64_t predicted = 0;
    std::vector<float> logits;
    auto start = std::chrono::steady_clock::now();
    for (int64_t w0 = 0; w0 < total; w0 += perCall) {
      std::vector<const int32_t *> ptrs;
      std::vector<int32_t> lens;
      for (int64_t w = w0; w < std::min(total, w0 + perCall); ++w) {
        int64_t begin = w * o.window;
        int64_t len = std::min<int64_t>(o.window, int64_t(text.size()) - begin);
        if (len < 2)
          continue;
        ptrs.push_back(text.data() + begin);
        lens.push_back(int32_t(len));
      }
      if (ptrs.empty())
        continue;
      int64_t rows = 0;
      for (int32_t l : lens)
        rows += l;
      logits.resize(rows * vocab);
      rt.check(rt.sieve_session_reset(session), "reset");
      rt.check(rt.sieve_prefill(session, int32_t(ptrs.size()), ptrs.data(),
                                lens.data(), SIEVE_LOGITS_ALL, logits.data()),
               "prefill");
      int64_t row = 0;
      for (size_t s = 0; s < ptrs.size(); ++s) {
        for (int32_t t = 0; t + 1 < lens[s]; ++t) {
          const float *r = logits.data() + (row + t) * vocab;
          double mx = -INFINITY, sum = 0;
          for (int64_t v = 0; v < vocab; ++v)
            mx = std::max(mx, double(r[v]));
          for (int64_t v = 0; v < vocab; ++v)
            sum += std::exp(double(r[v]) - mx);
          double logp = double(r[ptrs[s][t + 1]]) - mx - std::log(sum);
          nll += -logp / std::log(2.0);
          ++predicted;
        }
        row += lens[s];
      }
    }
    if (predicted == 0)
      fail("--eval: '" + o.evalFile + "' has no byte to predict");
    double bpb = nll / predicted, secs = secondsSince(start);
    if (o.json)
      llvm::outs() << llvm::formatv(
          "{{\"bits_per_byte\": {0:f6}, \"predicted_bytes\": {1}, "
          "\"windows\": {2}, \"window\": {3}, \"seconds\": {4:f2}, "
          "\"device\": \"gpu\", \"dtype\": \"{5}\"}\n",
          bpb, predicted, total, o.window, secs, config.dtype);
    else
      llvm::outs() << llvm::formatv(
          "bits per byte: {0:f4} ({1} predicted bytes, {2} windows of {3}, "
          "{4:f2} s on the GPU, {5})\n",
          bpb, predicted, total, o.window, secs, config.dtype);
    return 0;
  }

  /// The sampling options of the command line.
  sieve_sampling sampling() const {
    return {float(o.temperature), int32_t(o.topK), float(o.topP), o.seed};
  }

  int32_t sampleOne() {
    const sieve_sampling s = sampling();
    int32_t token;
    rt.check(rt.sieve_sample(session, 1, &s, &token), "sample");
    return token;
  }

  /// Prefill, then one decode step per token; --check-kv compares each
  /// step's logits with a prefill of the whole sequence.
  int generate() {
    checkByteLevel("--prompt");
    std::vector<int32_t> ids(o.prompt.begin(), o.prompt.end());
    for (int32_t &id : ids)
      id &= 0xff;
    int64_t context = int64_t(ids.size()) + std::max<int64_t>(o.maxNewTokens, 1);
    openSession(1, context);
    int64_t vocab = config.vocab_size;
    std::vector<float> row(vocab), full;
    std::vector<int32_t> generated;
    double kvDiff = 0, prefillSecs = 0, decodeSecs = 0;
    const int32_t *ptr = ids.data();
    int32_t len = int32_t(ids.size());
    auto t0 = std::chrono::steady_clock::now();
    rt.check(rt.sieve_prefill(session, 1, &ptr, &len, SIEVE_LOGITS_LAST,
                              o.checkKV ? row.data() : nullptr),
             "prefill");
    // Without --check-kv (which reads every step's logits), the decode
    // steps run on the device back to back (sieve_generate): tokens 1 to
    // N-1 sampled and appended, the last one sampled.
    const bool onDevice = !o.checkKV && rt.sieve_generate && o.maxNewTokens > 1;
    if (onDevice) {
      prefillSecs = secondsSince(t0);
      const sieve_sampling s = sampling();
      generated.resize(o.maxNewTokens - 1);
      auto t1 = std::chrono::steady_clock::now();
      rt.check(rt.sieve_generate(session, 1, int32_t(generated.size()), &s,
                                 generated.data()),
               "generate");
      decodeSecs = secondsSince(t1);
      generated.push_back(sampleOne());
    } else {
      for (int64_t step = 0; step < o.maxNewTokens; ++step) {
        if (o.checkKV && step > 0)
          kvDiff = std::max(kvDiff, recomputeDiff(ids, row, full));
        int32_t next = sampleOne();
        if (step == 0)
          prefillSecs = secondsSince(t0);
        generated.push_back(next);
        ids.push_back(next);
        if (step + 1 == o.maxNewTokens)
          break;
        auto t1 = std::chrono::steady_clock::now();
        rt.check(rt.sieve_decode_step(session, 1, &next,
                                      o.checkKV ? row.data() : nullptr),
                 "decode step");
        decodeSecs += secondsSince(t1);
      }
    }
    std::string text(generated.begin(), generated.end());
    double tps = generated.size() > 1 ? (generated.size() - 1) / decodeSecs : 0;
    if (o.json) {
      llvm::outs() << "{\"tokens\": [";
      for (size_t i = 0; i < generated.size(); ++i)
        llvm::outs() << (i ? ", " : "") << generated[i];
      llvm::outs() << "], \"text\": " << jsonText(text);
      if (o.checkKV)
        llvm::outs() << llvm::formatv(", \"kv_max_abs_diff\": {0:e}", kvDiff);
      llvm::outs() << llvm::formatv(
          ", \"prefill_seconds\": {0:f4}, \"decode_tokens_per_second\": "
          "{1:f1}, \"device\": \"gpu\", \"dtype\": \"{2}\"}\n",
          prefillSecs, tps, config.dtype);
    } else {
      llvm::outs() << o.prompt << text << "\n";
      if (o.checkKV)
        llvm::outs() << llvm::formatv("KV cache vs recompute on the GPU: max "
                                      "abs logits difference {0:e}\n",
                                      kvDiff);
    }
    return 0;
  }

  /// --speculative: greedy with the compiled @draft, against plain greedy
  /// decoding of the same session.
  int speculative() {
    checkByteLevel("--prompt");
    if (o.verifyGraph && !rt.sieve_verify_step)
      fail("'" + o.modelDir + "' was built before sieve_verify_step: "
           "recompile it for --verify-graph");
    if (!rt.sieve_draft_step || !rt.sieve_session_truncate ||
        !rt.sieve_model_has_draft(model))
      fail("'" + o.modelDir + "' has no draft: compile it with "
           "sieve-compile --self-speculative='draft=K skip=...'");
    std::vector<int64_t> prompt;
    for (char c : o.prompt)
      prompt.push_back(uint8_t(c));
    openSession(1, int64_t(prompt.size()) +
                       std::max<int64_t>(o.maxNewTokens, 1));
    struct Target : SpeculativeTarget {
      Runner &r;
      std::vector<float> logits;
      explicit Target(Runner &r) : r(r) {}
      int64_t sampled() { return r.sampleGreedy(); }
      int64_t prefill(const std::vector<int64_t> &prompt) override {
        r.rt.check(r.rt.sieve_session_reset(r.session), "reset");
        verify(prompt);
        return sampled();
      }
      int64_t decode(int64_t token) override {
        int32_t t = int32_t(token);
        r.rt.check(r.rt.sieve_decode_step(r.session, 1, &t, nullptr),
                   "decode step");
        return sampled();
      }
      int64_t draft(int64_t token) override {
        int32_t t = int32_t(token);
        r.rt.check(r.rt.sieve_draft_step(r.session, 1, &t, nullptr),
                   "draft step");
        return sampled();
      }
      std::vector<int64_t> verify(const std::vector<int64_t> &tokens) override {
        std::vector<int32_t> ids(tokens.begin(), tokens.end());
        const int32_t *p = ids.data();
        int32_t n = int32_t(ids.size());
        int64_t vocab = r.config.vocab_size;
        logits.resize(size_t(n) * vocab);
        if (r.o.verifyGraph && n <= kVerifyGraphMax)
          r.rt.check(r.rt.sieve_verify_step(r.session, n, ids.data(),
                                            logits.data()),
                     "verify step");
        else
          r.rt.check(r.rt.sieve_prefill(r.session, 1, &p, &n,
                                        SIEVE_LOGITS_ALL, logits.data()),
                     "verify (prefill)");
        // Ties go to the lowest index, as the device's greedy sampler.
        std::vector<int64_t> out;
        for (int32_t i = 0; i < n; ++i) {
          const float *row = logits.data() + size_t(i) * vocab;
          out.push_back(std::max_element(row, row + vocab) - row);
        }
        return out;
      }
      int64_t length() override {
        std::vector<int32_t> lengths(r.sessionBatch);
        r.rt.check(r.rt.sieve_session_lengths(r.session, lengths.data()),
                   "lengths");
        return lengths[0];
      }
      void truncate(int64_t length) override {
        r.rt.check(r.rt.sieve_session_truncate(r.session, 0, int32_t(length)),
                   "truncate");
      }
    } target(*this);
    // The prefill's last logits feed sieve_sample: the verify of a prompt
    // keeps them on the device as well (SIEVE_LOGITS_ALL copies them out).
    return reportSpeculative(target, prompt, o.prompt, o.maxNewTokens,
                             o.draftTokens, o.draftSkipped, "gpu",
                             o.verifyGraph ? "graph" : "prefill", o.json);
  }

  int64_t sampleGreedy() {
    sieve_sampling greedy{0, 0, 1, 0};
    int32_t token;
    rt.check(rt.sieve_sample(session, 1, &greedy, &token), "sample");
    return token;
  }

  /// Max |decode logits - logits of a fresh prefill of `ids`| at the last
  /// position, in a second session so the first keeps its cache.
  double recomputeDiff(const std::vector<int32_t> &ids,
                       const std::vector<float> &row, std::vector<float> &full) {
    if (!check) {
      sieve_session_options opts{1, int32_t(sessionContext), 0};
      rt.check(rt.sieve_session_create(model, &opts, &check),
               "cannot create the --check-kv session");
    }
    rt.check(rt.sieve_session_reset(check), "reset");
    full.resize(config.vocab_size);
    const int32_t *p = ids.data();
    int32_t n = int32_t(ids.size());
    rt.check(rt.sieve_prefill(check, 1, &p, &n, SIEVE_LOGITS_LAST, full.data()),
             "recompute prefill");
    double d = 0;
    for (int64_t v = 0; v < config.vocab_size; ++v)
      d = std::max(d, std::fabs(double(row[v]) - double(full[v])));
    return d;
  }

  /// A retrieval case on a model with a token filter or KV eviction: the
  /// prompt's prefill (pruned by the runtime, SIEVE_LOGITS_ALL giving the
  /// kept rows; or evicted at its end), then one decode step per answer
  /// byte (teacher forcing).
  void prunedCase(const RetrievalCase &c, std::vector<float> &logits,
                  int64_t &vocab, std::vector<int64_t> &kept) {
    vocab = config.vocab_size;
    const int32_t *p = c.tokens.data();
    int32_t n = int32_t(c.promptLength);
    logits.assign(size_t(n) * vocab, 0.0f);
    rt.check(rt.sieve_session_reset(session), "reset");
    rt.check(rt.sieve_prefill(session, 1, &p, &n, SIEVE_LOGITS_ALL,
                              logits.data()),
             "prefill");
    std::vector<int32_t> idx(n);
    int32_t count = 0;
    rt.check(rt.sieve_session_kept(session, n, idx.data(), &count), "kept");
    kept.assign(idx.begin(), idx.begin() + count);
    logits.resize(size_t(count ? count : n) * vocab);
    std::vector<float> row(vocab);
    for (size_t t = c.promptLength; t < c.tokens.size(); ++t) {
      rt.check(rt.sieve_decode_step(session, 1, &c.tokens[t], row.data()),
               "decode");
      logits.insert(logits.end(), row.begin(), row.end());
    }
  }

  /// --retrieval: one batch-1 prefill with SIEVE_LOGITS_ALL over prompt +
  /// answer per case, from a reset session (prompt prefill and decode steps
  /// for a model with a token filter).
  int retrieval() {
    checkByteLevel("--retrieval");
    auto cases = readRetrievalCases(o.retrievalFile);
    if (!cases)
      fail("--retrieval: " + llvm::toString(cases.takeError()));
    int64_t longest = 0;
    for (const RetrievalCase &c : *cases)
      longest = std::max<int64_t>(longest, c.tokens.size());
    openSession(1, longest);
    bool policy = tokenFilterK() > 0 || evictBudget() > 0;
    auto forward = [&](const RetrievalCase &c, std::vector<float> &logits,
                       int64_t &vocab, std::vector<int64_t> &kept) {
      if (policy)
        return prunedCase(c, logits, vocab, kept);
      llvm::ArrayRef<int32_t> tokens = c.tokens;
      vocab = config.vocab_size;
      logits.resize(tokens.size() * vocab);
      const int32_t *p = tokens.data();
      int32_t n = int32_t(tokens.size());
      rt.check(rt.sieve_session_reset(session), "reset");
      rt.check(rt.sieve_prefill(session, 1, &p, &n, SIEVE_LOGITS_ALL,
                                logits.data()),
               "prefill");
    };
    std::string where = ("gpu, compiled, " + Twine(config.dtype)).str();
    return runRetrieval(*cases, forward, o.json, where);
  }

  /// Logits of every position of each input row, [batch, seq, vocab].
  int logits() {
    if (o.inputFile.empty())
      fail("--logits-out needs --input-file");
    auto rows = readInputs(o.inputFile, o.inputBytes);
    int64_t seq = rows.front().size();
    for (auto &r : rows)
      if (int64_t(r.size()) != seq || seq == 0)
        fail("--input-file: every row needs the same, non-zero length");
    int64_t batch = rows.size(), vocab = config.vocab_size;
    openSession(batch, seq);
    std::vector<const int32_t *> ptrs;
    std::vector<int32_t> lens(batch, int32_t(seq));
    for (auto &r : rows)
      ptrs.push_back(r.data());
    std::vector<float> out(batch * seq * vocab);
    rt.check(rt.sieve_prefill(session, int32_t(batch), ptrs.data(),
                              lens.data(), SIEVE_LOGITS_ALL, out.data()),
             "prefill");
    std::vector<int64_t> shape{seq, vocab};
    if (batch > 1)
      shape.insert(shape.begin(), batch);
    writeNpy(o.logitsOut, out.data(), shape);
    if (o.json)
      llvm::outs() << llvm::formatv("{{\"logits\": \"{0}\", \"batch\": {1}, "
                                    "\"seq\": {2}, \"vocab\": {3}}\n",
                                    o.logitsOut, batch, seq, vocab);
    return 0;
  }

  /// The model's token filter k (0: none; models built before token
  /// filters have none).
  int32_t tokenFilterK() {
    int32_t k = 0;
    if (rt.sieve_model_token_filter)
      rt.check(rt.sieve_model_token_filter(model, &k), "token filter");
    return k;
  }

  /// The model's KV eviction budget (0: none).
  int32_t evictBudget() {
    int32_t budget = 0, window = 0;
    rt.check(rt.sieve_model_kv_evict(model, &budget, &window), "KV eviction");
    return budget;
  }

  /// Prefill latency per prompt length at batch 1, then decode tokens/s
  /// per batch size at the first prompt length of context. Timed on the
  /// host around complete calls (a sample at the end of each synchronizes),
  /// after a warm-up; medians. Sessions are sized as a request needs them:
  /// the tokens the cache holds after the prefill (k for a prompt a token
  /// filter prunes) plus the decode steps; so one process per prompt
  /// length shows the memory a request of that length takes. The prefill
  /// launches take min(longest prompt, kBenchPrefillTokens) tokens with or
  /// without a filter (the runtime's defaults differ), so both chunk alike
  /// and hold the same activation arena.
  int bench() {
    const std::vector<int64_t> &lengths = o.benchPromptLengths;
    const std::vector<int64_t> &batches = o.benchBatches;
    int64_t steps = o.benchDecodeSteps;
    int32_t filterK = tokenFilterK();
    // Tokens the cache holds after a prefill of `batch` prompts of `len`:
    // the runtime prunes only batch-1 prompts longer than k.
    auto held = [&](int64_t len, int64_t batch) {
      return filterK > 0 && batch == 1 && len > filterK ? int64_t(filterK) : len;
    };
    std::mt19937 rng(1234);
    auto randomTokens = [&](int64_t n) {
      std::vector<int32_t> t(n);
      std::uniform_int_distribution<int32_t> d(0, config.vocab_size - 1);
      for (auto &x : t)
        x = d(rng);
      return t;
    };
    llvm::json::Array prefill, decode;
    int64_t maxHeld = 0, maxLen = 0;
    for (int64_t len : lengths) {
      maxHeld = std::max(maxHeld, held(len, 1));
      maxLen = std::max(maxLen, len);
    }
    openSession(1, maxHeld + steps, std::min(maxLen, kBenchPrefillTokens));
    for (int64_t len : lengths) {
      std::vector<int32_t> toks = randomTokens(len);
      const int32_t *p = toks.data();
      int32_t n = int32_t(len);
      std::vector<double> times;
      for (int rep = 0; rep < 6; ++rep) {
        rt.check(rt.sieve_session_reset(session), "reset");
        auto t0 = std::chrono::steady_clock::now();
        rt.check(rt.sieve_prefill(session, 1, &p, &n, SIEVE_LOGITS_LAST, nullptr),
                 "prefill");
        sampleOne();
        if (rep > 0) // the first is the warm-up
          times.push_back(secondsSince(t0));
      }
      double ms = 1e3 * median(times);
      int64_t kept = keptCount(len);
      sieve_memory_usage mem{};
      rt.check(rt.sieve_session_memory(session, &mem), "memory");
      uint64_t peak = mem.weights_bytes + mem.session_bytes + mem.transient_bytes;
      prefill.push_back(llvm::json::Object{
          {"tokens", len},
          {"ms", ms},
          {"kept", kept},
          {"max_context", sessionContext},
          {"weights_bytes", int64_t(mem.weights_bytes)},
          {"session_bytes", int64_t(mem.session_bytes)},
          {"transient_bytes", int64_t(mem.transient_bytes)},
          {"runtime_peak_bytes", int64_t(peak)}});
      if (!o.json)
        llvm::outs() << llvm::formatv(
            "prefill {0,5} tokens: {1,9:f3} ms ({2:f0} tokens/s), kept {3}; "
            "runtime memory {4:f1} MiB weights + {5:f1} session + {6:f1} "
            "transient\n",
            len, ms, len / (ms / 1e3), kept, mem.weights_bytes / 1048576.0,
            mem.session_bytes / 1048576.0, mem.transient_bytes / 1048576.0);
    }
    int64_t context = lengths.front();
    for (int64_t batch : batches) {
      openSession(batch, held(context, batch) + steps + 16); // 8 warm-up steps
      std::vector<std::vector<int32_t>> prompts;
      std::vector<const int32_t *> ptrs;
      std::vector<int32_t> lens(batch, int32_t(context));
      for (int64_t b = 0; b < batch; ++b)
        prompts.push_back(randomTokens(context));
      for (auto &pr : prompts)
        ptrs.push_back(pr.data());
      rt.check(rt.sieve_prefill(session, int32_t(batch), ptrs.data(),
                                lens.data(), SIEVE_LOGITS_LAST, nullptr),
               "prefill");
      int64_t kept = batch == 1 ? keptCount(context) : context;
      std::vector<int32_t> next(batch);
      sieve_sampling greedy{0, 0, 1, 0};
      auto step = [&] {
        rt.check(rt.sieve_sample(session, int32_t(batch), &greedy, next.data()),
                 "sample");
        rt.check(rt.sieve_decode_step(session, int32_t(batch), next.data(),
                                      nullptr),
                 "decode step");
      };
      // Greedy generation of `steps` tokens a slot: on the device
      // (sieve_generate, as --prompt runs it) when the model has it, else
      // one sample + decode step call pair a token.
      const bool onDevice = rt.sieve_generate != nullptr;
      std::vector<int32_t> out(size_t(std::max<int64_t>(steps, 8)) * batch);
      auto generate = [&](int64_t n) {
        if (onDevice) {
          rt.check(rt.sieve_generate(session, int32_t(batch), int32_t(n),
                                     &greedy, out.data()),
                   "generate");
          return;
        }
        for (int64_t s = 0; s < n; ++s)
          step();
      };
      generate(8); // warm-up: graph capture
      auto t0 = std::chrono::steady_clock::now();
      generate(steps);
      if (!onDevice)
        rt.check(rt.sieve_sample(session, int32_t(batch), &greedy, next.data()),
                 "sample");
      double secs = secondsSince(t0);
      double tps = batch * steps / secs;
      decode.push_back(llvm::json::Object{{"batch", batch},
                                          {"context", context},
                                          {"kept", kept},
                                          {"steps", steps},
                                          {"loop", onDevice ? "device" : "host"},
                                          {"ms_per_step", 1e3 * secs / steps},
                                          {"tokens_per_s", tps}});
      if (!o.json)
        llvm::outs() << llvm::formatv("decode batch {0,3} at {1} tokens of "
                                      "context ({4} kept): {2:f3} ms/step, "
                                      "{3:f1} tokens/s ({5} loop)\n",
                                      batch, context, 1e3 * secs / steps, tps,
                                      kept, onDevice ? "device" : "host");
    }
    if (o.json)
      llvm::outs() << llvm::formatv(
          "{0}\n", llvm::json::Value(llvm::json::Object{
                       {"model", o.modelDir},
                       {"dtype", config.dtype},
                       {"token_filter_k", filterK},
                       {"prefill", std::move(prefill)},
                       {"decode", std::move(decode)}}));
    return 0;
  }

  /// Prompt tokens the last prefill of `len` tokens kept (all of them
  /// when the runtime did not prune it).
  int64_t keptCount(int64_t len) {
    if (!rt.sieve_session_kept)
      return len;
    std::vector<int32_t> kept(len);
    int32_t count = 0;
    rt.check(rt.sieve_session_kept(session, int32_t(len), kept.data(), &count),
             "kept");
    return count ? count : len;
  }

  const CompiledOptions &o;
  Runtime rt;
  sieve_model *model = nullptr;
  sieve_session *session = nullptr, *check = nullptr;
  sieve_model_config config{};
  int64_t sessionBatch = 0, sessionContext = 0;
};

} // namespace

int sieve::run::runCompiled(const CompiledOptions &options) {
  auto manifest = llvm::MemoryBuffer::getFile(options.modelDir +
                                              "/manifest.json");
  if (!manifest)
    fail("cannot read '" + options.modelDir + "/manifest.json'");
  auto parsed = llvm::json::parse((*manifest)->getBuffer());
  if (!parsed)
    fail("'" + options.modelDir + "/manifest.json' is not valid JSON: " +
         llvm::toString(parsed.takeError()));
  const llvm::json::Object *m = parsed->getAsObject();
  if (!m || m->getString("format") != StringRef("sieve-model"))
    fail("'" + options.modelDir + "' is not a sieve compiled model");
  if (m->getInteger("abi_version") != int64_t(SIEVE_RUNTIME_ABI_VERSION))
    fail("'" + options.modelDir + "' was compiled for runtime ABI " +
         Twine(m->getInteger("abi_version").value_or(-1)) +
         "; this sieve-run speaks ABI " + Twine(SIEVE_RUNTIME_ABI_VERSION) +
         " (recompile the model)");
  // What the compile chose for the draft (manifest "speculative"), checked
  // before the library loads.
  CompiledOptions resolved = options;
  if (options.speculative) {
    const llvm::json::Object *spec = m->getObject("speculative");
    if (!spec)
      fail("'" + options.modelDir + "' has no draft: compile it with "
           "sieve-compile --self-speculative='draft=K skip=...'");
    if (resolved.draftTokens == 0)
      resolved.draftTokens = spec->getInteger("draft_tokens").value_or(0);
    std::vector<std::pair<int64_t, std::string>> units;
    if (const llvm::json::Array *skipped = spec->getArray("skipped"))
      for (const llvm::json::Value &v : *skipped)
        if (const llvm::json::Object *e = v.getAsObject())
          units.push_back({e->getInteger("layer").value_or(-1),
                           e->getString("block").value_or("layer").str()});
    resolved.draftSkipped = describeSkipped(units);
  }
  Runner runner(resolved);
  return runner.run();
}
