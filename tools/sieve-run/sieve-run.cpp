//===- sieve-run.cpp - run models on the CPU reference executor -----------===//
//
//   sieve-run model.onnx --device=cpu --eval valid.txt [--json]
//   sieve-run model.onnx --prompt "The list type" --max-new-tokens 32
//   sieve-run model.mlir --logits-out l.npy --input-file f --input-bytes 128
//   sieve-run ops.mlir --func=slice [--inputs "1,2,3;4,5"]
//   sieve-run model.onnx --raise --prompt "The list" [--check-kv]
//   sieve-run raised.mlir --batch-prompts prompts.txt [--check-batch]
//   sieve-run model.onnx --raise --profile calib.txt -o profile.json
//
// A module holding a `sieve.model` (an .mlir file after sieve-raise, or an
// .onnx file with --raise) runs at the sieve level through a Session with a
// KV cache: generation is one prefill and then one decode step per token;
// --eval prefills each window.
// Errors are one line on stderr and a non-zero exit.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/ONNX/ONNXDialect.h"
#include "sieve/Dialect/Sieve/SieveOps.h"
#include "sieve/Import/ONNXImporter.h"
#include "sieve/Passes/Passes.h"
#include "sieve/Passes/Speculative.h"
#include "Compiled.h"
#include "Retrieval.h"
#include "Speculative.h"
#include "sieve/Reference/Executor.h"
#include "sieve/Reference/Profile.h"
#include "sieve/Reference/Session.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cmath>
#include <random>

using namespace mlir;
using namespace sieve::ref;
namespace cl = llvm::cl;

static cl::OptionCategory category("sieve-run options");

static cl::opt<std::string> modelPath(cl::Positional,
                                      cl::desc("<model.onnx | model.mlir>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string>
    device("device", cl::desc("Where to run: cpu (the reference executor, for "
                              ".onnx and .mlir models) or gpu (a compiled "
                              "model folder). Default: the model's kind"),
           cl::init(""), cl::cat(category));
static cl::opt<bool> bench("bench",
                           cl::desc("Compiled models: time prefill per prompt "
                                    "length (with the tokens kept and the "
                                    "runtime's device memory) and decode per "
                                    "batch size"),
                           cl::init(false), cl::cat(category));
static cl::opt<std::string> benchPromptLengths(
    "bench-prompt-lengths",
    cl::desc("--bench: prompt lengths to prefill at batch 1, up to 2^24; "
             "decode runs with the first as context (default "
             "512,2048,8192). A model with a token filter prefills them "
             "in a session sized for k plus the decode steps"),
    cl::init("512,2048,8192"), cl::cat(category));
static cl::opt<std::string>
    benchBatches("bench-batches",
                 cl::desc("--bench: decode batch sizes, up to 65535 "
                          "(default 1,8,32)"),
                 cl::init("1,8,32"), cl::cat(category));
static cl::opt<int64_t>
    benchDecodeSteps("bench-decode-steps",
                     cl::desc("--bench: timed decode steps (default 64)"),
                     cl::init(64), cl::cat(category));
// --threads is parsed by hand: libLLVM already registers an option of that
// name.
static int threads = 0;
static cl::opt<bool> json("json", cl::desc("Print reports as JSON"),
                          cl::cat(category));
// Evaluation.
static cl::opt<std::string>
    evalFile("eval",
             cl::desc("Bits per byte of a byte-level model on this text: "
                      "consecutive non-overlapping windows, each run on its "
                      "own, every byte after a window's first predicted"),
             cl::value_desc("file"), cl::cat(category));
static cl::opt<std::string> baselinePath(
    "baseline",
    cl::desc("With --eval: also run this model (e.g. the one before an "
             "optimization; --raise applies to both) on the same windows and "
             "report its bits per byte, the greedy-token agreement (rate of "
             "positions whose argmax is the same) and the mean KL divergence "
             "KL(baseline || model) in nats per position"),
    cl::value_desc("model"), cl::cat(category));
static cl::opt<int64_t> window("window",
                               cl::desc("Window size in bytes for --eval "
                                        "(default 512)"),
                               cl::init(512), cl::cat(category));
static cl::opt<int64_t> maxWindows("max-windows",
                                   cl::desc("Evaluate at most this many "
                                            "windows (default 0: all)"),
                                   cl::init(0), cl::cat(category));
// Calibration.
static cl::opt<std::string> profileText(
    "profile",
    cl::desc("Profile a sieve.model (or a model raised with --raise) on this "
             "calibration text: residual cosines per layer and sub-layer, "
             "attention mass per head, activation ranges per linear input, "
             "weight statistics; written as JSON to -o (docs/profile.md). "
             "Windows as for --eval (--window, --max-windows)"),
    cl::value_desc("file"), cl::cat(category));
static cl::opt<std::string> outputPath("o",
                                       cl::desc("Output file of --profile"),
                                       cl::value_desc("file"),
                                       cl::cat(category));
// Long-context retrieval (models/retrieval8/task.py's cases).
static cl::opt<std::string> retrievalFile(
    "retrieval",
    cl::desc("Exact-match accuracy of the answers of these retrieval cases "
             "(JSON lines of models/retrieval8/task.py), by context length "
             "and needle depth: one teacher-forced pass over prompt + answer "
             "per case, correct when the argmax at every answer position is "
             "the answer's byte (= greedy)"),
    cl::value_desc("cases.jsonl"), cl::cat(category));
// Generation.
static cl::opt<std::string> prompt("prompt",
                                   cl::desc("Generate a continuation of this "
                                            "text (byte-level models)"),
                                   cl::cat(category));
static cl::opt<int64_t> maxNewTokens("max-new-tokens",
                                     cl::desc("Tokens to generate (default "
                                              "32)"),
                                     cl::init(32), cl::cat(category));
static cl::opt<double> temperature("temperature",
                                   cl::desc("Sampling temperature (default 0: "
                                            "greedy)"),
                                   cl::init(0.0), cl::cat(category));
static cl::opt<int64_t> topK("top-k",
                             cl::desc("Sample among the k most likely tokens "
                                      "(default 0: all)"),
                             cl::init(0), cl::cat(category));
static cl::opt<double> topP("top-p",
                            cl::desc("Nucleus sampling: the smallest set of "
                                     "tokens with this much probability "
                                     "(default 1.0)"),
                            cl::init(1.0), cl::cat(category));
static cl::opt<uint64_t> seed("seed", cl::desc("Sampling seed (default 0)"),
                              cl::init(0), cl::cat(category));
static cl::opt<std::string> speculativeSpec(
    "speculative",
    cl::desc("With --prompt, greedy: self-speculative decoding (a draft that "
             "bypasses sub-layers proposes tokens, the full model verifies "
             "them), run after plain greedy on the same session; reports the "
             "acceptance rate, tokens per verify step and tokens/s, fails "
             "unless the output equals plain greedy. A compiled model uses "
             "its --self-speculative draft ('draft=K' overrides its tokens); "
             "the CPU reference needs 'draft=K skip=3.attn,5' or 'draft=K' "
             "with --sieve-skip-layers options (docs/speculative.md)"),
    cl::value_desc("options"), cl::ValueOptional, cl::cat(category));
static cl::opt<bool> verifyGraph(
    "verify-graph",
    cl::desc("With --speculative on a compiled model: verify through "
             "sieve_verify_step (a CUDA graph per token count) instead of "
             "sieve_prefill"),
    cl::cat(category));
// Logits.
static cl::opt<std::string>
    logitsOut("logits-out",
              cl::desc("Write the float32 logits [N, vocab] of the first N "
                       "bytes of --input-file as .npy"),
              cl::value_desc("file.npy"), cl::cat(category));
static cl::opt<std::string> inputFile("input-file",
                                      cl::desc("Input text for --logits-out"),
                                      cl::value_desc("file"), cl::cat(category));
static cl::opt<int64_t> inputBytes("input-bytes",
                                   cl::desc("Bytes of --input-file to use "
                                            "(default -1: all)"),
                                   cl::init(-1), cl::cat(category));
// The sieve level.
static cl::opt<bool>
    raise("raise",
          cl::desc("Run --sieve-simplify and --sieve-raise on the model "
                   "first and execute the raised sieve.model (with a KV "
                   "cache); if nothing raises to a sieve.model, say why and "
                   "run at the onnx level"),
          cl::cat(category));
static cl::opt<std::string> batchPrompts(
    "batch-prompts",
    cl::desc("Generate for every line of this file (one prompt per line) as "
             "one batch at the sieve level; rows keep their own lengths"),
    cl::value_desc("file"), cl::cat(category));
static cl::opt<bool> checkKV(
    "check-kv",
    cl::desc("With --prompt at the sieve level: also recompute every step "
             "from the full prefix, report the max abs logits difference "
             "against the KV-cache decode, fail if above 1e-4"),
    cl::cat(category));
static cl::opt<bool> checkBatch(
    "check-batch",
    cl::desc("With --batch-prompts: also run every prompt alone (batch 1) "
             "on the same tokens, report the max abs logits difference, "
             "fail if above 1e-5"),
    cl::cat(category));
static cl::opt<int64_t> maxContext(
    "max-context",
    cl::desc("KV cache positions per row at the sieve level (default 0: the "
             "longest prompt plus --max-new-tokens)"),
    cl::init(0), cl::cat(category));
static cl::opt<int64_t> maxBatch(
    "max-batch",
    cl::desc("Rows the sieve-level session holds (default 0: the number of "
             "--batch-prompts)"),
    cl::init(0), cl::cat(category));
// Running one function.
static cl::opt<std::string>
    funcName("func", cl::desc("Run this function of an .mlir file and print "
                              "its results (default: @main or the only "
                              "function)"),
             cl::cat(category));
static cl::opt<std::string>
    inputsSpec("inputs",
               cl::desc("Values of the function's arguments: comma-separated "
                        "elements, arguments separated by ';'; shapes come "
                        "from the (static) argument types"),
               cl::cat(category));

//===----------------------------------------------------------------------===//

static std::string locString(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc))
    return ("node '" + name.getName().getValue() + "'").str();
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return (file.getFilename().getValue() + ":" + Twine(file.getLine()) + ":" +
            Twine(file.getColumn()))
        .str();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location l : fused.getLocations()) {
      std::string s = locString(l);
      if (!s.empty())
        return s;
    }
  return "";
}

