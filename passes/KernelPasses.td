//===- KernelPasses.td - lowering to the kernel level -------*- tablegen -*-===//

#ifndef SIEVE_KERNEL_PASSES_TD
#define SIEVE_KERNEL_PASSES_TD

include "mlir/Pass/PassBase.td"

def SieveLowerToKernels : Pass<"sieve-lower-to-kernels", "mlir::ModuleOp"> {
  let summary = "Lower a raised sieve.model to a kernel.program";
  let description = [{
    Replaces the function holding the one `sieve.model` of the module by a
    `kernel.program` with two entry points, `@prefill` and `@decode`, that
    launch the same kernels except for attention (flash-style over packed
    prompts, split-KV over one token per sequence). Decisions made here:

    - Linear layers that read the same value become one GEMM: their
      weights are packed, transposed to one row per output feature, into
      one `kernel.weight` (q/k/v, gate/up), and each result is a column
      range of the GEMM's output buffer.
    - A residual `sieve.add` whose first reader is a norm is fused into
      that norm (`kernel.rms_norm %a + %b sum %s`).
    - Rotary embedding and the KV-cache append are one launch; attention
      reads keys and values from the paged cache.
    - The LM head runs only on the rows whose logits are wanted
      (`kernel.gather_rows`), into the runtime's float32 logits.
    - Weights are converted to `dtype` (rotary frequencies stay f32), laid
      out at 256-byte aligned offsets; identical sources are packed once
      (a tied LM head reuses the embedding table).

    - Linears whose weight is a `sieve.quantized_weight` (int8 per
      channel, int4 groups of a multiple of 32, fp8 E4M3 per channel)
      become `kernel.gemm_quant` launches; their codes, scales and zero
      points are packed as the runtime reads them (docs/quantization.md,
      "GPU layouts").
    - A token filter (`token_filter`, GemFilter) adds an `@filter` entry:
      the prefill up to the filter layer's rotary / KV append, then
      `kernel.token_scores`. KV eviction (`kv_evict`) adds a
      `kernel.kv_mass` after every attention of `@prefill` (SnapKV: the
      last `window` rows; H2O: every row, `all_rows`, and after every
      attention of `@decode` too); both policies stay on the program for
      the emitter (docs/token-pruning.md).

    What has no kernel is an error naming the op: unraised `onnx` ops,
    non-causal or sparse attention, attention whose queries, keys and
    values do not come from one projection, KV shapes that differ between
    layers, AWQ input scales, quantized KV caches, int4 groups that are
    not multiples of 32; KV eviction with a quantized KV cache or with
    learned position embeddings.
  }];
  let options = [
    Option<"dtype", "dtype", "std::string", /*default=*/"\"f16\"",
           "Storage type of weights, activations and KV cache: f16 or bf16">,
    Option<"kvBlockSize", "kv-block-size", "int64_t", /*default=*/"16",
           "Tokens per KV-cache block (a power of two, 8 to 256)">,
    Option<"programName", "name", "std::string", /*default=*/"\"model\"",
           "Symbol name of the kernel.program">,
  ];
  let dependentDialects = ["sieve::kernel::KernelDialect"];
}

def SieveFuseDecode : Pass<"sieve-fuse-decode", "mlir::ModuleOp"> {
  let summary = "Fuse the decode step's norms, GLUs and residual adds into "
                "its GEMMs";
  let description = [{
    Rewrites the `@decode` and `@draft` entries of each `kernel.program`
    (the prefill keeps its launches) with `kernel.fused_gemm`, by three
    rules, applied in this order:

    - GLU: a `kernel.glu` whose output only one `kernel.gemm` reads becomes
      that GEMM's `glu` prologue (the GLU output stays as its `staged`
      buffer).
    - Residual: a GEMM whose output only a residual add reads (the `+` of
      a `kernel.rms_norm ... sum`, or a `kernel.add`) writes the sum itself,
      with the other operand as its `residual`; the norm then reads the
      sum, the add goes.
    - RMSNorm: a `kernel.rms_norm` without an add whose output only GEMMs
      read becomes their `norm` prologue.

    Only float GEMMs that write a buffer are fused (`kernel.gemm_quant` and
    the LM head are not), and only when the buffers involved are not
    touched by any launch in between. The runtime decides per call: the
    fused kernel up to the skinny GEMM's row limit, the un-fused launches
    above it (docs/runtime.md). sieve-compile runs this pass with
    `--decode-fusion` (off by default: slower on the H100, see
    docs/runtime.md). With `norms=false` the RMSNorm rule is skipped (each
    CTA of a norm-fused GEMM recomputes the row's inverse RMS before its
    main loop). With `report`, each norm, GLU or add that stays a launch of
    its own gets a remark saying which rule failed.
  }];
  let options = [
    Option<"report", "report", "bool", /*default=*/"false",
           "Remark on each norm, GLU or add left unfused, with the reason">,
    Option<"norms", "norms", "bool", /*default=*/"true",
           "Apply the RMSNorm rule (false: norms stay launches; the GLU "
           "and residual rules still apply)">,
  ];
  let dependentDialects = ["sieve::kernel::KernelDialect"];
}

def SievePlanBuffers : Pass<"sieve-plan-buffers", "mlir::ModuleOp"> {
  let summary = "Place the activation buffers of a kernel.program";
  let description = [{
    Gives every `kernel.buffer` its offset in the activation arena (in
    bytes per token row of the arena's capacity). Two buffers may share
    bytes when no entry point has both alive at once (a buffer lives from
    its first to its last launch in each entry, inclusive, so a launch never
    reads and writes overlapping buffers). Greedy placement, largest
    buffers first, at the lowest offset that fits.
  }];
}

#endif // SIEVE_KERNEL_PASSES_TD
