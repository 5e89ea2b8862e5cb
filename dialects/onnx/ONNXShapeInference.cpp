//===- ONNXShapeInference.cpp - result types of onnx operations -----------===//
//
// inferReturnTypes for the ops whose result type ONNX defines from the
// operand types. The importer uses them when a graph lacks value_info.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/ONNX/ONNXOps.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/SmallBitVector.h"

#include <algorithm>

using namespace mlir;
using namespace sieve::onnx;

namespace {
/// Result type of a broadcasting elementwise op with `elementType`.
LogicalResult inferBroadcast(std::optional<Location> loc, Type a, Type b,
                             Type elementType,
                             SmallVectorImpl<Type> &results) {
  auto ra = dyn_cast<RankedTensorType>(a);
  auto rb = dyn_cast<RankedTensorType>(b);
  if (!ra || !rb) {
    results.push_back(UnrankedTensorType::get(elementType));
    return success();
  }
  FailureOr<SmallVector<int64_t>> shape =
      broadcastShapes(ra.getShape(), rb.getShape());
  if (failed(shape))
    return emitOptionalError(loc, "shapes ", a, " and ", b,
                             " do not broadcast");
  results.push_back(RankedTensorType::get(*shape, elementType));
  return success();
}

RankedTensorType rankedOf(Value v) {
  return dyn_cast<RankedTensorType>(v.getType());
}

/// `shape` of `like` (ranked or not) with element type `elementType`.
Type withElementType(Type like, Type elementType) {
  if (auto r = dyn_cast<RankedTensorType>(like))
    return RankedTensorType::get(r.getShape(), elementType);
  return UnrankedTensorType::get(elementType);
}

/// Broadcast of all `values`, with `elementType`.
LogicalResult inferBroadcastAll(std::optional<Location> loc, ValueRange values,
                                Type elementType,
                                SmallVectorImpl<Type> &results) {
  SmallVector<int64_t> shape;
  for (Value v : values) {
    auto t = rankedOf(v);
    if (!t) {
      results.push_back(UnrankedTensorType::get(elementType));
      return success();
    }
    FailureOr<SmallVector<int64_t>> b = broadcastShapes(shape, t.getShape());
    if (failed(b))
      return emitOptionalError(loc, "shapes ", values.getTypes(),
                               " do not broadcast");
    shape = *b;
  }
  results.push_back(RankedTensorType::get(shape, elementType));
  return success();
}

/// Product of `dims`, dynamic if any is.
int64_t product(ArrayRef<int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims) {
    if (ShapedType::isDynamic(d))
      return ShapedType::kDynamic;
    p *= d;
  }
  return p;
}

/// `shape` with `axes` (normalized, in range) removed, or set to 1 with
/// `keepdims`.
SmallVector<int64_t> reduceShape(ArrayRef<int64_t> shape,
                                 ArrayRef<int64_t> axes, bool keepdims) {
  llvm::SmallBitVector reduced(shape.size());
  for (int64_t a : axes)
    reduced.set(a);
  SmallVector<int64_t> out;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (!reduced.test(i))
      out.push_back(shape[i]);
    else if (keepdims)
      out.push_back(1);
  }
  return out;
}

/// Type of a normalization's statistics: `x`'s shape with the dimensions
/// from `axis` set to 1, element type f32 (stash_type 1) or `x`'s.
Type statsType(Type x, int64_t axis, int64_t stashType) {
  Type elt = stashType == 1 ? Float32Type::get(x.getContext())
                            : getElementTypeOrSelf(x);
  auto r = dyn_cast<RankedTensorType>(x);
  if (!r)
    return UnrankedTensorType::get(elt);
  FailureOr<int64_t> a = normalizeAxis(axis, r.getRank());
  if (failed(a))
    return UnrankedTensorType::get(elt);
  SmallVector<int64_t> shape(r.getShape());
  for (int64_t i = *a; i < r.getRank(); ++i)
    shape[i] = 1;
  return RankedTensorType::get(shape, elt);
}
} // namespace

#define SIEVE_INFER(OP)                                                        \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *context, std::optional<Location> loc, ValueRange operands,  \
      DictionaryAttr attributes, OpaqueProperties properties,                  \
      RegionRange regions, SmallVectorImpl<Type> &results)

