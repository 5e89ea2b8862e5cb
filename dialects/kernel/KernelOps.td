//===- KernelOps.td - kernel-level ops ----------------------*- tablegen -*-===//

#ifndef SIEVE_KERNEL_OPS_TD
#define SIEVE_KERNEL_OPS_TD

include "KernelDialect.td"
include "SieveAttrs.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/IR/RegionKindInterface.td"

//===----------------------------------------------------------------------===//
// Structure: program, weights, buffers, entry points
//===----------------------------------------------------------------------===//

def Kernel_ProgramOp : Kernel_Op<"program", [
    Symbol, SymbolTable, IsolatedFromAbove, SingleBlock, NoTerminator]> {
  let summary = "a compiled model: weights, buffers and entry points";
  let description = [{
    The attributes are the constants the runtime needs (they become the
    generated `ModelInfo`): storage type, vocabulary, hidden size, layers,
    the layers that own a KV cache and its shape, the KV block size, and
    the KV cache's storage format `kv` (absent: `dtype` values;
    `#sieve.kv<int8>` / `#sieve.kv<fp8>`: codes and one f32 scale per
    (position, KV head); `#sieve.kv<int4, group = G>`: uint4 codes, an f32
    scale and a zero point per G values of each (position, KV head), G a
    multiple of 8 dividing head_dim; docs/quantization.md). The verifier checks every
    launch against the weights and buffers it names, and that every launch
    that touches the KV cache names the program's format.
    ```mlir
    kernel.program @llama12 attributes {dtype = f16, vocab_size = 256, ...} {
      kernel.weight @embed : tensor<256x256xf16> at 0 {sources = [...]}
      kernel.buffer @h : 512 bytes at 0
      kernel.entry @prefill { ... }
      kernel.entry @decode { ... }
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, TypeAttr:$dtype,
                       I64Attr:$vocab_size, I64Attr:$hidden_size,
                       I64Attr:$num_layers, I64Attr:$num_kv_layers,
                       I64Attr:$num_heads, I64Attr:$num_kv_heads,
                       I64Attr:$head_dim, I64Attr:$kv_block_size,
                       I64Attr:$weights_bytes,
                       OptionalAttr<Sieve_KVAttr>:$kv);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
  let hasRegionVerifier = 1;
  let extraClassDeclaration = [{
    /// Bytes of element type `dtype`.
    int64_t getElementBytes();
    /// Bytes of one (position, KV head) vector of keys or values in the
    /// cache: head_dim dtype values, head_dim one-byte codes and their f32
    /// scale, or head_dim / 2 bytes of uint4 codes, then an f32 scale and a
    /// zero-point byte per group (ModelInfo::kv_vector_bytes).
    int64_t getKvVectorBytes();
    /// Values per KV-cache scale (ModelInfo::kv_group): the int4 group,
    /// else head_dim (one scale, or none, per vector).
    int64_t getKvGroup() {
      sieve::KVAttr kv = getKvAttr();
      return kv && kv.getKind() == sieve::QuantKind::int4 ? kv.getGroup()
                                                          : getHeadDim();
    }
    /// KV-cache bytes of one token: keys and values of every KV layer.
    int64_t getKvBytesPerToken() {
      return 2 * getNumKvLayers() * getNumKvHeads() * getKvVectorBytes();
    }
  }];
}

def Kernel_WeightOp : Kernel_Op<"weight", [Symbol, HasParent<"ProgramOp">]> {
  let summary = "a packed weight in weights.bin";
  let description = [{
    `type` is the packed tensor, stored row-major at byte `offset` of the
    payload. It is packed from `sources` (each an `#onnx.external`
    reference or an elements attribute, converted to the element type of
    `type`), stacked along the first axis. With `transpose`, each source is
    an [in, out] matrix whose transpose ([out, in]) is stored: linear
    weights are packed one row per output feature, which is the layout the
    GEMMs read, and several projections of one input stack into one GEMM.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, TypeAttr:$type,
                       I64Attr:$offset, ArrayAttr:$sources,
                       UnitAttr:$transpose);
  let assemblyFormat = [{
    $sym_name `:` $type `at` $offset (`transposed` $transpose^)? attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::RankedTensorType getTensorType() {
      return ::llvm::cast<::mlir::RankedTensorType>(getType());
    }
    int64_t getByteSize();
  }];
}

