//===- Simplify.cpp - fold the shape computations of an ONNX import -------===//
//
// Two parts that alternate until nothing changes:
//
//  1. A forward walk with the symbolic shape analysis (ShapeEval.h) that
//     replaces every small integer tensor whose value it knows by an
//     onnx.Constant, rewrites Reshape/Expand/Slice operands that depend on
//     a dynamic size into constants (-1 and 0 in Reshape targets, 1 in
//     Expand shapes, INT64_MAX/negative ends in Slices), and refines result
//     types.
//  2. A greedy rewrite with identity patterns that need only static types
//     (Reshape to the same shape, Expand that does not broadcast, Cast to
//     the same type, Identity, identity Transpose, full Slice), constant
//     folding and dead code elimination.
//
//===----------------------------------------------------------------------===//

#include "ShapeEval.h"
#include "SimplifyFold.h"

#include "sieve/Dialect/ONNX/ONNXOps.h"
#include "sieve/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSwitch.h"

namespace sieve {
#define GEN_PASS_DEF_SIEVESIMPLIFY
#include "passes/Passes.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;

namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

bool isNone(Value v) { return isa<NoneType>(v.getType()); }

/// An onnx.Constant of `type` holding `values`.
Value makeIntConstant(OpBuilder &b, Location loc, RankedTensorType type,
                      ArrayRef<int64_t> values) {
  auto et = cast<IntegerType>(type.getElementType());
  SmallVector<APInt> ints;
  for (int64_t v : values)
    ints.push_back(APInt(et.getWidth(), uint64_t(v),
                         /*isSigned=*/!et.isUnsigned() && et.getWidth() > 1,
                         /*implicitTrunc=*/true));
  return onnx::ConstantOp::create(b, loc, type,
                                  DenseElementsAttr::get(type, ints));
}

Value makeI64Constant(OpBuilder &b, Location loc, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({int64_t(values.size())}, b.getI64Type());
  return makeIntConstant(b, loc, type, values);
}

//===----------------------------------------------------------------------===//
// Part 1: the analysis-driven walk
//===----------------------------------------------------------------------===//

class ShapeFolder {
public:
  explicit ShapeFolder(MLIRContext *ctx) : builder(ctx) {}

  /// Visits the ops of `func` in order; returns whether anything changed.
  bool run(func::FuncOp func);

private:
  bool foldToConstant(Operation *op);
  bool refineTypes(Operation *op);
  bool rewriteReshapeTarget(Operation *op);
  bool rewriteExpandShape(Operation *op);
  bool rewriteSliceBounds(Operation *op);
  bool forwardNeutralOperand(Operation *op);

