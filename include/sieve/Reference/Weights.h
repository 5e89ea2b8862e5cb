//===- Weights.h - reads weights for the CPU reference and passes -*- C++ -*-===//
//
// Reads the values of `sieve.weight` (inline, resource blob or
// #onnx.external) and `sieve.quantized_weight` (arrays external or in
// dense_resource blobs, dequantized with sieve/Quant) as float32 tensors. External paths resolve against a base
// directory (the module's onnx.model_dir); each file is mapped once.
//
//===----------------------------------------------------------------------===//
#ifndef SIEVE_REFERENCE_WEIGHTS_H
#define SIEVE_REFERENCE_WEIGHTS_H

#include "sieve/Dialect/Sieve/SieveOps.h"
#include "sieve/Reference/Executor.h"

#include "mlir/Support/LLVM.h"

#include <memory>
#include <string>

namespace sieve::ref {

class MappedFiles;

class WeightReader {
public:
  explicit WeightReader(std::string baseDir);
  ~WeightReader();
  WeightReader(WeightReader &&);
  WeightReader &operator=(WeightReader &&);

  /// The bytes `ext` names (checked against the file's size), kept alive by
  /// `owner`. Errors are emitted at `op`.
  mlir::FailureOr<llvm::ArrayRef<char>>
  bytes(mlir::Operation *op, onnx::ExternalTensorAttr ext,
        std::shared_ptr<void> *owner = nullptr);
  /// The stored bytes of a sieve.quantized_weight array: `ext` above, or a
  /// dense_resource blob's data (the verifier checked its size).
  mlir::FailureOr<llvm::ArrayRef<char>> arrayBytes(mlir::Operation *op,
                                                   mlir::Attribute array);
  /// A sieve.weight's value (f32 data suitably aligned is aliased).
  mlir::FailureOr<Tensor> load(sieve::WeightOp op);
  /// A sieve.quantized_weight's logical [K, N] weight: scales * (codes -
  /// zeros) / input_scales, rounded to the result's element type when that
  /// is f16 or bf16.
  mlir::FailureOr<Tensor> load(sieve::QuantizedWeightOp op);
  /// Drops the file pages of an external weight's data from this process's
  /// resident memory (the mapping stays; touching the data reads the file
  /// again), for a pass that streams through a large model once. A weight
  /// that is not external data, or not mapped yet, is left alone.
  void release(sieve::WeightOp op);

private:
  std::unique_ptr<MappedFiles> files;
};

} // namespace sieve::ref

#endif // SIEVE_REFERENCE_WEIGHTS_H
