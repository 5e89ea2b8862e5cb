// GEMMs with quantized weights (issue 9): out[rows, N] = in[rows, K] * W^T
// (+ bias) where W [N, K] is stored as integer codes with scales, in the
// packed layouts sieve-compile writes (docs/quantization.md, "GPU layouts"):
//
//   int8 (QuantFormat::Int8): codes [N, K] int8, row-major (one row per
//     output feature); scales [N] f32.  W[n, k] = s[n] * q[n, k].
//   int4 (QuantFormat::Int4, group G): codes [N, K] uint4, row-major, two per
//     byte, element 2i in the low nibble of byte i; scales [N, K/G] f16;
//     zero points [N, K/G] uint8 (one byte each, values 0..15).
//     W[n, k] = s[n, k/G] * (q[n, k] - z[n, k/G]).
//   fp8 (QuantFormat::FP8): codes [N, K] E4M3FN bytes, row-major; scales
//     [N] f32. W[n, k] = s[n] * e4m3(q[n, k]). The activations are quantized
//     too, per token as the CPU reference does: x' = e4m3(x / s_x) * s_x
//     with s_x = amax(row) / 448. Where the decode kernels below run (rows
//     1-16), x' is stored as T in `actScratch` ([rows, K]) and multiplied
//     like the other formats (E4M3 numerics on the f16/bf16 datapath).
//     Above that (prefill) the GEMM runs on cuBLASLt's FP8 tensor cores:
//     `actScratch` holds the E4M3 codes [rows, K] and the scales s_x [rows],
//     and out = s_x[r] * s[n] * sum_k e4m3(x)[r, k] * e4m3(q)[n, k], the
//     products exact, the sums in fp32, both scales applied to the fp32
//     sums (by cuBLASLt's outer-vector scale modes, or by a kernel after a
//     unit-scale FP8 GEMM into f32; gemmFp8Lt below).
//
// Both layouts read as consecutive 16-byte chunks of a row (16 int8 or 32
// int4 codes), which both decode kernels below consume directly (no
// repacked copy). Requirements (checked by the lowering, again here):
// K % 16 == 0 (int8, fp8), K % 32 == 0 and G % 32 == 0 (int4: a chunk never
// straddles a group), 16-byte-aligned pointers. gemm_quant picks by rows:
//
// - rows kQuantMmaMinRows (3) .. 16: the tensor-core kernel (quantMmaKernel):
//   mma.sync m16n8k16 with the weights dequantized in registers as the A
//   operand (16 features) and the activations as B, a cp.async ring per
//   warp, the K range split over a CTA's 8 warps and summed in a fixed
//   order. Its time hardly depends on the rows (one or two B operands).
// - rows 1, 2: the GEMV kernel (quantGemvKernel; it supports up to 16
//   rows, and gemm_quant also uses it up to kQuantGemvDispatchRows where
//   the mma kernel's shared memory would not fit): each thread streams
//   16-byte chunks of F features with the activations through the
//   read-only cache. With T outputs, int4 (f16, bf16) and int8 (f16) codes
//   become exact T pairs ((q - z) / 16, q / 128) by an OR with a T exponent
//   (two codes per 32-bit op) and one HFMA2, are multiplied with
//   activation pairs by HFMA2, summed in T over one 16-byte chunk and
//   added to fp32 accumulators (int4 scaled per chunk: a chunk lies in one
//   group); see packedOctet. Float outputs (a quantized LM head) and fp8
//   use exact fp32 products: codes turned into floats with the exponent
//   trick (0x4B000000 | byte is the float 2^23 + byte, so one byte permute
//   and one subtraction of 2^23 + z give q - z exactly), fp32 FMAs.
// - more rows (prefill), fp8: cuBLASLt's FP8 GEMM (gemmFp8Lt), unless
//   cuBLASLt has no algorithm for the problem (then the path below, with a
//   line on stderr once per (N, K) and a count: fp8LtFallbacks()).
// - more rows (prefill), int8 and int4: the layer's weight is dequantized into `scratch`
//   ([N, K] of T, the fixed part of the activation arena) and multiplied by
//   cuBLASLt, which reuses its tensor-core tiles instead of a new tiled
//   dequantizing kernel. The dequantization costs one read of the codes and
//   one write of N*K values: measured at 2048 rows on the H100, 0.72-0.79x
//   the f16 GEMM's speed (e.g. 28672 x 4096: 0.79 / 0.86 ms int8 / int4,
//   of which 0.17 / 0.24 ms dequantizing, against 0.62 ms).
//
// Only enqueues kernels (and cuBLASLt calls): graph-capture safe.
#pragma once

#include "common.cuh"
#include "gemm.cuh"
#include "mma.cuh"
#include "skinny_gemm.cuh"

#include <cuda_fp8.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <vector>

namespace sieve::rt {

enum class QuantFormat : int32_t { Int8 = 0, Int4 = 1, FP8 = 2 };

// A quantized weight as the launchers read it.
struct QuantWeight {
  QuantFormat format;
  const void *codes;      // int8 / fp8 [N, K] or packed uint4 [N, K/2 bytes]
  const void *scales;     // int8, fp8: float [N]; int4: half [N, K/G]
  const uint8_t *zeros;   // int4: [N, K/G] one byte per group; int8: null
  int group;              // int4 group size G; int8: 0
};

// out[rows, N] = in[rows, K] * dequantize(w)^T (+ bias[N]). OutT is T or
// float (a quantized LM head). `scratch` holds N * K values of T (used when
// rows > kQuantGemvDispatchRows); `actScratch` rows * K values of T (fp8: the
// quantized activations; unused by int8 and int4). Rows of `out` are
// `ld_out` values apart (0: N), so GEMMs can fill column ranges of one
// buffer.
template <typename T, typename OutT>
void gemm_quant(const StepArgs &args, const T *in, const QuantWeight &w, const T *bias,
                OutT *out, int rows, int N, int K, T *scratch, T *actScratch,
                int ld_out = 0);

namespace detail {

// The GEMV kernel supports up to kQuantGemvMaxRows rows; gemm_quant uses
// it below kQuantMmaMinRows, and up to kQuantGemvDispatchRows where the
// tensor-core kernel does not fit (its int4 scale table grows with K / G).
// Measured on the H100 (before the tensor-core kernel): at 16 rows the
// GEMV is compute-bound and dequantize + cuBLASLt is faster on every
// Llama-3.2-1B and Llama-3-8B shape, at 8 rows the GEMV still beats that
// path's time everywhere.
constexpr int kQuantGemvMaxRows = 16;
constexpr int kQuantGemvDispatchRows = 8;
constexpr int kQuantThreads = 256;

// Codes per 16-byte chunk.
template <QuantFormat Fmt> __host__ __device__ constexpr int codesPerChunk() {
  return Fmt == QuantFormat::Int4 ? 32 : 16;
}

// The layout's requirements (see the header comment).
inline bool quantLayoutSupported(const QuantWeight &w, int K) {
  if (w.format != QuantFormat::Int4)
    return K % 16 == 0 && w.zeros == nullptr;
  return K % 32 == 0 && w.group > 0 && w.group % 32 == 0 && K % w.group == 0 &&
         w.zeros != nullptr;
}

// 2^23 + byte `B` of `word`, as a float (exact).
template <int B> __device__ __forceinline__ float magicByte(uint32_t word) {
  return __uint_as_float(__byte_perm(word, 0x4B000000u, 0x7440u | B));
}

// The eight codes of octet `o` of a 16-byte chunk, minus `zero` (both exact
// small integers), as floats in element order.
//   int8, fp8: octet o is words 2o, 2o+1 (four codes each, byte b =
//     element b); fp8 codes are E4M3 values (magicZero unused).
//   int4: octet o is word o; byte b holds elements 2b (low) and 2b+1.
template <QuantFormat Fmt>
__device__ __forceinline__ void octetCodes(const uint4 &chunk, int o, float magicZero,
                                           float (&v)[8]) {
  const uint32_t words[4] = {chunk.x, chunk.y, chunk.z, chunk.w};
  if constexpr (Fmt == QuantFormat::FP8) {
#pragma unroll
    for (int p = 0; p < 4; ++p) {
      // Pair p: bytes 2p (low) and 2p+1 of the octet.
      const uint32_t word = words[2 * o + p / 2];
      const __nv_fp8x2_storage_t pair =
          static_cast<__nv_fp8x2_storage_t>(p % 2 ? word >> 16 : word & 0xffffu);
      const __half2_raw h = __nv_cvt_fp8x2_to_halfraw2(pair, __NV_E4M3);
      const float2 f = __half22float2(*reinterpret_cast<const __half2 *>(&h));
      v[2 * p] = f.x;
      v[2 * p + 1] = f.y;
    }
  } else if constexpr (Fmt == QuantFormat::Int8) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      // Offset the signed codes by 128 so they read as unsigned bytes.
      const uint32_t u = words[2 * o + h] ^ 0x80808080u;
      v[4 * h + 0] = magicByte<0>(u) - magicZero;
      v[4 * h + 1] = magicByte<1>(u) - magicZero;
      v[4 * h + 2] = magicByte<2>(u) - magicZero;
      v[4 * h + 3] = magicByte<3>(u) - magicZero;
    }
  } else {
    const uint32_t lo = words[o] & 0x0F0F0F0Fu, hi = (words[o] >> 4) & 0x0F0F0F0Fu;
    v[0] = magicByte<0>(lo) - magicZero;
    v[1] = magicByte<0>(hi) - magicZero;
    v[2] = magicByte<1>(lo) - magicZero;
    v[3] = magicByte<1>(hi) - magicZero;
    v[4] = magicByte<2>(lo) - magicZero;
    v[5] = magicByte<2>(hi) - magicZero;
    v[6] = magicByte<3>(lo) - magicZero;
    v[7] = magicByte<3>(hi) - magicZero;
  }
}