  ShapeAnalysis analysis;
  OpBuilder builder;
};

bool ShapeFolder::run(func::FuncOp func) {
  bool changed = false;
  for (Block &block : func.getBody()) {
    for (Operation &op : llvm::make_early_inc_range(block)) {
      analysis.visit(&op);
      if (op.getName().getDialectNamespace() != "onnx" ||
          isa<onnx::ConstantOp, onnx::NoValueOp>(op))
        continue;
      if (foldToConstant(&op))
        changed = true;
      changed |= refineTypes(&op);
      changed |= forwardNeutralOperand(&op);
      StringRef name = op.getName().getStringRef();
      if (name == "onnx.Reshape")
        changed |= rewriteReshapeTarget(&op);
      else if (name == "onnx.Expand")
        changed |= rewriteExpandShape(&op);
      else if (name == "onnx.Slice")
        changed |= rewriteSliceBounds(&op);
    }
  }
  // The function's results follow the refined types of what it returns.
  for (Block &block : func.getBody())
    if (auto ret = dyn_cast<func::ReturnOp>(block.getTerminator())) {
      auto type = func.getFunctionType();
      if (TypeRange(ret.getOperandTypes()) != type.getResults()) {
        func.setType(FunctionType::get(func.getContext(), type.getInputs(),
                                       ret.getOperandTypes()));
        changed = true;
      }
    }
  return changed;
}

/// Replaces the results of `op` whose elements the analysis knows by
/// constants. The op itself is left for dead code elimination.
bool ShapeFolder::foldToConstant(Operation *op) {
  if (!isMemoryEffectFree(op))
    return false;
  bool changed = false;
  for (Value r : op->getResults()) {
    if (r.use_empty())
      continue;
    const SymTensor &t = analysis.get(r);
    std::optional<SmallVector<int64_t>> elems = t.constantElems();
    std::optional<SmallVector<int64_t>> shape = t.staticShape();
    std::optional<SymInt> splat = t.splat();
    auto rt = dyn_cast<TensorType>(r.getType());
    if (!shape || !rt || !isa<IntegerType>(rt.getElementType()))
      continue;
    auto type = RankedTensorType::get(*shape, rt.getElementType());
    builder.setInsertionPoint(op);
    Value c;
    if (splat && splat->isConstant()) {
      auto et = cast<IntegerType>(type.getElementType());
      APInt v(et.getWidth(), uint64_t(splat->off),
              /*isSigned=*/!et.isUnsigned() && et.getWidth() > 1,
              /*implicitTrunc=*/true);
      c = onnx::ConstantOp::create(builder, op->getLoc(), type,
                                   DenseElementsAttr::get(type, v));
    } else if (elems) {
      c = makeIntConstant(builder, op->getLoc(), type, *elems);
    } else {
      continue;
    }
    analysis.set(c, t);
    r.replaceAllUsesWith(c);
    changed = true;
  }
  return changed;
}

/// Gives results the static sizes (and ranks) that the analysis proves,
/// or that the op's own type inference gives for its refined operands.
bool ShapeFolder::refineTypes(Operation *op) {
  bool changed = false;
  SmallVector<Type> inferred;
  if (auto infer = dyn_cast<InferTypeOpInterface>(op))
    if (failed(infer.inferReturnTypes(
            op->getContext(), /*location=*/std::nullopt, op->getOperands(),
            op->getAttrDictionary(), op->getPropertiesStorage(),
            op->getRegions(), inferred)) ||
        inferred.size() != op->getNumResults())
      inferred.clear();
  for (auto [i, r] : llvm::enumerate(op->getResults())) {
    auto tt = dyn_cast<TensorType>(r.getType());
    if (!tt)
      continue;
    const SymTensor &t = analysis.get(r);
    auto fromInference =
        inferred.empty() ? nullptr : dyn_cast<RankedTensorType>(inferred[i]);
    if (!t.shape && !fromInference)
      continue;
    SmallVector<int64_t> shape;
    if (t.shape)
      for (const SymInt &d : *t.shape)
        shape.push_back(d.isConstant() ? d.off : ShapedType::kDynamic);
    else
      shape.assign(fromInference.getShape().begin(),
                   fromInference.getShape().end());
    if (fromInference && fromInference.getRank() == int64_t(shape.size()))
      for (auto [s, f] : llvm::zip(shape, fromInference.getShape()))
        if (ShapedType::isDynamic(s))
          s = f;
    auto refined = RankedTensorType::get(shape, tt.getElementType());
    if (refined == tt)
      continue;
    if (auto rt = dyn_cast<RankedTensorType>(tt)) {
      if (rt.getRank() != refined.getRank())
        continue;
      bool moreStatic = true;
      for (auto [o, n] : llvm::zip(rt.getShape(), shape))
        if (!ShapedType::isDynamic(o) && o != n)
          moreStatic = false;
      if (!moreStatic)
        continue;
    }
    r.setType(refined);
    analysis.refine(r);
    changed = true;
  }
  return changed;
}

/// And(x, true), Or(x, false), Add(x, 0), Sub(x, 0), Mul(x, 1) on integer
/// tensors, and Where with a uniform condition -> the operand that passes
/// through, when it already has the result's shape (no broadcast).
bool ShapeFolder::forwardNeutralOperand(Operation *op) {
  if (op->getNumResults() != 1 || op->getResult(0).use_empty())
    return false;
  StringRef name = op->getName().getStringRef();
  Value result = op->getResult(0);
  auto splatOf = [&](Value v) -> std::optional<int64_t> {
    if (isNone(v))
      return std::nullopt;
    std::optional<SymInt> s = analysis.get(v).splat();
    return s ? s->getConstant() : std::nullopt;
  };
  Value forwarded;
  if (name == "onnx.Where") {
    if (std::optional<int64_t> c = splatOf(op->getOperand(0)))
      forwarded = op->getOperand(*c ? 1 : 2);
  } else if (op->getNumOperands() == 2 &&
             isa<IntegerType>(getElementTypeOrSelf(result.getType()))) {
    std::optional<int64_t> neutral =
        llvm::StringSwitch<std::optional<int64_t>>(name)
            .Cases({"onnx.And", "onnx.Mul"}, 1)
            .Cases({"onnx.Or", "onnx.Add", "onnx.Sub", "onnx.Xor"}, 0)
            .Default(std::nullopt);
    if (!neutral)
      return false;
    bool commutative = name != "onnx.Sub";
    for (unsigned i : {1u, 0u}) {
      if (i == 0 && !commutative)
        break;
      if (splatOf(op->getOperand(i)) == neutral) {
        forwarded = op->getOperand(1 - i);
        break;
      }
    }
  }
  if (!forwarded || forwarded.getType() != result.getType())
    return false;
  const SymTensor from = analysis.get(forwarded);
  const SymTensor to = analysis.get(result);
  if (!from.shape || !to.shape || *from.shape != *to.shape)
    return false;
  result.replaceAllUsesWith(forwarded);
  return true;
}

/// Reshape(x, [1, seq, 4, 64]) -> Reshape(x, [1, -1, 4, 64]): a constant
/// target whose sizes the analysis proves, with 0 (copy, when allowzero is
/// 0) or one -1 for the dynamic ones.
bool ShapeFolder::rewriteReshapeTarget(Operation *op) {
  Value target = op->getOperand(1);
  if (target.getDefiningOp<onnx::ConstantOp>())
    return false;
  const SymTensor out = analysis.get(op->getResult(0));
  const SymTensor in = analysis.get(op->getOperand(0));
  if (!out.shape)
    return false;
  bool allowZero = false;
  if (auto a = op->getAttrOfType<IntegerAttr>("allowzero"))
    allowZero = a.getInt() != 0;
  SmallVector<int64_t> values;
  int inferred = 0;
  for (auto [i, d] : llvm::enumerate(*out.shape)) {
    if (d.isConstant()) {
      if (d.off == 0 && !allowZero)
        return false; // a literal 0 would mean "copy"
      values.push_back(d.off);
    } else if (!allowZero && in.shape && i < in.shape->size() &&
               (*in.shape)[i] == d) {
      values.push_back(0);
    } else {
      values.push_back(-1);
      ++inferred;
    }
  }
  if (inferred > 1)
    return false;
  builder.setInsertionPoint(op);
  Value c = makeI64Constant(builder, op->getLoc(), values);
  op->setOperand(1, c);
  return true;
}

/// Expand(x, [1, 2, 2, seq, 64]) -> Expand(x, [1, 2, 2, 1, 64]) when x's
/// size there is seq: 1 keeps the input's size.
bool ShapeFolder::rewriteExpandShape(Operation *op) {
  Value target = op->getOperand(1);
  if (target.getDefiningOp<onnx::ConstantOp>())
    return false;
  const SymTensor out = analysis.get(op->getResult(0));
  const SymTensor in = analysis.get(op->getOperand(0));
  const SymTensor tgt = analysis.get(target);
  if (!out.shape || !in.shape || !tgt.elems ||
      out.shape->size() != tgt.elems->size() ||
      in.shape->size() > out.shape->size())
    return false;
  size_t shift = out.shape->size() - in.shape->size();
  SmallVector<int64_t> values;
  for (auto [i, d] : llvm::enumerate(*out.shape)) {
    if (d.isConstant())
      values.push_back(d.off);
    else if (i >= shift && (*in.shape)[i - shift] == d)
      values.push_back(1);
    else
      return false;
  }
  builder.setInsertionPoint(op);
  op->setOperand(1, makeI64Constant(builder, op->getLoc(), values));
  return true;
}

/// Slice starts/ends that are `size + k` of the sliced dimension become the
/// constants `k` (k < 0) or INT64_MAX (k >= 0), for positive steps.
bool ShapeFolder::rewriteSliceBounds(Operation *op) {
  if (op->getNumOperands() < 3)
    return false;
  const SymTensor data = analysis.get(op->getOperand(0));
  if (!data.shape)
    return false;
  int64_t rank = data.shape->size();
  size_t n = 0;
  SmallVector<int64_t> axes, steps;
  {
    const SymTensor starts = analysis.get(op->getOperand(1));
    if (!starts.elems)
      return false;
    n = starts.elems->size();
  }
  auto constOperand = [&](unsigned i, SmallVector<int64_t> &out,
                          auto dflt) -> bool {
    if (op->getNumOperands() <= i || isNone(op->getOperand(i))) {
      for (size_t k = 0; k < n; ++k)
        out.push_back(dflt(k));
      return true;
    }
    std::optional<SmallVector<int64_t>> v =
        analysis.get(op->getOperand(i)).constantElems();
    if (!v || v->size() != n)
      return false;
    out = *v;
    return true;
  };
  if (!constOperand(3, axes, [](size_t k) { return int64_t(k); }) ||
      !constOperand(4, steps, [](size_t) { return int64_t(1); }))
    return false;
  bool changed = false;
  for (unsigned operand : {1u, 2u}) {
    Value v = op->getOperand(operand);
    if (v.getDefiningOp<onnx::ConstantOp>())
      continue;
    const SymTensor bounds = analysis.get(v);
    if (!bounds.elems || bounds.elems->size() != n)
      continue;
    SmallVector<int64_t> values;
    for (size_t k = 0; k < n; ++k) {
      SymInt b = (*bounds.elems)[k];
      if (b.isConstant()) {
        values.push_back(b.off);
        continue;
      }
      int64_t ax = axes[k] < 0 ? axes[k] + rank : axes[k];
      if (steps[k] <= 0 || ax < 0 || ax >= rank)
        break;
      SymInt d = (*data.shape)[ax];
      if (b.sym != d.sym || b.coef != d.coef)
        break;
      int64_t delta = b.off - d.off;
      // For delta < -1 a small size would make b negative, which counts
      // from the back once more; -1 and 0 both clamp to 0 there.
      if (delta < -1 && !analysis.provablyGE(b, SymInt::constant(0)))
        break;
      values.push_back(delta < 0 ? delta : kInt64Max);
    }
    if (values.size() != n)
      continue;
    auto et = cast<TensorType>(v.getType()).getElementType();
    builder.setInsertionPoint(op);
    Value c = makeIntConstant(
        builder, op->getLoc(), RankedTensorType::get({int64_t(n)}, et),
        et.isInteger(32)
            ? SmallVector<int64_t>(llvm::map_range(
                  values,
                  [](int64_t x) {
                    return std::clamp<int64_t>(x, INT32_MIN, INT32_MAX);
                  }))
            : values);
    op->setOperand(operand, c);
    changed = true;
  }
  return changed;
}

//===----------------------------------------------------------------------===//
// Part 2: identity patterns on static types
//===----------------------------------------------------------------------===//

/// Base for patterns that replace an op by its first operand.
struct ForwardOperandPattern : public RewritePattern {
  ForwardOperandPattern(StringRef root, MLIRContext *ctx)
      : RewritePattern(root, /*benefit=*/1, ctx) {}

