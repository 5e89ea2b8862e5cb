//===- ONNXOps.h - onnx dialect operations ----------------------*- C++ -*-===//
#ifndef SIEVE_DIALECT_ONNX_ONNXOPS_H
#define SIEVE_DIALECT_ONNX_ONNXOPS_H

#include "sieve/Dialect/ONNX/ONNXDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace sieve::onnx {
/// Compatibility of inferred with declared result types, used by the ops'
/// `isCompatibleReturnTypes`: equal element types and compatible shapes
/// (dynamic or unranked match anything); a declared `none` (an absent
/// optional output) matches any inferred type.
bool areCompatibleReturnTypes(mlir::TypeRange inferred,
                              mlir::TypeRange actual);
} // namespace sieve::onnx

#define GET_OP_CLASSES
#include "onnx/ONNXOps.h.inc"

namespace sieve::onnx {

/// Multidirectional (numpy) broadcasting of two shapes; dynamic dimensions
/// are ShapedType::kDynamic. Fails when two static sizes differ and neither
/// is 1.
mlir::FailureOr<llvm::SmallVector<int64_t>>
broadcastShapes(llvm::ArrayRef<int64_t> a, llvm::ArrayRef<int64_t> b);

/// The integer elements of `v` when an onnx.Constant with inline dense
/// integer data defines it (bools as 0/1, other integers sign-extended);
/// std::nullopt otherwise.
std::optional<llvm::SmallVector<int64_t>> getConstantInts(mlir::Value v);

/// Normalizes an ONNX axis (negative counts from the back) for `rank`.
mlir::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank);

} // namespace sieve::onnx

#endif // SIEVE_DIALECT_ONNX_ONNXOPS_H
