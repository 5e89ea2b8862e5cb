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
// Op classes
//===----------------------------------------------------------------------===//

// `isCompatibleReturnTypes` for ops with inferred result types: an inferred
// type matches a declared one when element types agree and shapes are
// compatible (dynamic sizes match anything), and a declared `none` (absent
// optional output) matches anything.
defvar ONNX_CompatibleReturnTypesDecl = [{
  static bool isCompatibleReturnTypes(::mlir::TypeRange inferred,
                                      ::mlir::TypeRange actual) {
    return ::sieve::onnx::areCompatibleReturnTypes(inferred, actual);
  }
}];

// A pure op whose result types follow from operand types and attributes.
class ONNX_InferOp<string mnemonic, list<Trait> traits = []>
    : ONNX_Op<mnemonic, !listconcat(traits, [Pure,
        DeclareOpInterfaceMethods<InferTypeOpInterface>])> {
  let extraClassDeclaration = ONNX_CompatibleReturnTypesDecl;
}

// Elementwise unary op: the result has the operand's shape and, except for
// IsNaN/IsInf (bool), its element type.
class ONNX_UnaryElementwiseOp<string mnemonic, string inName = "X",
                              string outName = "Y", list<Trait> traits = []>
    : ONNX_InferOp<mnemonic, traits> {
  let arguments = !dag(ins, [ONNX_Tensor], [inName]);
  let results = !dag(outs, [ONNX_Tensor], [outName]);
  let assemblyFormat =
      "$" # inName # " attr-dict `:` functional-type(operands, results)";
}

