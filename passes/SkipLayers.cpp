//===- SkipLayers.cpp - remove decoder layers or their blocks -------------===//
//
// --sieve-skip-layers (Passes.td has the contract, docs/skip-layers.md the
// measured results). The pass lists the removable units (whole layers, or
// the attention and MLP blocks of each layer in sublayer mode) with their
// analytic decode cost, orders them (by a profile's metric, or evenly spread
// for unified), and removes them one at a time until `count` or the target
// speedup is reached; the iterative variant re-profiles the pruned model
// through the CPU reference Session before every choice.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Sieve/SieveOps.h"
#include "sieve/Passes/Passes.h"
#include "sieve/Reference/Profile.h"

#include "LayerBlocks.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Support/FormatVariadic.h"

namespace sieve {
#define GEN_PASS_DEF_SIEVESKIPLAYERS
#include "passes/Passes.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;

//===----------------------------------------------------------------------===//
// Layers and blocks (LayerBlocks.h)
//===----------------------------------------------------------------------===//

StringRef sieve::skipUnitName(SkipUnit u) {
  return u == SkipUnit::Layer       ? "layer"
         : u == SkipUnit::Attention ? "attention"
                                    : "mlp";
}

FailureOr<SkipItem> sieve::parseSkipItem(StringRef text, std::string &error) {
  auto [index, block] = text.trim().split('.');
  SkipItem item{0, SkipUnit::Layer};
  if (index.getAsInteger(10, item.layer) || item.layer < 0) {
    error = "'" + text.str() + "' is not a layer index (4) or a block of one "
            "(3.attn, 3.mlp)";
    return failure();
  }
  if (block == "attn" || block == "attention")
    item.unit = SkipUnit::Attention;
  else if (block == "mlp")
    item.unit = SkipUnit::Mlp;
  else if (!block.empty() || text.trim().ends_with(".")) {
    error = "'" + text.str() + "': a block is .attn or .mlp, not '." +
            block.str() + "'";
    return failure();
  }
  return item;
}

SmallVector<SkipItem> sieve::skipItemsOf(ArrayAttr removed) {
  SmallVector<SkipItem> items;
  if (!removed)
    return items;
  for (auto entry : removed.getAsRange<DictionaryAttr>()) {
    auto layer = entry.getAs<IntegerAttr>("layer");
    auto block = entry.getAs<StringAttr>("block");
    if (!layer || !block)
      continue;
    SkipUnit unit = block.getValue() == "attention" ? SkipUnit::Attention
                    : block.getValue() == "mlp"     ? SkipUnit::Mlp
                                                    : SkipUnit::Layer;
    items.push_back({layer.getInt(), unit});
  }
  return items;
}

DecoderLayerOp sieve::findLayer(ModelOp model, int64_t index) {
  for (DecoderLayerOp l : model.getLayers())
    if (int64_t(l.getIndex()) == index)
      return l;
  return nullptr;
}

SmallVector<Operation *> sieve::blockOps(AddOp add, Value residual) {
  Value branch = add->getOperand(0) == residual ? add->getOperand(1)
                                                 : add->getOperand(0);
  SmallVector<Operation *> ops;
  llvm::SmallPtrSet<Operation *, 16> seen;
  SmallVector<Value> work{branch};
  while (!work.empty()) {
    Value v = work.pop_back_val();
    Operation *def = v.getDefiningOp();
    if (v == residual || !def || !seen.insert(def).second)
      continue;
    ops.push_back(def);
    llvm::append_range(work, def->getOperands());
  }
  return ops;
}

std::optional<LayerBlocks> sieve::getLayerBlocks(DecoderLayerOp layer) {
  auto adds = layer.getResidualAdds();
  if (!adds)
    return std::nullopt;
  LayerBlocks b{adds->first, adds->second, {}, {}};
  Value stream = layer.getBody().front().getArgument(0);
  if (b.attention) {
    b.attentionResidual = stream;
    stream = b.attention->getResult(0);
  }
  b.mlpResidual = stream;
  return b;
}

namespace {

using Unit = SkipUnit;
StringRef unitName(Unit u) { return skipUnitName(u); }

/// Something the pass may remove: a layer (by its index attribute, stable
/// across removals) or one of its blocks.
struct Candidate {
  int64_t layer;
  Unit unit;
  int64_t cost = 0; // analytic decode bytes
};

/// Decode bytes of `ops`: their weights, and the KV cache of their
/// attentions at `context` positions.
int64_t costOf(ArrayRef<Operation *> ops, int64_t context) {
  int64_t bytes = 0;
  for (Operation *op : ops) {
    if (auto w = dyn_cast<WeightOp>(op))
      bytes += w.getSizeInBytes();
    if (auto a = dyn_cast<AttentionOp>(op)) {
      Type et = cast<ShapedType>(a.getKey().getType()).getElementType();
      bytes += 2 * int64_t(a.getNumKvHeads()) * int64_t(a.getHeadDim()) *
               context * (et.getIntOrFloatBitWidth() / 8);
    }
  }
  return bytes;
}

/// Erases ops of `block` without uses (all sieve ops in a layer are pure),
/// last first so that their operands' producers become dead in turn.
void eraseDead(Block &block) {
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block)))
    if (!op.hasTrait<OpTrait::IsTerminator>() && op.use_empty())
      op.erase();
}

