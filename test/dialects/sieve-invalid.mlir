// RUN: sieve-opt %s -split-input-file -verify-diagnostics

func.func @kv_heads(%q: tensor<1x?x8xf32>, %k: tensor<1x?x8xf32>) -> tensor<1x?x8xf32> {
  // expected-error @+1 {{num_heads (2) must be a multiple of num_kv_heads (3)}}
  %a = sieve.attention %q, %k, %k {num_heads = 2 : i64, num_kv_heads = 3 : i64, head_dim = 4 : i64, scale = 0.5 : f32} : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  return %a : tensor<1x?x8xf32>
}

// -----

func.func @attention_width(%q: tensor<1x?x8xf32>, %k: tensor<1x?x4xf32>) -> tensor<1x?x8xf32> {
  // expected-error @+1 {{the key's last dimension is 4, expected 8}}
  %a = sieve.attention %q, %k, %k {num_heads = 2 : i64, num_kv_heads = 2 : i64, head_dim = 4 : i64, scale = 0.5 : f32} : (tensor<1x?x8xf32>, tensor<1x?x4xf32>, tensor<1x?x4xf32>) -> tensor<1x?x8xf32>
  return %a : tensor<1x?x8xf32>
}

// -----

func.func @linear_k(%x: tensor<1x?x8xf32>, %w: tensor<6x4xf32>) -> tensor<1x?x4xf32> {
  // expected-error @+1 {{the input's last dimension is 8, expected 6}}
  %y = sieve.linear %x, %w : (tensor<1x?x8xf32>, tensor<6x4xf32>) -> tensor<1x?x4xf32>
  return %y : tensor<1x?x4xf32>
}

// -----

