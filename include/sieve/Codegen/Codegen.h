//===- Codegen.h - kernel.program -> CUDA source and weights.bin -*- C++ -*-===//
#ifndef SIEVE_CODEGEN_CODEGEN_H
#define SIEVE_CODEGEN_CODEGEN_H

#include "sieve/Dialect/Kernel/KernelOps.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>

namespace sieve {

/// Writes the CUDA translation unit of a planned kernel.program: the
/// ModelInfo constants and one function per entry point, a straight list of
/// launcher calls (runtime/sieve_kernels.cuh). Fails (with a diagnostic on
/// the op) when a buffer is unplanned or a launch has no translation.
mlir::LogicalResult emitCUDA(kernel::ProgramOp program, llvm::raw_ostream &os);

/// Fails, with an error naming the first such launch and the supported
/// values, when `program` holds a launch whose kernel template nvcc cannot
/// instantiate: attention at a head_dim the CUDA kernels are not built for
/// (kernel::hasAttentionKernel; a static_assert inside nvcc otherwise).
/// The kernel IR and emitCUDA accept such programs, for inspection;
/// sieve-compile calls this before it builds.
mlir::LogicalResult checkBuildable(kernel::ProgramOp program);

/// Bytes per token of the activation arena a planned program needs.
int64_t arenaBytesPerToken(kernel::ProgramOp program);

/// Bytes of the arena's fixed part: the largest quantized weight
/// dequantized to the program's dtype (gemm_quant's prefill path), 256-byte
/// aligned; 0 without quantized GEMMs.
int64_t quantScratchBytes(kernel::ProgramOp program);

/// Bytes per token after the planned buffers: the fp8 GEMMs' quantized
/// activations (the widest K in the program's dtype), 256-byte aligned; 0
/// without fp8 GEMMs. The arena is (arenaBytesPerToken + this) * tokens +
/// quantScratchBytes.
int64_t quantActBytesPerToken(kernel::ProgramOp program);

/// Streams the packed weights of `program` to `path` (weights.bin: a
/// 4096-byte header, then the payload at the offsets of the
/// kernel.weight ops). Sources named by #onnx.external are read from files
/// relative to `modelDir`, one source at a time, so memory stays bounded by
/// the largest single tensor. `progress(done, total)` is called as bytes
/// are written.
mlir::LogicalResult
writeWeights(kernel::ProgramOp program, llvm::StringRef modelDir,
             llvm::StringRef path,
             const std::function<void(uint64_t, uint64_t)> &progress = {});

} // namespace sieve

#endif // SIEVE_CODEGEN_CODEGEN_H
