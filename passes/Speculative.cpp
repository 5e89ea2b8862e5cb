//===- Speculative.cpp - the self-speculative draft -----------------------===//
//
// The draft is chosen by --sieve-skip-layers run on a clone of the raised
// model (an explicit list, or a profile's ranking), so choosing and
// removing sub-layers lives in one place. From the pruned clone come
//   - for the GPU: its lowered @decode, grafted into the full program as
//     @draft over the full program's weights and KV cache;
//   - for the CPU reference: a Session::Bypass of the same sub-layers.
//
//===----------------------------------------------------------------------===//

#include "sieve/Passes/Speculative.h"
#include "sieve/Dialect/Kernel/KernelOps.h"
#include "sieve/Dialect/Sieve/SieveOps.h"
#include "sieve/Passes/Passes.h"

#include "LayerBlocks.h"

#include "mlir/IR/Builders.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace sieve;
namespace k = sieve::kernel;

llvm::Expected<SpeculativeSpec> sieve::parseSpeculativeSpec(StringRef text) {
  auto error = [](const Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   message.str());
  };
  SpeculativeSpec spec;
  bool haveDraft = false, haveSkip = false;
  std::string others;
  SmallVector<StringRef> words;
  llvm::SplitString(text, words);
  for (StringRef word : words) {
    auto [key, value] = word.split('=');
    if (key == "draft") {
      if (value.getAsInteger(10, spec.draftTokens) || spec.draftTokens < 1 ||
          spec.draftTokens > kMaxDraftTokens)
        return error("draft=" + value + ": tokens drafted per verify step "
                     "must be 1 to " + Twine(kMaxDraftTokens));
      haveDraft = true;
    } else if (key == "skip") {
      if (value.empty())
        return error("skip= is empty: name layers (4) or blocks (3.attn, "
                     "3.mlp)");
      spec.skipLayersOptions += " mode=list layers=" + value.str();
      haveSkip = true;
    } else {
      others += " " + word.str();
    }
  }
  if (!haveDraft)
    return error("give draft=K, the tokens drafted per verify step (1 to " +
                 Twine(kMaxDraftTokens) + ")");
  if (!haveSkip && others.empty())
    return error("name what the draft skips: skip=LIST (4,3.attn,5.mlp) or "
                 "options of --sieve-skip-layers (profile=FILE count=N ...)");
  spec.skipLayersOptions += others;
  spec.skipLayersOptions = StringRef(spec.skipLayersOptions).trim().str();
  return spec;
}

FailureOr<OwningOpRef<ModuleOp>>
sieve::pruneDraftClone(ModuleOp module, StringRef skipLayersOptions) {
  OwningOpRef<ModuleOp> clone = module.clone();
  // Removals the compiled model already has are not the draft's.
  (*clone)->removeAttr("sieve.removed");
  PassManager pm = PassManager::on<ModuleOp>(module.getContext());
  std::string pipeline = "sieve-skip-layers{" + skipLayersOptions.str() + "}";
  if (failed(parsePassPipeline(pipeline, pm)))
    return module.emitError("the draft's skip options do not parse: '")
           << pipeline << "'";
  if (failed(pm.run(*clone)))
    return failure();
  if (!(*clone)->getAttrOfType<ArrayAttr>("sieve.removed"))
    return module.emitError("the draft skips nothing: it would be the full "
                            "model");
  return clone;
}

static ModelOp theModel(ModuleOp module) {
  ModelOp model;
  module.walk([&](ModelOp m) { model = m; });
  return model;
}

FailureOr<ref::Session::Bypass> sieve::draftBypass(ModuleOp module,
                                                   ArrayAttr removed) {
  ModelOp model = theModel(module);
  if (!model)
    return module.emitError("draft: no sieve.model");
  ref::Session::Bypass bypass;
  for (const SkipItem &item : skipItemsOf(removed)) {
    DecoderLayerOp layer = findLayer(model, item.layer);
    if (!layer)
      return module.emitError("draft: layer ") << item.layer
             << " is not in the model";
    if (item.unit == SkipUnit::Layer) {
      bypass.passThrough[layer] = layer.getInput();
      continue;
    }
    std::optional<LayerBlocks> b = getLayerBlocks(layer);
    bool attention = item.unit == SkipUnit::Attention;
    AddOp add = !b ? AddOp() : attention ? b->attention : b->mlp;
    if (!add)
      return module.emitError("draft: layer ")
             << item.layer << " has no " << skipUnitName(item.unit)
             << " block";
    Value residual = attention ? b->attentionResidual : b->mlpResidual;
    bypass.passThrough[add] = residual;
    for (Operation *op : blockOps(add, residual))
      bypass.skipped.insert(op);
  }
  // Weights stay: other layers' ops may share them (a tied table).
  for (Operation *op : llvm::to_vector(bypass.skipped))
    if (isa<WeightOp>(op))
      bypass.skipped.erase(op);
  return bypass;
}

