//===- Raise.cpp - raise an imported onnx graph to the sieve dialect ------===//
//
// Runs the construct patterns of passes/raise/ in phases (each phase needs
// the ops the previous one produced), then groups the result into decoder
// layers and a sieve.model. Recognized constructs that fail a check, and an
// incomplete model structure, are reported as remarks; what does not raise
// stays at the onnx level and the function stays valid.
//
//===----------------------------------------------------------------------===//

#include "raise/Raise.h"

#include "sieve/Passes/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/BitVector.h"

namespace sieve {
#define GEN_PASS_DEF_SIEVERAISE
#include "passes/Passes.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;

namespace {

/// Drops the arguments the session stands for (notes.sessionArguments) once
/// nothing reads them, with a remark naming them.
void dropSessionArguments(func::FuncOp func, raise::Notes &notes) {
  llvm::BitVector drop(func.getNumArguments());
  std::string names;
  for (BlockArgument a : func.getArguments()) {
    if (!notes.sessionArguments.contains(a) || !a.use_empty())
      continue;
    drop.set(a.getArgNumber());
    auto name =
        func.getArgAttrOfType<StringAttr>(a.getArgNumber(), "onnx.name");
    names += " " + (name ? name.str() : std::to_string(a.getArgNumber()));
  }
  if (drop.none())
    return;
  (void)func.eraseArguments(drop);
  emitRemark(func.getLoc())
      << "sieve-raise: the session's positions stand for argument(s):" << names;
}

struct SieveRaisePass : public sieve::impl::SieveRaiseBase<SieveRaisePass> {
  using SieveRaiseBase::SieveRaiseBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    using Populate = void (*)(RewritePatternSet &, raise::Notes &);
    const Populate phases[] = {
        // Leaves first: norms, embeddings, linears.
        [](RewritePatternSet &p, raise::Notes &n) {
          raise::populateRaiseNormPatterns(p, n);
          raise::populateRaiseFusedNormPatterns(p, n);
          raise::populateRaiseEmbeddingPatterns(p, n);
          raise::populateRaiseLinearPatterns(p, n);
          raise::populateRaiseMatMulNBitsPatterns(p, n);
          raise::populateRaiseDequantizeLinearPatterns(p, n);
        },
        [](RewritePatternSet &p, raise::Notes &n) {
          raise::populateRaiseRotaryPatterns(p, n);
          raise::populateRaiseFusedRotaryPatterns(p, n);
        },
        [](RewritePatternSet &p, raise::Notes &n) {
          raise::populateRaiseAttentionPatterns(p, n);
          raise::populateRaiseFusedAttentionPatterns(p, n);
        },
        raise::populateRaiseMLPPatterns,
        raise::populateRaiseResidualPatterns,
    };
    raise::Notes notes;
    // Whole-function step: GQA's past/present become the session's cache.
    for (auto func : getOperation().getOps<func::FuncOp>())
      raise::raiseGroupQueryAttention(func, notes);
    for (Populate populate : phases) {
      RewritePatternSet patterns(ctx);
      populate(patterns, notes);
      GreedyRewriteConfig config;
      config.setListener(&notes);
      if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                       config))) {
        getOperation().emitError("sieve-raise: the rewrites did not converge");
        return signalPassFailure();
      }
    }
    for (auto &[op, why] : notes.byOp)
      op->emitRemark() << "not raised: " << why;
    for (auto func : getOperation().getOps<func::FuncOp>())
      dropSessionArguments(func, notes);

    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal())
        continue;
      std::string why;
      if (failed(raise::groupIntoModel(func, why)) && !why.empty()) {
        SmallVector<std::string> left;
        func.walk([&](Operation *op) {
          if (op->getDialect() &&
              op->getDialect()->getNamespace() == "onnx" &&
              !isa<onnx::ConstantOp, onnx::NoValueOp>(op) && left.size() < 8)
            left.push_back(op->getName().getStringRef().str());
        });
        auto diag = func.emitRemark()
                    << "sieve-raise: no sieve.model for @" << func.getName()
                    << ": " << why;
        if (!left.empty()) {
          diag << "; onnx ops left include";
          for (auto &name : left)
            diag << " " << name;
        }
      }
    }
  }
};

} // namespace
