//===- RaiseMLP.cpp - gated MLPs -> sieve.gated_mlp -----------------------===//
//
// linear(act(linear(x, gate)) * linear(x, up), down) with SiLU written as
// x * Sigmoid(x) (or onnx ops for it), GELU as onnx.Gelu, and tanh GELU also
// written out, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) with its
// factors in any order (and its constants rounded to float16 in fp16
// exports). Runs after the linear raising, on sieve.linear ops
// without bias. Also:
//  - act(linear(x, up) (+ b)) -> linear(., down) (+ b): sieve.mlp (GPT-2);
//  - act(g) * u with g, u pieces of one sieve.split (a fused gate_up
//    projection, Phi-3): sieve.glu.
//
//===----------------------------------------------------------------------===//

#include "Raise.h"

#include <cmath>

using namespace mlir;

namespace sieve::raise {
namespace {

/// The factors of a product of Mul ops: scalar constants multiplied into
/// `c`, the other factors appended to `vals`.
void productFactors(Value v, double &c, SmallVectorImpl<Value> &vals) {
  if (auto k = getScalarFloat(v)) {
    c *= *k;
    return;
  }
  if (auto m = v.getDefiningOp<onnx::MulOp>()) {
    if (m.getType() == m.getA().getType() || getScalarFloat(m.getA()))
      if (m.getType() == m.getB().getType() || getScalarFloat(m.getB())) {
        productFactors(m.getA(), c, vals);
        productFactors(m.getB(), c, vals);
        return;
      }
  }
  vals.push_back(v);
}

/// Whether the constant `a` is `b` up to the rounding of the float type
/// `of` computes in: relative 1e-6, or half a unit in the last place of a
/// narrower type (fp16 exports store 0.044715 as 0.044708 and sqrt(2/pi) as
/// 0.79785). sieve's activations use the exact constants in fp32.
bool near(double a, double b, Value of) {
  double tol = 1e-6;
  if (auto ft = dyn_cast<FloatType>(getElementTypeOrSelf(of.getType())))
    tol = std::max(tol, std::ldexp(1.0, -static_cast<int>(ft.getFPMantissaWidth())));
  return std::abs(a - b) <= tol * std::abs(b);
}

/// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): returns x.
Value matchTanhGelu(Value v) {
  double c = 1.0;
  SmallVector<Value> f;
  productFactors(v, c, f);
  if (f.size() != 2 || !near(c, 0.5, v))
    return nullptr;
  for (int i = 0; i < 2; ++i) {
    Value x = f[i];
    auto add = f[1 - i].getDefiningOp<onnx::AddOp>();
    if (!add)
      continue;
    for (int j = 0; j < 2; ++j) {
      auto one = getScalarFloat(add->getOperand(j));
      auto th = add->getOperand(1 - j).getDefiningOp<onnx::TanhOp>();
      if (!one || *one != 1.0 || !th)
        continue;
      double k = 1.0;
      SmallVector<Value> g;
      productFactors(th.getInput(), k, g);
      if (g.size() != 1 || !near(k, 0.7978845608028654, v))
        continue;
      auto inner = g[0].getDefiningOp<onnx::AddOp>();
      if (!inner)
        continue;
      for (int l = 0; l < 2; ++l) {
        if (inner->getOperand(l) != x)
          continue;
        double k3 = 1.0;
        SmallVector<Value> h;
        productFactors(inner->getOperand(1 - l), k3, h);
        if (h.size() != 1 || !near(k3, 0.044715, v))
          continue;
        auto pow = h[0].getDefiningOp<onnx::PowOp>();
        auto e = pow ? getScalarFloat(pow.getY()) : std::nullopt;
        if (pow && pow.getX() == x && e && *e == 3.0)
          return x;
      }
    }
  }
  return nullptr;
}

/// act(g): returns g and the activation.
Value matchActivation(Value v, Activation &act) {
  if (Value x = matchTanhGelu(v)) {
    act = Activation::gelu_tanh;
    return x;
  }
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

/// linear(act(linear(x, up) (+ b)), down) (+ b) -> sieve.mlp.
struct RaiseMLP : public OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LinearOp down,
                                PatternRewriter &rewriter) const override {
    Activation act;
    Value h = matchActivation(down.getInput(), act);
    auto up = h ? h.getDefiningOp<LinearOp>() : LinearOp();
    if (!up || up.getInput().getType() != down.getType() ||
        rankOf(up.getWeight()) != 2 || rankOf(down.getWeight()) != 2)
      return failure();
    rewriter.replaceOpWithNewOp<MLPOp>(
        down, down.getType(), up.getInput(), up.getWeight(), up.getBias(),
        down.getWeight(), down.getBias(),
        ActivationAttr::get(rewriter.getContext(), act));
    return success();
  }
};

/// act(g) * u where g and u are results of one sieve.split -> sieve.glu.
struct RaiseGLU : public OpRewritePattern<onnx::MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx::MulOp mul,
                                PatternRewriter &rewriter) const override {
    for (int i = 0; i < 2; ++i) {
      Activation act;
      Value g = matchActivation(mul->getOperand(i), act);
      Value u = mul->getOperand(1 - i);
      auto sg = g ? g.getDefiningOp<SplitOp>() : SplitOp();
      if (!sg || u.getDefiningOp<SplitOp>() != sg || g == u ||
          g.getType() != u.getType() || u.getType() != mul.getType())
        continue;
      rewriter.replaceOpWithNewOp<GLUOp>(
          mul, mul.getType(), g, u,
          ActivationAttr::get(rewriter.getContext(), act));
      return success();
    }
    return failure();
  }
};

} // namespace

void populateRaiseMLPPatterns(RewritePatternSet &patterns, Notes &) {
  patterns.add<RaiseGatedMLP, RaiseMLP, RaiseGLU>(patterns.getContext());
}

} // namespace sieve::raise
