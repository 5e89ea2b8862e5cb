// RUN: sieve-opt %s -split-input-file --sieve-raise -verify-diagnostics | FileCheck %s
//
// The one-op forms: opset-23 RMSNormalization / RotaryEmbedding / Attention,
// com.microsoft SimplifiedLayerNormalization / SkipSimplifiedLayerNormalization
// / MatMulNBits / GroupQueryAttention (with the session's KV cache), and the
// near misses that must not raise (remark naming why; the op stays).

// CHECK-LABEL: func.func @rms_normalization
// CHECK: %[[W:.*]] = sieve.weight {value = dense<5.000000e-01> : tensor<8xf32>}
// CHECK: sieve.rms_norm %arg0, %[[W]] {epsilon = 9.99999997E-7 : f32} : (tensor<1x?x8xf32>, tensor<8xf32>) -> tensor<1x?x8xf32>
// CHECK-NOT: onnx.RMS
func.func @rms_normalization(%x: tensor<1x?x8xf32>) -> tensor<1x?x8xf32> {
  %w = onnx.Constant {value = dense<0.5> : tensor<8xf32>} : tensor<8xf32>
  %y = onnx.RMSNormalization %x, %w {epsilon = 1.0e-6 : f32} : (tensor<1x?x8xf32>, tensor<8xf32>) -> tensor<1x?x8xf32>
  return %y : tensor<1x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @simplified_layer_norm
// CHECK: sieve.rms_norm %arg0, %{{.*}} {epsilon = 9.99999974E-6 : f32}
func.func @simplified_layer_norm(%x: tensor<2x?x8xf32>) -> tensor<2x?x8xf32> {
  %w = onnx.Constant {value = dense<0.5> : tensor<8xf32>} : tensor<8xf32>
  %y, %inv = onnx.ms.SimplifiedLayerNormalization %x, %w {epsilon = 1.0e-5 : f32} : (tensor<2x?x8xf32>, tensor<8xf32>) -> (tensor<2x?x8xf32>, none)
  return %y : tensor<2x?x8xf32>
}

// -----

// A norm over axis 1 is not sieve.rms_norm.
// CHECK-LABEL: func.func @simplified_layer_norm_not_last_axis
// CHECK: onnx.ms.SimplifiedLayerNormalization
func.func @simplified_layer_norm_not_last_axis(%x: tensor<2x8x8xf32>) -> tensor<2x8x8xf32> {
  %w = onnx.Constant {value = dense<0.5> : tensor<8x8xf32>} : tensor<8x8xf32>
  // expected-remark @+1 {{not raised: onnx.ms.SimplifiedLayerNormalization: it does not normalize the last axis only}}
  %y, %inv = onnx.ms.SimplifiedLayerNormalization %x, %w {axis = 1 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x8x8xf32>, tensor<8x8xf32>) -> (tensor<2x8x8xf32>, none)
  return %y : tensor<2x8x8xf32>
}

// -----

// The sum (the residual stream) is a sieve.add that feeds the norm and the
// 4th result's users.
// CHECK-LABEL: func.func @skip_simplified_layer_norm
// CHECK: %[[S:.*]] = sieve.add %arg1, %arg0 : tensor<1x?x8xf32>
// CHECK: %[[N:.*]] = sieve.rms_norm %[[S]], %{{.*}} {epsilon = 9.99999997E-7 : f32}
// CHECK: return %[[N]], %[[S]]
func.func @skip_simplified_layer_norm(%x: tensor<1x?x8xf32>, %res: tensor<1x?x8xf32>) -> (tensor<1x?x8xf32>, tensor<1x?x8xf32>) {
  %w = onnx.Constant {value = dense<0.5> : tensor<8xf32>} : tensor<8xf32>
  %none = onnx.NoValue
  %y, %m, %inv, %sum = onnx.ms.SkipSimplifiedLayerNormalization %x, %res, %w, %none {epsilon = 1.0e-6 : f32} : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<8xf32>, none) -> (tensor<1x?x8xf32>, none, none, tensor<1x?x8xf32>)
  return %y, %sum : tensor<1x?x8xf32>, tensor<1x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @skip_simplified_layer_norm_bias
// CHECK: onnx.ms.SkipSimplifiedLayerNormalization
func.func @skip_simplified_layer_norm_bias(%x: tensor<1x?x8xf32>, %res: tensor<1x?x8xf32>) -> tensor<1x?x8xf32> {
  %w = onnx.Constant {value = dense<0.5> : tensor<8xf32>} : tensor<8xf32>
  %b = onnx.Constant {value = dense<0.1> : tensor<8xf32>} : tensor<8xf32>
  // expected-remark @+1 {{not raised: SkipSimplifiedLayerNormalization: a bias is not supported}}
  %y, %m, %inv, %sum = onnx.ms.SkipSimplifiedLayerNormalization %x, %res, %w, %b {epsilon = 1.0e-6 : f32} : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> (tensor<1x?x8xf32>, none, none, tensor<1x?x8xf32>)
  return %y : tensor<1x?x8xf32>
}

// -----

// Caches cos/sin(p * [1, 0.01]) for p < 4, positions Range(0, seq) as
// [1, seq]: inv_freq is recovered.
// CHECK-LABEL: func.func @rotary_embedding
// CHECK: %[[INV:.*]] = sieve.weight {value = dense<[1.000000e+00, 0.00999999977]> : tensor<2xf32>} : tensor<2xf32>
// CHECK: sieve.rotary %arg0, %[[INV]] {head_dim = 4 : i64, num_heads = 2 : i64, rotary_dim = 4 : i64, style = #sieve.rotary_style<half>} : (tensor<1x?x8xf32>, tensor<2xf32>) -> tensor<1x?x8xf32>
// CHECK-NOT: onnx.RotaryEmbedding
func.func @rotary_embedding(%x: tensor<1x?x8xf32>) -> tensor<1x?x8xf32> {
  %cos = onnx.Constant {value = dense<[[1.0, 1.0], [0.5403022766113281, 0.9999499917030334], [-0.416146844625473, 0.9998000264167786], [-0.9899924993515015, 0.9995500445365906]]> : tensor<4x2xf32>} : tensor<4x2xf32>
  %sin = onnx.Constant {value = dense<[[0.0, 0.0], [0.8414709568023682, 0.009999833069741726], [0.9092974066734314, 0.019998665899038315], [0.14112000167369843, 0.029995501041412354]]> : tensor<4x2xf32>} : tensor<4x2xf32>
  %zero = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %one = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %ax0 = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %shape = onnx.Shape %x : (tensor<1x?x8xf32>) -> tensor<3xi64>
  %seq = onnx.Gather %shape, %one : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %r = onnx.Range %zero, %seq, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %pos = onnx.Unsqueeze %r, %ax0 : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %y = onnx.RotaryEmbedding %x, %cos, %sin, %pos {num_heads = 2 : i64} : (tensor<1x?x8xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<1x?xi64>) -> tensor<1x?x8xf32>
  return %y : tensor<1x?x8xf32>
}

// -----

// Row 2 of the cos cache is off: the caches are not cos/sin(p * inv_freq).
// CHECK-LABEL: func.func @rotary_embedding_caches_not_angles
// CHECK: onnx.RotaryEmbedding
func.func @rotary_embedding_caches_not_angles(%x: tensor<1x?x8xf32>) -> tensor<1x?x8xf32> {
  %cos = onnx.Constant {value = dense<[[1.0, 1.0], [0.5403022766113281, 0.9999499917030334], [-0.3, 0.9998000264167786], [-0.9899924993515015, 0.9995500445365906]]> : tensor<4x2xf32>} : tensor<4x2xf32>
  %sin = onnx.Constant {value = dense<[[0.0, 0.0], [0.8414709568023682, 0.009999833069741726], [0.9092974066734314, 0.019998665899038315], [0.14112000167369843, 0.029995501041412354]]> : tensor<4x2xf32>} : tensor<4x2xf32>
  %zero = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %one = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %ax0 = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %shape = onnx.Shape %x : (tensor<1x?x8xf32>) -> tensor<3xi64>
  %seq = onnx.Gather %shape, %one : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %r = onnx.Range %zero, %seq, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %pos = onnx.Unsqueeze %r, %ax0 : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  // expected-remark @+1 {{not raised: onnx.RotaryEmbedding: the cos/sin caches are not cos/sin of positions x inv_freq (row 2, pair 0)}}
  %y = onnx.RotaryEmbedding %x, %cos, %sin, %pos {num_heads = 2 : i64} : (tensor<1x?x8xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<1x?xi64>) -> tensor<1x?x8xf32>
  return %y : tensor<1x?x8xf32>
}

// -----

// Positions given by the caller are not the session's implicit positions.
// CHECK-LABEL: func.func @rotary_embedding_position_argument
// CHECK: onnx.RotaryEmbedding
func.func @rotary_embedding_position_argument(%x: tensor<1x?x8xf32>, %pos: tensor<1x?xi64>) -> tensor<1x?x8xf32> {
  %cos = onnx.Constant {value = dense<[[1.0, 1.0], [0.5403022766113281, 0.9999499917030334], [-0.416146844625473, 0.9998000264167786], [-0.9899924993515015, 0.9995500445365906]]> : tensor<4x2xf32>} : tensor<4x2xf32>
  %sin = onnx.Constant {value = dense<[[0.0, 0.0], [0.8414709568023682, 0.009999833069741726], [0.9092974066734314, 0.019998665899038315], [0.14112000167369843, 0.029995501041412354]]> : tensor<4x2xf32>} : tensor<4x2xf32>
  // expected-remark @+1 {{not raised: onnx.RotaryEmbedding: position_ids are not the positions (Range(0, seq) or a genai position_ids argument)}}
  %y = onnx.RotaryEmbedding %x, %cos, %sin, %pos {num_heads = 2 : i64} : (tensor<1x?x8xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<1x?xi64>) -> tensor<1x?x8xf32>
  return %y : tensor<1x?x8xf32>
}

// -----

// com.microsoft RotaryEmbedding (input, position_ids, cos, sin) reading the
// position_ids argument of a genai export: the session's positions stand
// for it, and the argument is dropped.
// CHECK-LABEL: func.func @ms_rotary_position_ids
// CHECK-SAME: (%arg0: tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
// CHECK: sieve.rotary %arg0, %{{.*}} {head_dim = 4 : i64, num_heads = 2 : i64, rotary_dim = 4 : i64, style = #sieve.rotary_style<interleaved>}
// expected-remark @+1 {{sieve-raise: the session's positions stand for argument(s): position_ids}}
func.func @ms_rotary_position_ids(%x: tensor<1x?x8xf32>, %pos: tensor<1x?xi64> {onnx.name = "position_ids"}) -> tensor<1x?x8xf32> {
  %cos = onnx.Constant {value = dense<[[1.0, 1.0], [0.5403022766113281, 0.9999499917030334], [-0.416146844625473, 0.9998000264167786], [-0.9899924993515015, 0.9995500445365906]]> : tensor<4x2xf32>} : tensor<4x2xf32>
  %sin = onnx.Constant {value = dense<[[0.0, 0.0], [0.8414709568023682, 0.009999833069741726], [0.9092974066734314, 0.019998665899038315], [0.14112000167369843, 0.029995501041412354]]> : tensor<4x2xf32>} : tensor<4x2xf32>
  %y = onnx.ms.RotaryEmbedding %x, %pos, %cos, %sin {interleaved = 1 : i64} : (tensor<1x?x8xf32>, tensor<1x?xi64>, tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<1x?x8xf32>
  return %y : tensor<1x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @ms_rotary_scale
// CHECK: onnx.ms.RotaryEmbedding
func.func @ms_rotary_scale(%x: tensor<1x?x8xf32>, %pos: tensor<1x?xi64> {onnx.name = "position_ids"}) -> tensor<1x?x8xf32> {
  %cos = onnx.Constant {value = dense<[[1.0, 1.0], [0.5403022766113281, 0.9999499917030334], [-0.416146844625473, 0.9998000264167786], [-0.9899924993515015, 0.9995500445365906]]> : tensor<4x2xf32>} : tensor<4x2xf32>
  %sin = onnx.Constant {value = dense<[[0.0, 0.0], [0.8414709568023682, 0.009999833069741726], [0.9092974066734314, 0.019998665899038315], [0.14112000167369843, 0.029995501041412354]]> : tensor<4x2xf32>} : tensor<4x2xf32>
  // expected-remark @+1 {{not raised: onnx.ms.RotaryEmbedding: a scale other than 1 is not raised}}
  %y = onnx.ms.RotaryEmbedding %x, %pos, %cos, %sin {num_heads = 2 : i64, scale = 2.0 : f32} : (tensor<1x?x8xf32>, tensor<1x?xi64>, tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<1x?x8xf32>
  return %y : tensor<1x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @attention_3d_causal
// CHECK: sieve.attention %arg0, %arg1, %arg2 {head_dim = 4 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 5.000000e-01 : f32} : (tensor<1x?x8xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
// CHECK-NOT: onnx.Attention
func.func @attention_3d_causal(%q: tensor<1x?x8xf32>, %k: tensor<1x?x4xf32>, %v: tensor<1x?x4xf32>) -> tensor<1x?x8xf32> {
  %none = onnx.NoValue
  %y, %pk, %pv, %qk = onnx.Attention %q, %k, %v, %none, %none, %none {is_causal = 1 : i64, q_num_heads = 2 : i64, kv_num_heads = 1 : i64} : (tensor<1x?x8xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32>, none, none, none) -> (tensor<1x?x8xf32>, none, none, none)
  return %y : tensor<1x?x8xf32>
}

// -----

// The 4-D form torch.onnx writes: head views by Reshape + Transpose, rotary
// and attention on [B, H, S, D], the result merged back. The views go away.
// CHECK-LABEL: func.func @attention_4d_with_rotary
// CHECK: %[[RQ:.*]] = sieve.rotary %arg0, %{{.*}} {head_dim = 4 : i64, num_heads = 2 : i64, rotary_dim = 4 : i64, style = #sieve.rotary_style<half>} : (tensor<1x?x8xf32>, tensor<2xf32>) -> tensor<1x?x8xf32>
// CHECK: %[[RK:.*]] = sieve.rotary %arg1, %{{.*}} {head_dim = 4 : i64, num_heads = 1 : i64, rotary_dim = 4 : i64, style = #sieve.rotary_style<half>} : (tensor<1x?x4xf32>, tensor<2xf32>) -> tensor<1x?x4xf32>
// CHECK: %[[A:.*]] = sieve.attention %[[RQ]], %[[RK]], %arg2 {head_dim = 4 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 5.000000e-01 : f32}
// CHECK: return %[[A]]
// CHECK-NOT: onnx.Transpose
// CHECK-NOT: onnx.Attention
func.func @attention_4d_with_rotary(%q: tensor<1x?x8xf32>, %k: tensor<1x?x4xf32>, %v: tensor<1x?x4xf32>) -> tensor<1x?x8xf32> {
  %cos = onnx.Constant {value = dense<[[1.0, 1.0], [0.5403022766113281, 0.9999499917030334], [-0.416146844625473, 0.9998000264167786], [-0.9899924993515015, 0.9995500445365906]]> : tensor<4x2xf32>} : tensor<4x2xf32>
  %sin = onnx.Constant {value = dense<[[0.0, 0.0], [0.8414709568023682, 0.009999833069741726], [0.9092974066734314, 0.019998665899038315], [0.14112000167369843, 0.029995501041412354]]> : tensor<4x2xf32>} : tensor<4x2xf32>
  %zero = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
  %one = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %ax0 = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
  %shape = onnx.Shape %q : (tensor<1x?x8xf32>) -> tensor<3xi64>
  %seq = onnx.Gather %shape, %one : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %r = onnx.Range %zero, %seq, %one : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  %pos = onnx.Unsqueeze %r, %ax0 : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
  %s2 = onnx.Constant {value = dense<[1, -1, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
  %s1 = onnx.Constant {value = dense<[1, -1, 1, 4]> : tensor<4xi64>} : tensor<4xi64>
  %sflat = onnx.Constant {value = dense<[1, -1, 8]> : tensor<3xi64>} : tensor<3xi64>
  %q4 = onnx.Reshape %q, %s2 : (tensor<1x?x8xf32>, tensor<4xi64>) -> tensor<1x?x2x4xf32>
  %qh = onnx.Transpose %q4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x4xf32>) -> tensor<1x2x?x4xf32>
  %k4 = onnx.Reshape %k, %s1 : (tensor<1x?x4xf32>, tensor<4xi64>) -> tensor<1x?x1x4xf32>
  %kh = onnx.Transpose %k4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x1x4xf32>) -> tensor<1x1x?x4xf32>
  %v4 = onnx.Reshape %v, %s1 : (tensor<1x?x4xf32>, tensor<4xi64>) -> tensor<1x?x1x4xf32>
  %vh = onnx.Transpose %v4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x1x4xf32>) -> tensor<1x1x?x4xf32>
  %qr = onnx.RotaryEmbedding %qh, %cos, %sin, %pos : (tensor<1x2x?x4xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<1x?xi64>) -> tensor<1x2x?x4xf32>
  %kr = onnx.RotaryEmbedding %kh, %cos, %sin, %pos : (tensor<1x1x?x4xf32>, tensor<4x2xf32>, tensor<4x2xf32>, tensor<1x?xi64>) -> tensor<1x1x?x4xf32>
  %none = onnx.NoValue
  %y, %pk, %pv, %qk = onnx.Attention %qr, %kr, %vh, %none, %none, %none {is_causal = 1 : i64} : (tensor<1x2x?x4xf32>, tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>, none, none, none) -> (tensor<1x2x?x4xf32>, none, none, none)
  %yt = onnx.Transpose %y {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x?x4xf32>) -> tensor<1x?x2x4xf32>
  %yf = onnx.Reshape %yt, %sflat : (tensor<1x?x2x4xf32>, tensor<3xi64>) -> tensor<1x?x8xf32>
  return %yf : tensor<1x?x8xf32>
}

// -----

// Not causal, with a mask instead: stays.
// CHECK-LABEL: func.func @attention_mask_not_causal
// CHECK: onnx.Attention
func.func @attention_mask_not_causal(%q: tensor<1x4x8xf32>, %k: tensor<1x4x4xf32>, %v: tensor<1x4x4xf32>, %mask: tensor<4x4xi1>) -> tensor<1x4x8xf32> {
  %none = onnx.NoValue
  // expected-remark @+1 {{not raised: Attention: an attn_mask is given (only the causal mask raises)}}
  %y, %pk, %pv, %qk = onnx.Attention %q, %k, %v, %mask, %none, %none {q_num_heads = 2 : i64, kv_num_heads = 1 : i64} : (tensor<1x4x8xf32>, tensor<1x4x4xf32>, tensor<1x4x4xf32>, tensor<4x4xi1>, none, none) -> (tensor<1x4x8xf32>, none, none, none)
  return %y : tensor<1x4x8xf32>
}

// -----

// CHECK-LABEL: func.func @attention_not_causal
// CHECK: onnx.Attention
func.func @attention_not_causal(%q: tensor<1x?x8xf32>, %k: tensor<1x?x4xf32>, %v: tensor<1x?x4xf32>) -> tensor<1x?x8xf32> {
  %none = onnx.NoValue
  // expected-remark @+1 {{not raised: Attention: it is not causal}}
  %y, %pk, %pv, %qk = onnx.Attention %q, %k, %v, %none, %none, %none {q_num_heads = 2 : i64, kv_num_heads = 1 : i64} : (tensor<1x?x8xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32>, none, none, none) -> (tensor<1x?x8xf32>, none, none, none)
  return %y : tensor<1x?x8xf32>
}

// -----

// 4-bit weight [N=2, K=16], one block, default zero point 8: row 0 holds
// 0..15 at scale 0.5, row 1 15..0 at 0.25. It stays packed: B's bytes are
// the [N, K] ui4 codes, the f32 scales as given, zero points 8 (0x88).
// CHECK-LABEL: func.func @matmul_nbits
// CHECK: %[[W:.*]] = sieve.quantized_weight {data = dense_resource<matmulnbits.codes> : tensor<2x16xui4>, format = #sieve.quant<int4, group = 16, asym>, scales = dense_resource<matmulnbits.scales> : tensor<2x1xf32>, zeros = dense_resource<matmulnbits.zeros> : tensor<2x1xui4>} : tensor<16x2xf32>
// CHECK: sieve.linear %arg0, %[[W]] : (tensor<1x?x16xf32>, tensor<16x2xf32>) -> tensor<1x?x2xf32>
// CHECK: matmulnbits.codes: "0x010000001032547698BADCFEEFCDAB8967452301"
// CHECK-NEXT: matmulnbits.scales: "0x040000000000003F0000803E"
// CHECK-NEXT: matmulnbits.zeros: "0x0100000088"
func.func @matmul_nbits(%a: tensor<1x?x16xf32>) -> tensor<1x?x2xf32> {
  %b = onnx.Constant {value = dense<[[[16, 50, 84, 118, 152, 186, 220, 254]], [[239, 205, 171, 137, 103, 69, 35, 1]]]> : tensor<2x1x8xui8>} : tensor<2x1x8xui8>
  %s = onnx.Constant {value = dense<[0.5, 0.25]> : tensor<2xf32>} : tensor<2xf32>
  %none = onnx.NoValue
  %y = onnx.ms.MatMulNBits %a, %b, %s, %none, %none, %none {K = 16 : i64, N = 2 : i64, bits = 4 : i64, block_size = 16 : i64} : (tensor<1x?x16xf32>, tensor<2x1x8xui8>, tensor<2xf32>, none, none, none) -> tensor<1x?x2xf32>
  return %y : tensor<1x?x2xf32>
}

// -----

// 8 bits has no packed format: the weight is dequantized (default zero
// point 128): row 0 holds 120..135 at scale 0.5, row 1 135..120 at 0.25;
// the linear's weight is [K, N].
// CHECK-LABEL: func.func @matmul_nbits_8bit
// CHECK: %[[W:.*]] = sieve.weight {value = dense<{{\[}}[-4.000000e+00, 1.750000e+00], [-3.500000e+00, 1.500000e+00]{{.*}}[3.500000e+00, -2.000000e+00]]> : tensor<16x2xf32>} : tensor<16x2xf32>
// CHECK: sieve.linear %arg0, %[[W]] : (tensor<1x?x16xf32>, tensor<16x2xf32>) -> tensor<1x?x2xf32>
func.func @matmul_nbits_8bit(%a: tensor<1x?x16xf32>) -> tensor<1x?x2xf32> {
  %b = onnx.Constant {value = dense<[[[120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 131, 132, 133, 134, 135]], [[135, 134, 133, 132, 131, 130, 129, 128, 127, 126, 125, 124, 123, 122, 121, 120]]]> : tensor<2x1x16xui8>} : tensor<2x1x16xui8>
  %s = onnx.Constant {value = dense<[0.5, 0.25]> : tensor<2xf32>} : tensor<2xf32>
  %none = onnx.NoValue
  // expected-remark @+1 {{sieve-raise: MatMulNBits kept as a float32 weight (dequantized): bits = 8 has no sieve.quant format (int4 is the packed one)}}
  %y = onnx.ms.MatMulNBits %a, %b, %s, %none, %none, %none {K = 16 : i64, N = 2 : i64, bits = 8 : i64, block_size = 16 : i64} : (tensor<1x?x16xf32>, tensor<2x1x16xui8>, tensor<2xf32>, none, none, none) -> tensor<1x?x2xf32>
  return %y : tensor<1x?x2xf32>
}

// -----

// CHECK-LABEL: func.func @matmul_nbits_g_idx
// CHECK: onnx.ms.MatMulNBits
func.func @matmul_nbits_g_idx(%a: tensor<1x?x16xf32>) -> tensor<1x?x2xf32> {
  %b = onnx.Constant {value = dense<1> : tensor<2x1x8xui8>} : tensor<2x1x8xui8>
  %s = onnx.Constant {value = dense<[0.5, 0.25]> : tensor<2xf32>} : tensor<2xf32>
  %g = onnx.Constant {value = dense<0> : tensor<16xi32>} : tensor<16xi32>
  %none = onnx.NoValue
  // expected-remark @+1 {{not raised: MatMulNBits: g_idx is not raised}}
  %y = onnx.ms.MatMulNBits %a, %b, %s, %none, %g, %none {K = 16 : i64, N = 2 : i64, bits = 4 : i64, block_size = 16 : i64} : (tensor<1x?x16xf32>, tensor<2x1x8xui8>, tensor<2xf32>, none, tensor<16xi32>, none) -> tensor<1x?x2xf32>
  return %y : tensor<1x?x2xf32>
}

// -----

// GroupQueryAttention in the genai form: the pasts, the mask and the
// presents leave the signature (the session's KV cache holds them); Q and K
// are rotated by sieve.rotary, then sieve.attention (causal). An argument
// that is none of these stays, even unused.
// CHECK-LABEL: func.func @group_query_attention
// CHECK-SAME: (%[[Q:.*]]: tensor<1x?x8xf32>, %[[K:.*]]: tensor<1x?x4xf32>, %[[V:.*]]: tensor<1x?x4xf32>, %{{.*}}: tensor<2xf32>) -> tensor<1x?x8xf32>
// CHECK: %[[INV:.*]] = sieve.weight {value = dense<[1.000000e+00, 0.00999999977]> : tensor<2xf32>}
// CHECK: %[[RQ:.*]] = sieve.rotary %[[Q]], %[[INV]] {head_dim = 4 : i64, num_heads = 2 : i64, rotary_dim = 4 : i64, style = #sieve.rotary_style<half>}
// CHECK: %[[RK:.*]] = sieve.rotary %[[K]], %{{.*}} {head_dim = 4 : i64, num_heads = 1 : i64, rotary_dim = 4 : i64, style = #sieve.rotary_style<half>}
// CHECK: %[[A:.*]] = sieve.attention %[[RQ]], %[[RK]], %[[V]] {head_dim = 4 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 5.000000e-01 : f32}
// CHECK: return %[[A]] : tensor<1x?x8xf32>
// expected-remark @+1 {{sieve-raise: 1 GroupQueryAttention ops use the session's KV cache; dropped from the signature: result 1 result 2 argument 3 argument 4 argument 5}}
func.func @group_query_attention(%q: tensor<1x?x8xf32>, %k: tensor<1x?x4xf32>, %v: tensor<1x?x4xf32>, %mask: tensor<1x?xi64>, %pk: tensor<1x1x?x4xf32>, %pv: tensor<1x1x?x4xf32>, %unused: tensor<2xf32>) -> (tensor<1x?x8xf32>, tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>) {
  %cos = onnx.Constant {value = dense<[[1.0, 1.0], [0.5403022766113281, 0.9999499917030334], [-0.416146844625473, 0.9998000264167786], [-0.9899924993515015, 0.9995500445365906]]> : tensor<4x2xf32>} : tensor<4x2xf32>
  %sin = onnx.Constant {value = dense<[[0.0, 0.0], [0.8414709568023682, 0.009999833069741726], [0.9092974066734314, 0.019998665899038315], [0.14112000167369843, 0.029995501041412354]]> : tensor<4x2xf32>} : tensor<4x2xf32>
  %one = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
  %ax1 = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
  %shape = onnx.Shape %mask : (tensor<1x?xi64>) -> tensor<2xi64>
  %tot64 = onnx.Gather %shape, %one : (tensor<2xi64>, tensor<i64>) -> tensor<i64>
  %tot = onnx.Cast %tot64 {to = i32} : (tensor<i64>) -> tensor<i32>
  %sum = onnx.ReduceSum %mask, %ax1 {keepdims = 0 : i64} : (tensor<1x?xi64>, tensor<1xi64>) -> tensor<1xi64>
  %sl64 = onnx.Sub %sum, %one : (tensor<1xi64>, tensor<i64>) -> tensor<1xi64>
  %sl = onnx.Cast %sl64 {to = i32} : (tensor<1xi64>) -> tensor<1xi32>
  %none = onnx.NoValue
  %y, %ok, %ov, %qk = onnx.ms.GroupQueryAttention %q, %k, %v, %pk, %pv, %sl, %tot, %cos, %sin, %none, %none, %none {do_rotary = 1 : i64, num_heads = 2 : i64, kv_num_heads = 1 : i64} : (tensor<1x?x8xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32>, tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>, tensor<1xi32>, tensor<i32>, tensor<4x2xf32>, tensor<4x2xf32>, none, none, none) -> (tensor<1x?x8xf32>, tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>, none)
  return %y, %ok, %ov : tensor<1x?x8xf32>, tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>
}

// -----

// A custom attention bias: nothing changes, the signature included.
// CHECK-LABEL: func.func @group_query_attention_bias
// CHECK-SAME: -> (tensor<1x?x8xf32>, tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>)
// CHECK: onnx.ms.GroupQueryAttention
func.func @group_query_attention_bias(%q: tensor<1x?x8xf32>, %k: tensor<1x?x4xf32>, %v: tensor<1x?x4xf32>, %sl: tensor<1xi32>, %tot: tensor<i32>, %pk: tensor<1x1x?x4xf32>, %pv: tensor<1x1x?x4xf32>, %bias: tensor<1x1x?x?xf32>) -> (tensor<1x?x8xf32>, tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>) {
  %none = onnx.NoValue
  // expected-remark @+1 {{not raised: GroupQueryAttention: position_ids, attention_bias and head_sink must be absent}}
  %y, %ok, %ov, %qk = onnx.ms.GroupQueryAttention %q, %k, %v, %pk, %pv, %sl, %tot, %none, %none, %none, %bias, %none {num_heads = 2 : i64, kv_num_heads = 1 : i64} : (tensor<1x?x8xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32>, tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>, tensor<1xi32>, tensor<i32>, none, none, none, tensor<1x1x?x?xf32>, none) -> (tensor<1x?x8xf32>, tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>, none)
  return %y, %ok, %ov : tensor<1x?x8xf32>, tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>
}

// -----

// A sliding window is not the plain causal attention.
// CHECK-LABEL: func.func @group_query_attention_local_window
// CHECK: onnx.ms.GroupQueryAttention
func.func @group_query_attention_local_window(%q: tensor<1x?x8xf32>, %k: tensor<1x?x4xf32>, %v: tensor<1x?x4xf32>, %sl: tensor<1xi32>, %tot: tensor<i32>, %pk: tensor<1x1x?x4xf32>, %pv: tensor<1x1x?x4xf32>) -> (tensor<1x?x8xf32>, tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>) {
  %none = onnx.NoValue
  // expected-remark @+1 {{not raised: GroupQueryAttention: a local window is not raised}}
  %y, %ok, %ov, %qk = onnx.ms.GroupQueryAttention %q, %k, %v, %pk, %pv, %sl, %tot, %none, %none, %none, %none, %none {num_heads = 2 : i64, kv_num_heads = 1 : i64, local_window_size = 4 : i64} : (tensor<1x?x8xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32>, tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>, tensor<1xi32>, tensor<i32>, none, none, none, none, none) -> (tensor<1x?x8xf32>, tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>, none)
  return %y, %ok, %ov : tensor<1x?x8xf32>, tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>
}
