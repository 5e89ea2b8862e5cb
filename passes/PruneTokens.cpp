//===- PruneTokens.cpp - token pruning and KV eviction policies -----------===//
//
// --sieve-prune-tokens and --sieve-evict-kv (Passes.td has the contracts,
// docs/token-pruning.md the measured results). Both only record a checked
// policy attribute on the sieve.model: the selection depends on the prompt,
// so it happens at run time in each executor (lib/Reference/Session.cpp
// for the CPU), which reads the same attribute. Keeping the policy an
// attribute rather than rewriting the body into a second entry point means
// one IR serves both executors and every other pass (quantization, layer
// skipping) keeps working on an unchanged body.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Sieve/SieveOps.h"
#include "sieve/Passes/Passes.h"
#include "sieve/Reference/Profile.h"

#include "llvm/Support/FormatVariadic.h"

namespace sieve {
#define GEN_PASS_DEF_SIEVEPRUNETOKENS
#define GEN_PASS_DEF_SIEVEEVICTKV
#include "passes/Passes.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;

namespace {

/// The one sieve.model of `module`, or an error naming what to run first.
FailureOr<ModelOp> findModel(ModuleOp module, StringRef pass) {
  SmallVector<ModelOp> models;
  module.walk([&](ModelOp m) { models.push_back(m); });
  if (models.size() != 1)
    return module.emitError()
           << pass << " needs one sieve.model, found " << models.size()
           << " (run --sieve-raise first)";
  return models[0];
}

/// The filter layer the profile suggests (Passes.td states the rule): among
/// the layers at positions [L/4, 3L/4), the largest mean "rest" attention
/// mass over heads.
FailureOr<int64_t> layerFromProfile(ModelOp model, StringRef path) {
  auto profile = ref::readProfile(path);
  if (!profile)
    return model.emitError() << "--sieve-prune-tokens: profile '" << path
                             << "': " << llvm::toString(profile.takeError());
  SmallVector<DecoderLayerOp> layers = model.getLayers();
  int64_t L = layers.size();
  if (int64_t(profile->layers.size()) != L)
    return model.emitError()
           << "--sieve-prune-tokens: the profile has "
           << profile->layers.size() << " layers, the model " << L;
  int64_t best = -1;
  double bestRest = -1;
  for (int64_t pos = L / 4; pos < std::max(L / 4 + 1, (3 * L + 3) / 4);
       ++pos) {
    const ref::LayerProfile &lp = profile->layers[pos];
    if (lp.index != int64_t(layers[pos].getIndex()))
      return model.emitError()
             << "--sieve-prune-tokens: profile layer " << pos << " has index "
             << lp.index << ", the model's " << layers[pos].getIndex();
    if (lp.headRest.empty())
      return model.emitError() << "--sieve-prune-tokens: profile layer "
                               << lp.index << " has no per-head attention mass";
    double rest = 0;
    for (double r : lp.headRest)
      rest += r;
    rest /= double(lp.headRest.size());
    if (rest > bestRest) {
      bestRest = rest;
      best = lp.index;
    }
  }
  return best;
}

struct PruneTokensPass
    : public sieve::impl::SievePruneTokensBase<PruneTokensPass> {
  using SievePruneTokensBase::SievePruneTokensBase;
  void runOnOperation() override {
    FailureOr<ModelOp> model = findModel(getOperation(), "--sieve-prune-tokens");
    if (failed(model))
      return signalPassFailure();
    int64_t R = layer;
    if (R < 0) {
      if (profile.empty()) {
        model->emitError() << "--sieve-prune-tokens: give layer= or profile= "
                              "(to choose the filter layer)";
        return signalPassFailure();
      }
      FailureOr<int64_t> chosen = layerFromProfile(*model, StringRef(profile));
      if (failed(chosen))
        return signalPassFailure();
      R = *chosen;
    }
    auto emit = [&] {
      return model->emitError() << "--sieve-prune-tokens: ";
    };
    auto attr = TokenFilterAttr::getChecked(emit, &getContext(), StringRef(method), R,
                                            int64_t(k), int64_t(pool),
                                            int64_t(window), int64_t(block));
    if (!attr)
      return signalPassFailure();
    if (!llvm::any_of(model->getLayers(), [&](DecoderLayerOp l) {
          return int64_t(l.getIndex()) == R;
        })) {
      model->emitError() << "--sieve-prune-tokens: layer " << R
                         << " is not a decoder layer of the model (it has "
                         << model->getLayers().size() << " layers)";
      return signalPassFailure();
    }
    model->setTokenFilterAttr(attr);
  }
};

struct EvictKVPass : public sieve::impl::SieveEvictKVBase<EvictKVPass> {
  using SieveEvictKVBase::SieveEvictKVBase;
  void runOnOperation() override {
    FailureOr<ModelOp> model = findModel(getOperation(), "--sieve-evict-kv");
    if (failed(model))
      return signalPassFailure();
    if (budget == -1) {
      model->emitError() << "--sieve-evict-kv: give budget= (prefix "
                            "positions kept besides the window)";
      return signalPassFailure();
    }
    auto emit = [&] { return model->emitError() << "--sieve-evict-kv: "; };
    auto attr = KVEvictAttr::getChecked(emit, &getContext(), StringRef(method),
                                        int64_t(budget), int64_t(window),
                                        int64_t(pool), StringRef(scope));
    if (!attr)
      return signalPassFailure();
    model->setKvEvictAttr(attr);
  }
};

} // namespace