  virtual bool isIdentity(Operation *op) const = 0;

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (op->getNumOperands() == 0 || op->getNumResults() != 1)
      return failure();
    Value input = op->getOperand(0);
    if (input.getType() != op->getResult(0).getType() || !isIdentity(op))
      return failure();
    rewriter.replaceOp(op, input);
    return success();
  }
};

/// onnx.Identity(x) -> x.
struct IdentityOpPattern : ForwardOperandPattern {
  IdentityOpPattern(MLIRContext *ctx)
      : ForwardOperandPattern("onnx.Identity", ctx) {}
  bool isIdentity(Operation *) const override { return true; }
};

/// onnx.Cast(x) to x's own type -> x.
struct CastIdentityPattern : ForwardOperandPattern {
  CastIdentityPattern(MLIRContext *ctx)
      : ForwardOperandPattern("onnx.Cast", ctx) {}
  bool isIdentity(Operation *) const override { return true; }
};

/// onnx.Transpose with perm = [0, 1, ..., n-1] -> its input.
struct TransposeIdentityPattern : ForwardOperandPattern {
  TransposeIdentityPattern(MLIRContext *ctx)
      : ForwardOperandPattern("onnx.Transpose", ctx) {}
  bool isIdentity(Operation *op) const override {
    auto perm = op->getAttrOfType<DenseI64ArrayAttr>("perm");
    auto type = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
    if (!type)
      return false;
    if (!perm)
      return type.getRank() <= 1;
    for (auto [i, p] : llvm::enumerate(perm.asArrayRef()))
      if (int64_t(i) != p)
        return false;
    return true;
  }
};