// Binary op with numpy-style (multidirectional) broadcasting whose operands
// share an element type (unless `sameElementType` is 0) and whose result has
// the operands' element type. Verified: ranked shapes broadcast.
class ONNX_BroadcastBinaryOp<string mnemonic, list<Trait> traits = [],
                             string a = "A", string b = "B", string c = "C">
    : ONNX_InferOp<mnemonic, traits> {
  let arguments = !dag(ins, [ONNX_Tensor, ONNX_Tensor], [a, b]);
  let results = !dag(outs, [ONNX_Tensor], [c]);
  let assemblyFormat = "$" # a # " `,` $" # b #
      " attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

// Broadcasting binary op with an i1 result: comparisons and logic.
class ONNX_ComparisonOp<string mnemonic, list<Trait> traits = []>
    : ONNX_BroadcastBinaryOp<mnemonic, traits>;

// Variadic op with broadcasting over all inputs (Sum, Max, Min, Mean).
class ONNX_VariadicBroadcastOp<string mnemonic, string out,
                               list<Trait> traits = []>
    : ONNX_InferOp<mnemonic, traits> {
  let arguments = (ins Variadic<ONNX_Tensor>:$data_0);
  let results = !dag(outs, [ONNX_Tensor], [out]);
  let assemblyFormat =
      "$data_0 attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

// Reduction over `axes`. Opset 18 (13 for ReduceSum) passes the axes as the
// optional second operand; older opsets as the `axes` attribute. At most one
// of the two may be present. Without axes all dimensions are reduced, unless
// `noop_with_empty_axes` is set, which makes the op an identity. The result
// type is inferred exactly when the axes come from the attribute, are absent,
// or are a constant operand; for other axes operands only the element type
// is known (the inferred type is unranked).
class ONNX_ReduceOp<string mnemonic, list<Trait> traits = []>
    : ONNX_InferOp<mnemonic, traits> {
  let arguments = (ins ONNX_Tensor:$data, ONNX_OptTensor:$axes_input,
                       OptionalAttr<DenseI64ArrayAttr>:$axes,
                       DefaultValuedAttr<I64Attr, "1">:$keepdims,
                       DefaultValuedAttr<I64Attr, "0">:$noop_with_empty_axes);
  let results = (outs ONNX_Tensor:$reduced);
  let assemblyFormat =
      "$data `,` $axes_input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

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
// Elementwise unary
//===----------------------------------------------------------------------===//

def ONNX_AbsOp : ONNX_UnaryElementwiseOp<"Abs"> { let summary = "absolute value"; }
def ONNX_CeilOp : ONNX_UnaryElementwiseOp<"Ceil"> { let summary = "ceiling"; }
def ONNX_CosOp : ONNX_UnaryElementwiseOp<"Cos", "input", "output"> {
  let summary = "cosine";
}
def ONNX_ErfOp : ONNX_UnaryElementwiseOp<"Erf", "input", "output"> {
  let summary = "error function";
}
def ONNX_ExpOp : ONNX_UnaryElementwiseOp<"Exp", "input", "output"> {
  let summary = "exponential";
}
def ONNX_FloorOp : ONNX_UnaryElementwiseOp<"Floor"> { let summary = "floor"; }
def ONNX_IdentityOp : ONNX_UnaryElementwiseOp<"Identity", "input", "output"> {
  let summary = "identity";
}
def ONNX_LogOp : ONNX_UnaryElementwiseOp<"Log", "input", "output"> {
  let summary = "natural logarithm";
}
def ONNX_NegOp : ONNX_UnaryElementwiseOp<"Neg"> { let summary = "negation"; }
def ONNX_NotOp : ONNX_UnaryElementwiseOp<"Not"> {
  let summary = "logical not of a bool tensor";
}
def ONNX_ReciprocalOp : ONNX_UnaryElementwiseOp<"Reciprocal"> {
  let summary = "1 / X";
}
def ONNX_ReluOp : ONNX_UnaryElementwiseOp<"Relu"> { let summary = "max(X, 0)"; }
def ONNX_RoundOp : ONNX_UnaryElementwiseOp<"Round"> {
  let summary = "round half to even";
}
def ONNX_SigmoidOp : ONNX_UnaryElementwiseOp<"Sigmoid"> {
  let summary = "1 / (1 + exp(-X))";
}
def ONNX_SignOp : ONNX_UnaryElementwiseOp<"Sign", "input", "output"> {
  let summary = "sign: -1, 0 or 1";
}
def ONNX_SinOp : ONNX_UnaryElementwiseOp<"Sin", "input", "output"> {
  let summary = "sine";
}
def ONNX_SoftplusOp : ONNX_UnaryElementwiseOp<"Softplus"> {
  let summary = "log(exp(X) + 1)";
}
def ONNX_SoftsignOp : ONNX_UnaryElementwiseOp<"Softsign", "input", "output"> {
  let summary = "x / (1 + |x|)";
}
def ONNX_SqrtOp : ONNX_UnaryElementwiseOp<"Sqrt"> { let summary = "square root"; }
def ONNX_TanOp : ONNX_UnaryElementwiseOp<"Tan", "input", "output"> {
  let summary = "tangent";
}
def ONNX_AtanOp : ONNX_UnaryElementwiseOp<"Atan", "input", "output"> {
  let summary = "arctangent";
}
def ONNX_TanhOp : ONNX_UnaryElementwiseOp<"Tanh", "input", "output"> {
  let summary = "hyperbolic tangent";
}

def ONNX_EluOp : ONNX_UnaryElementwiseOp<"Elu"> {
  let summary = "X if X >= 0 else alpha * (exp(X) - 1)";
  let arguments = (ins ONNX_Tensor:$X,
                       DefaultValuedAttr<F32Attr, "1.0">:$alpha);
}
def ONNX_GeluOp : ONNX_UnaryElementwiseOp<"Gelu"> {
  let summary = "Gaussian error linear unit";
  let description = [{
    `approximate` is "none" (exact, with erf) or "tanh".
  }];
  let arguments = (ins ONNX_Tensor:$X,
                       DefaultValuedStrAttr<StrAttr, "none">:$approximate);
  let hasVerifier = 1;
}
def ONNX_HardSigmoidOp : ONNX_UnaryElementwiseOp<"HardSigmoid"> {
  let summary = "max(0, min(1, alpha * X + beta))";
  let arguments = (ins ONNX_Tensor:$X,
                       DefaultValuedAttr<F32Attr, "0.2">:$alpha,
                       DefaultValuedAttr<F32Attr, "0.5">:$beta);
}
def ONNX_LeakyReluOp : ONNX_UnaryElementwiseOp<"LeakyRelu"> {
  let summary = "X if X >= 0 else alpha * X";
  let arguments = (ins ONNX_Tensor:$X,
                       DefaultValuedAttr<F32Attr, "0.01">:$alpha);
}
def ONNX_IsNaNOp : ONNX_UnaryElementwiseOp<"IsNaN"> {
  let summary = "elementwise test for NaN; the result is bool";
}
def ONNX_IsInfOp : ONNX_UnaryElementwiseOp<"IsInf"> {
  let summary = "elementwise test for infinity; the result is bool";
  let arguments = (ins ONNX_Tensor:$X,
                       DefaultValuedAttr<I64Attr, "1">:$detect_negative,
                       DefaultValuedAttr<I64Attr, "1">:$detect_positive);
}

def ONNX_ClipOp : ONNX_InferOp<"Clip"> {
  let summary = "clamp to [min, max]; absent bounds do not clamp";
  let arguments = (ins ONNX_Tensor:$input, ONNX_OptTensor:$min,
                       ONNX_OptTensor:$max);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat = "$input `,` $min `,` $max attr-dict `:` "
                       "functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise binary
//===----------------------------------------------------------------------===//

def ONNX_AddOp : ONNX_BroadcastBinaryOp<"Add", [Commutative]> {
  let summary = "elementwise addition with broadcasting";
}
def ONNX_SubOp : ONNX_BroadcastBinaryOp<"Sub"> {
  let summary = "elementwise subtraction with broadcasting";
}
def ONNX_MulOp : ONNX_BroadcastBinaryOp<"Mul", [Commutative]> {
  let summary = "elementwise multiplication with broadcasting";
}
def ONNX_DivOp : ONNX_BroadcastBinaryOp<"Div"> {
  let summary = "elementwise division with broadcasting";
}
def ONNX_ModOp : ONNX_BroadcastBinaryOp<"Mod"> {
  let summary = "elementwise remainder with broadcasting";
  let description = [{
    With `fmod = 0` (integers only) the remainder has the divisor's sign, as
    Python's `%`; with `fmod = 1` it has the dividend's sign, as C's `fmod`.
    Floating-point operands require `fmod = 1`.
  }];
  let arguments = (ins ONNX_Tensor:$A, ONNX_Tensor:$B,
                       DefaultValuedAttr<I64Attr, "0">:$fmod);
}
def ONNX_PowOp : ONNX_BroadcastBinaryOp<"Pow", [], "X", "Y", "Z"> {
  let summary = "X ** Y with broadcasting; the result has X's element type";
}
def ONNX_BitwiseAndOp : ONNX_BroadcastBinaryOp<"BitwiseAnd", [Commutative]> {
  let summary = "bitwise and of integer tensors with broadcasting";
}

def ONNX_AndOp : ONNX_ComparisonOp<"And", [Commutative]> {
  let summary = "logical and of bool tensors with broadcasting";
}
def ONNX_OrOp : ONNX_ComparisonOp<"Or", [Commutative]> {
  let summary = "logical or of bool tensors with broadcasting";
}
def ONNX_XorOp : ONNX_ComparisonOp<"Xor", [Commutative]> {
  let summary = "logical xor of bool tensors with broadcasting";
}
def ONNX_EqualOp : ONNX_ComparisonOp<"Equal", [Commutative]> {
  let summary = "A == B with broadcasting; bool result";
}
def ONNX_GreaterOp : ONNX_ComparisonOp<"Greater"> {
  let summary = "A > B with broadcasting; bool result";
}
def ONNX_GreaterOrEqualOp : ONNX_ComparisonOp<"GreaterOrEqual"> {
  let summary = "A >= B with broadcasting; bool result";
}
def ONNX_LessOp : ONNX_ComparisonOp<"Less"> {
  let summary = "A < B with broadcasting; bool result";
}
def ONNX_LessOrEqualOp : ONNX_ComparisonOp<"LessOrEqual"> {
  let summary = "A <= B with broadcasting; bool result";
}

def ONNX_WhereOp : ONNX_InferOp<"Where"> {
  let summary = "select X where condition else Y, with broadcasting";
  let arguments = (ins ONNX_Tensor:$condition, ONNX_Tensor:$X,
                       ONNX_Tensor:$Y);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat = "$condition `,` $X `,` $Y attr-dict `:` "
                       "functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise variadic
//===----------------------------------------------------------------------===//

def ONNX_SumOp : ONNX_VariadicBroadcastOp<"Sum", "sum", [Commutative]> {
  let summary = "elementwise sum of all inputs with broadcasting";
}
def ONNX_MaxOp : ONNX_VariadicBroadcastOp<"Max", "max", [Commutative]> {
  let summary = "elementwise maximum of all inputs with broadcasting";
}
def ONNX_MinOp : ONNX_VariadicBroadcastOp<"Min", "min", [Commutative]> {
  let summary = "elementwise minimum of all inputs with broadcasting";
}
def ONNX_MeanOp : ONNX_VariadicBroadcastOp<"Mean", "mean", [Commutative]> {
  let summary = "elementwise mean of all inputs with broadcasting";
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

def ONNX_ReduceMaxOp : ONNX_ReduceOp<"ReduceMax"> { let summary = "maximum over axes"; }
def ONNX_ReduceMeanOp : ONNX_ReduceOp<"ReduceMean"> { let summary = "mean over axes"; }
def ONNX_ReduceMinOp : ONNX_ReduceOp<"ReduceMin"> { let summary = "minimum over axes"; }
def ONNX_ReduceSumOp : ONNX_ReduceOp<"ReduceSum"> { let summary = "sum over axes"; }
def ONNX_ReduceProdOp : ONNX_ReduceOp<"ReduceProd"> { let summary = "product over axes"; }
def ONNX_ReduceL2Op : ONNX_ReduceOp<"ReduceL2"> {
  let summary = "Euclidean norm over axes";
}
def ONNX_ReduceL1Op : ONNX_ReduceOp<"ReduceL1"> {
  let summary = "sum of absolute values over axes";
}
def ONNX_ReduceSumSquareOp : ONNX_ReduceOp<"ReduceSumSquare"> {
  let summary = "sum of squares over axes";
}
def ONNX_ReduceLogSumExpOp : ONNX_ReduceOp<"ReduceLogSumExp"> {
  let summary = "log of the sum of exponentials over axes";
}

def ONNX_ArgMaxOp : ONNX_InferOp<"ArgMax"> {
  let summary = "index of the maximum along an axis (int64 result)";
  let arguments = (ins ONNX_Tensor:$data,
                       DefaultValuedAttr<I64Attr, "0">:$axis,
                       DefaultValuedAttr<I64Attr, "1">:$keepdims,
                       DefaultValuedAttr<I64Attr, "0">:$select_last_index);
  let results = (outs ONNX_Tensor:$reduced);
  let assemblyFormat =
      "$data attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_CumSumOp : ONNX_InferOp<"CumSum"> {
  let summary = "cumulative sum along the axis given by a scalar operand";
  let arguments = (ins ONNX_Tensor:$x, ONNX_Tensor:$axis,
                       DefaultValuedAttr<I64Attr, "0">:$exclusive,
                       DefaultValuedAttr<I64Attr, "0">:$reverse);
  let results = (outs ONNX_Tensor:$y);
  let assemblyFormat =
      "$x `,` $axis attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_SoftmaxOp : ONNX_InferOp<"Softmax"> {
  let summary = "softmax along `axis`";
  let arguments = (ins ONNX_Tensor:$input,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_LogSoftmaxOp : ONNX_InferOp<"LogSoftmax"> {
  let summary = "log of softmax along `axis`";
  let arguments = (ins ONNX_Tensor:$input,
                       DefaultValuedAttr<I64Attr, "-1">:$axis);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_TopKOp : ONNX_Op<"TopK", [Pure]> {
  let summary = "the K largest (or smallest) values along an axis and their indices";
  let arguments = (ins ONNX_Tensor:$X, ONNX_Tensor:$K,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<I64Attr, "1">:$largest,
                       DefaultValuedAttr<I64Attr, "1">:$sorted);
  let results = (outs ONNX_Tensor:$Values, ONNX_Tensor:$Indices);
  let assemblyFormat =
      "$X `,` $K attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Linear algebra
//===----------------------------------------------------------------------===//

def ONNX_MatMulOp : ONNX_InferOp<"MatMul"> {
  let summary = "numpy matmul";
  let arguments = (ins ONNX_Tensor:$A, ONNX_Tensor:$B);
  let results = (outs ONNX_Tensor:$Y);
  let assemblyFormat =
      "$A `,` $B attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_GemmOp : ONNX_InferOp<"Gemm"> {
  let summary = "alpha * op(A) * op(B) + beta * C for matrices";
  let description = [{
    `op(X)` is X or its transpose (`transA`, `transB`). C is optional and
    broadcasts to [M, N].
  }];
  let arguments = (ins ONNX_Tensor:$A, ONNX_Tensor:$B, ONNX_OptTensor:$C,
                       DefaultValuedAttr<F32Attr, "1.0">:$alpha,
                       DefaultValuedAttr<F32Attr, "1.0">:$beta,
                       DefaultValuedAttr<I64Attr, "0">:$transA,
                       DefaultValuedAttr<I64Attr, "0">:$transB);
  let results = (outs ONNX_Tensor:$Y);
  let assemblyFormat = "$A `,` $B `,` $C attr-dict `:` "
                       "functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_EinsumOp : ONNX_Op<"Einsum", [Pure]> {
  let summary = "Einstein summation";
  let arguments = (ins Variadic<ONNX_Tensor>:$Inputs, StrAttr:$equation);
  let results = (outs ONNX_Tensor:$Output);
  let assemblyFormat =
      "$Inputs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Type conversion
//===----------------------------------------------------------------------===//

def ONNX_CastOp : ONNX_InferOp<"Cast"> {
  let summary = "elementwise type conversion";
  let arguments = (ins ONNX_Tensor:$input, TypeAttr:$to,
                       DefaultValuedAttr<I64Attr, "1">:$saturate);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_DequantizeLinearOp : ONNX_InferOp<"DequantizeLinear"> {
  let summary = "y = (x - x_zero_point) * x_scale";
  let description = [{
    Per tensor (a scalar `x_scale`) or per axis (a 1-D `x_scale` of
    x.shape[axis] values); `x_zero_point` (optional, x's element type) is
    shaped like the scale. Blocked quantization (`block_size` > 0) is
    imported but not executed. The result has the scale's element type.
  }];
  let arguments = (ins ONNX_Tensor:$x, ONNX_Tensor:$x_scale,
                       ONNX_OptTensor:$x_zero_point,
                       DefaultValuedAttr<I64Attr, "1">:$axis,
                       DefaultValuedAttr<I64Attr, "0">:$block_size,
                       DefaultValuedAttr<I64Attr, "0">:$output_dtype);
  let results = (outs ONNX_Tensor:$y);
  let assemblyFormat = "$x `,` $x_scale `,` $x_zero_point attr-dict `:` "
      "functional-type(operands, results)";
}

def ONNX_QuantizeLinearOp : ONNX_InferOp<"QuantizeLinear"> {
  let summary = "y = saturate(round(x / y_scale) + y_zero_point)";
  let description = [{
    Rounds half to even and saturates to the result's integer type: the
    zero point's element type, else `output_dtype`, else uint8. Scale and
    zero point as for DequantizeLinear; blocked quantization is imported
    but not executed.
  }];
  let arguments = (ins ONNX_Tensor:$x, ONNX_Tensor:$y_scale,
                       ONNX_OptTensor:$y_zero_point,
                       DefaultValuedAttr<I64Attr, "1">:$axis,
                       DefaultValuedAttr<I64Attr, "1">:$saturate,
                       DefaultValuedAttr<I64Attr, "0">:$block_size,
                       DefaultValuedAttr<I64Attr, "0">:$output_dtype,
                       DefaultValuedAttr<I64Attr, "0">:$precision);
  let results = (outs ONNX_Tensor:$y);
  let assemblyFormat = "$x `,` $y_scale `,` $y_zero_point attr-dict `:` "
      "functional-type(operands, results)";
}

def ONNX_CastLikeOp : ONNX_InferOp<"CastLike"> {
  let summary = "cast to the element type of `target_type`";
  let arguments = (ins ONNX_Tensor:$input, ONNX_Tensor:$target_type,
                       DefaultValuedAttr<I64Attr, "1">:$saturate);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat = "$input `,` $target_type attr-dict `:` "
                       "functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

def ONNX_ConcatOp : ONNX_InferOp<"Concat"> {
  let summary = "concatenate tensors along an axis";
  let arguments = (ins Variadic<ONNX_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs ONNX_Tensor:$concat_result);
  let assemblyFormat =
      "$inputs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_ConstantOfShapeOp : ONNX_Op<"ConstantOfShape", [Pure]> {
  let summary = "a tensor of the shape given by a 1-D int64 operand";
  let description = [{
    Every element is the one element of `value`; without `value` the result
    is float32 zeros.
  }];
  let arguments = (ins ONNX_Tensor:$input,
                       OptionalAttr<ElementsAttr>:$value);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_ExpandOp : ONNX_Op<"Expand", [Pure]> {
  let summary = "broadcast `input` to (a broadcast with) `shape`";
  let arguments = (ins ONNX_Tensor:$input, ONNX_Tensor:$shape);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat =
      "$input `,` $shape attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_FlattenOp : ONNX_InferOp<"Flatten"> {
  let summary = "reshape to 2-D: [prod(dims before axis), prod(rest)]";
  let arguments = (ins ONNX_Tensor:$input,
                       DefaultValuedAttr<I64Attr, "1">:$axis);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat =
      "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_GatherOp : ONNX_InferOp<"Gather"> {
  let summary = "take slices of `data` along `axis` at `indices`";
  let arguments = (ins ONNX_Tensor:$data, ONNX_Tensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat =
      "$data `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_GatherElementsOp : ONNX_InferOp<"GatherElements"> {
  let summary = "elementwise gather along `axis`; result has indices' shape";
  let arguments = (ins ONNX_Tensor:$data, ONNX_Tensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat =
      "$data `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_GatherNDOp : ONNX_InferOp<"GatherND"> {
  let summary = "gather slices of `data` at index tuples (last indices dim)";
  let arguments = (ins ONNX_Tensor:$data, ONNX_Tensor:$indices,
                       DefaultValuedAttr<I64Attr, "0">:$batch_dims);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat =
      "$data `,` $indices attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_ScatterNDOp : ONNX_InferOp<"ScatterND"> {
  let summary = "copy of `data` with `updates` written at index tuples";
  let description = [{
    `reduction` is one of "none", "add", "mul", "max", "min".
  }];
  let arguments = (ins ONNX_Tensor:$data, ONNX_Tensor:$indices,
                       ONNX_Tensor:$updates,
                       DefaultValuedStrAttr<StrAttr, "none">:$reduction);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat = "$data `,` $indices `,` $updates attr-dict `:` "
                       "functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_RangeOp : ONNX_Op<"Range", [Pure]> {
  let summary = "1-D tensor start, start + delta, ... below limit";
  let arguments = (ins ONNX_Tensor:$start, ONNX_Tensor:$limit,
                       ONNX_Tensor:$delta);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat = "$start `,` $limit `,` $delta attr-dict `:` "
                       "functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_ReshapeOp : ONNX_Op<"Reshape", [Pure]> {
  let summary = "reshape to the shape given by a 1-D int64 operand";
  let description = [{
    In `shape`, -1 infers one dimension; 0 copies the input's dimension,
    unless `allowzero = 1`, where 0 is a zero-size dimension.
  }];
  let arguments = (ins ONNX_Tensor:$data, ONNX_Tensor:$shape,
                       DefaultValuedAttr<I64Attr, "0">:$allowzero);
  let results = (outs ONNX_Tensor:$reshaped);
  let assemblyFormat =
      "$data `,` $shape attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_ShapeOp : ONNX_InferOp<"Shape"> {
  let summary = "the 1-D int64 shape of `data`, sliced by [start, end)";
  let arguments = (ins ONNX_Tensor:$data, OptionalAttr<I64Attr>:$end,
                       DefaultValuedAttr<I64Attr, "0">:$start);
  let results = (outs ONNX_Tensor:$shape);
  let assemblyFormat =
      "$data attr-dict `:` functional-type(operands, results)";
}

def ONNX_SizeOp : ONNX_InferOp<"Size"> {
  let summary = "the number of elements of `data`, as an int64 scalar";
  let arguments = (ins ONNX_Tensor:$data);
  let results = (outs ONNX_Tensor:$size);
  let assemblyFormat =
      "$data attr-dict `:` functional-type(operands, results)";
}

def ONNX_SliceOp : ONNX_Op<"Slice", [Pure]> {
  let summary = "strided slice; starts/ends/axes/steps are 1-D operands";
  let arguments = (ins ONNX_Tensor:$data, ONNX_Tensor:$starts,
                       ONNX_Tensor:$ends, ONNX_OptTensor:$axes,
                       ONNX_OptTensor:$steps);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat = "$data `,` $starts `,` $ends `,` $axes `,` $steps "
                       "attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_SplitOp : ONNX_Op<"Split", [Pure]> {
  let summary = "split along `axis` into parts";
  let description = [{
    The part sizes come from the `split` operand, or else `num_outputs`
    (near-equal parts, the last smaller), or else the number of results.
  }];
  let arguments = (ins ONNX_Tensor:$input, ONNX_OptTensor:$split,
                       DefaultValuedAttr<I64Attr, "0">:$axis,
                       OptionalAttr<I64Attr>:$num_outputs);
  let results = (outs Variadic<ONNX_Tensor>:$outputs);
  let assemblyFormat =
      "$input `,` $split attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_SqueezeOp : ONNX_Op<"Squeeze", [Pure]> {
  let summary = "remove size-1 dimensions (`axes`, or all of them)";
  let arguments = (ins ONNX_Tensor:$data, ONNX_OptTensor:$axes);
  let results = (outs ONNX_Tensor:$squeezed);
  let assemblyFormat =
      "$data `,` $axes attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_UnsqueezeOp : ONNX_Op<"Unsqueeze", [Pure]> {
  let summary = "insert size-1 dimensions at `axes` (of the result)";
  let arguments = (ins ONNX_Tensor:$data, ONNX_Tensor:$axes);
  let results = (outs ONNX_Tensor:$expanded);
  let assemblyFormat =
      "$data `,` $axes attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_TileOp : ONNX_Op<"Tile", [Pure]> {
  let summary = "repeat `input` along each dimension `repeats` times";
  let arguments = (ins ONNX_Tensor:$input, ONNX_Tensor:$repeats);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat =
      "$input `,` $repeats attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_TransposeOp : ONNX_InferOp<"Transpose"> {
  let summary = "permute dimensions (default: reverse them)";
  let arguments = (ins ONNX_Tensor:$data,
                       OptionalAttr<DenseI64ArrayAttr>:$perm);
  let results = (outs ONNX_Tensor:$transposed);
  let assemblyFormat =
      "$data attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_TriluOp : ONNX_InferOp<"Trilu"> {
  let summary = "upper or lower triangle of the last two dimensions";
  let arguments = (ins ONNX_Tensor:$input, ONNX_OptTensor:$k,
                       DefaultValuedAttr<I64Attr, "1">:$upper);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat =
      "$input `,` $k attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Normalization and activations
//===----------------------------------------------------------------------===//

def ONNX_LayerNormalizationOp : ONNX_InferOp<"LayerNormalization"> {
  let summary = "layer normalization over the trailing axes from `axis`";
  let arguments = (ins ONNX_Tensor:$X, ONNX_Tensor:$Scale, ONNX_OptTensor:$B,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon,
                       DefaultValuedAttr<I64Attr, "1">:$stash_type);
  let results = (outs ONNX_Tensor:$Y, ONNX_OptTensor:$Mean,
                      ONNX_OptTensor:$InvStdDev);
  let assemblyFormat =
      "$X `,` $Scale `,` $B attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_RMSNormalizationOp : ONNX_InferOp<"RMSNormalization"> {
  let summary = "RMS normalization over the trailing axes from `axis`";
  let arguments = (ins ONNX_Tensor:$X, ONNX_Tensor:$scale,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon,
                       DefaultValuedAttr<I64Attr, "1">:$stash_type);
  let results = (outs ONNX_Tensor:$Y);
  let assemblyFormat =
      "$X `,` $scale attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_DropoutOp : ONNX_InferOp<"Dropout"> {
  let summary = "dropout; an identity unless `training_mode` is true";
  let arguments = (ins ONNX_Tensor:$data, ONNX_OptTensor:$ratio,
                       ONNX_OptTensor:$training_mode,
                       OptionalAttr<I64Attr>:$seed);
  let results = (outs ONNX_Tensor:$output, ONNX_OptTensor:$mask);
  let assemblyFormat = "$data `,` $ratio `,` $training_mode attr-dict `:` "
                       "functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Attention and rotary embeddings (opset 23)
//===----------------------------------------------------------------------===//

def ONNX_AttentionOp : ONNX_Op<"Attention", [Pure]> {
  let summary = "scaled dot-product attention (opset 23)";
  let description = [{
    Q, K, V are 4-D [batch, heads, seq, head_size], or 3-D
    [batch, seq, heads * head_size] with `q_num_heads` and `kv_num_heads`
    given. `past_key`/`past_value` are concatenated before K/V into
    `present_key`/`present_value`. `qk_matmul_output_mode` (0-3) selects
    which intermediate `qk_matmul_output` returns. The opset 24 input
    `nonpad_kv_seqlen` is not supported.
  }];
  let arguments = (ins ONNX_Tensor:$Q, ONNX_Tensor:$K, ONNX_Tensor:$V,
                       ONNX_OptTensor:$attn_mask, ONNX_OptTensor:$past_key,
                       ONNX_OptTensor:$past_value,
                       DefaultValuedAttr<I64Attr, "0">:$is_causal,
                       OptionalAttr<I64Attr>:$kv_num_heads,
                       OptionalAttr<I64Attr>:$q_num_heads,
                       DefaultValuedAttr<I64Attr, "0">:$qk_matmul_output_mode,
                       OptionalAttr<F32Attr>:$scale,
                       DefaultValuedAttr<F32Attr, "0.0">:$softcap,
                       OptionalAttr<I64Attr>:$softmax_precision);
  let results = (outs ONNX_Tensor:$Y, ONNX_OptTensor:$present_key,
                      ONNX_OptTensor:$present_value,
                      ONNX_OptTensor:$qk_matmul_output);
  let assemblyFormat = "$Q `,` $K `,` $V `,` $attn_mask `,` $past_key `,` "
      "$past_value attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_RotaryEmbeddingOp : ONNX_InferOp<"RotaryEmbedding"> {
  let summary = "rotary positional embedding (opset 23)";
  let description = [{
    X is [batch, heads, seq, head_size] or [batch, seq, hidden] (then
    `num_heads` is required). Without `position_ids`, the caches are
    [batch, seq, rotary_dim / 2]; with them, [max_position, rotary_dim / 2].
    `rotary_embedding_dim` 0 rotates the whole head.
  }];
  let arguments = (ins ONNX_Tensor:$X, ONNX_Tensor:$cos_cache,
                       ONNX_Tensor:$sin_cache, ONNX_OptTensor:$position_ids,
                       DefaultValuedAttr<I64Attr, "0">:$interleaved,
                       OptionalAttr<I64Attr>:$num_heads,
                       DefaultValuedAttr<I64Attr, "0">:$rotary_embedding_dim);
  let results = (outs ONNX_Tensor:$Y);
  let assemblyFormat = "$X `,` $cos_cache `,` $sin_cache `,` $position_ids "
                       "attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// com.microsoft
//===----------------------------------------------------------------------===//

def ONNX_MSSimplifiedLayerNormalizationOp
    : ONNX_InferOp<"ms.SimplifiedLayerNormalization"> {
  let summary = "com.microsoft RMS normalization";
  let arguments = (ins ONNX_Tensor:$X, ONNX_Tensor:$scale,
                       DefaultValuedAttr<I64Attr, "-1">:$axis,
                       DefaultValuedAttr<F32Attr, "1.0e-5">:$epsilon,
                       DefaultValuedAttr<I64Attr, "1">:$stash_type);
  let results = (outs ONNX_Tensor:$Y, ONNX_OptTensor:$inv_std_var);
  let assemblyFormat =
      "$X `,` $scale attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_MSSkipSimplifiedLayerNormalizationOp
    : ONNX_InferOp<"ms.SkipSimplifiedLayerNormalization"> {
  let summary = "com.microsoft RMS normalization of input + skip (+ bias)";
  let description = [{
    `input_skip_bias_sum` returns input + skip + bias before normalization.
    `mean` is never computed by an RMS norm (ORT leaves it empty).
  }];
  let arguments = (ins ONNX_Tensor:$input, ONNX_Tensor:$skip,
                       ONNX_Tensor:$gamma, ONNX_OptTensor:$bias,
                       DefaultValuedAttr<F32Attr, "1.0e-12">:$epsilon);
  let results = (outs ONNX_Tensor:$output, ONNX_OptTensor:$mean,
                      ONNX_OptTensor:$inv_std_var,
                      ONNX_OptTensor:$input_skip_bias_sum);
  let assemblyFormat = "$input `,` $skip `,` $gamma `,` $bias attr-dict `:` "
                       "functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_MSSkipLayerNormalizationOp
    : ONNX_InferOp<"ms.SkipLayerNormalization"> {
  let summary = "com.microsoft layer normalization of input + skip (+ bias)";
  let arguments = (ins ONNX_Tensor:$input, ONNX_Tensor:$skip,
                       ONNX_Tensor:$gamma, ONNX_OptTensor:$beta,
                       ONNX_OptTensor:$bias,
                       DefaultValuedAttr<F32Attr, "1.0e-12">:$epsilon);
  let results = (outs ONNX_Tensor:$output, ONNX_OptTensor:$mean,
                      ONNX_OptTensor:$inv_std_var,
                      ONNX_OptTensor:$input_skip_bias_sum);
  let assemblyFormat = "$input `,` $skip `,` $gamma `,` $beta `,` $bias "
                       "attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_MSRotaryEmbeddingOp : ONNX_InferOp<"ms.RotaryEmbedding"> {
  let summary = "com.microsoft rotary positional embedding";
  let description = [{
    Note the operand order differs from the opset 23 RotaryEmbedding:
    input, position_ids, cos_cache, sin_cache.
  }];
  let arguments = (ins ONNX_Tensor:$input, ONNX_Tensor:$position_ids,
                       ONNX_Tensor:$cos_cache, ONNX_Tensor:$sin_cache,
                       DefaultValuedAttr<I64Attr, "0">:$interleaved,
                       DefaultValuedAttr<I64Attr, "0">:$is_packed_batching,
                       DefaultValuedAttr<I64Attr, "0">:$num_heads,
                       DefaultValuedAttr<I64Attr, "0">:$rotary_embedding_dim,
                       DefaultValuedAttr<F32Attr, "1.0">:$scale);
  let results = (outs ONNX_Tensor:$output);
  let assemblyFormat = "$input `,` $position_ids `,` $cos_cache `,` "
      "$sin_cache attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_MSGroupQueryAttentionOp : ONNX_Op<"ms.GroupQueryAttention", [Pure]> {
  let summary = "com.microsoft grouped-query attention with a KV cache";
  let description = [{
    `query` is [batch, seq, num_heads * head_size], or packed QKV
    [batch, seq, (num_heads + 2 * kv_num_heads) * head_size] with `key` and
    `value` absent. `seqlens_k` (int32 [batch]) is the total sequence length
    minus one per batch entry; `total_sequence_length` an int32 scalar.
    With `do_rotary`, `cos_cache`/`sin_cache` rotate Q and K. `scale` 0
    means 1 / sqrt(head_size).
  }];
  let arguments = (ins ONNX_Tensor:$query, ONNX_OptTensor:$key,
                       ONNX_OptTensor:$value, ONNX_OptTensor:$past_key,
                       ONNX_OptTensor:$past_value, ONNX_Tensor:$seqlens_k,
                       ONNX_Tensor:$total_sequence_length,
                       ONNX_OptTensor:$cos_cache, ONNX_OptTensor:$sin_cache,
                       ONNX_OptTensor:$position_ids,
                       ONNX_OptTensor:$attention_bias,
                       ONNX_OptTensor:$head_sink,
                       DefaultValuedAttr<I64Attr, "0">:$do_rotary,
                       I64Attr:$kv_num_heads,
                       DefaultValuedAttr<I64Attr, "-1">:$local_window_size,
                       I64Attr:$num_heads,
                       DefaultValuedAttr<I64Attr, "0">:$rotary_interleaved,
                       DefaultValuedAttr<F32Attr, "0.0">:$scale,
                       OptionalAttr<I64Attr>:$smooth_softmax,
                       DefaultValuedAttr<F32Attr, "0.0">:$softcap,
                       DefaultValuedAttr<I64Attr, "0">:$qk_output);
  let results = (outs ONNX_Tensor:$output, ONNX_OptTensor:$present_key,
                      ONNX_OptTensor:$present_value,
                      ONNX_OptTensor:$output_qk);
  let assemblyFormat = "$query `,` $key `,` $value `,` $past_key `,` "
      "$past_value `,` $seqlens_k `,` $total_sequence_length `,` $cos_cache "
      "`,` $sin_cache `,` $position_ids `,` $attention_bias `,` $head_sink "
      "attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_MSMatMulNBitsOp : ONNX_InferOp<"ms.MatMulNBits"> {
  let summary = "com.microsoft A x dequantize(B)^T with blockwise n-bit B";
  let description = [{
    B holds the [N, K] weight quantized to `bits` (2, 4 or 8) per element in
    blocks of `block_size` along K: uint8 [N, ceil(K / block_size),
    block_size * bits / 8]. `scales` has one value per block ([N * n_blocks]
    or [N, n_blocks]). `zero_points` (optional) are packed like B or have
    the scales' type; when absent the zero point is 2^(bits-1), i.e. 8 for
    4 bits. `g_idx` (optional) maps each K index to its block; `bias`
    (optional) is [N]. Y = A x dequant(B)^T (+ bias), [..., N].
    `accuracy_level` is the minimum accumulation precision (0: unset).
  }];
  let arguments = (ins ONNX_Tensor:$A, ONNX_Tensor:$B, ONNX_Tensor:$scales,
                       ONNX_OptTensor:$zero_points, ONNX_OptTensor:$g_idx,
                       ONNX_OptTensor:$bias,
                       I64Attr:$K, I64Attr:$N,
                       DefaultValuedAttr<I64Attr, "0">:$accuracy_level,
                       DefaultValuedAttr<I64Attr, "4">:$bits,
                       I64Attr:$block_size);
  let results = (outs ONNX_Tensor:$Y);
  let assemblyFormat = "$A `,` $B `,` $scales `,` $zero_points `,` $g_idx "
      "`,` $bias attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def ONNX_MSFastGeluOp : ONNX_InferOp<"ms.FastGelu"> {
  let summary = "com.microsoft tanh-approximated GELU of X (+ bias)";
  let arguments = (ins ONNX_Tensor:$X, ONNX_OptTensor:$bias);
  let results = (outs ONNX_Tensor:$Y);
  let assemblyFormat =
      "$X `,` $bias attr-dict `:` functional-type(operands, results)";
}

def ONNX_MSQuickGeluOp : ONNX_InferOp<"ms.QuickGelu"> {
  let summary = "com.microsoft X * sigmoid(alpha * X)";
  let arguments = (ins ONNX_Tensor:$X,
                       DefaultValuedAttr<F32Attr, "1.702">:$alpha);
  let results = (outs ONNX_Tensor:$Y);
  let assemblyFormat = "$X attr-dict `:` functional-type(operands, results)";
}

#endif // SIEVE_ONNX_OPS_TD
