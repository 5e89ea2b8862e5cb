//===- SieveOps.td - sieve dialect operations ---------------*- tablegen -*-===//

#ifndef SIEVE_SIEVE_OPS_TD
#define SIEVE_SIEVE_OPS_TD

include "SieveDialect.td"
include "SieveAttrs.td"
include "ONNXAttrs.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/IR/RegionKindInterface.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"

def Sieve_Tensor : RankedTensorOf<[AnyFloat, AnyInteger]>;
def Sieve_Hidden : RankedTensorOf<[AnyFloat]>;
def Sieve_OptTensor : Optional<RankedTensorOf<[AnyFloat, AnyInteger]>>;

//===----------------------------------------------------------------------===//
// Structure
//===----------------------------------------------------------------------===//

def Sieve_ModelOp : Sieve_Op<"model", [
    SingleBlock, IsolatedFromAbove]> {
  let summary = "a decoder-only language model";
  let description = [{
    Takes token ids [batch, seq] and returns logits [batch, seq, vocab].
    The body embeds the tokens, runs `num_layers` decoder layers in order of
    their index, applies the final norm and the LM head. `architecture`
    names the family the structure was recognized as ("llama", "qwen2",
    "phi3", "gemma", "gpt2", or "decoder"); it is informational: the body
    alone defines the computation. `token_filter` (prompt pruning) and
    `kv_evict` (KV-cache eviction) are run-time policies of the executors,
    set by passes (docs/token-pruning.md).

    ```mlir
    %logits = sieve.model "llama" (%ids) {vocab_size = 256 : i64, ...} {
    ^bb0(%t: tensor<1x?xi64>):
      ...
      sieve.output %l : tensor<1x?x256xf32>
    } : (tensor<1x?xi64>) -> tensor<1x?x256xf32>
    ```
  }];
  let arguments = (ins TensorOf<[I64, I32]>:$input_ids,
                       StrAttr:$architecture,
                       I64Attr:$vocab_size, I64Attr:$hidden_size,
                       I64Attr:$num_layers,
                       OptionalAttr<Sieve_TokenFilterAttr>:$token_filter,
                       OptionalAttr<Sieve_KVEvictAttr>:$kv_evict);
  let results = (outs Sieve_Hidden:$logits);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $architecture `(` $input_ids `)` attr-dict-with-keyword $body `:`
    functional-type($input_ids, $logits)
  }];
  let hasRegionVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [OpBuilder<(ins "::mlir::Type":$logits,
      "::mlir::Value":$input_ids, "::llvm::StringRef":$architecture,
      "int64_t":$vocab_size, "int64_t":$hidden_size, "int64_t":$num_layers)>];
  let extraClassDeclaration = [{
    /// The decoder layers, in program order.
    ::llvm::SmallVector<DecoderLayerOp> getLayers();
  }];
}

def Sieve_DecoderLayerOp : Sieve_Op<"decoder_layer", [
    SingleBlock, IsolatedFromAbove]> {
  let summary = "one decoder layer: a region holding its weights and ops";
  let description = [{
    Maps the residual stream [batch, seq, hidden] to the next one. Its body
    holds its own weights (`sieve.weight`), so removing the op removes the
    layer with everything it owns.
  }];
  let arguments = (ins Sieve_Hidden:$input, I64Attr:$index);
  let results = (outs Sieve_Hidden:$output);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $index `(` $input `)` attr-dict-with-keyword $body `:`
    functional-type($input, $output)
  }];
  let hasRegionVerifier = 1;
  let skipDefaultBuilders = 1;
  let builders = [OpBuilder<(ins "::mlir::Value":$input, "int64_t":$index)>];
  let extraClassDeclaration = [{
    /// The residual adds of the sequential form `r = x + attention(...)`,
    /// `y = r + mlp(...)` (y yielded): {the attention's add, the MLP's
    /// add}, following the residual stream from the layer input to the
    /// yield (an add whose other operand is computed by a sieve.attention
    /// is the attention's). Either is null when that block is absent (a
    /// pass removed it); nullopt if the body is not such a chain of at most
    /// one add of each kind.
    std::optional<std::pair<AddOp, AddOp>> getResidualAdds();
  }];
}

def Sieve_OutputOp : Sieve_Op<"output", [Terminator, HasParent<"ModelOp">,
                                         Pure, ReturnLike]> {
  let summary = "the logits of a model";
  let arguments = (ins Sieve_Hidden:$logits);
  let assemblyFormat = "$logits attr-dict `:` type($logits)";
}