/// onnx.Reshape to the input's own shape -> the input. With one dynamic
/// size, a target that matches every static size and has 0 or -1 there
/// keeps it.
struct ReshapeIdentityPattern : ForwardOperandPattern {
  ReshapeIdentityPattern(MLIRContext *ctx)
      : ForwardOperandPattern("onnx.Reshape", ctx) {}
  bool isIdentity(Operation *op) const override {
    auto type = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
    std::optional<SmallVector<int64_t>> target =
        onnx::getConstantInts(op->getOperand(1));
    if (!type || !target || int64_t(target->size()) != type.getRank())
      return false;
    bool allowZero = false;
    if (auto a = op->getAttrOfType<IntegerAttr>("allowzero"))
      allowZero = a.getInt() != 0;
    int unresolved = 0;
    for (auto [d, t] : llvm::zip(type.getShape(), *target)) {
      if (t == 0 && !allowZero)
        continue; // copies d
      if (ShapedType::isDynamic(d)) {
        if (t != -1)
          return false;
        ++unresolved;
        continue;
      }
      if (d == 0)
        return false; // -1 is ambiguous with empty tensors
      if (t != d && t != -1)
        return false;
      if (t == -1)
        ++unresolved;
    }
    return unresolved <= 1;
  }
};

/// onnx.Expand whose constant shape does not broadcast the input -> input.
struct ExpandIdentityPattern : ForwardOperandPattern {
  ExpandIdentityPattern(MLIRContext *ctx)
      : ForwardOperandPattern("onnx.Expand", ctx) {}
  bool isIdentity(Operation *op) const override {
    auto type = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
    std::optional<SmallVector<int64_t>> shape =
        onnx::getConstantInts(op->getOperand(1));
    if (!type || !shape || int64_t(shape->size()) > type.getRank())
      return false;
    size_t shift = type.getRank() - shape->size();
    for (auto [i, s] : llvm::enumerate(*shape)) {
      int64_t d = type.getShape()[shift + i];
      if (s != 1 && s != d)
        return false;
    }
    return true;
  }
};

