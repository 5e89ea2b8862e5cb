//===- ONNXDialect.cpp - the onnx dialect ---------------------------------===//

#include "sieve/Dialect/ONNX/ONNXDialect.h"
#include "sieve/Dialect/ONNX/ONNXOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace sieve::onnx;

#include "onnx/ONNXDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "onnx/ONNXAttrs.cpp.inc"

void ONNXDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "onnx/ONNXOps.cpp.inc"
      >();
  registerAttributes();
}

void ONNXDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "onnx/ONNXAttrs.cpp.inc"
      >();
}

Operation *ONNXDialect::materializeConstant(OpBuilder &builder,
                                            Attribute value, Type type,
                                            Location loc) {
  if (isa<NoneType>(type))
    return NoValueOp::create(builder, loc);
  if (isa<ElementsAttr, ExternalTensorAttr>(value))
    return ConstantOp::create(builder, loc, type, value);
  return nullptr;
}

/// Bytes that `count` elements of `elementType` occupy in ONNX's raw layout,
/// or failure for element types without one.
static FailureOr<uint64_t> rawByteSize(Type elementType, uint64_t count) {
  unsigned bits = elementType.getIntOrFloatBitWidth();
  if (bits == 1)
    return count; // bool: one byte each
  if (bits == 4)
    return (count + 1) / 2;
  if (bits % 8 != 0)
    return failure();
  return count * (bits / 8);
}

LogicalResult
ExternalTensorAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                           Type type, StringRef location, uint64_t offset,
                           uint64_t length) {
  auto tensorType = dyn_cast<RankedTensorType>(type);
  if (!tensorType || !tensorType.hasStaticShape())
    return emitError() << "external tensor needs a static tensor type, got "
                       << type;
  Type elementType = tensorType.getElementType();
  if (!elementType.isIntOrFloat())
    return emitError() << "external tensor of unsupported element type "
                       << elementType;
  FailureOr<uint64_t> bytes =
      rawByteSize(elementType, tensorType.getNumElements());
  if (failed(bytes))
    return emitError() << "external tensor of unsupported element type "
                       << elementType;
  if (*bytes != length)
    return emitError() << "external tensor " << type << " needs " << *bytes
                       << " bytes but names " << length;
  if (location.empty())
    return emitError() << "external tensor without a file";
  return success();
}