constexpr float kMagic = 8388608.f;        // 2^23
constexpr float kMagicInt8 = 8388608.f + 128.f;

// The packed (two values per 32-bit register) type of T.
template <typename T> struct TPairOf;
template <> struct TPairOf<half> { using type = __half2; };
template <> struct TPairOf<__nv_bfloat16> { using type = __nv_bfloat162; };
template <typename T> using TPair = typename TPairOf<T>::type;

template <typename T> __device__ __forceinline__ TPair<T> asPair(uint32_t bits) {
  return *reinterpret_cast<const TPair<T> *>(&bits);
}
// The pair (v, v) from the 16 bits of v.
template <typename T> __device__ __forceinline__ TPair<T> splatBits(uint32_t bits16) {
  return asPair<T>(bits16 * 0x00010001u);
}
template <typename T> __device__ __forceinline__ float2 toFloat2(TPair<T> p) {
  if constexpr (std::is_same_v<T, half>)
    return __half22float2(p);
  else
    return __bfloat1622float2(p);
}

// Whether the fused kernel multiplies in packed T pairs (HFMA2) for this
// format: int4 (f16 and bf16) and int8 (f16 only: 2^8 + u needs nine
// significant bits, which bf16 lacks), and only for T outputs; a float
// output (a quantized LM head) and fp8 keep the exact fp32 products. The
// packed codes are exact (code - zero) / 16 (int4) or code / 128 (int8), so
// no product exceeds |x| and no f16 partial sum can overflow where the
// activations themselves do not.
template <typename T, typename OutT, QuantFormat Fmt> constexpr bool packedMath() {
  return std::is_same_v<OutT, T> &&
         (Fmt == QuantFormat::Int4 || (Fmt == QuantFormat::Int8 && std::is_same_v<T, half>));
}

// Bits of the constants below: f16 1/16, 1/256, 1/128, -9; bf16 1/16.
constexpr uint32_t kH16th = 0x2C00, kH256th = 0x1C00, kH128th = 0x2000, kHMinus9 = 0xC880,
                   kB16th = 0x3D80;

// The per-group constants of the packed int4 dequantization: the negated
// magic bias plus zero point z (0..15), scaled like the codes, built from
// z's bits (exact in T; the ulp of the magic value times 1/16 is 1/16 or
// 1/256):
//   f16: [0] = -(64 + z/16) = 0xD400 | z for codes at bits 0..3 (1024 + q,
//        times 1/16); [1] = -(4 + z/16) = 0xC400 | z << 4 for codes at
//        bits 4..7 (1024 + 16q, times 1/256);
//   bf16: [0] = [1] = -(8 + z/16) = 0xC100 | z (every code at bits 0..3:
//        128 + q, times 1/16).
template <typename T> __device__ __forceinline__ void int4ZeroTerms(uint32_t z,
                                                                   TPair<T> (&zt)[2]) {
  if constexpr (std::is_same_v<T, half>) {
    zt[0] = splatBits<T>(0xD400u | z);
    zt[1] = splatBits<T>(0xC400u | z << 4);
  } else {
    zt[0] = zt[1] = splatBits<T>(0xC100u | z);
  }
}

// Octet `o` of a chunk as four pairs of exact dequantized codes in T:
//   int4 (word o, elements e0..e7 in nibbles 0..7): pair j holds
//     ((e_j - z) / 16, (e_{j+4} - z) / 16): a mask (and shift) puts the
//     nibbles of elements j and j + 4 into the two halves, OR-ing the
//     exponent of 1024 (f16, 0x6400) or 128 (bf16, 0x4300) makes them the
//     T values magic + q (f16 also takes the second nibble in place, as
//     1024 + 16q), and one HFMA2 scales them and subtracts magic + z.
//     f16: 4 LOP3 + 1 shift + 4 HFMA2 per 8 codes; bf16: 4 LOP3 + 3 shifts
//     + 4 HFMA2.
//   int8, f16 (words 2o, 2o+1, byte b = element b): pair j holds
//     (q_2j / 128, q_2j+1 / 128): the codes offset by 128 are bytes
//     u = q + 128, byte-permuted under the exponent byte 0x64 into
//     1024 + u, and (1024 + u) / 128 - 9 = q / 128 in one HFMA2:
//     2 XOR + 4 PRMT + 4 HFMA2 per 8 codes.
template <typename T, QuantFormat Fmt>
__device__ __forceinline__ void packedOctet(const uint4 &chunk, int o, const TPair<T> (&zt)[2],
                                            TPair<T> (&v)[4]) {
  const uint32_t words[4] = {chunk.x, chunk.y, chunk.z, chunk.w};
  if constexpr (Fmt == QuantFormat::Int8) {
    const TPair<T> unit = splatBits<T>(kH128th), bias = splatBits<T>(kHMinus9);
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const uint32_t u = words[2 * o + h] ^ 0x80808080u;
      v[2 * h] = __hfma2(asPair<T>(__byte_perm(u, 0x64646464u, 0x4140u)), unit, bias);
      v[2 * h + 1] = __hfma2(asPair<T>(__byte_perm(u, 0x64646464u, 0x4342u)), unit, bias);
    }
  } else if constexpr (std::is_same_v<T, half>) {
    const uint32_t w = words[o], w8 = w >> 8;
    const TPair<T> lo = splatBits<T>(kH16th), hi = splatBits<T>(kH256th);
    v[0] = __hfma2(asPair<T>((w & 0x000F000Fu) | 0x64006400u), lo, zt[0]);
    v[1] = __hfma2(asPair<T>((w & 0x00F000F0u) | 0x64006400u), hi, zt[1]);
    v[2] = __hfma2(asPair<T>((w8 & 0x000F000Fu) | 0x64006400u), lo, zt[0]);
    v[3] = __hfma2(asPair<T>((w8 & 0x00F000F0u) | 0x64006400u), hi, zt[1]);
  } else {
    const TPair<T> unit = splatBits<T>(kB16th);
#pragma unroll
    for (int j = 0; j < 4; ++j)
      v[j] = __hfma2(asPair<T>(((words[o] >> (4 * j)) & 0x000F000Fu) | 0x43004300u), unit, zt[0]);
  }
}

// Eight activations as the pairs packedOctet's codes meet: int4 pair j is
// (x_j, x_{j+4}) (four byte permutes, shared by the F features of a
// thread); int8 pairs are the natural (x_2j, x_2j+1).
template <QuantFormat Fmt> __device__ __forceinline__ void activationPairs(const uint4 &x,
                                                                          uint32_t (&p)[4]) {
  if constexpr (Fmt == QuantFormat::Int4) {
    p[0] = __byte_perm(x.x, x.z, 0x5410u);
    p[1] = __byte_perm(x.x, x.z, 0x7632u);
    p[2] = __byte_perm(x.y, x.w, 0x5410u);
    p[3] = __byte_perm(x.y, x.w, 0x7632u);
  } else {
    p[0] = x.x;
    p[1] = x.y;
    p[2] = x.z;
    p[3] = x.w;
  }
}

// out[r, 8i .. 8i+7] = x[r, 8i + (0, 4, 1, 5, 2, 6, 3, 7)]: the int4
// activation pairs, formed once per GEMM instead of once per chunk and
// feature group; `count` 16-byte groups of eight.
template <typename T>
__global__ void pairActivationsKernel(const T *__restrict__ in, T *__restrict__ out, int count) {
  const uint4 *x = reinterpret_cast<const uint4 *>(in);
  uint4 *y = reinterpret_cast<uint4 *>(out);
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    uint32_t p[4];
    activationPairs<QuantFormat::Int4>(__ldg(x + i), p);
    y[i] = make_uint4(p[0], p[1], p[2], p[3]);
  }
}

// One 16-byte chunk per feature, exact: codes to fp32 by the exponent trick
// (octetCodes), fp32 FMAs, summed over the chunk and added to the
// accumulators: int4 times its group's scale; int8 and fp8 unscaled (their
// scale is per feature, applied at the end).
template <typename T, QuantFormat Fmt, int R, int F>
__device__ __forceinline__ void exactChunk(const uint4 (&raw)[F], const float (&scale)[F],
                                           const uint32_t (&zero)[F], const uint4 *x,
                                           size_t xStride, int xOffset, int rows,
                                           float (&acc)[F][R]) {
  constexpr bool Int4 = Fmt == QuantFormat::Int4;
  constexpr int Octets = codesPerChunk<Fmt>() / 8;
  float part[F][R] = {};
#pragma unroll
  for (int o = 0; o < Octets; ++o) {
    float wv[F][8];
#pragma unroll
    for (int f = 0; f < F; ++f)
      octetCodes<Fmt>(raw[f], o, Int4 ? kMagic + float(zero[f]) : kMagicInt8, wv[f]);
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const int rr = r < rows ? r : rows - 1;
      float xf[8];
      unpack8<T>(__ldg(x + size_t(rr) * xStride + xOffset + o), xf);
#pragma unroll
      for (int f = 0; f < F; ++f)
#pragma unroll
        for (int j = 0; j < 8; ++j)
          part[f][r] = fmaf(wv[f][j], xf[j], part[f][r]);
    }
  }