/// onnx.Slice that keeps every element (starts 0, ends past the size,
/// steps 1) -> its input.
struct SliceIdentityPattern : ForwardOperandPattern {
  SliceIdentityPattern(MLIRContext *ctx)
      : ForwardOperandPattern("onnx.Slice", ctx) {}
  bool isIdentity(Operation *op) const override {
    auto type = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
    if (!type || op->getNumOperands() < 3)
      return false;
    std::optional<SmallVector<int64_t>> starts =
        onnx::getConstantInts(op->getOperand(1));
    std::optional<SmallVector<int64_t>> ends =
        onnx::getConstantInts(op->getOperand(2));
    if (!starts || !ends || starts->size() != ends->size())
      return false;
    size_t n = starts->size();
    SmallVector<int64_t> axes, steps(n, 1);
    for (size_t k = 0; k < n; ++k)
      axes.push_back(k);
    if (op->getNumOperands() > 3 && !isNone(op->getOperand(3))) {
      std::optional<SmallVector<int64_t>> a =
          onnx::getConstantInts(op->getOperand(3));
      if (!a || a->size() != n)
        return false;
      axes = *a;
    }
    if (op->getNumOperands() > 4 && !isNone(op->getOperand(4))) {
      std::optional<SmallVector<int64_t>> s =
          onnx::getConstantInts(op->getOperand(4));
      if (!s || s->size() != n)
        return false;
      steps = *s;
    }
    int64_t rank = type.getRank();
    for (size_t k = 0; k < n; ++k) {
      int64_t ax = axes[k] < 0 ? axes[k] + rank : axes[k];
      if (ax < 0 || ax >= rank || steps[k] != 1)
        return false;
      int64_t d = type.getShape()[ax];
      int64_t s = (*starts)[k], e = (*ends)[k];
      bool startsAtZero =
          s == 0 || (s < 0 && !ShapedType::isDynamic(d) && s + d <= 0);
      bool endsPastSize = e >= std::numeric_limits<int32_t>::max() ||
                          (!ShapedType::isDynamic(d) && e >= d);
      if (!startsAtZero || !endsPastSize)
        return false;
    }
    return true;
  }
};

