//===- SieveAttrs.td - sieve dialect attributes -------------*- tablegen -*-===//

#ifndef SIEVE_SIEVE_ATTRS_TD
#define SIEVE_SIEVE_ATTRS_TD

include "SieveDialect.td"

def Sieve_ActivationSiLU : I32EnumAttrCase<"silu", 0>;
def Sieve_ActivationGelu : I32EnumAttrCase<"gelu", 1>;
def Sieve_ActivationGeluTanh : I32EnumAttrCase<"gelu_tanh", 2>;
def Sieve_ActivationRelu : I32EnumAttrCase<"relu", 3>;
def Sieve_Activation : I32EnumAttr<"Activation", "MLP activation",
    [Sieve_ActivationSiLU, Sieve_ActivationGelu, Sieve_ActivationGeluTanh,
     Sieve_ActivationRelu]> {
  let cppNamespace = "::sieve";
  let genSpecializedAttr = 0;
}
def Sieve_ActivationAttr : EnumAttr<Sieve_Dialect, Sieve_Activation,
                                    "activation"> {
  let assemblyFormat = "`<` $value `>`";
}

def Sieve_RotaryHalf : I32EnumAttrCase<"half", 0>;
def Sieve_RotaryInterleaved : I32EnumAttrCase<"interleaved", 1>;
def Sieve_RotaryStyle : I32EnumAttr<"RotaryStyle",
    "how rotary pairs are formed: (i, i + d/2) or (2i, 2i + 1)",
    [Sieve_RotaryHalf, Sieve_RotaryInterleaved]> {
  let cppNamespace = "::sieve";
  let genSpecializedAttr = 0;
}
def Sieve_RotaryStyleAttr : EnumAttr<Sieve_Dialect, Sieve_RotaryStyle,
                                     "rotary_style"> {
  let assemblyFormat = "`<` $value `>`";
}

def Sieve_DenseAttr : Sieve_Attr<"Dense", "dense"> {
  let summary = "dense attention: every key the mask allows";
}

def Sieve_SparsityAttr : AnyAttrOf<[Sieve_DenseAttr]>;


def Sieve_QuantInt8 : I32EnumAttrCase<"int8", 0>;
def Sieve_QuantInt4 : I32EnumAttrCase<"int4", 1>;
def Sieve_QuantFP8 : I32EnumAttrCase<"fp8", 2>;
def Sieve_QuantKind : I32EnumAttr<"QuantKind", "element format of quantized data",
    [Sieve_QuantInt8, Sieve_QuantInt4, Sieve_QuantFP8]> {
  let cppNamespace = "::sieve";
  let genSpecializedAttr = 0;
}

def Sieve_QuantAttr : Sieve_Attr<"Quant", "quant"> {
  let summary = "the stored format of a quantized linear weight";
  let description = [{
    `#sieve.quant<int8>`: int8 codes, one f32 scale per output channel,
    symmetric. `#sieve.quant<int4, group = G, asym>`: uint4 codes in groups
    of G along the input dimension, an f16 scale (or f32, as raised from a
    model that stores f32 scales) and a uint4 zero point per group. `#sieve.quant<fp8>`: E4M3FN codes with one f32 scale per output
    channel; the GEMM quantizes its activations to E4M3 per token
    (dynamic scale amax / 448) and accumulates in f32. The layouts are in
    docs/quantization.md.
  }];
  let parameters = (ins "::sieve::QuantKind":$kind,
                        DefaultValuedParameter<"int64_t", "0">:$group,
                        DefaultValuedParameter<"bool", "false">:$asym);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Sieve_KVAttr : Sieve_Attr<"KV", "kv"> {
  let summary = "the stored format of an attention's KV cache";
  let description = [{
    Every (position, KV head) vector of head_dim keys or values is stored
    quantized when written and dequantized when read.
    `#sieve.kv<int8>` / `#sieve.kv<fp8>`: one f32 scale per vector,
    symmetric (amax / 127, amax / 448). `#sieve.kv<int4, group = G>`:
    uint4 codes, asymmetric, an f32 scale and a zero point per group of G
    along head_dim.
  }];
  let parameters = (ins "::sieve::QuantKind":$kind,
                        DefaultValuedParameter<"int64_t", "0">:$group);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def Sieve_TokenFilterAttr : Sieve_Attr<"TokenFilter", "token_filter"> {
  let summary = "prompt token pruning before prefill (GemFilter)";
  let description = [{
    Set on a `sieve.model` by `--sieve-prune-tokens` (docs/token-pruning.md).
    A prompt longer than `k` tokens is first run through decoder layers
    `0 .. layer - 1` and the attention inputs of layer `layer` (0-based, the
    layer whose attention `output_attentions[layer]` returns in
    transformers); each prompt position j is scored by the attention
    log-probabilities `log softmax(q_r . k_j * scale)` summed over query
    heads (keys shared across each GQA group), averaged over the last
    `window` query rows r that see j; the scores are average-pooled with
    width `pool` (stride 1, zero padding pool / 2 on both sides, divided by
    pool); the top `k` positions (with `block` > 1: the top k / block blocks
    of `block` consecutive positions, ranked by their mean pooled score)
    are kept in ascending order, and the model is prefilled on those tokens
    alone, at positions 0 .. k - 1. Prompts of at most `k` tokens run
    unpruned. `method` is "gemfilter".
  }];
  let parameters = (ins StringRefParameter<>:$method, "int64_t":$layer,
                        "int64_t":$k, "int64_t":$pool, "int64_t":$window,
                        "int64_t":$block);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The widest pooling window accepted (here and by --sieve-evict-kv).
    static constexpr int64_t kMaxPool = 255;
  }];
}

def Sieve_KVEvictAttr : Sieve_Attr<"KVEvict", "kv_evict"> {
  let summary = "KV-cache eviction (SnapKV at the end of prefill, H2O)";
  let description = [{
    Set on a `sieve.model` by `--sieve-evict-kv` (docs/token-pruning.md).
    After a prefill of more than `budget + window` positions, each
    attention's cache keeps the last `window` positions and the `budget`
    earlier positions with the largest pooled score: the attention
    probabilities of the last `window` queries summed over those queries
    (and over the query heads of each KV head's group), average-pooled with
    width `pool` (zero padding). `scope` = "head" selects per KV head,
    "layer" once per layer (scores summed over its KV heads). Kept positions
    keep their order and their rotary positions; decoding continues at the
    prompt's length. `method` is "snapkv", or "h2o": the score of a
    position is the attention probability every query so far (prompt and
    generated) put on it, and the eviction runs after the prefill and after
    every decode step.
  }];
  let parameters = (ins StringRefParameter<>:$method, "int64_t":$budget,
                        "int64_t":$window, "int64_t":$pool,
                        StringRefParameter<>:$scope);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // SIEVE_SIEVE_ATTRS_TD
