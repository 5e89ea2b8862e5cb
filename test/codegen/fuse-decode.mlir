// --sieve-fuse-decode: which launches of @decode / @draft become
// kernel.fused_gemm, and which stay because a rule does not hold.
// RUN: sieve-opt --sieve-fuse-decode -split-input-file %s | FileCheck %s
// The output verifies and parses again.
// RUN: sieve-opt --sieve-fuse-decode -split-input-file %s | sieve-opt -split-input-file -o /dev/null
// With report=true, what stays says why (the remarks in file order).
// RUN: sieve-opt '--sieve-fuse-decode=report=true' -split-input-file %s 2>&1 >/dev/null | \
// RUN:   FileCheck %s --check-prefix=REPORT
// REPORT: remark: stays a launch of its own: its output is read by 'kernel.gather_rows', not a float GEMM writing a buffer
// REPORT: remark: stays a launch of its own: its output is read by 3 launches, not one GEMM
// REPORT: remark: stays a launch of its own: no addend is a GEMM output only this add reads (with the other addend and the sum untouched in between)
// REPORT: remark: stays a launch of its own: its output is read by 'kernel.gather_rows', not a float GEMM writing a buffer
// REPORT: remark: stays a launch of its own: it adds a residual no GEMM output alone feeds (no GEMM could take the add)
// REPORT-NOT: remark