struct SkipLayersPass
    : public sieve::impl::SieveSkipLayersBase<SkipLayersPass> {
  using Base::Base;

  ModelOp model;

  void runOnOperation() override;

  // Diagnostics on the model's location (not the op: it would be printed).
  InFlightDiagnostic refuse() {
    return mlir::emitError(model.getLoc()) << "sieve-skip-layers: ";
  }
  LogicalResult checkOptions();
  std::optional<int64_t> filterLayer();
  bool pinned(int64_t index, Unit unit);
  FailureOr<SmallVector<Candidate>> listCandidates();
  FailureOr<ref::ProfileSummary> currentProfile(bool first);
  double importance(const ref::ProfileSummary &p, const Candidate &c,
                    double &score);
  void remove(const Candidate &c);
  void record(const Candidate &c, std::optional<double> score, int64_t order);
  void report(int64_t done, double speedup);
  int64_t totalCost();
  FailureOr<SmallVector<Candidate>> listedUnits();
};

LogicalResult SkipLayersPass::checkOptions() {
  if (mode != "static" && mode != "unified" && mode != "sublayer" &&
      mode != "list")
    return refuse() << "mode=" << mode
                    << " is not one of static, unified, sublayer, list";
  if (mode == "list") {
    if (metric.hasValue() || profile.hasValue() || calibration.hasValue() ||
        iterative || count.hasValue() || targetSpeedup.hasValue())
      return refuse() << "mode=list removes exactly layers=: metric=, "
                         "profile=, calibration=, iterative=, count= and "
                         "target-speedup= conflict with it";
    if (layers.empty())
      return refuse() << "mode=list needs layers= (for example "
                         "layers=4,3.attn,5.mlp)";
    return success();
  }
  if (!layers.empty())
    return refuse() << "layers= names what mode=list removes; mode=" << mode
                    << " chooses by itself";
  if (metric != "cosine" && metric != "lim" && metric != "zd")
    return refuse() << "metric=" << metric
                    << " is not one of cosine, lim, zd";
  bool haveCount = count >= 0, haveTarget = targetSpeedup.hasValue();
  if (count.hasValue() && count < 0)
    return refuse() << "count=" << count.getValue() << " must be >= 0";
  if (haveCount && haveTarget)
    return refuse() << "count= and target-speedup= conflict: give one";
  if (!haveCount && !haveTarget)
    return refuse() << "give count=N or target-speedup=S";
  if (haveTarget && !(targetSpeedup > 1.0))
    return refuse() << "target-speedup=" << targetSpeedup.getValue()
                    << " must be above 1";
  if (keepFirst < 0 || keepLast < 0)
    return refuse() << "keep-first and keep-last must be >= 0";
  if (context < 1 || window < 2 || maxWindows < 0 || threads < 0)
    return refuse() << "context >= 1, window >= 2, max-windows >= 0 and "
                       "threads >= 0 are required";
  if (mode == "unified") {
    if (metric.hasValue() || profile.hasValue() || calibration.hasValue() ||
        iterative)
      return refuse() << "mode=unified spreads the removed layers evenly and "
                         "reads no profile: metric=, profile=, calibration= "
                         "and iterative= conflict with it";
    return success();
  }
  if (mode == "sublayer" && metric == "zd")
    return refuse() << "metric=zd scores whole layers (weights); "
                       "mode=sublayer needs cosine or lim";
  if (iterative && calibration.empty())
    return refuse() << "iterative=true re-profiles after each removal: it "
                       "needs calibration=TEXT";
  if (iterative && metric == "zd")
    return refuse() << "metric=zd reads only weights, which removing other "
                       "layers does not change: iterative=true conflicts "
                       "with it";
  if (profile.empty() && calibration.empty())
    return refuse() << "mode=" << mode
                    << " ranks by a profile: give profile=FILE (sieve-run "
                       "--profile) or calibration=TEXT";
  return success();
}

