// com.microsoft GroupQueryAttention and MatMulNBits inputs the CPU reference
// refuses: one error naming the node and why, non-zero exit, no result.
// RUN: not sieve-run %s --func nbits_g_idx 2>&1 | FileCheck %s --check-prefix=GIDX
// GIDX: sieve-run: error: node 'nb': g_idx is not supported (act-order quantized weights)
// GIDX-NOT: result
// RUN: not sieve-run %s --func nbits_b_size 2>&1 | FileCheck %s --check-prefix=BSIZE
// BSIZE: sieve-run: error: node 'nb': B must be uint8 with N * blocks * block bytes = 16 elements
// RUN: not sieve-run %s --func nbits_zero_points_size 2>&1 | FileCheck %s --check-prefix=ZP
// ZP: sieve-run: error: node 'nb': packed zero_points must have 2 bytes
// RUN: not sieve-run %s --func gqa_bias 2>&1 | FileCheck %s --check-prefix=BIAS
// BIAS: sieve-run: error: node 'gqa': attention_bias is not supported
// RUN: not sieve-run %s --func gqa_seqlens 2>&1 | FileCheck %s --check-prefix=SEQLENS
// SEQLENS: sieve-run: error: node 'gqa': seqlens_k[0] = 9 is inconsistent with sequence length 1, total 4 and a past buffer of 3
// RUN: not sieve-run %s --func gqa_rotary_range 2>&1 | FileCheck %s --check-prefix=ROTARY
// ROTARY: sieve-run: error: node 'gqa': position 3 is out of the cos/sin caches' range 2
//
// And one that runs: 4 bits, K = 16, one block, default zero point 8; row 0
// holds 0..15 at scale 0.5, row 1 15..0 at 0.25; times ones:
// sum(q - 8) * scale = (120 - 128) * 0.5 = -4 and -8 * 0.25 = -2.
// RUN: sieve-run %s --func nbits_ones | FileCheck %s --check-prefix=ONES
// ONES: result 0: 1x2xf32 = [-4, -2]

func.func @nbits_g_idx() -> tensor<1x2xf32> {
  %a = onnx.Constant {value = dense<1.0> : tensor<1x16xf32>} : tensor<1x16xf32>
  %b = onnx.Constant {value = dense<1> : tensor<2x1x8xui8>} : tensor<2x1x8xui8>
  %s = onnx.Constant {value = dense<[0.5, 0.25]> : tensor<2xf32>} : tensor<2xf32>
  %g = onnx.Constant {value = dense<0> : tensor<16xi32>} : tensor<16xi32>
  %none = onnx.NoValue
  %y = onnx.ms.MatMulNBits %a, %b, %s, %none, %g, %none {K = 16 : i64, N = 2 : i64, bits = 4 : i64, block_size = 16 : i64} : (tensor<1x16xf32>, tensor<2x1x8xui8>, tensor<2xf32>, none, tensor<16xi32>, none) -> tensor<1x2xf32> loc("nb")
  return %y : tensor<1x2xf32>
}

func.func @nbits_b_size() -> tensor<1x2xf32> {
  %a = onnx.Constant {value = dense<1.0> : tensor<1x16xf32>} : tensor<1x16xf32>
  %b = onnx.Constant {value = dense<1> : tensor<2x1x4xui8>} : tensor<2x1x4xui8>
  %s = onnx.Constant {value = dense<[0.5, 0.25]> : tensor<2xf32>} : tensor<2xf32>
  %none = onnx.NoValue
  %y = onnx.ms.MatMulNBits %a, %b, %s, %none, %none, %none {K = 16 : i64, N = 2 : i64, bits = 4 : i64, block_size = 16 : i64} : (tensor<1x16xf32>, tensor<2x1x4xui8>, tensor<2xf32>, none, none, none) -> tensor<1x2xf32> loc("nb")
  return %y : tensor<1x2xf32>
}

func.func @nbits_zero_points_size() -> tensor<1x2xf32> {
  %a = onnx.Constant {value = dense<1.0> : tensor<1x16xf32>} : tensor<1x16xf32>
  %b = onnx.Constant {value = dense<1> : tensor<2x1x8xui8>} : tensor<2x1x8xui8>
  %s = onnx.Constant {value = dense<[0.5, 0.25]> : tensor<2xf32>} : tensor<2xf32>
  %z = onnx.Constant {value = dense<8> : tensor<3xui8>} : tensor<3xui8>
  %none = onnx.NoValue
  %y = onnx.ms.MatMulNBits %a, %b, %s, %z, %none, %none {K = 16 : i64, N = 2 : i64, bits = 4 : i64, block_size = 16 : i64} : (tensor<1x16xf32>, tensor<2x1x8xui8>, tensor<2xf32>, tensor<3xui8>, none, none) -> tensor<1x2xf32> loc("nb")
  return %y : tensor<1x2xf32>
}

