//===- ONNXImporter.h - ONNX ModelProto -> onnx dialect ---------*- C++ -*-===//
#ifndef SIEVE_IMPORT_ONNXIMPORTER_H
#define SIEVE_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/StringRef.h"

namespace sieve {

struct ONNXImportOptions {
  /// Inline tensors with at most this many elements become `dense<...>`
  /// attributes (readable, foldable); larger ones become `dense_resource`.
  int64_t maxDenseElements = 64;
  /// Check that every external-data file exists and holds the named range.
  bool checkExternalData = true;
};

/// Imports the ONNX model at `path` into a module holding one `func.func`
/// (`@main`) of `onnx` dialect ops. Weights in external data stay in their
/// files (`#onnx.external`). On failure, emits one diagnostic naming the
/// problem (and the node) and returns null; never aborts on bad input.
mlir::OwningOpRef<mlir::ModuleOp>
importONNXModel(llvm::StringRef path, mlir::MLIRContext *context,
                const ONNXImportOptions &options = {});

/// Registers the dialects that imported modules use.
void registerImportDialects(mlir::DialectRegistry &registry);

} // namespace sieve

#endif // SIEVE_IMPORT_ONNXIMPORTER_H
