//===- ONNXOps.td - onnx dialect operations -----------------*- tablegen -*-===//
//
// ONNX operators used by decoder-only LLM exports. Operand and result names
// follow the ONNX operator schemas; attributes keep the ONNX names and
// defaults. Absent optional inputs/outputs are `none` values.
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_ONNX_OPS_TD
#define SIEVE_ONNX_OPS_TD

include "ONNXDialect.td"
include "ONNXAttrs.td"
include "mlir/IR/BuiltinAttributeInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def ONNX_Tensor : AnyTypeOf<[AnyRankedTensor, AnyUnrankedTensor], "tensor">;
def ONNX_OptTensor : AnyTypeOf<[AnyRankedTensor, AnyUnrankedTensor, NoneType],
                               "tensor or none">;
def ONNX_IntTensor : TensorOf<[I32, I64]>;
def ONNX_OptIntTensor : AnyTypeOf<[TensorOf<[I32, I64]>, NoneType],
                                  "int32/int64 tensor or none">;

// A value attribute of onnx.Constant: inline elements or an external tensor.
def ONNX_TensorValueAttr : AnyAttrOf<[ElementsAttr, ONNX_ExternalTensorAttr]>;

//===----------------------------------------------------------------------===//
// Structural ops
//===----------------------------------------------------------------------===//

def ONNX_NoValueOp : ONNX_Op<"NoValue", [Pure, ConstantLike]> {
  let summary = "the absent optional input or output";
  let results = (outs NoneType:$none);
  let assemblyFormat = "attr-dict";
  let hasFolder = 1;
}

def ONNX_ConstantOp : ONNX_Op<"Constant", [Pure, ConstantLike]> {
  let summary = "a constant tensor: initializer or Constant node";
  let description = [{
    Holds an ONNX initializer or a `Constant` node's tensor. `value` is an
    elements attribute (inline data, `dense<...>` or `dense_resource<...>`)
    or an `#onnx.external` reference to bytes in a file. A Constant node's
    scalar forms (`value_float`, `value_ints`, ...) are turned into `value`
    by the importer.
  }];
  let arguments = (ins ONNX_TensorValueAttr:$value);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat = "attr-dict `:` type($output)";
  let hasFolder = 1;
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

// Binary ops with numpy-style (multidirectional) broadcasting.
class ONNX_BroadcastBinaryOp<string mnemonic, list<Trait> traits = []>
    : ONNX_Op<mnemonic, !listconcat(traits, [Pure,
        DeclareOpInterfaceMethods<InferTypeOpInterface>])> {
  let arguments = (ins ONNX_Tensor:$A, ONNX_Tensor:$B);
  let results = (outs ONNX_Tensor:$C);
  let assemblyFormat =
      "$A `,` $B attr-dict `:` functional-type(operands, results)";
}

def ONNX_AddOp : ONNX_BroadcastBinaryOp<"Add", [Commutative]> {
  let summary = "elementwise addition with broadcasting";
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def ONNX_MatMulOp : ONNX_Op<"MatMul", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "numpy matmul";
  let arguments = (ins ONNX_Tensor:$A, ONNX_Tensor:$B);
  let results = (outs ONNX_Tensor:$Y);
  let assemblyFormat =
      "$A `,` $B attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Type conversion
//===----------------------------------------------------------------------===//

def ONNX_CastOp : ONNX_Op<"Cast", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "elementwise type conversion";
  let arguments = (ins ONNX_Tensor:$input, TypeAttr:$to,
                       DefaultValuedAttr<I64Attr, "1">:$saturate);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

def ONNX_ConcatOp : ONNX_Op<"Concat", [Pure,
    DeclareOpInterfaceMethods<InferTypeOpInterface>]> {
  let summary = "concatenate tensors along an axis";
  let arguments = (ins Variadic<ONNX_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs ONNX_Tensor:$concat_result);
  let assemblyFormat =
      "$inputs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalization
//===----------------------------------------------------------------------===//

def ONNX_LayerNormalizationOp : ONNX_Op<"LayerNormalization", [Pure]> {
  let summary = "layer normalization over the trailing axes from `axis`";
  let arguments = (ins ONNX_Tensor:$X, ONNX_Tensor:$Scale, ONNX_OptTensor:$B,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon,
                       DefaultValuedAttr<I64Attr, "1">:$stash_type);
  let results = (outs ONNX_Tensor:$Y, ONNX_OptTensor:$Mean,
                      ONNX_OptTensor:$InvStdDev);
  let assemblyFormat =
      "$X `,` $Scale `,` $B attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// com.microsoft
//===----------------------------------------------------------------------===//

def ONNX_MSSimplifiedLayerNormalizationOp
    : ONNX_Op<"ms.SimplifiedLayerNormalization", [Pure]> {
  let summary = "com.microsoft RMS normalization";
  let arguments = (ins ONNX_Tensor:$X, ONNX_Tensor:$scale,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon,
                       DefaultValuedAttr<I64Attr, "1">:$stash_type);
  let results = (outs ONNX_Tensor:$Y, ONNX_OptTensor:$inv_std_var);
  let assemblyFormat =
      "$X `,` $scale attr-dict `:` functional-type(operands, results)";
}

#endif // SIEVE_ONNX_OPS_TD