/// The decoder layer at whose attention the token filter
/// (--sieve-prune-tokens) scores the prompt, if the model has one.
std::optional<int64_t> SkipLayersPass::filterLayer() {
  if (TokenFilterAttr filter = model.getTokenFilterAttr())
    return filter.getLayer();
  return std::nullopt;
}

/// Whether removing `unit` of layer `index` would take away what another
/// pass depends on: the token filter needs its layer's attention (the MLP
/// block after it is not used by the filter and may go).
bool SkipLayersPass::pinned(int64_t index, Unit unit) {
  return filterLayer() == index && unit != Unit::Mlp;
}

/// The removable units of the model as it is now: layers at positions
/// [keep-first, L - keep-last), or their blocks, less the pinned ones.
FailureOr<SmallVector<Candidate>> SkipLayersPass::listCandidates() {
  SmallVector<DecoderLayerOp> layers = model.getLayers();
  SmallVector<Candidate> out;
  int64_t L = layers.size();
  for (int64_t i = keepFirst; i < L - keepLast; ++i) {
    DecoderLayerOp layer = layers[i];
    int64_t index = layer.getIndex();
    if (mode != "sublayer") {
      if (pinned(index, Unit::Layer))
        continue;
      SmallVector<Operation *> ops;
      layer.getBody().walk([&](Operation *op) { ops.push_back(op); });
      out.push_back({index, Unit::Layer, costOf(ops, context)});
      continue;
    }
    std::optional<LayerBlocks> b = getLayerBlocks(layer);
    if (!b)
      return mlir::emitError(layer.getLoc())
             << "sieve-skip-layers: layer " << index
             << " is not of the form r = x + attention, y = r + mlp: its "
                "blocks cannot be removed separately";
    if (b->attention && !pinned(index, Unit::Attention))
      out.push_back({index, Unit::Attention,
                     costOf(blockOps(b->attention, b->attentionResidual),
                            context)});
    if (b->mlp)
      out.push_back({index, Unit::Mlp,
                     costOf(blockOps(b->mlp, b->mlpResidual), context)});
  }
  return out;
}

/// The profile to rank by: profile= at first (checked against the model),
/// else one computed in-process on calibration=.
FailureOr<ref::ProfileSummary> SkipLayersPass::currentProfile(bool first) {
  llvm::Expected<ref::ProfileSummary> summary =
      llvm::createStringError(llvm::inconvertibleErrorCode(), "no profile");
  std::string source;
  if (first && !profile.empty()) {
    source = "profile '" + profile + "'";
    summary = ref::readProfile(StringRef(profile.getValue()));
  } else {
    source = "the in-process profile";
    std::string baseDir = ".";
    if (auto dir = getOperation()->getAttrOfType<StringAttr>("onnx.model_dir"))
      baseDir = dir.getValue().str();
    auto loaded = ref::SieveModel::open(getOperation(), baseDir, threads);
    if (failed(loaded))
      return failure();
    ref::ProfileOptions opts;
    opts.textPath = calibration;
    opts.modelPath = "(sieve-skip-layers, in-process)";
    opts.window = window;
    opts.maxWindows = maxWindows;
    FailureOr<llvm::json::Value> json = ref::profileModel(**loaded, opts);
    if (failed(json))
      return failure();
    summary = ref::readProfile(*json);
  }
  if (!summary)
    return refuse() << llvm::toString(summary.takeError());
  SmallVector<DecoderLayerOp> layers = model.getLayers();
  if (summary->layers.size() != layers.size())
    return refuse() << source << " has " << summary->layers.size()
                    << " layers, the model has " << layers.size();
  for (auto [p, l] : llvm::zip(summary->layers, layers))
    if (p.index != int64_t(l.getIndex()))
      return refuse() << source << " lists layer index " << p.index
                      << " where the model has layer " << l.getIndex();
  return std::move(*summary);
}