#pragma unroll
  for (int f = 0; f < F; ++f)
#pragma unroll
    for (int r = 0; r < R; ++r)
      acc[f][r] = Int4 ? fmaf(scale[f], part[f][r], acc[f][r]) : acc[f][r] + part[f][r];
}

// One chunk per feature in packed T: packedOctet's exact scaled codes times
// activation pairs by HFMA2, summed in T over the chunk (16 products a lane
// for int4, 8 for int8, each at most |x|), then added to the fp32
// accumulators: int4 times 16 * its group's scale, int8 as is (the
// epilogue multiplies by 128 * scale). Paired: x already holds int4's
// activation pairs (pairActivationsKernel), else they are formed here.
template <typename T, QuantFormat Fmt, int R, int F, bool Paired>
__device__ __forceinline__ void packedChunk(const uint4 (&raw)[F], const float (&scale)[F],
                                            const uint32_t (&zero)[F], const uint4 *x,
                                            size_t xStride, int xOffset, int rows,
                                            float (&acc)[F][R]) {
  constexpr bool Int4 = Fmt == QuantFormat::Int4;
  constexpr int Octets = codesPerChunk<Fmt>() / 8;
  TPair<T> zt[F][2], sums[F][R];
#pragma unroll
  for (int f = 0; f < F; ++f) {
    if constexpr (Int4)
      int4ZeroTerms<T>(zero[f], zt[f]);
#pragma unroll
    for (int r = 0; r < R; ++r)
      sums[f][r] = asPair<T>(0u);
  }
  // Octet o of row r against the codes wv[f][0..3] of each feature.
  auto products = [&](int o, int r, const TPair<T>(&wv)[F][4]) {
    const int rr = r < rows ? r : rows - 1;
    const uint4 xv = __ldg(x + size_t(rr) * xStride + xOffset + o);
    uint32_t xp[4] = {xv.x, xv.y, xv.z, xv.w};
    if constexpr (!Paired)
      activationPairs<Fmt>(xv, xp);
#pragma unroll
    for (int f = 0; f < F; ++f)
#pragma unroll
      for (int j = 0; j < 4; ++j)
        sums[f][r] = __hfma2(wv[f][j], asPair<T>(xp[j]), sums[f][r]);
  };
  if constexpr (F * Octets <= 8) {
    // Few features (many rows): the whole chunk's codes stay in registers
    // (at most 32) and the rows go outermost, so that only one row's
    // activations are live: fewer registers than hoisting all rows' loads
    // (ptxas -v, int4 at 8 rows: 8-24 bytes of spill stores against 36-44
    // with the octets outermost; at 16 rows 0-32 against 12-48).
    TPair<T> wv[Octets][F][4];
#pragma unroll
    for (int o = 0; o < Octets; ++o)
#pragma unroll
      for (int f = 0; f < F; ++f)
        packedOctet<T, Fmt>(raw[f], o, zt[f], wv[o][f]);
#pragma unroll
    for (int r = 0; r < R; ++r)
#pragma unroll
      for (int o = 0; o < Octets; ++o)
        products(o, r, wv[o]);
  } else {
#pragma unroll
    for (int o = 0; o < Octets; ++o) {
      TPair<T> wv[F][4];
#pragma unroll
      for (int f = 0; f < F; ++f)
        packedOctet<T, Fmt>(raw[f], o, zt[f], wv[f]);
#pragma unroll
      for (int r = 0; r < R; ++r)
        products(o, r, wv);
    }
  }
#pragma unroll
  for (int f = 0; f < F; ++f)
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const float2 s = toFloat2<T>(sums[f][r]);
      acc[f][r] = Int4 ? fmaf(16.f * scale[f], s.x + s.y, acc[f][r]) : acc[f][r] + (s.x + s.y);
    }
}

// Rows <= 16: a CTA's threads form `split` groups (1, 2, 4 or 8) of
// 256 / split threads; each group owns F output features and its threads
// stride over the K codes in 16-byte chunks (streaming loads, F in flight
// per thread). Short rows take more groups, so that no thread idles: an
// int4 row of K = 2048 is only 64 chunks. The activations come through the
// read-only cache (every CTA reads all of them). Packed selects
// packedChunk over exactChunk (see packedMath); Paired: `in` holds int4
// activation pairs. acc[f][r] accumulates in fp32; each warp reduces as
// skinny_gemm does, then the warps of a group are summed.
template <typename T, typename OutT, QuantFormat Fmt, int R, int F, bool Packed, bool Paired>
__global__ void __launch_bounds__(kQuantThreads, 2)
    quantGemvKernel(const T *__restrict__ in, QuantWeight w, const T *__restrict__ bias,
                    OutT *__restrict__ out, int rows, int N, int K, int split, int ldOut) {
  constexpr int V = codesPerChunk<Fmt>(), Octets = V / 8, NV = F * R,
                Warps = kQuantThreads / 32;
  constexpr bool Int4 = Fmt == QuantFormat::Int4;
  __shared__ float partialSums[Warps][NV];
  const int groupThreads = kQuantThreads / split, group = threadIdx.x / groupThreads;
  const int n0 = (blockIdx.x * split + group) * F, chunks = K / V, xChunks = K / 8;
  const int groups = Int4 ? K / w.group : 1, chunksPerGroup = Int4 ? w.group / V : 1;
  const uint4 *x = reinterpret_cast<const uint4 *>(in);
  const uint4 *wrow[F];
  int feature[F];
#pragma unroll
  for (int f = 0; f < F; ++f) {
    feature[f] = min(n0 + f, N - 1);
    wrow[f] = static_cast<const uint4 *>(w.codes) + size_t(feature[f]) * chunks;
  }

  // Chunk c's codes, scales and zero points of the F features (constants:
  // the first chunk's are loaded before awaitPredecessor).
  uint4 raw[F];
  float scale[F] = {};
  uint32_t zero[F] = {};
  auto load = [&](int c) {
#pragma unroll
    for (int f = 0; f < F; ++f)
      raw[f] = detail::loadStreaming(wrow[f] + c);
    if constexpr (Int4) {
#pragma unroll
      for (int f = 0; f < F; ++f) {
        const size_t g = size_t(feature[f]) * groups + c / chunksPerGroup;
        scale[f] = __half2float(__ldg(static_cast<const half *>(w.scales) + g));
        zero[f] = __ldg(w.zeros + g);
      }
    }
  };
  float acc[F][R] = {};
  int c = threadIdx.x % groupThreads;
  if (c < chunks)
    load(c);
  awaitPredecessor();
  while (c < chunks) {
    if constexpr (Packed)
      packedChunk<T, Fmt, R, F, Paired>(raw, scale, zero, x, xChunks, c * Octets, rows, acc);
    else
      exactChunk<T, Fmt, R, F>(raw, scale, zero, x, xChunks, c * Octets, rows, acc);
    c += groupThreads;
    if (c < chunks)
      load(c);
  }

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  float *v = &acc[0][0];
  warpPartials<NV>(v, lane, partialSums[warp]);
  __syncthreads();
  const int groupWarps = Warps / split;
  // Packed int8 sums are in units of 1/128 (packedOctet).
  constexpr float kUnit = Packed && Fmt == QuantFormat::Int8 ? 128.f : 1.f;
  for (int t = threadIdx.x; t < split * NV; t += kQuantThreads) {
    const int g = t / NV, value = t % NV, f = value / R, r = value % R;
    const int n = (blockIdx.x * split + g) * F + f;
    if (n >= N || r >= rows)
      continue;
    float sum = 0.f;
    for (int i = g * groupWarps; i < (g + 1) * groupWarps; ++i)
      sum += partialSums[i][value];
    if constexpr (!Int4) // int8, fp8: one scale per feature
      sum *= kUnit * static_cast<const float *>(w.scales)[n];
    if (bias)
      sum += toFloat(bias[n]);
    out[size_t(r) * ldOut + n] = fromFloat<OutT>(sum);
  }
}

// SMs of the current device (queried once; host only, so graph capture is
// unaffected).
inline int multiprocessors() {
  static const int count = [] {
    int device = 0, n = 0;
    cudaGetDevice(&device);
    cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, device);
    return n > 0 ? n : 132;
  }();
  return count;
}