/// Reshape(Reshape(x, a), b) -> Reshape(x, b) when b is a constant without
/// 0 entries (a 0 would copy a size of the inner result).
struct ReshapeReshapePattern : public RewritePattern {
  ReshapeReshapePattern(MLIRContext *ctx)
      : RewritePattern("onnx.Reshape", /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    Operation *inner = op->getOperand(0).getDefiningOp();
    if (!inner || inner->getName() != op->getName())
      return failure();
    std::optional<SmallVector<int64_t>> target =
        onnx::getConstantInts(op->getOperand(1));
    bool allowZero = false;
    if (auto a = op->getAttrOfType<IntegerAttr>("allowzero"))
      allowZero = a.getInt() != 0;
    if (!target || (!allowZero && llvm::is_contained(*target, 0)))
      return failure();
    rewriter.modifyOpInPlace(op,
                             [&] { op->setOperand(0, inner->getOperand(0)); });
    return success();
  }
};

/// Unsqueeze(Unsqueeze(x, a), b) -> Unsqueeze(x, c) with the axes of both.
struct UnsqueezeUnsqueezePattern : public RewritePattern {
  UnsqueezeUnsqueezePattern(MLIRContext *ctx)
      : RewritePattern("onnx.Unsqueeze", /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    Operation *inner = op->getOperand(0).getDefiningOp();
    if (!inner || inner->getName() != op->getName())
      return failure();
    auto inType = dyn_cast<RankedTensorType>(inner->getOperand(0).getType());
    std::optional<SmallVector<int64_t>> a =
        onnx::getConstantInts(inner->getOperand(1));
    std::optional<SmallVector<int64_t>> b = onnx::getConstantInts(op->getOperand(1));
    if (!inType || !a || !b)
      return failure();
    // Dimensions as -1 (inserted) or the index of an input dimension.
    SmallVector<int64_t> dims;
    for (int64_t i = 0; i < inType.getRank(); ++i)
      dims.push_back(i);
    for (ArrayRef<int64_t> axes :
         {ArrayRef<int64_t>(*a), ArrayRef<int64_t>(*b)}) {
      int64_t rank = dims.size() + axes.size();
      SmallVector<bool> inserted(rank, false);
      for (int64_t ax : axes) {
        if (ax < -rank || ax >= rank)
          return failure();
        inserted[ax < 0 ? ax + rank : ax] = true;
      }
      SmallVector<int64_t> next;
      auto it = dims.begin();
      for (int64_t i = 0; i < rank; ++i)
        next.push_back(inserted[i] ? -1 : *it++);
      dims = std::move(next);
    }
    SmallVector<int64_t> axes;
    for (auto [i, d] : llvm::enumerate(dims))
      if (d < 0)
        axes.push_back(i);
    Value c = makeI64Constant(rewriter, op->getLoc(), axes);
    rewriter.modifyOpInPlace(op, [&] {
      op->setOperand(0, inner->getOperand(0));
      op->setOperand(1, c);
    });
    return success();
  }
};

