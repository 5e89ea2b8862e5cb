//===- Executor.h - CPU reference executor for the onnx level ---*- C++ -*-===//
//
// Runs a func.func of `onnx` ops on the CPU. Floating values are computed in
// float32; values whose IR type is f16/bf16 are rounded to that type (round to
// nearest even) when stored. Integers are held as int64 (narrower integer
// types wrap), bools as uint8.
//
//===----------------------------------------------------------------------===//
#ifndef SIEVE_REFERENCE_EXECUTOR_H
#define SIEVE_REFERENCE_EXECUTOR_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace mlir::func {
class FuncOp;
}

namespace sieve::ref {

/// How elements are stored: every float type as float32, every integer type
/// as int64, i1 as uint8.
enum class Storage : uint8_t { F32, I64, Bool };

/// An immutable dense row-major tensor; copies share the buffer.
struct Tensor {
  Storage storage = Storage::F32;
  std::vector<int64_t> shape;
  std::shared_ptr<void> hold; // owns (or keeps alive) the data
  void *data = nullptr;

  int64_t numel() const;
  float *f() const { return static_cast<float *>(data); }
  int64_t *i() const { return static_cast<int64_t *>(data); }
  uint8_t *b() const { return static_cast<uint8_t *>(data); }

  static Tensor alloc(Storage storage, llvm::ArrayRef<int64_t> shape);
  static Tensor f32(llvm::ArrayRef<int64_t> shape) {
    return alloc(Storage::F32, shape);
  }
  static Tensor i64(llvm::ArrayRef<int64_t> shape) {
    return alloc(Storage::I64, shape);
  }
};

/// Storage used for an MLIR element type.
Storage storageFor(mlir::Type elementType);

/// Rounds float32 to float16 / bfloat16 (round to nearest even) and back.
float roundToF16(float x);
float roundToBF16(float x);
float f16BitsToFloat(uint16_t h);

class ThreadPool;

/// Executes one function. Constants (weights) are loaded once, on first use,
/// and cached for later runs; #onnx.external files are memory-mapped.
class Executor {
public:
  /// `baseDir` resolves relative #onnx.external paths. `threads` <= 0 means
  /// the hardware concurrency.
  Executor(mlir::func::FuncOp func, llvm::StringRef baseDir, int threads);
  ~Executor();

  /// Runs the function. On failure, an error has been emitted at the
  /// offending op's location.
  mlir::LogicalResult run(llvm::ArrayRef<Tensor> inputs,
                          std::vector<Tensor> &outputs);

  int numThreads() const;

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

/// Finds the function to run: `name` if given, else @main, else the only
/// func.func. Emits an error and returns null if none.
mlir::func::FuncOp findFunction(mlir::ModuleOp module, llvm::StringRef name);

} // namespace sieve::ref

#endif // SIEVE_REFERENCE_EXECUTOR_H