// Packed: use packedChunk where packedMath allows (the runtime always
// does; quant_gemm_test times the exact fp32 kernel against it).
// `pairScratch` (rows * K values of T, or null): where int4 products are
// packed at rows >= 4, the activation pairs are formed there first by one
// small kernel: with F <= 4 features a thread, forming them in the GEMV
// would cost 4 / F byte permutes per 4 HFMA2 (as many as the products at
// F = 1, 16 rows).
// The GEMV is launched with programmatic dependent launch (awaitPredecessor):
// each thread loads its first chunk's codes, scales and zero points before
// the wait, so in a decode step they stream while the previous kernel
// finishes. Measured on the H100 (test/gpu/gemv_step_bench.cu, a decode
// step's GEMMs at one row in one graph): Llama-3-8B int4 1.952 -> 1.732 ms,
// int8 2.702 -> 2.543 ms; Llama-3.2-1B int4 0.406 -> 0.316 ms, int8 0.485
// -> 0.386 ms.
template <typename T, typename OutT, QuantFormat Fmt, int R, bool AllowPacked>
void launchQuantGemv(cudaStream_t stream, const T *in, const QuantWeight &w, const T *bias,
                     OutT *out, int rows, int N, int K, T *pairScratch, int ldOut) {
  // Accumulators, per-chunk partial sums and unpacked codes take about
  // 2*F*R + 8*F registers (int4 chunks also hold twice the codes): fewer
  // features per CTA at more rows keep two CTAs per SM resident (at most
  // 128 registers a thread) without spilling.
  constexpr bool Int4 = Fmt == QuantFormat::Int4;
  constexpr int F = Int4 ? (R == 1 ? 8 : R <= 4 ? 4 : R == 8 ? 2 : 1)
                         : (R <= 2 ? 8 : R == 4 ? 4 : R == 8 ? 2 : 1);
  constexpr bool Packed = AllowPacked && packedMath<T, OutT, Fmt>();
  // Thread groups of at most as many threads as a row has chunks, unless
  // that leaves SMs without a CTA (few output features): then fewer, wider
  // groups spread the rows over more CTAs, and some threads idle instead of
  // whole SMs. (Only then: halving the split at CTAs >= SMs idles half of
  // every CTA's threads and needs a second wave of CTAs.)
  const int chunks = K / codesPerChunk<Fmt>();
  int split = chunks >= 256 ? 1 : chunks >= 128 ? 2 : chunks >= 64 ? 4 : 8;
  while (split > 1 && ceilDiv(N, F * split) < multiprocessors())
    split /= 2;
  const int blocks = ceilDiv(N, F * split);
  auto launch = [&](auto kernel, const T *x) {
    launchDependent(kernel, dim3(blocks), dim3(kQuantThreads), 0, stream, x, w, bias, out, rows,
                    N, K, split, ldOut);
  };
  if constexpr (Packed && Fmt == QuantFormat::Int4 && R >= 4) {
    if (pairScratch) {
      const int count = rows * (K / 8);
      pairActivationsKernel<T><<<ceilDiv(count, 256), 256, 0, stream>>>(in, pairScratch, count);
      launch(quantGemvKernel<T, OutT, Fmt, R, F, Packed, true>, pairScratch);
      return;
    }
  }
  launch(quantGemvKernel<T, OutT, Fmt, R, F, Packed, false>, in);
}

template <typename T, typename OutT, QuantFormat Fmt, bool AllowPacked>
void quantGemvRows(cudaStream_t stream, const T *in, const QuantWeight &w, const T *bias,
                   OutT *out, int rows, int N, int K, T *pairScratch, int ldOut) {
  if (rows == 1)
    launchQuantGemv<T, OutT, Fmt, 1, AllowPacked>(stream, in, w, bias, out, rows, N, K,
                                                  pairScratch, ldOut);
  else if (rows == 2)
    launchQuantGemv<T, OutT, Fmt, 2, AllowPacked>(stream, in, w, bias, out, rows, N, K,
                                                  pairScratch, ldOut);
  else if (rows <= 4)
    launchQuantGemv<T, OutT, Fmt, 4, AllowPacked>(stream, in, w, bias, out, rows, N, K,
                                                  pairScratch, ldOut);
  else if (rows <= 8)
    launchQuantGemv<T, OutT, Fmt, 8, AllowPacked>(stream, in, w, bias, out, rows, N, K,
                                                  pairScratch, ldOut);
  else
    launchQuantGemv<T, OutT, Fmt, 16, AllowPacked>(stream, in, w, bias, out, rows, N, K,
                                                   pairScratch, ldOut);
}

// The fused kernel for 1 <= rows <= kQuantGemvMaxRows (the caller checked
// quantLayoutSupported and 16-byte alignment). AllowPacked = false forces
// the exact fp32 products everywhere (a baseline for tests and benchmarks);
// pairScratch: see launchQuantGemv.
template <typename T, typename OutT, bool AllowPacked = true>
void quantGemv(cudaStream_t stream, const T *in, const QuantWeight &w, const T *bias, OutT *out,
               int rows, int N, int K, T *pairScratch = nullptr, int ldOut = 0) {
  if (ldOut <= 0)
    ldOut = N;
  switch (w.format) {
  case QuantFormat::Int8:
    return quantGemvRows<T, OutT, QuantFormat::Int8, AllowPacked>(stream, in, w, bias, out, rows,
                                                                  N, K, pairScratch, ldOut);
  case QuantFormat::Int4:
    return quantGemvRows<T, OutT, QuantFormat::Int4, AllowPacked>(stream, in, w, bias, out, rows,
                                                                  N, K, pairScratch, ldOut);
  case QuantFormat::FP8:
    return quantGemvRows<T, OutT, QuantFormat::FP8, AllowPacked>(stream, in, w, bias, out, rows,
                                                                 N, K, pairScratch, ldOut);
  }
}

// ---------------------------------------------------------------------------
// The tensor-core fused kernel (rows <= 16): mma.sync m16n8k16 with the
// dequantized weights as the A operand (16 output features x 16 k) and the
// activations as B (16 k x 8 rows; a second B for rows 9..16), fp32
// accumulators. docs/quantization.md, "The tensor-core kernel".
//
// No repacked layout is needed. In m16n8k16, lane (g = lane / 4,
// t = lane % 4) holds A elements of rows g and g + 8 and B elements of
// column g at the same four k positions {2t, 2t+1, 2t+8, 2t+9}, and no
// other lane with the same t holds different k. So the k order inside one
// mma may be any permutation that depends on t alone, applied to A and B
// alike: lane (g, t) loads the 16-byte chunk (32 int4 or 16 int8/fp8
// codes) at column chunk c(t) of features g and g + 8 straight from the
// row-major [N, K] codes, dequantizes it in registers into A pairs, and
// reads the activations of those same k (row g) as its B pairs. For int4
// the pairs are (e_j, e_{j+4}) of each 8-code word, the order the
// exponent trick produces (packedOctet), and the activations are paired
// to match (activationPairs); int8 / fp8 pairs are the natural ones.
//
// Work: a CTA (8 warps) owns kMmaTileN = 16 features; its warps take the
// K range in stages of 8 chunks a feature row (warp w: stages w, w + 8,
// ...; lane t reads chunks 8s + t and 8s + 4 + t, so a row's 128 bytes of a
// stage are one warp's loads), through a ring of `depth` stages of
// cp.async copies in shared memory (each lane reads back only what it
// copied: no barrier). The 8 warps' partial tiles are summed in a fixed
// order through shared memory (a split of K across the warps of a CTA:
// deterministic, no atomics). The codes, scales and zero points are issued
// before awaitPredecessor (they are constants), the activations after.
//
// Numerics: int4 A = s * (q - z) rounded once to T ((q - z) exact by the
// exponent trick, one multiply by the group's scale in T: for f16 the
// same value the CPU reference's dequantized f16 weight has; bf16 rounds
// the f16 scale to bf16 first), products exact in fp32 (mma), fp32 sums.
// int8 and fp8: A = q exactly (integers up to 127, E4M3 values), the
// per-feature f32 scale applied to the fp32 sums.
constexpr int kMmaWarps = 8, kMmaThreads = 32 * kMmaWarps;
constexpr int kMmaTileN = 16;     // output features of a CTA (the mma's M)
constexpr int kMmaMaxDepth = 4;   // cp.async stages in flight per warp
constexpr int kMmaStageChunks = 8; // 16-byte chunks of a feature row per warp stage
constexpr int kMmaStageVecs = 4 * 32; // uint4 per warp stage: 2 chunks x 2 features x 32 lanes

template <typename T> __device__ __forceinline__ uint32_t pairBits(TPair<T> p) {
  return *reinterpret_cast<const uint32_t *>(&p);
}

// One int4 group's constants for int4Pairs, from `sz` = f16 scale bits |
// zero point << 16: f16 z0 = 1024 + z (0x6400 | z: ulp 1), z1 = -(64 + z)
// (0xD400 | z << 4: ulp 1/16), s; bf16 z0 = 128 + z (0x4300 | z), s.
template <typename T> struct Int4Group {
  TPair<T> z0, z1, s;
};
template <typename T> __device__ __forceinline__ Int4Group<T> int4Group(uint32_t sz) {
  const uint32_t z = sz >> 16, scaleBits = sz & 0xffffu;
  Int4Group<T> g;
  if constexpr (std::is_same_v<T, half>) {
    g.z0 = splatBits<T>(0x6400u | z);
    g.z1 = splatBits<T>(0xD400u | z << 4);
    g.s = splatBits<T>(scaleBits);
  } else {
    g.z0 = g.z1 = splatBits<T>(0x4300u | z);
    const __nv_bfloat16 s = __float2bfloat16_rn(__half2float(__ushort_as_half(scaleBits)));
    g.s = __bfloat162bfloat162(s);
  }
  return g;
}