[[noreturn]] static void fail(const Twine &message) {
  llvm::errs() << "sieve-run: error: " << message << "\n";
  std::exit(1);
}

/// A --bench list: positive integers up to `max`, separated by commas.
static std::vector<int64_t> parseBenchList(StringRef spec, StringRef flag,
                                           int64_t max) {
  std::vector<int64_t> out;
  SmallVector<StringRef> parts;
  spec.split(parts, ',', -1, false);
  for (StringRef p : parts) {
    int64_t v;
    if (p.trim().getAsInteger(10, v) || v <= 0)
      fail(flag + ": expected positive integers separated by commas, got '" +
           spec + "'");
    if (v > max)
      fail(flag + ": " + Twine(v) + " is over the runtime's limit of " +
           Twine(max));
    out.push_back(v);
  }
  if (out.empty())
    fail(flag + ": expected at least one value");
  return out;
}

static std::string jsonString(StringRef s) {
  std::string r = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\')
      r += std::string("\\") + char(c);
    else if (c == '\n')
      r += "\\n";
    else if (c == '\t')
      r += "\\t";
    else if (c == '\r')
      r += "\\r";
    else if (c < 0x20 || c >= 0x7f)
      r += llvm::formatv("\\u{0:x-4}", unsigned(c)).str();
    else
      r += char(c);
  }
  return r + "\"";
}

namespace {
struct Model {
  OwningOpRef<ModuleOp> module;
  func::FuncOp func;
  std::unique_ptr<Executor> exec;
  // The sieve level: the loaded sieve.model and a batch-1 session.
  std::unique_ptr<SieveModel> sieve;
  std::unique_ptr<Session> session;
  double seconds = 0; // time spent running

  int numThreads() const {
    return sieve ? sieve->numThreads() : exec->numThreads();
  }

  /// A batch-1 session holding at least `context` positions.
  Session &sessionFor(int64_t context) {
    if (!session || session->maxContext() < context) {
      auto s = Session::create(*sieve, 1, context);
      if (failed(s))
        std::exit(1);
      session = std::move(*s);
    }
    return *session;
  }

  /// Runs on token ids [1, n] and returns logits [n, vocab] (row-major).
  Tensor forward(ArrayRef<int64_t> ids) {
    Tensor in = Tensor::i64({1, int64_t(ids.size())});
    std::copy(ids.begin(), ids.end(), in.i());
    std::vector<Tensor> outs;
    auto start = std::chrono::steady_clock::now();
    if (sieve && (cast<sieve::ModelOp>(sieve->modelOp()).getTokenFilterAttr() ||
                  cast<sieve::ModelOp>(sieve->modelOp()).getKvEvictAttr()))
      fail("this scores every position of one prefill, which a model with "
           "token_filter or kv_evict does not give: use --prompt or "
           "--retrieval");
    if (sieve) {
      Tensor logits;
      if (failed(sessionFor(int64_t(ids.size())).prefill(in, {}, logits)))
        std::exit(1);
      outs.push_back(logits);
    } else if (failed(exec->run({in}, outs)))
      std::exit(1);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                             start)
                   .count();
    if (outs.empty() || outs[0].storage != Storage::F32 ||
        outs[0].shape.size() < 2 ||
        outs[0].numel() != int64_t(ids.size()) * outs[0].shape.back())
      fail("the model's first result is not float logits [1, seq, vocab]");
    return outs[0];
  }
};
} // namespace

static void checkTokenModel(func::FuncOp func) {
  FunctionType type = func.getFunctionType();
  auto arg = type.getNumInputs() == 1
                 ? dyn_cast<RankedTensorType>(type.getInput(0))
                 : RankedTensorType();
  if (!arg || !arg.getElementType().isInteger(64) || arg.getRank() != 2)
    fail("the model must take one int64 tensor of token ids [batch, seq]; "
         "@" + func.getSymName() + " takes " +
         llvm::formatv("{0}", type).str());
  if (type.getNumResults() < 1)
    fail("the model returns nothing");
}

static std::vector<int64_t> readBytes(StringRef path, int64_t limit) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf)
    fail("cannot read '" + path + "': " + buf.getError().message());
  StringRef data = (*buf)->getBuffer();
  if (limit >= 0) {
    if (int64_t(data.size()) < limit)
      fail("'" + path + "' has " + Twine(data.size()) + " bytes, fewer than " +
           Twine(limit));
    data = data.take_front(limit);
  }
  std::vector<int64_t> ids;
  ids.reserve(data.size());
  for (unsigned char c : data)
    ids.push_back(c);
  return ids;
}

