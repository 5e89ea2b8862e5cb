//===- Profile.cpp - calibration profiles of a sieve.model ----------------===//
//
// A SessionObserver that knows, for every op of interest, which statistic it
// feeds (a "role"), built once from the IR: the decoder layer op itself
// (layer cosine), the two residual adds (sub-layer cosines), the linear that
// reads the attention input, the attention (its output and probabilities),
// the MLP (its input and, inside it, the down projection's input) and the LM
// head. The session then runs every calibration window as one prefill.
//
//===----------------------------------------------------------------------===//

#include "sieve/Reference/Profile.h"
#include "sieve/Dialect/Sieve/SieveOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cmath>

using namespace mlir;
using namespace sieve::ref;
namespace json = llvm::json;

namespace {

/// Activation inputs recorded per layer (docs/profile.md, "inputs").
enum InputKind { kAttention, kAttentionOutput, kMlp, kMlpDown, kNumInputs };
constexpr const char *kInputNames[kNumInputs] = {
    "attention", "attention_output", "mlp", "mlp_down"};

/// Per input channel: mean and max of |x| over tokens.
struct ChannelStats {
  std::vector<double> absSum;
  std::vector<float> absMax;
  int64_t rows = 0;

  void add(const Tensor &t) {
    int64_t K = t.shape.back(), n = t.numel() / K;
    if (absSum.empty()) {
      absSum.assign(K, 0.0);
      absMax.assign(K, 0.0f);
    }
    for (int64_t r = 0; r < n; ++r) {
      const float *row = t.f() + r * K;
      for (int64_t k = 0; k < K; ++k) {
        float a = std::fabs(row[k]);
        absSum[k] += a;
        absMax[k] = std::max(absMax[k], a);
      }
    }
    rows += n;
  }
  json::Value toJSON() const {
    json::Array mean, max;
    for (size_t k = 0; k < absSum.size(); ++k) {
      mean.push_back(rows ? absSum[k] / double(rows) : 0.0);
      max.push_back(double(absMax[k]));
    }
    return json::Object{{"abs_mean", std::move(mean)},
                        {"abs_max", std::move(max)}};
  }
};

struct Mean {
  double sum = 0;
  int64_t n = 0;
  // Nothing observed: the block was removed, so its output is its input.
  double value() const { return n ? sum / double(n) : 1.0; }
};

/// Adds cos(x_r, y_r) of every row r (the last axis) to `m`.
void addRowCosines(const Tensor &x, const Tensor &y, Mean &m) {
  int64_t H = x.shape.back(), n = x.numel() / H;
  for (int64_t r = 0; r < n; ++r) {
    const float *a = x.f() + r * H, *b = y.f() + r * H;
    double dot = 0, na = 0, nb = 0;
    for (int64_t h = 0; h < H; ++h) {
      dot += double(a[h]) * b[h];
      na += double(a[h]) * a[h];
      nb += double(b[h]) * b[h];
    }
    // A zero vector has no direction; count it as unchanged only if both are.
    m.sum += (na > 0 && nb > 0) ? dot / std::sqrt(na * nb)
                                : (na == nb ? 1.0 : 0.0);
    ++m.n;
  }
}

struct LayerStats {
  int64_t index = 0;
  Mean cosine, cosineAttention, cosineMlp;
  // Per head: summed sink / local / rest mass, and the queries seen.
  std::vector<std::array<double, 3>> heads;
  int64_t queries = 0;
  ChannelStats inputs[kNumInputs];
};

/// What an op feeds. `operand` < 0 means the op's result.
struct Role {
  enum Kind { LayerCosine, AttentionCosine, MlpCosine, Input, Heads, LMHead };
  Kind kind;
  unsigned layer = 0;
  int operand = 0;
  InputKind input = kAttention;
};

class Profiler : public SessionObserver {
public:
  std::vector<LayerStats> layers;
  ChannelStats lmHead;
  llvm::DenseMap<Operation *, SmallVector<Role, 2>> roles;
  // sieve.gated_mlp / sieve.mlp ops whose inner down_input is kMlpDown.
  llvm::DenseMap<Operation *, unsigned> downInner;

  LogicalResult build(sieve::ModelOp model);
  LogicalResult addAttentionRoles(sieve::DecoderLayerOp layer, unsigned li);
  LogicalResult addMlpRoles(sieve::DecoderLayerOp layer, unsigned li);

