//===- RaiseMLP.cpp - gated MLPs -> sieve.gated_mlp -----------------------===//
//
// linear(act(linear(x, gate)) * linear(x, up), down) with SiLU written as
// x * Sigmoid(x) (or onnx ops for it), GELU as onnx.Gelu. Runs after the
// linear raising, on sieve.linear ops without bias.
//
//===----------------------------------------------------------------------===//

#include "Raise.h"

using namespace mlir;

namespace sieve::raise {
namespace {

/// act(g): returns g and the activation.
Value matchActivation(Value v, Activation &act) {
  if (auto m = v.getDefiningOp<onnx::MulOp>()) {
    for (int i = 0; i < 2; ++i) {
      auto sig = m->getOperand(1 - i).getDefiningOp<onnx::SigmoidOp>();
      if (sig && sig.getX() == m->getOperand(i)) {
        act = Activation::silu;
        return m->getOperand(i);
      }
    }
  }
  if (auto g = v.getDefiningOp<onnx::GeluOp>()) {
    act = g.getApproximate() == "tanh" ? Activation::gelu_tanh
                                       : Activation::gelu;
    return g.getX();
  }
  return nullptr;
}

LinearOp plainLinear(Value v) {
  auto lin = v.getDefiningOp<LinearOp>();
  return lin && !lin.getBias() ? lin : LinearOp();
}

struct RaiseGatedMLP : public OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LinearOp down,
                                PatternRewriter &rewriter) const override {
    if (down.getBias())
      return failure();
    auto mul = down.getInput().getDefiningOp<onnx::MulOp>();
    if (!mul)
      return failure();
    for (int i = 0; i < 2; ++i) {
      Activation act;
      Value g = matchActivation(mul->getOperand(i), act);
      LinearOp gate = g ? plainLinear(g) : LinearOp();
      LinearOp up = plainLinear(mul->getOperand(1 - i));
      if (!gate || !up || gate.getInput() != up.getInput() ||
          gate.getWeight().getType() != up.getWeight().getType() ||
          gate.getInput().getType() != down.getType())
        continue;
      rewriter.replaceOpWithNewOp<GatedMLPOp>(
          down, down.getType(), gate.getInput(), gate.getWeight(),
          up.getWeight(), down.getWeight(),
          ActivationAttr::get(rewriter.getContext(), act));
      return success();
    }
    return failure();
  }
};

} // namespace

void populateRaiseMLPPatterns(RewritePatternSet &patterns, Notes &) {
  patterns.add<RaiseGatedMLP>(patterns.getContext());
}

} // namespace sieve::raise