/// Decoder-layer indices of the attentions of the sieve.model in `module`,
/// in the order the lowering gives them KV layers (-1 outside a layer).
static SmallVector<int64_t> kvLayerIndices(ModuleOp module) {
  SmallVector<int64_t> out;
  if (ModelOp model = theModel(module))
    model.walk([&](AttentionOp a) {
      auto layer = a->getParentOfType<DecoderLayerOp>();
      out.push_back(layer ? int64_t(layer.getIndex()) : -1);
    });
  return out;
}

FailureOr<SmallVector<int64_t>> sieve::draftKvLayerMap(ModuleOp full,
                                                       ModuleOp draft) {
  SmallVector<int64_t> fullLayers = kvLayerIndices(full);
  SmallVector<int64_t> map;
  for (int64_t layer : kvLayerIndices(draft)) {
    auto it = llvm::find(fullLayers, layer);
    if (layer < 0 || it == fullLayers.end() ||
        llvm::count(fullLayers, layer) != 1)
      return full.emitError("self-speculative: the draft's attention of "
                            "layer ")
             << layer << " is not one attention of the full model";
    map.push_back(it - fullLayers.begin());
  }
  return map;
}

LogicalResult sieve::addDraftEntry(k::ProgramOp full, k::ProgramOp draft,
                                   ArrayRef<int64_t> kvMap) {
  k::EntryOp decode, fullDecode;
  for (auto e : draft.getBody().getOps<k::EntryOp>())
    if (e.getSymName() == "decode")
      decode = e;
  for (auto e : full.getBody().getOps<k::EntryOp>())
    if (e.getSymName() == "decode")
      fullDecode = e;
  if (!decode || !fullDecode)
    return full.emitError("self-speculative: a program without @decode");
  MLIRContext *ctx = full.getContext();
  OpBuilder builder(ctx);

  // The draft's weights are the full model's: same sources, layout, type.
  auto keyOf = [&](k::WeightOp w) -> Attribute {
    return ArrayAttr::get(ctx, {w.getSourcesAttr(),
                                BoolAttr::get(ctx, w.getTranspose()),
                                TypeAttr::get(w.getTensorType())});
  };
  DenseMap<Attribute, StringAttr> fullWeights;
  for (auto w : full.getBody().getOps<k::WeightOp>())
    fullWeights[keyOf(w)] = w.getSymNameAttr();
  DenseMap<StringAttr, FlatSymbolRefAttr> renamed;
  for (auto w : draft.getBody().getOps<k::WeightOp>()) {
    auto it = fullWeights.find(keyOf(w));
    if (it == fullWeights.end())
      return w.emitError("self-speculative: the draft's weight @")
             << w.getSymName() << " is packed differently from every weight "
             << "of the full model";
    renamed[w.getSymNameAttr()] = FlatSymbolRefAttr::get(it->second);
  }
  // Its buffers are its own (planned together with the full model's).
  builder.setInsertionPoint(*full.getBody().getOps<k::EntryOp>().begin());
  for (auto b : draft.getBody().getOps<k::BufferOp>()) {
    std::string name = ("draft." + b.getSymName()).str();
    k::BufferOp::create(builder, b.getLoc(), builder.getStringAttr(name),
                        b.getRowBytesAttr(), IntegerAttr());
    renamed[b.getSymNameAttr()] = FlatSymbolRefAttr::get(ctx, name);
  }

  builder.setInsertionPointAfter(fullDecode);
  auto entry = cast<k::EntryOp>(builder.clone(*decode));
  entry.setSymName("draft");
  // Launches name weights and buffers by symbol and the KV cache by a
  // `layer` index (rotary_kv_append, attention_decode).
  for (Operation &op : entry.getBody().front()) {
    for (NamedAttribute attr : llvm::to_vector(op.getAttrs())) {
      if (auto ref = dyn_cast<FlatSymbolRefAttr>(attr.getValue())) {
        auto it = renamed.find(ref.getAttr());
        if (it == renamed.end())
          return op.emitError("self-speculative: @")
                 << ref.getValue() << " is not a weight or buffer of the draft";
        op.setAttr(attr.getName(), it->second);
      } else if (attr.getName() == "layer") {
        int64_t layer = cast<IntegerAttr>(attr.getValue()).getInt();
        if (layer < 0 || layer >= int64_t(kvMap.size()))
          return op.emitError("self-speculative: draft KV layer ")
                 << layer << " has no full-model counterpart";
        op.setAttr(attr.getName(), builder.getI64IntegerAttr(kvMap[layer]));
      }
    }
  }
  return success();
}
