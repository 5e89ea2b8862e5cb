//===- KernelOps.h - the kernel level ---------------------------*- C++ -*-===//
#ifndef SIEVE_DIALECT_KERNEL_KERNELOPS_H
#define SIEVE_DIALECT_KERNEL_KERNELOPS_H

#include "sieve/Dialect/Sieve/SieveOps.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/RegionKindInterface.h"
#include "mlir/IR/SymbolTable.h"

#include "kernel/KernelDialect.h.inc"

#define GET_OP_CLASSES
#include "kernel/KernelOps.h.inc"

namespace sieve::kernel {
/// The head sizes the CUDA attention kernels are instantiated for
/// (runtime/kernels/attention.cuh, checkHeadDim: a static_assert there).
/// The kernel IR itself holds other sizes; what would reach nvcc with one
/// is refused before the build (sieve::checkBuildable).
inline bool hasAttentionKernel(int64_t headDim) {
  return headDim == 32 || headDim == 64 || headDim == 128;
}
inline constexpr const char *kAttentionHeadDims = "32, 64 or 128";
} // namespace sieve::kernel

#endif // SIEVE_DIALECT_KERNEL_KERNELOPS_H