/// log-softmax of one row of logits, in double.
static void logSoftmax(const float *row, int64_t vocab,
                       std::vector<double> &out) {
  double mx = -INFINITY;
  for (int64_t v = 0; v < vocab; ++v)
    mx = std::max(mx, double(row[v]));
  double sum = 0;
  for (int64_t v = 0; v < vocab; ++v)
    sum += std::exp(double(row[v]) - mx);
  double lse = mx + std::log(sum);
  out.resize(vocab);
  for (int64_t v = 0; v < vocab; ++v)
    out[v] = double(row[v]) - lse;
}

static int64_t argmax(const float *row, int64_t vocab) {
  return std::max_element(row, row + vocab) - row;
}

/// Sums over the predicted positions of --eval.
struct EvalTotals {
  double nllBits = 0, baseNllBits = 0, klNats = 0;
  int64_t predicted = 0, agree = 0;
};

/// Adds one window's logits (and the baseline's, if any) to the totals.
static void scoreWindow(ArrayRef<int64_t> ids, const Tensor &logits,
                        const Tensor *baseLogits, EvalTotals &tot) {
  int64_t vocab = logits.shape.back();
  if (vocab < 256)
    fail("--eval needs a byte-level model (vocabulary >= 256), this one "
         "has " + Twine(vocab));
  if (baseLogits && baseLogits->shape.back() != vocab)
    fail("--baseline has a vocabulary of " +
         Twine(baseLogits->shape.back()) + ", the model " + Twine(vocab));
  std::vector<double> lp, blp;
  for (size_t t = 0; t + 1 < ids.size(); ++t) {
    const float *row = logits.f() + t * vocab;
    logSoftmax(row, vocab, lp);
    tot.nllBits += -lp[ids[t + 1]] / std::log(2.0);
    ++tot.predicted;
    if (!baseLogits)
      continue;
    const float *brow = baseLogits->f() + t * vocab;
    logSoftmax(brow, vocab, blp);
    tot.baseNllBits += -blp[ids[t + 1]] / std::log(2.0);
    tot.agree += argmax(row, vocab) == argmax(brow, vocab);
    double kl = 0;
    for (int64_t v = 0; v < vocab; ++v)
      kl += std::exp(blp[v]) * (blp[v] - lp[v]);
    tot.klNats += kl;
  }
}

static int runEval(Model &m, Model *base) {
  std::vector<int64_t> text = readBytes(evalFile, -1);
  int64_t total = (int64_t(text.size()) + window - 1) / window;
  if (maxWindows > 0)
    total = std::min<int64_t>(total, maxWindows);
  EvalTotals tot;
  auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  for (int64_t w = 0; w < total; ++w) {
    int64_t begin = w * window,
            len = std::min<int64_t>(window, int64_t(text.size()) - begin);
    if (len < 2)
      continue;
    ArrayRef<int64_t> ids(text.data() + begin, len);
    Tensor logits = m.forward(ids);
    if (base) {
      Tensor baseLogits = base->forward(ids);
      scoreWindow(ids, logits, &baseLogits, tot);
    } else {
      scoreWindow(ids, logits, nullptr, tot);
    }
    if ((w + 1) % 10 == 0 || w + 1 == total)
      llvm::errs() << llvm::formatv(
          "sieve-run: window {0}/{1}, {2:f1} s, {3:f4} bits/byte so far\n",
          w + 1, total, elapsed(),
          tot.predicted ? tot.nllBits / tot.predicted : 0.0);
  }
  if (tot.predicted == 0)
    fail("--eval: '" + evalFile + "' has no byte to predict");
  double n = double(tot.predicted), bpb = tot.nllBits / n, secs = elapsed();
  if (json) {
    llvm::outs() << llvm::formatv(
        "{{\"bits_per_byte\": {0:f6}, \"predicted_bytes\": {1}, "
        "\"windows\": {2}, \"window\": {3}, \"seconds\": {4:f2}, "
        "\"threads\": {5}",
        bpb, tot.predicted, total, window.getValue(), secs, m.numThreads());
    if (base)
      llvm::outs() << llvm::formatv(
          ", \"baseline_bits_per_byte\": {0:f6}, \"greedy_agreement\": "
          "{1:f6}, \"mean_kl_nats\": {2:e}",
          tot.baseNllBits / n, double(tot.agree) / n, tot.klNats / n);
    llvm::outs() << "}\n";
    return 0;
  }
  llvm::outs() << llvm::formatv(
      "bits per byte: {0:f4} ({1} predicted bytes, {2} windows of {3}, "
      "{4:f1} s)\n",
      bpb, tot.predicted, total, window.getValue(), secs);
  if (base)
    llvm::outs() << llvm::formatv(
        "baseline bits per byte: {0:f4}; greedy agreement {1:f4}; mean "
        "KL(baseline || model) {2:e} nats\n",
        tot.baseNllBits / n, double(tot.agree) / n, tot.klNats / n);
  return 0;
}

static int runProfile(Model &m) {
  ProfileOptions opts;
  opts.textPath = profileText;
  opts.modelPath = modelPath;
  opts.window = window;
  opts.maxWindows = maxWindows;
  auto start = std::chrono::steady_clock::now();
  FailureOr<llvm::json::Value> profile = profileModel(*m.sieve, opts);
  if (failed(profile))
    return 1;
  std::error_code ec;
  llvm::raw_fd_ostream os(outputPath, ec, llvm::sys::fs::OF_Text);
  if (ec)
    fail("cannot write '" + outputPath + "': " + ec.message());
  os << *profile << "\n";
  os.close();
  if (os.has_error())
    fail("cannot write '" + outputPath + "'");
  double secs = std::chrono::duration<double>(
                    std::chrono::steady_clock::now() - start)
                    .count();
  const llvm::json::Object *cal =
      profile->getAsObject()->getObject("calibration");
  llvm::errs() << llvm::formatv(
      "sieve-run: profile of {0} layers over {1} windows ({2} bytes) written "
      "to {3} in {4:f1} s\n",
      m.sieve->numLayers(), *cal->getInteger("windows"),
      *cal->getInteger("bytes"), outputPath, secs);
  return 0;
}

static int64_t pickToken(const float *row, int64_t vocab, std::mt19937_64 &rng) {
  if (temperature <= 0) {
    int64_t best = 0;
    for (int64_t v = 1; v < vocab; ++v)
      if (row[v] > row[best])
        best = v;
    return best;
  }
  std::vector<std::pair<double, int64_t>> probs;
  double mx = -INFINITY;
  for (int64_t v = 0; v < vocab; ++v)
    mx = std::max(mx, double(row[v]));
  double sum = 0;
  for (int64_t v = 0; v < vocab; ++v) {
    double p = std::exp((double(row[v]) - mx) / temperature);
    probs.push_back({p, v});
    sum += p;
  }
  std::stable_sort(probs.begin(), probs.end(),
                   [](auto &a, auto &b) { return a.first > b.first; });
  size_t keep = probs.size();
  if (topK > 0)
    keep = std::min<size_t>(keep, topK);
  if (topP < 1.0) {
    double acc = 0;
    for (size_t i = 0; i < keep; ++i) {
      acc += probs[i].first / sum;
      if (acc >= topP) {
        keep = i + 1;
        break;
      }
    }
  }
  double kept = 0;
  for (size_t i = 0; i < keep; ++i)
    kept += probs[i].first;
  double u = std::uniform_real_distribution<double>(0.0, kept)(rng);
  for (size_t i = 0; i < keep; ++i) {
    u -= probs[i].first;
    if (u <= 0)
      return probs[i].second;
  }
  return probs[keep - 1].second;
}

