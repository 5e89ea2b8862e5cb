func.func @main() -> tensor<?x?xf32> {
  %x = onnx.Constant {value = dense<1.0> : tensor<2x3xf32>} : tensor<2x3xf32>
  %s = onnx.Constant {value = dense<[4, -1]> : tensor<2xi64>} : tensor<2xi64>
  %y = onnx.Reshape %x, %s : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<?x?xf32> loc("reshape_node")
  return %y : tensor<?x?xf32>
}
