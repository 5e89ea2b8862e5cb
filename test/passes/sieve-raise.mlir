// RUN: sieve-opt %s -split-input-file --sieve-raise -verify-diagnostics | FileCheck %s
//
// One case per raising pattern, and the near misses that must not raise
// (they stay at the onnx level with a remark saying why). Shapes: hidden 8,
// 2 query heads and 1 KV head of head_dim 4, MLP 16, vocabulary 16.

// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME: (%[[X:.*]]: tensor<1x?x8xf32>)
// CHECK: %[[W:.*]] = sieve.weight {value = dense<5.000000e-01> : tensor<8xf32>} : tensor<8xf32>
// CHECK: %[[N:.*]] = sieve.rms_norm %[[X]], %[[W]] {epsilon = 9.99999997E-7 : f32} : (tensor<1x?x8xf32>, tensor<8xf32>) -> tensor<1x?x8xf32>
// CHECK: return %[[N]]
// CHECK-NOT: onnx.
func.func @rms_norm(%x: tensor<1x?x8xf32>) -> tensor<1x?x8xf32> {
    %eps = onnx.Constant {value = dense<1.0e-6> : tensor<f32>} : tensor<f32>
    %w = onnx.Constant {value = dense<0.5> : tensor<8xf32>} : tensor<8xf32>
    %two = onnx.Constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
    %axm1 = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
    %sq = onnx.Pow %x, %two : (tensor<1x?x8xf32>, tensor<f32>) -> tensor<1x?x8xf32>
    %ms = onnx.ReduceMean %sq, %axm1 : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x?x1xf32>
    %ve = onnx.Add %ms, %eps : (tensor<1x?x1xf32>, tensor<f32>) -> tensor<1x?x1xf32>
    %sd = onnx.Sqrt %ve : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %rs = onnx.Reciprocal %sd : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %nx = onnx.Mul %x, %rs : (tensor<1x?x8xf32>, tensor<1x?x1xf32>) -> tensor<1x?x8xf32>
    %y = onnx.Mul %nx, %w : (tensor<1x?x8xf32>, tensor<8xf32>) -> tensor<1x?x8xf32>
    return %y : tensor<1x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @rms_norm_div_form_f16_weight
// CHECK: %[[W:.*]] = sieve.weight {value = dense<1.000000e+00> : tensor<8xf16>} : tensor<8xf16>
// CHECK: sieve.rms_norm %arg0, %[[W]] {epsilon = 9.99999974E-6 : f32} : (tensor<1x?x8xf32>, tensor<8xf16>) -> tensor<1x?x8xf32>
// CHECK-NOT: onnx.
func.func @rms_norm_div_form_f16_weight(%x: tensor<1x?x8xf32>) -> tensor<1x?x8xf32> {
    %eps = onnx.Constant {value = dense<1.0e-5> : tensor<1xf32>} : tensor<1xf32>
    %w16 = onnx.Constant {value = dense<1.0> : tensor<8xf16>} : tensor<8xf16>
    %w = onnx.Cast %w16 {to = f32} : (tensor<8xf16>) -> tensor<8xf32>
    %axm1 = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
    %sq = onnx.Mul %x, %x : (tensor<1x?x8xf32>, tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
    %ms = onnx.ReduceMean %sq, %axm1 : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x?x1xf32>
    %ve = onnx.Add %eps, %ms : (tensor<1xf32>, tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %sd = onnx.Sqrt %ve : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %nx = onnx.Div %x, %sd : (tensor<1x?x8xf32>, tensor<1x?x1xf32>) -> tensor<1x?x8xf32>
    %y = onnx.Mul %w, %nx : (tensor<8xf32>, tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
    return %y : tensor<1x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @rms_norm_eps_not_constant
// CHECK-NOT: sieve.rms_norm
// CHECK: onnx.Reciprocal
// CHECK: onnx.Mul
func.func @rms_norm_eps_not_constant(%x: tensor<1x?x8xf32>, %eps: tensor<f32>) -> tensor<1x?x8xf32> {
    %w = onnx.Constant {value = dense<0.5> : tensor<8xf32>} : tensor<8xf32>
    %two = onnx.Constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
    %axm1 = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
    %sq = onnx.Pow %x, %two : (tensor<1x?x8xf32>, tensor<f32>) -> tensor<1x?x8xf32>
    %ms = onnx.ReduceMean %sq, %axm1 : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x?x1xf32>
    %ve = onnx.Add %ms, %eps : (tensor<1x?x1xf32>, tensor<f32>) -> tensor<1x?x1xf32>
    %sd = onnx.Sqrt %ve : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %rs = onnx.Reciprocal %sd : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %nx = onnx.Mul %x, %rs : (tensor<1x?x8xf32>, tensor<1x?x1xf32>) -> tensor<1x?x8xf32>
    // expected-remark @+1 {{not raised: RMSNorm: epsilon is not a constant}}
    %y = onnx.Mul %nx, %w : (tensor<1x?x8xf32>, tensor<8xf32>) -> tensor<1x?x8xf32>
    return %y : tensor<1x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @linear_bias
// CHECK-DAG: %[[W:.*]] = sieve.weight {value = dense<5.000000e-01> : tensor<8x16xf32>}
// CHECK-DAG: %[[B:.*]] = sieve.weight {value = dense<2.500000e-01> : tensor<16xf32>}
// CHECK: %[[Y:.*]] = sieve.linear %arg0, %[[W]], %[[B]] : (tensor<1x?x8xf32>, tensor<8x16xf32>, tensor<16xf32>) -> tensor<1x?x16xf32>
// CHECK: return %[[Y]]
func.func @linear_bias(%x: tensor<1x?x8xf32>) -> tensor<1x?x16xf32> {
    %w = onnx.Constant {value = dense<0.5> : tensor<8x16xf32>} : tensor<8x16xf32>
    %b = onnx.Constant {value = dense<0.25> : tensor<16xf32>} : tensor<16xf32>
    %m = onnx.MatMul %x, %w : (tensor<1x?x8xf32>, tensor<8x16xf32>) -> tensor<1x?x16xf32>
    %y = onnx.Add %m, %b : (tensor<1x?x16xf32>, tensor<16xf32>) -> tensor<1x?x16xf32>
    return %y : tensor<1x?x16xf32>
}

// -----

// CHECK-LABEL: func.func @matmul_of_activations
// CHECK: onnx.MatMul
// CHECK-NOT: sieve.linear
func.func @matmul_of_activations(%x: tensor<1x?x8xf32>, %w: tensor<8x16xf32>) -> tensor<1x?x16xf32> {
    %m = onnx.MatMul %x, %w : (tensor<1x?x8xf32>, tensor<8x16xf32>) -> tensor<1x?x16xf32>
    return %m : tensor<1x?x16xf32>
}

// -----

// CHECK-LABEL: func.func @embedding
// CHECK: %[[T:.*]] = sieve.weight {value = dense<5.000000e-01> : tensor<16x8xf32>}
// CHECK: sieve.embedding %arg0, %[[T]] : (tensor<1x?xi64>, tensor<16x8xf32>) -> tensor<1x?x8xf32>
// expected-remark @+1 {{no sieve.model for @embedding: no decoder layer (residual add with attention and MLP) was found}}
func.func @embedding(%ids: tensor<1x?xi64>) -> tensor<1x?x8xf32> {
    %t = onnx.Constant {value = dense<0.5> : tensor<16x8xf32>} : tensor<16x8xf32>
    %e = onnx.Gather %t, %ids : (tensor<16x8xf32>, tensor<1x?xi64>) -> tensor<1x?x8xf32>
    return %e : tensor<1x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @gated_mlp
// CHECK-DAG: %[[G:.*]] = sieve.weight {value = dense<1.000000e+00> : tensor<8x16xf32>}
// CHECK-DAG: %[[U:.*]] = sieve.weight {value = dense<2.000000e+00> : tensor<8x16xf32>}
// CHECK-DAG: %[[D:.*]] = sieve.weight {value = dense<3.000000e+00> : tensor<16x8xf32>}
// CHECK: %[[Y:.*]] = sieve.gated_mlp %arg0, %[[G]], %[[U]], %[[D]] {activation = #sieve.activation<silu>}
// CHECK: return %[[Y]]
// CHECK-NOT: onnx.
func.func @gated_mlp(%x: tensor<1x?x8xf32>) -> tensor<1x?x8xf32> {
    %g = onnx.Constant {value = dense<1.0> : tensor<8x16xf32>} : tensor<8x16xf32>
    %u = onnx.Constant {value = dense<2.0> : tensor<8x16xf32>} : tensor<8x16xf32>
    %d = onnx.Constant {value = dense<3.0> : tensor<16x8xf32>} : tensor<16x8xf32>
    %gx = onnx.MatMul %x, %g : (tensor<1x?x8xf32>, tensor<8x16xf32>) -> tensor<1x?x16xf32>
    %sg = onnx.Sigmoid %gx : (tensor<1x?x16xf32>) -> tensor<1x?x16xf32>
    %silu = onnx.Mul %gx, %sg : (tensor<1x?x16xf32>, tensor<1x?x16xf32>) -> tensor<1x?x16xf32>
    %ux = onnx.MatMul %x, %u : (tensor<1x?x8xf32>, tensor<8x16xf32>) -> tensor<1x?x16xf32>
    %h = onnx.Mul %silu, %ux : (tensor<1x?x16xf32>, tensor<1x?x16xf32>) -> tensor<1x?x16xf32>
    %y = onnx.MatMul %h, %d : (tensor<1x?x16xf32>, tensor<16x8xf32>) -> tensor<1x?x8xf32>
    return %y : tensor<1x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @gated_mlp_gelu_tanh
// CHECK: sieve.gated_mlp %arg0, %{{.*}}, %{{.*}}, %{{.*}} {activation = #sieve.activation<gelu_tanh>}
// CHECK-NOT: onnx.
func.func @gated_mlp_gelu_tanh(%x: tensor<1x?x8xf32>) -> tensor<1x?x8xf32> {
    %g = onnx.Constant {value = dense<1.0> : tensor<8x16xf32>} : tensor<8x16xf32>
    %u = onnx.Constant {value = dense<2.0> : tensor<8x16xf32>} : tensor<8x16xf32>
    %d = onnx.Constant {value = dense<3.0> : tensor<16x8xf32>} : tensor<16x8xf32>
    %gx = onnx.MatMul %x, %g : (tensor<1x?x8xf32>, tensor<8x16xf32>) -> tensor<1x?x16xf32>
    %act = onnx.Gelu %gx {approximate = "tanh"} : (tensor<1x?x16xf32>) -> tensor<1x?x16xf32>
    %ux = onnx.MatMul %x, %u : (tensor<1x?x8xf32>, tensor<8x16xf32>) -> tensor<1x?x16xf32>
    %h = onnx.Mul %ux, %act : (tensor<1x?x16xf32>, tensor<1x?x16xf32>) -> tensor<1x?x16xf32>
    %y = onnx.MatMul %h, %d : (tensor<1x?x16xf32>, tensor<16x8xf32>) -> tensor<1x?x8xf32>
    return %y : tensor<1x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @rotary
// CHECK-SAME: (%[[IDS:.*]]: tensor<1x?xi64>, %[[X:.*]]: tensor<1x?x8xf32>)
// CHECK: %[[INV:.*]] = sieve.weight {value = dense<[1.000000e+00, 0.00999999977]> : tensor<2xf32>} : tensor<2xf32>
// CHECK: %[[R:.*]] = sieve.rotary %[[X]], %[[INV]] {head_dim = 4 : i64, num_heads = 2 : i64, rotary_dim = 4 : i64, style = #sieve.rotary_style<half>} : (tensor<1x?x8xf32>, tensor<2xf32>) -> tensor<1x?x8xf32>
// CHECK: %[[H:.*]] = onnx.Reshape %[[R]]
// CHECK: %[[T:.*]] = onnx.Transpose %[[H]] {perm = array<i64: 0, 2, 1, 3>}
// CHECK: return %[[T]]
// CHECK-NOT: onnx.Cos
func.func @rotary(%ids: tensor<1x?xi64>, %x: tensor<1x?x8xf32>) -> tensor<1x2x?x4xf32> {
    %none = onnx.NoValue
    %c0 = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
    %c1 = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
    %len1 = onnx.Shape %ids {end = 2 : i64, start = 1 : i64} : (tensor<1x?xi64>) -> tensor<1xi64>
    %len = onnx.Squeeze %len1, %none : (tensor<1xi64>, none) -> tensor<i64>
    %pos = onnx.Range %c0, %len, %c1 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %ax01 = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
    %ax1 = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
    %inv = onnx.Constant {value = dense<[[[1.0], [0.01]]]> : tensor<1x2x1xf32>} : tensor<1x2x1xf32>
    %pos3 = onnx.Unsqueeze %pos, %ax01 : (tensor<?xi64>, tensor<2xi64>) -> tensor<1x1x?xi64>
    %posf = onnx.Cast %pos3 {to = f32} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
    %fr = onnx.MatMul %inv, %posf : (tensor<1x2x1xf32>, tensor<1x1x?xf32>) -> tensor<1x2x?xf32>
    %frt = onnx.Transpose %fr {perm = array<i64: 0, 2, 1>} : (tensor<1x2x?xf32>) -> tensor<1x?x2xf32>
    %emb = onnx.Concat %frt, %frt {axis = -1 : i64} : (tensor<1x?x2xf32>, tensor<1x?x2xf32>) -> tensor<1x?x4xf32>
    %cos = onnx.Cos %emb : (tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
    %sin = onnx.Sin %emb : (tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
    %cos4 = onnx.Unsqueeze %cos, %ax1 : (tensor<1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x?x4xf32>
    %sin4 = onnx.Unsqueeze %sin, %ax1 : (tensor<1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x?x4xf32>
    %qs = onnx.Constant {value = dense<[1, -1, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
    %qr = onnx.Reshape %x, %qs {allowzero = 1 : i64} : (tensor<1x?x8xf32>, tensor<4xi64>) -> tensor<1x?x2x4xf32>
    %qt = onnx.Transpose %qr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x4xf32>) -> tensor<1x2x?x4xf32>
    %q_s0 = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
    %q_s2 = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
    %q_smax = onnx.Constant {value = dense<9223372036854775807> : tensor<1xi64>} : tensor<1xi64>
    %q_a3 = onnx.Constant {value = dense<3> : tensor<1xi64>} : tensor<1xi64>
    %q_st = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
    %q_a = onnx.Mul %qt, %cos4 : (tensor<1x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x2x?x4xf32>
    %q_lo = onnx.Slice %qt, %q_s0, %q_s2, %q_a3, %q_st : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x2xf32>
    %q_hi = onnx.Slice %qt, %q_s2, %q_smax, %q_a3, %q_st : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x2xf32>
    %q_nhi = onnx.Neg %q_hi : (tensor<1x2x?x2xf32>) -> tensor<1x2x?x2xf32>
    %q_rh = onnx.Concat %q_nhi, %q_lo {axis = -1 : i64} : (tensor<1x2x?x2xf32>, tensor<1x2x?x2xf32>) -> tensor<1x2x?x4xf32>
    %q_b = onnx.Mul %q_rh, %sin4 : (tensor<1x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x2x?x4xf32>
    %q_rot = onnx.Add %q_a, %q_b : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
    return %q_rot : tensor<1x2x?x4xf32>
}

// -----

// CHECK-LABEL: func.func @rotary_partial
// CHECK: %[[INV:.*]] = sieve.weight {value = dense<1.000000e+00> : tensor<1xf32>} : tensor<1xf32>
// CHECK: %[[R:.*]] = sieve.rotary %arg1, %[[INV]] {head_dim = 4 : i64, num_heads = 2 : i64, rotary_dim = 2 : i64, style = #sieve.rotary_style<half>}
// CHECK: %[[H:.*]] = onnx.Reshape %[[R]]
// CHECK: %[[T:.*]] = onnx.Transpose %[[H]]
// CHECK: return %[[T]]
// CHECK-NOT: onnx.Concat
func.func @rotary_partial(%ids: tensor<1x?xi64>, %x: tensor<1x?x8xf32>) -> tensor<1x2x?x4xf32> {
    %none = onnx.NoValue
    %c0 = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
    %c1 = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
    %len1 = onnx.Shape %ids {end = 2 : i64, start = 1 : i64} : (tensor<1x?xi64>) -> tensor<1xi64>
    %len = onnx.Squeeze %len1, %none : (tensor<1xi64>, none) -> tensor<i64>
    %pos = onnx.Range %c0, %len, %c1 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %qs = onnx.Constant {value = dense<[1, -1, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
    %qr = onnx.Reshape %x, %qs {allowzero = 1 : i64} : (tensor<1x?x8xf32>, tensor<4xi64>) -> tensor<1x?x2x4xf32>
    %qt = onnx.Transpose %qr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x4xf32>) -> tensor<1x2x?x4xf32>
    %ax01 = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
    %ax1 = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
    %inv = onnx.Constant {value = dense<1.0> : tensor<1x1x1xf32>} : tensor<1x1x1xf32>
    %pos3 = onnx.Unsqueeze %pos, %ax01 : (tensor<?xi64>, tensor<2xi64>) -> tensor<1x1x?xi64>
    %posf = onnx.Cast %pos3 {to = f32} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
    %fr = onnx.MatMul %inv, %posf : (tensor<1x1x1xf32>, tensor<1x1x?xf32>) -> tensor<1x1x?xf32>
    %frt = onnx.Transpose %fr {perm = array<i64: 0, 2, 1>} : (tensor<1x1x?xf32>) -> tensor<1x?x1xf32>
    %emb = onnx.Concat %frt, %frt {axis = -1 : i64} : (tensor<1x?x1xf32>, tensor<1x?x1xf32>) -> tensor<1x?x2xf32>
    %cos = onnx.Cos %emb : (tensor<1x?x2xf32>) -> tensor<1x?x2xf32>
    %sin = onnx.Sin %emb : (tensor<1x?x2xf32>) -> tensor<1x?x2xf32>
    %cos4 = onnx.Unsqueeze %cos, %ax1 : (tensor<1x?x2xf32>, tensor<1xi64>) -> tensor<1x1x?x2xf32>
    %sin4 = onnx.Unsqueeze %sin, %ax1 : (tensor<1x?x2xf32>, tensor<1xi64>) -> tensor<1x1x?x2xf32>
    %i0 = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
    %i1 = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
    %i2 = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
    %imax = onnx.Constant {value = dense<9223372036854775807> : tensor<1xi64>} : tensor<1xi64>
    %am1 = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
    %xr = onnx.Slice %qt, %i0, %i2, %am1, %none : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<1x2x?x2xf32>
    %xp = onnx.Slice %qt, %i2, %imax, %am1, %none : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<1x2x?x2xf32>
    %a = onnx.Mul %xr, %cos4 : (tensor<1x2x?x2xf32>, tensor<1x1x?x2xf32>) -> tensor<1x2x?x2xf32>
    %lo = onnx.Slice %xr, %i0, %i1, %am1, %none : (tensor<1x2x?x2xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<1x2x?x1xf32>
    %hi = onnx.Slice %xr, %i1, %imax, %am1, %none : (tensor<1x2x?x2xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, none) -> tensor<1x2x?x1xf32>
    %nhi = onnx.Neg %hi : (tensor<1x2x?x1xf32>) -> tensor<1x2x?x1xf32>
    %rh = onnx.Concat %nhi, %lo {axis = -1 : i64} : (tensor<1x2x?x1xf32>, tensor<1x2x?x1xf32>) -> tensor<1x2x?x2xf32>
    %b = onnx.Mul %sin4, %rh : (tensor<1x1x?x2xf32>, tensor<1x2x?x2xf32>) -> tensor<1x2x?x2xf32>
    %rot = onnx.Add %b, %a : (tensor<1x2x?x2xf32>, tensor<1x2x?x2xf32>) -> tensor<1x2x?x2xf32>
    %y = onnx.Concat %rot, %xp {axis = -1 : i64} : (tensor<1x2x?x2xf32>, tensor<1x2x?x2xf32>) -> tensor<1x2x?x4xf32>
    return %y : tensor<1x2x?x4xf32>
}

// -----

// CHECK-LABEL: func.func @rotary_positions_not_from_zero
// CHECK-NOT: sieve.rotary
// CHECK: onnx.Cos
func.func @rotary_positions_not_from_zero(%ids: tensor<1x?xi64>, %x: tensor<1x?x8xf32>) -> tensor<1x2x?x4xf32> {
    %none = onnx.NoValue
    %c0 = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
    %c1 = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
    %len1 = onnx.Shape %ids {end = 2 : i64, start = 1 : i64} : (tensor<1x?xi64>) -> tensor<1xi64>
    %len = onnx.Squeeze %len1, %none : (tensor<1xi64>, none) -> tensor<i64>
    %pos = onnx.Range %c0, %len, %c1 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %ax01 = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
    %ax1 = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
    %inv = onnx.Constant {value = dense<[[[1.0], [0.01]]]> : tensor<1x2x1xf32>} : tensor<1x2x1xf32>
    %pos3 = onnx.Unsqueeze %pos, %ax01 : (tensor<?xi64>, tensor<2xi64>) -> tensor<1x1x?xi64>
    %posf = onnx.Cast %pos3 {to = f32} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
    %fr = onnx.MatMul %inv, %posf : (tensor<1x2x1xf32>, tensor<1x1x?xf32>) -> tensor<1x2x?xf32>
    %frt = onnx.Transpose %fr {perm = array<i64: 0, 2, 1>} : (tensor<1x2x?xf32>) -> tensor<1x?x2xf32>
    %emb = onnx.Concat %frt, %frt {axis = -1 : i64} : (tensor<1x?x2xf32>, tensor<1x?x2xf32>) -> tensor<1x?x4xf32>
    %cos = onnx.Cos %emb : (tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
    %sin = onnx.Sin %emb : (tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
    %cos4 = onnx.Unsqueeze %cos, %ax1 : (tensor<1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x?x4xf32>
    %sin4 = onnx.Unsqueeze %sin, %ax1 : (tensor<1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x?x4xf32>
    %qs = onnx.Constant {value = dense<[1, -1, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
    %qr = onnx.Reshape %x, %qs {allowzero = 1 : i64} : (tensor<1x?x8xf32>, tensor<4xi64>) -> tensor<1x?x2x4xf32>
    %qt = onnx.Transpose %qr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x4xf32>) -> tensor<1x2x?x4xf32>
    %q_s0 = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
    %q_s2 = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
    %q_smax = onnx.Constant {value = dense<9223372036854775807> : tensor<1xi64>} : tensor<1xi64>
    %q_a3 = onnx.Constant {value = dense<3> : tensor<1xi64>} : tensor<1xi64>
    %q_st = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
    %q_a = onnx.Mul %qt, %cos4 : (tensor<1x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x2x?x4xf32>
    %q_lo = onnx.Slice %qt, %q_s0, %q_s2, %q_a3, %q_st : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x2xf32>
    %q_hi = onnx.Slice %qt, %q_s2, %q_smax, %q_a3, %q_st : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x2xf32>
    %q_nhi = onnx.Neg %q_hi : (tensor<1x2x?x2xf32>) -> tensor<1x2x?x2xf32>
    %q_rh = onnx.Concat %q_nhi, %q_lo {axis = -1 : i64} : (tensor<1x2x?x2xf32>, tensor<1x2x?x2xf32>) -> tensor<1x2x?x4xf32>
    %q_b = onnx.Mul %q_rh, %sin4 : (tensor<1x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x2x?x4xf32>
    // expected-remark @+1 {{not raised: rotary: the cos/sin tables do not come from positions x inv_freq: the positions Range does not start at 0 with step 1}}
    %q_rot = onnx.Add %q_a, %q_b : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
    return %q_rot : tensor<1x2x?x4xf32>
}

// -----

// CHECK-LABEL: func.func @rotary_tables_from_argument
// CHECK-NOT: sieve.rotary
func.func @rotary_tables_from_argument(%emb: tensor<1x?x4xf32>, %x: tensor<1x?x8xf32>) -> tensor<1x2x?x4xf32> {
    %ax1 = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
    %cos = onnx.Cos %emb : (tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
    %sin = onnx.Sin %emb : (tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
    %cos4 = onnx.Unsqueeze %cos, %ax1 : (tensor<1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x?x4xf32>
    %sin4 = onnx.Unsqueeze %sin, %ax1 : (tensor<1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x?x4xf32>
    %qs = onnx.Constant {value = dense<[1, -1, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
    %qr = onnx.Reshape %x, %qs {allowzero = 1 : i64} : (tensor<1x?x8xf32>, tensor<4xi64>) -> tensor<1x?x2x4xf32>
    %qt = onnx.Transpose %qr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x4xf32>) -> tensor<1x2x?x4xf32>
    %q_s0 = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
    %q_s2 = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
    %q_smax = onnx.Constant {value = dense<9223372036854775807> : tensor<1xi64>} : tensor<1xi64>
    %q_a3 = onnx.Constant {value = dense<3> : tensor<1xi64>} : tensor<1xi64>
    %q_st = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
    %q_a = onnx.Mul %qt, %cos4 : (tensor<1x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x2x?x4xf32>
    %q_lo = onnx.Slice %qt, %q_s0, %q_s2, %q_a3, %q_st : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x2xf32>
    %q_hi = onnx.Slice %qt, %q_s2, %q_smax, %q_a3, %q_st : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x2xf32>
    %q_nhi = onnx.Neg %q_hi : (tensor<1x2x?x2xf32>) -> tensor<1x2x?x2xf32>
    %q_rh = onnx.Concat %q_nhi, %q_lo {axis = -1 : i64} : (tensor<1x2x?x2xf32>, tensor<1x2x?x2xf32>) -> tensor<1x2x?x4xf32>
    %q_b = onnx.Mul %q_rh, %sin4 : (tensor<1x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x2x?x4xf32>
    // expected-remark @+1 {{not raised: rotary: the cos/sin tables do not come from positions x inv_freq: the angles are not Concat(freqs, freqs)}}
    %q_rot = onnx.Add %q_a, %q_b : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
    return %q_rot : tensor<1x2x?x4xf32>
}

// -----

// CHECK-LABEL: func.func @attention_gqa_causal
// CHECK-SAME: (%[[IDS:.*]]: tensor<1x?xi64>, %[[Q:.*]]: tensor<1x?x8xf32>, %[[K:.*]]: tensor<1x?x4xf32>, %[[V:.*]]: tensor<1x?x4xf32>)
// CHECK: %[[A:.*]] = sieve.attention %[[Q]], %[[K]], %[[V]] {head_dim = 4 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 2.500000e-01 : f32} : (tensor<1x?x8xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
// CHECK: return %[[A]]
// CHECK-NOT: onnx.
func.func @attention_gqa_causal(%ids: tensor<1x?xi64>, %q: tensor<1x?x8xf32>, %k: tensor<1x?x4xf32>, %v: tensor<1x?x4xf32>) -> tensor<1x?x8xf32> {
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
    %neg = onnx.Constant {value = dense<-3.40282347E+38> : tensor<f32>} : tensor<f32>
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
    %att = onnx.Reshape %ot, %os {allowzero = 1 : i64} : (tensor<1x?x2x4xf32>, tensor<3xi64>) -> tensor<1x?x8xf32>
    return %att : tensor<1x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @attention_mask_not_causal
// CHECK-NOT: sieve.attention
// CHECK: onnx.Softmax
func.func @attention_mask_not_causal(%ids: tensor<1x?xi64>, %q: tensor<1x?x8xf32>, %k: tensor<1x?x4xf32>, %v: tensor<1x?x4xf32>) -> tensor<1x?x8xf32> {
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
    %neg = onnx.Constant {value = dense<-3.40282347E+38> : tensor<f32>} : tensor<f32>
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
    %cond = onnx.LessOrEqual %row, %col : (tensor<1x1x?x1xi64>, tensor<1x1x1x?xi64>) -> tensor<1x1x?x?xi1>
    %mask = onnx.Where %cond, %zero, %neg : (tensor<1x1x?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<1x1x?x?xf32>
    %sc = onnx.MatMul %qsc, %ksc : (tensor<1x2x?x4xf32>, tensor<1x2x4x?xf32>) -> tensor<1x2x?x?xf32>
    %scm = onnx.Add %sc, %mask : (tensor<1x2x?x?xf32>, tensor<1x1x?x?xf32>) -> tensor<1x2x?x?xf32>
    %p = onnx.Softmax %scm : (tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
    %nan = onnx.IsNaN %p : (tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xi1>
    %p2 = onnx.Where %nan, %zero, %p : (tensor<1x2x?x?xi1>, tensor<f32>, tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
    %ao = onnx.MatMul %p2, %vh : (tensor<1x2x?x?xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
    %ot = onnx.Transpose %ao {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x?x4xf32>) -> tensor<1x?x2x4xf32>
    // expected-remark @+1 {{not raised: attention: the mask is not causal: the mask does not allow exactly the keys j <= i}}
    %att = onnx.Reshape %ot, %os {allowzero = 1 : i64} : (tensor<1x?x2x4xf32>, tensor<3xi64>) -> tensor<1x?x8xf32>
    return %att : tensor<1x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @attention_mha_div_scale
// CHECK: %[[A:.*]] = sieve.attention %arg1, %arg2, %arg3 {head_dim = 4 : i64, num_heads = 2 : i64, num_kv_heads = 2 : i64, scale = 5.000000e-01 : f32}
// CHECK: return %[[A]]
// CHECK-NOT: onnx.
func.func @attention_mha_div_scale(%ids: tensor<1x?xi64>, %q: tensor<1x?x8xf32>, %k: tensor<1x?x8xf32>, %v: tensor<1x?x8xf32>) -> tensor<1x?x8xf32> {
    %none = onnx.NoValue
    %c0 = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
    %c1 = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
    %len1 = onnx.Shape %ids {end = 2 : i64, start = 1 : i64} : (tensor<1x?xi64>) -> tensor<1xi64>
    %len = onnx.Squeeze %len1, %none : (tensor<1xi64>, none) -> tensor<i64>
    %pos = onnx.Range %c0, %len, %c1 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %qs = onnx.Constant {value = dense<[1, -1, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
    %qr = onnx.Reshape %q, %qs {allowzero = 1 : i64} : (tensor<1x?x8xf32>, tensor<4xi64>) -> tensor<1x?x2x4xf32>
    %qt = onnx.Transpose %qr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x4xf32>) -> tensor<1x2x?x4xf32>
    %ks = onnx.Constant {value = dense<[1, -1, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
    %kr = onnx.Reshape %k, %ks {allowzero = 1 : i64} : (tensor<1x?x8xf32>, tensor<4xi64>) -> tensor<1x?x2x4xf32>
    %kt = onnx.Transpose %kr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x4xf32>) -> tensor<1x2x?x4xf32>
    %vs = onnx.Constant {value = dense<[1, -1, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
    %vr = onnx.Reshape %v, %vs {allowzero = 1 : i64} : (tensor<1x?x8xf32>, tensor<4xi64>) -> tensor<1x?x2x4xf32>
    %vt = onnx.Transpose %vr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x4xf32>) -> tensor<1x2x?x4xf32>
    %ax013 = onnx.Constant {value = dense<[0, 1, 3]> : tensor<3xi64>} : tensor<3xi64>
    %ax012 = onnx.Constant {value = dense<[0, 1, 2]> : tensor<3xi64>} : tensor<3xi64>
    %os = onnx.Constant {value = dense<[1, -1, 8]> : tensor<3xi64>} : tensor<3xi64>
    %two = onnx.Constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
    %zero = onnx.Constant {value = dense<0.0> : tensor<f32>} : tensor<f32>
    %ninf = onnx.Constant {value = dense<0xFF800000> : tensor<f32>} : tensor<f32>
    %kT = onnx.Transpose %kt {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x?x4xf32>) -> tensor<1x2x4x?xf32>
    %row = onnx.Unsqueeze %pos, %ax013 : (tensor<?xi64>, tensor<3xi64>) -> tensor<1x1x?x1xi64>
    %col = onnx.Unsqueeze %pos, %ax012 : (tensor<?xi64>, tensor<3xi64>) -> tensor<1x1x1x?xi64>
    %cond = onnx.Greater %col, %row : (tensor<1x1x1x?xi64>, tensor<1x1x?x1xi64>) -> tensor<1x1x?x?xi1>
    %mask = onnx.Where %cond, %ninf, %zero : (tensor<1x1x?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<1x1x?x?xf32>
    %sc = onnx.MatMul %qt, %kT : (tensor<1x2x?x4xf32>, tensor<1x2x4x?xf32>) -> tensor<1x2x?x?xf32>
    %scd = onnx.Div %sc, %two : (tensor<1x2x?x?xf32>, tensor<f32>) -> tensor<1x2x?x?xf32>
    %scm = onnx.Add %mask, %scd : (tensor<1x1x?x?xf32>, tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
    %p = onnx.Softmax %scm {axis = 3 : i64} : (tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
    %ao = onnx.MatMul %p, %vt : (tensor<1x2x?x?xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
    %ot = onnx.Transpose %ao {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x?x4xf32>) -> tensor<1x?x2x4xf32>
    %att = onnx.Reshape %ot, %os {allowzero = 1 : i64} : (tensor<1x?x2x4xf32>, tensor<3xi64>) -> tensor<1x?x8xf32>
    return %att : tensor<1x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @attention_where_on_scores
// CHECK: %[[A:.*]] = sieve.attention %arg1, %arg2, %arg3 {head_dim = 4 : i64, num_heads = 2 : i64, num_kv_heads = 2 : i64, scale = 1.000000e+00 : f32}
// CHECK: return %[[A]]
// CHECK-NOT: onnx.
func.func @attention_where_on_scores(%ids: tensor<1x?xi64>, %q: tensor<1x?x8xf32>, %k: tensor<1x?x8xf32>, %v: tensor<1x?x8xf32>) -> tensor<1x?x8xf32> {
    %none = onnx.NoValue
    %c0 = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
    %c1 = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
    %len1 = onnx.Shape %ids {end = 2 : i64, start = 1 : i64} : (tensor<1x?xi64>) -> tensor<1xi64>
    %len = onnx.Squeeze %len1, %none : (tensor<1xi64>, none) -> tensor<i64>
    %pos = onnx.Range %c0, %len, %c1 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %qs = onnx.Constant {value = dense<[1, -1, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
    %qr = onnx.Reshape %q, %qs {allowzero = 1 : i64} : (tensor<1x?x8xf32>, tensor<4xi64>) -> tensor<1x?x2x4xf32>
    %qt = onnx.Transpose %qr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x4xf32>) -> tensor<1x2x?x4xf32>
    %ks = onnx.Constant {value = dense<[1, -1, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
    %kr = onnx.Reshape %k, %ks {allowzero = 1 : i64} : (tensor<1x?x8xf32>, tensor<4xi64>) -> tensor<1x?x2x4xf32>
    %kt = onnx.Transpose %kr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x4xf32>) -> tensor<1x2x?x4xf32>
    %vs = onnx.Constant {value = dense<[1, -1, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
    %vr = onnx.Reshape %v, %vs {allowzero = 1 : i64} : (tensor<1x?x8xf32>, tensor<4xi64>) -> tensor<1x?x2x4xf32>
    %vt = onnx.Transpose %vr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x4xf32>) -> tensor<1x2x?x4xf32>
    %ax013 = onnx.Constant {value = dense<[0, 1, 3]> : tensor<3xi64>} : tensor<3xi64>
    %ax012 = onnx.Constant {value = dense<[0, 1, 2]> : tensor<3xi64>} : tensor<3xi64>
    %os = onnx.Constant {value = dense<[1, -1, 8]> : tensor<3xi64>} : tensor<3xi64>
    %big = onnx.Constant {value = dense<-3.40282347E+38> : tensor<f32>} : tensor<f32>
    %kT = onnx.Transpose %kt {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x?x4xf32>) -> tensor<1x2x4x?xf32>
    %row = onnx.Unsqueeze %pos, %ax013 : (tensor<?xi64>, tensor<3xi64>) -> tensor<1x1x?x1xi64>
    %col = onnx.Unsqueeze %pos, %ax012 : (tensor<?xi64>, tensor<3xi64>) -> tensor<1x1x1x?xi64>
    %cond = onnx.GreaterOrEqual %row, %col : (tensor<1x1x?x1xi64>, tensor<1x1x1x?xi64>) -> tensor<1x1x?x?xi1>
    %sc = onnx.MatMul %qt, %kT : (tensor<1x2x?x4xf32>, tensor<1x2x4x?xf32>) -> tensor<1x2x?x?xf32>
    %scm = onnx.Where %cond, %sc, %big : (tensor<1x1x?x?xi1>, tensor<1x2x?x?xf32>, tensor<f32>) -> tensor<1x2x?x?xf32>
    %p = onnx.Softmax %scm : (tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
    %ao = onnx.MatMul %p, %vt : (tensor<1x2x?x?xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
    %ot = onnx.Transpose %ao {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x?x4xf32>) -> tensor<1x?x2x4xf32>
    %att = onnx.Reshape %ot, %os {allowzero = 1 : i64} : (tensor<1x?x2x4xf32>, tensor<3xi64>) -> tensor<1x?x8xf32>
    return %att : tensor<1x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @attention_where_strictly_causal
// CHECK-NOT: sieve.attention
// CHECK: onnx.Softmax
func.func @attention_where_strictly_causal(%ids: tensor<1x?xi64>, %q: tensor<1x?x8xf32>, %k: tensor<1x?x8xf32>, %v: tensor<1x?x8xf32>) -> tensor<1x?x8xf32> {
    %none = onnx.NoValue
    %c0 = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
    %c1 = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
    %len1 = onnx.Shape %ids {end = 2 : i64, start = 1 : i64} : (tensor<1x?xi64>) -> tensor<1xi64>
    %len = onnx.Squeeze %len1, %none : (tensor<1xi64>, none) -> tensor<i64>
    %pos = onnx.Range %c0, %len, %c1 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %qs = onnx.Constant {value = dense<[1, -1, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
    %qr = onnx.Reshape %q, %qs {allowzero = 1 : i64} : (tensor<1x?x8xf32>, tensor<4xi64>) -> tensor<1x?x2x4xf32>
    %qt = onnx.Transpose %qr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x4xf32>) -> tensor<1x2x?x4xf32>
    %ks = onnx.Constant {value = dense<[1, -1, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
    %kr = onnx.Reshape %k, %ks {allowzero = 1 : i64} : (tensor<1x?x8xf32>, tensor<4xi64>) -> tensor<1x?x2x4xf32>
    %kt = onnx.Transpose %kr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x4xf32>) -> tensor<1x2x?x4xf32>
    %vs = onnx.Constant {value = dense<[1, -1, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
    %vr = onnx.Reshape %v, %vs {allowzero = 1 : i64} : (tensor<1x?x8xf32>, tensor<4xi64>) -> tensor<1x?x2x4xf32>
    %vt = onnx.Transpose %vr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x4xf32>) -> tensor<1x2x?x4xf32>
    %ax013 = onnx.Constant {value = dense<[0, 1, 3]> : tensor<3xi64>} : tensor<3xi64>
    %ax012 = onnx.Constant {value = dense<[0, 1, 2]> : tensor<3xi64>} : tensor<3xi64>
    %os = onnx.Constant {value = dense<[1, -1, 8]> : tensor<3xi64>} : tensor<3xi64>
    %big = onnx.Constant {value = dense<-3.40282347E+38> : tensor<f32>} : tensor<f32>
    %kT = onnx.Transpose %kt {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x?x4xf32>) -> tensor<1x2x4x?xf32>
    %row = onnx.Unsqueeze %pos, %ax013 : (tensor<?xi64>, tensor<3xi64>) -> tensor<1x1x?x1xi64>
    %col = onnx.Unsqueeze %pos, %ax012 : (tensor<?xi64>, tensor<3xi64>) -> tensor<1x1x1x?xi64>
    %cond = onnx.Greater %row, %col : (tensor<1x1x?x1xi64>, tensor<1x1x1x?xi64>) -> tensor<1x1x?x?xi1>
    %sc = onnx.MatMul %qt, %kT : (tensor<1x2x?x4xf32>, tensor<1x2x4x?xf32>) -> tensor<1x2x?x?xf32>
    %scm = onnx.Where %cond, %sc, %big : (tensor<1x1x?x?xi1>, tensor<1x2x?x?xf32>, tensor<f32>) -> tensor<1x2x?x?xf32>
    %p = onnx.Softmax %scm : (tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
    %ao = onnx.MatMul %p, %vt : (tensor<1x2x?x?xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
    %ot = onnx.Transpose %ao {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x?x4xf32>) -> tensor<1x?x2x4xf32>
    // expected-remark @+1 {{not raised: attention: the mask is not causal: the mask does not allow exactly the keys j <= i}}
    %att = onnx.Reshape %ot, %os {allowzero = 1 : i64} : (tensor<1x?x2x4xf32>, tensor<3xi64>) -> tensor<1x?x8xf32>
    return %att : tensor<1x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @rms_norm_pow_form
// CHECK: sieve.rms_norm %arg0, %{{.*}} {epsilon = 9.99999974E-6 : f32}
// CHECK-NOT: onnx.
func.func @rms_norm_pow_form(%x: tensor<1x?x8xf32>) -> tensor<1x?x8xf32> {
    %eps = onnx.Constant {value = dense<1.0e-5> : tensor<f32>} : tensor<f32>
    %w = onnx.Constant {value = dense<1.0> : tensor<8xf32>} : tensor<8xf32>
    %two = onnx.Constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
    %mhalf = onnx.Constant {value = dense<-0.5> : tensor<f32>} : tensor<f32>
    %axm1 = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
    %sq = onnx.Pow %x, %two : (tensor<1x?x8xf32>, tensor<f32>) -> tensor<1x?x8xf32>
    %ms = onnx.ReduceMean %sq, %axm1 : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x?x1xf32>
    %ve = onnx.Add %ms, %eps : (tensor<1x?x1xf32>, tensor<f32>) -> tensor<1x?x1xf32>
    %rs = onnx.Pow %ve, %mhalf : (tensor<1x?x1xf32>, tensor<f32>) -> tensor<1x?x1xf32>
    %nx = onnx.Mul %rs, %x : (tensor<1x?x1xf32>, tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
    %y = onnx.Mul %nx, %w : (tensor<1x?x8xf32>, tensor<8xf32>) -> tensor<1x?x8xf32>
    return %y : tensor<1x?x8xf32>
}

// -----

// CHECK-LABEL: func.func @gather_by_positions_is_no_embedding
// CHECK-NOT: sieve.embedding
// CHECK: onnx.Gather
func.func @gather_by_positions_is_no_embedding(%ids: tensor<1x?xi64>) -> tensor<1x?x4xf32> {
    %none = onnx.NoValue
    %c0 = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
    %c1 = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
    %len1 = onnx.Shape %ids {end = 2 : i64, start = 1 : i64} : (tensor<1x?xi64>) -> tensor<1xi64>
    %len = onnx.Squeeze %len1, %none : (tensor<1xi64>, none) -> tensor<i64>
    %pos = onnx.Range %c0, %len, %c1 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %ax0 = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
    %cache = onnx.Constant {value = dense<0.5> : tensor<64x4xf32>} : tensor<64x4xf32>
    %p2 = onnx.Unsqueeze %pos, %ax0 : (tensor<?xi64>, tensor<1xi64>) -> tensor<1x?xi64>
    %c = onnx.Gather %cache, %p2 : (tensor<64x4xf32>, tensor<1x?xi64>) -> tensor<1x?x4xf32>
    return %c : tensor<1x?x4xf32>
}

// -----

// CHECK-LABEL: func.func @one_layer_model
// CHECK-SAME: (%[[IDS:.*]]: tensor<1x?xi64>)
// CHECK: %[[M:.*]] = sieve.model "llama"(%[[IDS]]) attributes {hidden_size = 8 : i64, num_layers = 1 : i64, vocab_size = 16 : i64} {
// CHECK: ^bb0(%[[T:.*]]: tensor<1x?xi64>):
// CHECK-NOT: onnx.
// CHECK: %[[E:.*]] = sieve.embedding %[[T]]
// CHECK: %[[L:.*]] = sieve.decoder_layer 0(%[[E]]) {
// CHECK: ^bb0(%[[H:.*]]: tensor<1x?x8xf32>):
// CHECK-COUNT-10: sieve.weight
// CHECK: %[[N1:.*]] = sieve.rms_norm %[[H]]
// CHECK: %[[QL:.*]] = sieve.linear %[[N1]]
// CHECK: %[[KL:.*]] = sieve.linear %[[N1]]
// CHECK: %[[VL:.*]] = sieve.linear %[[N1]]
// CHECK: %[[QR:.*]] = sieve.rotary %[[QL]], {{.*}}num_heads = 2
// CHECK: %[[KR:.*]] = sieve.rotary %[[KL]], {{.*}}num_heads = 1
// CHECK: %[[A:.*]] = sieve.attention %[[QR]], %[[KR]], %[[VL]]
// CHECK: %[[O:.*]] = sieve.linear %[[A]]
// CHECK: %[[X1:.*]] = sieve.add %[[H]], %[[O]]
// CHECK: %[[N2:.*]] = sieve.rms_norm %[[X1]]
// CHECK: %[[MO:.*]] = sieve.gated_mlp %[[N2]]
// CHECK: %[[X2:.*]] = sieve.add %[[X1]], %[[MO]]
// CHECK: sieve.yield %[[X2]]
// CHECK: } : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
// CHECK: %[[NF:.*]] = sieve.rms_norm %[[L]]
// CHECK: %[[LG:.*]] = sieve.lm_head %[[NF]]
// CHECK: sieve.output %[[LG]] : tensor<1x?x16xf32>
// CHECK: } : (tensor<1x?xi64>) -> tensor<1x?x16xf32>
// CHECK: return %[[M]]
// CHECK-NOT: onnx.
func.func @one_layer_model(%ids: tensor<1x?xi64>) -> tensor<1x?x16xf32> {
    %none = onnx.NoValue
    %c0 = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
    %c1 = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
    %len1 = onnx.Shape %ids {end = 2 : i64, start = 1 : i64} : (tensor<1x?xi64>) -> tensor<1xi64>
    %len = onnx.Squeeze %len1, %none : (tensor<1xi64>, none) -> tensor<i64>
    %pos = onnx.Range %c0, %len, %c1 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %ax01 = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
    %ax1 = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
    %inv = onnx.Constant {value = dense<[[[1.0], [0.01]]]> : tensor<1x2x1xf32>} : tensor<1x2x1xf32>
    %pos3 = onnx.Unsqueeze %pos, %ax01 : (tensor<?xi64>, tensor<2xi64>) -> tensor<1x1x?xi64>
    %posf = onnx.Cast %pos3 {to = f32} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
    %fr = onnx.MatMul %inv, %posf : (tensor<1x2x1xf32>, tensor<1x1x?xf32>) -> tensor<1x2x?xf32>
    %frt = onnx.Transpose %fr {perm = array<i64: 0, 2, 1>} : (tensor<1x2x?xf32>) -> tensor<1x?x2xf32>
    %emb = onnx.Concat %frt, %frt {axis = -1 : i64} : (tensor<1x?x2xf32>, tensor<1x?x2xf32>) -> tensor<1x?x4xf32>
    %cos = onnx.Cos %emb : (tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
    %sin = onnx.Sin %emb : (tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
    %cos4 = onnx.Unsqueeze %cos, %ax1 : (tensor<1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x?x4xf32>
    %sin4 = onnx.Unsqueeze %sin, %ax1 : (tensor<1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x?x4xf32>
    %etab = onnx.Constant {value = dense<0.125> : tensor<16x8xf32>} : tensor<16x8xf32>
    %eps = onnx.Constant {value = dense<1.0e-6> : tensor<f32>} : tensor<f32>
    %ln1 = onnx.Constant {value = dense<1.0> : tensor<8xf32>} : tensor<8xf32>
    %ln2 = onnx.Constant {value = dense<2.0> : tensor<8xf32>} : tensor<8xf32>
    %lnf = onnx.Constant {value = dense<3.0> : tensor<8xf32>} : tensor<8xf32>
    %wq = onnx.Constant {value = dense<0.01> : tensor<8x8xf32>} : tensor<8x8xf32>
    %wk = onnx.Constant {value = dense<0.02> : tensor<8x4xf32>} : tensor<8x4xf32>
    %wv = onnx.Constant {value = dense<0.03> : tensor<8x4xf32>} : tensor<8x4xf32>
    %wo = onnx.Constant {value = dense<0.04> : tensor<8x8xf32>} : tensor<8x8xf32>
    %wg = onnx.Constant {value = dense<0.05> : tensor<8x16xf32>} : tensor<8x16xf32>
    %wu = onnx.Constant {value = dense<0.06> : tensor<8x16xf32>} : tensor<8x16xf32>
    %wd = onnx.Constant {value = dense<0.07> : tensor<16x8xf32>} : tensor<16x8xf32>
    %wl = onnx.Constant {value = dense<0.08> : tensor<8x16xf32>} : tensor<8x16xf32>
    %x0 = onnx.Gather %etab, %ids : (tensor<16x8xf32>, tensor<1x?xi64>) -> tensor<1x?x8xf32>
    %atwo = onnx.Constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
    %aaxm1 = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
    %asq = onnx.Pow %x0, %atwo : (tensor<1x?x8xf32>, tensor<f32>) -> tensor<1x?x8xf32>
    %ams = onnx.ReduceMean %asq, %aaxm1 : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x?x1xf32>
    %ave = onnx.Add %ams, %eps : (tensor<1x?x1xf32>, tensor<f32>) -> tensor<1x?x1xf32>
    %asd = onnx.Sqrt %ave : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %ars = onnx.Reciprocal %asd : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %anx = onnx.Mul %x0, %ars : (tensor<1x?x8xf32>, tensor<1x?x1xf32>) -> tensor<1x?x8xf32>
    %n1 = onnx.Mul %anx, %ln1 : (tensor<1x?x8xf32>, tensor<8xf32>) -> tensor<1x?x8xf32>
    %q = onnx.MatMul %n1, %wq : (tensor<1x?x8xf32>, tensor<8x8xf32>) -> tensor<1x?x8xf32>
    %k = onnx.MatMul %n1, %wk : (tensor<1x?x8xf32>, tensor<8x4xf32>) -> tensor<1x?x4xf32>
    %v = onnx.MatMul %n1, %wv : (tensor<1x?x8xf32>, tensor<8x4xf32>) -> tensor<1x?x4xf32>
    %qs = onnx.Constant {value = dense<[1, -1, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
    %qr = onnx.Reshape %q, %qs {allowzero = 1 : i64} : (tensor<1x?x8xf32>, tensor<4xi64>) -> tensor<1x?x2x4xf32>
    %qt = onnx.Transpose %qr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x4xf32>) -> tensor<1x2x?x4xf32>
    %ks = onnx.Constant {value = dense<[1, -1, 1, 4]> : tensor<4xi64>} : tensor<4xi64>
    %kr = onnx.Reshape %k, %ks {allowzero = 1 : i64} : (tensor<1x?x4xf32>, tensor<4xi64>) -> tensor<1x?x1x4xf32>
    %kt = onnx.Transpose %kr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x1x4xf32>) -> tensor<1x1x?x4xf32>
    %vs = onnx.Constant {value = dense<[1, -1, 1, 4]> : tensor<4xi64>} : tensor<4xi64>
    %vr = onnx.Reshape %v, %vs {allowzero = 1 : i64} : (tensor<1x?x4xf32>, tensor<4xi64>) -> tensor<1x?x1x4xf32>
    %vt = onnx.Transpose %vr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x1x4xf32>) -> tensor<1x1x?x4xf32>
    %q_s0 = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
    %q_s2 = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
    %q_smax = onnx.Constant {value = dense<9223372036854775807> : tensor<1xi64>} : tensor<1xi64>
    %q_a3 = onnx.Constant {value = dense<3> : tensor<1xi64>} : tensor<1xi64>
    %q_st = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
    %q_a = onnx.Mul %qt, %cos4 : (tensor<1x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x2x?x4xf32>
    %q_lo = onnx.Slice %qt, %q_s0, %q_s2, %q_a3, %q_st : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x2xf32>
    %q_hi = onnx.Slice %qt, %q_s2, %q_smax, %q_a3, %q_st : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x2xf32>
    %q_nhi = onnx.Neg %q_hi : (tensor<1x2x?x2xf32>) -> tensor<1x2x?x2xf32>
    %q_rh = onnx.Concat %q_nhi, %q_lo {axis = -1 : i64} : (tensor<1x2x?x2xf32>, tensor<1x2x?x2xf32>) -> tensor<1x2x?x4xf32>
    %q_b = onnx.Mul %q_rh, %sin4 : (tensor<1x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x2x?x4xf32>
    %q_rot = onnx.Add %q_a, %q_b : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
    %k_s0 = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
    %k_s2 = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
    %k_smax = onnx.Constant {value = dense<9223372036854775807> : tensor<1xi64>} : tensor<1xi64>
    %k_a3 = onnx.Constant {value = dense<3> : tensor<1xi64>} : tensor<1xi64>
    %k_st = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
    %k_a = onnx.Mul %kt, %cos4 : (tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x1x?x4xf32>
    %k_lo = onnx.Slice %kt, %k_s0, %k_s2, %k_a3, %k_st : (tensor<1x1x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x?x2xf32>
    %k_hi = onnx.Slice %kt, %k_s2, %k_smax, %k_a3, %k_st : (tensor<1x1x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x?x2xf32>
    %k_nhi = onnx.Neg %k_hi : (tensor<1x1x?x2xf32>) -> tensor<1x1x?x2xf32>
    %k_rh = onnx.Concat %k_nhi, %k_lo {axis = -1 : i64} : (tensor<1x1x?x2xf32>, tensor<1x1x?x2xf32>) -> tensor<1x1x?x4xf32>
    %k_b = onnx.Mul %k_rh, %sin4 : (tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x1x?x4xf32>
    %k_rot = onnx.Add %k_a, %k_b : (tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x1x?x4xf32>
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
    %neg = onnx.Constant {value = dense<-3.40282347E+38> : tensor<f32>} : tensor<f32>
    %ku = onnx.Unsqueeze %k_rot, %ax2 : (tensor<1x1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x1x?x4xf32>
    %ke = onnx.Expand %ku, %es : (tensor<1x1x1x?x4xf32>, tensor<5xi64>) -> tensor<1x1x2x?x4xf32>
    %vu = onnx.Unsqueeze %vt, %ax2 : (tensor<1x1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x1x?x4xf32>
    %ve = onnx.Expand %vu, %es : (tensor<1x1x1x?x4xf32>, tensor<5xi64>) -> tensor<1x1x2x?x4xf32>
    %vh = onnx.Reshape %ve, %hs {allowzero = 1 : i64} : (tensor<1x1x2x?x4xf32>, tensor<4xi64>) -> tensor<1x2x?x4xf32>
    %k3 = onnx.Reshape %ke, %s3 : (tensor<1x1x2x?x4xf32>, tensor<3xi64>) -> tensor<2x?x4xf32>
    %k3t = onnx.Transpose %k3 {perm = array<i64: 0, 2, 1>} : (tensor<2x?x4xf32>) -> tensor<2x4x?xf32>
    %kT = onnx.Reshape %k3t, %s4 : (tensor<2x4x?xf32>, tensor<4xi64>) -> tensor<1x2x4x?xf32>
    %qsc = onnx.Mul %q_rot, %half : (tensor<1x2x?x4xf32>, tensor<f32>) -> tensor<1x2x?x4xf32>
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
    %att = onnx.Reshape %ot, %os {allowzero = 1 : i64} : (tensor<1x?x2x4xf32>, tensor<3xi64>) -> tensor<1x?x8xf32>
    %o = onnx.MatMul %att, %wo : (tensor<1x?x8xf32>, tensor<8x8xf32>) -> tensor<1x?x8xf32>
    %x1 = onnx.Add %x0, %o : (tensor<1x?x8xf32>, tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
    %btwo = onnx.Constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
    %baxm1 = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
    %bsq = onnx.Pow %x1, %btwo : (tensor<1x?x8xf32>, tensor<f32>) -> tensor<1x?x8xf32>
    %bms = onnx.ReduceMean %bsq, %baxm1 : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x?x1xf32>
    %bve = onnx.Add %bms, %eps : (tensor<1x?x1xf32>, tensor<f32>) -> tensor<1x?x1xf32>
    %bsd = onnx.Sqrt %bve : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %brs = onnx.Reciprocal %bsd : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %bnx = onnx.Mul %x1, %brs : (tensor<1x?x8xf32>, tensor<1x?x1xf32>) -> tensor<1x?x8xf32>
    %n2 = onnx.Mul %bnx, %ln2 : (tensor<1x?x8xf32>, tensor<8xf32>) -> tensor<1x?x8xf32>
    %gx = onnx.MatMul %n2, %wg : (tensor<1x?x8xf32>, tensor<8x16xf32>) -> tensor<1x?x16xf32>
    %sg = onnx.Sigmoid %gx : (tensor<1x?x16xf32>) -> tensor<1x?x16xf32>
    %silu = onnx.Mul %gx, %sg : (tensor<1x?x16xf32>, tensor<1x?x16xf32>) -> tensor<1x?x16xf32>
    %ux = onnx.MatMul %n2, %wu : (tensor<1x?x8xf32>, tensor<8x16xf32>) -> tensor<1x?x16xf32>
    %h = onnx.Mul %silu, %ux : (tensor<1x?x16xf32>, tensor<1x?x16xf32>) -> tensor<1x?x16xf32>
    %mo = onnx.MatMul %h, %wd : (tensor<1x?x16xf32>, tensor<16x8xf32>) -> tensor<1x?x8xf32>
    %x2 = onnx.Add %x1, %mo : (tensor<1x?x8xf32>, tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
    %ctwo = onnx.Constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
    %caxm1 = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
    %csq = onnx.Pow %x2, %ctwo : (tensor<1x?x8xf32>, tensor<f32>) -> tensor<1x?x8xf32>
    %cms = onnx.ReduceMean %csq, %caxm1 : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x?x1xf32>
    %cve = onnx.Add %cms, %eps : (tensor<1x?x1xf32>, tensor<f32>) -> tensor<1x?x1xf32>
    %csd = onnx.Sqrt %cve : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %crs = onnx.Reciprocal %csd : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %cnx = onnx.Mul %x2, %crs : (tensor<1x?x8xf32>, tensor<1x?x1xf32>) -> tensor<1x?x8xf32>
    %nf = onnx.Mul %cnx, %lnf : (tensor<1x?x8xf32>, tensor<8xf32>) -> tensor<1x?x8xf32>
    %logits = onnx.MatMul %nf, %wl : (tensor<1x?x8xf32>, tensor<8x16xf32>) -> tensor<1x?x16xf32>
    return %logits : tensor<1x?x16xf32>
}

// -----

// CHECK-LABEL: func.func @one_layer_model_mask_not_causal
// CHECK-NOT: sieve.model
// CHECK: sieve.embedding
// CHECK: onnx.Softmax
// CHECK: sieve.gated_mlp
// CHECK: sieve.linear
// expected-remark @+1 {{sieve-raise: no sieve.model for @one_layer_model_mask_not_causal: a residual branch cannot be grouped: 'onnx.Reshape' at}}
func.func @one_layer_model_mask_not_causal(%ids: tensor<1x?xi64>) -> tensor<1x?x16xf32> {
    %none = onnx.NoValue
    %c0 = onnx.Constant {value = dense<0> : tensor<i64>} : tensor<i64>
    %c1 = onnx.Constant {value = dense<1> : tensor<i64>} : tensor<i64>
    %len1 = onnx.Shape %ids {end = 2 : i64, start = 1 : i64} : (tensor<1x?xi64>) -> tensor<1xi64>
    %len = onnx.Squeeze %len1, %none : (tensor<1xi64>, none) -> tensor<i64>
    %pos = onnx.Range %c0, %len, %c1 : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
    %ax01 = onnx.Constant {value = dense<[0, 1]> : tensor<2xi64>} : tensor<2xi64>
    %ax1 = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
    %inv = onnx.Constant {value = dense<[[[1.0], [0.01]]]> : tensor<1x2x1xf32>} : tensor<1x2x1xf32>
    %pos3 = onnx.Unsqueeze %pos, %ax01 : (tensor<?xi64>, tensor<2xi64>) -> tensor<1x1x?xi64>
    %posf = onnx.Cast %pos3 {to = f32} : (tensor<1x1x?xi64>) -> tensor<1x1x?xf32>
    %fr = onnx.MatMul %inv, %posf : (tensor<1x2x1xf32>, tensor<1x1x?xf32>) -> tensor<1x2x?xf32>
    %frt = onnx.Transpose %fr {perm = array<i64: 0, 2, 1>} : (tensor<1x2x?xf32>) -> tensor<1x?x2xf32>
    %emb = onnx.Concat %frt, %frt {axis = -1 : i64} : (tensor<1x?x2xf32>, tensor<1x?x2xf32>) -> tensor<1x?x4xf32>
    %cos = onnx.Cos %emb : (tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
    %sin = onnx.Sin %emb : (tensor<1x?x4xf32>) -> tensor<1x?x4xf32>
    %cos4 = onnx.Unsqueeze %cos, %ax1 : (tensor<1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x?x4xf32>
    %sin4 = onnx.Unsqueeze %sin, %ax1 : (tensor<1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x?x4xf32>
    %etab = onnx.Constant {value = dense<0.125> : tensor<16x8xf32>} : tensor<16x8xf32>
    %eps = onnx.Constant {value = dense<1.0e-6> : tensor<f32>} : tensor<f32>
    %ln1 = onnx.Constant {value = dense<1.0> : tensor<8xf32>} : tensor<8xf32>
    %ln2 = onnx.Constant {value = dense<2.0> : tensor<8xf32>} : tensor<8xf32>
    %lnf = onnx.Constant {value = dense<3.0> : tensor<8xf32>} : tensor<8xf32>
    %wq = onnx.Constant {value = dense<0.01> : tensor<8x8xf32>} : tensor<8x8xf32>
    %wk = onnx.Constant {value = dense<0.02> : tensor<8x4xf32>} : tensor<8x4xf32>
    %wv = onnx.Constant {value = dense<0.03> : tensor<8x4xf32>} : tensor<8x4xf32>
    %wo = onnx.Constant {value = dense<0.04> : tensor<8x8xf32>} : tensor<8x8xf32>
    %wg = onnx.Constant {value = dense<0.05> : tensor<8x16xf32>} : tensor<8x16xf32>
    %wu = onnx.Constant {value = dense<0.06> : tensor<8x16xf32>} : tensor<8x16xf32>
    %wd = onnx.Constant {value = dense<0.07> : tensor<16x8xf32>} : tensor<16x8xf32>
    %wl = onnx.Constant {value = dense<0.08> : tensor<8x16xf32>} : tensor<8x16xf32>
    %x0 = onnx.Gather %etab, %ids : (tensor<16x8xf32>, tensor<1x?xi64>) -> tensor<1x?x8xf32>
    %atwo = onnx.Constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
    %aaxm1 = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
    %asq = onnx.Pow %x0, %atwo : (tensor<1x?x8xf32>, tensor<f32>) -> tensor<1x?x8xf32>
    %ams = onnx.ReduceMean %asq, %aaxm1 : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x?x1xf32>
    %ave = onnx.Add %ams, %eps : (tensor<1x?x1xf32>, tensor<f32>) -> tensor<1x?x1xf32>
    %asd = onnx.Sqrt %ave : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %ars = onnx.Reciprocal %asd : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %anx = onnx.Mul %x0, %ars : (tensor<1x?x8xf32>, tensor<1x?x1xf32>) -> tensor<1x?x8xf32>
    %n1 = onnx.Mul %anx, %ln1 : (tensor<1x?x8xf32>, tensor<8xf32>) -> tensor<1x?x8xf32>
    %q = onnx.MatMul %n1, %wq : (tensor<1x?x8xf32>, tensor<8x8xf32>) -> tensor<1x?x8xf32>
    %k = onnx.MatMul %n1, %wk : (tensor<1x?x8xf32>, tensor<8x4xf32>) -> tensor<1x?x4xf32>
    %v = onnx.MatMul %n1, %wv : (tensor<1x?x8xf32>, tensor<8x4xf32>) -> tensor<1x?x4xf32>
    %qs = onnx.Constant {value = dense<[1, -1, 2, 4]> : tensor<4xi64>} : tensor<4xi64>
    %qr = onnx.Reshape %q, %qs {allowzero = 1 : i64} : (tensor<1x?x8xf32>, tensor<4xi64>) -> tensor<1x?x2x4xf32>
    %qt = onnx.Transpose %qr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x2x4xf32>) -> tensor<1x2x?x4xf32>
    %ks = onnx.Constant {value = dense<[1, -1, 1, 4]> : tensor<4xi64>} : tensor<4xi64>
    %kr = onnx.Reshape %k, %ks {allowzero = 1 : i64} : (tensor<1x?x4xf32>, tensor<4xi64>) -> tensor<1x?x1x4xf32>
    %kt = onnx.Transpose %kr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x1x4xf32>) -> tensor<1x1x?x4xf32>
    %vs = onnx.Constant {value = dense<[1, -1, 1, 4]> : tensor<4xi64>} : tensor<4xi64>
    %vr = onnx.Reshape %v, %vs {allowzero = 1 : i64} : (tensor<1x?x4xf32>, tensor<4xi64>) -> tensor<1x?x1x4xf32>
    %vt = onnx.Transpose %vr {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x?x1x4xf32>) -> tensor<1x1x?x4xf32>
    %q_s0 = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
    %q_s2 = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
    %q_smax = onnx.Constant {value = dense<9223372036854775807> : tensor<1xi64>} : tensor<1xi64>
    %q_a3 = onnx.Constant {value = dense<3> : tensor<1xi64>} : tensor<1xi64>
    %q_st = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
    %q_a = onnx.Mul %qt, %cos4 : (tensor<1x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x2x?x4xf32>
    %q_lo = onnx.Slice %qt, %q_s0, %q_s2, %q_a3, %q_st : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x2xf32>
    %q_hi = onnx.Slice %qt, %q_s2, %q_smax, %q_a3, %q_st : (tensor<1x2x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x2x?x2xf32>
    %q_nhi = onnx.Neg %q_hi : (tensor<1x2x?x2xf32>) -> tensor<1x2x?x2xf32>
    %q_rh = onnx.Concat %q_nhi, %q_lo {axis = -1 : i64} : (tensor<1x2x?x2xf32>, tensor<1x2x?x2xf32>) -> tensor<1x2x?x4xf32>
    %q_b = onnx.Mul %q_rh, %sin4 : (tensor<1x2x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x2x?x4xf32>
    %q_rot = onnx.Add %q_a, %q_b : (tensor<1x2x?x4xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
    %k_s0 = onnx.Constant {value = dense<0> : tensor<1xi64>} : tensor<1xi64>
    %k_s2 = onnx.Constant {value = dense<2> : tensor<1xi64>} : tensor<1xi64>
    %k_smax = onnx.Constant {value = dense<9223372036854775807> : tensor<1xi64>} : tensor<1xi64>
    %k_a3 = onnx.Constant {value = dense<3> : tensor<1xi64>} : tensor<1xi64>
    %k_st = onnx.Constant {value = dense<1> : tensor<1xi64>} : tensor<1xi64>
    %k_a = onnx.Mul %kt, %cos4 : (tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x1x?x4xf32>
    %k_lo = onnx.Slice %kt, %k_s0, %k_s2, %k_a3, %k_st : (tensor<1x1x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x?x2xf32>
    %k_hi = onnx.Slice %kt, %k_s2, %k_smax, %k_a3, %k_st : (tensor<1x1x?x4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1x1x?x2xf32>
    %k_nhi = onnx.Neg %k_hi : (tensor<1x1x?x2xf32>) -> tensor<1x1x?x2xf32>
    %k_rh = onnx.Concat %k_nhi, %k_lo {axis = -1 : i64} : (tensor<1x1x?x2xf32>, tensor<1x1x?x2xf32>) -> tensor<1x1x?x4xf32>
    %k_b = onnx.Mul %k_rh, %sin4 : (tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x1x?x4xf32>
    %k_rot = onnx.Add %k_a, %k_b : (tensor<1x1x?x4xf32>, tensor<1x1x?x4xf32>) -> tensor<1x1x?x4xf32>
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
    %neg = onnx.Constant {value = dense<-3.40282347E+38> : tensor<f32>} : tensor<f32>
    %ku = onnx.Unsqueeze %k_rot, %ax2 : (tensor<1x1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x1x?x4xf32>
    %ke = onnx.Expand %ku, %es : (tensor<1x1x1x?x4xf32>, tensor<5xi64>) -> tensor<1x1x2x?x4xf32>
    %vu = onnx.Unsqueeze %vt, %ax2 : (tensor<1x1x?x4xf32>, tensor<1xi64>) -> tensor<1x1x1x?x4xf32>
    %ve = onnx.Expand %vu, %es : (tensor<1x1x1x?x4xf32>, tensor<5xi64>) -> tensor<1x1x2x?x4xf32>
    %vh = onnx.Reshape %ve, %hs {allowzero = 1 : i64} : (tensor<1x1x2x?x4xf32>, tensor<4xi64>) -> tensor<1x2x?x4xf32>
    %k3 = onnx.Reshape %ke, %s3 : (tensor<1x1x2x?x4xf32>, tensor<3xi64>) -> tensor<2x?x4xf32>
    %k3t = onnx.Transpose %k3 {perm = array<i64: 0, 2, 1>} : (tensor<2x?x4xf32>) -> tensor<2x4x?xf32>
    %kT = onnx.Reshape %k3t, %s4 : (tensor<2x4x?xf32>, tensor<4xi64>) -> tensor<1x2x4x?xf32>
    %qsc = onnx.Mul %q_rot, %half : (tensor<1x2x?x4xf32>, tensor<f32>) -> tensor<1x2x?x4xf32>
    %ksc = onnx.Mul %kT, %half : (tensor<1x2x4x?xf32>, tensor<f32>) -> tensor<1x2x4x?xf32>
    %row = onnx.Unsqueeze %pos, %ax013 : (tensor<?xi64>, tensor<3xi64>) -> tensor<1x1x?x1xi64>
    %col = onnx.Unsqueeze %pos, %ax012 : (tensor<?xi64>, tensor<3xi64>) -> tensor<1x1x1x?xi64>
    %cond = onnx.LessOrEqual %row, %col : (tensor<1x1x?x1xi64>, tensor<1x1x1x?xi64>) -> tensor<1x1x?x?xi1>
    %mask = onnx.Where %cond, %zero, %neg : (tensor<1x1x?x?xi1>, tensor<f32>, tensor<f32>) -> tensor<1x1x?x?xf32>
    %sc = onnx.MatMul %qsc, %ksc : (tensor<1x2x?x4xf32>, tensor<1x2x4x?xf32>) -> tensor<1x2x?x?xf32>
    %scm = onnx.Add %sc, %mask : (tensor<1x2x?x?xf32>, tensor<1x1x?x?xf32>) -> tensor<1x2x?x?xf32>
    %p = onnx.Softmax %scm : (tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
    %nan = onnx.IsNaN %p : (tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xi1>
    %p2 = onnx.Where %nan, %zero, %p : (tensor<1x2x?x?xi1>, tensor<f32>, tensor<1x2x?x?xf32>) -> tensor<1x2x?x?xf32>
    %ao = onnx.MatMul %p2, %vh : (tensor<1x2x?x?xf32>, tensor<1x2x?x4xf32>) -> tensor<1x2x?x4xf32>
    %ot = onnx.Transpose %ao {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x?x4xf32>) -> tensor<1x?x2x4xf32>
    // expected-remark @+1 {{not raised: attention: the mask is not causal}}
    %att = onnx.Reshape %ot, %os {allowzero = 1 : i64} : (tensor<1x?x2x4xf32>, tensor<3xi64>) -> tensor<1x?x8xf32>
    %o = onnx.MatMul %att, %wo : (tensor<1x?x8xf32>, tensor<8x8xf32>) -> tensor<1x?x8xf32>
    %x1 = onnx.Add %x0, %o : (tensor<1x?x8xf32>, tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
    %btwo = onnx.Constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
    %baxm1 = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
    %bsq = onnx.Pow %x1, %btwo : (tensor<1x?x8xf32>, tensor<f32>) -> tensor<1x?x8xf32>
    %bms = onnx.ReduceMean %bsq, %baxm1 : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x?x1xf32>
    %bve = onnx.Add %bms, %eps : (tensor<1x?x1xf32>, tensor<f32>) -> tensor<1x?x1xf32>
    %bsd = onnx.Sqrt %bve : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %brs = onnx.Reciprocal %bsd : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %bnx = onnx.Mul %x1, %brs : (tensor<1x?x8xf32>, tensor<1x?x1xf32>) -> tensor<1x?x8xf32>
    %n2 = onnx.Mul %bnx, %ln2 : (tensor<1x?x8xf32>, tensor<8xf32>) -> tensor<1x?x8xf32>
    %gx = onnx.MatMul %n2, %wg : (tensor<1x?x8xf32>, tensor<8x16xf32>) -> tensor<1x?x16xf32>
    %sg = onnx.Sigmoid %gx : (tensor<1x?x16xf32>) -> tensor<1x?x16xf32>
    %silu = onnx.Mul %gx, %sg : (tensor<1x?x16xf32>, tensor<1x?x16xf32>) -> tensor<1x?x16xf32>
    %ux = onnx.MatMul %n2, %wu : (tensor<1x?x8xf32>, tensor<8x16xf32>) -> tensor<1x?x16xf32>
    %h = onnx.Mul %silu, %ux : (tensor<1x?x16xf32>, tensor<1x?x16xf32>) -> tensor<1x?x16xf32>
    %mo = onnx.MatMul %h, %wd : (tensor<1x?x16xf32>, tensor<16x8xf32>) -> tensor<1x?x8xf32>
    %x2 = onnx.Add %x1, %mo : (tensor<1x?x8xf32>, tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
    %ctwo = onnx.Constant {value = dense<2.0> : tensor<f32>} : tensor<f32>
    %caxm1 = onnx.Constant {value = dense<-1> : tensor<1xi64>} : tensor<1xi64>
    %csq = onnx.Pow %x2, %ctwo : (tensor<1x?x8xf32>, tensor<f32>) -> tensor<1x?x8xf32>
    %cms = onnx.ReduceMean %csq, %caxm1 : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<1x?x1xf32>
    %cve = onnx.Add %cms, %eps : (tensor<1x?x1xf32>, tensor<f32>) -> tensor<1x?x1xf32>
    %csd = onnx.Sqrt %cve : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %crs = onnx.Reciprocal %csd : (tensor<1x?x1xf32>) -> tensor<1x?x1xf32>
    %cnx = onnx.Mul %x2, %crs : (tensor<1x?x8xf32>, tensor<1x?x1xf32>) -> tensor<1x?x8xf32>
    %nf = onnx.Mul %cnx, %lnf : (tensor<1x?x8xf32>, tensor<8xf32>) -> tensor<1x?x8xf32>
    %logits = onnx.MatMul %nf, %wl : (tensor<1x?x8xf32>, tensor<8x16xf32>) -> tensor<1x?x16xf32>
    return %logits : tensor<1x?x16xf32>
}