def Sieve_YieldOp : Sieve_Op<"yield", [Terminator, HasParent<"DecoderLayerOp">,
                                       Pure, ReturnLike]> {
  let summary = "the residual stream a decoder layer hands on";
  let arguments = (ins Sieve_Hidden:$output);
  let assemblyFormat = "$output attr-dict `:` type($output)";
}

def Sieve_WeightOp : Sieve_Op<"weight", [Pure, ConstantLike]> {
  let summary = "a weight tensor, by reference or inline";
  let description = [{
    `value` is an `#onnx.external` reference (file, offset, length) or an
    elements attribute. `name` keeps the weight's name from the model.
  }];
  let arguments = (ins AnyAttrOf<[ElementsAttr, ONNX_ExternalTensorAttr]>:$value,
                       OptionalAttr<StrAttr>:$name);
  let results = (outs Sieve_Tensor:$result);
  let assemblyFormat = "($name^)? attr-dict `:` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
  let extraClassDeclaration = [{
    /// Bytes of the tensor at its element type (i1 and sub-byte types count
    /// one byte per element).
    int64_t getSizeInBytes();
  }];
}

// A quantized array: bytes in a file (#onnx.external) or a dense_resource
// blob of the same bytes (the verifier admits no other ElementsAttr).
def Sieve_StoredArrayAttr : AnyAttrOf<[ONNX_ExternalTensorAttr, ElementsAttr]>;

