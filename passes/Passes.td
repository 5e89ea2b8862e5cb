//===- Passes.td - sieve passes -----------------------------*- tablegen -*-===//

#ifndef SIEVE_PASSES_TD
#define SIEVE_PASSES_TD

include "mlir/Pass/PassBase.td"

def SieveSimplify : Pass<"sieve-simplify", "mlir::ModuleOp"> {
  let summary = "Fold the shape computations of an imported ONNX graph";
  let description = [{
    Exporters compute masks, positions and reshape targets from the input
    shape at run time: Shape/Gather/Concat/Range/CumSum/Equal/Where chains.
    This pass refines result types from the operand types, folds every
    computation whose value the static dimensions determine, rewrites what
    depends only on the sequence length into a few dynamic ops, and
    canonicalizes the obvious identities (Reshape to the same shape, Cast to
    the same type, Expand to the same shape, ...), so that only the real
    tensor work remains.

    Before:
    ```mlir
    %s = onnx.Shape %x {start = 2 : i64} : (tensor<1x?x256xf32>) -> tensor<1xi64>
    %t = onnx.Concat %c1, %s {axis = 0 : i64} : ...
    %r = onnx.Reshape %y, %t : ...
    ```
    After: the Reshape takes a constant target where the static sizes
    determine it.
  }];
  let dependentDialects = ["sieve::onnx::ONNXDialect"];
}

#endif // SIEVE_PASSES_TD
