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

#endif // SIEVE_SIEVE_ATTRS_TD