  void afterOp(Operation *op, ArrayRef<const Tensor *> operands,
               const Tensor &result) override {
    auto it = roles.find(op);
    if (it == roles.end())
      return;
    for (const Role &r : it->second) {
      const Tensor &in = r.operand < 0 ? result : *operands[r.operand];
      LayerStats &L = layers[r.layer];
      switch (r.kind) {
      case Role::LayerCosine:
        addRowCosines(in, result, L.cosine);
        break;
      case Role::AttentionCosine:
        addRowCosines(in, result, L.cosineAttention);
        break;
      case Role::MlpCosine:
        addRowCosines(in, result, L.cosineMlp);
        break;
      case Role::Input:
        L.inputs[r.input].add(in);
        break;
      case Role::LMHead:
        lmHead.add(in);
        break;
      case Role::Heads:
        break;
      }
    }
  }

  void innerValue(Operation *op, StringRef what, const Tensor &v) override {
    auto it = downInner.find(op);
    if (it != downInner.end() && what == "down_input")
      layers[it->second].inputs[kMlpDown].add(v);
  }

  void attentionProbs(Operation *op, const AttentionProbs &p) override {
    auto it = roles.find(op);
    if (it == roles.end())
      return;
    LayerStats &L = layers[it->second.front().layer];
    if (L.heads.empty())
      L.heads.assign(p.heads, {0.0, 0.0, 0.0});
    for (int64_t b = 0; b < p.batch; ++b)
      for (int64_t h = 0; h < p.heads; ++h)
        for (int64_t r = 0; r < p.rows; ++r) {
          const float *row =
              p.probs + ((b * p.heads + h) * p.rows + r) * p.keys;
          int64_t pos = p.start[b] + p.s0 + r;
          int64_t localFrom = std::max(kSinkTokens, pos - kLocalTokens + 1);
          double sink = 0, local = 0, rest = 0;
          for (int64_t j = 0; j <= pos; ++j)
            (j < kSinkTokens ? sink : j >= localFrom ? local : rest) += row[j];
          L.heads[h][0] += sink;
          L.heads[h][1] += local;
          L.heads[h][2] += rest;
        }
    L.queries += p.batch * p.rows;
  }
};

/// The LinearOp that produces `v`, looking through rotary and split (fused
/// projections); null if there is none.
sieve::LinearOp producingLinear(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto lin = dyn_cast<sieve::LinearOp>(def))
      return lin;
    if (!isa<sieve::RotaryOp, sieve::SplitOp>(def))
      return nullptr;
    v = def->getOperand(0);
  }
  return nullptr;
}

template <typename OpT> SmallVector<OpT> opsIn(Block &block) {
  return llvm::to_vector(block.getOps<OpT>());
}

LogicalResult Profiler::addAttentionRoles(sieve::DecoderLayerOp layer,
                                          unsigned li) {
  auto attentions = opsIn<sieve::AttentionOp>(layer.getBody().front());
  if (attentions.size() != 1)
    return layer.emitError() << "profile: layer " << layer.getIndex()
                             << ": expected one sieve.attention, found "
                             << attentions.size();
  sieve::AttentionOp attn = attentions[0];
  sieve::LinearOp qProj = producingLinear(attn.getOperand(0));
  if (!qProj)
    return layer.emitError() << "profile: layer " << layer.getIndex()
                             << ": the attention's queries do not come from "
                                "a sieve.linear";
  roles[qProj].push_back({Role::Input, li, 0, kAttention});
  roles[attn].push_back({Role::Heads, li, -1});
  roles[attn].push_back({Role::Input, li, -1, kAttentionOutput});
  return success();
}

