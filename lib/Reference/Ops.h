//===- Ops.h - op implementations of the reference executor -----*- C++ -*-===//
#ifndef SIEVE_LIB_REFERENCE_OPS_H
#define SIEVE_LIB_REFERENCE_OPS_H

#include "Parallel.h"
#include "sieve/Reference/Executor.h"

#include "mlir/IR/Operation.h"
#include "llvm/ADT/StringMap.h"

namespace sieve::ref {

/// Inputs are null for absent optional operands (`none`). Results that are
/// `none` typed may be left empty. On failure the handler emits an error at
/// the op.
struct OpContext {
  ThreadPool &pool;
  /// Per operand: this op is its last use and nothing else holds its
  /// buffer, so an elementwise op may write its result there.
  std::vector<bool> reusable;
};
using OpHandler = mlir::LogicalResult (*)(OpContext &, mlir::Operation *,
                                          llvm::ArrayRef<const Tensor *>,
                                          std::vector<Tensor> &);

/// op name ("onnx.Add") -> implementation.
const llvm::StringMap<OpHandler> &opTable();

/// Converts `count` elements in ONNX raw little-endian layout to a tensor.
/// f32 data that is suitably aligned is aliased (kept alive by `owner`).
Tensor tensorFromRaw(mlir::Type elementType, llvm::ArrayRef<int64_t> shape,
                     const char *bytes, std::shared_ptr<void> owner);

/// Converts an inline elements attribute of `elementType` to a tensor of
/// `shape`: floats rounded to float32 (nearest even), integers widened to
/// int64 (unsigned ones zero-extended), bools to bytes.
Tensor tensorFromDense(mlir::DenseElementsAttr dense, mlir::Type elementType,
                       llvm::ArrayRef<int64_t> shape);

} // namespace sieve::ref

#endif