/// Importance of `c` (remove the lowest); `score` gets the metric's value.
double SkipLayersPass::importance(const ref::ProfileSummary &p,
                                  const Candidate &c, double &score) {
  const ref::LayerProfile *lp = nullptr;
  for (const ref::LayerProfile &l : p.layers)
    if (l.index == c.layer)
      lp = &l;
  assert(lp && "profile checked against the model");
  if (metric == "zd") {
    score = lp->zd;
    return -lp->zd; // more weights beyond one sigma: less important
  }
  double cos = c.unit == Unit::Layer       ? lp->cosine
               : c.unit == Unit::Attention ? lp->cosineAttention
                                           : lp->cosineMlp;
  score = metric == "lim" ? -cos : 1.0 - cos;
  return score; // BI and LIM rank alike
}

void SkipLayersPass::remove(const Candidate &c) {
  DecoderLayerOp layer = findLayer(model, c.layer);
  assert(layer && "candidates are current layers");
  if (c.unit != Unit::Layer) {
    std::optional<LayerBlocks> b = getLayerBlocks(layer);
    assert(b && (c.unit == Unit::Attention ? b->attention : b->mlp) &&
           "checked when listing");
    AddOp add = c.unit == Unit::Attention ? b->attention : b->mlp;
    Value residual =
        c.unit == Unit::Attention ? b->attentionResidual : b->mlpResidual;
    add->getResult(0).replaceAllUsesWith(residual);
    Block &body = layer.getBody().front();
    eraseDead(body);
    // Both blocks gone: the layer is the identity; erase it too.
    if (body.getTerminator()->getOperand(0) != body.getArgument(0))
      return;
  }
  layer.getOutput().replaceAllUsesWith(layer.getInput());
  layer.erase();
  model->setAttr(model.getNumLayersAttrName(),
                 Builder(model).getI64IntegerAttr(model.getLayers().size()));
}

void SkipLayersPass::record(const Candidate &c, std::optional<double> score,
                            int64_t order) {
  Builder b(&getContext());
  SmallVector<NamedAttribute> fields{
      b.getNamedAttr("layer", b.getI64IntegerAttr(c.layer)),
      b.getNamedAttr("block", b.getStringAttr(unitName(c.unit))),
      b.getNamedAttr("mode", b.getStringAttr(mode)),
      b.getNamedAttr("metric",
                     b.getStringAttr(mode == "unified" || mode == "list"
                                         ? StringRef("none")
                                         : StringRef(metric))),
      b.getNamedAttr("order", b.getI64IntegerAttr(order))};
  if (score)
    fields.push_back(b.getNamedAttr("score", b.getF64FloatAttr(*score)));
  if (iterative)
    fields.push_back(b.getNamedAttr("iterative", b.getBoolAttr(true)));
  SmallVector<Attribute> all;
  if (auto prev = getOperation()->getAttrOfType<ArrayAttr>("sieve.removed"))
    llvm::append_range(all, prev.getValue());
  all.push_back(b.getDictionaryAttr(fields));
  getOperation()->setAttr("sieve.removed", b.getArrayAttr(all));
}