/// The MLP: one op (gated_mlp / mlp), or linears around a sieve.glu.
LogicalResult Profiler::addMlpRoles(sieve::DecoderLayerOp layer,
                                    unsigned li) {
  Block &body = layer.getBody().front();
  SmallVector<Operation *> mlps;
  for (Operation &op : body)
    if (isa<sieve::GatedMLPOp, sieve::MLPOp>(op))
      mlps.push_back(&op);
  auto glus = opsIn<sieve::GLUOp>(body);
  if (mlps.size() == 1 && glus.empty()) {
    roles[mlps[0]].push_back({Role::Input, li, 0, kMlp});
    downInner[mlps[0]] = li;
    return success();
  }
  if (mlps.empty() && glus.size() == 1) {
    sieve::LinearOp gateProj = producingLinear(glus[0]->getOperand(0));
    sieve::LinearOp downProj;
    for (Operation *user : glus[0]->getUsers())
      if (auto lin = dyn_cast<sieve::LinearOp>(user))
        downProj = lin;
    if (gateProj && downProj) {
      roles[gateProj].push_back({Role::Input, li, 0, kMlp});
      roles[downProj].push_back({Role::Input, li, 0, kMlpDown});
      return success();
    }
  }
  return layer.emitError() << "profile: layer " << layer.getIndex()
                           << ": expected one MLP (sieve.gated_mlp, "
                              "sieve.mlp or linears around one sieve.glu)";
}

LogicalResult Profiler::build(sieve::ModelOp model) {
  for (sieve::DecoderLayerOp layer : model.getLayers()) {
    unsigned li = layers.size();
    layers.emplace_back();
    layers.back().index = layer.getIndex();
    auto refuse = [&](const Twine &why) {
      return layer.emitError() << "profile: layer " << layer.getIndex() << ": "
                               << why;
    };
    Block &body = layer.getBody().front();
    Value x = body.getArgument(0);
    roles[layer].push_back({Role::LayerCosine, li, 0});

    auto adds = layer.getResidualAdds();
    if (!adds)
      return refuse("expected the residual form r = x + attention, "
                    "y = r + mlp (a chain of sieve.add from the layer input "
                    "to the yield, one per block)");
    auto [attnAdd, mlpAdd] = *adds;
    // Each add's residual operand is the stream it reads.
    Value stream = x;
    auto residualOf = [&](sieve::AddOp add) {
      int i = add->getOperand(0) == stream ? 0 : 1;
      stream = add->getResult(0);
      return i;
    };
    if (attnAdd)
      roles[attnAdd].push_back(
          {Role::AttentionCosine, li, residualOf(attnAdd)});
    if (mlpAdd)
      roles[mlpAdd].push_back({Role::MlpCosine, li, residualOf(mlpAdd)});
    if (attnAdd && failed(addAttentionRoles(layer, li)))
      return failure();
    if (mlpAdd && failed(addMlpRoles(layer, li)))
      return failure();
  }
  auto heads = opsIn<sieve::LMHeadOp>(model.getBody().front());
  if (heads.size() != 1)
    return model.emitError() << "profile: expected one sieve.lm_head, found "
                             << heads.size();
  roles[heads[0]].push_back({Role::LMHead, 0, 0});
  return success();
}

/// Statistics of one weight's elements: mean, standard deviation, max |w|,
/// and ZD = the fraction of z = (w - mean) / std above 1.
struct WeightStats {
  double sum = 0, sumSq = 0, absMax = 0;
  int64_t n = 0;
  void add(const float *p, int64_t count) {
    for (int64_t i = 0; i < count; ++i) {
      sum += p[i];
      sumSq += double(p[i]) * p[i];
      absMax = std::max(absMax, double(std::fabs(p[i])));
    }
    n += count;
  }
  double mean() const { return n ? sum / double(n) : 0.0; }
  double std() const {
    double m = mean();
    return n ? std::sqrt(std::max(0.0, sumSq / double(n) - m * m)) : 0.0;
  }
};

int64_t countAbove(const float *p, int64_t count, double threshold) {
  int64_t c = 0;
  for (int64_t i = 0; i < count; ++i)
    c += p[i] > threshold;
  return c;
}

