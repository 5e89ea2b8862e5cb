//===- Quantize.cpp - quantize a sieve.model's weights and KV cache -------===//
//
// --sieve-quantize: replaces the float weights of the linears by
// sieve.quantized_weight ops whose arrays go to a weights file of their own
// (never inline), and gives every attention a #sieve.kv cache format. The
// numerics are sieve/Quant's, shared with the CPU reference that runs the
// result. Options and refusals: Passes.td; layouts: docs/quantization.md.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Sieve/SieveOps.h"
#include "sieve/Passes/Passes.h"
#include "sieve/Quant/Quant.h"
#include "sieve/Reference/Profile.h"
#include "sieve/Reference/Weights.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

namespace sieve {
#define GEN_PASS_DEF_SIEVEQUANTIZE
#include "passes/Passes.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;
using quant::Format;

namespace {

/// A linear weight to quantize: the operand that reads it, its decoder
/// layer (-1 for the LM head) and the profile input that feeds it.
struct Target {
  OpOperand *use;
  int64_t layer;
  std::string input;
};

/// Which profile input feeds a sieve.linear: the attention output (o_proj),
/// a GLU (down), a projection whose result feeds a GLU (fused gate/up), or
/// the attention input (q/k/v, fused qkv).
std::string linearInput(LinearOp op) {
  Operation *def = op.getInput().getDefiningOp();
  if (isa_and_nonnull<AttentionOp>(def))
    return "attention_output";
  if (isa_and_nonnull<GLUOp>(def))
    return "mlp_down";
  for (Operation *user : op->getUsers()) {
    if (isa<GLUOp>(user))
      return "mlp";
    if (isa<SplitOp>(user))
      for (Operation *u : user->getUsers())
        if (isa<GLUOp>(u))
          return "mlp";
  }
  return "attention";
}

/// The linear weights of `model` in program order.
SmallVector<Target> collectTargets(ModelOp model, bool lmHead) {
  SmallVector<Target> targets;
  for (DecoderLayerOp layer : model.getLayers()) {
    int64_t i = layer.getIndex();
    layer.getBody().walk([&](Operation *op) {
      if (auto l = dyn_cast<LinearOp>(op)) {
        targets.push_back({&l.getWeightMutable(), i, linearInput(l)});
      } else if (auto g = dyn_cast<GatedMLPOp>(op)) {
        targets.push_back({&g.getGateMutable(), i, "mlp"});
        targets.push_back({&g.getUpMutable(), i, "mlp"});
        targets.push_back({&g.getDownMutable(), i, "mlp_down"});
      } else if (auto m = dyn_cast<MLPOp>(op)) {
        targets.push_back({&m.getUpMutable(), i, "mlp"});
        targets.push_back({&m.getDownMutable(), i, "mlp_down"});
      }
    });
  }
  if (lmHead)
    model.walk([&](LMHeadOp head) {
      if (head.getTransposed())
        head.emitRemark() << "sieve-quantize: the LM head reads a [vocab, "
                             "hidden] table (tied to the embedding); left "
                             "in float";
      else
        targets.push_back({&head.getWeightMutable(), -1, "lm_head"});
    });
  return targets;
}

/// Appends arrays to the weights file, 64-byte aligned, and names them as
/// #onnx.external by the file's absolute path.
class WeightsFile {
public:
  LogicalResult open(StringRef path, Operation *at) {
    SmallString<256> abs(path);
    if (std::error_code ec = llvm::sys::fs::make_absolute(abs))
      return at->emitError() << "sieve-quantize: bad weights-file '" << path
                             << "': " << ec.message();
    location = abs.str().str();
    std::error_code ec;
    os = std::make_unique<llvm::raw_fd_ostream>(location, ec);
    if (ec)
      return at->emitError() << "sieve-quantize: cannot write weights-file '"
                             << location << "': " << ec.message();
    return success();
  }

  onnx::ExternalTensorAttr write(MLIRContext *ctx, ArrayRef<int64_t> shape,
                                 Type et, const void *bytes, size_t size) {
    while (offset % 64) {
      *os << '\0';
      ++offset;
    }
    os->write(static_cast<const char *>(bytes), size);
    auto attr = onnx::ExternalTensorAttr::get(
        ctx, RankedTensorType::get(shape, et), location, offset, size);
    offset += size;
    return attr;
  }

  LogicalResult close(Operation *at) {
    os->close();
    if (os->has_error())
      return at->emitError() << "sieve-quantize: writing '" << location
                             << "' failed: " << os->error().message();
    return success();
  }

