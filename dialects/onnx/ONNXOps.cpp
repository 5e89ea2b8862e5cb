//===- ONNXOps.cpp - onnx dialect operations and verifiers ----------------===//

#include "sieve/Dialect/ONNX/ONNXOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace sieve::onnx;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
sieve::onnx::broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x == 1)
      out[i] = y;
    else if (y == 1)
      out[i] = x;
    else if (ShapedType::isDynamic(x))
      out[i] = y;
    else if (ShapedType::isDynamic(y) || x == y)
      out[i] = x;
    else
      return failure();
  }
  return out;
}

FailureOr<int64_t> sieve::onnx::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return failure();
  return axis < 0 ? axis + rank : axis;
}

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  auto typed = dyn_cast<TypedAttr>(getValue());
  if (!typed || typed.getType() != getType())
    return emitOpError("value type ")
           << (typed ? typed.getType() : Type()) << " differs from result type "
           << getType();
  return success();
}

LogicalResult MatMulOp::verify() {
  auto a = dyn_cast<RankedTensorType>(getA().getType());
  auto b = dyn_cast<RankedTensorType>(getB().getType());
  if (!a || !b)
    return success();
  if (a.getRank() == 0 || b.getRank() == 0)
    return emitOpError("operands must have rank >= 1");
  if (a.getElementType() != b.getElementType())
    return emitOpError("operand element types differ: ")
           << a.getElementType() << " vs " << b.getElementType();
  int64_t k1 = a.getShape().back();
  int64_t k2 = b.getRank() == 1 ? b.getShape()[0] : b.getShape()[b.getRank() - 2];
  if (!ShapedType::isDynamic(k1) && !ShapedType::isDynamic(k2) && k1 != k2)
    return emitOpError("contraction sizes differ: ") << k1 << " vs " << k2;
  return success();
}

LogicalResult CastOp::verify() {
  auto out = dyn_cast<ShapedType>(getOutput().getType());
  if (out && out.getElementType() != getTo())
    return emitOpError("result element type ")
           << out.getElementType() << " differs from `to` " << getTo();
  return success();
}

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  int64_t rank = -1;
  for (Value v : getInputs()) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t)
      continue;
    if (rank >= 0 && t.getRank() != rank)
      return emitOpError("inputs have different ranks");
    rank = t.getRank();
  }
  if (rank >= 0 && failed(normalizeAxis(getAxis(), rank)))
    return emitOpError("axis ") << getAxis() << " out of range for rank "
                                << rank;
  return success();
}

#define GET_OP_CLASSES
#include "onnx/ONNXOps.cpp.inc"
