//===- Passes.h - sieve passes ----------------------------------*- C++ -*-===//
#ifndef SIEVE_PASSES_PASSES_H
#define SIEVE_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"

namespace sieve::onnx {
class ONNXDialect;
} // namespace sieve::onnx
namespace sieve::kernel {
class KernelDialect;
} // namespace sieve::kernel

namespace sieve {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

#define GEN_PASS_DECL
#include "passes/KernelPasses.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/KernelPasses.h.inc"

} // namespace sieve

#endif // SIEVE_PASSES_PASSES_H
