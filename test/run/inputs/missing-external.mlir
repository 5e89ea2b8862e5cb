func.func @main() -> tensor<2xf32> {
  %w = onnx.Constant {value = #onnx.external<"no-such-file.data", 0, 8> : tensor<2xf32>} : tensor<2xf32> loc("w")
  return %w : tensor<2xf32>
}