void SkipLayersPass::runOnOperation() {
  SmallVector<ModelOp> models;
  getOperation().walk([&](ModelOp m) { models.push_back(m); });
  if (models.size() != 1) {
    mlir::emitError(getOperation().getLoc())
        << "sieve-skip-layers: expected one sieve.model, found "
        << models.size() << " (run --sieve-raise first)";
    return signalPassFailure();
  }
  model = models[0];
  if (failed(checkOptions()))
    return signalPassFailure();

  FailureOr<SmallVector<Candidate>> listed =
      mode == "list" ? listedUnits() : listCandidates();
  if (failed(listed))
    return signalPassFailure();
  SmallVector<Candidate> candidates = std::move(*listed);
  StringRef what = mode == "sublayer" ? "blocks" : "layers";
  if (count > int64_t(candidates.size())) {
    InFlightDiagnostic diag =
        refuse() << "count=" << count.getValue() << " but only "
                 << candidates.size() << " " << what
                 << " are removable (keep-first=" << keepFirst.getValue()
                 << ", keep-last=" << keepLast.getValue();
    if (std::optional<int64_t> r = filterLayer())
      diag << "; layer " << *r << (mode == "sublayer" ? "'s attention" : "")
           << " stays for the token filter";
    diag << ")";
    return signalPassFailure();
  }

  int64_t total = totalCost(), removable = 0;
  for (const Candidate &c : candidates)
    removable += c.cost;
  auto speedup = [&](int64_t removed) {
    return double(total) / double(total - removed);
  };
  if (targetSpeedup.hasValue() && speedup(removable) < targetSpeedup) {
    refuse() << llvm::formatv(
        "target-speedup={0} cannot be met: removing all {1} removable {2} "
        "gives {3:f3} (analytic cost at context={4})",
        targetSpeedup.getValue(), candidates.size(), what,
        speedup(removable), context.getValue());
    return signalPassFailure();
  }
  int64_t removed = 0, done = 0;
  auto finished = [&] {
    return count >= 0 ? done >= count : speedup(removed) >= targetSpeedup;
  };

  if (mode == "list") {
    for (const Candidate &c : candidates) {
      remove(c);
      record(c, std::nullopt, done++);
      removed += c.cost;
    }
    report(done, speedup(removed));
    return;
  }

  if (mode == "unified") {
    int64_t M = candidates.size();
    auto spread = [&](int64_t n) {
      SmallVector<Candidate> chosen;
      for (int64_t i = 0; i < n; ++i)
        chosen.push_back(candidates[(2 * i + 1) * M / (2 * n)]);
      return chosen;
    };
    auto bytesOf = [](ArrayRef<Candidate> cs) {
      int64_t bytes = 0;
      for (const Candidate &c : cs)
        bytes += c.cost;
      return bytes;
    };
    int64_t N = count;
    if (N < 0) // the fewest evenly spread layers that meet the target
      for (N = 1; N < M && speedup(bytesOf(spread(N))) < targetSpeedup; ++N) {
      }
    for (const Candidate &c : spread(N)) {
      remove(c);
      record(c, std::nullopt, done++);
      removed += c.cost;
    }
    report(done, speedup(removed));
    return;
  }

  // static / sublayer: remove the least important unit, re-ranking on a new
  // profile each time when iterative.
  FailureOr<ref::ProfileSummary> prof = currentProfile(/*first=*/true);
  if (failed(prof))
    return signalPassFailure();
  while (!finished()) {
    auto best = candidates.end();
    double bestImportance = 0, bestScore = 0;
    for (auto it = candidates.begin(); it != candidates.end(); ++it) {
      double score;
      double imp = importance(*prof, *it, score);
      if (best == candidates.end() || imp < bestImportance) {
        best = it;
        bestImportance = imp;
        bestScore = score;
      }
    }
    Candidate chosen = *best;
    candidates.erase(best);
    remove(chosen);
    record(chosen, bestScore, done++);
    removed += chosen.cost;
    if (iterative && !finished()) {
      prof = currentProfile(/*first=*/false);
      if (failed(prof))
        return signalPassFailure();
    }
  }
  report(done, speedup(removed));
}

/// The analytic decode cost of the model: every layer, plus the weights
/// outside layers that decoding reads whole (not embedding tables: one row
/// per token).
int64_t SkipLayersPass::totalCost() {
  int64_t total = 0;
  for (Operation &op : model.getBody().front()) {
    if (auto layer = dyn_cast<DecoderLayerOp>(op)) {
      SmallVector<Operation *> ops;
      layer.getBody().walk([&](Operation *o) { ops.push_back(o); });
      total += costOf(ops, context);
    } else if (auto w = dyn_cast<WeightOp>(op)) {
      bool onlyEmbedding = !w->use_empty() &&
                           llvm::all_of(w->getUsers(), [](Operation *u) {
                             return isa<EmbeddingOp>(u);
                           });
      if (!onlyEmbedding)
        total += w.getSizeInBytes();
    }
  }
  return total;
}

