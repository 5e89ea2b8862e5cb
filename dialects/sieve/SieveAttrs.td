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
    of G along the input dimension, an f16 scale and a uint4 zero point per
    group. `#sieve.quant<fp8>`: E4M3FN codes with one f32 scale per output
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

#endif // SIEVE_SIEVE_ATTRS_TD
