// The CPU reference holds floats as float32: an f64 argument, constant or op
// result is refused with one error line and a non-zero exit, rather than
// computed in silently narrowed precision.
// RUN: not sieve-run %s --func arg --inputs "1,2" 2>&1 | FileCheck %s --check-prefix=ARG
// ARG: sieve-run: error: {{.*}}element type f64 is not supported by the CPU reference (argument 0 of @arg)
// ARG-NOT: result
// RUN: not sieve-run %s --func constant 2>&1 | FileCheck %s --check-prefix=CONST
// CONST: sieve-run: error: node 'c64': element type f64 is not supported by the CPU reference
// CONST-NOT: result
// RUN: not sieve-run %s --func cast 2>&1 | FileCheck %s --check-prefix=CAST
// CAST: sieve-run: error: node 'to_f64': element type f64 is not supported by the CPU reference
// CAST-NOT: result

func.func @arg(%x: tensor<2xf64>) -> tensor<2xf64> {
  %y = onnx.Add %x, %x : (tensor<2xf64>, tensor<2xf64>) -> tensor<2xf64>
  return %y : tensor<2xf64>
}

func.func @constant() -> tensor<2xf64> {
  %c = onnx.Constant {value = dense<[1.0, 2.0]> : tensor<2xf64>} : tensor<2xf64> loc("c64")
  return %c : tensor<2xf64>
}

func.func @cast() -> tensor<2xf64> {
  %c = onnx.Constant {value = dense<[1.0, 2.0]> : tensor<2xf32>} : tensor<2xf32>
  %y = onnx.Cast %c {to = f64} : (tensor<2xf32>) -> tensor<2xf64> loc("to_f64")
  return %y : tensor<2xf64>
}
