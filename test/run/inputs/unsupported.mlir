func.func @main() -> tensor<f32> {
  %x = onnx.Constant {value = dense<[1.0, 2.0, 3.0]> : tensor<3xf32>} : tensor<3xf32>
  %y = onnx.Einsum %x, %x {equation = "i,i->"} : (tensor<3xf32>, tensor<3xf32>) -> tensor<f32> loc("einsum_node")
  return %y : tensor<f32>
}