def Sieve_QuantizedWeightOp : Sieve_Op<"quantized_weight", [Pure]> {
  let summary = "a linear weight stored quantized, by reference";
  let description = [{
    The logical weight [K, N] of `x @ W` (the type of the `sieve.weight` it
    replaces), stored in `format` (`#sieve.quant`) as arrays: `data` (codes,
    output-channel major), `scales`, `zeros` (int4 only), each an
    `#onnx.external` reference (the quantize pass's weights file, or a
    model's own external data referenced in place) or a `dense_resource`
    blob of the same little-endian bytes (ui4 packed two per byte; what
    --sieve-raise makes from a model's inline arrays), and, after
    activation-aware scaling, `input_scales` [K]
    (f32): the stored matrix quantized `W[k, :] * input_scales[k]`, so
    `W = dequantize(data, scales, zeros) / input_scales[k]` (a kernel may
    instead divide the activations, or fold it into a preceding norm).

    | format | data | scales | zeros |
    |---|---|---|---|
    | `#sieve.quant<int8>` | [N, K] i8 | [N] f32 | - |
    | `#sieve.quant<int4, group = G, asym>` | [N, K] ui4 | [N, K/G] f16 or f32 | [N, K/G] ui4 |
    | `#sieve.quant<fp8>` | [N, K] f8E4M3FN | [N] f32 | - |

    ```mlir
    %w = sieve.quantized_weight "q_proj" {format = #sieve.quant<int4, group = 128, asym>,
        data = #onnx.external<"/out/q.bin", 0, 32768> : tensor<256x256xui4>,
        scales = #onnx.external<"/out/q.bin", 32768, 1024> : tensor<256x2xf16>,
        zeros = #onnx.external<"/out/q.bin", 33792, 256> : tensor<256x2xui4>}
        : tensor<256x256xf32>
    ```
  }];
  let arguments = (ins Sieve_QuantAttr:$format,
                       Sieve_StoredArrayAttr:$data,
                       Sieve_StoredArrayAttr:$scales,
                       OptionalAttr<Sieve_StoredArrayAttr>:$zeros,
                       OptionalAttr<ONNX_ExternalTensorAttr>:$input_scales,
                       OptionalAttr<StrAttr>:$name);
  let results = (outs RankedTensorOf<[AnyFloat]>:$result);
  let assemblyFormat = "($name^)? attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Transformer operations
//===----------------------------------------------------------------------===//

def Sieve_EmbeddingOp : Sieve_Op<"embedding", [Pure]> {
  let summary = "token embedding lookup, optionally scaled";
  let description = [{
    `result[b, s, :] = table[ids[b, s], :] * scale` (Gemma scales by
    sqrt(hidden); others by 1).
  }];
  let arguments = (ins TensorOf<[I64, I32]>:$ids, Sieve_Tensor:$table,
                       DefaultValuedAttr<F32Attr, "1.0">:$scale);
  let results = (outs Sieve_Hidden:$result);
  let assemblyFormat = [{
    $ids `,` $table attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Sieve_PositionEmbeddingOp : Sieve_Op<"position_embedding", [Pure]> {
  let summary = "adds learned absolute position embeddings (GPT-2)";
  let description = [{
    `result[b, s, :] = x[b, s, :] + table[position(s), :]`.
  }];
  let arguments = (ins Sieve_Hidden:$input, Sieve_Tensor:$table);
  let results = (outs Sieve_Hidden:$result);
  let assemblyFormat = [{
    $input `,` $table attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Sieve_RMSNormOp : Sieve_Op<"rms_norm", [Pure, AllTypesMatch<["input", "result"]>]> {
  let summary = "RMS normalization over the last axis";
  let description = [{
    `x / sqrt(mean(x^2) + epsilon) * (weight + weight_offset)`; Gemma uses
    weight_offset = 1.
  }];
  let arguments = (ins Sieve_Hidden:$input, Sieve_Tensor:$weight,
                       F32Attr:$epsilon,
                       DefaultValuedAttr<F32Attr, "0.0">:$weight_offset);
  let results = (outs Sieve_Hidden:$result);
  let assemblyFormat = [{
    $input `,` $weight attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Sieve_LayerNormOp : Sieve_Op<"layer_norm", [Pure,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "layer normalization over the last axis";
  let arguments = (ins Sieve_Hidden:$input, Sieve_Tensor:$weight,
                       Sieve_OptTensor:$bias, F32Attr:$epsilon);
  let results = (outs Sieve_Hidden:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Sieve_LinearOp : Sieve_Op<"linear", [Pure]> {
  let summary = "x @ weight (+ bias); weight is [in, out]";
  let arguments = (ins Sieve_Hidden:$input, Sieve_Tensor:$weight,
                       Sieve_OptTensor:$bias);
  let results = (outs Sieve_Hidden:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Sieve_RotaryOp : Sieve_Op<"rotary", [Pure,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "rotary position embedding of queries or keys";
  let description = [{
    `input` is [batch, seq, num_heads * head_dim]. For position p and pair
    index i < rotary_dim / 2, the angle is `p * inv_freq[i]`; the pair is
    (i, i + rotary_dim / 2) for style `half`, (2i, 2i + 1) for
    `interleaved`; dimensions past rotary_dim pass unchanged. cos and sin
    are multiplied by `attention_scaling`.
  }];
  let arguments = (ins Sieve_Hidden:$input, Sieve_Tensor:$inv_freq,
                       I64Attr:$num_heads, I64Attr:$head_dim,
                       I64Attr:$rotary_dim, Sieve_RotaryStyleAttr:$style,
                       DefaultValuedAttr<F32Attr, "1.0">:$attention_scaling);
  let results = (outs Sieve_Hidden:$result);
  let assemblyFormat = [{
    $input `,` $inv_freq attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Sieve_AttentionOp : Sieve_Op<"attention", [Pure]> {
  let summary = "multi-head attention with grouped KV heads";
  let description = [{
    `query` is [batch, seq, num_heads * head_dim], `key` and `value`
    [batch, seq, num_kv_heads * head_dim]; query head h reads KV head
    h / (num_heads / num_kv_heads). Scores are scaled by `scale`, masked
    causally when `causal`, and softmaxed in fp32. The result is
    [batch, seq, num_heads * head_dim]. `sparsity` says which keys each
    query may read beyond the mask; absent means `#sieve.dense` (all).
    `kv` (`#sieve.kv`) stores the KV cache quantized; absent means the
    activation type.
  }];
  let extraClassDeclaration = [{
    /// The sparsity attribute, `#sieve.dense` when absent.
    ::mlir::Attribute getSparsityOrDense() {
      if (auto s = getSparsityAttr())
        return s;
      return ::sieve::DenseAttr::get(getContext());
    }
  }];
  let arguments = (ins Sieve_Hidden:$query, Sieve_Hidden:$key,
                       Sieve_Hidden:$value, I64Attr:$num_heads,
                       I64Attr:$num_kv_heads, I64Attr:$head_dim,
                       DefaultValuedAttr<BoolAttr, "true">:$causal,
                       F32Attr:$scale,
                       OptionalAttr<Sieve_SparsityAttr>:$sparsity,
                       OptionalAttr<Sieve_KVAttr>:$kv);
  let results = (outs Sieve_Hidden:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Sieve_MLPOp : Sieve_Op<"mlp", [Pure, AttrSizedOperandSegments,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "act(x @ up + up_bias) @ down + down_bias";
  let arguments = (ins Sieve_Hidden:$input, Sieve_Tensor:$up,
                       Sieve_OptTensor:$up_bias, Sieve_Tensor:$down,
                       Sieve_OptTensor:$down_bias,
                       Sieve_ActivationAttr:$activation);
  let results = (outs Sieve_Hidden:$result);
  let assemblyFormat = [{
    $input `,` $up (`bias` $up_bias^)? `,` $down (`bias` $down_bias^)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Sieve_GatedMLPOp : Sieve_Op<"gated_mlp", [Pure,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "(act(x @ gate) * (x @ up)) @ down";
  let description = [{
    SwiGLU (silu) and GeGLU (gelu / gelu_tanh) MLPs. gate and up are
    [hidden, intermediate], down is [intermediate, hidden].
  }];
  let arguments = (ins Sieve_Hidden:$input, Sieve_Tensor:$gate,
                       Sieve_Tensor:$up, Sieve_Tensor:$down,
                       Sieve_ActivationAttr:$activation);
  let results = (outs Sieve_Hidden:$result);
  let assemblyFormat = [{
    $input `,` $gate `,` $up `,` $down attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Sieve_SplitOp : Sieve_Op<"split", [Pure]> {
  let summary = "splits the last axis into consecutive pieces (fused projections)";
  let description = [{
    Result i is `input[..., o_i : o_i + sizes[i]]` with `o_i` the sum of
    `sizes[0..i)`; the sizes add up to the input's last dimension (all
    other dimensions are unchanged). It takes apart the output of a fused
    projection, such as Phi-3's qkv_proj and gate_up_proj or GPT-2's c_attn
    (one `sieve.linear` whose weight concatenates the projections' columns):

    ```mlir
    %qkv = sieve.linear %x, %w : (tensor<1x?x64xf32>, tensor<64x192xf32>) -> tensor<1x?x192xf32>
    %q, %k, %v = sieve.split %qkv {sizes = array<i64: 64, 64, 64>} : (tensor<1x?x192xf32>) -> (tensor<1x?x64xf32>, tensor<1x?x64xf32>, tensor<1x?x64xf32>)
    ```
  }];
  let arguments = (ins Sieve_Hidden:$input, DenseI64ArrayAttr:$sizes);
  let results = (outs Variadic<Sieve_Hidden>:$results);
  let assemblyFormat = [{
    $input attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Sieve_GLUOp : Sieve_Op<"glu", [Pure,
    AllTypesMatch<["gate", "up", "result"]>]> {
  let summary = "gated activation: act(gate) * up, elementwise";
  let description = [{
    `result = act(gate) * up` elementwise, with `act` one of silu
    (`x * sigmoid(x)`), gelu (erf form), gelu_tanh
    (`0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`) or relu. Computed in
    fp32. It is the middle of a gated MLP whose gate and up projections are
    one fused linear (Phi-3's gate_up_proj): `sieve.gated_mlp` with weights
    gate, up, down equals `linear(glu(linear(x, gate), linear(x, up)), down)`.
  }];
  let arguments = (ins Sieve_Hidden:$gate, Sieve_Hidden:$up,
                       Sieve_ActivationAttr:$activation);
  let results = (outs Sieve_Hidden:$result);
  let assemblyFormat = [{
    $gate `,` $up attr-dict `:` type($result)
  }];
}

def Sieve_AddOp : Sieve_Op<"add", [Pure, Commutative,
    AllTypesMatch<["lhs", "rhs", "result"]>]> {
  let summary = "residual addition";
  let arguments = (ins Sieve_Hidden:$lhs, Sieve_Hidden:$rhs);
  let results = (outs Sieve_Hidden:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` type($result)";
}

def Sieve_LMHeadOp : Sieve_Op<"lm_head", [Pure]> {
  let summary = "logits = x @ weight; weight is [hidden, vocab]";
  let description = [{
    With `transposed`, weight is [vocab, hidden] (a tied embedding table)
    and the product uses its transpose.
  }];
  let arguments = (ins Sieve_Hidden:$input, Sieve_Tensor:$weight,
                       Sieve_OptTensor:$bias,
                       DefaultValuedAttr<BoolAttr, "false">:$transposed);
  let results = (outs Sieve_Hidden:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // SIEVE_SIEVE_OPS_TD
