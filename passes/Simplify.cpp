//===- Simplify.cpp - fold the shape computations of an ONNX import -------===//

#include "sieve/Dialect/ONNX/ONNXOps.h"
#include "sieve/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace sieve {
#define GEN_PASS_DEF_SIEVESIMPLIFY
#include "passes/Passes.h.inc"
} // namespace sieve

using namespace mlir;

namespace {
struct SimplifyPass : public sieve::impl::SieveSimplifyBase<SimplifyPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    for (RegisteredOperationName name :
         getContext().getRegisteredOperations())
      if (name.getDialectNamespace() == "onnx")
        name.getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