func.func @nbits_ones() -> tensor<1x2xf32> {
  %a = onnx.Constant {value = dense<1.0> : tensor<1x16xf32>} : tensor<1x16xf32>
  %b = onnx.Constant {value = dense<[[[16, 50, 84, 118, 152, 186, 220, 254]], [[239, 205, 171, 137, 103, 69, 35, 1]]]> : tensor<2x1x8xui8>} : tensor<2x1x8xui8>
  %s = onnx.Constant {value = dense<[0.5, 0.25]> : tensor<2xf32>} : tensor<2xf32>
  %none = onnx.NoValue
  %y = onnx.ms.MatMulNBits %a, %b, %s, %none, %none, %none {K = 16 : i64, N = 2 : i64, bits = 4 : i64, block_size = 16 : i64} : (tensor<1x16xf32>, tensor<2x1x8xui8>, tensor<2xf32>, none, none, none) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

func.func @gqa_bias() -> tensor<1x1x8xf32> {
  %q = onnx.Constant {value = dense<1.0> : tensor<1x1x8xf32>} : tensor<1x1x8xf32>
  %kv = onnx.Constant {value = dense<1.0> : tensor<1x1x4xf32>} : tensor<1x1x4xf32>
  %past = onnx.Constant {value = dense<1.0> : tensor<1x1x3x4xf32>} : tensor<1x1x3x4xf32>
  %sl = onnx.Constant {value = dense<3> : tensor<1xi32>} : tensor<1xi32>
  %tot = onnx.Constant {value = dense<4> : tensor<i32>} : tensor<i32>
  %bias = onnx.Constant {value = dense<0.0> : tensor<1x1x1x4xf32>} : tensor<1x1x1x4xf32>
  %none = onnx.NoValue
  %y, %pk, %pv, %qk = onnx.ms.GroupQueryAttention %q, %kv, %kv, %past, %past, %sl, %tot, %none, %none, %none, %bias, %none {num_heads = 2 : i64, kv_num_heads = 1 : i64} : (tensor<1x1x8xf32>, tensor<1x1x4xf32>, tensor<1x1x4xf32>, tensor<1x1x3x4xf32>, tensor<1x1x3x4xf32>, tensor<1xi32>, tensor<i32>, none, none, none, tensor<1x1x1x4xf32>, none) -> (tensor<1x1x8xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, none) loc("gqa")
  return %y : tensor<1x1x8xf32>
}

func.func @gqa_seqlens() -> tensor<1x1x8xf32> {
  %q = onnx.Constant {value = dense<1.0> : tensor<1x1x8xf32>} : tensor<1x1x8xf32>
  %kv = onnx.Constant {value = dense<1.0> : tensor<1x1x4xf32>} : tensor<1x1x4xf32>
  %past = onnx.Constant {value = dense<1.0> : tensor<1x1x3x4xf32>} : tensor<1x1x3x4xf32>
  %sl = onnx.Constant {value = dense<9> : tensor<1xi32>} : tensor<1xi32>
  %tot = onnx.Constant {value = dense<4> : tensor<i32>} : tensor<i32>
  %none = onnx.NoValue
  %y, %pk, %pv, %qk = onnx.ms.GroupQueryAttention %q, %kv, %kv, %past, %past, %sl, %tot, %none, %none, %none, %none, %none {num_heads = 2 : i64, kv_num_heads = 1 : i64} : (tensor<1x1x8xf32>, tensor<1x1x4xf32>, tensor<1x1x4xf32>, tensor<1x1x3x4xf32>, tensor<1x1x3x4xf32>, tensor<1xi32>, tensor<i32>, none, none, none, none, none) -> (tensor<1x1x8xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, none) loc("gqa")
  return %y : tensor<1x1x8xf32>
}

func.func @gqa_rotary_range() -> tensor<1x1x8xf32> {
  %q = onnx.Constant {value = dense<1.0> : tensor<1x1x8xf32>} : tensor<1x1x8xf32>
  %kv = onnx.Constant {value = dense<1.0> : tensor<1x1x4xf32>} : tensor<1x1x4xf32>
  %past = onnx.Constant {value = dense<1.0> : tensor<1x1x3x4xf32>} : tensor<1x1x3x4xf32>
  %sl = onnx.Constant {value = dense<3> : tensor<1xi32>} : tensor<1xi32>
  %tot = onnx.Constant {value = dense<4> : tensor<i32>} : tensor<i32>
  %cs = onnx.Constant {value = dense<1.0> : tensor<2x2xf32>} : tensor<2x2xf32>
  %none = onnx.NoValue
  %y, %pk, %pv, %qk = onnx.ms.GroupQueryAttention %q, %kv, %kv, %past, %past, %sl, %tot, %cs, %cs, %none, %none, %none {num_heads = 2 : i64, kv_num_heads = 1 : i64, do_rotary = 1 : i64} : (tensor<1x1x8xf32>, tensor<1x1x4xf32>, tensor<1x1x4xf32>, tensor<1x1x3x4xf32>, tensor<1x1x3x4xf32>, tensor<1xi32>, tensor<i32>, tensor<2x2xf32>, tensor<2x2xf32>, none, none, none) -> (tensor<1x1x8xf32>, tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>, none) loc("gqa")
  return %y : tensor<1x1x8xf32>
}
