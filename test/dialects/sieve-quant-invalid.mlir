// RUN: sieve-opt %s -split-input-file -verify-diagnostics

func.func @group_not_dividing() -> tensor<8x12xf32> {
  // expected-error @+1 {{group 6 does not divide the input dimension 8}}
  %w = sieve.quantized_weight {format = #sieve.quant<int4, group = 6, asym>, data = #onnx.external<"q.bin", 0, 48> : tensor<12x8xui4>, scales = #onnx.external<"q.bin", 64, 48> : tensor<12x2xf16>, zeros = #onnx.external<"q.bin", 128, 12> : tensor<12x2xui4>} : tensor<8x12xf32>
  return %w : tensor<8x12xf32>
}

// -----

func.func @odd_group() -> tensor<8x12xf32> {
  // expected-error @+1 {{int4 weights need an even group >= 2, got 3}}
  %w = sieve.quantized_weight {format = #sieve.quant<int4, group = 3, asym>, data = #onnx.external<"q.bin", 0, 48> : tensor<12x8xui4>, scales = #onnx.external<"q.bin", 64, 48> : tensor<12x2xf16>} : tensor<8x12xf32>
  return %w : tensor<8x12xf32>
}

// -----

func.func @sym_int4() -> tensor<8x12xf32> {
  // expected-error @+1 {{int4 weights are asymmetric (asym): symmetric int4 is not implemented}}
  %w = sieve.quantized_weight {format = #sieve.quant<int4, group = 4>, data = #onnx.external<"q.bin", 0, 48> : tensor<12x8xui4>, scales = #onnx.external<"q.bin", 64, 48> : tensor<12x2xf16>} : tensor<8x12xf32>
  return %w : tensor<8x12xf32>
}

// -----

func.func @int8_group() -> tensor<8x12xf32> {
  // expected-error @+1 {{int8 weights are per output channel and symmetric (no group, no asym)}}
  %w = sieve.quantized_weight {format = #sieve.quant<int8, group = 4>, data = #onnx.external<"q.bin", 0, 96> : tensor<12x8xi8>, scales = #onnx.external<"q.bin", 128, 48> : tensor<12xf32>} : tensor<8x12xf32>
  return %w : tensor<8x12xf32>
}

// -----

func.func @unknown_format() -> tensor<8x12xf32> {
  // expected-error @+1 {{unknown quantized format 'int3' (expected int8, int4 or fp8)}}
  %w = sieve.quantized_weight {format = #sieve.quant<int3>, data = #onnx.external<"q.bin", 0, 96> : tensor<12x8xi8>, scales = #onnx.external<"q.bin", 128, 48> : tensor<12xf32>} : tensor<8x12xf32>
  return %w : tensor<8x12xf32>
}

// -----

func.func @data_not_transposed() -> tensor<8x12xf32> {
  // expected-error @+1 {{data must be 'tensor<12x8xi8>', got 'tensor<8x12xi8>'}}
  %w = sieve.quantized_weight {format = #sieve.quant<int8>, data = #onnx.external<"q.bin", 0, 96> : tensor<8x12xi8>, scales = #onnx.external<"q.bin", 128, 48> : tensor<12xf32>} : tensor<8x12xf32>
  return %w : tensor<8x12xf32>
}

// -----

func.func @int4_scales_bf16() -> tensor<8x12xf32> {
  // expected-error @+1 {{scales must be 'tensor<12x2xf16>' (or f32 elements), got 'tensor<12x2xbf16>'}}
  %w = sieve.quantized_weight {format = #sieve.quant<int4, group = 4, asym>, data = #onnx.external<"q.bin", 0, 48> : tensor<12x8xui4>, scales = #onnx.external<"q.bin", 64, 48> : tensor<12x2xbf16>, zeros = #onnx.external<"q.bin", 128, 12> : tensor<12x2xui4>} : tensor<8x12xf32>
  return %w : tensor<8x12xf32>
}

// -----

// Inline arrays are dense_resource blobs of the stored bytes, not dense
// literals (a ui4 dense literal does not hold packed bytes).
func.func @int8_dense_literal() -> tensor<2x2xf32> {
  // expected-error @+1 {{scales must be #onnx.external or dense_resource}}
  %w = sieve.quantized_weight {format = #sieve.quant<int8>, data = #onnx.external<"q.bin", 0, 4> : tensor<2x2xi8>, scales = dense<1.0> : tensor<2xf32>} : tensor<2x2xf32>
  return %w : tensor<2x2xf32>
}

// -----

func.func @int4_blob_size() -> tensor<4x2xf32> {
  // expected-error @+1 {{data's blob holds 8 bytes, 'tensor<2x4xui4>' needs 4}}
  %w = sieve.quantized_weight {format = #sieve.quant<int4, group = 4, asym>, data = dense_resource<codes> : tensor<2x4xui4>, scales = dense_resource<scales> : tensor<2x1xf32>, zeros = dense_resource<zeros> : tensor<2x1xui4>} : tensor<4x2xf32>
  return %w : tensor<4x2xf32>
}

{-#
  dialect_resources: {
    builtin: {
      codes: "0x010000000102030405060708",
      scales: "0x040000000000803F0000803F",
      zeros: "0x0100000088"
    }
  }
#-}

// -----

func.func @int4_no_zeros() -> tensor<8x12xf32> {
  // expected-error @+1 {{int4 weights need zeros}}
  %w = sieve.quantized_weight {format = #sieve.quant<int4, group = 4, asym>, data = #onnx.external<"q.bin", 0, 48> : tensor<12x8xui4>, scales = #onnx.external<"q.bin", 64, 48> : tensor<12x2xf16>} : tensor<8x12xf32>
  return %w : tensor<8x12xf32>
}

// -----

func.func @fp8_zeros() -> tensor<8x12xf32> {
  // expected-error @+1 {{symmetric fp8 weights have no zeros}}
  %w = sieve.quantized_weight {format = #sieve.quant<fp8>, data = #onnx.external<"q.bin", 0, 96> : tensor<12x8xf8E4M3FN>, scales = #onnx.external<"q.bin", 128, 48> : tensor<12xf32>, zeros = #onnx.external<"q.bin", 128, 6> : tensor<12xui4>} : tensor<8x12xf32>
  return %w : tensor<8x12xf32>
}

// -----

func.func @input_scales_size() -> tensor<8x12xf32> {
  // expected-error @+1 {{input_scales must be 'tensor<8xf32>', got 'tensor<12xf32>'}}
  %w = sieve.quantized_weight {format = #sieve.quant<int8>, data = #onnx.external<"q.bin", 0, 96> : tensor<12x8xi8>, scales = #onnx.external<"q.bin", 128, 48> : tensor<12xf32>, input_scales = #onnx.external<"q.bin", 128, 48> : tensor<12xf32>} : tensor<8x12xf32>
  return %w : tensor<8x12xf32>
}

// -----

func.func @kv_group(%q: tensor<1x?x8xf32>, %k: tensor<1x?x4xf32>) -> tensor<1x?x8xf32> {
  // expected-error @+1 {{KV group 8 does not divide head_dim 4}}
  %a = sieve.attention %q, %k, %k {num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, kv = #sieve.kv<int4, group = 8>} : (tensor<1x?x8xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  return %a : tensor<1x?x8xf32>
}

// -----

func.func @kv_int8_group(%q: tensor<1x?x8xf32>, %k: tensor<1x?x4xf32>) -> tensor<1x?x8xf32> {
  // expected-error @+1 {{a int8 KV cache has one scale per vector (no group), got group 2}}
  %a = sieve.attention %q, %k, %k {num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32, kv = #sieve.kv<int8, group = 2>} : (tensor<1x?x8xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  return %a : tensor<1x?x8xf32>
}