  uint64_t bytesWritten() const { return offset; }

private:
  std::string location;
  std::unique_ptr<llvm::raw_fd_ostream> os;
  uint64_t offset = 0;
};

std::optional<Format> parseFormat(StringRef s) {
  if (s == "int8")
    return Format::Int8;
  if (s == "int4")
    return Format::Int4;
  if (s == "fp8")
    return Format::FP8;
  return std::nullopt;
}

QuantAttr formatAttr(MLIRContext *ctx, Format f, int64_t group) {
  switch (f) {
  case Format::Int8:
    return QuantAttr::get(ctx, QuantKind::int8, 0, false);
  case Format::Int4:
    return QuantAttr::get(ctx, QuantKind::int4, group, true);
  case Format::FP8:
    return QuantAttr::get(ctx, QuantKind::fp8, 0, false);
  }
  return {};
}

struct SieveQuantizePass
    : public sieve::impl::SieveQuantizeBase<SieveQuantizePass> {
  using SieveQuantizeBase::SieveQuantizeBase;
  /// Clones copy the options only; the rest is per run.
  SieveQuantizePass(const SieveQuantizePass &other)
      : SieveQuantizeBase(other) {}

  // Per run: the parsed options, the weights read and written.
  std::optional<Format> format; // weights=; none: nullopt
  std::optional<ref::ProfileSummary> prof;
  std::unique_ptr<ref::WeightReader> reader;
  WeightsFile file;

  /// The profile's entry for decoder layer `index`, or null.
  const ref::LayerProfile *profileLayer(int64_t index) const {
    for (const ref::LayerProfile &l : prof->layers)
      if (l.index == index)
        return &l;
    return nullptr;
  }

  LogicalResult checkOptions(Operation *at);
  FailureOr<DenseSet<int64_t>> int8Layers(ModelOp model);
  LogicalResult quantizeWeight(const Target &t, Format f);
  FailureOr<SmallVector<Target>> floatTargets(ModelOp model,
                                              ArrayRef<Target> targets);
  LogicalResult setKVFormat(ModelOp model);

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(checkOptions(module)))
      return signalPassFailure();
    SmallVector<ModelOp> models;
    module.walk([&](ModelOp m) { models.push_back(m); });
    if (models.size() != 1) {
      module.emitError() << "sieve-quantize: expected one sieve.model, found "
                         << models.size() << " (run --sieve-raise first)";
      return signalPassFailure();
    }
    ModelOp model = models[0];
    if (kv != "none" && failed(setKVFormat(model)))
      return signalPassFailure();
    if (!format)
      return;

    FailureOr<DenseSet<int64_t>> high = int8Layers(model);
    if (failed(high))
      return signalPassFailure();
    std::string baseDir = ".";
    if (auto dir = module->getAttrOfType<StringAttr>("onnx.model_dir"))
      baseDir = dir.getValue().str();
    reader = std::make_unique<ref::WeightReader>(baseDir);
    if (failed(file.open(weightsFile, module)))
      return signalPassFailure();
    SmallVector<Target> targets = collectTargets(model, lmHead);
    FailureOr<SmallVector<Target>> toQuantize = floatTargets(model, targets);
    if (failed(toQuantize))
      return signalPassFailure();
    for (const Target &t : *toQuantize) {
      Format f = t.layer >= 0 && high->contains(t.layer) ? Format::Int8
                                                         : *format;
      if (failed(quantizeWeight(t, f)))
        return signalPassFailure();
    }
    if (failed(file.close(module)))
      return signalPassFailure();
  }
};

LogicalResult SieveQuantizePass::checkOptions(Operation *at) {
  auto fail = [&](const Twine &msg) {
    return at->emitError() << "sieve-quantize: " << msg;
  };
  if (weights != "none") {
    format = parseFormat(weights);
    if (!format)
      return fail("unknown weights format '" + weights +
                  "' (expected int8, int4, fp8 or none)");
  }
  if (kv != "none" && kv != "int8" && kv != "fp8" && kv != "int4")
    return fail("unknown kv format '" + kv +
                "' (expected int8, fp8, int4 or none)");
  if (kvGroup < 0 || kvGroup % 2)
    return fail("kv-group must be even and >= 0 (0: head_dim), got " +
                Twine(kvGroup));
  if (kvGroup && kv != "int4")
    return fail("kv-group applies to kv=int4 only");
  if (method != "rtn" && method != "awq")
    return fail("unknown method '" + method + "' (expected rtn or awq)");
  if (format == Format::Int4 && (group < 2 || group % 2))
    return fail("group must be an even number >= 2, got " + Twine(group));
  if (format && weightsFile.empty())
    return fail("weights-file= is required: quantized weights are written "
                "to a file of their own, never inline");
  if (method == "awq") {
    if (!format)
      return fail("method=awq needs weights=int8 or int4");
    if (format == Format::FP8)
      return fail("method=awq with weights=fp8 is not supported (fp8 "
                  "quantizes activations per token; scaling them is not "
                  "implemented)");
    if (profile.empty())
      return fail("method=awq needs profile= (per-input-channel activation "
                  "magnitudes from sieve-run --profile)");
  }
  if (targetBits != 0) {
    if (!(targetBits > 4 && targetBits <= 8))
      return fail("target-bits must be in (4, 8] (int4 and int8 layers), "
                  "got " +
                  llvm::formatv("{0}", double(targetBits)).str());
    if (format != Format::Int4)
      return fail("target-bits mixes int4 and int8 layers: it needs "
                  "weights=int4");
    if (order != "lim" && order != "zd" && order != "random")
      return fail("unknown order '" + order +
                  "' (expected lim, zd or random)");
    if (order != "random" && profile.empty())
      return fail("order=" + order +
                  " needs profile= (per-layer importance from sieve-run "
                  "--profile)");
  }
  if (!profile.empty()) {
    llvm::Expected<ref::ProfileSummary> read = ref::readProfile(StringRef(profile));
    if (!read)
      return fail(llvm::toString(read.takeError()));
    prof = std::move(*read);
  }
  return success();
}