/// mode=list: the units of layers=, checked against the model (each layer
/// exists, each block exists, nothing named twice, not every layer).
FailureOr<SmallVector<Candidate>> SkipLayersPass::listedUnits() {
  SmallVector<Candidate> out;
  llvm::DenseMap<int64_t, SmallVector<Unit>> named;
  SmallVector<DecoderLayerOp> all = model.getLayers();
  for (const std::string &text : layers) {
    std::string error;
    FailureOr<SkipItem> item = parseSkipItem(text, error);
    if (failed(item))
      return refuse() << "layers=: " << error;
    DecoderLayerOp layer = findLayer(model, item->layer);
    if (!layer)
      return refuse() << "layers=: layer " << item->layer
                      << " is not in the model (" << all.size()
                      << " layers, indices " << all.front().getIndex()
                      << ".." << all.back().getIndex() << ")";
    SmallVector<Unit> &seen = named[item->layer];
    bool overlaps = llvm::any_of(seen, [&](Unit u) {
      return u == item->unit || u == Unit::Layer || item->unit == Unit::Layer;
    });
    if (overlaps)
      return refuse() << "layers=: layer " << item->layer
                      << " is named twice ('" << text << "')";
    seen.push_back(item->unit);
    if (pinned(item->layer, item->unit))
      return refuse() << "layers=: '" << text << "' would remove the "
                      << "attention of layer " << item->layer
                      << ", where the token filter (--sieve-prune-tokens "
                         "layer="
                      << item->layer << ") scores the prompt";
    if (item->unit == Unit::Layer) {
      SmallVector<Operation *> ops;
      layer.getBody().walk([&](Operation *op) { ops.push_back(op); });
      out.push_back({item->layer, Unit::Layer, costOf(ops, context)});
      continue;
    }
    std::optional<LayerBlocks> b = getLayerBlocks(layer);
    if (!b)
      return refuse() << "layers=: layer " << item->layer
                      << " is not of the form r = x + attention, y = r + "
                         "mlp: its blocks cannot be removed separately";
    bool attention = item->unit == Unit::Attention;
    AddOp add = attention ? b->attention : b->mlp;
    if (!add)
      return refuse() << "layers=: layer " << item->layer << " has no "
                      << unitName(item->unit) << " block";
    out.push_back({item->layer, item->unit,
                   costOf(blockOps(add, attention ? b->attentionResidual
                                                  : b->mlpResidual),
                          context)});
  }
  // A layer is gone when named whole or when every block it has is named.
  int64_t gone = llvm::count_if(all, [&](DecoderLayerOp l) {
    auto it = named.find(l.getIndex());
    if (it == named.end())
      return false;
    if (llvm::is_contained(it->second, Unit::Layer))
      return true;
    std::optional<LayerBlocks> b = getLayerBlocks(l);
    return b && (!b->attention ||
                 llvm::is_contained(it->second, Unit::Attention)) &&
           (!b->mlp || llvm::is_contained(it->second, Unit::Mlp));
  });
  if (gone == int64_t(all.size()))
    return refuse() << "layers= removes every layer of the model: nothing "
                       "but the embedding and the LM head would remain";
  return out;
}

void SkipLayersPass::report(int64_t done, double speedup) {
  mlir::emitRemark(model.getLoc()) << llvm::formatv(
      "sieve-skip-layers: removed {0} {1}; {2} layers left; analytic decode "
      "speedup {3:f3} at context={4}",
      done,
      mode == "sublayer" ? "blocks"
      : mode == "list"   ? "layers or blocks"
                         : "layers",
      model.getLayers().size(),
      speedup, context.getValue());
  if (std::optional<int64_t> r = filterLayer(); r && mode != "list")
    mlir::emitRemark(model.getLoc())
        << "sieve-skip-layers: layer " << *r
        << (mode == "sublayer" ? "'s attention" : "")
        << " was not a candidate: the token filter scores the prompt there";
}

} // namespace