// Eight int4 codes e0..e7 (nibble i = e_i) as the pairs v[j] = s * (e_j -
// z, e_{j+4} - z) in T. f16: masking puts e_j, e_{j+4} (j = 0, 2: low
// nibbles of a byte) under the exponent of 1024, giving 1024 + e exactly,
// and e_{j+1}, e_{j+5} in place as 1024 + 16e; one subtraction (or
// multiply-add by 1/16) gives e - z exactly, one multiply the weight.
// bf16: every nibble shifted down, under the exponent of 128.
template <typename T>
__device__ __forceinline__ void int4Pairs(uint32_t w, const Int4Group<T> &g, TPair<T> (&v)[4]) {
  if constexpr (std::is_same_v<T, half>) {
    const TPair<T> sixteenth = splatBits<T>(kH16th);
    const uint32_t w8 = w >> 8;
    v[0] = __hmul2(__hsub2(asPair<T>((w & 0x000F000Fu) | 0x64006400u), g.z0), g.s);
    v[1] = __hmul2(__hfma2(asPair<T>((w & 0x00F000F0u) | 0x64006400u), sixteenth, g.z1), g.s);
    v[2] = __hmul2(__hsub2(asPair<T>((w8 & 0x000F000Fu) | 0x64006400u), g.z0), g.s);
    v[3] = __hmul2(__hfma2(asPair<T>((w8 & 0x00F000F0u) | 0x64006400u), sixteenth, g.z1), g.s);
  } else {
#pragma unroll
    for (int j = 0; j < 4; ++j)
      v[j] = __hmul2(__hsub2(asPair<T>(((w >> (4 * j)) & 0x000F000Fu) | 0x43004300u), g.z0), g.s);
  }
}

// Four int8 or fp8 codes (byte b = element b) as exact T pairs (q0, q1),
// (q2, q3). int8 f16: u = q + 128 under the exponent of 1024 is 1024 + u,
// minus 1152 = q. int8 bf16: exact floats by the 2^23 trick, converted
// (|q| <= 127 is exact in bf16). fp8: the hardware E4M3 -> f16 pair
// conversion (exact; and exact in bf16, 4 significant bits).
template <typename T, QuantFormat Fmt>
__device__ __forceinline__ void codePairs(uint32_t w, TPair<T> (&v)[2]) {
  if constexpr (Fmt == QuantFormat::FP8) {
#pragma unroll
    for (int p = 0; p < 2; ++p) {
      const __half2_raw h = __nv_cvt_fp8x2_to_halfraw2(
          static_cast<__nv_fp8x2_storage_t>(p ? w >> 16 : w & 0xffffu), __NV_E4M3);
      if constexpr (std::is_same_v<T, half>)
        v[p] = *reinterpret_cast<const __half2 *>(&h);
      else
        v[p] = __float22bfloat162_rn(__half22float2(*reinterpret_cast<const __half2 *>(&h)));
    }
  } else {
    const uint32_t u = w ^ 0x80808080u;
    if constexpr (std::is_same_v<T, half>) {
      const TPair<T> bias = splatBits<T>(0x6480u); // 1152
      v[0] = __hsub2(asPair<T>(__byte_perm(u, 0x64646464u, 0x4140u)), bias);
      v[1] = __hsub2(asPair<T>(__byte_perm(u, 0x64646464u, 0x4342u)), bias);
    } else {
      v[0] = __floats2bfloat162_rn(magicByte<0>(u) - kMagicInt8, magicByte<1>(u) - kMagicInt8);
      v[1] = __floats2bfloat162_rn(magicByte<2>(u) - kMagicInt8, magicByte<3>(u) - kMagicInt8);
    }
  }
}

__device__ __forceinline__ uint32_t wordOf(const uint4 &v, int i) {
  return i == 0 ? v.x : i == 1 ? v.y : i == 2 ? v.z : v.w;
}

// Independent accumulator sets per B operand: with one (rows <= 8), the
// chunk's mmas alternate between two sets, so that consecutive mmas do not
// wait for each other's result (the sets are added at the end); with two B
// operands the two accumulators already interleave (and registers are
// short: 124 at int4, two CTAs an SM).
template <int NB> constexpr int kMmaChains = NB == 1 ? 2 : 1;

// One 16-byte chunk of features g and g + 8 (`raw`) against the activations
// of the same k (`x[nb]`: rows g and g + 8, V values each) into the
// accumulators (acc[nb][chain]: the D fragment of activation rows
// 8nb..8nb+7).
template <typename T, QuantFormat Fmt, int NB>
__device__ __forceinline__ void mmaChunk(const uint4 (&raw)[2], const uint32_t (&sz)[2],
                                         const uint4 (&x)[NB][codesPerChunk<Fmt>() / 8],
                                         float (&acc)[NB][kMmaChains<NB>][4]) {
  constexpr int Chains = kMmaChains<NB>;
  if constexpr (Fmt == QuantFormat::Int4) {
    const Int4Group<T> grp[2] = {int4Group<T>(sz[0]), int4Group<T>(sz[1])};
#pragma unroll
    for (int o = 0; o < 4; ++o) { // word o: codes 8o..8o+7, two k16 steps
      TPair<T> v[2][4];
      int4Pairs<T>(wordOf(raw[0], o), grp[0], v[0]);
      int4Pairs<T>(wordOf(raw[1], o), grp[1], v[1]);
#pragma unroll
      for (int step = 0; step < 2; ++step) { // pairs 2 step, 2 step + 1
        const uint32_t a[4] = {pairBits<T>(v[0][2 * step]), pairBits<T>(v[1][2 * step]),
                               pairBits<T>(v[0][2 * step + 1]), pairBits<T>(v[1][2 * step + 1])};
#pragma unroll
        for (int nb = 0; nb < NB; ++nb) {
          uint32_t p[4];
          activationPairs<QuantFormat::Int4>(x[nb][o], p);
          mma16816<T>(acc[nb][step % Chains], a, p[2 * step], p[2 * step + 1]);
        }
      }
    }
  } else {
#pragma unroll
    for (int o = 0; o < 4; ++o) { // word o: codes 4o..4o+3, one k16 step
      TPair<T> v[2][2];
      codePairs<T, Fmt>(wordOf(raw[0], o), v[0]);
      codePairs<T, Fmt>(wordOf(raw[1], o), v[1]);
      const uint32_t a[4] = {pairBits<T>(v[0][0]), pairBits<T>(v[1][0]), pairBits<T>(v[0][1]),
                             pairBits<T>(v[1][1])};
#pragma unroll
      for (int nb = 0; nb < NB; ++nb)
        mma16816<T>(acc[nb][o % Chains], a, wordOf(x[nb][o / 2], 2 * (o % 2)),
                    wordOf(x[nb][o / 2], 2 * (o % 2) + 1));
    }
  }
}

// Shared memory of a launch: the warps' rings of `depth` stages (reused
// for the cross-warp sums at the end), then the int4 scale/zero table of
// the CTA's 16 features (one 32-bit word per group, rows padded to an odd
// stride so that the 8 features a warp reads at once hit distinct banks).
__host__ __device__ constexpr size_t mmaRingBytes(int depth) {
  return size_t(kMmaWarps) * depth * kMmaStageVecs * 16;
}
static_assert(mmaRingBytes(1) >= sizeof(float) * kMmaWarps * kMmaTileN * kMmaTileN,
              "the cross-warp sums reuse the ring");
inline size_t mmaSmemBytes(QuantFormat format, int K, int group, int depth) {
  return mmaRingBytes(depth) +
         (format == QuantFormat::Int4 ? size_t(kMmaTileN) * ((K / group) | 1) * 4 : 0);
}

