//===- ONNXShapeInference.cpp - result types of onnx operations -----------===//
//
// inferReturnTypes for the ops whose result type ONNX defines from the
// operand types. The importer uses them when a graph lacks value_info.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/ONNX/ONNXOps.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/TypeUtilities.h"

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
} // namespace

LogicalResult AddOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                      ValueRange operands, DictionaryAttr,
                                      OpaqueProperties, RegionRange,
                                      SmallVectorImpl<Type> &results) {
  return inferBroadcast(loc, operands[0].getType(), operands[1].getType(),
                        getElementTypeOrSelf(operands[0].getType()), results);
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
