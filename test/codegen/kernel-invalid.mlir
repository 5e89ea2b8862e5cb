// The kernel.program verifier: every launch against the weights and
// buffers it names.
// RUN: sieve-opt %s -split-input-file -verify-diagnostics

// expected-error @+1 {{dtype must be f16 or bf16, not 'f32'}}
kernel.program @p attributes {dtype = f32, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 0 : i64} {
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 256 : i64} {
  // expected-error @+1 {{offset 100 is not a non-negative multiple of 256}}
  kernel.weight @w : tensor<8x16xf16> at 100 {sources = [dense<1.0> : tensor<8x16xf32>]}
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 256 : i64} {
  // expected-error @+1 {{sources stack to 16 rows, the weight has 8}}
  kernel.weight @w : tensor<8x16xf16> at 0 transposed {sources = [dense<1.0> : tensor<16x16xf32>]}
}

// -----

// expected-error @+1 {{weights end at byte 256, past weights_bytes 128}}
kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 128 : i64} {
  kernel.weight @w : tensor<8x16xf16> at 0 {sources = [dense<1.0> : tensor<8x16xf32>]}
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 256 : i64} {
  // expected-error @+1 {{row_bytes 100 is not a positive multiple of 256}}
  kernel.buffer @b : 100 bytes
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 256 : i64} {
  kernel.weight @w : tensor<8x16xf16> at 0 {sources = [dense<1.0> : tensor<8x16xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @y : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{expects @w of shape [32x16] and element type 'f16', found 'tensor<8x16xf16>'}}
    kernel.gemm @x, @w -> @y {n = 32 : i64, k = 16 : i64}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 8192 : i64} {
  kernel.weight @w : tensor<256x16xf16> at 0 {sources = [dense<1.0> : tensor<256x16xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @y : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{needs 512 bytes per row of @y, which has 256}}
    kernel.gemm @x, @w -> @y {n = 256 : i64, k = 16 : i64}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 256 : i64} {
  kernel.weight @w : tensor<8x16xf16> at 0 {sources = [dense<1.0> : tensor<8x16xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{names @nope, which is not a buffer}}
    kernel.gemm @nope, @w -> @x {n = 8 : i64, k = 16 : i64}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 512 : i64} {
  kernel.weight @w : tensor<16x16xf16> at 0 {sources = [dense<1.0> : tensor<16x16xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{writes 16 logits per row, the vocabulary has 8}}
    kernel.gemm @x, @w {n = 16 : i64, k = 16 : i64}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 256 : i64} {
  kernel.buffer @x : 256 bytes
  kernel.buffer @q : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{KV layer 1 is outside [0, 1)}}
    kernel.rotary_kv_append @x -> @q, kv[1] {attention_scaling = 1.0 : f32, head_dim = 16 : i64, k_offset = 32 : i64, ld = 64 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, q_offset = 0 : i64, rotary_dim = 0 : i64, v_offset = 48 : i64}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 256 : i64} {
  kernel.buffer @x : 256 bytes
  kernel.buffer @q : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{query/key/value heads exceed the row of 40 elements}}
    kernel.rotary_kv_append @x -> @q, kv[0] {attention_scaling = 1.0 : f32, head_dim = 16 : i64, k_offset = 32 : i64, ld = 40 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, q_offset = 0 : i64, rotary_dim = 0 : i64, v_offset = 48 : i64}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 256 : i64} {
  kernel.buffer @x : 256 bytes
  kernel.weight @w : tensor<16xf16> at 0 {sources = [dense<1.0> : tensor<16xf32>]}
  kernel.entry @prefill {
    // expected-error @+1 {{normalizes into one of its own inputs}}
    kernel.rms_norm @x weight @w -> @x {epsilon = 1.0e-5 : f32, weight_offset = 0.0 : f32}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 3 : i64, num_kv_heads = 2 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 256 : i64} {
  kernel.buffer @q : 256 bytes
  kernel.buffer @o : 256 bytes
  kernel.entry @decode {
    // expected-error @+1 {{num_heads 3 is not a multiple of num_kv_heads 2}}
    kernel.attention_decode @q, kv[0] -> @o {head_dim = 16 : i64, num_heads = 3 : i64, num_kv_heads = 2 : i64, scale = 0.25 : f32}
  }
}

// -----

// gemm_quant: the int4 kernel reads groups of a multiple of 32.
kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 64 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 4096 : i64} {
  kernel.weight @c : tensor<8x64xui4> at 0 {sources = [dense<1> : tensor<8x64xui4>]}
  kernel.weight @s : tensor<8x4xf16> at 256 {sources = [dense<1.0> : tensor<8x4xf16>]}
  kernel.weight @z : tensor<8x4xui8> at 512 {sources = [dense<1> : tensor<8x4xui4>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @y : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{int4 kernel needs k % 32 == 0 and a group that is a multiple of 32 dividing k; k is 64, group 16}}
    kernel.gemm_quant @x, @c scales @s zeros @z -> @y {format = #sieve.quant<int4, group = 16, asym>, n = 8 : i64, k = 64 : i64}
  }
}

// -----

// gemm_quant: int8 scales are f32, one per output feature.
kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 64 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 4096 : i64} {
  kernel.weight @c : tensor<8x64xi8> at 0 {sources = [dense<1> : tensor<8x64xi8>]}
  kernel.weight @s : tensor<8xf16> at 768 {sources = [dense<1.0> : tensor<8xf16>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @y : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{expects @s of shape [8] and element type 'f32', found 'tensor<8xf16>'}}
    kernel.gemm_quant @x, @c scales @s -> @y {format = #sieve.quant<int8>, n = 8 : i64, k = 64 : i64}
  }
}

// -----

// gemm_quant: fp8 codes are E4M3.
kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 64 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 4096 : i64} {
  kernel.weight @c : tensor<8x64xi8> at 0 {sources = [dense<1> : tensor<8x64xi8>]}
  kernel.weight @s : tensor<8xf32> at 768 {sources = [dense<1.0> : tensor<8xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @y : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{expects @c of shape [8x64] and element type 'f8E4M3FN', found 'tensor<8x64xi8>'}}
    kernel.gemm_quant @x, @c scales @s -> @y {format = #sieve.quant<fp8>, n = 8 : i64, k = 64 : i64}
  }
}

// -----

// Quantized KV caches: the kernels read int8, fp8 and int4 with groups
// that divide head_dim in multiples of 8 values, at head_dim 32, 64 or
// 128, and every launch names the program's format.
kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 64 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 64 : i64, kv_block_size = 16 : i64, weights_bytes = 256 : i64, kv = #sieve.kv<int4, group = 24>} {
  kernel.buffer @x : 512 bytes
  kernel.buffer @q : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{KV-cache format #sieve.kv<int4, group = 24> has no GPU kernel: its int4 group of 24 values does not divide head_dim 64}}
    kernel.rotary_kv_append @x -> @q, kv[0] {attention_scaling = 1.0 : f32, head_dim = 64 : i64, k_offset = 128 : i64, ld = 256 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, q_offset = 0 : i64, rotary_dim = 0 : i64, v_offset = 192 : i64, kv = #sieve.kv<int4, group = 24>}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 64 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 64 : i64, kv_block_size = 16 : i64, weights_bytes = 256 : i64, kv = #sieve.kv<int4, group = 4>} {
  kernel.buffer @q : 256 bytes
  kernel.buffer @o : 256 bytes
  kernel.entry @decode {
    // expected-error @+1 {{KV-cache format #sieve.kv<int4, group = 4> has no GPU kernel: its int4 group of 4 values is not a multiple of 8 (the attention kernels dequantize 8 codes per load with one scale and zero point)}}
    kernel.attention_decode @q, kv[0] -> @o {head_dim = 64 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 0.125 : f32, kv = #sieve.kv<int4, group = 4>}
  }
}

// -----

// The program's format alone sizes the cache: checked with no launch.
// expected-error @+1 {{KV-cache format #sieve.kv<int4, group = 4> has no GPU kernel: its int4 group of 4 values is not a multiple of 8}}
kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 64 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 64 : i64, kv_block_size = 16 : i64, weights_bytes = 256 : i64, kv = #sieve.kv<int4, group = 4>} {
  kernel.buffer @q : 256 bytes
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 256 : i64, kv = #sieve.kv<int8>} {
  kernel.buffer @q : 256 bytes
  kernel.buffer @o : 256 bytes
  kernel.entry @decode {
    // expected-error @+1 {{a quantized KV cache needs head_dim 32, 64 or 128, not 16}}
    kernel.attention_decode @q, kv[0] -> @o {head_dim = 16 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 0.25 : f32, kv = #sieve.kv<int8>}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 64 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 64 : i64, kv_block_size = 16 : i64, weights_bytes = 256 : i64, kv = #sieve.kv<int8>} {
  kernel.buffer @q : 256 bytes
  kernel.buffer @o : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{reads the KV cache as f16 values but the program stores #sieve.kv<int8>}}
    kernel.attention_prefill @q, kv[0] -> @o {head_dim = 64 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 0.125 : f32}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 64 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 64 : i64, kv_block_size = 16 : i64, weights_bytes = 256 : i64} {
  kernel.buffer @q : 256 bytes
  kernel.buffer @o : 256 bytes
  kernel.entry @decode {
    // expected-error @+1 {{reads the KV cache as #sieve.kv<fp8> but the program stores f16 values}}
    kernel.attention_decode @q, kv[0] -> @o {head_dim = 64 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 0.125 : f32, kv = #sieve.kv<fp8>}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 64 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, head_dim = 64 : i64, kv_block_size = 16 : i64, weights_bytes = 256 : i64, kv = #sieve.kv<int8>} {
  kernel.buffer @q : 256 bytes
  kernel.entry @filter {
    // expected-error @+1 {{reads the KV cache as f16 values but the program stores #sieve.kv<int8>}}
    kernel.token_scores @q, kv[0] {head_dim = 64 : i64, num_heads = 2 : i64, num_kv_heads = 1 : i64, scale = 0.125 : f32, window = 4 : i64}
  }
}

// -----

// kernel.fused_gemm (--sieve-fuse-decode).
kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 2048 : i64} {
  kernel.weight @w : tensor<16x16xf16> at 0 {sources = [dense<1.0> : tensor<16x16xf32>]}
  kernel.weight @nw : tensor<16xf16> at 512 {sources = [dense<1.0> : tensor<16xf32>]}
  kernel.weight @w8 : tensor<16x8xf16> at 768 {sources = [dense<1.0> : tensor<16x8xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @s : 256 bytes
  kernel.buffer @r : 256 bytes
  kernel.buffer @o : 256 bytes
  kernel.entry @decode {
    // expected-error @+1 {{fuses both an RMSNorm and a GLU prologue}}
    kernel.fused_gemm @x norm @nw glu <silu> staged @s, @w -> @o {epsilon = 1.0e-5 : f32, weight_offset = 0.0 : f32, ld = 32 : i64, gate_offset = 0 : i64, up_offset = 16 : i64, n = 16 : i64, k = 16 : i64}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 2048 : i64} {
  kernel.weight @w : tensor<16x16xf16> at 0 {sources = [dense<1.0> : tensor<16x16xf32>]}
  kernel.weight @nw : tensor<16xf16> at 512 {sources = [dense<1.0> : tensor<16xf32>]}
  kernel.weight @w8 : tensor<16x8xf16> at 768 {sources = [dense<1.0> : tensor<16x8xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @s : 256 bytes
  kernel.buffer @r : 256 bytes
  kernel.buffer @o : 256 bytes
  kernel.entry @decode {
    // expected-error @+1 {{needs `epsilon` and `weight_offset` exactly with `norm`}}
    kernel.fused_gemm @x norm @nw staged @s, @w -> @o {epsilon = 1.0e-5 : f32, n = 16 : i64, k = 16 : i64}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 2048 : i64} {
  kernel.weight @w : tensor<16x16xf16> at 0 {sources = [dense<1.0> : tensor<16x16xf32>]}
  kernel.weight @nw : tensor<16xf16> at 512 {sources = [dense<1.0> : tensor<16xf32>]}
  kernel.weight @w8 : tensor<16x8xf16> at 768 {sources = [dense<1.0> : tensor<16x8xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @s : 256 bytes
  kernel.buffer @r : 256 bytes
  kernel.buffer @o : 256 bytes
  kernel.entry @decode {
    // expected-error @+1 {{needs `ld`, `gate_offset` and `up_offset` exactly with `glu`}}
    kernel.fused_gemm @x glu <silu> staged @s, @w -> @o {ld = 32 : i64, n = 16 : i64, k = 16 : i64}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 2048 : i64} {
  kernel.weight @w : tensor<16x16xf16> at 0 {sources = [dense<1.0> : tensor<16x16xf32>]}
  kernel.weight @nw : tensor<16xf16> at 512 {sources = [dense<1.0> : tensor<16xf32>]}
  kernel.weight @w8 : tensor<16x8xf16> at 768 {sources = [dense<1.0> : tensor<16x8xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @s : 256 bytes
  kernel.buffer @r : 256 bytes
  kernel.buffer @o : 256 bytes
  kernel.entry @decode {
    // expected-error @+1 {{needs a `staged` buffer exactly when it has a prologue}}
    kernel.fused_gemm @x norm @nw, @w -> @o {epsilon = 1.0e-5 : f32, weight_offset = 0.0 : f32, n = 16 : i64, k = 16 : i64}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 2048 : i64} {
  kernel.weight @w : tensor<16x16xf16> at 0 {sources = [dense<1.0> : tensor<16x16xf32>]}
  kernel.weight @nw : tensor<16xf16> at 512 {sources = [dense<1.0> : tensor<16xf32>]}
  kernel.weight @w8 : tensor<16x8xf16> at 768 {sources = [dense<1.0> : tensor<16x8xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @s : 256 bytes
  kernel.buffer @r : 256 bytes
  kernel.buffer @o : 256 bytes
  kernel.entry @decode {
    // expected-error @+1 {{needs a `staged` buffer exactly when it has a prologue}}
    kernel.fused_gemm @x staged @s, @w residual @r -> @o {n = 16 : i64, k = 16 : i64}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 2048 : i64} {
  kernel.weight @w : tensor<16x16xf16> at 0 {sources = [dense<1.0> : tensor<16x16xf32>]}
  kernel.weight @nw : tensor<16xf16> at 512 {sources = [dense<1.0> : tensor<16xf32>]}
  kernel.weight @w8 : tensor<16x8xf16> at 768 {sources = [dense<1.0> : tensor<16x8xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @s : 256 bytes
  kernel.buffer @r : 256 bytes
  kernel.buffer @o : 256 bytes
  kernel.entry @decode {
    // expected-error @+1 {{fuses nothing (use kernel.gemm)}}
    kernel.fused_gemm @x, @w -> @o {n = 16 : i64, k = 16 : i64}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 2048 : i64} {
  kernel.weight @w : tensor<16x16xf16> at 0 {sources = [dense<1.0> : tensor<16x16xf32>]}
  kernel.weight @nw : tensor<16xf16> at 512 {sources = [dense<1.0> : tensor<16xf32>]}
  kernel.weight @w8 : tensor<16x8xf16> at 768 {sources = [dense<1.0> : tensor<16x8xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @s : 256 bytes
  kernel.buffer @r : 256 bytes
  kernel.buffer @o : 256 bytes
  kernel.entry @decode {
    // expected-error @+1 {{gate/up columns exceed the row of 24 elements}}
    kernel.fused_gemm @x glu <silu> staged @s, @w -> @o {ld = 24 : i64, gate_offset = 0 : i64, up_offset = 16 : i64, n = 16 : i64, k = 16 : i64}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 2048 : i64} {
  kernel.weight @w : tensor<16x16xf16> at 0 {sources = [dense<1.0> : tensor<16x16xf32>]}
  kernel.weight @nw : tensor<16xf16> at 512 {sources = [dense<1.0> : tensor<16xf32>]}
  kernel.weight @w8 : tensor<16x8xf16> at 768 {sources = [dense<1.0> : tensor<16x8xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @s : 256 bytes
  kernel.buffer @r : 256 bytes
  kernel.buffer @o : 256 bytes
  kernel.entry @decode {
    // expected-error @+1 {{writes @r, which it also reads}}
    kernel.fused_gemm @x, @w residual @r -> @r {n = 16 : i64, k = 16 : i64}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 2048 : i64} {
  kernel.weight @w : tensor<16x16xf16> at 0 {sources = [dense<1.0> : tensor<16x16xf32>]}
  kernel.weight @nw : tensor<16xf16> at 512 {sources = [dense<1.0> : tensor<16xf32>]}
  kernel.weight @w8 : tensor<16x8xf16> at 768 {sources = [dense<1.0> : tensor<16x8xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @s : 256 bytes
  kernel.buffer @r : 256 bytes
  kernel.buffer @o : 256 bytes
  kernel.entry @decode {
    // expected-error @+1 {{expects @w8 of shape [16x16] and element type 'f16', found 'tensor<16x8xf16>'}}
    kernel.fused_gemm @x, @w8 residual @r -> @o {n = 16 : i64, k = 16 : i64}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 2048 : i64} {
  kernel.weight @w : tensor<16x16xf16> at 0 {sources = [dense<1.0> : tensor<16x16xf32>]}
  kernel.weight @nw : tensor<16xf16> at 512 {sources = [dense<1.0> : tensor<16xf32>]}
  kernel.weight @w8 : tensor<16x8xf16> at 768 {sources = [dense<1.0> : tensor<16x8xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @s : 256 bytes
  kernel.buffer @r : 256 bytes
  kernel.buffer @o : 256 bytes
  kernel.entry @decode {
    // expected-error @+1 {{expects @w of shape [16] and element type 'f16'}}
    kernel.fused_gemm @x norm @w staged @s, @w -> @o {epsilon = 1.0e-5 : f32, weight_offset = 0.0 : f32, n = 16 : i64, k = 16 : i64}
  }
}

// -----

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 2048 : i64} {
  kernel.weight @w : tensor<16x16xf16> at 0 {sources = [dense<1.0> : tensor<16x16xf32>]}
  kernel.weight @nw : tensor<16xf16> at 512 {sources = [dense<1.0> : tensor<16xf32>]}
  kernel.weight @w8 : tensor<16x8xf16> at 768 {sources = [dense<1.0> : tensor<16x8xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @s : 256 bytes
  kernel.buffer @r : 256 bytes
  kernel.buffer @o : 256 bytes
  kernel.entry @decode {
    // expected-error @+1 {{needs 512 bytes per row of @x, which has 256}}
    kernel.fused_gemm @x glu <silu> staged @s, @w -> @o {ld = 256 : i64, gate_offset = 0 : i64, up_offset = 16 : i64, n = 16 : i64, k = 16 : i64}
  }
}

// -----

// scale_columns: one f32 input scale per column.
kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 64 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 4096 : i64} {
  kernel.weight @c : tensor<32xf32> at 0 {sources = [dense<1.0> : tensor<32xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @y : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{expects @c of shape [64] and element type 'f32', found 'tensor<32xf32>'}}
    kernel.scale_columns @x div @c -> @y {cols = 64 : i64}
  }
}

// -----

// scale_columns: the scales are f32 as stored, not the dtype.
kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 64 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 4096 : i64} {
  kernel.weight @c : tensor<64xf16> at 0 {sources = [dense<1.0> : tensor<64xf16>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @y : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{expects @c of shape [64] and element type 'f32', found 'tensor<64xf16>'}}
    kernel.scale_columns @x div @c -> @y {cols = 64 : i64}
  }
}

// -----

// scale_columns: the rows must hold the columns.
kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 64 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 4096 : i64} {
  kernel.weight @c : tensor<256xf32> at 0 {sources = [dense<1.0> : tensor<256xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @y : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{needs 512 bytes per row of @x, which has 256}}
    kernel.scale_columns @x div @c -> @y {cols = 256 : i64}
  }
}

// -----

// scale_columns: a positive number of columns.
kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 64 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 4096 : i64} {
  kernel.weight @c : tensor<64xf32> at 0 {sources = [dense<1.0> : tensor<64xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @y : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{scales 0 columns}}
    kernel.scale_columns @x div @c -> @y {cols = 0 : i64}
  }
}

// -----

// scale_columns: the scales are a weight.
kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 64 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 4096 : i64} {
  kernel.weight @c : tensor<64xf32> at 0 {sources = [dense<1.0> : tensor<64xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @y : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{names @y, which is not a weight}}
    kernel.scale_columns @x div @y -> @x {cols = 64 : i64}
  }
}

// -----

// gemm_quant: a column range must fit in rows of out_ld values.
kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 64 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 4096 : i64} {
  kernel.weight @c : tensor<8x64xi8> at 0 {sources = [dense<1> : tensor<8x64xi8>]}
  kernel.weight @s : tensor<8xf32> at 768 {sources = [dense<1.0> : tensor<8xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @y : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{columns [4, 12) exceed the out_ld 8}}
    kernel.gemm_quant @x, @c scales @s -> @y {format = #sieve.quant<int8>, n = 8 : i64, k = 64 : i64, out_ld = 8 : i64, out_offset = 4 : i64}
  }
}

// -----

// gemm_quant: out_offset only with out_ld.
kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 64 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 4096 : i64} {
  kernel.weight @c : tensor<8x64xi8> at 0 {sources = [dense<1> : tensor<8x64xi8>]}
  kernel.weight @s : tensor<8xf32> at 768 {sources = [dense<1.0> : tensor<8xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @y : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{takes out_offset only with out_ld}}
    kernel.gemm_quant @x, @c scales @s -> @y {format = #sieve.quant<int8>, n = 8 : i64, k = 64 : i64, out_offset = 8 : i64}
  }
}

// -----

// gemm_quant: the buffer must hold rows of out_ld values.
kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 64 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 4096 : i64} {
  kernel.weight @c : tensor<8x64xi8> at 0 {sources = [dense<1> : tensor<8x64xi8>]}
  kernel.weight @s : tensor<8xf32> at 768 {sources = [dense<1.0> : tensor<8xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @y : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{needs 512 bytes per row of @y, which has 256}}
    kernel.gemm_quant @x, @c scales @s -> @y {format = #sieve.quant<int8>, n = 8 : i64, k = 64 : i64, out_ld = 256 : i64, out_offset = 8 : i64}
  }
}

// -----

// gemm_quant: logits rows are the vocabulary.
kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 64 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 4096 : i64} {
  kernel.weight @c : tensor<8x64xi8> at 0 {sources = [dense<1> : tensor<8x64xi8>]}
  kernel.weight @s : tensor<8xf32> at 768 {sources = [dense<1.0> : tensor<8xf32>]}
  kernel.buffer @x : 256 bytes
  kernel.buffer @y : 256 bytes
  kernel.entry @prefill {
    // expected-error @+1 {{writes the logits, whose rows are the vocabulary (no out_ld)}}
    kernel.gemm_quant @x, @c scales @s {format = #sieve.quant<int8>, n = 8 : i64, k = 64 : i64, out_ld = 16 : i64, out_offset = 0 : i64}
  }
}
