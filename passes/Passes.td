//===- Passes.td - sieve passes -----------------------------*- tablegen -*-===//

#ifndef SIEVE_PASSES_TD
#define SIEVE_PASSES_TD

include "mlir/Pass/PassBase.td"

def SieveSimplify : Pass<"sieve-simplify", "mlir::ModuleOp"> {
  let summary = "Fold the shape computations of an imported ONNX graph";
  let description = [{
    Exporters compute masks, positions and reshape targets from the input
    shape at run time: Shape/Gather/Concat/Range/CumSum/Equal/Where chains.
    This pass leaves only the real tensor work. It alternates two steps
    until nothing changes:

    1. A symbolic shape analysis walks each function in order. Every
       dimension is a constant or an affine `a * sym + b` of a symbol (the
       dynamic sizes of the arguments, or anything it cannot name); small
       integer tensors (shape vectors, indices, scalars: at most 64
       elements) carry their elements the same way, and integer tensors of
       any shape whose elements are `base + sum_k coef_k * index_k` (iotas
       from Range, splats) carry that form. From it the walk
       - replaces every integer tensor it knows by an `onnx.Constant`
         (Shape, Size, Gather, Slice, Concat, Unsqueeze, Squeeze, Reshape,
         Cast, Add/Sub/Mul/Div, Max/Min, comparisons, And/Or/Not, Where,
         Range, ConstantOfShape, Expand, CumSum and GatherND of splats);
       - writes Reshape targets as constants with 0 (copy, allowzero = 0)
         or one -1 for the dynamic sizes, Expand shapes with 1 where the
         input keeps its dynamic size, Slice bounds `size + k` as `k` or
         INT64_MAX;
       - forwards the passing operand of And(x, true), Or(x, false),
         integer Add(x, 0)/Mul(x, 1), and Where with a uniform condition,
         when that operand already has the result's shape;
       - refines result types to the sizes it proves, and the function's
         result types with them.
    2. A greedy rewrite with the identities on static types (Reshape to the
       input's shape, Reshape of Reshape, Expand that does not broadcast,
       Cast to the same type, Identity, identity Transpose, full Slice),
       constant folding of ops whose operands are all inline constants
       (never `dense_resource` or `#onnx.external` weights), and dead code
       elimination.

    Dynamic sizes are assumed nonnegative; nothing else about them is.

    Before:
    ```mlir
    %s = onnx.Shape %x {start = 1 : i64, end = 2 : i64}
        : (tensor<1x?x256xf32>) -> tensor<1xi64>
    %t = onnx.Concat %c1, %s, %c4, %c64 {axis = 0 : i64} : ...
    %r = onnx.Reshape %x, %t : (tensor<1x?x256xf32>, tensor<4xi64>)
        -> tensor<?x?x?x?xf32>
    ```
    After:
    ```mlir
    %t = onnx.Constant {value = dense<[1, -1, 4, 64]> : tensor<4xi64>}
        : tensor<4xi64>
    %r = onnx.Reshape %x, %t : (tensor<1x?x256xf32>, tensor<4xi64>)
        -> tensor<1x?x4x64xf32>
    ```
  }];
  let options = [
    Option<"maxFoldElements", "max-fold-elements", "int64_t",
           /*default=*/"1 << 20",
           "Largest number of elements of a non-splat constant that folding "
           "creates">,
  ];
  let dependentDialects = ["sieve::onnx::ONNXDialect"];
}

#endif // SIEVE_PASSES_TD