// The result has the type of the first operand.
#define SIEVE_INFER_SAME(OP)                                                   \
  SIEVE_INFER(OP) {                                                            \
    results.push_back(operands[0].getType());                                  \
    return success();                                                          \
  }
SIEVE_INFER_SAME(AbsOp)
SIEVE_INFER_SAME(CeilOp)
SIEVE_INFER_SAME(CosOp)
SIEVE_INFER_SAME(ErfOp)
SIEVE_INFER_SAME(ExpOp)
SIEVE_INFER_SAME(FloorOp)
SIEVE_INFER_SAME(IdentityOp)
SIEVE_INFER_SAME(LogOp)
SIEVE_INFER_SAME(NegOp)
SIEVE_INFER_SAME(NotOp)
SIEVE_INFER_SAME(ReciprocalOp)
SIEVE_INFER_SAME(ReluOp)
SIEVE_INFER_SAME(RoundOp)
SIEVE_INFER_SAME(SigmoidOp)
SIEVE_INFER_SAME(SignOp)
SIEVE_INFER_SAME(SinOp)
SIEVE_INFER_SAME(SoftplusOp)
SIEVE_INFER_SAME(SoftsignOp)
SIEVE_INFER_SAME(SqrtOp)
SIEVE_INFER_SAME(TanOp)
SIEVE_INFER_SAME(AtanOp)
SIEVE_INFER_SAME(TanhOp)
SIEVE_INFER_SAME(EluOp)
SIEVE_INFER_SAME(GeluOp)
SIEVE_INFER_SAME(HardSigmoidOp)
SIEVE_INFER_SAME(LeakyReluOp)
SIEVE_INFER_SAME(ClipOp)
SIEVE_INFER_SAME(CumSumOp)
SIEVE_INFER_SAME(SoftmaxOp)
SIEVE_INFER_SAME(LogSoftmaxOp)
SIEVE_INFER_SAME(ScatterNDOp)
SIEVE_INFER_SAME(TriluOp)
SIEVE_INFER_SAME(RMSNormalizationOp)
SIEVE_INFER_SAME(RotaryEmbeddingOp)
SIEVE_INFER_SAME(MSRotaryEmbeddingOp)
SIEVE_INFER_SAME(MSFastGeluOp)
SIEVE_INFER_SAME(MSQuickGeluOp)
#undef SIEVE_INFER_SAME

// Elementwise bool results.
#define SIEVE_INFER_BOOL(OP)                                                   \
  SIEVE_INFER(OP) {                                                            \
    results.push_back(withElementType(operands[0].getType(),                  \
                                      IntegerType::get(context, 1)));         \
    return success();                                                          \
  }
SIEVE_INFER_BOOL(IsNaNOp)
SIEVE_INFER_BOOL(IsInfOp)
#undef SIEVE_INFER_BOOL

// Broadcasting binary ops with the first operand's element type.
#define SIEVE_INFER_BROADCAST(OP)                                              \
  SIEVE_INFER(OP) {                                                            \
    return inferBroadcast(loc, operands[0].getType(), operands[1].getType(),   \
                          getElementTypeOrSelf(operands[0].getType()),         \
                          results);                                            \
  }
SIEVE_INFER_BROADCAST(AddOp)
SIEVE_INFER_BROADCAST(SubOp)
SIEVE_INFER_BROADCAST(MulOp)
SIEVE_INFER_BROADCAST(DivOp)
SIEVE_INFER_BROADCAST(ModOp)
SIEVE_INFER_BROADCAST(PowOp)
SIEVE_INFER_BROADCAST(BitwiseAndOp)
#undef SIEVE_INFER_BROADCAST

// Comparisons and logic: broadcasting with a bool result.
#define SIEVE_INFER_COMPARISON(OP)                                             \
  SIEVE_INFER(OP) {                                                            \
    return inferBroadcast(loc, operands[0].getType(), operands[1].getType(),   \
                          IntegerType::get(context, 1), results);             \
  }
SIEVE_INFER_COMPARISON(AndOp)
SIEVE_INFER_COMPARISON(OrOp)
SIEVE_INFER_COMPARISON(XorOp)
SIEVE_INFER_COMPARISON(EqualOp)
SIEVE_INFER_COMPARISON(GreaterOp)
SIEVE_INFER_COMPARISON(GreaterOrEqualOp)
SIEVE_INFER_COMPARISON(LessOp)
SIEVE_INFER_COMPARISON(LessOrEqualOp)
#undef SIEVE_INFER_COMPARISON

