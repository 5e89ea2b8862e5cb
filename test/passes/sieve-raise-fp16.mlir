// RUN: sieve-opt %s -split-input-file --sieve-raise -verify-diagnostics | FileCheck %s
//
// The forms of float16 exports (model.half(), torch.onnx dynamo): RMSNorm
// computed in float32 between two Casts, attention in float16 with the mask
// filled with -65504 (float16's lowest), GPT-2's tanh GELU with float16
// constants, and their near misses. Shapes as in sieve-raise.mlir: hidden 8,
// 2 query heads and 1 KV head of head_dim 4, MLP 16.

// CHECK-LABEL: func.func @rms_norm_f16_stored
// CHECK-SAME: (%[[X:.*]]: tensor<1x?x8xf16>)
// CHECK: %[[W:.*]] = sieve.weight {value = dense<5.000000e-01> : tensor<8xf16>} : tensor<8xf16>
// CHECK: %[[N:.*]] = sieve.rms_norm %[[X]], %[[W]] {epsilon = 9.99999974E-6 : f32} : (tensor<1x?x8xf16>, tensor<8xf16>) -> tensor<1x?x8xf16>
// CHECK: return %[[N]]
// CHECK-NOT: onnx.
func.func @rms_norm_f16_stored(%x: tensor<1x?x8xf16>) -> tensor<1x?x8xf16> {
    %eps = onnx.Constant {value = dense<1.0e-5> : tensor<f32>} : tensor<f32>
    %w = onnx.Constant {value = dense<0.5> : tensor<8xf16>} : tensor<8xf16>
    %two = onnx.Constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
    %axm1 = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
    %x32 = onnx.Cast %x {to = f32} : (tensor<1x?x8xf16>) -> tensor<1x?x8xf32>
    %sq = onnx.Pow %x32, %two : (tensor<1x?x8xf32>, tensor<f32>) -> tensor<1x?x8xf32>
    %ms = onnx.ReduceMean %sq, %axm1 : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x?x1xf32>
    %ve = onnx.Add %ms, %eps : (tensor<1x?x1xf32>, tensor<f32>) -> tensor<1x?x1xf32>
    %sd = onnx.Sqrt %ve : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %rs = onnx.Reciprocal %sd : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %nx = onnx.Mul %x32, %rs : (tensor<1x?x8xf32>, tensor<1x?x1xf32>) -> tensor<1x?x8xf32>
    %n16 = onnx.Cast %nx {to = f16} : (tensor<1x?x8xf32>) -> tensor<1x?x8xf16>
    %y = onnx.Mul %n16, %w : (tensor<1x?x8xf16>, tensor<8xf16>) -> tensor<1x?x8xf16>
    return %y : tensor<1x?x8xf16>
}

// -----

// The normalized value is stored in float16 but its input is a float32
// value, not a widened float16 activation: sieve.rms_norm keeps its input's
// type, so this stays at the onnx level.
// CHECK-LABEL: func.func @rms_norm_narrowed_input_not_widened
// CHECK-NOT: sieve.rms_norm
// CHECK: onnx.Cast
func.func @rms_norm_narrowed_input_not_widened(%x32: tensor<1x?x8xf32>) -> tensor<1x?x8xf16> {
    %eps = onnx.Constant {value = dense<1.0e-5> : tensor<f32>} : tensor<f32>
    %w = onnx.Constant {value = dense<0.5> : tensor<8xf16>} : tensor<8xf16>
    %two = onnx.Constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
    %axm1 = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
    %sq = onnx.Pow %x32, %two : (tensor<1x?x8xf32>, tensor<f32>) -> tensor<1x?x8xf32>
    %ms = onnx.ReduceMean %sq, %axm1 : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x?x1xf32>
    %ve = onnx.Add %ms, %eps : (tensor<1x?x1xf32>, tensor<f32>) -> tensor<1x?x1xf32>
    %sd = onnx.Sqrt %ve : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %rs = onnx.Reciprocal %sd : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %nx = onnx.Mul %x32, %rs : (tensor<1x?x8xf32>, tensor<1x?x1xf32>) -> tensor<1x?x8xf32>
    %n16 = onnx.Cast %nx {to = f16} : (tensor<1x?x8xf32>) -> tensor<1x?x8xf16>
    %y = onnx.Mul %n16, %w : (tensor<1x?x8xf16>, tensor<8xf16>) -> tensor<1x?x8xf16>
    return %y : tensor<1x?x8xf16>
}