def Kernel_BufferOp : Kernel_Op<"buffer", [Symbol, HasParent<"ProgramOp">]> {
  let summary = "an activation buffer of one row per token";
  let description = [{
    `row_bytes` per token row (a multiple of 256). Once planned
    (`--sieve-plan-buffers`), `offset` places the buffer in the activation
    arena at `offset * max_tokens` bytes, where max_tokens is the number of
    token rows the session's arena holds.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, I64Attr:$row_bytes,
                       OptionalAttr<I64Attr>:$offset);
  let assemblyFormat = [{
    $sym_name `:` $row_bytes `bytes` (`at` $offset^)? attr-dict
  }];
  let hasVerifier = 1;
}

def Kernel_EntryOp : Kernel_Op<"entry", [
    Symbol, HasParent<"ProgramOp">, SingleBlock, NoTerminator]> {
  let summary = "an entry point: a straight-line sequence of launches";
  let description = [{
    `@prefill` runs the new tokens of every sequence with flash-style
    attention; `@decode` runs one token per sequence with split-KV
    attention (and is replayed as a CUDA graph).
  }];
  let arguments = (ins SymbolNameAttr:$sym_name);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = "$sym_name attr-dict-with-keyword $body";
}

//===----------------------------------------------------------------------===//
// Launches. Weights and buffers are named by symbol; `rows` are the T new
// tokens unless an op says otherwise.
//===----------------------------------------------------------------------===//

class Kernel_LaunchOp<string mnemonic, list<Trait> traits = []>
    : Kernel_Op<mnemonic, !listconcat(traits, [HasParent<"EntryOp">])>;

def Kernel_EmbeddingOp : Kernel_LaunchOp<"embedding"> {
  let summary = "out[t] = table[token t] * scale (+ positions table)";
  let arguments = (ins FlatSymbolRefAttr:$table,
                       OptionalAttr<FlatSymbolRefAttr>:$positions,
                       FlatSymbolRefAttr:$out, F32Attr:$scale);
  let assemblyFormat = [{
    $table (`positions` $positions^)? `->` $out attr-dict
  }];
}

def Kernel_RMSNormOp : Kernel_LaunchOp<"rms_norm"> {
  let summary = "optional residual add, then RMS normalization";
  let description = [{
    `sum = a (+ b)`, stored to `sum` when given; `out = rms_norm(sum) *
    (weight + weight_offset)`.
  }];
  let arguments = (ins FlatSymbolRefAttr:$a, OptionalAttr<FlatSymbolRefAttr>:$b,
                       OptionalAttr<FlatSymbolRefAttr>:$sum,
                       FlatSymbolRefAttr:$weight, FlatSymbolRefAttr:$out,
                       F32Attr:$epsilon, F32Attr:$weight_offset);
  let assemblyFormat = [{
    $a (`+` $b^)? (`sum` $sum^)? `weight` $weight `->` $out attr-dict
  }];
}

def Kernel_LayerNormOp : Kernel_LaunchOp<"layer_norm"> {
  let summary = "optional residual add, then layer normalization";
  let arguments = (ins FlatSymbolRefAttr:$a, OptionalAttr<FlatSymbolRefAttr>:$b,
                       OptionalAttr<FlatSymbolRefAttr>:$sum,
                       FlatSymbolRefAttr:$weight,
                       OptionalAttr<FlatSymbolRefAttr>:$bias,
                       FlatSymbolRefAttr:$out, F32Attr:$epsilon);
  let assemblyFormat = [{
    $a (`+` $b^)? (`sum` $sum^)? `weight` $weight (`bias` $bias^)? `->` $out
    attr-dict
  }];
}

def Kernel_AddOp : Kernel_LaunchOp<"add"> {
  let summary = "out = a + b over `cols` values per token";
  let arguments = (ins FlatSymbolRefAttr:$a, FlatSymbolRefAttr:$b,
                       FlatSymbolRefAttr:$out, I64Attr:$cols);
  let assemblyFormat = "$a `+` $b `->` $out attr-dict";
}

def Kernel_GemmOp : Kernel_LaunchOp<"gemm"> {
  let summary = "out[rows, n] = in[rows, k] * weight[n, k]^T (+ bias)";
  let description = [{
    Without `out`, writes the float32 logits of the runtime (rows are then
    the R logit rows, and `in` must hold R rows).
  }];
  let arguments = (ins FlatSymbolRefAttr:$in, FlatSymbolRefAttr:$weight,
                       OptionalAttr<FlatSymbolRefAttr>:$bias,
                       OptionalAttr<FlatSymbolRefAttr>:$out,
                       I64Attr:$n, I64Attr:$k);
  let assemblyFormat = [{
    $in `,` $weight (`bias` $bias^)? (`->` $out^)? attr-dict
  }];
  let extraClassDeclaration = [{
    bool writesLogits() { return !getOut(); }
  }];
}

def Kernel_FusedGemmOp : Kernel_LaunchOp<"fused_gemm"> {
  let summary = "a decode GEMM with its input's RMSNorm or GLU and the "
                "residual add fused in";
  let description = [{
    `out[rows, n] = x * weight[n, k]^T (+ bias) (+ residual)`, where the
    prologue forms x [rows, k] from `in`:
    - `norm` (an RMSNorm weight [k], with `epsilon` and `weight_offset`):
      x = rms_norm(in) * (norm + weight_offset);
    - `glu` (an activation, with `ld`, `gate_offset`, `up_offset`):
      x[:, i] = act(in[:, gate_offset + i]) * in[:, up_offset + i], `in`
      rows of `ld` values;
    - neither: x = in.
    `staged` (required with a prologue) is the [rows, k] buffer the runtime
    materializes x in when it does not fuse: it runs one kernel where its
    skinny decode GEMM applies (few rows), and the norm or GLU launch, then
    the GEMM with the residual as its epilogue, otherwise. Formed by
    --sieve-fuse-decode from the decode step's `rms_norm`, `glu`, `gemm`
    and residual-adding norms (docs/compiler.md).
    ```mlir
    kernel.fused_gemm @l0.residual norm @w.l0.norm.1 staged @l0.normed.1,
        @w.l0.gate_up -> @l0.gate_up {epsilon = 1.0e-05 : f32, k = 64,
        n = 256, weight_offset = 0.0 : f32}
    kernel.fused_gemm @l0.gate_up glu #sieve.activation<silu> staged
        @l0.gated, @w.l0.down residual @l0.residual -> @l0.residual.1
        {gate_offset = 0, k = 128, ld = 256, n = 64, up_offset = 128}
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$in,
                       OptionalAttr<FlatSymbolRefAttr>:$norm,
                       OptionalAttr<F32Attr>:$epsilon,
                       OptionalAttr<F32Attr>:$weight_offset,
                       OptionalAttr<Sieve_ActivationAttr>:$glu,
                       OptionalAttr<I64Attr>:$ld,
                       OptionalAttr<I64Attr>:$gate_offset,
                       OptionalAttr<I64Attr>:$up_offset,
                       OptionalAttr<FlatSymbolRefAttr>:$staged,
                       FlatSymbolRefAttr:$weight,
                       OptionalAttr<FlatSymbolRefAttr>:$bias,
                       OptionalAttr<FlatSymbolRefAttr>:$residual,
                       FlatSymbolRefAttr:$out, I64Attr:$n, I64Attr:$k);
  let assemblyFormat = [{
    $in (`norm` $norm^)? (`glu` $glu^)? (`staged` $staged^)? `,` $weight
    (`bias` $bias^)? (`residual` $residual^)? `->` $out attr-dict
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Elements per row of `in`: ld with a GLU prologue, else k.
    int64_t getInCols() { return getGlu() ? int64_t(*getLd()) : int64_t(getK()); }
  }];
}

def Kernel_ScaleColumnsOp : Kernel_LaunchOp<"scale_columns"> {
  let summary = "out[r, k] = in[r, k] / scales[k]: activation-aware input scaling";
  let description = [{
    The input of a `gemm_quant` whose weight was quantized with
    activation-aware scaling (method=awq): its codes quantize
    `W[k, :] * scales[k]`, so the GEMM reads the activations divided by
    `scales` ([cols] f32, the `input_scales` of `sieve.quantized_weight`
    packed as they are stored). The quotient is computed in f32 (an IEEE
    division, as the CPU reference divides the weight) and rounded to the
    program's dtype. Rows are the T new tokens, or the R logit rows with
    `logit_rows` (the input of a quantized LM head).
  }];
  let arguments = (ins FlatSymbolRefAttr:$in, FlatSymbolRefAttr:$scales,
                       FlatSymbolRefAttr:$out, I64Attr:$cols,
                       UnitAttr:$logit_rows);
  let assemblyFormat = [{
    $in `div` $scales `->` $out attr-dict
  }];
}

def Kernel_GemmQuantOp : Kernel_LaunchOp<"gemm_quant"> {
  let summary = "out[rows, n] = in[rows, k] * dequantize(codes, scales, zeros)^T (+ bias)";
  let description = [{
    `gemm` with a quantized weight (issue 9) in `format`, packed as the
    runtime's gemm_quant reads it (docs/quantization.md, "GPU layouts"):
    - `#sieve.quant<int8>`: `codes` [n, k] i8, `scales` [n] f32;
    - `#sieve.quant<int4, group = G, asym>`: `codes` [n, k] ui4 (two per
      byte, low nibble first), `scales` [n, k/G] f16, `zeros` [n, k/G] ui8;
    - `#sieve.quant<fp8>`: `codes` [n, k] f8E4M3FN, `scales` [n] f32 (the
      activations are quantized per token to E4M3 by the launch).
    The verifier also checks what the kernels require: k % 16 == 0 (int8,
    fp8), k % 32 == 0 and G % 32 == 0 (int4). Without `out`, writes the float32
    logits (a quantized LM head). Rows above 16 dequantize the weight into
    the program's fixed scratch (ModelInfo::act_bytes_fixed) first.
    With `out_ld`, the launch writes columns [out_offset, out_offset + n)
    of `out` rows of `out_ld` elements: the GEMMs of one projection whose
    weights cannot stack (different AWQ input scales) fill their column
    ranges of one buffer.
  }];
  let arguments = (ins FlatSymbolRefAttr:$in, FlatSymbolRefAttr:$codes,
                       FlatSymbolRefAttr:$scales,
                       OptionalAttr<FlatSymbolRefAttr>:$zeros,
                       OptionalAttr<FlatSymbolRefAttr>:$bias,
                       OptionalAttr<FlatSymbolRefAttr>:$out,
                       Sieve_QuantAttr:$format, I64Attr:$n, I64Attr:$k,
                       OptionalAttr<I64Attr>:$out_ld,
                       OptionalAttr<I64Attr>:$out_offset);
  let assemblyFormat = [{
    $in `,` $codes `scales` $scales (`zeros` $zeros^)? (`bias` $bias^)?
    (`->` $out^)? attr-dict
  }];
  let extraClassDeclaration = [{
    bool writesLogits() { return !getOut(); }
    /// Elements per row of `out` (n unless the launch writes a column
    /// range) and the first column written.
    int64_t getOutRowElements() {
      return getOutLd() ? int64_t(*getOutLd()) : int64_t(getN());
    }
    int64_t getOutColumn() {
      return getOutOffset() ? int64_t(*getOutOffset()) : 0;
    }
    /// Bytes of the dequantized [n, k] weight in `dtype` (the scratch the
    /// prefill path needs).
    int64_t getScratchBytes(int64_t elementBytes) {
      return int64_t(getN()) * int64_t(getK()) * elementBytes;
    }
  }];
}

def Kernel_GatherRowsOp : Kernel_LaunchOp<"gather_rows"> {
  let summary = "out[r] = in[logit_rows[r]]: the rows whose logits are wanted";
  let arguments = (ins FlatSymbolRefAttr:$in, FlatSymbolRefAttr:$out,
                       I64Attr:$cols);
  let assemblyFormat = "$in `->` $out attr-dict";
}

def Kernel_RotaryKVAppendOp : Kernel_LaunchOp<"rotary_kv_append"> {
  let summary = "rotates queries and keys, appends keys and values to the cache";
  let description = [{
    `qkv` rows hold the query heads at `q_offset`, the key heads at
    `k_offset` and the value heads at `v_offset` (elements; row stride
    `ld`). Queries go to `q_out`; keys and values to KV layer `layer` of
    the paged cache. Without `inv_freq` nothing is rotated. With `kv`
    (the program's KV format) each (position, KV head) vector of keys and
    of values is quantized as it is appended: one f32 scale from its absmax
    (after rotary), int8 or E4M3 codes; or (int4) a scale and zero point
    from its min and max, uint4 codes.
  }];
  let arguments = (ins FlatSymbolRefAttr:$qkv, FlatSymbolRefAttr:$q_out,
                       I64Attr:$layer, I64Attr:$ld, I64Attr:$q_offset,
                       I64Attr:$k_offset, I64Attr:$v_offset,
                       I64Attr:$num_heads, I64Attr:$num_kv_heads,
                       I64Attr:$head_dim, I64Attr:$rotary_dim,
                       OptionalAttr<FlatSymbolRefAttr>:$inv_freq,
                       OptionalAttr<Sieve_RotaryStyleAttr>:$style,
                       F32Attr:$attention_scaling,
                       OptionalAttr<Sieve_KVAttr>:$kv);
  let assemblyFormat = [{
    $qkv `->` $q_out `,` `kv` `[` $layer `]` (`rotary` $inv_freq^)? attr-dict
  }];
  let hasVerifier = 1;
}

class Kernel_AttentionOp<string mnemonic> : Kernel_LaunchOp<mnemonic> {
  let arguments = (ins FlatSymbolRefAttr:$q, FlatSymbolRefAttr:$out,
                       I64Attr:$layer, I64Attr:$num_heads,
                       I64Attr:$num_kv_heads, I64Attr:$head_dim,
                       F32Attr:$scale, OptionalAttr<Sieve_KVAttr>:$kv);
  let assemblyFormat = "$q `,` `kv` `[` $layer `]` `->` $out attr-dict";
  let hasVerifier = 1;
}

def Kernel_AttentionPrefillOp : Kernel_AttentionOp<"attention_prefill"> {
  let summary = "causal flash-style attention over the paged KV cache";
  let description = [{
    With `kv` (the program's KV format) the keys and values are read
    quantized and dequantized as they are loaded.
  }];
}

def Kernel_AttentionDecodeOp : Kernel_AttentionOp<"attention_decode"> {
  let summary = "split-KV attention of one query per sequence";
}

def Kernel_GLUOp : Kernel_LaunchOp<"glu"> {
  let summary = "out[:, i] = act(x[:, gate_offset + i]) * x[:, up_offset + i]";
  let arguments = (ins FlatSymbolRefAttr:$x, FlatSymbolRefAttr:$out,
                       I64Attr:$ld, I64Attr:$gate_offset, I64Attr:$up_offset,
                       I64Attr:$width, Sieve_ActivationAttr:$activation);
  let assemblyFormat = "$x `->` $out attr-dict";
}

def Kernel_ActivationOp : Kernel_LaunchOp<"activation"> {
  let summary = "x = act(x) in place over `cols` values per token";
  let arguments = (ins FlatSymbolRefAttr:$x, I64Attr:$cols,
                       Sieve_ActivationAttr:$activation);
  let assemblyFormat = "$x attr-dict";
}

def Kernel_TokenScoresOp : Kernel_LaunchOp<"token_scores"> {
  let summary = "GemFilter scores of the cached keys (the @filter entry)";
  let description = [{
    For the last `window` query rows of a batch-1 prefill, the attention
    log-probabilities of the keys of KV layer `layer` (q read from `q`,
    scaled by `scale`), summed over query heads and averaged over the rows
    that see each key, written to the launch's logits pointer
    (runtime/kernels/token_filter.cuh).
  }];
  let arguments = (ins FlatSymbolRefAttr:$q, I64Attr:$layer,
                       I64Attr:$num_heads, I64Attr:$num_kv_heads,
                       I64Attr:$head_dim, F32Attr:$scale, I64Attr:$window);
  let assemblyFormat = "$q `,` `kv` `[` $layer `]` attr-dict";
  let hasVerifier = 1;
}

def Kernel_KVMassOp : Kernel_LaunchOp<"kv_mass"> {
  let summary = "KV eviction's attention mass of the cached keys";
  let description = [{
    After the attention of KV layer `layer` in a model with KV eviction:
    for the last `window` query rows of the launch (SnapKV, in `@prefill`)
    or, with `all_rows` (H2O, in `@prefill` and `@decode`), every row of
    the launch, `window` rows at a time, the attention probabilities of the
    layer's cached keys (q read from `q`, scaled by `scale`), summed over
    the rows and over the query heads of each KV head's group, added to the
    layer's mass at StepArgs::kv_mass (runtime/kernels/token_filter.cuh).
    A no-op while kv_mass is null: the runtime sets it for the launch
    holding a prompt's last window (SnapKV), or for every launch of a
    fresh prompt and every decode step (H2O).
  }];
  let arguments = (ins FlatSymbolRefAttr:$q, I64Attr:$layer,
                       I64Attr:$num_heads, I64Attr:$num_kv_heads,
                       I64Attr:$head_dim, F32Attr:$scale, I64Attr:$window,
                       UnitAttr:$all_rows);
  let assemblyFormat = "$q `,` `kv` `[` $layer `]` attr-dict";
  let hasVerifier = 1;
}

#endif // SIEVE_KERNEL_OPS_TD