#define SIEVE_INFER_VARIADIC(OP)                                               \
  SIEVE_INFER(OP) {                                                            \
    if (operands.empty())                                                      \
      return emitOptionalError(loc, OP::getOperationName(),                   \
                               " needs at least one input");                   \
    return inferBroadcastAll(loc, operands,                                    \
                             getElementTypeOrSelf(operands[0].getType()),      \
                             results);                                         \
  }
SIEVE_INFER_VARIADIC(SumOp)
SIEVE_INFER_VARIADIC(MaxOp)
SIEVE_INFER_VARIADIC(MinOp)
SIEVE_INFER_VARIADIC(MeanOp)
#undef SIEVE_INFER_VARIADIC

SIEVE_INFER(WhereOp) {
  return inferBroadcastAll(loc, operands,
                           getElementTypeOrSelf(operands[1].getType()),
                           results);
}

namespace {
/// Reductions: exact with attribute axes, no axes, or an axes operand that
/// is a constant; unranked (element type only) for other axes operands,
/// whose values types do not give.
template <typename OpT>
LogicalResult inferReduce(std::optional<Location> loc, ValueRange operands,
                          DictionaryAttr attributes,
                          OpaqueProperties properties, RegionRange regions,
                          SmallVectorImpl<Type> &results) {
  typename OpT::Adaptor adaptor(operands, attributes, properties, regions);
  Type data = operands[0].getType();
  Type elt = getElementTypeOrSelf(data);
  auto t = dyn_cast<RankedTensorType>(data);
  SmallVector<int64_t> given;
  if (std::optional<ArrayRef<int64_t>> attr = adaptor.getAxes())
    given.assign(attr->begin(), attr->end());
  DenseIntElementsAttr constAxes;
  if (!isa<NoneType>(operands[1].getType())) {
    if (!matchPattern(operands[1], m_Constant(&constAxes))) {
      results.push_back(UnrankedTensorType::get(elt));
      return success();
    }
    for (const APInt &a : constAxes.getValues<APInt>())
      given.push_back(a.getSExtValue());
  }
  if (!t) {
    results.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  SmallVector<int64_t> axes;
  {
    for (int64_t a : given) {
      FailureOr<int64_t> n = normalizeAxis(a, t.getRank());
      if (failed(n))
        return emitOptionalError(loc, OpT::getOperationName(), " axis ", a,
                                 " out of range for rank ", t.getRank());
      axes.push_back(*n);
    }
  }
  if (axes.empty()) {
    if (adaptor.getNoopWithEmptyAxes() != 0) {
      results.push_back(data);
      return success();
    }
    for (int64_t i = 0; i < t.getRank(); ++i)
      axes.push_back(i);
  }
  results.push_back(RankedTensorType::get(
      reduceShape(t.getShape(), axes, adaptor.getKeepdims() != 0), elt));
  return success();
}
} // namespace

#define SIEVE_INFER_REDUCE(OP)                                                 \
  SIEVE_INFER(OP) {                                                            \
    return inferReduce<OP>(loc, operands, attributes, properties, regions,     \
                           results);                                           \
  }
SIEVE_INFER_REDUCE(ReduceMaxOp)
SIEVE_INFER_REDUCE(ReduceMeanOp)
SIEVE_INFER_REDUCE(ReduceMinOp)
SIEVE_INFER_REDUCE(ReduceSumOp)
SIEVE_INFER_REDUCE(ReduceProdOp)
SIEVE_INFER_REDUCE(ReduceL2Op)
SIEVE_INFER_REDUCE(ReduceL1Op)
SIEVE_INFER_REDUCE(ReduceSumSquareOp)
SIEVE_INFER_REDUCE(ReduceLogSumExpOp)
#undef SIEVE_INFER_REDUCE

SIEVE_INFER(ArgMaxOp) {
  ArgMaxOp::Adaptor adaptor(operands, attributes, properties, regions);
  Type i64 = IntegerType::get(context, 64);
  auto t = rankedOf(operands[0]);
  if (!t) {
    results.push_back(UnrankedTensorType::get(i64));
    return success();
  }
  FailureOr<int64_t> axis =
      normalizeAxis(static_cast<int64_t>(adaptor.getAxis()), t.getRank());
  if (failed(axis))
    return emitOptionalError(loc, "ArgMax axis out of range");
  results.push_back(RankedTensorType::get(
      reduceShape(t.getShape(), {*axis}, adaptor.getKeepdims() != 0), i64));
  return success();
}

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr,
                                         OpaqueProperties, RegionRange,
                                         SmallVectorImpl<Type> &results) {
  Type elementType = getElementTypeOrSelf(operands[0].getType());
  auto a = dyn_cast<RankedTensorType>(operands[0].getType());
  auto b = dyn_cast<RankedTensorType>(operands[1].getType());
  if (!a || !b) {
    results.push_back(UnrankedTensorType::get(elementType));
    return success();
  }
  if (a.getRank() == 0 || b.getRank() == 0)
    return emitOptionalError(loc, "MatMul operands must have rank >= 1");
  ArrayRef<int64_t> as = a.getShape(), bs = b.getShape();
  SmallVector<int64_t> batchA(as.begin(), as.end() - std::min<int64_t>(2, as.size()));
  SmallVector<int64_t> batchB(bs.begin(), bs.end() - std::min<int64_t>(2, bs.size()));
  FailureOr<SmallVector<int64_t>> shape = broadcastShapes(batchA, batchB);
  if (failed(shape))
    return emitOptionalError(loc, "MatMul batch dimensions do not broadcast");
  if (as.size() >= 2)
    shape->push_back(as[as.size() - 2]);
  if (bs.size() >= 2)
    shape->push_back(bs.back());
  results.push_back(RankedTensorType::get(*shape, elementType));
  return success();
}

