//===- MappedFiles.h - cached read-only mappings of external data -*- C++ -*-===//
//
// Resolves #onnx.external locations against a base directory and maps each
// file once (read-only), shared by the Executor and the SieveModel session.
//
//===----------------------------------------------------------------------===//
#ifndef SIEVE_LIB_REFERENCE_MAPPEDFILES_H
#define SIEVE_LIB_REFERENCE_MAPPEDFILES_H

#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"

#include <memory>
#include <string>

namespace sieve::ref {

/// One mapped external data file; `region` is null for an empty file.
struct MappedFile {
  std::unique_ptr<llvm::sys::fs::mapped_file_region> region;
};

/// Maps external data files by path, relative ones against a base directory;
/// each path is mapped once. Errors are emitted at the requesting op.
class MappedFiles {
public:
  explicit MappedFiles(std::string baseDir) : baseDir(std::move(baseDir)) {}

  mlir::FailureOr<std::shared_ptr<MappedFile>> map(mlir::Operation *op,
                                                   llvm::StringRef location);

private:
  std::string baseDir;
  llvm::StringMap<std::shared_ptr<MappedFile>> files;
};

} // namespace sieve::ref

#endif
