//===- ShapeEval.cpp - symbolic shapes and small integer tensors ----------===//
//
// Transfer functions of the ONNX ops that exporters use to compute shapes.
// Ops are matched by name and read their ONNX attributes by name, so the
// analysis only needs the dialect's attribute conventions (INT -> i64,
// INTS -> array<i64>, Cast's `to` -> type).
//
//===----------------------------------------------------------------------===//

#include "ShapeEval.h"

#include "sieve/Dialect/ONNX/ONNXOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/StringSwitch.h"

#include <algorithm>
#include <limits>

using namespace mlir;
using namespace sieve;

//===----------------------------------------------------------------------===//
// SymTensor
//===----------------------------------------------------------------------===//

std::optional<SmallVector<int64_t>> SymTensor::staticShape() const {
  if (!shape)
    return std::nullopt;
  SmallVector<int64_t> result;
  for (const SymInt &d : *shape) {
    if (!d.isConstant())
      return std::nullopt;
    result.push_back(d.off);
  }
  return result;
}

std::optional<SmallVector<int64_t>> SymTensor::constantElems() const {
  if (!elems)
    return std::nullopt;
  SmallVector<int64_t> result;
  for (const SymInt &e : *elems) {
    if (!e.isConstant())
      return std::nullopt;
    result.push_back(e.off);
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

namespace {
SymInt add1(SymInt x) { return {x.coef, x.sym, x.off + 1}; }
bool broadcastsExactly(ArrayRef<SymInt> in, ArrayRef<SymInt> out);

constexpr int64_t kBig = std::numeric_limits<int64_t>::max() / 2;

int64_t product(ArrayRef<int64_t> shape) {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// The linear index in `in` (right-aligned, broadcast) of the element at
/// linear index `linear` of `out`.
int64_t broadcastIndex(int64_t linear, ArrayRef<int64_t> out,
                       ArrayRef<int64_t> in) {
  SmallVector<int64_t> outStrides = stridesOf(out), inStrides = stridesOf(in);
  int64_t result = 0;
  size_t shift = out.size() - in.size();
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t idx = (linear / outStrides[i]) % out[i];
    if (i < shift)
      continue;
    if (in[i - shift] != 1)
      result += idx * inStrides[i - shift];
  }
  return result;
}

bool isNone(Value v) { return isa<NoneType>(v.getType()); }

int64_t intAttr(Operation *op, StringRef name, int64_t dflt) {
  if (auto a = op->getAttrOfType<IntegerAttr>(name))
    return a.getInt();
  return dflt;
}

std::optional<SmallVector<int64_t>> intsAttr(Operation *op, StringRef name) {
  if (auto a = op->getAttrOfType<DenseI64ArrayAttr>(name))
    return SmallVector<int64_t>(a.asArrayRef());
  if (auto a = op->getAttrOfType<ArrayAttr>(name)) {
    SmallVector<int64_t> r;
    for (Attribute e : a)
      if (auto i = dyn_cast<IntegerAttr>(e))
        r.push_back(i.getInt());
      else
        return std::nullopt;
    return r;
  }
  return std::nullopt;
}

std::optional<int64_t> normAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

/// Elements of integer element type `t` wrap like the hardware does.
int64_t wrapTo(Type t, int64_t v) {
  auto it = dyn_cast<IntegerType>(t);
  if (!it)
    return v;
  unsigned w = it.getWidth();
  if (w == 1)
    return v != 0;
  if (w >= 64)
    return v;
  uint64_t mask = (uint64_t(1) << w) - 1;
  uint64_t u = uint64_t(v) & mask;
  if (!it.isUnsigned() && (u >> (w - 1)))
    return int64_t(u | ~mask);
  return int64_t(u);
}

bool isTrackedType(Type t) {
  auto rt = dyn_cast<RankedTensorType>(t);
  return rt && isa<IntegerType>(rt.getElementType()) && rt.hasStaticShape() &&
         rt.getNumElements() <= ShapeAnalysis::kMaxTrackedElems;
}
} // namespace

//===----------------------------------------------------------------------===//
// Arithmetic
//===----------------------------------------------------------------------===//

SymInt ShapeAnalysis::fresh(bool nonNeg) {
  nonNegative.push_back(nonNeg);
  return SymInt::symbol(int64_t(nonNegative.size()) - 1);
}

std::optional<int> ShapeAnalysis::compare(SymInt a, SymInt b) const {
  if (a == b)
    return 0;
  if (provablyGE(a, add1(b)))
    return 1;
  if (provablyGE(b, add1(a)))
    return -1;
  return std::nullopt;
}

bool ShapeAnalysis::provablyGE(SymInt a, SymInt b) const {
  // a - b = c * s + k; true when c >= 0, k >= 0 and s is a size.
  int64_t k = a.off - b.off;
  if (a.sym == b.sym) {
    int64_t c = a.coef - b.coef;
    if (c == 0)
      return k >= 0;
    return nonNegative[a.sym] && c > 0 && k >= 0;
  }
  if (b.isConstant())
    return nonNegative[a.sym] && a.coef > 0 && k >= 0;
  if (a.isConstant())
    return nonNegative[b.sym] && b.coef < 0 && k >= 0;
  return false;
}

SymInt ShapeAnalysis::add(SymInt a, SymInt b) {
  if (a.isConstant() || b.isConstant() || a.sym == b.sym) {
    int64_t coef = a.coef + b.coef;
    int64_t sym = a.isConstant() ? b.sym : a.sym;
    if (coef == 0)
      return SymInt::constant(a.off + b.off);
    return {coef, sym, a.off + b.off};
  }
  return fresh(false);
}

SymInt ShapeAnalysis::sub(SymInt a, SymInt b) {
  return add(a, {-b.coef, b.sym, -b.off});
}

SymInt ShapeAnalysis::mul(SymInt a, SymInt b) {
  if (a.isConstant())
    std::swap(a, b);
  if (b.isConstant()) {
    if (b.off == 0)
      return SymInt::constant(0);
    return {a.coef * b.off, a.sym, a.off * b.off};
  }
  return fresh(false);
}

SymInt ShapeAnalysis::div(SymInt a, SymInt b) {
  if (!b.isConstant() || b.off == 0)
    return fresh(false);
  int64_t k = b.off;
  if (a.isConstant())
    return SymInt::constant(a.off / k); // ONNX integer Div truncates
  if (a.coef % k == 0 && a.off % k == 0)
    return {a.coef / k, a.sym, a.off / k}; // exact for any rounding
  return fresh(false);
}

SymInt ShapeAnalysis::broadcastDim(SymInt a, SymInt b) {
  if (a == b)
    return a;
  if (a.getConstant() == 1)
    return b;
  if (b.getConstant() == 1)
    return a;
  // One is a constant other than 1: the other is 1 or that constant.
  if (a.isConstant())
    return a;
  if (b.isConstant())
    return b;
  return fresh();
}

//===----------------------------------------------------------------------===//
// The analysis
//===----------------------------------------------------------------------===//

SymTensor ShapeAnalysis::fromType(Type type) {
  SymTensor t;
  auto rt = dyn_cast<RankedTensorType>(type);
  if (!rt)
    return t;
  t.shape.emplace();
  for (int64_t d : rt.getShape())
    t.shape->push_back(ShapedType::isDynamic(d) ? fresh()
                                                : SymInt::constant(d));
  return t;
}

const SymTensor &ShapeAnalysis::get(Value v) {
  auto it = values.find(v);
  if (it != values.end())
    return it->second;
  SymTensor t = fromType(v.getType());
  if (auto c = v.getDefiningOp<onnx::ConstantOp>()) {
    auto dense = dyn_cast<DenseIntElementsAttr>(c.getValue());
    if (dense && isTrackedType(v.getType())) {
      t.elems.emplace();
      for (const APInt &x : dense.getValues<APInt>())
        t.elems->push_back(
            SymInt::constant(dense.getElementType().isUnsignedInteger() ||
                                     dense.getElementType().isInteger(1)
                                 ? int64_t(x.getZExtValue())
                                 : x.getSExtValue()));
    }
  }
  return values[v] = std::move(t);
}

SymTensor ShapeAnalysis::merge(SymTensor inferred, Type declared) {
  auto rt = dyn_cast<RankedTensorType>(declared);
  if (!rt)
    return isa<TensorType>(declared) ? inferred : SymTensor();
  if (!inferred.shape || inferred.shape->size() != size_t(rt.getRank()))
    return fromType(declared);
  for (auto [d, s] : llvm::zip(*inferred.shape, rt.getShape()))
    if (!ShapedType::isDynamic(s))
      d = SymInt::constant(s);
  bool isInt = isa<IntegerType>(rt.getElementType());
  if (inferred.elems &&
      (!isTrackedType(declared) ||
       int64_t(inferred.elems->size()) != rt.getNumElements()))
    inferred.elems.reset();
  if (inferred.affine &&
      (!isInt || inferred.affine->coef.size() != inferred.shape->size()))
    inferred.affine.reset();
  if (inferred.affine) {
    // Sizes of 1 are indexed by 0 only.
    for (auto [c, d] : llvm::zip(inferred.affine->coef, *inferred.shape))
      if (d.getConstant() == 1)
        c = 0;
    if (!inferred.elems && isTrackedType(declared)) {
      SmallVector<int64_t> shape(rt.getShape());
      SmallVector<int64_t> strides = stridesOf(shape);
      inferred.elems.emplace();
      for (int64_t i = 0, e = rt.getNumElements(); i < e; ++i) {
        SymInt v = inferred.affine->base;
        for (size_t k = 0; k < shape.size(); ++k)
          v = add(v, SymInt::constant(inferred.affine->coef[k] *
                                      ((i / strides[k]) % shape[k])));
        inferred.elems->push_back(v);
      }
    }
  }
  if (inferred.elems)
    for (SymInt &e : *inferred.elems)
      if (e.isConstant())
        e.off = wrapTo(rt.getElementType(), e.off);
  if (inferred.affine && inferred.affine->base.isConstant() &&
      inferred.affine->isSplat())
    inferred.affine->base.off =
        wrapTo(rt.getElementType(), inferred.affine->base.off);
  return inferred;
}

void ShapeAnalysis::visit(Operation *op) {
  if (isa<onnx::ConstantOp, onnx::NoValueOp>(op)) {
    (void)get(op->getResult(0));
    return;
  }
  SmallVector<SymTensor> results = transfer(op);
  if (results.size() == 1 && results[0].shape && !results[0].affine)
    results[0].affine = transferAffine(op, results[0]);
  for (auto [i, r] : llvm::enumerate(op->getResults())) {
    if (i < results.size())
      values[r] = merge(std::move(results[i]), r.getType());
    else
      values[r] = fromType(r.getType());
  }
}

std::optional<SymTensor::Affine> ShapeAnalysis::affineOf(const SymTensor &t) {
  if (t.affine)
    return t.affine;
  std::optional<SmallVector<int64_t>> shape = t.staticShape();
  if (!shape || !t.elems || t.elems->empty() ||
      int64_t(t.elems->size()) != product(*shape))
    return std::nullopt;
  SmallVector<int64_t> strides = stridesOf(*shape);
  SymTensor::Affine af;
  af.base = (*t.elems)[0];
  for (size_t k = 0; k < shape->size(); ++k) {
    if ((*shape)[k] == 1) {
      af.coef.push_back(0);
      continue;
    }
    SymInt diff = sub((*t.elems)[strides[k]], af.base);
    if (!diff.isConstant())
      return std::nullopt;
    af.coef.push_back(diff.off);
  }
  for (int64_t i = 0, e = t.elems->size(); i < e; ++i) {
    int64_t delta = 0;
    for (size_t k = 0; k < shape->size(); ++k)
      delta += af.coef[k] * ((i / strides[k]) % (*shape)[k]);
    if ((*t.elems)[i] != add(af.base, SymInt::constant(delta)))
      return std::nullopt;
  }
  return af;
}

namespace {
/// `af` of a tensor of `shape` as seen from a broadcast result of `rank`.
SymTensor::Affine alignAffine(SymTensor::Affine af, ArrayRef<SymInt> shape,
                              size_t rank) {
  for (auto [c, d] : llvm::zip(af.coef, shape))
    if (d.getConstant() == 1)
      c = 0;
  af.coef.insert(af.coef.begin(), rank - af.coef.size(), 0);
  return af;
}

/// Whether each size of `in` (right-aligned) is 1 or the size of `out`
/// there, so that an element's index is known from the result's index.
bool broadcastsExactly(ArrayRef<SymInt> in, ArrayRef<SymInt> out) {
  if (in.size() > out.size())
    return false;
  size_t shift = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i)
    if (in[i].getConstant() != 1 && in[i] != out[shift + i])
      return false;
  return true;
}

SymTensor::Affine splatAffine(SymInt v, size_t rank) {
  SymTensor::Affine af;
  af.coef.assign(rank, 0);
  af.base = v;
  return af;
}
} // namespace

std::optional<SymTensor::Affine>
ShapeAnalysis::transferAffine(Operation *op, const SymTensor &result) {
  StringRef name = op->getName().getStringRef();
  if (!name.consume_front("onnx.") || !result.shape)
    return std::nullopt;
  size_t rank = result.shape->size();
  auto in = [&](unsigned i) -> SymTensor {
    if (i >= op->getNumOperands() || isNone(op->getOperand(i)))
      return SymTensor();
    return get(op->getOperand(i));
  };
  auto inAffine = [&](unsigned i) -> std::optional<SymTensor::Affine> {
    SymTensor t = in(i);
    std::optional<SymTensor::Affine> af = affineOf(t);
    if (!af || !t.shape || af->coef.size() != t.shape->size())
      return std::nullopt;
    return alignAffine(*af, *t.shape, af->coef.size());
  };

  if (name == "Range") {
    SymTensor start = in(0), delta = in(2);
    if (!start.elems || !delta.elems || start.elems->size() != 1 ||
        !(*delta.elems)[0].isConstant() || rank != 1)
      return std::nullopt;
    SymTensor::Affine af;
    af.base = (*start.elems)[0];
    af.coef.push_back((*delta.elems)[0].off);
    return af;
  }
  if (name == "ConstantOfShape") {
    auto v = dyn_cast_or_null<DenseIntElementsAttr>(op->getAttr("value"));
    if (!op->getAttr("value"))
      return splatAffine(SymInt::constant(0), rank);
    if (!v)
      return std::nullopt;
    return splatAffine(
        SymInt::constant((*v.getValues<APInt>().begin()).getSExtValue()), rank);
  }
  std::optional<SymTensor::Affine> x = inAffine(0);
  if (!x)
    return std::nullopt;
  if (name == "Identity")
    return x;
  if (name == "Cast") {
    auto to = dyn_cast<IntegerType>(getElementTypeOrSelf(op->getResult(0)));
    if (!to)
      return std::nullopt;
    if (to.getWidth() >= 32)
      return x;
    if (x->isSplat() && x->base.isConstant())
      return splatAffine(SymInt::constant(wrapTo(to, x->base.off)), rank);
    return std::nullopt;
  }
  if (name == "Neg") {
    for (int64_t &c : x->coef)
      c = -c;
    x->base = sub(SymInt::constant(0), x->base);
    return x;
  }
  if (x->isSplat() && x->base.isConstant()) {
    int64_t v = x->base.off;
    if (name == "Not")
      return splatAffine(SymInt::constant(v == 0), rank);
    if (name == "Abs")
      return splatAffine(SymInt::constant(std::abs(v)), rank);
  }
  if (x->isSplat() &&
      llvm::is_contained({"Reshape", "Gather", "GatherND", "GatherElements",
                          "Squeeze", "Unsqueeze", "Expand", "Transpose",
                          "Tile"},
                         name))
    return splatAffine(x->base, rank); // indices are in range or it fails
  if (name == "CumSum" && x->isSplat() && x->base.getConstant() == 0)
    return x;
  if (name == "Expand") {
    if (!broadcastsExactly(*in(0).shape, *result.shape))
      return std::nullopt;
    return alignAffine(*x, *in(0).shape, rank);
  }
  if (name == "Transpose") {
    std::optional<SmallVector<int64_t>> perm = intsAttr(op, "perm");
    if (!perm) {
      perm.emplace();
      for (int64_t i = rank - 1; i >= 0; --i)
        perm->push_back(i);
    }
    SymTensor::Affine r = *x;
    for (size_t i = 0; i < rank; ++i)
      r.coef[i] = x->coef[(*perm)[i]];
    return r;
  }
  if (name == "Unsqueeze") {
    std::optional<SmallVector<int64_t>> axes = in(1).constantElems();
    if (!axes)
      return std::nullopt;
    SmallVector<bool> inserted(rank, false);
    for (int64_t a : *axes)
      if (std::optional<int64_t> na = normAxis(a, rank))
        inserted[*na] = true;
    SymTensor::Affine r;
    r.base = x->base;
    auto it = x->coef.begin();
    for (size_t i = 0; i < rank; ++i)
      r.coef.push_back(inserted[i] ? 0 : *it++);
    return r;
  }
  if (name == "Squeeze") {
    SymTensor t = in(0);
    SymTensor::Affine r;
    r.base = x->base;
    for (auto [c, d] : llvm::zip(x->coef, *t.shape))
      if (d.getConstant() != 1)
        r.coef.push_back(c);
    if (r.coef.size() != rank)
      return std::nullopt;
    return r;
  }
  if (name == "Concat") {
    int64_t axis = intAttr(op, "axis", 0);
    if (axis < 0)
      axis += rank;
    if (axis < 0 || axis >= int64_t(rank))
      return std::nullopt;
    // Pieces of one affine function: same coefficients (except along
    // `axis` where a piece has size 1) and bases that continue each other.
    std::optional<int64_t> axisCoef;
    SmallVector<SymTensor> pieces;
    SmallVector<SymTensor::Affine> afs;
    for (unsigned i = 0; i < op->getNumOperands(); ++i) {
      std::optional<SymTensor::Affine> af = inAffine(i);
      if (!af)
        return std::nullopt;
      pieces.push_back(in(i));
      afs.push_back(*af);
      if ((*pieces.back().shape)[axis].getConstant() != 1)
        axisCoef = af->coef[axis];
    }
    SymTensor::Affine r = afs[0];
    r.coef[axis] = axisCoef.value_or(0);
    SymInt offset = SymInt::constant(0);
    for (auto [t, af] : llvm::zip(pieces, afs)) {
      for (size_t k = 0; k < rank; ++k)
        if (int64_t(k) != int64_t(axis) && af.coef[k] != r.coef[k] &&
            (*result.shape)[k].getConstant() != 1)
          return std::nullopt;
      SymInt expected =
          add(r.base, mul(SymInt::constant(r.coef[axis]), offset));
      if (af.base != expected)
        return std::nullopt;
      offset = add(offset, (*t.shape)[axis]);
    }
    return r;
  }
  return std::nullopt;
}

std::optional<SymTensor::Affine> ShapeAnalysis::elementwiseAffine(
    StringRef name, ArrayRef<SymTensor::Affine> afs,
    llvm::function_ref<SymInt(ArrayRef<SymInt>)> fn) {
  if ((name == "Add" || name == "Sub") && afs.size() == 2) {
    SymTensor::Affine r = afs[0];
    for (size_t k = 0; k < r.coef.size(); ++k)
      r.coef[k] += name == "Add" ? afs[1].coef[k] : -afs[1].coef[k];
    r.base = name == "Add" ? add(afs[0].base, afs[1].base)
                           : sub(afs[0].base, afs[1].base);
    return r;
  }
  if (name == "Mul" && afs.size() == 2) {
    for (int i = 0; i < 2; ++i)
      if (afs[i].isSplat() && afs[i].base.isConstant()) {
        SymTensor::Affine r = afs[1 - i];
        for (int64_t &c : r.coef)
          c *= afs[i].base.off;
        r.base = mul(r.base, afs[i].base);
        return r;
      }
  }
  if (name == "Where" && afs.size() == 3 && afs[0].isSplat() &&
      afs[0].base.isConstant())
    return afs[0].base.off ? afs[1] : afs[2];
  // The rest need equal coefficients: comparisons then see the difference
  // of the bases only, Max/Min shift with the common part.
  for (const SymTensor::Affine &af : afs.drop_front())
    if (af.coef != afs[0].coef)
      return std::nullopt;
  bool linear = name == "Max" || name == "Min";
  bool compares = llvm::is_contained(
      {"Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual"}, name);
  if (!afs[0].isSplat() && !linear && !compares)
    return std::nullopt;
  SmallVector<SymInt> bases;
  for (const SymTensor::Affine &af : afs)
    bases.push_back(af.base);
  SymTensor::Affine r = afs[0];
  if (compares)
    r.coef.assign(r.coef.size(), 0);
  r.base = fn(bases);
  return r;
}

SmallVector<SymTensor> ShapeAnalysis::transfer(Operation *op) {
  StringRef name = op->getName().getStringRef();
  if (!name.consume_front("onnx."))
    return {};
  auto in = [&](unsigned i) -> SymTensor {
    if (i >= op->getNumOperands() || isNone(op->getOperand(i)))
      return SymTensor();
    return get(op->getOperand(i));
  };
  auto one = [](SymTensor t) {
    SmallVector<SymTensor> r;
    r.push_back(std::move(t));
    return r;
  };
  auto shapeOf = [](SmallVector<SymInt> dims) {
    SymTensor t;
    t.shape = std::move(dims);
    return t;
  };
  auto staticDims = [](ArrayRef<SymInt> dims) {
    SmallVector<int64_t> r;
    for (const SymInt &d : dims)
      r.push_back(d.off);
    return r;
  };
  auto allConst = [](ArrayRef<SymInt> v) {
    return llvm::all_of(v, [](const SymInt &x) { return x.isConstant(); });
  };

  // Elementwise n-ary ops with numpy broadcasting.
  using Fn = std::function<SymInt(ArrayRef<SymInt>)>;
  auto boolOf = [this](std::optional<bool> b) {
    return b ? SymInt::constant(*b) : fresh();
  };
  Fn fn = llvm::StringSwitch<Fn>(name)
              .Case("Add", [&](ArrayRef<SymInt> a) { return add(a[0], a[1]); })
              .Case("Sub", [&](ArrayRef<SymInt> a) { return sub(a[0], a[1]); })
              .Case("Mul", [&](ArrayRef<SymInt> a) { return mul(a[0], a[1]); })
              .Case("Div", [&](ArrayRef<SymInt> a) { return div(a[0], a[1]); })
              .Cases({"Max", "Min"},
                     [&, isMax = name == "Max"](ArrayRef<SymInt> a) {
                       SymInt r = a[0];
                       for (SymInt x : a.drop_front()) {
                         if (provablyGE(x, r) == provablyGE(r, x) && x != r)
                           return fresh(false);
                         if (isMax == provablyGE(x, r))
                           r = x;
                       }
                       return r;
                     })
              .Case("Equal",
                    [&](ArrayRef<SymInt> a) {
                      std::optional<int> c = compare(a[0], a[1]);
                      return boolOf(c ? std::optional<bool>(*c == 0)
                                      : std::nullopt);
                    })
              .Cases({"Less", "LessOrEqual", "Greater", "GreaterOrEqual"},
                     [&](ArrayRef<SymInt> a) {
                       SymInt x = a[0], y = a[1];
                       if (name.starts_with("Greater"))
                         std::swap(x, y); // as Less(OrEqual) of y, x
                       if (name.ends_with("OrEqual")) {
                         if (provablyGE(y, x))
                           return SymInt::constant(1);
                         if (provablyGE(x, add1(y)))
                           return SymInt::constant(0);
                       } else {
                         if (provablyGE(y, add1(x)))
                           return SymInt::constant(1);
                         if (provablyGE(x, y))
                           return SymInt::constant(0);
                       }
                       return fresh();
                     })
              .Cases({"And", "Or", "Xor"},
                     [&](ArrayRef<SymInt> a) {
                       if (!a[0].isConstant() || !a[1].isConstant())
                         return fresh();
                       bool x = a[0].off, y = a[1].off;
                       return SymInt::constant(name == "And"  ? (x && y)
                                               : name == "Or" ? (x || y)
                                                              : (x != y));
                     })
              .Case("Where",
                    [&](ArrayRef<SymInt> a) {
                      if (a[0].isConstant())
                        return a[0].off ? a[1] : a[2];
                      return a[1] == a[2] ? a[1] : fresh(false);
                    })
              .Default(nullptr);
  bool isFloatOnly = llvm::is_contained({"Pow", "Mod", "BitShift"}, name);
  if (fn || isFloatOnly) {
    SmallVector<SymTensor> ins;
    for (unsigned i = 0; i < op->getNumOperands(); ++i)
      ins.push_back(in(i));
    SymTensor r;
    SmallVector<SymInt> dims;
    for (const SymTensor &t : ins) {
      if (!t.shape)
        return {};
      ArrayRef<SymInt> s = *t.shape;
      if (s.size() > dims.size())
        dims.insert(dims.begin(), s.size() - dims.size(), SymInt::constant(1));
      size_t shift = dims.size() - s.size();
      for (size_t i = 0; i < s.size(); ++i)
        dims[shift + i] = broadcastDim(dims[shift + i], s[i]);
    }
    r.shape = dims;
    bool haveElems = fn && llvm::all_of(ins, [](const SymTensor &t) {
                       return t.elems.has_value();
                     });
    if (haveElems && allConst(dims) &&
        product(staticDims(dims)) <= kMaxTrackedElems) {
      SmallVector<int64_t> out = staticDims(dims);
      r.elems.emplace();
      for (int64_t i = 0, e = product(out); i < e; ++i) {
        SmallVector<SymInt> args;
        for (const SymTensor &t : ins)
          args.push_back(
              (*t.elems)[broadcastIndex(i, out, staticDims(*t.shape))]);
        r.elems->push_back(fn(args));
      }
    }
    if (fn) {
      SmallVector<SymTensor::Affine> afs;
      for (const SymTensor &t : ins)
        if (std::optional<SymTensor::Affine> af = affineOf(t);
            af && af->coef.size() == t.shape->size() &&
            broadcastsExactly(*t.shape, dims))
          afs.push_back(alignAffine(*af, *t.shape, dims.size()));
      if (afs.size() == ins.size())
        r.affine = elementwiseAffine(name, afs, fn);
    }
    return one(r);
  }

  // Unary ops that keep the shape; the integer ones also map elements.
  using UFn = std::function<SymInt(SymInt)>;
  UFn ufn = llvm::StringSwitch<UFn>(name)
                .Cases({"Identity", "Cast"}, [](SymInt x) { return x; })
                .Case("Neg",
                      [](SymInt x) -> SymInt {
                        return {-x.coef, x.sym, -x.off};
                      })
                .Case("Not",
                      [&](SymInt x) {
                        return x.isConstant() ? SymInt::constant(x.off == 0)
                                              : fresh();
                      })
                .Case("Abs",
                      [&](SymInt x) {
                        return x.isConstant()
                                   ? SymInt::constant(std::abs(x.off))
                                   : fresh();
                      })
                .Default(nullptr);
  bool sameShape = llvm::is_contained({"Sqrt",
                                       "Reciprocal",
                                       "Sigmoid",
                                       "Cos",
                                       "Sin",
                                       "Exp",
                                       "Log",
                                       "Tanh",
                                       "Relu",
                                       "IsNaN",
                                       "IsInf",
                                       "Erf",
                                       "Softmax",
                                       "LogSoftmax",
                                       "CumSum",
                                       "Floor",
                                       "Ceil",
                                       "Round",
                                       "Sign",
                                       "Gelu",
                                       "LayerNormalization",
                                       "ms.SimplifiedLayerNormalization",
                                       "RMSNormalization"},
                                      name);
  if (ufn || sameShape) {
    SymTensor x = in(0);
    SymTensor r;
    r.shape = x.shape;
    if (ufn && x.elems) {
      r.elems.emplace();
      Type to = name == "Cast"
                    ? getElementTypeOrSelf(op->getResult(0).getType())
                    : Type();
      auto toInt = dyn_cast_or_null<IntegerType>(to);
      for (SymInt e : *x.elems) {
        SymInt v = ufn(e);
        // Symbolic values survive a cast only to a type that holds them.
        if (to && !v.isConstant() && (!toInt || toInt.getWidth() < 32))
          v = fresh(false);
        r.elems->push_back(v);
      }
    }
    return one(r);
  }

  if (name == "Shape") {
    SymTensor x = in(0);
    if (!x.shape)
      return {};
    int64_t rank = x.shape->size();
    int64_t start = intAttr(op, "start", 0), end = intAttr(op, "end", rank);
    auto clampAxis = [&](int64_t a) {
      if (a < 0)
        a += rank;
      return std::clamp<int64_t>(a, 0, rank);
    };
    start = clampAxis(start);
    end = std::max(start, clampAxis(end));
    SymTensor r = shapeOf({SymInt::constant(end - start)});
    r.elems.emplace(x.shape->begin() + start, x.shape->begin() + end);
    return one(r);
  }

  if (name == "Size") {
    SymTensor x = in(0);
    if (!x.shape)
      return {};
    SymInt n = SymInt::constant(1);
    for (SymInt d : *x.shape)
      n = mul(n, d);
    SymTensor r = shapeOf({});
    r.elems = SmallVector<SymInt>{n};
    return one(r);
  }

  if (name == "Gather") {
    SymTensor data = in(0), idx = in(1);
    if (!data.shape || !idx.shape)
      return {};
    std::optional<int64_t> axis =
        normAxis(intAttr(op, "axis", 0), data.shape->size());
    if (!axis)
      return {};
    SmallVector<SymInt> dims(data.shape->begin(), data.shape->begin() + *axis);
    dims.append(idx.shape->begin(), idx.shape->end());
    dims.append(data.shape->begin() + *axis + 1, data.shape->end());
    SymTensor r = shapeOf(dims);
    std::optional<SmallVector<int64_t>> indices = idx.constantElems();
    if (data.elems && indices && allConst(dims)) {
      SmallVector<int64_t> ds = staticDims(*data.shape);
      int64_t outer = product(ArrayRef(ds).take_front(*axis));
      int64_t inner = product(ArrayRef(ds).drop_front(*axis + 1));
      int64_t n = ds[*axis];
      r.elems.emplace();
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i : *indices) {
          if (i < -n || i >= n) {
            r.elems.reset();
            return one(r);
          }
          if (i < 0)
            i += n;
          for (int64_t k = 0; k < inner; ++k)
            r.elems->push_back((*data.elems)[(o * n + i) * inner + k]);
        }
    }
    return one(r);
  }

  if (name == "GatherND") {
    SymTensor data = in(0), idx = in(1);
    if (!data.shape || !idx.shape || idx.shape->empty())
      return {};
    std::optional<int64_t> last = idx.shape->back().getConstant();
    int64_t b = intAttr(op, "batch_dims", 0);
    if (!last || b + *last > int64_t(data.shape->size()))
      return {};
    SmallVector<SymInt> dims(idx.shape->begin(), idx.shape->end() - 1);
    dims.append(data.shape->begin() + b + *last, data.shape->end());
    return one(shapeOf(dims));
  }

  if (name == "Slice") {
    SymTensor data = in(0), starts = in(1), ends = in(2), axesT = in(3),
              stepsT = in(4);
    if (!data.shape || !starts.elems || !ends.elems)
      return {};
    int64_t rank = data.shape->size();
    size_t n = starts.elems->size();
    SmallVector<int64_t> axes, steps;
    if (axesT.shape) {
      std::optional<SmallVector<int64_t>> a = axesT.constantElems();
      if (!a)
        return {};
      axes = *a;
    } else {
      for (size_t i = 0; i < n; ++i)
        axes.push_back(i);
    }
    if (stepsT.shape) {
      std::optional<SmallVector<int64_t>> s = stepsT.constantElems();
      if (!s)
        return {};
      steps = *s;
    } else {
      steps.assign(n, 1);
    }
    if (axes.size() != n || steps.size() != n || ends.elems->size() != n)
      return {};
    SmallVector<SymInt> dims = *data.shape;
    // Per axis: the clamped start and the count, when known.
    SmallVector<std::pair<int64_t, int64_t>> ranges; // for element slicing
    SmallVector<int64_t> sliceStart(rank, 0), sliceStep(rank, 1);
    SmallVector<SymInt> symStart(rank, SymInt::constant(0));
    bool startsKnown = true;
    for (size_t i = 0; i < n; ++i) {
      std::optional<int64_t> ax = normAxis(axes[i], rank);
      if (!ax || steps[i] == 0)
        return {};
      SymInt d = dims[*ax];
      SymInt s = (*starts.elems)[i], e = (*ends.elems)[i];
      int64_t step = steps[i];
      // Clamp an index to [0, d] (positive steps).
      auto clampIdx = [&](SymInt x) -> std::optional<SymInt> {
        if (x.isConstant() && x.off >= kBig)
          return d;
        if (x.isConstant() && x.off <= -kBig)
          return SymInt::constant(0);
        if (x.isConstant() && x.off < 0)
          x = add(x, d);
        else if (!provablyGE(x, SymInt::constant(0)))
          return std::nullopt; // might count from the back
        if (provablyGE(SymInt::constant(0), x))
          return SymInt::constant(0);
        if (!provablyGE(x, SymInt::constant(0)))
          return std::nullopt;
        if (provablyGE(d, x))
          return x;
        if (provablyGE(x, d))
          return d;
        return std::nullopt;
      };
      SymInt len = fresh();
      if (step > 0) {
        std::optional<SymInt> cs = clampIdx(s), ce = clampIdx(e);
        if (cs && ce) {
          if (provablyGE(*cs, *ce))
            len = SymInt::constant(0);
          else if (provablyGE(*ce, *cs) && step == 1)
            len = sub(*ce, *cs);
          else if (ce->isConstant() && cs->isConstant())
            len = SymInt::constant((ce->off - cs->off + step - 1) / step);
        }
        if (cs) {
          if (cs->isConstant())
            sliceStart[*ax] = cs->off;
          symStart[*ax] = *cs;
        } else {
          startsKnown = false;
        }
      } else if (d.isConstant() && s.isConstant() && e.isConstant()) {
        int64_t dd = d.off, ss = s.off, ee = e.off;
        ss = ss < 0 ? std::max<int64_t>(ss + dd, -1) : ss;
        ss = std::min(ss, dd - 1);
        ee = ee < 0 ? std::max<int64_t>(ee + dd, -1) : std::min(ee, dd - 1);
        len = SymInt::constant(ss > ee ? (ss - ee + (-step) - 1) / (-step) : 0);
        sliceStart[*ax] = ss;
        symStart[*ax] = SymInt::constant(ss);
      } else {
        startsKnown = false;
      }
      sliceStep[*ax] = step;
      dims[*ax] = len;
    }
    SymTensor r = shapeOf(dims);
    std::optional<SymTensor::Affine> dataAffine = affineOf(data);
    if (dataAffine && startsKnown) {
      SymTensor::Affine af = *dataAffine;
      for (int64_t a = 0; a < rank; ++a) {
        af.base = add(af.base, mul(SymInt::constant(af.coef[a]), symStart[a]));
        af.coef[a] *= sliceStep[a];
      }
      r.affine = af;
    }
    if (data.elems && allConst(dims)) {
      SmallVector<int64_t> in = staticDims(*data.shape), out = staticDims(dims);
      SmallVector<int64_t> inStrides = stridesOf(in),
                           outStrides = stridesOf(out);
      r.elems.emplace();
      for (int64_t i = 0, e = product(out); i < e; ++i) {
        int64_t src = 0;
        for (int64_t a = 0; a < rank; ++a) {
          int64_t idx = (i / outStrides[a]) % out[a];
          src += (sliceStart[a] + idx * sliceStep[a]) * inStrides[a];
        }
        r.elems->push_back((*data.elems)[src]);
      }
    }
    return one(r);
  }

  if (name == "Concat") {
    SmallVector<SymTensor> ins;
    for (unsigned i = 0; i < op->getNumOperands(); ++i) {
      ins.push_back(in(i));
      if (!ins.back().shape || ins.back().shape->size() != ins[0].shape->size())
        return {};
    }
    if (ins.empty())
      return {};
    int64_t rank = ins[0].shape->size();
    std::optional<int64_t> axis = normAxis(intAttr(op, "axis", 0), rank);
    if (!axis)
      return {};
    SmallVector<SymInt> dims = *ins[0].shape;
    for (const SymTensor &t : ArrayRef(ins).drop_front()) {
      dims[*axis] = add(dims[*axis], (*t.shape)[*axis]);
      for (int64_t a = 0; a < rank; ++a)
        if (a != *axis && !dims[a].isConstant())
          dims[a] = (*t.shape)[a];
    }
    SymTensor r = shapeOf(dims);
    if (llvm::all_of(ins, [](const SymTensor &t) { return t.elems; }) &&
        allConst(dims)) {
      SmallVector<int64_t> out = staticDims(dims);
      int64_t outer = product(ArrayRef(out).take_front(*axis));
      r.elems.emplace();
      for (int64_t o = 0; o < outer; ++o)
        for (const SymTensor &t : ins) {
          int64_t chunk =
              product(ArrayRef(staticDims(*t.shape)).drop_front(*axis));
          for (int64_t k = 0; k < chunk; ++k)
            r.elems->push_back((*t.elems)[o * chunk + k]);
        }
    }
    return one(r);
  }

  if (name == "Unsqueeze" || name == "Squeeze") {
    SymTensor x = in(0);
    if (!x.shape)
      return {};
    std::optional<SmallVector<int64_t>> axes;
    if (op->getNumOperands() > 1 && !isNone(op->getOperand(1)))
      axes = in(1).constantElems();
    else
      axes = intsAttr(op, "axes");
    SmallVector<SymInt> dims;
    if (name == "Unsqueeze") {
      if (!axes)
        return {};
      int64_t rank = x.shape->size() + axes->size();
      SmallVector<bool> inserted(rank, false);
      for (int64_t a : *axes) {
        std::optional<int64_t> na = normAxis(a, rank);
        if (!na || inserted[*na])
          return {};
        inserted[*na] = true;
      }
      auto it = x.shape->begin();
      for (int64_t i = 0; i < rank; ++i)
        dims.push_back(inserted[i] ? SymInt::constant(1) : *it++);
    } else {
      int64_t rank = x.shape->size();
      SmallVector<bool> removed(rank, false);
      if (axes) {
        for (int64_t a : *axes) {
          std::optional<int64_t> na = normAxis(a, rank);
          if (!na)
            return {};
          removed[*na] = true;
        }
      } else {
        for (int64_t i = 0; i < rank; ++i) {
          if (!(*x.shape)[i].isConstant())
            return {};
          removed[i] = (*x.shape)[i].off == 1;
        }
      }
      for (int64_t i = 0; i < rank; ++i)
        if (!removed[i])
          dims.push_back((*x.shape)[i]);
    }
    SymTensor r = shapeOf(dims);
    r.elems = x.elems;
    return one(r);
  }

  if (name == "Reshape") {
    SymTensor x = in(0), target = in(1);
    if (!target.elems)
      return {};
    bool allowZero = intAttr(op, "allowzero", 0) != 0;
    SmallVector<SymInt> dims;
    int64_t inferIdx = -1;
    for (auto [i, t] : llvm::enumerate(*target.elems)) {
      if (t.getConstant() == 0 && !allowZero) {
        if (!x.shape || i >= x.shape->size())
          return {};
        dims.push_back((*x.shape)[i]);
      } else if (t.getConstant() == -1) {
        if (inferIdx >= 0)
          return {};
        inferIdx = i;
        dims.push_back(SymInt::constant(-1));
      } else {
        // A symbolic entry is taken as the size it names; an entry that
        // might be -1 (or negative) at run time is not understood.
        if (!t.isConstant() && !provablyGE(t, SymInt::constant(0)))
          return {};
        dims.push_back(t);
      }
    }
    if (inferIdx >= 0) {
      SymInt inferred = fresh();
      // Products as a constant times a multiset of symbolic factors.
      auto factor = [](ArrayRef<SymInt> ds, int64_t skip, int64_t &c,
                       SmallVector<SymInt> &syms) {
        c = 1;
        for (auto [i, d] : llvm::enumerate(ds)) {
          if (int64_t(i) == skip)
            continue;
          if (d.isConstant()) {
            c *= d.off;
          } else if (d.off == 0) {
            c *= d.coef;
            syms.push_back(SymInt::symbol(d.sym));
          } else {
            syms.push_back(d);
          }
        }
      };
      if (x.shape) {
        int64_t ci, co;
        SmallVector<SymInt> si, so;
        factor(*x.shape, -1, ci, si);
        factor(dims, inferIdx, co, so);
        bool ok = co != 0 && ci % co == 0;
        for (const SymInt &s : so) {
          auto it = llvm::find(si, s);
          if (it == si.end()) {
            ok = false;
            break;
          }
          si.erase(it);
        }
        if (ok && si.empty())
          inferred = SymInt::constant(ci / co);
        else if (ok && si.size() == 1)
          inferred = mul(si[0], SymInt::constant(ci / co));
      }
      dims[inferIdx] = inferred;
    }
    SymTensor r = shapeOf(dims);
    r.elems = x.elems;
    return one(r);
  }

  if (name == "Expand") {
    SymTensor x = in(0), target = in(1);
    if (!x.shape || !target.elems)
      return {};
    SmallVector<SymInt> dims = *target.elems;
    ArrayRef<SymInt> s = *x.shape;
    if (s.size() > dims.size())
      dims.insert(dims.begin(), s.size() - dims.size(), SymInt::constant(1));
    size_t shift = dims.size() - s.size();
    for (size_t i = 0; i < s.size(); ++i)
      dims[shift + i] = broadcastDim(dims[shift + i], s[i]);
    SymTensor r = shapeOf(dims);
    if (x.elems && allConst(dims) &&
        product(staticDims(dims)) <= kMaxTrackedElems) {
      SmallVector<int64_t> out = staticDims(dims), inS = staticDims(s);
      r.elems.emplace();
      for (int64_t i = 0, e = product(out); i < e; ++i)
        r.elems->push_back((*x.elems)[broadcastIndex(i, out, inS)]);
    }
    return one(r);
  }

  if (name == "ConstantOfShape") {
    SymTensor target = in(0);
    if (!target.elems)
      return {};
    SymTensor r = shapeOf(*target.elems);
    std::optional<SmallVector<int64_t>> st = r.staticShape();
    int64_t value = 0;
    bool intValue = true;
    if (auto v = op->getAttrOfType<DenseElementsAttr>("value")) {
      if (auto iv = dyn_cast<DenseIntElementsAttr>(v))
        value = (*iv.getValues<APInt>().begin()).getSExtValue();
      else
        intValue = false;
    } else if (auto v = op->getAttr("value")) {
      intValue = false;
    }
    if (st && intValue && product(*st) <= kMaxTrackedElems)
      r.elems.emplace(product(*st), SymInt::constant(value));
    return one(r);
  }

  if (name == "Range") {
    SymTensor start = in(0), limit = in(1), delta = in(2);
    SymTensor r = shapeOf({fresh()});
    if (!start.elems || !limit.elems || !delta.elems)
      return one(r);
    SymInt s = (*start.elems)[0], l = (*limit.elems)[0], d = (*delta.elems)[0];
    if (s.isConstant() && l.isConstant() && d.isConstant() && d.off != 0) {
      int64_t n = std::max<int64_t>(
          0, (l.off - s.off + d.off + (d.off > 0 ? -1 : 1)) / d.off);
      (*r.shape)[0] = SymInt::constant(n);
      if (n <= kMaxTrackedElems) {
        r.elems.emplace();
        for (int64_t i = 0; i < n; ++i)
          r.elems->push_back(SymInt::constant(s.off + i * d.off));
      }
    } else if (d.getConstant() == 1 && provablyGE(l, s)) {
      (*r.shape)[0] = sub(l, s);
    }
    return one(r);
  }

  if (name == "Transpose") {
    SymTensor x = in(0);
    if (!x.shape)
      return {};
    int64_t rank = x.shape->size();
    SmallVector<int64_t> perm;
    if (std::optional<SmallVector<int64_t>> p = intsAttr(op, "perm"))
      perm = *p;
    else
      for (int64_t i = rank - 1; i >= 0; --i)
        perm.push_back(i);
    if (int64_t(perm.size()) != rank)
      return {};
    SmallVector<SymInt> dims;
    for (int64_t p : perm) {
      if (p < 0 || p >= rank)
        return {};
      dims.push_back((*x.shape)[p]);
    }
    SymTensor r = shapeOf(dims);
    if (x.elems && allConst(dims)) {
      SmallVector<int64_t> in = staticDims(*x.shape), out = staticDims(dims);
      SmallVector<int64_t> inStrides = stridesOf(in),
                           outStrides = stridesOf(out);
      r.elems.emplace();
      for (int64_t i = 0, e = product(out); i < e; ++i) {
        int64_t src = 0;
        for (int64_t a = 0; a < rank; ++a)
          src += ((i / outStrides[a]) % out[a]) * inStrides[perm[a]];
        r.elems->push_back((*x.elems)[src]);
      }
    }
    return one(r);
  }

  if (name == "MatMul") {
    SymTensor a = in(0), b = in(1);
    if (!a.shape || !b.shape || a.shape->empty() || b.shape->empty())
      return {};
    ArrayRef<SymInt> as = *a.shape, bs = *b.shape;
    ArrayRef<SymInt> ba = as.drop_back(std::min<size_t>(2, as.size()));
    ArrayRef<SymInt> bb = bs.drop_back(std::min<size_t>(2, bs.size()));
    SmallVector<SymInt> dims(std::max(ba.size(), bb.size()),
                             SymInt::constant(1));
    for (size_t i = 0; i < ba.size(); ++i)
      dims[dims.size() - ba.size() + i] = ba[i];
    for (size_t i = 0; i < bb.size(); ++i) {
      SymInt &d = dims[dims.size() - bb.size() + i];
      d = broadcastDim(d, bb[i]);
    }
    if (as.size() >= 2)
      dims.push_back(as[as.size() - 2]);
    if (bs.size() >= 2)
      dims.push_back(bs.back());
    return one(shapeOf(dims));
  }

  if (name.starts_with("Reduce")) {
    SymTensor x = in(0);
    if (!x.shape)
      return {};
    int64_t rank = x.shape->size();
    std::optional<SmallVector<int64_t>> axes;
    bool fromOperand = op->getNumOperands() > 1;
    if (fromOperand && !isNone(op->getOperand(1))) {
      axes = in(1).constantElems();
      if (!axes)
        return {};
    } else {
      axes = intsAttr(op, "axes");
    }
    bool keep = intAttr(op, "keepdims", 1) != 0;
    if (!axes || axes->empty()) {
      if (intAttr(op, "noop_with_empty_axes", 0))
        return one(x);
      axes.emplace();
      for (int64_t i = 0; i < rank; ++i)
        axes->push_back(i);
    }
    SmallVector<bool> reduced(rank, false);
    for (int64_t a : *axes) {
      std::optional<int64_t> na = normAxis(a, rank);
      if (!na)
        return {};
      reduced[*na] = true;
    }
    SmallVector<SymInt> dims;
    for (int64_t i = 0; i < rank; ++i)
      if (!reduced[i])
        dims.push_back((*x.shape)[i]);
      else if (keep)
        dims.push_back(SymInt::constant(1));
    return one(shapeOf(dims));
  }

  return {};
}