LogicalResult CastOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location>,
                                       ValueRange operands,
                                       DictionaryAttr attributes,
                                       OpaqueProperties properties,
                                       RegionRange regions,
                                       SmallVectorImpl<Type> &results) {
  CastOp::Adaptor adaptor(operands, attributes, properties, regions);
  Type to = adaptor.getTo();
  if (auto ranked = dyn_cast<RankedTensorType>(operands[0].getType()))
    results.push_back(RankedTensorType::get(ranked.getShape(), to));
  else
    results.push_back(UnrankedTensorType::get(to));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         ValueRange operands,
                                         DictionaryAttr attributes,
                                         OpaqueProperties properties,
                                         RegionRange regions,
                                         SmallVectorImpl<Type> &results) {
  ConcatOp::Adaptor adaptor(operands, attributes, properties, regions);
  if (operands.empty())
    return emitOptionalError(loc, "Concat needs at least one input");
  Type elementType = getElementTypeOrSelf(operands[0].getType());
  SmallVector<int64_t> shape;
  int64_t axis = -1;
  for (Value v : operands) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t) {
      results.push_back(UnrankedTensorType::get(elementType));
      return success();
    }
    if (shape.empty()) {
      FailureOr<int64_t> a = normalizeAxis(adaptor.getAxis(), t.getRank());
      if (failed(a))
        return emitOptionalError(loc, "Concat axis out of range");
      axis = *a;
      shape.assign(t.getShape().begin(), t.getShape().end());
      continue;
    }
    if (t.getRank() != static_cast<int64_t>(shape.size()))
      return emitOptionalError(loc, "Concat inputs have different ranks");
    for (int64_t i = 0, e = shape.size(); i < e; ++i) {
      int64_t d = t.getShape()[i];
      if (i == axis)
        shape[i] = ShapedType::isDynamic(shape[i]) || ShapedType::isDynamic(d)
                       ? ShapedType::kDynamic
                       : shape[i] + d;
      else if (ShapedType::isDynamic(shape[i]))
        shape[i] = d;
    }
  }
  results.push_back(RankedTensorType::get(shape, elementType));
  return success();
}

SIEVE_INFER(CastLikeOp) {
  results.push_back(withElementType(
      operands[0].getType(), getElementTypeOrSelf(operands[1].getType())));
  return success();
}

SIEVE_INFER(DequantizeLinearOp) {
  results.push_back(withElementType(
      operands[0].getType(), getElementTypeOrSelf(operands[1].getType())));
  return success();
}