FailureOr<DenseSet<int64_t>> SieveQuantizePass::int8Layers(ModelOp model) {
  DenseSet<int64_t> high;
  if (targetBits == 0)
    return high;
  SmallVector<int64_t> layers;
  for (DecoderLayerOp l : model.getLayers())
    layers.push_back(l.getIndex());
  // Most important first.
  if (order == "random") {
    std::mt19937_64 rng(seed);
    for (size_t i = layers.size(); i > 1; --i)
      std::swap(layers[i - 1], layers[rng() % i]);
  } else {
    DenseMap<int64_t, double> score;
    for (int64_t i : layers) {
      const ref::LayerProfile *l = profileLayer(i);
      if (!l)
        return model.emitError() << "sieve-quantize: the profile has no "
                                    "layer "
                                 << i << " (order=" << order << ")";
      // LIM: a layer that changes its input more (lower cosine between
      // input and output) matters more. ZD: the paper reads a smaller
      // fraction of weights with z-score > 1 as more important.
      score[i] = order == "lim" ? 1.0 - l->cosine : -l->zd;
    }
    std::stable_sort(layers.begin(), layers.end(), [&](int64_t a, int64_t b) {
      return score[a] > score[b];
    });
  }
  size_t count = size_t(std::lround((targetBits - 4.0) / 4.0 *
                                    double(layers.size())));
  layers.resize(std::min(count, layers.size()));
  high.insert(layers.begin(), layers.end());
  std::sort(layers.begin(), layers.end());
  auto diag = model.emitRemark()
              << "sieve-quantize: order=" << order << ": layers at int8:";
  for (int64_t i : layers)
    diag << " " << i;
  int64_t total = model.getLayers().size();
  double average =
      total ? 4.0 + 4.0 * double(layers.size()) / double(total) : 0.0;
  diag << " (" << layers.size() << " of " << total << ", average "
       << llvm::formatv("{0:F2}", average).str() << " bits)";
  return high;
}

/// The targets still in float. Weights that arrived quantized (a model
/// exported with MatMulNBits or DequantizeLinear, raised to
/// sieve.quantized_weight) keep their format, and a remark says how many;
/// mixed precision, which plans every layer's bits, refuses them, and so
/// does a request that would quantize nothing.
FailureOr<SmallVector<Target>>
SieveQuantizePass::floatTargets(ModelOp model, ArrayRef<Target> targets) {
  SmallVector<Target> toQuantize;
  std::map<std::string, int64_t> arrived; // printed format -> weights
  for (const Target &t : targets) {
    if (auto q = t.use->get().getDefiningOp<QuantizedWeightOp>()) {
      std::string printed;
      llvm::raw_string_ostream(printed) << q.getFormat();
      ++arrived[printed];
      continue;
    }
    toQuantize.push_back(t);
  }
  if (arrived.empty())
    return toQuantize;
  int64_t kept = int64_t(targets.size() - toQuantize.size());
  if (targetBits != 0)
    return model.emitError()
           << "sieve-quantize: target-bits plans every layer's bits, but "
           << kept << " weights are already quantized";
  if (toQuantize.empty())
    return model.emitError()
           << "sieve-quantize: every weight these options select (" << kept
           << ") is already quantized: nothing to quantize";
  auto diag = model.emitRemark()
              << "sieve-quantize: " << kept
              << " weights are already quantized and keep their formats (";
  llvm::interleaveComma(arrived, diag, [&](const auto &entry) {
    diag << entry.second << " " << entry.first;
  });
  diag << "); quantizing the other " << toQuantize.size();
  return toQuantize;
}

