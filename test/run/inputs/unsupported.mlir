func.func @main() -> tensor<2xf32> {
  %x = onnx.Constant {value = dense<[1.0, 2.0, 3.0]> : tensor<3xf32>} : tensor<3xf32>
  %k = onnx.Constant {value = dense<[2]> : tensor<1xi64>} : tensor<1xi64>
  %v, %i = onnx.TopK %x, %k : (tensor<3xf32>, tensor<1xi64>) -> (tensor<2xf32>, tensor<2xi64>) loc("topk_node")
  return %v : tensor<2xf32>
}
