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

/// The attention kernels dequantize an int4 KV cache 8 codes (one 4-byte
/// load) at a time with one scale and zero point, so an int4 group is a
/// multiple of this many values (runtime/kernels/kv_cache.cuh,
/// kKVGroupQuantum).
inline constexpr int64_t kKVGroupQuantum = 8;

/// Why the CUDA kernels cannot store the KV-cache format `kv` at head_dim
/// `headDim` (an int4 group that does not divide head_dim or is not a
/// multiple of kKVGroupQuantum), or an empty string when they can. The
/// head_dim itself is checked apart (hasAttentionKernel).
std::string kvFormatUnsupportedReason(sieve::KVAttr kv, int64_t headDim);
} // namespace sieve::kernel

#endif // SIEVE_DIALECT_KERNEL_KERNELOPS_H
