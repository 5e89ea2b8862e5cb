func.func @main() -> (tensor<3xf32>, tensor<2xf16>) {
  %a = onnx.Constant {value = #onnx.external<"weights.data", 4, 12> : tensor<3xf32>} : tensor<3xf32>
  %b = onnx.Constant {value = #onnx.external<"weights.data", 16, 4> : tensor<2xf16>} : tensor<2xf16>
  return %a, %b : tensor<3xf32>, tensor<2xf16>
}