template <typename T, typename OutT, QuantFormat Fmt, int NB>
__global__ void __launch_bounds__(kMmaThreads, NB == 1 ? 3 : 2)
    quantMmaKernel(const T *__restrict__ in, QuantWeight w, const T *__restrict__ bias,
                   OutT *__restrict__ out, int rows, int N, int K, int depth, int ldOut) {
  constexpr bool Int4 = Fmt == QuantFormat::Int4;
  constexpr int V = codesPerChunk<Fmt>(), XV = V / 8; // codes, activation vectors a chunk
  extern __shared__ uint4 mmaSmem[];
  uint4 *smem = mmaSmem;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, g = lane >> 2, t = lane & 3;
  const int n0 = blockIdx.x * kMmaTileN, chunks = K / V;
  const int stages = (chunks + kMmaStageChunks - 1) / kMmaStageChunks;
  const int myStages = warp < stages ? (stages - warp + kMmaWarps - 1) / kMmaWarps : 0;
  const uint4 *codeRow[2];
#pragma unroll
  for (int h = 0; h < 2; ++h)
    codeRow[h] = static_cast<const uint4 *>(w.codes) + size_t(min(n0 + g + 8 * h, N - 1)) * chunks;
  uint4 *ring = smem + size_t(warp) * depth * kMmaStageVecs;
  // Stage i of this warp into ring slot i % depth (chunks past the row's
  // end are zero-filled), and one commit group per call, empty or not, so
  // that stage i is complete once at most depth - 1 groups are pending.
  auto issue = [&](int i) {
    if (i < myStages) {
      const int s = warp + i * kMmaWarps;
      uint4 *slot = ring + (i % depth) * kMmaStageVecs;
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        const int c = s * kMmaStageChunks + t + 4 * j;
#pragma unroll
        for (int h = 0; h < 2; ++h)
          cpAsync16(slot + (2 * j + h) * 32 + lane, codeRow[h] + min(c, chunks - 1), c < chunks);
      }
    }
    cpAsyncCommit();
  };
  for (int i = 0; i < depth; ++i)
    issue(i);
  const int groups = Int4 ? K / w.group : 1, tableStride = groups | 1;
  uint32_t *table = reinterpret_cast<uint32_t *>(reinterpret_cast<char *>(smem) +
                                                 mmaRingBytes(depth));
  if constexpr (Int4) {
    const auto *scales = static_cast<const unsigned short *>(w.scales);
    for (int i = threadIdx.x; i < kMmaTileN * groups; i += kMmaThreads) {
      const int f = i / groups, gi = i % groups;
      const size_t e = size_t(min(n0 + f, N - 1)) * groups + gi;
      table[f * tableStride + gi] = uint32_t(__ldg(scales + e)) | uint32_t(__ldg(w.zeros + e)) << 16;
    }
  }
  awaitPredecessor();
  __syncthreads();

  float acc[NB][kMmaChains<NB>][4] = {};
  const uint4 *x = reinterpret_cast<const uint4 *>(in);
  const size_t xRow = K / 8;
  for (int i = 0; i < myStages; ++i) {
    switch (depth) { // stage i complete: at most depth - 1 groups pending
    case 1: cpAsyncWait<0>(); break;
    case 2: cpAsyncWait<1>(); break;
    case 3: cpAsyncWait<2>(); break;
    default: cpAsyncWait<3>(); break;
    }
    const int s = warp + i * kMmaWarps;
    const uint4 *slot = ring + (i % depth) * kMmaStageVecs;
#pragma unroll
    for (int j = 0; j < 2; ++j) {
      const int c = s * kMmaStageChunks + t + 4 * j;
      const bool valid = c < chunks;
      const uint4 raw[2] = {slot[(2 * j) * 32 + lane], slot[(2 * j + 1) * 32 + lane]};
      uint32_t sz[2] = {0u, 0u};
      if constexpr (Int4) {
        if (valid) {
          const int gi = c * V / w.group;
          sz[0] = table[g * tableStride + gi];
          sz[1] = table[(g + 8) * tableStride + gi];
        }
      }
      // Activation rows g and g + 8 at this chunk's k (zero past `rows`
      // and past K: the zero-filled codes then contribute nothing).
      uint4 xv[NB][XV];
#pragma unroll
      for (int nb = 0; nb < NB; ++nb) {
        const int r = g + 8 * nb;
        const bool live = valid && r < rows;
#pragma unroll
        for (int q = 0; q < XV; ++q)
          xv[nb][q] = live ? __ldg(x + size_t(r) * xRow + size_t(c) * XV + q) : make_uint4(0, 0, 0, 0);
      }
      mmaChunk<T, Fmt, NB>(raw, sz, xv, acc);
    }
    issue(i + depth);
  }

  // D fragment: acc[nb][chain][e] is feature g + 8 (e / 2), activation
  // row 8 nb + 2t + e % 2. The warps' tiles are summed in warp order.
  cpAsyncWait<0>();
  __syncthreads(); // every warp is done with its ring: reuse it for the sums
  float *sums = reinterpret_cast<float *>(smem);
#pragma unroll
  for (int nb = 0; nb < NB; ++nb)
#pragma unroll
    for (int e = 0; e < 4; ++e) {
      float v = 0.f;
#pragma unroll
      for (int chain = 0; chain < kMmaChains<NB>; ++chain)
        v += acc[nb][chain][e];
      sums[(warp * kMmaTileN + g + 8 * (e / 2)) * kMmaTileN + 8 * nb + 2 * t + e % 2] = v;
    }
  __syncthreads();
  const int f = threadIdx.x / kMmaTileN, r = threadIdx.x % kMmaTileN, n = n0 + f;
  if (n < N && r < rows) {
    float sum = 0.f;
#pragma unroll
    for (int i = 0; i < kMmaWarps; ++i)
      sum += sums[(i * kMmaTileN + f) * kMmaTileN + r];
    if constexpr (!Int4) // int8, fp8: one scale per feature
      sum *= static_cast<const float *>(w.scales)[n];
    if (bias)
      sum += toFloat(bias[n]);
    out[size_t(r) * ldOut + n] = fromFloat<OutT>(sum);
  }
}

// The most dynamic shared memory a CTA may use on this device (queried
// once; host only).
inline size_t maxSmemOptin() {
  static const size_t bytes = [] {
    int device = 0, n = 0;
    cudaGetDevice(&device);
    cudaDeviceGetAttribute(&n, cudaDevAttrMaxSharedMemoryPerBlockOptin, device);
    return size_t(n);
  }();
  return bytes;
}

// Whether quantMma can run this GEMM: rows 1..16, T or float outputs, and
// its shared memory (ring + the int4 table, which grows with K / G) within
// the device's limit.
inline bool quantMmaSupports(const QuantWeight &w, int rows, int K) {
  return rows >= 1 && rows <= kQuantGemvMaxRows &&
         mmaSmemBytes(w.format, K, w.group, kMmaMaxDepth) <= maxSmemOptin();
}

template <typename T, typename OutT, QuantFormat Fmt, int NB>
void launchQuantMma(cudaStream_t stream, const T *in, const QuantWeight &w, const T *bias,
                    OutT *out, int rows, int N, int K, int ldOut) {
  // Ring depth: a warp's stages, at most kMmaMaxDepth (64 KB a CTA).
  const int stages = ceilDiv(K / codesPerChunk<Fmt>(), kMmaStageChunks);
  const int depth = std::max(1, std::min(kMmaMaxDepth, ceilDiv(stages, kMmaWarps)));
  const size_t smem = mmaSmemBytes(Fmt, K, w.group, depth);
  auto kernel = quantMmaKernel<T, OutT, Fmt, NB>;
  // Once per kernel (host-side attributes, no stream work): opt in to
  // more than 48 KB; with one B operand (rows <= 8) also ask for the
  // largest shared-memory carveout, so that shared memory rather than a
  // carveout sized for fewer CTAs bounds how many are resident (three by
  // registers: at most 80 a thread, __launch_bounds__). Measured together
  // with the two accumulator chains and those bounds (H100, Llama-3-8B
  // decode-step GEMMs, docs/quantization.md): int4 at 8 rows 4.21 -> 3.67
  // ms, at 4 rows 3.89 -> 3.48 ms. With two B operands (9-16 rows) the
  // same carveout was slower (int4 5.24 -> 6.16 ms, int8 4.27 -> 4.40 ms at
  // 16 rows: 16 activation rows, 128 KB at K = 4096, no longer stay in the
  // L1 that remains), so those keep the default.
  static const bool configured = [&] {
    cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                         int(maxSmemOptin()));
    if constexpr (NB == 1)
      cudaFuncSetAttribute(kernel, cudaFuncAttributePreferredSharedMemoryCarveout,
                           int(cudaSharedmemCarveoutMaxShared));
    return true;
  }();
  (void)configured;
  launchDependent(kernel, dim3(ceilDiv(N, kMmaTileN)), dim3(kMmaThreads), smem, stream, in, w,
                  bias, out, rows, N, K, depth, ldOut);
}

// gemm_quant's rule, measured on the H100 (test/gpu/quant_gemv_bench.sh,
// bench/results/quant_gemv_bench_h100.log; docs/quantization.md): the
// tensor-core kernel from kQuantMmaMinRows rows (at 4, 8 and 16 rows it
// is the fastest kernel on 46 of the 48 Llama-3.2-1B / Llama-3-8B
// shape-format-rows cases, at 16 rows 4-6x faster than the GEMV and 2-4x faster
// than dequantize + cuBLASLt); the GEMV below that (at 1 and 2 rows it was
// faster on 29 of 32: the mma kernel's time hardly changes with the rows,
// 8B int4 3.47 ms at 1 row and 3.48 at 4, while the GEMV's grows with
// them from 2.66 ms at 1 row).
constexpr int kQuantMmaMinRows = 3;
inline bool useQuantMma(const QuantWeight &w, int rows, int K) {
  return rows >= kQuantMmaMinRows && quantMmaSupports(w, rows, K);
}

// The tensor-core kernel (the caller checked quantLayoutSupported,
// quantMmaSupports and 16-byte alignment). Rows of `out` are ldOut values
// apart (0: N).
template <typename T, typename OutT>
void quantMma(cudaStream_t stream, const T *in, const QuantWeight &w, const T *bias, OutT *out,
              int rows, int N, int K, int ldOut = 0) {
  if (ldOut <= 0)
    ldOut = N;
  auto launch = [&](auto fmtTag) {
    constexpr QuantFormat Fmt = decltype(fmtTag)::value;
    if (rows <= 8)
      launchQuantMma<T, OutT, Fmt, 1>(stream, in, w, bias, out, rows, N, K, ldOut);
    else
      launchQuantMma<T, OutT, Fmt, 2>(stream, in, w, bias, out, rows, N, K, ldOut);
  };
  switch (w.format) {
  case QuantFormat::Int8:
    return launch(std::integral_constant<QuantFormat, QuantFormat::Int8>{});
  case QuantFormat::Int4:
    return launch(std::integral_constant<QuantFormat, QuantFormat::Int4>{});
  case QuantFormat::FP8:
    return launch(std::integral_constant<QuantFormat, QuantFormat::FP8>{});
  }
}