/// The layer's "weights" object: ZD over all its matrices pooled, the bytes
/// of all its weights, and per matrix its own statistics.
json::Value layerWeights(SieveModel &model, sieve::DecoderLayerOp layer) {
  SmallVector<std::pair<sieve::WeightOp, const Tensor *>> mats;
  int64_t bytes = 0;
  WeightStats pooled;
  for (auto w : layer.getBody().front().getOps<sieve::WeightOp>()) {
    bytes += w.getSizeInBytes();
    const Tensor *t = model.weight(w);
    if (!t || t->storage != Storage::F32 || t->shape.size() != 2)
      continue;
    mats.push_back({w, t});
    pooled.add(t->f(), t->numel());
  }
  json::Array linears;
  int64_t pooledAbove = 0;
  double pooledThreshold = pooled.mean() + pooled.std();
  for (auto [w, t] : mats) {
    WeightStats s;
    s.add(t->f(), t->numel());
    pooledAbove += countAbove(t->f(), t->numel(), pooledThreshold);
    int64_t above = countAbove(t->f(), t->numel(), s.mean() + s.std());
    linears.push_back(json::Object{
        {"name", w.getName() ? w.getName()->str() : std::string()},
        {"shape", json::Array{t->shape[0], t->shape[1]}},
        {"mean", s.mean()},
        {"std", s.std()},
        {"abs_max", s.absMax},
        {"zd", double(above) / double(s.n)}});
  }
  return json::Object{
      {"zd", pooled.n ? double(pooledAbove) / double(pooled.n) : 0.0},
      {"bytes", bytes},
      {"linears", std::move(linears)}};
}

} // namespace

FailureOr<json::Value> sieve::ref::profileModel(SieveModel &model,
                                                const ProfileOptions &opts) {
  auto modelOp = cast<sieve::ModelOp>(model.modelOp());
  if (opts.window < 2)
    return modelOp.emitError() << "profile: window must be at least 2, got "
                               << opts.window;
  auto buf = llvm::MemoryBuffer::getFile(opts.textPath, /*IsText=*/false,
                                         /*RequiresNullTerminator=*/false);
  if (!buf)
    return modelOp.emitError() << "profile: cannot read '" << opts.textPath
                               << "': " << buf.getError().message();
  StringRef text = (*buf)->getBuffer();
  if (model.vocabSize() < 256)
    return modelOp.emitError() << "profile: calibration text needs a "
                                  "byte-level model (vocabulary >= 256), "
                                  "this one has "
                               << model.vocabSize();
  Profiler prof;
  if (failed(prof.build(modelOp)))
    return failure();

  int64_t windows = (int64_t(text.size()) + opts.window - 1) / opts.window;
  if (opts.maxWindows > 0)
    windows = std::min(windows, opts.maxWindows);
  auto session = Session::create(model, 1, opts.window);
  if (failed(session))
    return failure();
  (*session)->setObserver(&prof);
  int64_t used = 0, ran = 0;
  for (int64_t w = 0; w < windows; ++w) {
    int64_t begin = w * opts.window,
            len = std::min<int64_t>(opts.window, int64_t(text.size()) - begin);
    if (len < 2)
      continue;
    Tensor ids = Tensor::i64({1, len});
    for (int64_t i = 0; i < len; ++i)
      ids.i()[i] = static_cast<unsigned char>(text[begin + i]);
    Tensor logits;
    if (failed((*session)->prefill(ids, {}, logits)))
      return failure();
    used += len;
    ++ran;
  }
  if (ran == 0)
    return modelOp.emitError() << "profile: '" << opts.textPath
                               << "' holds no window of 2 or more bytes";

  json::Array layers;
  SmallVector<sieve::DecoderLayerOp> layerOps = modelOp.getLayers();
  for (auto [L, op] : llvm::zip(prof.layers, layerOps)) {
    json::Array heads;
    for (auto &h : L.heads) {
      double q = double(std::max<int64_t>(1, L.queries));
      heads.push_back(json::Object{
          {"sink", h[0] / q}, {"local", h[1] / q}, {"rest", h[2] / q}});
    }
    json::Object inputs;
    for (int k = 0; k < kNumInputs; ++k)
      inputs[kInputNames[k]] = L.inputs[k].toJSON();
    layers.push_back(json::Object{
        {"index", L.index},
        {"cosine", L.cosine.value()},
        {"cosine_attention", L.cosineAttention.value()},
        {"cosine_mlp", L.cosineMlp.value()},
        {"heads", std::move(heads)},
        {"inputs", std::move(inputs)},
        {"weights", layerWeights(model, op)}});
  }
  return json::Value(json::Object{
      {"schema", "sieve-profile"},
      {"version", kProfileVersion},
      {"model", opts.modelPath},
      {"calibration", json::Object{{"text", opts.textPath},
                                   {"bytes", used},
                                   {"window", opts.window},
                                   {"windows", ran}}},
      {"layers", std::move(layers)},
      {"lm_head", json::Object{{"inputs", prof.lmHead.toJSON()}}}});
}