static double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                       start)
      .count();
}

static double maxAbsDiff(const float *a, const float *b, int64_t n) {
  double d = 0;
  for (int64_t i = 0; i < n; ++i) {
    double x = std::fabs(double(a[i]) - double(b[i]));
    if (!(x <= d)) // NaN counts as infinitely different
      d = std::isnan(x) ? INFINITY : x;
  }
  return d;
}

static int64_t sieveContext(int64_t longestPrompt) {
  return maxContext > 0 ? int64_t(maxContext)
                        : longestPrompt + std::max<int64_t>(maxNewTokens, 1);
}

/// --speculative on the CPU reference: the draft is a Session bypass of the
/// sub-layers --sieve-skip-layers chooses on a clone of the model.
static int runSpeculativeSieve(Model &m, const std::vector<int64_t> &ids) {
  llvm::Expected<sieve::SpeculativeSpec> spec =
      sieve::parseSpeculativeSpec(speculativeSpec);
  if (!spec)
    fail("--speculative: " + llvm::toString(spec.takeError()));
  FailureOr<OwningOpRef<ModuleOp>> clone =
      sieve::pruneDraftClone(*m.module, spec->skipLayersOptions);
  if (failed(clone))
    fail("--speculative: choosing the draft failed (see the errors above)");
  auto removed = (**clone)->getAttrOfType<ArrayAttr>("sieve.removed");
  FailureOr<Session::Bypass> bypass = sieve::draftBypass(*m.module, removed);
  if (failed(bypass))
    return 1;
  std::vector<std::pair<int64_t, std::string>> units;
  for (auto e : removed.getAsRange<DictionaryAttr>())
    units.push_back({e.getAs<IntegerAttr>("layer").getInt(),
                     e.getAs<StringAttr>("block").getValue().str()});
  std::string skipped = sieve::run::describeSkipped(units);
  int64_t vocab = m.sieve->vocabSize();
  if (vocab != 256)
    fail("--prompt needs a byte-level model (vocabulary 256), this one has " +
         Twine(vocab));
  Session &session =
      m.sessionFor(ids.size() + std::max<int64_t>(maxNewTokens, 1));
  struct Target : sieve::run::SpeculativeTarget {
    Session &s;
    const Session::Bypass &bypass;
    int64_t vocab;
    Tensor logits;
    Target(Session &s, const Session::Bypass &b, int64_t v)
        : s(s), bypass(b), vocab(v) {}
    static void check(LogicalResult r) {
      if (failed(r))
        std::exit(1); // the Session emitted the error
    }
    int64_t prefill(const std::vector<int64_t> &prompt) override {
      Tensor in = Tensor::i64({1, int64_t(prompt.size())});
      std::copy(prompt.begin(), prompt.end(), in.i());
      check(s.prefill(in, {}, logits));
      return argmax(logits.f() + (prompt.size() - 1) * vocab, vocab);
    }
    int64_t decode(int64_t token) override {
      check(s.decode({token}, logits));
      return argmax(logits.f(), vocab);
    }
    int64_t draft(int64_t token) override {
      s.setBypass(&bypass);
      LogicalResult r = s.decode({token}, logits);
      s.setBypass(nullptr);
      check(r);
      return argmax(logits.f(), vocab);
    }
    std::vector<int64_t> verify(const std::vector<int64_t> &tokens) override {
      Tensor in = Tensor::i64({1, int64_t(tokens.size())});
      std::copy(tokens.begin(), tokens.end(), in.i());
      check(s.extend(in, logits));
      std::vector<int64_t> out;
      for (size_t i = 0; i < tokens.size(); ++i)
        out.push_back(argmax(logits.f() + i * vocab, vocab));
      return out;
    }
    int64_t length() override { return s.length(0); }
    void truncate(int64_t length) override { check(s.truncate(0, length)); }
  } target(session, *bypass, vocab);
  auto start = std::chrono::steady_clock::now();
  int status = sieve::run::reportSpeculative(
      target, ids, prompt.getValue(), maxNewTokens, spec->draftTokens, skipped,
      "cpu", "extend", json);
  m.seconds += secondsSince(start);
  return status;
}

/// Generation at the sieve level: one prefill, then one decode step per
/// token with the KV cache. --check-kv recomputes every step from scratch.
static int runGenerateSieve(Model &m, std::vector<int64_t> ids) {
  std::mt19937_64 rng(seed);
  int64_t vocab = m.sieve->vocabSize();
  if (vocab != 256)
    fail("--prompt needs a byte-level model (vocabulary 256), this one has " +
         Twine(vocab));
  auto created = Session::create(*m.sieve, 1, sieveContext(ids.size()));
  if (failed(created))
    return 1;
  Session &session = **created;
  std::unique_ptr<Session> check;
  if (checkKV) {
    auto c = Session::create(*m.sieve, 1,
                             ids.size() + std::max<int64_t>(maxNewTokens, 1));
    if (failed(c))
      return 1;
    check = std::move(*c);
  }
  double kvDiff = 0;
  auto start = std::chrono::steady_clock::now();
  std::vector<int64_t> generated;
  std::string text;
  Tensor logits;
  const float *row = nullptr;
  for (int64_t step = 0; step < maxNewTokens; ++step) {
    if (step == 0) {
      Tensor in = Tensor::i64({1, int64_t(ids.size())});
      std::copy(ids.begin(), ids.end(), in.i());
      if (failed(session.prefill(in, {}, logits)))
        return 1;
      // The last prefill row (a pruned prompt has fewer rows).
      row = logits.f() + (logits.shape[1] - 1) * vocab;
    } else {
      if (failed(session.decode({ids.back()}, logits)))
        return 1;
      row = logits.f();
    }
    if (check) {
      // The whole prefix from position 0, no cached state.
      Tensor in = Tensor::i64({1, int64_t(ids.size())});
      std::copy(ids.begin(), ids.end(), in.i());
      Tensor full;
      if (failed(check->prefill(in, {}, full)))
        return 1;
      kvDiff = std::max(kvDiff,
                        maxAbsDiff(row, full.f() + (ids.size() - 1) * vocab,
                                   vocab));
    }
    int64_t next = pickToken(row, vocab, rng);
    ids.push_back(next);
    generated.push_back(next);
    text += char(next);
  }
  m.seconds += secondsSince(start);
  bool kvOK = kvDiff <= 1e-4;
  if (json) {
    llvm::outs() << "{\"tokens\": [";
    for (size_t i = 0; i < generated.size(); ++i)
      llvm::outs() << (i ? ", " : "") << generated[i];
    llvm::outs() << "], \"text\": " << jsonString(text);
    if (checkKV)
      llvm::outs() << llvm::formatv(", \"kv_max_abs_diff\": {0:e}", kvDiff);
    llvm::outs() << llvm::formatv(", \"seconds\": {0:f2}}\n", m.seconds);
  } else {
    llvm::outs() << prompt << text << "\n";
    if (checkKV)
      llvm::outs() << llvm::formatv(
          "KV cache vs recompute: max abs logits difference {0:e} over {1} "
          "steps: {2}\n",
          kvDiff, generated.size(), kvOK ? "OK" : "FAIL");
  }
  if (checkKV && !kvOK) {
    llvm::errs() << llvm::formatv("sieve-run: error: --check-kv: KV-cache "
                                  "decode differs from recompute by {0:e} "
                                  "(> 1e-4)\n",
                                  kvDiff);
    return 1;
  }
  return 0;
}

