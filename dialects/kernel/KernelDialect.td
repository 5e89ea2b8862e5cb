//===- KernelDialect.td - the kernel level ------------------*- tablegen -*-===//
//
// The last IR level before CUDA: a static schedule of kernel launches over
// planned buffers, one entry point for prefill and one for a decode step.
// The CUDA emitter translates it one op to one launcher call.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_KERNEL_DIALECT_TD
#define SIEVE_KERNEL_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Kernel_Dialect : Dialect {
  let name = "kernel";
  let summary = "kernel launches over planned buffers";
  let description = [{
    A `kernel.program` holds the packed weights (`kernel.weight`: offset and
    layout in weights.bin, and the source tensors they are packed from),
    the activation buffers (`kernel.buffer`: bytes per token row and, once
    planned, the offset of the buffer in the activation arena per token of
    the arena's capacity) and the entry points (`kernel.entry`), each a
    straight-line sequence of launches that name weights and buffers by
    symbol. Token rows are packed: a launch runs over the T new tokens of
    all sequences, or over the R rows whose logits are wanted.
  }];
  let cppNamespace = "::sieve::kernel";
  // Launches carry sieve attributes (activations, KV and quantization
  // formats), some printed in their short form (`glu <silu>`).
  let dependentDialects = ["::sieve::SieveDialect"];
}

class Kernel_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kernel_Dialect, mnemonic, traits>;

#endif // SIEVE_KERNEL_DIALECT_TD
