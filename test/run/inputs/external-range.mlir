// Names itself as the data file, with a range past its end.
func.func @main() -> tensor<256xf32> {
  %w = onnx.Constant {value = #onnx.external<"external-range.mlir", 0, 1024> : tensor<256xf32>} : tensor<256xf32> loc("w")
  return %w : tensor<256xf32>
}