//===----------------------------------------------------------------------===//
// Reading profiles back
//===----------------------------------------------------------------------===//

static llvm::Error profileError(const Twine &msg) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), msg);
}

/// Reads A["abs_mean"] (A = {"abs_mean": [...], "abs_max": [...]}).
static llvm::Error readAbsMean(const json::Value &a, std::vector<float> &out,
                               const Twine &where) {
  const json::Object *obj = a.getAsObject();
  const json::Array *mean = obj ? obj->getArray("abs_mean") : nullptr;
  if (!mean)
    return profileError(where + " has no \"abs_mean\" array");
  out.clear();
  for (const json::Value &v : *mean) {
    std::optional<double> d = v.getAsNumber();
    if (!d || !(*d >= 0))
      return profileError(where + ".abs_mean holds a value that is not a "
                                  "number >= 0");
    out.push_back(float(*d));
  }
  return llvm::Error::success();
}

llvm::Expected<ProfileSummary>
sieve::ref::readProfile(const json::Value &value) {
  const json::Object *root = value.getAsObject();
  if (!root || root->getString("schema") != "sieve-profile")
    return profileError("not a sieve profile (\"schema\" is not "
                        "\"sieve-profile\")");
  std::optional<int64_t> version = root->getInteger("version");
  if (version != kProfileVersion)
    return profileError("profile version " +
                        Twine(version ? *version : -1) +
                        " is not supported (expected " +
                        Twine(kProfileVersion) + ")");
  ProfileSummary out;
  if (auto m = root->getString("model"))
    out.model = m->str();
  const json::Array *layers = root->getArray("layers");
  if (!layers)
    return profileError("profile has no \"layers\" array");
  for (auto [i, v] : llvm::enumerate(*layers)) {
    const json::Object *o = v.getAsObject();
    auto num = [&](StringRef key) -> std::optional<double> {
      return o ? o->getNumber(key) : std::nullopt;
    };
    const json::Object *weights = o ? o->getObject("weights") : nullptr;
    std::optional<int64_t> index = o ? o->getInteger("index") : std::nullopt;
    auto c = num("cosine"), ca = num("cosine_attention"),
         cm = num("cosine_mlp");
    std::optional<double> zd =
        weights ? weights->getNumber("zd") : std::nullopt;
    if (!index || !c || !ca || !cm || !zd)
      return profileError("profile layer entry " + Twine(i) +
                          " lacks index, cosine, cosine_attention, "
                          "cosine_mlp or weights.zd");
    LayerProfile layer{*index, *c, *ca, *cm, *zd, {}};
    if (const json::Object *inputs = o->getObject("inputs"))
      for (const auto &[key, a] : *inputs)
        if (llvm::Error e = readAbsMean(a, layer.inputAbsMean[key.str()],
                                        "profile layer " + Twine(*index) +
                                            " input \"" + key.str() + "\""))
          return std::move(e);
    if (const json::Array *heads = o->getArray("heads"))
      for (const json::Value &h : *heads) {
        const json::Object *ho = h.getAsObject();
        std::optional<double> rest = ho ? ho->getNumber("rest") : std::nullopt;
        if (!rest)
          return profileError("profile layer " + Twine(*index) +
                              ": a \"heads\" entry lacks \"rest\"");
        layer.headRest.push_back(*rest);
      }
    out.layers.push_back(std::move(layer));
  }
  if (const json::Object *head = root->getObject("lm_head"))
    if (const json::Value *inputs = head->get("inputs"))
      if (llvm::Error e = readAbsMean(*inputs, out.lmHeadAbsMean,
                                      "profile lm_head input"))
        return std::move(e);
  return out;
}

llvm::Expected<ProfileSummary> sieve::ref::readProfile(StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buf)
    return profileError("cannot read profile '" + path +
                        "': " + buf.getError().message());
  llvm::Expected<json::Value> parsed = json::parse((*buf)->getBuffer());
  if (!parsed)
    return profileError("profile '" + path + "' is not valid JSON: " +
                        llvm::toString(parsed.takeError()));
  return readProfile(*parsed);
}
