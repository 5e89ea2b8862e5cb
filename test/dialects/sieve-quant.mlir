// RUN: sieve-opt %s | FileCheck %s
// RUN: sieve-opt %s | sieve-opt | FileCheck %s

// Quantized weight formats and KV-cache formats round-trip.

// CHECK-LABEL: func.func @formats
// CHECK: sieve.quantized_weight "w8" {data = #onnx.external<"q.bin", 0, 96> : tensor<12x8xi8>, format = #sieve.quant<int8>, scales = #onnx.external<"q.bin", 128, 48> : tensor<12xf32>} : tensor<8x12xf32>
// CHECK: sieve.quantized_weight "w4" {data = #onnx.external<"q.bin", 0, 48> : tensor<12x8xui4>, format = #sieve.quant<int4, group = 4, asym>, input_scales = #onnx.external<"q.bin", 256, 32> : tensor<8xf32>, scales = #onnx.external<"q.bin", 64, 48> : tensor<12x2xf16>, zeros = #onnx.external<"q.bin", 128, 12> : tensor<12x2xui4>} : tensor<8x12xf16>
// CHECK: sieve.quantized_weight {data = #onnx.external<"q.bin", 0, 96> : tensor<12x8xf8E4M3FN>, format = #sieve.quant<fp8>, scales = #onnx.external<"q.bin", 128, 48> : tensor<12xf32>} : tensor<8x12xf32>
func.func @formats(%x: tensor<1x?x8xf32>) -> (tensor<1x?x12xf32>, tensor<8x12xf16>, tensor<1x?x12xf32>) {
  %w8 = sieve.quantized_weight "w8" {format = #sieve.quant<int8>, data = #onnx.external<"q.bin", 0, 96> : tensor<12x8xi8>, scales = #onnx.external<"q.bin", 128, 48> : tensor<12xf32>} : tensor<8x12xf32>
  %y8 = sieve.linear %x, %w8 : (tensor<1x?x8xf32>, tensor<8x12xf32>) -> tensor<1x?x12xf32>
  %w4 = sieve.quantized_weight "w4" {format = #sieve.quant<int4, group = 4, asym>, data = #onnx.external<"q.bin", 0, 48> : tensor<12x8xui4>, scales = #onnx.external<"q.bin", 64, 48> : tensor<12x2xf16>, zeros = #onnx.external<"q.bin", 128, 12> : tensor<12x2xui4>, input_scales = #onnx.external<"q.bin", 256, 32> : tensor<8xf32>} : tensor<8x12xf16>
  %wf = sieve.quantized_weight {format = #sieve.quant<fp8>, data = #onnx.external<"q.bin", 0, 96> : tensor<12x8xf8E4M3FN>, scales = #onnx.external<"q.bin", 128, 48> : tensor<12xf32>} : tensor<8x12xf32>
  %yf = sieve.linear %x, %wf : (tensor<1x?x8xf32>, tensor<8x12xf32>) -> tensor<1x?x12xf32>
  return %y8, %w4, %yf : tensor<1x?x12xf32>, tensor<8x12xf16>, tensor<1x?x12xf32>
}

// As --sieve-raise makes them from a model's inline arrays: dense_resource
// blobs of the stored bytes, and int4 group scales in f32.
// CHECK-LABEL: func.func @raised
// CHECK: sieve.quantized_weight {data = dense_resource<codes> : tensor<2x4xui4>, format = #sieve.quant<int4, group = 4, asym>, scales = dense_resource<scales> : tensor<2x1xf32>, zeros = dense_resource<zeros> : tensor<2x1xui4>} : tensor<4x2xf32>
func.func @raised() -> tensor<4x2xf32> {
  %w = sieve.quantized_weight {format = #sieve.quant<int4, group = 4, asym>, data = dense_resource<codes> : tensor<2x4xui4>, scales = dense_resource<scales> : tensor<2x1xf32>, zeros = dense_resource<zeros> : tensor<2x1xui4>} : tensor<4x2xf32>
  return %w : tensor<4x2xf32>
}

// CHECK-LABEL: func.func @kv
// CHECK: kv = #sieve.kv<int8>
// CHECK: kv = #sieve.kv<fp8>
// CHECK: kv = #sieve.kv<int4, group = 2>
func.func @kv(%q: tensor<1x?x8xf32>, %k: tensor<1x?x4xf32>) -> (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>) {
  %a = sieve.attention %q, %k, %k {num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, kv = #sieve.kv<int8>} : (tensor<1x?x8xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %b = sieve.attention %q, %k, %k {num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, kv = #sieve.kv<fp8>} : (tensor<1x?x8xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  %c = sieve.attention %q, %k, %k {num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, kv = #sieve.kv<int4, group = 2>} : (tensor<1x?x8xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  return %a, %b, %c : tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>
}

{-#
  dialect_resources: {
    builtin: {
      codes: "0x0100000001234567",
      scales: "0x040000000000803F0000003F",
      zeros: "0x0100000088"
    }
  }
#-}
