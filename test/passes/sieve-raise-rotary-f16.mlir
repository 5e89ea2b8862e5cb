// RUN: sieve-opt %s --sieve-raise | FileCheck %s

// RotaryEmbedding on float16 activations whose cos/sin caches are float16
// resource blobs (as an fp16 export or bench/make_llama_shape_onnx.py
// --dtype fp16 writes them): the caches are read as f16, checked against
// cos/sin(p * inv_freq) within the f16 rounding of their values, and
// inv_freq ([1, 0.01] here) is recovered.
// CHECK-LABEL: func.func @rotary_embedding_f16_caches
// CHECK: %[[INV:.*]] = sieve.weight {value = dense<[{{1\.0000[0-9]*|0\.9999[0-9]*}}, {{0\.0100[0-9]*|0\.0099[0-9]*}}]> : tensor<2xf32>} : tensor<2xf32>
// CHECK: sieve.rotary %arg0, %[[INV]] {head_dim = 4 : i64, num_heads = 2 : i64, rotary_dim = 4 : i64, {{.*}}} : (tensor<1x?x8xf16>, tensor<2xf32>) -> tensor<1x?x8xf16>
// CHECK-NOT: onnx.RotaryEmbedding
func.func @rotary_embedding_f16_caches(%x: tensor<1x?x8xf16>) -> tensor<1x?x8xf16> {
  %cos = onnx.Constant {value = dense_resource<cos_f16> : tensor<8x2xf16>} : tensor<8x2xf16>
  %sin = onnx.Constant {value = dense_resource<sin_f16> : tensor<8x2xf16>} : tensor<8x2xf16>
  %zero = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %one = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %ax0 = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %shape = onnx.Shape %x : (tensor<1x?x8xf16>) -> tensor<3xi64>
  %seq = onnx.Gather %shape, %one : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %r = onnx.Range %zero, %seq, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %pos = onnx.Unsqueeze %r, %ax0 : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %y = onnx.RotaryEmbedding %x, %cos, %sin, %pos {num_heads = 2 : i64} : (tensor<1x?x8xf16>, tensor<8x2xf16>, tensor<8x2xf16>, tensor<1x?xi64>) -> tensor<1x?x8xf16>
  return %y : tensor<1x?x8xf16>
}

{-#
  dialect_resources: {
    builtin: {
      cos_f16: "0x02000000003C003C5338003CA9B6003CECBBFF3B3BB9FE3B8A34FD3BAE3BFC3B083AFB3B",
      sin_f16: "0x0200000000000000BB3A1F21463B1F258430AE270EBA1E29ACBB662A78B4AD2B42397A2C"
    }
  }
#-}