kernel.program @p attributes {dtype = f16, vocab_size = 16 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 8192 : i64} {
  kernel.weight @nw : tensor<16xf16> at 0 {sources = [dense<1.0> : tensor<16xf32>]}
  kernel.weight @w : tensor<16x16xf16> at 256 {sources = [dense<1.0> : tensor<16x16xf32>]}
  kernel.weight @gu : tensor<64x16xf16> at 1024 {sources = [dense<1.0> : tensor<64x16xf32>]}
  kernel.weight @down : tensor<16x32xf16> at 3072 {sources = [dense<1.0> : tensor<16x32xf32>]}
  kernel.weight @b : tensor<16xf16> at 4096 {sources = [dense<1.0> : tensor<16xf32>]}
  kernel.buffer @h : 256 bytes
  kernel.buffer @n : 256 bytes
  kernel.buffer @y : 256 bytes
  kernel.buffer @y2 : 256 bytes
  kernel.buffer @s : 256 bytes
  kernel.buffer @n2 : 256 bytes
  kernel.buffer @g : 256 bytes
  kernel.buffer @a : 256 bytes
  kernel.buffer @m : 256 bytes
  kernel.buffer @s2 : 256 bytes
  kernel.buffer @fin : 256 bytes
  kernel.buffer @rows : 256 bytes
  // The prefill keeps its launches.
  // CHECK-LABEL: kernel.entry @prefill
  // CHECK-NEXT: kernel.rms_norm @h weight @nw -> @n
  // CHECK-NOT: fused_gemm
  // CHECK: kernel.entry @decode
  kernel.entry @prefill {
    kernel.rms_norm @h weight @nw -> @n {epsilon = 1.0e-5 : f32, weight_offset = 0.0 : f32}
    kernel.gemm @n, @w -> @y {k = 16 : i64, n = 16 : i64}
  }
  // A layer: norm -> two GEMMs (both take the prologue), residual add into
  // the second's epilogue, norm -> gate/up, GLU -> down with the residual.
  // CHECK-NEXT: kernel.fused_gemm @h norm @nw staged @n, @w bias @b -> @y {epsilon = 9.99999974E-6 : f32, k = 16 : i64, n = 16 : i64, weight_offset = 1.000000e+00 : f32}
  // CHECK-NEXT: kernel.fused_gemm @h norm @nw staged @n, @w residual @h -> @s {epsilon = 9.99999974E-6 : f32, k = 16 : i64, n = 16 : i64, weight_offset = 1.000000e+00 : f32}
  // CHECK-NEXT: kernel.fused_gemm @s norm @nw staged @n2, @gu -> @g
  // CHECK-NEXT: kernel.fused_gemm @g glu <silu> staged @a, @down residual @s -> @s2 {gate_offset = 0 : i64, k = 32 : i64, ld = 64 : i64, n = 16 : i64, up_offset = 32 : i64}
  // The last norm feeds gather_rows, not a GEMM: it stays.
  // CHECK-NEXT: kernel.rms_norm @s2 weight @nw -> @fin
  // CHECK-NEXT: kernel.gather_rows @fin -> @rows
  // CHECK-NEXT: kernel.gemm @rows, @w {k = 16 : i64, n = 16 : i64}
  // CHECK-NEXT: {{^ *}}}
  kernel.entry @decode {
    kernel.rms_norm @h weight @nw -> @n {epsilon = 1.0e-5 : f32, weight_offset = 1.0 : f32}
    kernel.gemm @n, @w bias @b -> @y {k = 16 : i64, n = 16 : i64}
    kernel.gemm @n, @w -> @y2 {k = 16 : i64, n = 16 : i64}
    kernel.rms_norm @h + @y2 sum @s weight @nw -> @n2 {epsilon = 1.0e-5 : f32, weight_offset = 0.0 : f32}
    kernel.gemm @n2, @gu -> @g {k = 16 : i64, n = 64 : i64}
    kernel.glu @g -> @a {activation = #sieve.activation<silu>, gate_offset = 0 : i64, ld = 64 : i64, up_offset = 32 : i64, width = 32 : i64}
    kernel.gemm @a, @down -> @m {k = 32 : i64, n = 16 : i64}
    kernel.rms_norm @s + @m sum @s2 weight @nw -> @fin {epsilon = 1.0e-5 : f32, weight_offset = 0.0 : f32}
    kernel.gather_rows @fin -> @rows {cols = 16 : i64}
    kernel.gemm @rows, @w {k = 16 : i64, n = 16 : i64}
  }
}

// -----
// Where the rules do not hold, @draft keeps its launches.
// RUN: sieve-opt --sieve-fuse-decode -split-input-file %s | FileCheck %s --check-prefix=KEEP
kernel.program @q attributes {dtype = f16, vocab_size = 16 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 8192 : i64} {
  kernel.weight @nw : tensor<16xf16> at 0 {sources = [dense<1.0> : tensor<16xf32>]}
  kernel.weight @w : tensor<16x16xf16> at 256 {sources = [dense<1.0> : tensor<16x16xf32>]}
  kernel.weight @down : tensor<16x32xf16> at 3072 {sources = [dense<1.0> : tensor<16x32xf32>]}
  kernel.buffer @h : 256 bytes
  kernel.buffer @n : 256 bytes
  kernel.buffer @y : 256 bytes
  kernel.buffer @z : 256 bytes
  kernel.buffer @s : 256 bytes
  kernel.buffer @n2 : 256 bytes
  kernel.buffer @g : 256 bytes
  kernel.buffer @a : 256 bytes
  kernel.buffer @m : 256 bytes
  kernel.buffer @m2 : 256 bytes
  kernel.buffer @t : 256 bytes
  kernel.entry @prefill {
  }
  // KEEP-LABEL: kernel.entry @draft
  // The normed rows are also gathered: the norm stays, the GEMM reads it.
  // KEEP-NEXT: kernel.rms_norm @h weight @nw -> @n
  // KEEP-NEXT: kernel.gather_rows @n -> @z
  // KEEP-NEXT: kernel.gemm @n, @w -> @y
  // The GEMM's output is also read elsewhere: the add stays a norm's.
  // KEEP-NEXT: kernel.rms_norm @h + @y sum @s weight @nw -> @n2
  // KEEP-NEXT: kernel.gather_rows @y -> @z
  // The GLU output feeds three GEMMs: it stays.
  // KEEP-NEXT: kernel.glu @g -> @a
  // KEEP-NEXT: kernel.gemm @a, @down -> @m
  // KEEP-NEXT: kernel.gemm @a, @down -> @m2
  // The residual is rewritten between the GEMM and the add: the add stays.
  // KEEP-NEXT: kernel.gemm @a, @down -> @t
  // KEEP-NEXT: kernel.gather_rows @n2 -> @s
  // KEEP-NEXT: kernel.add @s + @t -> @y
  // KEEP-NEXT: {{^ *}}}
  kernel.entry @draft {
    kernel.rms_norm @h weight @nw -> @n {epsilon = 1.0e-5 : f32, weight_offset = 0.0 : f32}
    kernel.gather_rows @n -> @z {cols = 16 : i64}
    kernel.gemm @n, @w -> @y {k = 16 : i64, n = 16 : i64}
    kernel.rms_norm @h + @y sum @s weight @nw -> @n2 {epsilon = 1.0e-5 : f32, weight_offset = 0.0 : f32}
    kernel.gather_rows @y -> @z {cols = 16 : i64}
    kernel.glu @g -> @a {activation = #sieve.activation<silu>, gate_offset = 0 : i64, ld = 64 : i64, up_offset = 32 : i64, width = 32 : i64}
    kernel.gemm @a, @down -> @m {k = 32 : i64, n = 16 : i64}
    kernel.gemm @a, @down -> @m2 {k = 32 : i64, n = 16 : i64}
    kernel.gemm @a, @down -> @t {k = 32 : i64, n = 16 : i64}
    kernel.gather_rows @n2 -> @s {cols = 16 : i64}
    kernel.add @s + @t -> @y {cols = 16 : i64}
  }
}

// -----
// A separate residual add (no norm after it) goes into the GEMM; other
// entry names are left alone.
// RUN: sieve-opt --sieve-fuse-decode -split-input-file %s | FileCheck %s --check-prefix=ADD
kernel.program @r attributes {dtype = f16, vocab_size = 16 : i64, hidden_size = 16 : i64, num_layers = 1 : i64, num_kv_layers = 1 : i64, num_heads = 1 : i64, num_kv_heads = 1 : i64, head_dim = 16 : i64, kv_block_size = 16 : i64, weights_bytes = 8192 : i64} {
  kernel.weight @w : tensor<16x16xf16> at 256 {sources = [dense<1.0> : tensor<16x16xf32>]}
  kernel.buffer @h : 256 bytes
  kernel.buffer @x : 256 bytes
  kernel.buffer @y : 256 bytes
  kernel.buffer @s : 256 bytes
  // ADD-LABEL: kernel.program @r
  // ADD: kernel.entry @prefill
  // ADD-NEXT: kernel.gemm @x, @w -> @y
  // ADD-NEXT: kernel.add @h + @y -> @s
  kernel.entry @prefill {
    kernel.gemm @x, @w -> @y {k = 16 : i64, n = 16 : i64}
    kernel.add @h + @y -> @s {cols = 16 : i64}
  }
  // ADD-LABEL: kernel.entry @decode
  // ADD-NEXT: kernel.fused_gemm @x, @w residual @h -> @s {k = 16 : i64, n = 16 : i64}
  // ADD-NEXT: {{^ *}}}
  kernel.entry @decode {
    kernel.gemm @x, @w -> @y {k = 16 : i64, n = 16 : i64}
    kernel.add @h + @y -> @s {cols = 16 : i64}
  }
}