LogicalResult SieveQuantizePass::quantizeWeight(const Target &t, Format f) {
  Operation *user = t.use->getOwner();
  Value value = t.use->get();
  auto w = value.getDefiningOp<WeightOp>();
  if (!w)
    return user->emitError() << "sieve-quantize: the weight is not a "
                                "sieve.weight; cannot quantize it";
  auto type = cast<RankedTensorType>(w.getType());
  if (type.getRank() != 2 || !isa<FloatType>(type.getElementType()))
    return w.emitError() << "sieve-quantize: expected a 2-d float weight, "
                            "got "
                         << type;
  int64_t K = type.getDimSize(0), N = type.getDimSize(1);
  std::string name = w.getName() ? w.getName()->str() : "";
  if (f == Format::Int4 && K % group)
    return user->emitError() << "sieve-quantize: group " << int64_t(group)
                             << " does not divide the input dimension " << K
                             << " of weight '" << name << "'";
  FailureOr<ref::Tensor> data = reader->load(w);
  if (failed(data))
    return failure();
  const float *pw = data->f();

  std::vector<float> inputScales;
  if (method == "awq") {
    const std::vector<float> *act = nullptr;
    if (t.layer < 0) {
      if (!prof->lmHeadAbsMean.empty())
        act = &prof->lmHeadAbsMean;
    } else if (const ref::LayerProfile *l = profileLayer(t.layer)) {
      auto a = l->inputAbsMean.find(t.input);
      if (a != l->inputAbsMean.end())
        act = &a->second;
    }
    if (!act || int64_t(act->size()) != K)
      return user->emitError()
             << "sieve-quantize: the profile has no " << K
             << " activation magnitudes for input \"" << t.input << "\" of "
             << (t.layer < 0 ? std::string("the LM head")
                             : "layer " + std::to_string(t.layer))
             << (act ? " (it has " + std::to_string(act->size()) + ")" : "");
    float alpha;
    inputScales = quant::awqScales(pw, K, N, f, group, *act, &alpha);
  }
  quant::QuantizedMatrix q = quant::quantize(pw, K, N, f, group, inputScales);
  // Read once: its pages need not stay resident (an 8B model's 16 GB data
  // file would otherwise count in full in the compile's RSS).
  reader->release(w);

  MLIRContext *ctx = &getContext();
  Builder b(ctx);
  Type codes = f == Format::Int8  ? Type(b.getIntegerType(8))
               : f == Format::FP8 ? Type(b.getType<Float8E4M3FNType>())
                                  : Type(IntegerType::get(
                                        ctx, 4, IntegerType::Unsigned));
  auto dataAttr =
      file.write(ctx, {N, K}, codes, q.data.data(), q.data.size());
  onnx::ExternalTensorAttr scales, zeros, inScales;
  if (f == Format::Int4) {
    std::vector<uint16_t> half(q.scales.size());
    for (auto [h, s] : llvm::zip(half, q.scales))
      h = quant::f16Bits(s);
    scales = file.write(ctx, {N, K / group}, b.getF16Type(), half.data(),
                        half.size() * 2);
    zeros = file.write(ctx, {N, K / group}, codes, q.zeros.data(),
                       q.zeros.size());
  } else {
    scales = file.write(ctx, {N}, b.getF32Type(), q.scales.data(),
                        q.scales.size() * 4);
  }
  if (!inputScales.empty())
    inScales = file.write(ctx, {K}, b.getF32Type(), inputScales.data(),
                          inputScales.size() * 4);

  OpBuilder builder(w);
  auto qw = QuantizedWeightOp::create(
      builder, w.getLoc(), type, formatAttr(ctx, f, group), dataAttr, scales,
      zeros, inScales, w.getNameAttr());
  t.use->set(qw);
  if (w->use_empty())
    w->erase();
  return success();
}

LogicalResult SieveQuantizePass::setKVFormat(ModelOp model) {
  MLIRContext *ctx = &getContext();
  QuantKind kind = kv == "int8"  ? QuantKind::int8
                   : kv == "fp8" ? QuantKind::fp8
                                 : QuantKind::int4;
  WalkResult r = model.walk([&](AttentionOp a) {
    int64_t g = 0;
    if (kind == QuantKind::int4) {
      g = kvGroup ? int64_t(kvGroup) : int64_t(a.getHeadDim());
      if (a.getHeadDim() % g) {
        a.emitError() << "sieve-quantize: kv-group " << g
                      << " does not divide head_dim " << a.getHeadDim();
        return WalkResult::interrupt();
      }
    }
    a.setKvAttr(KVAttr::get(ctx, kind, g));
    return WalkResult::advance();
  });
  return failure(r.wasInterrupted());
}

} // namespace