/// Reads --batch-prompts: one prompt per line (a final newline is not a
/// prompt; "\r\n" line ends are accepted). Empty lines are errors.
static std::vector<std::string> readPrompts(StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf)
    fail("--batch-prompts: cannot read '" + path +
         "': " + buf.getError().message());
  StringRef data = (*buf)->getBuffer();
  if (data.ends_with("\n"))
    data = data.drop_back();
  std::vector<std::string> prompts;
  if (data.empty())
    fail("--batch-prompts: '" + path + "' holds no prompt");
  SmallVector<StringRef> lines;
  data.split(lines, '\n');
  for (auto [i, line] : llvm::enumerate(lines)) {
    line.consume_back("\r");
    if (line.empty())
      fail("--batch-prompts: line " + Twine(i + 1) + " of '" + path +
           "' is empty");
    prompts.push_back(line.str());
  }
  return prompts;
}

/// Generation for a batch of prompts of any lengths, one row each.
static int runBatch(Model &m) {
  std::vector<std::string> prompts = readPrompts(batchPrompts);
  int64_t B = prompts.size(), S = 0;
  for (auto &p : prompts)
    S = std::max<int64_t>(S, p.size());
  int64_t vocab = m.sieve->vocabSize();
  if (vocab != 256)
    fail("--batch-prompts needs a byte-level model (vocabulary 256), this "
         "one has " + Twine(vocab));
  auto created =
      Session::create(*m.sieve, maxBatch > 0 ? int64_t(maxBatch) : B,
                      sieveContext(S));
  if (failed(created))
    return 1;
  Session &session = **created;
  Tensor in = Tensor::i64({B, S});
  std::fill(in.i(), in.i() + B * S, 0); // padding: never read
  std::vector<int64_t> lengths;
  for (int64_t b = 0; b < B; ++b) {
    for (size_t i = 0; i < prompts[b].size(); ++i)
      in.i()[b * S + i] = (unsigned char)prompts[b][i];
    lengths.push_back(prompts[b].size());
  }
  std::mt19937_64 rng(seed);
  std::vector<std::vector<int64_t>> generated(B);
  // Per row and step: the logits the batched run used (for --check-batch):
  // the prefill's rows for the prompt, then one row per decode step.
  std::vector<std::vector<float>> seen(B);
  auto start = std::chrono::steady_clock::now();
  Tensor logits;
  for (int64_t step = 0; step < maxNewTokens; ++step) {
    std::vector<int64_t> next(B);
    if (step == 0) {
      if (failed(session.prefill(in, lengths, logits)))
        return 1;
    } else {
      std::vector<int64_t> last(B);
      for (int64_t b = 0; b < B; ++b)
        last[b] = generated[b].back();
      if (failed(session.decode(last, logits)))
        return 1;
    }
    for (int64_t b = 0; b < B; ++b) {
      const float *rows = logits.f() + (step == 0 ? b * S * vocab : b * vocab);
      int64_t n = step == 0 ? lengths[b] : 1;
      if (checkBatch)
        seen[b].insert(seen[b].end(), rows, rows + n * vocab);
      if (step == 0 && !session.keptIndices().empty())
        n = session.keptIndices().size(); // batch 1: the pruned prompt
      const float *row = rows + (n - 1) * vocab;
      generated[b].push_back(pickToken(row, vocab, rng));
    }
  }
  m.seconds += secondsSince(start);
  double batchDiff = 0;
  if (checkBatch && maxNewTokens > 0) {
    for (int64_t b = 0; b < B; ++b) {
      auto one = Session::create(*m.sieve, 1, sieveContext(lengths[b]));
      if (failed(one))
        return 1;
      Tensor x = Tensor::i64({1, lengths[b]});
      std::copy(in.i() + b * S, in.i() + b * S + lengths[b], x.i());
      Tensor l;
      if (failed((*one)->prefill(x, {}, l)))
        return 1;
      size_t at = 0;
      batchDiff = std::max(batchDiff,
                           maxAbsDiff(seen[b].data(), l.f(),
                                      lengths[b] * vocab));
      at += lengths[b] * vocab;
      for (int64_t step = 1; step < maxNewTokens; ++step) {
        if (failed((*one)->decode({generated[b][step - 1]}, l)))
          return 1;
        batchDiff = std::max(batchDiff,
                             maxAbsDiff(seen[b].data() + at, l.f(), vocab));
        at += vocab;
      }
    }
  }
  bool batchOK = batchDiff <= 1e-5;
  if (json) {
    llvm::outs() << "{\"batch\": [";
    for (int64_t b = 0; b < B; ++b) {
      std::string text;
      llvm::outs() << (b ? ", " : "") << "{\"tokens\": [";
      for (size_t i = 0; i < generated[b].size(); ++i) {
        llvm::outs() << (i ? ", " : "") << generated[b][i];
        text += char(generated[b][i]);
      }
      llvm::outs() << "], \"text\": " << jsonString(text) << "}";
    }
    llvm::outs() << "]";
    if (checkBatch)
      llvm::outs() << llvm::formatv(", \"batch_max_abs_diff\": {0:e}",
                                    batchDiff);
    llvm::outs() << llvm::formatv(", \"seconds\": {0:f2}}\n", m.seconds);
  } else {
    for (int64_t b = 0; b < B; ++b) {
      std::string text;
      for (int64_t t : generated[b])
        text += char(t);
      llvm::outs() << prompts[b] << text << "\n";
    }
    if (checkBatch)
      llvm::outs() << llvm::formatv(
          "batch of {0} vs one prompt at a time: max abs logits difference "
          "{1:e}: {2}\n",
          B, batchDiff, batchOK ? "OK" : "FAIL");
  }
  if (checkBatch && !batchOK) {
    llvm::errs() << llvm::formatv("sieve-run: error: --check-batch: batched "
                                  "logits differ from batch-1 logits by "
                                  "{0:e} (> 1e-5)\n",
                                  batchDiff);
    return 1;
  }
  return 0;
}

/// Whether the sieve.model carries a token filter or KV eviction: their
/// prefill returns fewer rows or changes the cache, so a case is run as the
/// executor serves a request (prefill of the prompt, then decode).
static bool hasRunTimePolicy(Model &m) {
  auto model = cast<sieve::ModelOp>(m.sieve->modelOp());
  return model.getTokenFilterAttr() || model.getKvEvictAttr();
}