/// Reshape(Transpose(Reshape(x), p)) where the outer Reshape only adds or
/// drops sizes of 1 -> Transpose(Reshape(x), p'): the two Reshapes become
/// one. Exporters write K^T of grouped-query attention this way
/// (1x2x2x?x64 -> 4x?x64 -> 4x64x? -> 1x4x64x?).
struct ReshapeThroughTransposePattern : public RewritePattern {
  ReshapeThroughTransposePattern(MLIRContext *ctx)
      : RewritePattern("onnx.Reshape", /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    Operation *transpose = op->getOperand(0).getDefiningOp();
    if (!transpose || transpose->getName().getStringRef() != "onnx.Transpose" ||
        !transpose->hasOneUse())
      return failure();
    Operation *inner = transpose->getOperand(0).getDefiningOp();
    if (!inner || inner->getName() != op->getName())
      return failure();
    auto y = dyn_cast<RankedTensorType>(transpose->getOperand(0).getType());
    auto t = dyn_cast<RankedTensorType>(transpose->getResult(0).getType());
    auto out = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    auto perm = transpose->getAttrOfType<DenseI64ArrayAttr>("perm");
    if (!y || !t || !out || !perm || perm.size() != y.getRank())
      return failure();
    auto nonUnit = [](ArrayRef<int64_t> shape) {
      SmallVector<int64_t> idx;
      for (auto [i, d] : llvm::enumerate(shape))
        if (d != 1)
          idx.push_back(i);
      return idx;
    };
    SmallVector<int64_t> tIdx = nonUnit(t.getShape()),
                         oIdx = nonUnit(out.getShape()),
                         yIdx = nonUnit(y.getShape());
    if (tIdx.size() != oIdx.size() || y.getNumDynamicDims() > 1)
      return failure();
    for (auto [i, o] : llvm::zip(tIdx, oIdx))
      if (t.getShape()[i] != out.getShape()[o])
        return failure(); // more than unit sizes change
    // y' = [1] * k ++ y's non-unit sizes, so that out = transpose(y', p').
    int64_t k = out.getRank() - int64_t(oIdx.size());
    SmallVector<int64_t> target(k, 1), yShape(k, 1);
    for (int64_t i : yIdx) {
      int64_t d = y.getShape()[i];
      target.push_back(ShapedType::isDynamic(d) ? -1 : d);
      yShape.push_back(d);
    }
    SmallVector<int64_t> newPerm;
    int64_t nextUnit = 0;
    size_t n = 0;
    for (int64_t o = 0; o < out.getRank(); ++o) {
      if (n < oIdx.size() && oIdx[n] == o) {
        int64_t source = perm[tIdx[n++]];
        newPerm.push_back(k + (llvm::find(yIdx, source) - yIdx.begin()));
      } else {
        newPerm.push_back(nextUnit++);
      }
    }
    Value shape = makeI64Constant(rewriter, op->getLoc(), target);
    auto yType = RankedTensorType::get(yShape, y.getElementType());
    OperationState reshape(op->getLoc(), op->getName());
    reshape.addOperands({transpose->getOperand(0), shape});
    reshape.addTypes(yType);
    Value newY = rewriter.create(reshape)->getResult(0);
    OperationState tr(transpose->getLoc(), transpose->getName());
    tr.addOperands(newY);
    tr.addTypes(out);
    tr.addAttribute("perm", rewriter.getDenseI64ArrayAttr(newPerm));
    rewriter.replaceOp(op, rewriter.create(tr)->getResults());
    return success();
  }
};

struct SimplifyPass : public sieve::impl::SieveSimplifyBase<SimplifyPass> {
  using SieveSimplifyBase::SieveSimplifyBase;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    patterns
        .add<IdentityOpPattern, CastIdentityPattern, TransposeIdentityPattern,
             ReshapeIdentityPattern, ExpandIdentityPattern,
             SliceIdentityPattern, ReshapeReshapePattern,
             UnsqueezeUnsqueezePattern, ReshapeThroughTransposePattern>(ctx);
    sieve::populateConstantFoldPatterns(patterns, maxFoldElements);
    for (RegisteredOperationName name : ctx->getRegisteredOperations())
      if (name.getDialectNamespace() == "onnx")
        name.getCanonicalizationPatterns(patterns, ctx);
    FrozenRewritePatternSet frozen(std::move(patterns));

    for (int iteration = 0; iteration < 8; ++iteration) {
      bool changed = false;
      for (auto func : getOperation().getOps<func::FuncOp>()) {
        ShapeFolder folder(ctx);
        changed |= folder.run(func);
      }
      bool patternsChanged = false;
      if (failed(applyPatternsGreedily(getOperation(), frozen,
                                       GreedyRewriteConfig(),
                                       &patternsChanged))) {
        signalPassFailure();
        return;
      }
      if (!changed && !patternsChanged)
        break;
    }
  }
};
} // namespace
