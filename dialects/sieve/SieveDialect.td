//===- SieveDialect.td - the sieve transformer dialect ------*- tablegen -*-===//

#ifndef SIEVE_SIEVE_DIALECT_TD
#define SIEVE_SIEVE_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Sieve_Dialect : Dialect {
  let name = "sieve";
  let summary = "the transformer vocabulary: decoder layers, attention, norms";
  let description = [{
    A model is one `sieve.model` op whose body embeds the tokens, runs a
    sequence of `sieve.decoder_layer` ops (each an isolated region with its
    index, holding its own weights), applies the final norm and the LM head.
    Activations between ops are [batch, seq, features] tensors; attention
    inputs are [batch, seq, heads * head_dim]. Positions are implicit: token
    i of a prefill has position i, a decode step continues from the cache.
    Optimizations are attributes and structure on these ops.
  }];
  let cppNamespace = "::sieve";
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::sieve::onnx::ONNXDialect"];
}

class Sieve_Op<string mnemonic, list<Trait> traits = []>
    : Op<Sieve_Dialect, mnemonic, traits>;

class Sieve_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<Sieve_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

#endif // SIEVE_SIEVE_DIALECT_TD
