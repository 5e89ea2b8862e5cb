// RUN: sieve-opt %s | FileCheck %s
// RUN: sieve-opt %s | sieve-opt | FileCheck %s

// A two-layer Llama-style model in the sieve dialect: the printed form
// round-trips.

// CHECK-LABEL: func.func @llama
// CHECK: sieve.model "llama"(%{{.*}}) attributes {hidden_size = 8 : i64, num_layers = 2 : i64, vocab_size = 16 : i64}
// CHECK: sieve.embedding
// CHECK: sieve.decoder_layer 0(%{{.*}})
// CHECK:   sieve.weight "layers.0.norm"
// CHECK:   sieve.rms_norm %{{.*}}, %{{.*}} {epsilon = 9.99999997E-7 : f32}
// CHECK:   sieve.rotary %{{.*}}, %{{.*}} {head_dim = 4 : i64, num_heads = 2 : i64, rotary_dim = 4 : i64, style = #sieve.rotary_style<half>}
// CHECK:   sieve.attention %{{.*}}, %{{.*}}, %{{.*}} {head_dim = 4 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 5.000000e-01 : f32}
// CHECK:   sieve.gated_mlp %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} {activation = #sieve.activation<silu>}
// CHECK:   sieve.yield
// CHECK: sieve.decoder_layer 1(%{{.*}})
// CHECK: sieve.lm_head
// CHECK: sieve.output
func.func @llama(%ids: tensor<1x?xi64>) -> tensor<1x?x16xf32> {
  %logits = sieve.model "llama"(%ids) attributes {vocab_size = 16 : i64, hidden_size = 8 : i64, num_layers = 2 : i64} {
  ^bb0(%t: tensor<1x?xi64>):
    %table = sieve.weight "embed" {value = dense<0.5> : tensor<16x8xf32>} : tensor<16x8xf32>
    %h = sieve.embedding %t, %table : (tensor<1x?xi64>, tensor<16x8xf32>) -> tensor<1x?x8xf32>
    %l0 = sieve.decoder_layer 0(%h) {
    ^bb0(%x: tensor<1x?x8xf32>):
      %nw = sieve.weight "layers.0.norm" {value = dense<1.0> : tensor<8xf32>} : tensor<8xf32>
      %n = sieve.rms_norm %x, %nw {epsilon = 1.0e-6 : f32} : (tensor<1x?x8xf32>, tensor<8xf32>) -> tensor<1x?x8xf32>
      %wq = sieve.weight {value = dense<0.1> : tensor<8x8xf32>} : tensor<8x8xf32>
      %wk = sieve.weight {value = dense<0.1> : tensor<8x4xf32>} : tensor<8x4xf32>
      %wo = sieve.weight {value = dense<0.1> : tensor<8x8xf32>} : tensor<8x8xf32>
      %q = sieve.linear %n, %wq : (tensor<1x?x8xf32>, tensor<8x8xf32>) -> tensor<1x?x8xf32>
      %k = sieve.linear %n, %wk : (tensor<1x?x8xf32>, tensor<8x4xf32>) -> tensor<1x?x4xf32>
      %v = sieve.linear %n, %wk : (tensor<1x?x8xf32>, tensor<8x4xf32>) -> tensor<1x?x4xf32>
      %f = sieve.weight {value = dense<[1.0, 0.01]> : tensor<2xf32>} : tensor<2xf32>
      %qr = sieve.rotary %q, %f {num_heads = 2 : i64, head_dim = 4 : i64, rotary_dim = 4 : i64, style = #sieve.rotary_style<half>} : (tensor<1x?x8xf32>, tensor<2xf32>) -> tensor<1x?x8xf32>
      %kr = sieve.rotary %k, %f {num_heads = 1 : i64, head_dim = 4 : i64, rotary_dim = 4 : i64, style = #sieve.rotary_style<half>} : (tensor<1x?x4xf32>, tensor<2xf32>) -> tensor<1x?x4xf32>
      %a = sieve.attention %qr, %kr, %v {num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 4 : i64, scale = 0.5 : f32} : (tensor<1x?x8xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
      %o = sieve.linear %a, %wo : (tensor<1x?x8xf32>, tensor<8x8xf32>) -> tensor<1x?x8xf32>
      %r = sieve.add %x, %o : tensor<1x?x8xf32>
      %wg = sieve.weight {value = dense<0.1> : tensor<8x12xf32>} : tensor<8x12xf32>
      %wd = sieve.weight {value = dense<0.1> : tensor<12x8xf32>} : tensor<12x8xf32>
      %m = sieve.gated_mlp %r, %wg, %wg, %wd {activation = #sieve.activation<silu>} : (tensor<1x?x8xf32>, tensor<8x12xf32>, tensor<8x12xf32>, tensor<12x8xf32>) -> tensor<1x?x8xf32>
      %y = sieve.add %r, %m : tensor<1x?x8xf32>
      sieve.yield %y : tensor<1x?x8xf32>
    } : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
    %l1 = sieve.decoder_layer 1(%l0) {
    ^bb0(%x: tensor<1x?x8xf32>):
      sieve.yield %x : tensor<1x?x8xf32>
    } : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
    %fw = sieve.weight {value = dense<1.0> : tensor<8xf32>} : tensor<8xf32>
    %fn = sieve.rms_norm %l1, %fw {epsilon = 1.0e-6 : f32} : (tensor<1x?x8xf32>, tensor<8xf32>) -> tensor<1x?x8xf32>
    %lm = sieve.weight {value = dense<0.1> : tensor<8x16xf32>} : tensor<8x16xf32>
    %logits = sieve.lm_head %fn, %lm : (tensor<1x?x8xf32>, tensor<8x16xf32>) -> tensor<1x?x16xf32>
    sieve.output %logits : tensor<1x?x16xf32>
  } : (tensor<1x?xi64>) -> tensor<1x?x16xf32>
  return %logits : tensor<1x?x16xf32>
}

// CHECK-LABEL: func.func @gpt2_parts
// CHECK: sieve.position_embedding
// CHECK: sieve.layer_norm %{{.*}}, %{{.*}}, %{{.*}} {epsilon
// CHECK: sieve.linear %{{.*}}, %{{.*}}, %{{.*}} :
// CHECK: sieve.mlp %{{.*}}, %{{.*}} bias %{{.*}}, %{{.*}} bias %{{.*}} {activation = #sieve.activation<gelu_tanh>}
// CHECK: sieve.lm_head %{{.*}}, %{{.*}} {transposed = true}
func.func @gpt2_parts(%x: tensor<1x?x8xf32>) -> tensor<1x?x16xf32> {
  %pos = sieve.weight {value = dense<0.0> : tensor<32x8xf32>} : tensor<32x8xf32>
  %h = sieve.position_embedding %x, %pos : (tensor<1x?x8xf32>, tensor<32x8xf32>) -> tensor<1x?x8xf32>
  %g = sieve.weight {value = dense<1.0> : tensor<8xf32>} : tensor<8xf32>
  %n = sieve.layer_norm %h, %g, %g {epsilon = 1.0e-5 : f32} : (tensor<1x?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x?x8xf32>
  %w = sieve.weight {value = dense<0.1> : tensor<8x8xf32>} : tensor<8x8xf32>
  %p = sieve.linear %n, %w, %g : (tensor<1x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>) -> tensor<1x?x8xf32>
  %up = sieve.weight {value = dense<0.1> : tensor<8x32xf32>} : tensor<8x32xf32>
  %ub = sieve.weight {value = dense<0.0> : tensor<32xf32>} : tensor<32xf32>
  %dn = sieve.weight {value = dense<0.1> : tensor<32x8xf32>} : tensor<32x8xf32>
  %m = sieve.mlp %p, %up bias %ub, %dn bias %g {activation = #sieve.activation<gelu_tanh>} : (tensor<1x?x8xf32>, tensor<8x32xf32>, tensor<32xf32>, tensor<32x8xf32>, tensor<8xf32>) -> tensor<1x?x8xf32>
  %tied = sieve.weight {value = dense<0.1> : tensor<16x8xf32>} : tensor<16x8xf32>
  %l = sieve.lm_head %m, %tied {transposed = true} : (tensor<1x?x8xf32>, tensor<16x8xf32>) -> tensor<1x?x16xf32>
  return %l : tensor<1x?x16xf32>
}

// Fused projections (Phi-3 qkv_proj and gate_up_proj): one linear, then
// sieve.split; the gated activation of a fused gate_up is sieve.glu.
// CHECK-LABEL: func.func @fused_parts
// CHECK: %{{.*}}:3 = sieve.split %{{.*}} {sizes = array<i64: 8, 4, 4>} : (tensor<1x?x16xf32>) -> (tensor<1x?x8xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32>)
// CHECK: sieve.glu %{{.*}}, %{{.*}} {activation = #sieve.activation<silu>} : tensor<1x?x4xf32>
func.func @fused_parts(%x: tensor<1x?x16xf32>) -> (tensor<1x?x8xf32>, tensor<1x?x4xf32>) {
  %q, %k, %v = sieve.split %x {sizes = array<i64: 8, 4, 4>} : (tensor<1x?x16xf32>) -> (tensor<1x?x8xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32>)
  %g = sieve.glu %k, %v {activation = #sieve.activation<silu>} : tensor<1x?x4xf32>
  return %q, %g : tensor<1x?x8xf32>, tensor<1x?x4xf32>
}
