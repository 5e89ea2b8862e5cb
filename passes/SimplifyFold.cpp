//===- SimplifyFold.cpp - constant folding for --sieve-simplify -----------===//

#include "SimplifyFold.h"

#include "sieve/Dialect/ONNX/ONNXOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/APSInt.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>

using namespace mlir;

namespace {

/// One element: an integer of its type's width (bool: width 1) or a float.
struct Val {
  APInt i;
  APFloat f{0.0};
  bool isFloat = false;
};

/// An inline constant operand, splats kept as one element.
struct Operand {
  SmallVector<int64_t> shape;
  SmallVector<Val> elems;
  bool splat = false;
};

std::optional<Operand> load(Value v, int64_t maxElements) {
  auto c = v.getDefiningOp<sieve::onnx::ConstantOp>();
  if (!c)
    return std::nullopt;
  auto attr = dyn_cast<DenseElementsAttr>(c.getValue());
  if (!attr || !attr.getType().hasStaticShape())
    return std::nullopt;
  Type et = attr.getElementType();
  if (!isa<IntegerType, FloatType>(et))
    return std::nullopt;
  Operand o;
  o.shape.assign(attr.getType().getShape().begin(),
                 attr.getType().getShape().end());
  o.splat = attr.isSplat();
  if (!o.splat && attr.getNumElements() > maxElements)
    return std::nullopt;
  auto push = [&](auto range) {
    for (auto x : range) {
      Val val;
      if constexpr (std::is_same_v<decltype(x), APFloat>) {
        val.f = x;
        val.isFloat = true;
      } else {
        val.i = x;
      }
      o.elems.push_back(val);
      if (o.splat)
        break;
    }
  };
  if (isa<FloatType>(et))
    push(attr.getValues<APFloat>());
  else
    push(attr.getValues<APInt>());
  return o;
}

int64_t broadcastIndex(int64_t linear, ArrayRef<int64_t> out,
                       ArrayRef<int64_t> in) {
  int64_t result = 0, outStride = 1, inStride = 1;
  size_t shift = out.size() - in.size();
  for (int64_t i = int64_t(out.size()) - 1; i >= int64_t(shift); --i) {
    int64_t idx = (linear / outStride) % out[i];
    int64_t d = in[i - shift];
    if (d != 1)
      result += idx * inStride;
    outStride *= out[i];
    inStride *= d;
  }
  return result;
}

const llvm::fltSemantics &semanticsOf(Type t) {
  return cast<FloatType>(t).getFloatSemantics();
}

/// Converts `v` (of element type `from`) to element type `to`, as ONNX Cast
/// does; fails where the result is not defined (NaN or out of range to int).
std::optional<Val> convert(const Val &v, Type from, Type to) {
  Val r;
  if (auto ti = dyn_cast<IntegerType>(to)) {
    unsigned w = ti.getWidth();
    if (!v.isFloat) {
      bool fromSigned = !from.isUnsignedInteger() && !from.isInteger(1);
      if (w == 1)
        r.i = APInt(1, !v.i.isZero());
      else
        r.i = fromSigned ? v.i.sextOrTrunc(w) : v.i.zextOrTrunc(w);
      return r;
    }
    if (w == 1) {
      r.i = APInt(1, !v.f.isZero());
      return r;
    }
    if (v.f.isNaN() || v.f.isInfinity())
      return std::nullopt;
    APSInt result(w, /*isUnsigned=*/ti.isUnsigned());
    bool exact;
    if (v.f.convertToInteger(result, APFloat::rmTowardZero, &exact) &
        APFloat::opInvalidOp)
      return std::nullopt; // out of range: not defined by ONNX
    r.i = result;
    return r;
  }
  r.isFloat = true;
  const llvm::fltSemantics &sem = semanticsOf(to);
  if (v.isFloat) {
    r.f = v.f;
    bool lost;
    r.f.convert(sem, APFloat::rmNearestTiesToEven, &lost);
    return r;
  }
  r.f = APFloat(sem);
  bool isSigned = !from.isUnsignedInteger() && !from.isInteger(1);
  r.f.convertFromAPInt(v.i, isSigned, APFloat::rmNearestTiesToEven);
  return r;
}

/// One element of an elementwise op; `et` is the operands' element type.
std::optional<Val> apply(StringRef name, ArrayRef<Val> a, Type et,
                         Type resultEt) {
  auto boolVal = [](bool b) {
    Val r;
    r.i = APInt(1, b);
    return r;
  };
  bool isUnsigned = et.isUnsignedInteger() || et.isInteger(1);
  if (name == "Where") {
    return a[0].i.isZero() ? a[2] : a[1];
  }
  if (name == "Cast")
    return convert(a[0], et, resultEt);
  if (name == "Identity")
    return a[0];
  if (a[0].isFloat) {
    const APFloat &x = a[0].f;
    auto rm = APFloat::rmNearestTiesToEven;
    Val r;
    r.isFloat = true;
    r.f = x;
    if (a.size() == 1) {
      if (name == "Neg") {
        r.f.changeSign();
        return r;
      }
      if (name == "Abs") {
        r.f.clearSign();
        return r;
      }
      if (name == "Reciprocal") {
        r.f = APFloat::getOne(x.getSemantics());
        r.f.divide(x, rm);
        return r;
      }
      if (name == "Sqrt" && (et.isF32() || et.isF64())) {
        if (et.isF32())
          r.f = APFloat(std::sqrt(x.convertToFloat()));
        else
          r.f = APFloat(std::sqrt(x.convertToDouble()));
        return r;
      }
      if (name == "IsNaN")
        return boolVal(x.isNaN());
      return std::nullopt;
    }
    const APFloat &y = a[1].f;
    APFloat::cmpResult c = x.compare(y);
    if (name == "Add")
      r.f.add(y, rm);
    else if (name == "Sub")
      r.f.subtract(y, rm);
    else if (name == "Mul")
      r.f.multiply(y, rm);
    else if (name == "Div")
      r.f.divide(y, rm);
    else if (name == "Equal")
      return boolVal(c == APFloat::cmpEqual);
    else if (name == "Less")
      return boolVal(c == APFloat::cmpLessThan);
    else if (name == "LessOrEqual")
      return boolVal(c == APFloat::cmpLessThan || c == APFloat::cmpEqual);
    else if (name == "Greater")
      return boolVal(c == APFloat::cmpGreaterThan);
    else if (name == "GreaterOrEqual")
      return boolVal(c == APFloat::cmpGreaterThan || c == APFloat::cmpEqual);
    else
      return std::nullopt;
    return r;
  }
  const APInt &x = a[0].i;
  Val r;
  if (a.size() == 1) {
    if (name == "Neg")
      r.i = -x;
    else if (name == "Abs")
      r.i = isUnsigned ? x : x.abs();
    else if (name == "Not" && x.getBitWidth() == 1)
      r.i = ~x;
    else
      return std::nullopt;
    return r;
  }
  const APInt &y = a[1].i;
  if (name == "Add")
    r.i = x + y;
  else if (name == "Sub")
    r.i = x - y;
  else if (name == "Mul")
    r.i = x * y;
  else if (name == "Div") {
    if (y.isZero() || (!isUnsigned && y.isAllOnes() && x.isMinSignedValue()))
      return std::nullopt;
    r.i = isUnsigned ? x.udiv(y) : x.sdiv(y); // truncates, as C++ does
  } else if (name == "Max")
    r.i = isUnsigned ? llvm::APIntOps::umax(x, y) : llvm::APIntOps::smax(x, y);
  else if (name == "Min")
    r.i = isUnsigned ? llvm::APIntOps::umin(x, y) : llvm::APIntOps::smin(x, y);
  else if (name == "And")
    r.i = x & y;
  else if (name == "Or")
    r.i = x | y;
  else if (name == "Xor")
    r.i = x ^ y;
  else if (name == "Equal")
    return boolVal(x == y);
  else if (name == "Less")
    return boolVal(isUnsigned ? x.ult(y) : x.slt(y));
  else if (name == "LessOrEqual")
    return boolVal(isUnsigned ? x.ule(y) : x.sle(y));
  else if (name == "Greater")
    return boolVal(isUnsigned ? x.ugt(y) : x.sgt(y));
  else if (name == "GreaterOrEqual")
    return boolVal(isUnsigned ? x.uge(y) : x.sge(y));
  else
    return std::nullopt;
  return r;
}

struct FoldConstantOperands : public RewritePattern {
  FoldConstantOperands(MLIRContext *ctx, int64_t maxElements)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx),
        maxElements(maxElements) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (op->getName().getDialectNamespace() != "onnx" ||
        isa<sieve::onnx::ConstantOp, sieve::onnx::NoValueOp>(op) ||
        op->getNumResults() != 1 || op->getNumOperands() == 0)
      return failure();
    StringRef name = op->getName().getStringRef().drop_front(5);
    auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!type || !type.hasStaticShape() ||
        !isa<IntegerType, FloatType>(type.getElementType()))
      return failure();

    // Ops that only reinterpret the shape.
    if (llvm::is_contained(
            {"Reshape", "Unsqueeze", "Squeeze", "Flatten", "Identity"}, name)) {
      auto c = op->getOperand(0).getDefiningOp<sieve::onnx::ConstantOp>();
      auto attr = c ? dyn_cast<DenseElementsAttr>(c.getValue()) : nullptr;
      if (!attr || attr.getType().getNumElements() != type.getNumElements() ||
          attr.getElementType() != type.getElementType() ||
          (!attr.isSplat() && type.getNumElements() > maxElements))
        return failure();
      rewriter.replaceOpWithNewOp<sieve::onnx::ConstantOp>(op, type,
                                                           attr.reshape(type));
      return success();
    }

    bool known = llvm::is_contained({"Add",        "Sub",
                                     "Mul",        "Div",
                                     "Max",        "Min",
                                     "And",        "Or",
                                     "Xor",        "Equal",
                                     "Less",       "LessOrEqual",
                                     "Greater",    "GreaterOrEqual",
                                     "Neg",        "Abs",
                                     "Not",        "Sqrt",
                                     "Reciprocal", "IsNaN",
                                     "Where",      "Cast"},
                                    name);
    if (!known)
      return failure();
    if ((name == "Max" || name == "Min") && op->getNumOperands() != 2)
      return failure();
    SmallVector<Operand> ins;
    for (Value v : op->getOperands()) {
      std::optional<Operand> o = load(v, maxElements);
      if (!o)
        return failure();
      ins.push_back(std::move(*o));
    }
    Type et =
        getElementTypeOrSelf(op->getOperand(name == "Where" ? 1 : 0).getType());
    Type resultEt = type.getElementType();
    bool allSplat = llvm::all_of(ins, [](const Operand &o) { return o.splat; });
    int64_t n = allSplat ? 1 : type.getNumElements();
    if (n > maxElements)
      return failure();
    SmallVector<Val> out;
    SmallVector<Val> args(ins.size());
    for (int64_t i = 0; i < n; ++i) {
      for (auto [k, o] : llvm::enumerate(ins))
        args[k] = o.splat
                      ? o.elems[0]
                      : o.elems[broadcastIndex(i, type.getShape(), o.shape)];
      std::optional<Val> v = apply(name, args, et, resultEt);
      if (!v || v->isFloat != isa<FloatType>(resultEt))
        return failure();
      out.push_back(*v);
    }
    DenseElementsAttr attr;
    if (isa<FloatType>(resultEt)) {
      SmallVector<APFloat> fs;
      for (const Val &v : out) {
        if (&v.f.getSemantics() != &semanticsOf(resultEt))
          return failure();
        fs.push_back(v.f);
      }
      attr = DenseElementsAttr::get(type, fs);
    } else {
      SmallVector<APInt> is;
      for (const Val &v : out) {
        if (v.i.getBitWidth() != resultEt.getIntOrFloatBitWidth())
          return failure();
        is.push_back(v.i);
      }
      attr = DenseElementsAttr::get(type, is);
    }
    rewriter.replaceOpWithNewOp<sieve::onnx::ConstantOp>(op, type, attr);
    return success();
  }

  int64_t maxElements;
};

} // namespace

void sieve::populateConstantFoldPatterns(RewritePatternSet &patterns,
                                         int64_t maxElements) {
  patterns.add<FoldConstantOperands>(patterns.getContext(), maxElements);
}
