//===- sieve-opt.cpp - the sieve optimizer driver -------------------------===//
//
// mlir-opt with the sieve dialects and passes: runs passes and pipelines on
// .mlir files.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Kernel/KernelOps.h"
#include "sieve/Dialect/ONNX/ONNXDialect.h"
#include "sieve/Dialect/Sieve/SieveOps.h"
#include "sieve/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::registerTransformsPasses();
  sieve::registerSievePasses();
  sieve::registerSieveKernelPasses();
  mlir::DialectRegistry registry;
  registry.insert<sieve::onnx::ONNXDialect, sieve::SieveDialect,
                  sieve::kernel::KernelDialect,
                  mlir::func::FuncDialect>();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "sieve optimizer: runs sieve passes on MLIR files\n",
      registry));
}
