//===- ONNXAttrs.td - onnx dialect attributes ---------------*- tablegen -*-===//

#ifndef SIEVE_ONNX_ATTRS_TD
#define SIEVE_ONNX_ATTRS_TD

include "ONNXDialect.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"

def ONNX_ExternalTensorAttr
    : ONNX_Attr<"ExternalTensor", "external", [TypedAttrInterface]> {
  let summary = "a tensor whose bytes live in a file, by offset and length";
  let description = [{
    A weight that stays in the model's external-data file: the printed IR
    names the file (relative to the module's `onnx.model_dir`, or absolute),
    the byte offset and the byte length; nothing is copied. The bytes use
    ONNX's little-endian raw layout (int4/uint4 packed two per byte, low
    nibble first).

    ```mlir
    %w = onnx.Constant {value = #onnx.external<"model.onnx.data", 0, 262144>
                                  : tensor<256x256xf32>} : tensor<256x256xf32>
    ```
  }];
  let parameters = (ins AttributeSelfTypeParameter<"">:$type,
                        StringRefParameter<"file path">:$location,
                        "uint64_t":$offset, "uint64_t":$length);
  let assemblyFormat = "`<` $location `,` $offset `,` $length `>`";
  let genVerifyDecl = 1;
}

#endif // SIEVE_ONNX_ATTRS_TD