func.func @rotary_dim(%x: tensor<1x?x8xf32>, %f: tensor<2xf32>) -> tensor<1x?x8xf32> {
  // expected-error @+1 {{rotary_dim must be even and in (0, head_dim]}}
  %y = sieve.rotary %x, %f {num_heads = 2 : i64, head_dim = 4 : i64, rotary_dim = 5 : i64, style = #sieve.rotary_style<half>} : (tensor<1x?x8xf32>, tensor<2xf32>) -> tensor<1x?x8xf32>
  return %y : tensor<1x?x8xf32>
}

// -----

func.func @norm_weight(%x: tensor<1x?x8xf32>, %w: tensor<4xf32>) -> tensor<1x?x8xf32> {
  // expected-error @+1 {{weight size is 4, expected 8}}
  %y = sieve.rms_norm %x, %w {epsilon = 1.0e-6 : f32} : (tensor<1x?x8xf32>, tensor<4xf32>) -> tensor<1x?x8xf32>
  return %y : tensor<1x?x8xf32>
}

// -----

func.func @layer_count(%ids: tensor<1x?xi64>) -> tensor<1x?x8xf32> {
  // expected-error @+1 {{num_layers is 2 but the body has 1 decoder layers}}
  %l = sieve.model "llama"(%ids) attributes {vocab_size = 8 : i64, hidden_size = 8 : i64, num_layers = 2 : i64} {
  ^bb0(%t: tensor<1x?xi64>):
    %table = sieve.weight {value = dense<0.5> : tensor<8x8xf32>} : tensor<8x8xf32>
    %h = sieve.embedding %t, %table : (tensor<1x?xi64>, tensor<8x8xf32>) -> tensor<1x?x8xf32>
    %l0 = sieve.decoder_layer 0(%h) {
    ^bb0(%x: tensor<1x?x8xf32>):
      sieve.yield %x : tensor<1x?x8xf32>
    } : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
    sieve.output %l0 : tensor<1x?x8xf32>
  } : (tensor<1x?xi64>) -> tensor<1x?x8xf32>
  return %l : tensor<1x?x8xf32>
}

// -----

func.func @layer_order(%ids: tensor<1x?xi64>) -> tensor<1x?x8xf32> {
  %l = sieve.model "llama"(%ids) attributes {vocab_size = 8 : i64, hidden_size = 8 : i64, num_layers = 2 : i64} {
  ^bb0(%t: tensor<1x?xi64>):
    %table = sieve.weight {value = dense<0.5> : tensor<8x8xf32>} : tensor<8x8xf32>
    %h = sieve.embedding %t, %table : (tensor<1x?xi64>, tensor<8x8xf32>) -> tensor<1x?x8xf32>
    %l0 = sieve.decoder_layer 1(%h) {
    ^bb0(%x: tensor<1x?x8xf32>):
      sieve.yield %x : tensor<1x?x8xf32>
    } : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
    // expected-error @+1 {{index 0 does not follow index 1}}
    %l1 = sieve.decoder_layer 0(%l0) {
    ^bb0(%x: tensor<1x?x8xf32>):
      sieve.yield %x : tensor<1x?x8xf32>
    } : (tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
    sieve.output %l1 : tensor<1x?x8xf32>
  } : (tensor<1x?xi64>) -> tensor<1x?x8xf32>
  return %l : tensor<1x?x8xf32>
}

// -----

func.func @isolated(%ids: tensor<1x?xi64>, %w: tensor<8x8xf32>) -> tensor<1x?x8xf32> {
  // expected-note @+1 {{required by region isolation constraints}}
  %l = sieve.model "llama"(%ids) attributes {vocab_size = 8 : i64, hidden_size = 8 : i64, num_layers = 0 : i64} {
  ^bb0(%t: tensor<1x?xi64>):
    // expected-error @+1 {{using value defined outside the region}}
    %h = sieve.embedding %t, %w : (tensor<1x?xi64>, tensor<8x8xf32>) -> tensor<1x?x8xf32>
    sieve.output %h : tensor<1x?x8xf32>
  } : (tensor<1x?xi64>) -> tensor<1x?x8xf32>
  return %l : tensor<1x?x8xf32>
}

// -----

func.func @mlp_bias(%x: tensor<1x?x8xf32>, %up: tensor<8x32xf32>, %ub: tensor<16xf32>, %dn: tensor<32x8xf32>) -> tensor<1x?x8xf32> {
  // expected-error @+1 {{up_bias size is 16, expected 32}}
  %m = sieve.mlp %x, %up bias %ub, %dn {activation = #sieve.activation<gelu>} : (tensor<1x?x8xf32>, tensor<8x32xf32>, tensor<16xf32>, tensor<32x8xf32>) -> tensor<1x?x8xf32>
  return %m : tensor<1x?x8xf32>
}

// -----

func.func @layer_norm_bias(%x: tensor<1x?x8xf32>, %w: tensor<8xf32>, %b: tensor<4xf32>) -> tensor<1x?x8xf32> {
  // expected-error @+1 {{bias size is 4, expected 8}}
  %y = sieve.layer_norm %x, %w, %b {epsilon = 1.0e-5 : f32} : (tensor<1x?x8xf32>, tensor<8xf32>, tensor<4xf32>) -> tensor<1x?x8xf32>
  return %y : tensor<1x?x8xf32>
}

// -----

func.func @split_sum(%x: tensor<1x?x16xf32>) -> tensor<1x?x8xf32> {
  // expected-error @+1 {{sizes add up to 12, not the input's last dimension 16}}
  %a, %b = sieve.split %x {sizes = array<i64: 8, 4>} : (tensor<1x?x16xf32>) -> (tensor<1x?x8xf32>, tensor<1x?x4xf32>)
  return %a : tensor<1x?x8xf32>
}

// -----

func.func @split_type(%x: tensor<1x?x16xf32>) -> tensor<1x?x8xf32> {
  // expected-error @+1 {{result type 'tensor<1x?x4xf32>' is not the input's with last dimension 8}}
  %a, %b = sieve.split %x {sizes = array<i64: 8, 8>} : (tensor<1x?x16xf32>) -> (tensor<1x?x8xf32>, tensor<1x?x4xf32>)
  return %a : tensor<1x?x8xf32>
}

// -----

func.func @split_count(%x: tensor<1x?x16xf32>) -> tensor<1x?x16xf32> {
  // expected-error @+1 {{has 1 results but 2 sizes}}
  %a = sieve.split %x {sizes = array<i64: 8, 8>} : (tensor<1x?x16xf32>) -> (tensor<1x?x16xf32>)
  return %a : tensor<1x?x16xf32>
}
