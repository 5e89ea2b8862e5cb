//===- ONNXDialect.td - the onnx dialect --------------------*- tablegen -*-===//
//
// The `onnx` dialect: one op per ONNX operator, as the importer produces it.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_ONNX_DIALECT_TD
#define SIEVE_ONNX_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"

def ONNX_Dialect : Dialect {
  let name = "onnx";
  let summary = "ONNX operators as imported from a ModelProto";
  let description = [{
    One op per ONNX operator. Standard-domain operators are `onnx.<OpType>`,
    `com.microsoft` operators are `onnx.ms.<OpType>`. Absent optional inputs
    and outputs are values of type `none` (made by `onnx.NoValue`), so every
    op has a fixed operand count, except the operators that ONNX declares
    variadic. Attribute conventions: ONNX INT -> i64, FLOAT -> f32,
    STRING -> string, INTS -> array<i64>, FLOATS -> array<f32>,
    STRINGS -> array of strings, TENSOR -> elements attribute; Cast's `to` is
    a type.
  }];
  let cppNamespace = "::sieve::onnx";
  let useDefaultAttributePrinterParser = 1;
  let usePropertiesForAttributes = 0;
  let hasConstantMaterializer = 1;
  let extraClassDeclaration = [{
    void registerAttributes();
  }];
}

class ONNX_Op<string mnemonic, list<Trait> traits = []>
    : Op<ONNX_Dialect, mnemonic, traits>;

class ONNX_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<ONNX_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
}

#endif // SIEVE_ONNX_DIALECT_TD