SIEVE_INFER(QuantizeLinearOp) {
  QuantizeLinearOp::Adaptor adaptor(operands, attributes, properties, regions);
  // The zero point's type, else output_dtype (ONNX's 2 = uint8, 3 = int8),
  // else uint8.
  Type elt = IntegerType::get(context, 8, IntegerType::Unsigned);
  if (operands.size() > 2 && isa<ShapedType>(operands[2].getType()))
    elt = getElementTypeOrSelf(operands[2].getType());
  else if (adaptor.getOutputDtype() == 3)
    elt = IntegerType::get(context, 8);
  else if (adaptor.getOutputDtype() != 0 && adaptor.getOutputDtype() != 2) {
    if (loc)
      mlir::emitError(*loc) << "QuantizeLinear: output_dtype "
                      << adaptor.getOutputDtype()
                      << " is not supported (uint8 = 2 and int8 = 3 are)";
    return failure();
  }
  results.push_back(withElementType(operands[0].getType(), elt));
  return success();
}

SIEVE_INFER(GemmOp) {
  GemmOp::Adaptor adaptor(operands, attributes, properties, regions);
  Type elt = getElementTypeOrSelf(operands[0].getType());
  auto a = rankedOf(operands[0]);
  auto b = rankedOf(operands[1]);
  int64_t m = ShapedType::kDynamic, n = ShapedType::kDynamic;
  if (a && a.getRank() == 2)
    m = a.getDimSize(adaptor.getTransA() ? 1 : 0);
  if (b && b.getRank() == 2)
    n = b.getDimSize(adaptor.getTransB() ? 0 : 1);
  results.push_back(RankedTensorType::get({m, n}, elt));
  return success();
}

SIEVE_INFER(FlattenOp) {
  FlattenOp::Adaptor adaptor(operands, attributes, properties, regions);
  Type elt = getElementTypeOrSelf(operands[0].getType());
  auto t = rankedOf(operands[0]);
  if (!t) {
    results.push_back(RankedTensorType::get(
        {ShapedType::kDynamic, ShapedType::kDynamic}, elt));
    return success();
  }
  int64_t rank = t.getRank();
  int64_t axis = static_cast<int64_t>(adaptor.getAxis());
  if (axis < -rank || axis > rank)
    return emitOptionalError(loc, "Flatten axis ", axis,
                             " out of range for rank ", rank);
  if (axis < 0)
    axis += rank;
  ArrayRef<int64_t> shape = t.getShape();
  results.push_back(RankedTensorType::get(
      {product(shape.take_front(axis)), product(shape.drop_front(axis))},
      elt));
  return success();
}