constexpr float kFP8Max = 448.f;

// The per-token scale of a row whose largest |x| is amax: amax / 448, 1
// for an all-zero row (its codes are then zero).
__device__ __forceinline__ float fp8ScaleOf(float amax) {
  return amax > 0.f ? amax / kFP8Max : 1.f;
}

// fp8ScaleOf row x (K values); every thread of the CTA gets it.
template <typename T>
__device__ __forceinline__ float fp8RowScale(const T *x, int K, float *scratch) {
  float amax = 0.f;
  for (int k = threadIdx.x; k < K; k += blockDim.x)
    amax = fmaxf(amax, fabsf(toFloat(x[k])));
  return fp8ScaleOf(blockMax(amax, scratch));
}

// x'[r, :] = e4m3(x[r, :] / s) * s with s = fp8RowScale, rounded to T,
// one CTA per row; an all-zero row stays zero. The division and rounding
// are the CPU reference's (lib/Quant fp8QuantizeRows): IEEE division,
// E4M3 nearest-even, saturating. (The reference keeps x' in f32; q * s
// has up to 28 significant bits, so T rounds it: the decode kernels'
// inputs are T.)
template <typename T>
__global__ void fp8QuantizeRowsKernel(const T *__restrict__ in, T *__restrict__ out, int K) {
  __shared__ float scratch[32];
  const T *x = in + size_t(blockIdx.x) * K;
  T *y = out + size_t(blockIdx.x) * K;
  const float s = fp8RowScale(x, K, scratch);
  for (int k = threadIdx.x; k < K; k += blockDim.x) {
    const __nv_fp8_e4m3 q(__fdiv_rn(toFloat(x[k]), s));
    y[k] = fromFloat<T>(float(q) * s);
  }
}

// The FP8 GEMM's operand: codes[r, :] = e4m3(x[r, :] / s) (the bytes of
// fp8QuantizeRowsKernel's q) and scales[r] = s, one CTA per row, 16-byte
// loads (K % 8 == 0, `in` 16-byte aligned: checked by gemm_quant). The row
// is read from memory once: its chunks stay in dynamic shared memory
// (`staged`, K * sizeof(T) bytes, while that is within the 48 KB a launch
// gets without opting in; else read twice), each thread reading back only
// the chunks it stored. cuBLASLt multiplies the codes and applies s to the
// fp32 sums, so x' is never rounded to T.
template <typename T>
__global__ void fp8QuantizeCodesKernel(const T *__restrict__ in, uint8_t *__restrict__ codes,
                                       float *__restrict__ scales, int K, bool staged) {
  extern __shared__ uint4 rowStage[];
  __shared__ float scratch[32];
  const uint4 *x = reinterpret_cast<const uint4 *>(in + size_t(blockIdx.x) * K);
  uint2 *q = reinterpret_cast<uint2 *>(codes + size_t(blockIdx.x) * K);
  const int chunks = K / 8;
  float amax = 0.f;
  for (int c = threadIdx.x; c < chunks; c += blockDim.x) {
    const uint4 raw = x[c];
    if (staged)
      rowStage[c] = raw;
    float v[8];
    loadVec8(reinterpret_cast<const T *>(&raw), v);
#pragma unroll
    for (int j = 0; j < 8; ++j)
      amax = fmaxf(amax, fabsf(v[j]));
  }
  const float s = fp8ScaleOf(blockMax(amax, scratch));
  for (int c = threadIdx.x; c < chunks; c += blockDim.x) {
    const uint4 raw = staged ? rowStage[c] : x[c];
    float v[8];
    loadVec8(reinterpret_cast<const T *>(&raw), v);
    uint32_t word[2];
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      uint32_t w = 0;
#pragma unroll
      for (int j = 0; j < 4; ++j)
        w |= uint32_t(__nv_fp8_e4m3(__fdiv_rn(v[4 * h + j], s)).__x) << (8 * j);
      word[h] = w;
    }
    q[c] = make_uint2(word[0], word[1]);
  }
  if (threadIdx.x == 0)
    scales[blockIdx.x] = s;
}

template <typename T>
void fp8QuantizeCodes(cudaStream_t stream, const T *in, uint8_t *codes, float *scales, int rows,
                      int K) {
  const size_t stage = size_t(K) * sizeof(T);
  const bool staged = stage <= 48 * 1024;
  fp8QuantizeCodesKernel<T>
      <<<rows, 256, staged ? stage : 0, stream>>>(in, codes, scales, K, staged);
}

// How gemm_quant's fp8 prefill GEMMs ran: on cuBLASLt's FP8 GEMM with
// outer-vector scales, on it with unit scales and the epilogue kernel, or
// (cuBLASLt had no FP8 algorithm) as dequantize + f16/bf16 cuBLASLt.
enum class Fp8Path : int { OuterVector = 0, Epilogue = 1, Fallback = 2 };
inline std::atomic<long> &fp8PathCount(Fp8Path p) {
  static std::atomic<long> counts[3];
  return counts[int(p)];
}
inline long fp8LtFallbacks() { return fp8PathCount(Fp8Path::Fallback); }

// Where gemm_quant's fp8 path is cuBLASLt's FP8 GEMM: the rows that
// neither decode kernel takes (the place of dequantize + cuBLASLt).
inline bool fp8UsesLt(const QuantWeight &w, int rows, int K) {
  return w.format == QuantFormat::FP8 && !useQuantMma(w, rows, K) &&
         rows > kQuantGemvDispatchRows;
}

// The bytes of `actScratch` the FP8 GEMM uses: codes [rows, K], then the
// scales [rows] (16-byte aligned: K % 16 == 0). At most rows * K * 2, the
// scratch's size (K >= 16).
inline float *fp8ActScales(void *actScratch, int rows, int K) {
  return reinterpret_cast<float *>(static_cast<uint8_t *>(actScratch) + size_t(rows) * K);
}

// out[r, n] = acc[r, n] * s_x[r] * s_w[n] (+ bias[n]) rounded once to OutT:
// the unit-scale FP8 GEMM's f32 sums scaled (rows of `out` ldOut apart).
template <typename T, typename OutT>
__global__ void fp8ScaleRowsColumnsKernel(const float *__restrict__ acc,
                                          const float *__restrict__ rowScales,
                                          const float *__restrict__ colScales,
                                          const T *__restrict__ bias, OutT *__restrict__ out,
                                          int rows, int N, int ldOut) {
  const int64_t total = int64_t(rows) * N;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int r = int(i / N), n = int(i % N);
    float v = acc[i] * rowScales[r] * colScales[n];
    if (bias)
      v += toFloat(bias[n]);
    out[size_t(r) * ldOut + n] = fromFloat<OutT>(v);
  }
}

// Which of cuBLASLt's FP8 GEMMs gemmFp8Lt may use, and FAST_ACCUM.
struct Fp8LtOptions {
  bool outerVector = true, epilogue = true, fastAccum = false;
};