/// A retrieval case with run-time policies: prefill the prompt (pruned by
/// the token filter, evicted at its end), then decode the answer bytes one
/// at a time (teacher forcing): the rows are those of the prefill followed
/// by one per answer byte.
static void forwardPromptThenAnswer(Model &m,
                                    const sieve::run::RetrievalCase &c,
                                    std::vector<float> &logits,
                                    int64_t &vocab,
                                    std::vector<int64_t> &kept) {
  auto start = std::chrono::steady_clock::now();
  int64_t P = c.promptLength;
  Session &session = m.sessionFor(int64_t(c.tokens.size()));
  Tensor in = Tensor::i64({1, P});
  std::copy(c.tokens.begin(), c.tokens.begin() + P, in.i());
  Tensor out;
  if (failed(session.prefill(in, {}, out)))
    std::exit(1);
  vocab = out.shape.back();
  logits.assign(out.f(), out.f() + out.numel());
  kept.assign(session.keptIndices().begin(), session.keptIndices().end());
  for (int64_t t = P; t < int64_t(c.tokens.size()); ++t) {
    if (failed(session.decode({c.tokens[t]}, out)))
      std::exit(1);
    logits.insert(logits.end(), out.f(), out.f() + out.numel());
  }
  m.seconds += secondsSince(start);
}

/// --retrieval on the CPU reference, at the sieve level (a fresh prefill per
/// case) or the onnx level.
static int runRetrievalCases(Model &m) {
  auto cases = sieve::run::readRetrievalCases(retrievalFile);
  if (!cases)
    fail("--retrieval: " + llvm::toString(cases.takeError()));
  bool policies = m.sieve && hasRunTimePolicy(m);
  auto forward = [&](const sieve::run::RetrievalCase &c,
                     std::vector<float> &logits, int64_t &vocab,
                     std::vector<int64_t> &kept) {
    if (policies)
      return forwardPromptThenAnswer(m, c, logits, vocab, kept);
    std::vector<int64_t> ids(c.tokens.begin(), c.tokens.end());
    Tensor out = m.forward(ids);
    vocab = out.shape.back();
    logits.assign(out.f(), out.f() + out.numel());
  };
  std::string where = llvm::formatv("cpu, {0} level, {1} threads",
                                    m.sieve ? "sieve" : "onnx", m.numThreads());
  return sieve::run::runRetrieval(*cases, forward, json, where);
}

static int runGenerate(Model &m) {
  std::vector<int64_t> ids;
  for (unsigned char c : prompt)
    ids.push_back(c);
  if (ids.empty())
    fail("--prompt is empty");
  if (m.sieve && speculativeSpec.getNumOccurrences())
    return runSpeculativeSieve(m, ids);
  if (m.sieve)
    return runGenerateSieve(m, ids);
  if (speculativeSpec.getNumOccurrences())
    fail("--speculative runs at the sieve level: the model holds no "
         "sieve.model (try --raise)");
  std::mt19937_64 rng(seed);
  std::vector<int64_t> generated;
  std::string text;
  for (int64_t step = 0; step < maxNewTokens; ++step) {
    Tensor logits = m.forward(ids); // no KV cache yet: recompute
    int64_t vocab = logits.shape.back();
    if (vocab != 256)
      fail("--prompt needs a byte-level model (vocabulary 256), this one "
           "has " + Twine(vocab));
    int64_t next = pickToken(logits.f() + (ids.size() - 1) * vocab, vocab, rng);
    ids.push_back(next);
    generated.push_back(next);
    text += char(next);
  }
  if (json) {
    llvm::outs() << "{\"tokens\": [";
    for (size_t i = 0; i < generated.size(); ++i)
      llvm::outs() << (i ? ", " : "") << generated[i];
    llvm::outs() << "], \"text\": " << jsonString(text)
                 << llvm::formatv(", \"seconds\": {0:f2}}\n", m.seconds);
  } else {
    llvm::outs() << prompt << text << "\n";
  }
  return 0;
}

static void writeNpy(StringRef path, const float *data, int64_t rows,
                     int64_t cols) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_None);
  if (ec)
    fail("cannot write '" + path + "': " + ec.message());
  std::string header =
      llvm::formatv("{{'descr': '<f4', 'fortran_order': False, 'shape': "
                    "({0}, {1}), }",
                    rows, cols)
          .str();
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  os << "\x93NUMPY" << char(1) << char(0);
  uint16_t len = header.size();
  os << char(len & 0xff) << char(len >> 8) << header;
  os.write(reinterpret_cast<const char *>(data), rows * cols * sizeof(float));
}

static int runLogits(Model &m) {
  if (inputFile.empty())
    fail("--logits-out needs --input-file");
  std::vector<int64_t> ids = readBytes(inputFile, inputBytes);
  if (ids.empty())
    fail("--input-file gives no bytes");
  Tensor logits = m.forward(ids);
  int64_t vocab = logits.shape.back();
  writeNpy(logitsOut, logits.f(), int64_t(ids.size()), vocab);
  if (json)
    llvm::outs() << llvm::formatv("{{\"logits\": {0}, \"shape\": [{1}, {2}], "
                                  "\"seconds\": {3:f3}}\n",
                                  jsonString(logitsOut), ids.size(), vocab,
                                  m.seconds);
  return 0;
}

/// Parses --inputs for the function's arguments.
static std::vector<Tensor> parseInputs(func::FuncOp func) {
  std::vector<Tensor> inputs;
  SmallVector<StringRef> groups;
  StringRef spec = inputsSpec;
  if (!spec.empty())
    spec.split(groups, ';');
  FunctionType type = func.getFunctionType();
  if (groups.size() != type.getNumInputs())
    fail("@" + func.getSymName() + " takes " + Twine(type.getNumInputs()) +
         " arguments, --inputs gives " + Twine(groups.size()));
  for (auto [i, group] : llvm::enumerate(groups)) {
    auto t = dyn_cast<RankedTensorType>(type.getInput(i));
    if (!t || !t.hasStaticShape())
      fail("argument " + Twine(i) + " needs a static tensor type for --inputs");
    SmallVector<StringRef> items;
    if (!group.trim().empty())
      group.split(items, ',');
    if (int64_t(items.size()) != t.getNumElements())
      fail("argument " + Twine(i) + " of type " +
           llvm::formatv("{0}", Type(t)).str() + " needs " +
           Twine(t.getNumElements()) + " values, got " + Twine(items.size()));
    Tensor x = Tensor::alloc(storageFor(t.getElementType()), t.getShape());
    for (auto [k, item] : llvm::enumerate(items)) {
      StringRef s = item.trim();
      if (x.storage == Storage::F32) {
        double d;
        if (s == "nan")
          d = NAN;
        else if (s == "inf")
          d = INFINITY;
        else if (s == "-inf")
          d = -INFINITY;
        else if (s.getAsDouble(d))
          fail("bad number '" + s + "' in --inputs");
        float f = float(d);
        if (t.getElementType().isF16())
          f = roundToF16(f);
        else if (t.getElementType().isBF16())
          f = roundToBF16(f);
        x.f()[k] = f;
      } else {
        int64_t v;
        if (s == "true")
          v = 1;
        else if (s == "false")
          v = 0;
        else if (s.getAsInteger(10, v))
          fail("bad integer '" + s + "' in --inputs");
        if (x.storage == Storage::I64)
          x.i()[k] = v;
        else
          x.b()[k] = v != 0;
      }
    }
    inputs.push_back(x);
  }
  return inputs;
}