SIEVE_INFER(GatherOp) {
  GatherOp::Adaptor adaptor(operands, attributes, properties, regions);
  Type elt = getElementTypeOrSelf(operands[0].getType());
  auto data = rankedOf(operands[0]);
  auto indices = rankedOf(operands[1]);
  if (!data || !indices) {
    results.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  FailureOr<int64_t> axis =
      normalizeAxis(static_cast<int64_t>(adaptor.getAxis()), data.getRank());
  if (failed(axis))
    return emitOptionalError(loc, "Gather axis out of range");
  SmallVector<int64_t> shape(data.getShape().take_front(*axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, data.getShape().drop_front(*axis + 1));
  results.push_back(RankedTensorType::get(shape, elt));
  return success();
}

SIEVE_INFER(GatherElementsOp) {
  results.push_back(withElementType(
      operands[1].getType(), getElementTypeOrSelf(operands[0].getType())));
  return success();
}

SIEVE_INFER(GatherNDOp) {
  GatherNDOp::Adaptor adaptor(operands, attributes, properties, regions);
  Type elt = getElementTypeOrSelf(operands[0].getType());
  auto data = rankedOf(operands[0]);
  auto indices = rankedOf(operands[1]);
  int64_t b = static_cast<int64_t>(adaptor.getBatchDims());
  if (!data || !indices || indices.getRank() == 0 ||
      indices.isDynamicDim(indices.getRank() - 1)) {
    results.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  int64_t m = indices.getShape().back();
  if (b < 0 || b + m > data.getRank())
    return emitOptionalError(loc, "GatherND index tuples exceed the data rank");
  SmallVector<int64_t> shape(indices.getShape().drop_back());
  llvm::append_range(shape, data.getShape().drop_front(b + m));
  results.push_back(RankedTensorType::get(shape, elt));
  return success();
}

SIEVE_INFER(ShapeOp) {
  ShapeOp::Adaptor adaptor(operands, attributes, properties, regions);
  Type i64 = IntegerType::get(context, 64);
  auto t = rankedOf(operands[0]);
  if (!t) {
    results.push_back(RankedTensorType::get({ShapedType::kDynamic}, i64));
    return success();
  }
  int64_t rank = t.getRank();
  auto clamp = [&](int64_t v) {
    if (v < 0)
      v += rank;
    return std::clamp<int64_t>(v, 0, rank);
  };
  int64_t start = clamp(static_cast<int64_t>(adaptor.getStart()));
  int64_t end = rank;
  if (std::optional<uint64_t> e = adaptor.getEnd())
    end = clamp(static_cast<int64_t>(*e));
  results.push_back(
      RankedTensorType::get({std::max<int64_t>(0, end - start)}, i64));
  return success();
}

SIEVE_INFER(SizeOp) {
  results.push_back(RankedTensorType::get({}, IntegerType::get(context, 64)));
  return success();
}

SIEVE_INFER(TransposeOp) {
  TransposeOp::Adaptor adaptor(operands, attributes, properties, regions);
  Type elt = getElementTypeOrSelf(operands[0].getType());
  auto t = rankedOf(operands[0]);
  if (!t) {
    results.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  int64_t rank = t.getRank();
  SmallVector<int64_t> perm;
  if (std::optional<ArrayRef<int64_t>> p = adaptor.getPerm())
    perm.assign(p->begin(), p->end());
  else
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  if (static_cast<int64_t>(perm.size()) != rank)
    return emitOptionalError(loc, "Transpose perm size differs from the rank");
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= rank)
      return emitOptionalError(loc, "Transpose perm entry out of range");
    shape.push_back(t.getDimSize(p));
  }
  results.push_back(RankedTensorType::get(shape, elt));
  return success();
}

SIEVE_INFER(LayerNormalizationOp) {
  LayerNormalizationOp::Adaptor adaptor(operands, attributes, properties,
                                        regions);
  Type x = operands[0].getType();
  Type stats = statsType(x, static_cast<int64_t>(adaptor.getAxis()),
                         static_cast<int64_t>(adaptor.getStashType()));
  results.append({x, stats, stats});
  return success();
}

SIEVE_INFER(MSSimplifiedLayerNormalizationOp) {
  MSSimplifiedLayerNormalizationOp::Adaptor adaptor(operands, attributes,
                                                    properties, regions);
  Type x = operands[0].getType();
  results.append({x, statsType(x, static_cast<int64_t>(adaptor.getAxis()),
                               static_cast<int64_t>(adaptor.getStashType()))});
  return success();
}

SIEVE_INFER(DropoutOp) {
  Type data = operands[0].getType();
  results.push_back(data);
  results.push_back(withElementType(data, IntegerType::get(context, 1)));
  return success();
}

namespace {
/// Results of the com.microsoft Skip*LayerNormalization ops: output,
/// mean, inv_std_var (f32, last dimension 1), input_skip_bias_sum.
void inferSkipNorm(Type input, SmallVectorImpl<Type> &results) {
  Type stats = statsType(input, -1, 1);
  results.append({input, stats, stats, input});
}
} // namespace

SIEVE_INFER(MSSkipSimplifiedLayerNormalizationOp) {
  inferSkipNorm(operands[0].getType(), results);
  return success();
}

SIEVE_INFER(MSSkipLayerNormalizationOp) {
  inferSkipNorm(operands[0].getType(), results);
  return success();
}

SIEVE_INFER(MSMatMulNBitsOp) {
  MSMatMulNBitsOp::Adaptor adaptor(operands, attributes, properties, regions);
  Type elt = getElementTypeOrSelf(operands[0].getType());
  auto a = rankedOf(operands[0]);
  if (!a || a.getRank() == 0) {
    results.push_back(UnrankedTensorType::get(elt));
    return success();
  }
  SmallVector<int64_t> shape(a.getShape().drop_back());
  shape.push_back(static_cast<int64_t>(adaptor.getN()));
  results.push_back(RankedTensorType::get(shape, elt));
  return success();
}