// out = (per-token scales x per-channel scales) * (E4M3 codes of in) x
// (E4M3 codes of w)^T (+ bias), on cuBLASLt's FP8 tensor cores: A = the
// weight codes (K x N, transposed: the TN layout cuBLASLt's FP8 kernels
// require), B = the activation codes written into `actScratch`, fp32
// accumulation. Two ways to apply the scales, tried in this order:
// - OuterVector: A's outer-vector scale is w.scales (one per feature), B's
//   the tokens' scales, both multiplying the fp32 sums inside cuBLASLt; D
//   is OutT (bias through the BIAS epilogue, or a kernel).
// - Epilogue: unit scales, D = the f32 sums in `scratch` (N * K values of
//   T: chunks of K * sizeof(T) / 4 rows at a time), then
//   fp8ScaleRowsColumnsKernel applies s_x[r] * s_w[n] (+ bias) and rounds
//   once to OutT. f32 sums: unscaled E4M3 products (up to 448^2 each)
//   would overflow f16.
// FAST_ACCUM off by default: Hopper's FP8 tensor cores keep fewer than
// fp32's bits in their accumulators, and without fast accumulation
// cuBLASLt promotes the partial sums to fp32 at intervals, which is what
// the CPU reference's f32 accumulation needs at K up to 14336 (test/gpu/
// quant_gemm_test.cu reports the error and the time with it on). Returns
// the way it ran, or Fallback when cuBLASLt has no algorithm for either
// (nothing enqueued; `*status` the last refusal).
template <typename T, typename OutT>
Fp8Path gemmFp8Lt(const StepArgs &args, const T *in, const QuantWeight &w, const T *bias,
                  OutT *out, int rows, int N, int K, void *actScratch, T *scratch, int ldOut,
                  Fp8LtOptions opt = {}, cublasStatus_t *status = nullptr) {
  if (ldOut <= 0)
    ldOut = N;
  uint8_t *codes = static_cast<uint8_t *>(actScratch);
  float *scales = fp8ActScales(actScratch, rows, K);
  const float *wScales = static_cast<const float *>(w.scales);
  GemmPlanCache &cache = gemmPlanCache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  cublasStatus_t last = CUBLAS_STATUS_NOT_SUPPORTED;
  auto fail = [&](cublasStatus_t s) {
    recordLauncherError("gemm_quant: cublasLtMatmul (FP8) failed", s);
  };
  if (opt.outerVector) {
    GemmPlan key = gemmPlanKey(args, rows, N, K, CUDA_R_8F_E4M3, cudaTypeOf<OutT>(),
                               std::is_same_v<OutT, T> && bias, codes, w.codes, out, ldOut);
    key.outerVecScales = true;
    key.fastAccum = opt.fastAccum;
    key.aScalesAtBuild = wScales;
    key.bScalesAtBuild = scales;
    GemmPlan *plan = &cachedGemmPlan(cache, key);
    if (plan->status != CUBLAS_STATUS_SUCCESS && key.bias) {
      // No algorithm with the BIAS epilogue too: the bias by a kernel.
      key.bias = false;
      plan = &cachedGemmPlan(cache, key);
    }
    last = plan->status;
    if (plan->status == CUBLAS_STATUS_SUCCESS) {
      fp8QuantizeCodes(args.stream, in, codes, scales, rows, K);
      LtOperands op;
      op.a = w.codes;
      op.b = codes;
      op.c = op.d = out;
      op.bias = bias;
      op.aScales = wScales;
      op.bScales = scales;
      if (const cublasStatus_t s = runGemmPlan(args, *plan, op); s != CUBLAS_STATUS_SUCCESS)
        fail(s); // enqueued work may have run: no fallback
      else if (bias && !plan->bias)
        addBias(args.stream, bias, out, rows, N, ldOut);
      return Fp8Path::OuterVector;
    }
  }
  if (opt.epilogue && scratch) {
    // Rows a chunk: its f32 sums fill at most the N * K values of T.
    const int chunk = std::min(rows, std::max(1, int(K * sizeof(T) / sizeof(float))));
    float *acc = reinterpret_cast<float *>(scratch);
    auto planFor = [&](int n) -> GemmPlan & {
      GemmPlan key =
          gemmPlanKey(args, n, N, K, CUDA_R_8F_E4M3, CUDA_R_32F, false, codes, w.codes, acc, N);
      // B starts at every multiple of chunk * K bytes: aligned as the least.
      key.bAlign = std::min(key.bAlign, pointerAlignment(codes + size_t(chunk) * K));
      key.fastAccum = opt.fastAccum;
      return cachedGemmPlan(cache, key);
    };
    // Both chunk sizes must have an algorithm before anything is enqueued.
    const int tail = rows % chunk;
    last = planFor(chunk).status;
    if (last == CUBLAS_STATUS_SUCCESS && tail)
      last = planFor(tail).status;
    if (last == CUBLAS_STATUS_SUCCESS) {
      fp8QuantizeCodes(args.stream, in, codes, scales, rows, K);
      for (int r0 = 0; r0 < rows; r0 += chunk) {
        const int n = std::min(chunk, rows - r0);
        LtOperands op;
        op.a = w.codes;
        op.b = codes + size_t(r0) * K;
        op.c = op.d = acc;
        if (const cublasStatus_t s = runGemmPlan(args, planFor(n), op);
            s != CUBLAS_STATUS_SUCCESS) {
          fail(s);
          break;
        }
        const int blocks = std::min(ceilDiv(int64_t(n) * N, 256), 132 * 16);
        fp8ScaleRowsColumnsKernel<T, OutT><<<blocks, 256, 0, args.stream>>>(
            acc, scales + r0, wScales, bias, out + size_t(r0) * ldOut, n, N, ldOut);
      }
      return Fp8Path::Epilogue;
    }
  }
  if (status)
    *status = last;
  return Fp8Path::Fallback;
}

// Counts an fp8 launch that could not use cuBLASLt's FP8 GEMM, and says
// so on stderr once per (N, K).
inline void noteFp8Fallback(cublasStatus_t status, int rows, int N, int K) {
  ++fp8PathCount(Fp8Path::Fallback);
  static std::mutex mutex;
  static std::vector<std::pair<int, int>> noted;
  std::lock_guard<std::mutex> lock(mutex);
  if (std::find(noted.begin(), noted.end(), std::pair{N, K}) != noted.end())
    return;
  noted.emplace_back(N, K);
  std::fprintf(stderr,
               "sieve: fp8 GEMM N %d K %d (first at rows %d): cuBLASLt has no FP8 algorithm "
               "(status %d%s); running it as dequantize + f16/bf16 cuBLASLt\n",
               N, K, rows, int(status),
               kLtOuterVecScales ? "" : ", cuBLASLt headers older than 12.9");
}

// scratch[n, k] = T(dequantized W[n, k]): one thread per 16-byte chunk of
// codes, the same arithmetic as the fused kernel.
template <typename T, QuantFormat Fmt>
__global__ void dequantizeKernel(QuantWeight w, T *__restrict__ scratch, int N, int K) {
  constexpr int V = codesPerChunk<Fmt>(), Octets = V / 8;
  const int chunks = K / V;
  const int64_t total = int64_t(N) * chunks;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    const int n = int(i / chunks), c = int(i % chunks);
    const uint4 raw = loadStreaming(reinterpret_cast<const uint4 *>(w.codes) + i);
    float scale, magicZero;
    if constexpr (Fmt == QuantFormat::Int4) {
      const size_t g = size_t(n) * (K / w.group) + size_t(c) * V / w.group;
      scale = __half2float(static_cast<const half *>(w.scales)[g]);
      magicZero = kMagic + float(w.zeros[g]);
    } else { // int8, fp8
      scale = static_cast<const float *>(w.scales)[n];
      magicZero = kMagicInt8;
    }
#pragma unroll
    for (int o = 0; o < Octets; ++o) {
      float v[8];
      octetCodes<Fmt>(raw, o, magicZero, v);
#pragma unroll
      for (int j = 0; j < 8; ++j)
        v[j] *= scale;
      storeVec8(scratch + size_t(n) * K + size_t(c) * V + 8 * o, v);
    }
  }
}

template <typename T>
void dequantize(cudaStream_t stream, const QuantWeight &w, T *scratch, int N, int K) {
  const int64_t chunks = int64_t(N) * (K / (w.format == QuantFormat::Int4 ? 32 : 16));
  const int blocks = int(std::min<int64_t>((chunks + 255) / 256, 132 * 16));
  switch (w.format) {
  case QuantFormat::Int8:
    dequantizeKernel<T, QuantFormat::Int8><<<blocks, 256, 0, stream>>>(w, scratch, N, K);
    return;
  case QuantFormat::Int4:
    dequantizeKernel<T, QuantFormat::Int4><<<blocks, 256, 0, stream>>>(w, scratch, N, K);
    return;
  case QuantFormat::FP8:
    dequantizeKernel<T, QuantFormat::FP8><<<blocks, 256, 0, stream>>>(w, scratch, N, K);
    return;
  }
}

} // namespace detail

template <typename T, typename OutT>
void gemm_quant(const StepArgs &args, const T *in, const QuantWeight &w, const T *bias,
                OutT *out, int rows, int N, int K, T *scratch, T *actScratch,
                int ld_out) {
  static_assert(detail::isStorageType<T>(), "gemm_quant: T must be half or __nv_bfloat16");
  static_assert(std::is_same_v<OutT, T> || std::is_same_v<OutT, float>,
                "gemm_quant: the output is T or float");
  if (rows <= 0 || N <= 0)
    return;
  if (!detail::quantLayoutSupported(w, K) ||
      !detail::vec8Aligned(K, in, w.codes)) {
    detail::recordLauncherError("gemm_quant: unsupported layout (K, group or alignment)", K);
    return;
  }
  if (w.format == QuantFormat::FP8) {
    if (!actScratch) {
      detail::recordLauncherError("gemm_quant: fp8 needs the activation scratch", K);
      return;
    }
    if (detail::fp8UsesLt(w, rows, K)) {
      cublasStatus_t s = CUBLAS_STATUS_SUCCESS;
      const detail::Fp8Path path = detail::gemmFp8Lt(args, in, w, bias, out, rows, N, K,
                                                     actScratch, scratch, ld_out, {}, &s);
      if (path != detail::Fp8Path::Fallback) {
        ++detail::fp8PathCount(path);
        return;
      }
      detail::noteFp8Fallback(s, rows, N, K);
    }
    detail::fp8QuantizeRowsKernel<T><<<rows, 256, 0, args.stream>>>(in, actScratch, K);
    in = actScratch;
  }
  if (detail::useQuantMma(w, rows, K)) {
    detail::quantMma(args.stream, in, w, bias, out, rows, N, K, ld_out);
    return;
  }
  if (rows <= detail::kQuantGemvDispatchRows) {
    // `scratch` (N * K values, unused on this path) holds the int4
    // activation pairs when it is large enough (rows <= N).
    detail::quantGemv(args.stream, in, w, bias, out, rows, N, K, rows <= N ? scratch : nullptr,
                      ld_out);
    return;
  }
  detail::dequantize(args.stream, w, scratch, N, K);
  detail::gemmCublasLt<T, OutT>(args, in, scratch, bias, out, rows, N, K, nullptr, ld_out);
}

} // namespace sieve::rt