// -----

// CHECK-LABEL: func.func @attention_f16_mask_f16_lowest
// CHECK: sieve.attention %{{.*}}, %{{.*}}, %{{.*}} {head_dim = 4 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 2.500000e-01 : f32} : (tensor<1x?x8xf16>, tensor<1x?x4xf16>, tensor<1x?x4xf16>) -> tensor<1x?x8xf16>
// CHECK-NOT: onnx.
func.func @attention_f16_mask_f16_lowest(%ids: tensor<1x?xi64>, %q: tensor<1x?x8xf16>, %k: tensor<1x?x4xf16>, %v: tensor<1x?x4xf16>) -> tensor<1x?x8xf16> {
    %none = onnx.NoValue
    %c0 = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
    %c1 = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
    %len1 = onnx.Shape %ids {end = 2 : i64, start = 1 : i64} : (tensor<1x?xi64>) -> tensor<1xi64>
    %len = onnx.Squeeze %len1, %none : (tensor<1xi64>, none) -> tensor<i64>
    %pos = onnx.Range %c0, %len, %c1 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %qs = onnx.Constant {value = dense<[1, -1, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
    %qr = onnx.Reshape %q, %qs {allowzero = 1 : i64} : (tensor<1x?x8xf16>, tensor<4xi64>) -> tensor<1x?x2x4xf16>
    %qt = onnx.Transpose %qr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x4xf16>) -> tensor<1x2x?x4xf16>
    %ks = onnx.Constant {value = dense<[1, -1, 1, 4]> : tensor<4xi64>} : tensor<4xi64>
    %kr = onnx.Reshape %k, %ks {allowzero = 1 : i64} : (tensor<1x?x4xf16>, tensor<4xi64>) -> tensor<1x?x1x4xf16>
    %kt = onnx.Transpose %kr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x1x4xf16>) -> tensor<1x1x?x4xf16>
    %vs = onnx.Constant {value = dense<[1, -1, 1, 4]> : tensor<4xi64>} : tensor<4xi64>
    %vr = onnx.Reshape %v, %vs {allowzero = 1 : i64} : (tensor<1x?x4xf16>, tensor<4xi64>) -> tensor<1x?x1x4xf16>
    %vt = onnx.Transpose %vr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x1x4xf16>) -> tensor<1x1x?x4xf16>
    %ax2 = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
    %ax013 = onnx.Constant {value = dense<[0, 1, 3]> : tensor<3xi64>} : tensor<3xi64>
    %ax012 = onnx.Constant {value = dense<[0, 1, 2]> : tensor<3xi64>} : tensor<3xi64>
    %es = onnx.Constant {value = dense<[1, 1, 2, 1, 4]> : tensor<5xi64>} : tensor<5xi64>
    %hs = onnx.Constant {value = dense<[1, 2, -1, 4]> : tensor<4xi64>} : tensor<4xi64>
    %s3 = onnx.Constant {value = dense<[2, -1, 4]> : tensor<3xi64>} : tensor<3xi64>
    %s4 = onnx.Constant {value = dense<[1, 2, 4, -1]> : tensor<4xi64>} : tensor<4xi64>
    %os = onnx.Constant {value = dense<[1, -1, 8]> : tensor<3xi64>} : tensor<3xi64>
    %half = onnx.Constant {value = dense<0.5> : tensor<f16>} : tensor<f16>
    %zero = onnx.Constant {value = dense<0.0> : tensor<f16>} : tensor<f16>
    %neg = onnx.Constant {value = dense<-6.550400e+04> : tensor<f16>} : tensor<f16>
    %ku = onnx.Unsqueeze %kt, %ax2 : (tensor<1x1x?x4xf16>, tensor<1xi64>) -> tensor<1x1x1x?x4xf16>
    %ke = onnx.Expand %ku, %es : (tensor<1x1x1x?x4xf16>, tensor<5xi64>) -> tensor<1x1x2x?x4xf16>
    %vu = onnx.Unsqueeze %vt, %ax2 : (tensor<1x1x?x4xf16>, tensor<1xi64>) -> tensor<1x1x1x?x4xf16>
    %ve = onnx.Expand %vu, %es : (tensor<1x1x1x?x4xf16>, tensor<5xi64>) -> tensor<1x1x2x?x4xf16>
    %vh = onnx.Reshape %ve, %hs {allowzero = 1 : i64} : (tensor<1x1x2x?x4xf16>, tensor<4xi64>) -> tensor<1x2x?x4xf16>
    %k3 = onnx.Reshape %ke, %s3 : (tensor<1x1x2x?x4xf16>, tensor<3xi64>) -> tensor<2x?x4xf16>
    %k3t = onnx.Transpose %k3 {perm = array<i64: 0, 2, 1>} : (tensor<2x?x4xf16>) -> tensor<2x4x?xf16>
    %kT = onnx.Reshape %k3t, %s4 : (tensor<2x4x?xf16>, tensor<4xi64>) -> tensor<1x2x4x?xf16>
    %qsc = onnx.Mul %qt, %half : (tensor<1x2x?x4xf16>, tensor<f16>) -> tensor<1x2x?x4xf16>
    %ksc = onnx.Mul %kT, %half : (tensor<1x2x4x?xf16>, tensor<f16>) -> tensor<1x2x4x?xf16>
    %row = onnx.Unsqueeze %pos, %ax013 : (tensor<?xi64>, tensor<3xi64>) -> tensor<1x1x?x1xi64>
    %col = onnx.Unsqueeze %pos, %ax012 : (tensor<?xi64>, tensor<3xi64>) -> tensor<1x1x1x?xi64>
    %cond = onnx.LessOrEqual %col, %row : (tensor<1x1x1x?xi64>, tensor<1x1x?x1xi64>) -> tensor<1x1x?x?xi1>
    %mask = onnx.Where %cond, %zero, %neg : (tensor<1x1x?x?xi1>, tensor<f16>, tensor<f16>) -> tensor<1x1x?x?xf16>
    %sc = onnx.MatMul %qsc, %ksc : (tensor<1x2x?x4xf16>, tensor<1x2x4x?xf16>) -> tensor<1x2x?x?xf16>
    %scm = onnx.Add %sc, %mask : (tensor<1x2x?x?xf16>, tensor<1x1x?x?xf16>) -> tensor<1x2x?x?xf16>
    %p = onnx.Softmax %scm : (tensor<1x2x?x?xf16>) -> tensor<1x2x?x?xf16>
    %nan = onnx.IsNaN %p : (tensor<1x2x?x?xf16>) -> tensor<1x2x?x?xi1>
    %p2 = onnx.Where %nan, %zero, %p : (tensor<1x2x?x?xi1>, tensor<f16>, tensor<1x2x?x?xf16>) -> tensor<1x2x?x?xf16>
    %ao = onnx.MatMul %p2, %vh : (tensor<1x2x?x?xf16>, tensor<1x2x?x4xf16>) -> tensor<1x2x?x4xf16>
    %ot = onnx.Transpose %ao {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x?x4xf16>) -> tensor<1x?x2x4xf16>
    %att = onnx.Reshape %ot, %os {allowzero = 1 : i64} : (tensor<1x?x2x4xf16>, tensor<3xi64>) -> tensor<1x?x8xf16>
    return %att : tensor<1x?x8xf16>
}

