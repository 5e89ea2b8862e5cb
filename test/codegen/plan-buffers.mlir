// --sieve-plan-buffers: buffers share bytes only when no entry has both
// alive; a launch never reads and writes overlapping bytes.
// RUN: sieve-opt --sieve-plan-buffers %s | FileCheck %s

kernel.program @p attributes {dtype = f16, vocab_size = 8 : i64, hidden_size = 128 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 512 : i64} {
  kernel.weight @w : tensor<128xf16> at 0 {sources = [dense<1.0> : tensor<128xf32>]}
  kernel.buffer @a : 256 bytes
  kernel.buffer @b : 256 bytes
  kernel.buffer @c : 256 bytes
  kernel.buffer @d : 256 bytes
  kernel.buffer @big : 1024 bytes
  kernel.entry @prefill {
    // a -> b, then b -> c: a is dead when c is written, so c reuses a.
    kernel.rms_norm @a weight @w -> @b {epsilon = 1.0e-5 : f32, weight_offset = 0.0 : f32}
    kernel.rms_norm @b weight @w -> @c {epsilon = 1.0e-5 : f32, weight_offset = 0.0 : f32}
  }
  kernel.entry @decode {
    // d lives only in decode, and only with big.
    kernel.add @big + @d -> @big {cols = 128 : i64}
  }
}
// Largest first: big at 0 (alive only in decode); a, b, c, d by name.
// CHECK-DAG: kernel.buffer @big : 1024 bytes at 0
// CHECK-DAG: kernel.buffer @a : 256 bytes at 0
// CHECK-DAG: kernel.buffer @b : 256 bytes at 256
// CHECK-DAG: kernel.buffer @c : 256 bytes at 0
// CHECK-DAG: kernel.buffer @d : 256 bytes at 1024