static int runFunction(Model &m) {
  std::vector<Tensor> inputs = parseInputs(m.func);
  std::vector<Tensor> outs;
  if (failed(m.exec->run(inputs, outs))) {
    llvm::outs().flush();
    return 1;
  }
  FunctionType type = m.func.getFunctionType();
  for (auto [i, t] : llvm::enumerate(outs)) {
    Type elem = cast<ShapedType>(type.getResult(i)).getElementType();
    llvm::outs() << "result " << i << ": ";
    for (int64_t d : t.shape)
      llvm::outs() << d << "x";
    llvm::outs() << elem << " = [";
    for (int64_t k = 0, n = t.numel(); k < n; ++k) {
      if (k)
        llvm::outs() << ", ";
      if (t.storage == Storage::F32)
        llvm::outs() << llvm::format("%.7g", double(t.f()[k]));
      else if (t.storage == Storage::I64)
        llvm::outs() << t.i()[k];
      else
        llvm::outs() << (t.b()[k] ? "true" : "false");
    }
    llvm::outs() << "]\n";
  }
  return 0;
}

static void checkModelPath(StringRef path) {
  StringRef ext = llvm::sys::path::extension(path);
  if (ext != ".onnx" && ext != ".mlir")
    fail("'" + path + "': unknown model kind (expected .onnx or .mlir)");
  if (!llvm::sys::fs::exists(path))
    fail("'" + path + "': no such file");
}

/// Reads a model file (ONNX imported in-process, or .mlir) and, with
/// --raise, raises it; if raising forms no sieve.model, says why and keeps
/// the onnx level (a partial raise leaves sieve ops the onnx-level executor
/// does not run). Exits on errors.
static OwningOpRef<ModuleOp> loadModule(StringRef path, MLIRContext &context,
                                        const std::string &noModelWhy) {
  OwningOpRef<ModuleOp> module;
  if (llvm::sys::path::extension(path) == ".onnx") {
    module = sieve::importONNXModel(path, &context);
  } else {
    llvm::SourceMgr sourceMgr;
    module = parseSourceFile<ModuleOp>(path, sourceMgr, ParserConfig(&context));
  }
  if (!module)
    std::exit(1);
  if (!raise)
    return module;
  OwningOpRef<ModuleOp> unraised(module->clone());
  PassManager pm(&context);
  pm.addPass(sieve::createSieveSimplify());
  pm.addPass(sieve::createSieveRaise());
  if (failed(pm.run(*module)))
    fail("--raise: sieve-simplify / sieve-raise failed");
  if (SieveModel::contains(*module))
    return module;
  llvm::errs() << "sieve-run: note: --raise formed no sieve.model ("
               << (noModelWhy.empty()
                       ? std::string("no transformer structure found")
                       : noModelWhy)
               << "); running at the onnx level\n";
  return unraised;
}

/// Where #onnx.external weights of `module` (read from `path`) resolve.
static std::string baseDirOf(ModuleOp module, StringRef path) {
  std::string dir;
  if (auto attr = module->getAttrOfType<StringAttr>("onnx.model_dir"))
    dir = attr.getValue().str();
  else
    dir = llvm::sys::path::parent_path(path).str();
  return dir.empty() ? "." : dir;
}