// -----

// -65504 is float16's lowest, but these scores are float32, where it is not
// a masked value (a weight exp(s - 65504 - max) that only underflows while
// the scores stay small): the mask is not recognized.
// CHECK-LABEL: func.func @attention_f32_mask_f16_lowest
// CHECK-NOT: sieve.attention
// CHECK: onnx.Softmax
func.func @attention_f32_mask_f16_lowest(%ids: tensor<1x?xi64>, %q: tensor<1x?x8xf32>, %k: tensor<1x?x4xf32>, %v: tensor<1x?x4xf32>) -> tensor<1x?x8xf32> {
    %none = onnx.NoValue
    %c0 = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
    %c1 = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
    %len1 = onnx.Shape %ids {end = 2 : i64, start = 1 : i64} : (tensor<1x?xi64>) -> tensor<1xi64>
    %len = onnx.Squeeze %len1, %none : (tensor<1xi64>, none) -> tensor<i64>
    %pos = onnx.Range %c0, %len, %c1 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %qs = onnx.Constant {value = dense<[1, -1, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
    %qr = onnx.Reshape %q, %qs {allowzero = 1 : i64} : (tensor<1x?x8xf32>, tensor<4xi64>) -> tensor<1x?x2x4xf32>
    %qt = onnx.Transpose %qr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x4xf32>) -> tensor<1x2x?x4xf32>
    %ks = onnx.Constant {value = dense<[1, -1, 1, 4]> : tensor<4xi64>} : tensor<4xi64>
    %kr = onnx.Reshape %k, %ks {allowzero = 1 : i64} : (tensor<1x?x4xf32>, tensor<4xi64>) -> tensor<1x?x1x4xf32>
    %kt = onnx.Transpose %kr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x1x4xf32>) -> tensor<1x1x?x4xf32>
    %vs = onnx.Constant {value = dense<[1, -1, 1, 4]> : tensor<4xi64>} : tensor<4xi64>
    %vr = onnx.Reshape %v, %vs {allowzero = 1 : i64} : (tensor<1x?x4xf32>, tensor<4xi64>) -> tensor<1x?x1x4xf32>
    %vt = onnx.Transpose %vr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x1x4xf32>) -> tensor<1x1x?x4xf32>
    %ax2 = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
    %ax013 = onnx.Constant {value = dense<[0, 1, 3]> : tensor<3xi64>} : tensor<3xi64>
    %ax012 = onnx.Constant {value = dense<[0, 1, 2]> : tensor<3xi64>} : tensor<3xi64>
    %es = onnx.Constant {value = dense<[1, 1, 2, 1, 4]> : tensor<5xi64>} : tensor<5xi64>
    %hs = onnx.Constant {value = dense<[1, 2, -1, 4]> : tensor<4xi64>} : tensor<4xi64>
    %s3 = onnx.Constant {value = dense<[2, -1, 4]> : tensor<3xi64>} : tensor<3xi64>
    %s4 = onnx.Constant {value = dense<[1, 2, 4, -1]> : tensor<4xi64>} : tensor<4xi64>
    %os = onnx.Constant {value = dense<[1, -1, 8]> : tensor<3xi64>} : tensor<3xi64>
    %half = onnx.Constant {value = dense<0.5> : tensor<f32>} : tensor<f32>
    %zero = onnx.Constant {value = dense<0.0> : tensor<f32>} : tensor<f32>
    %neg = onnx.Constant {value = dense<-6.550400e+04> : tensor<f32>} : tensor<f32>
    %ku = onnx.Unsqueeze %kt, %ax2 : (tensor<1x1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x1x?x4xf32>
    %ke = onnx.Expand %ku, %es : (tensor<1x1x1x?x4xf32>, tensor<5xi64>) -> tensor<1x1x2x?x4xf32>
    %vu = onnx.Unsqueeze %vt, %ax2 : (tensor<1x1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x1x?x4xf32>
    %ve = onnx.Expand %vu, %es : (tensor<1x1x1x?x4xf32>, tensor<5xi64>) -> tensor<1x1x2x?x4xf32>
    %vh = onnx.Reshape %ve, %hs {allowzero = 1 : i64} : (tensor<1x1x2x?x4xf32>, tensor<4xi64>) -> tensor<1x2x?x4xf32>
    %k3 = onnx.Reshape %ke, %s3 : (tensor<1x1x2x?x4xf32>, tensor<3xi64>) -> tensor<2x?x4xf32>
    %k3t = onnx.Transpose %k3 {perm = array<i64: 0, 2, 1>} : (tensor<2x?x4xf32>) -> tensor<2x4x?xf32>
    %kT = onnx.Reshape %k3t, %s4 : (tensor<2x4x?xf32>, tensor<4xi64>) -> tensor<1x2x4x?xf32>
    %qsc = onnx.Mul %qt, %half : (tensor<1x2x?x4xf32>, tensor<f32>) -> tensor<1x2x?x4xf32>
    %ksc = onnx.Mul %kT, %half : (tensor<1x2x4x?xf32>, tensor<f32>) -> tensor<1x2x4x?xf32>
    %row = onnx.Unsqueeze %pos, %ax013 : (tensor<?xi64>, tensor<3xi64>) -> tensor<1x1x?x1xi64>
    %col = onnx.Unsqueeze %pos, %ax012 : (tensor<?xi64>, tensor<3xi64>) -> tensor<1x1x1x?xi64>
    %cond = onnx.LessOrEqual %col, %row : (tensor<1x1x1x?xi64>, tensor<1x1x?x1xi64>) -> tensor<1x1x?x?xi1>
    %mask = onnx.Where %cond, %zero, %neg : (tensor<1x1x?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<1x1x?x?xf32>
    %sc = onnx.MatMul %qsc, %ksc : (tensor<1x2x?x4xf32>, tensor<1x2x4x?xf32>) -> tensor<1x2x?x?xf32>
    %scm = onnx.Add %sc, %mask : (tensor<1x2x?x?xf32>, tensor<1x1x?x?xf32>) -> tensor<1x2x?x?xf32>
    %p = onnx.Softmax %scm : (tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
    %nan = onnx.IsNaN %p : (tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xi1>
    %p2 = onnx.Where %nan, %zero, %p : (tensor<1x2x?x?xi1>, tensor<f32>, tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
    %ao = onnx.MatMul %p2, %vh : (tensor<1x2x?x?xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
    %ot = onnx.Transpose %ao {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x?x4xf32>) -> tensor<1x?x2x4xf32>
    // expected-remark @+1 {{not raised: attention: the mask is not causal: the mask values are not 0 and a large negative number}}
    %att = onnx.Reshape %ot, %os {allowzero = 1 : i64} : (tensor<1x?x2x4xf32>, tensor<3xi64>) -> tensor<1x?x8xf32>
    return %att : tensor<1x?x8xf32>
}

// -----

// GPT-2's tanh GELU in float16: the export stores 0.044715 and sqrt(2/pi)
// rounded to float16 (0.0447083, 0.797852); they are the GELU constants up
// to float16's rounding.
// CHECK-LABEL: func.func @tanh_gelu_mlp_f16_constants
// CHECK: sieve.mlp %arg0, %{{.*}} bias %{{.*}}, %{{.*}} bias %{{.*}} {activation = #sieve.activation<gelu_tanh>} : (tensor<1x?x8xf16>, tensor<8x16xf16>, tensor<16xf16>, tensor<16x8xf16>, tensor<8xf16>) -> tensor<1x?x8xf16>
// CHECK-NOT: onnx.
func.func @tanh_gelu_mlp_f16_constants(%x: tensor<1x?x8xf16>) -> tensor<1x?x8xf16> {
  %wu = onnx.Constant {value = dense<0.1> : tensor<8x16xf16>} : tensor<8x16xf16>
  %bu = onnx.Constant {value = dense<0.2> : tensor<16xf16>} : tensor<16xf16>
  %wd = onnx.Constant {value = dense<0.3> : tensor<16x8xf16>} : tensor<16x8xf16>
  %bd = onnx.Constant {value = dense<0.4> : tensor<8xf16>} : tensor<8xf16>
  %half = onnx.Constant {value = dense<0.5> : tensor<f16>} : tensor<f16>
  %three = onnx.Constant {value = dense<3.0> : tensor<f16>} : tensor<f16>
  %c = onnx.Constant {value = dense<4.470830e-02> : tensor<f16>} : tensor<f16>
  %k = onnx.Constant {value = dense<7.978520e-01> : tensor<f16>} : tensor<f16>
  %one = onnx.Constant {value = dense<1.0> : tensor<f16>} : tensor<f16>
  %u0 = onnx.MatMul %x, %wu : (tensor<1x?x8xf16>, tensor<8x16xf16>) -> tensor<1x?x16xf16>
  %u = onnx.Add %u0, %bu : (tensor<1x?x16xf16>, tensor<16xf16>) -> tensor<1x?x16xf16>
  %h = onnx.Mul %u, %half : (tensor<1x?x16xf16>, tensor<f16>) -> tensor<1x?x16xf16>
  %p = onnx.Pow %u, %three : (tensor<1x?x16xf16>, tensor<f16>) -> tensor<1x?x16xf16>
  %pc = onnx.Mul %p, %c : (tensor<1x?x16xf16>, tensor<f16>) -> tensor<1x?x16xf16>
  %in = onnx.Add %u, %pc : (tensor<1x?x16xf16>, tensor<1x?x16xf16>) -> tensor<1x?x16xf16>
  %ink = onnx.Mul %in, %k : (tensor<1x?x16xf16>, tensor<f16>) -> tensor<1x?x16xf16>
  %t = onnx.Tanh %ink : (tensor<1x?x16xf16>) -> tensor<1x?x16xf16>
  %t1 = onnx.Add %t, %one : (tensor<1x?x16xf16>, tensor<f16>) -> tensor<1x?x16xf16>
  %g = onnx.Mul %h, %t1 : (tensor<1x?x16xf16>, tensor<1x?x16xf16>) -> tensor<1x?x16xf16>
  %d0 = onnx.MatMul %g, %wd : (tensor<1x?x16xf16>, tensor<16x8xf16>) -> tensor<1x?x8xf16>
  %d = onnx.Add %d0, %bd : (tensor<1x?x8xf16>, tensor<8xf16>) -> tensor<1x?x8xf16>
  return %d : tensor<1x?x8xf16>
}

// -----

// Near miss: 0.044 is farther from 0.044715 than float16's rounding.
// CHECK-LABEL: func.func @tanh_gelu_f16_wrong_constant
// CHECK-NOT: sieve.mlp
// CHECK: onnx.Tanh
func.func @tanh_gelu_f16_wrong_constant(%x: tensor<1x?x8xf16>) -> tensor<1x?x8xf16> {
  %wu = onnx.Constant {value = dense<0.1> : tensor<8x16xf16>} : tensor<8x16xf16>
  %bu = onnx.Constant {value = dense<0.2> : tensor<16xf16>} : tensor<16xf16>
  %wd = onnx.Constant {value = dense<0.3> : tensor<16x8xf16>} : tensor<16x8xf16>
  %bd = onnx.Constant {value = dense<0.4> : tensor<8xf16>} : tensor<8xf16>
  %half = onnx.Constant {value = dense<0.5> : tensor<f16>} : tensor<f16>
  %three = onnx.Constant {value = dense<3.0> : tensor<f16>} : tensor<f16>
  %c = onnx.Constant {value = dense<4.400000e-02> : tensor<f16>} : tensor<f16>
  %k = onnx.Constant {value = dense<7.978520e-01> : tensor<f16>} : tensor<f16>
  %one = onnx.Constant {value = dense<1.0> : tensor<f16>} : tensor<f16>
  %u0 = onnx.MatMul %x, %wu : (tensor<1x?x8xf16>, tensor<8x16xf16>) -> tensor<1x?x16xf16>
  %u = onnx.Add %u0, %bu : (tensor<1x?x16xf16>, tensor<16xf16>) -> tensor<1x?x16xf16>
  %h = onnx.Mul %u, %half : (tensor<1x?x16xf16>, tensor<f16>) -> tensor<1x?x16xf16>
  %p = onnx.Pow %u, %three : (tensor<1x?x16xf16>, tensor<f16>) -> tensor<1x?x16xf16>
  %pc = onnx.Mul %p, %c : (tensor<1x?x16xf16>, tensor<f16>) -> tensor<1x?x16xf16>
  %in = onnx.Add %u, %pc : (tensor<1x?x16xf16>, tensor<1x?x16xf16>) -> tensor<1x?x16xf16>
  %ink = onnx.Mul %in, %k : (tensor<1x?x16xf16>, tensor<f16>) -> tensor<1x?x16xf16>
  %t = onnx.Tanh %ink : (tensor<1x?x16xf16>) -> tensor<1x?x16xf16>
  %t1 = onnx.Add %t, %one : (tensor<1x?x16xf16>, tensor<f16>) -> tensor<1x?x16xf16>
  %g = onnx.Mul %h, %t1 : (tensor<1x?x16xf16>, tensor<1x?x16xf16>) -> tensor<1x?x16xf16>
  %d0 = onnx.MatMul %g, %wd : (tensor<1x?x16xf16>, tensor<16x8xf16>) -> tensor<1x?x8xf16>
  %d = onnx.Add %d0, %bd : (tensor<1x?x8xf16>, tensor<8xf16>) -> tensor<1x?x8xf16>
  return %d : tensor<1x?x8xf16>
}

// -----

// Near miss: the float16-rounded constants in a float32 computation are not
// GELU's (the tolerance is the computing type's rounding, not float16's).
// CHECK-LABEL: func.func @tanh_gelu_f32_f16_constants
// CHECK-NOT: sieve.mlp
// CHECK: onnx.Tanh
func.func @tanh_gelu_f32_f16_constants(%x: tensor<1x?x8xf32>) -> tensor<1x?x8xf32> {
  %wu = onnx.Constant {value = dense<0.1> : tensor<8x16xf32>} : tensor<8x16xf32>
  %bu = onnx.Constant {value = dense<0.2> : tensor<16xf32>} : tensor<16xf32>
  %wd = onnx.Constant {value = dense<0.3> : tensor<16x8xf32>} : tensor<16x8xf32>
  %bd = onnx.Constant {value = dense<0.4> : tensor<8xf32>} : tensor<8xf32>
  %half = onnx.Constant {value = dense<0.5> : tensor<f32>} : tensor<f32>
  %three = onnx.Constant {value = dense<3.0> : tensor<f32>} : tensor<f32>
  %c = onnx.Constant {value = dense<4.470830e-02> : tensor<f32>} : tensor<f32>
  %k = onnx.Constant {value = dense<7.978520e-01> : tensor<f32>} : tensor<f32>
  %one = onnx.Constant {value = dense<1.0> : tensor<f32>} : tensor<f32>
  %u0 = onnx.MatMul %x, %wu : (tensor<1x?x8xf32>, tensor<8x16xf32>) -> tensor<1x?x16xf32>
  %u = onnx.Add %u0, %bu : (tensor<1x?x16xf32>, tensor<16xf32>) -> tensor<1x?x16xf32>
  %h = onnx.Mul %u, %half : (tensor<1x?x16xf32>, tensor<f32>) -> tensor<1x?x16xf32>
  %p = onnx.Pow %u, %three : (tensor<1x?x16xf32>, tensor<f32>) -> tensor<1x?x16xf32>
  %pc = onnx.Mul %p, %c : (tensor<1x?x16xf32>, tensor<f32>) -> tensor<1x?x16xf32>
  %in = onnx.Add %u, %pc : (tensor<1x?x16xf32>, tensor<1x?x16xf32>) -> tensor<1x?x16xf32>
  %ink = onnx.Mul %in, %k : (tensor<1x?x16xf32>, tensor<f32>) -> tensor<1x?x16xf32>
  %t = onnx.Tanh %ink : (tensor<1x?x16xf32>) -> tensor<1x?x16xf32>
  %t1 = onnx.Add %t, %one : (tensor<1x?x16xf32>, tensor<f32>) -> tensor<1x?x16xf32>
  %g = onnx.Mul %h, %t1 : (tensor<1x?x16xf32>, tensor<1x?x16xf32>) -> tensor<1x?x16xf32>
  %d0 = onnx.MatMul %g, %wd : (tensor<1x?x16xf32>, tensor<16x8xf32>) -> tensor<1x?x8xf32>
  %d = onnx.Add %d0, %bd : (tensor<1x?x8xf32>, tensor<8xf32>) -> tensor<1x?x8xf32>
  return %d : tensor<1x?x8xf32>
}