/// Prepares a token model: a sieve.model runs through a SieveModel and
/// Sessions, anything else through the onnx-level Executor. Exits on errors.
static void openTokenModel(Model &m, const std::string &baseDir) {
  if (SieveModel::contains(*m.module)) {
    auto loaded = SieveModel::open(*m.module, baseDir, threads);
    if (failed(loaded))
      std::exit(1);
    m.sieve = std::move(*loaded);
    return;
  }
  m.func = findFunction(*m.module, funcName);
  if (!m.func)
    std::exit(1);
  m.exec = std::make_unique<Executor>(m.func, baseDir, threads);
  checkTokenModel(m.func);
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // --speculative chooses its draft with --sieve-skip-layers.
  sieve::registerSieveSkipLayers();
  std::vector<const char *> args;
  for (int i = 0; i < argc; ++i) {
    StringRef a = argv[i];
    if (i > 0 && (a == "--threads" || a == "-threads")) {
      if (i + 1 >= argc)
        fail("--threads needs a value");
      a = argv[++i];
    } else if (i > 0 && (a.consume_front("--threads=") ||
                         a.consume_front("-threads="))) {
    } else {
      args.push_back(argv[i]);
      continue;
    }
    if (a.getAsInteger(10, threads))
      fail("--threads needs an integer, got '" + a + "'");
  }
  cl::HideUnrelatedOptions({&category});
  cl::ParseCommandLineOptions(
      int(args.size()), args.data(),
      "sieve-run: run a model on the CPU reference executor (float32)\n\n"
      "  sieve-run model.onnx --eval valid.txt [--window 512] [--json]\n"
      "  sieve-run model.onnx --prompt TEXT --max-new-tokens N\n"
      "  sieve-run model.onnx --retrieval cases.jsonl [--json]\n"
      "  sieve-run model.mlir --logits-out l.npy --input-file F "
      "--input-bytes N\n"
      "  sieve-run ops.mlir --func NAME [--inputs \"1,2;3\"]\n"
      "  sieve-run model.onnx --raise --prompt TEXT [--check-kv]\n"
      "  sieve-run raised.mlir --batch-prompts FILE [--check-batch]\n"
      "  sieve-run model.onnx --raise --profile TEXT -o profile.json\n"
      "  sieve-run ops.mlir      (runs every argument-free function)\n"
      "  sieve-run model.sieve --prompt TEXT | --eval F | --bench (GPU)\n\n"
      "--threads=N sets the worker threads (default 0: one per hardware\n"
      "thread).\n"
      "MODEL is an ONNX file (imported in-process) or an .mlir file at the\n"
      "onnx or the sieve level (a sieve.model runs with a KV cache). Byte-level models: token id = byte value. Weights named\n"
      "by #onnx.external are found through the module's onnx.model_dir\n"
      "(for .mlir files without it: the file's folder) and memory-mapped.\n");

  if (!device.empty() && device != "cpu" && device != "gpu")
    fail("unknown --device '" + device + "' (cpu or gpu)");
  if (window <= 1)
    fail("--window must be at least 2, got " + Twine(window.getValue()));
  if (maxWindows < 0)
    fail("--max-windows must be >= 0");
  if (maxNewTokens < 0)
    fail("--max-new-tokens must be >= 0, got " +
         Twine(maxNewTokens.getValue()));
  if (temperature < 0 || !std::isfinite(temperature))
    fail("--temperature must be >= 0");
  if (topK < 0)
    fail("--top-k must be >= 0");
  if (!(topP > 0 && topP <= 1))
    fail("--top-p must be in (0, 1]");
  if (threads < 0 || threads > 1024)
    fail("--threads must be between 0 and 1024");
  if (inputBytes < -1 || inputBytes == 0)
    fail("--input-bytes must be positive");
  int modes = !evalFile.empty() + !prompt.empty() + !logitsOut.empty() +
              !batchPrompts.empty() + !profileText.empty() +
              !retrievalFile.empty();
  if (modes > 1)
    fail("choose one of --eval, --prompt, --batch-prompts, --logits-out, "
         "--profile and --retrieval");
  if (!profileText.empty() && outputPath.empty())
    fail("--profile needs -o FILE for the profile");
  if (profileText.empty() && !outputPath.empty())
    fail("-o goes with --profile");
  if (checkKV && prompt.empty())
    fail("--check-kv goes with --prompt");
  bool speculative = speculativeSpec.getNumOccurrences() > 0;
  if (speculative && prompt.empty())
    fail("--speculative goes with --prompt");
  if (speculative && (temperature > 0 || topK > 0 || topP < 1))
    fail("--speculative decodes greedily: it conflicts with --temperature, "
         "--top-k and --top-p");
  if (verifyGraph && !speculative)
    fail("--verify-graph goes with --speculative on a compiled model");
  if (speculative && checkKV)
    fail("--speculative and --check-kv are separate runs");
  if (checkBatch && batchPrompts.empty())
    fail("--check-batch goes with --batch-prompts");
  if (maxContext < 0)
    fail("--max-context must be >= 0");
  if (maxBatch < 0)
    fail("--max-batch must be >= 0");

  if (benchDecodeSteps <= 0 || benchDecodeSteps > (1 << 20))
    fail("--bench-decode-steps must be in [1, 2^20]");
  // Checked here, before a model is loaded: the runtime's own bounds.
  std::vector<int64_t> benchLengths =
      parseBenchList(benchPromptLengths, "--bench-prompt-lengths", 1 << 24);
  std::vector<int64_t> benchBatchList =
      parseBenchList(benchBatches, "--bench-batches", 65535);
  if (sieve::run::isCompiledModel(modelPath)) {
    if (device == "cpu")
      fail("'" + modelPath + "' is a compiled model: it runs on the GPU (give "
           "the .onnx or .mlir to run the CPU reference)");
    if (modes + bench > 1)
      fail("choose one of --eval, --prompt, --logits-out, --retrieval and "
           "--bench");
    if (!batchPrompts.empty())
      fail("--batch-prompts is not supported for compiled models yet");
    sieve::run::CompiledOptions o;
    o.modelDir = modelPath;
    o.evalFile = evalFile;
    o.window = window;
    o.maxWindows = maxWindows;
    o.prompt = prompt;
    o.maxNewTokens = maxNewTokens;
    o.temperature = temperature;
    o.topK = topK;
    o.topP = topP;
    o.seed = seed;
    o.logitsOut = logitsOut;
    o.retrievalFile = retrievalFile;
    o.retrievalFile = retrievalFile;
    o.inputFile = inputFile;
    o.inputBytes = inputBytes;
    o.checkKV = checkKV;
    o.bench = bench;
    o.benchPromptLengths = benchLengths;
    o.benchBatches = benchBatchList;
    o.benchDecodeSteps = benchDecodeSteps;
    o.maxContext = maxContext;
    o.maxBatch = maxBatch;
    o.json = json;
    o.speculative = speculative;
    o.verifyGraph = verifyGraph;
    if (speculative && !speculativeSpec.empty()) {
      // A compiled draft is fixed; only its tokens per step may change.
      StringRef text = speculativeSpec;
      auto [key, value] = text.trim().split('=');
      if (key != "draft" || value.contains(' ') ||
          value.getAsInteger(10, o.draftTokens) || o.draftTokens < 1 ||
          o.draftTokens > sieve::kMaxDraftTokens)
        fail("--speculative on a compiled model takes nothing or 'draft=K' "
             "(1 to " + Twine(sieve::kMaxDraftTokens) + "), not '" + text +
             "': its skipped sub-layers were chosen by sieve-compile "
             "--self-speculative");
    }
    return sieve::run::runCompiled(o);
  }
  if (verifyGraph)
    fail("--verify-graph is for compiled models (the CPU reference verifies "
         "with Session::extend)");
  if (device == "gpu")
    fail("--device=gpu runs compiled models (sieve-compile MODEL -o "
         "model.sieve); '" + modelPath + "' is not one");
  if (bench)
    fail("--bench times compiled models; '" + modelPath + "' is not one");

  if (!baselinePath.empty() && evalFile.empty())
    fail("--baseline goes with --eval");
  checkModelPath(modelPath);
  if (!baselinePath.empty())
    checkModelPath(baselinePath);

  DialectRegistry registry;
  sieve::registerImportDialects(registry);
  registry.insert<sieve::SieveDialect>();
  MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  std::string noModelWhy; // sieve-raise's remark when no sieve.model formed
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Remark) {
      std::string text = diag.str();
      StringRef t = text;
      size_t at = t.find("no sieve.model");
      if (at != StringRef::npos && noModelWhy.empty())
        noModelWhy = t.drop_front(at).str();
      return success();
    }
    if (diag.getSeverity() != DiagnosticSeverity::Error)
      return success();
    std::string where = locString(diag.getLocation());
    llvm::errs() << "sieve-run: error: " << (where.empty() ? "" : where + ": ")
                 << diag.str() << "\n";
    return success();
  });

  Model m;
  m.module = loadModule(modelPath, context, noModelWhy);
  std::string baseDir = baseDirOf(*m.module, modelPath);
  bool modelMode = !evalFile.empty() || !prompt.empty() ||
                   !logitsOut.empty() || !batchPrompts.empty() ||
                   !profileText.empty() || !retrievalFile.empty();
  if (modelMode) {
    if (!SieveModel::contains(*m.module)) {
      if (!batchPrompts.empty())
        fail("--batch-prompts runs at the sieve level: the model holds no "
             "sieve.model (try --raise)");
      if (!profileText.empty())
        fail("--profile runs at the sieve level: the model holds no "
             "sieve.model (try --raise)");
      if (checkKV)
        fail("--check-kv needs the sieve level: the model holds no "
             "sieve.model (try --raise)");
    }
    openTokenModel(m, baseDir);
    if (!evalFile.empty()) {
      if (baselinePath.empty())
        return runEval(m, nullptr);
      Model base;
      base.module = loadModule(baselinePath, context, noModelWhy);
      openTokenModel(base, baseDirOf(*base.module, baselinePath));
      return runEval(m, &base);
    }
    if (!prompt.empty())
      return runGenerate(m);
    if (!batchPrompts.empty())
      return runBatch(m);
    if (!profileText.empty())
      return runProfile(m);
    if (!retrievalFile.empty())
      return runRetrievalCases(m);
    return runLogits(m);
  }
  if (SieveModel::contains(*m.module))
    fail("a sieve.model runs with --eval, --prompt, --batch-prompts, "
         "--logits-out, --profile or --retrieval");
  auto funcs = llvm::to_vector(m.module->getOps<func::FuncOp>());
  if (funcName.empty() && inputsSpec.getNumOccurrences() == 0 &&
      funcs.size() > 1 && !m.module->lookupSymbol<func::FuncOp>("main")) {
    // Op tests: run every function without arguments, in order.
    int status = 0;
    for (func::FuncOp f : funcs) {
      if (f.isExternal() || f.getNumArguments() > 0)
        continue;
      llvm::outs() << "@" << f.getSymName() << "\n";
      llvm::outs().flush();
      m.func = f;
      m.exec = std::make_unique<Executor>(f, baseDir, threads);
      if (runFunction(m))
        status = 1;
    }
    return status;
  }
  m.func = findFunction(*m.module, funcName);
  if (!m.func)
    return 1;
  m.exec = std::make_unique<Executor>(m.func, baseDir, threads);
  if (m.func.getNumArguments() > 0 && inputsSpec.getNumOccurrences() == 0)
    fail("nothing to do: give --eval, --prompt, --logits-out, or --inputs "
         "for @" + m.func.getSymName() + "'s arguments");
  return runFunction(m);
}
