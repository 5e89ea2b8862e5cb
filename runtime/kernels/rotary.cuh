// Rotary embedding of queries and keys fused with the KV-cache append. The
// grid is (token, slice of kRotaryThreads values of the token's query and
// key heads laid end to end): each thread produces one output value of one
// head (reading the value and its rotation partner), so both rotary styles
// and partial rotary_dim share one code path; the threads of key values also
// append the value row. A decode step (one token) thus spreads over
// (heads + kv heads) * head_dim / kRotaryThreads CTAs instead of one.
// A quantized KV cache (kv_cache.cuh) has its own kernel, which also
// reduces each key and value vector's absmax for its scale.
#pragma once

#include "common.cuh"
#include "kv_cache.cuh"

namespace sieve::rt {
namespace detail {

constexpr int kRotaryThreads = 256;

// Value d of a rotated head `x` (head_dim wide) at angle index i's cos/sin.
__device__ __forceinline__ int rotaryPartner(int d, int rotaryDim,
                                             RotaryStyle style, int *freqIndex,
                                             float *sign) {
  if (style == RotaryStyle::Half) {
    int half = rotaryDim / 2;
    *freqIndex = d < half ? d : d - half;
    *sign = d < half ? -1.f : 1.f;
    return d < half ? d + half : d - half;
  }
  *freqIndex = d / 2;
  *sign = (d & 1) ? 1.f : -1.f;
  return d ^ 1;
}

template <typename T>
__device__ __forceinline__ float
rotated(const T *head, int d, int rotaryDim, RotaryStyle style,
        const float *invFreq, float pos, float scaling) {
  float x = toFloat(head[d]);
  if (style == RotaryStyle::None || d >= rotaryDim)
    return x;
  int i;
  float sign;
  int p = rotaryPartner(d, rotaryDim, style, &i, &sign);
  float s, c;
  sincosf(pos * invFreq[i], &s, &c);
  return x * c * scaling + sign * toFloat(head[p]) * s * scaling;
}

template <typename T>
__global__ void rotaryKvAppendKernel(
    const T *qkv, int ld, int qOffset, int kOffset, int vOffset, int numHeads,
    int numKvHeads, int headDim, int rotaryDim, RotaryStyle style,
    const float *invFreq, float scaling, T *qOut, T *kCache, T *vCache,
    int blockSize, const int32_t *positions, const int32_t *positionShift,
    const int32_t *tokenSeq, const int32_t *blockTable, int maxBlocksPerSeq) {
  awaitPredecessor();
  const int t = blockIdx.x;
  const int i = blockIdx.y * blockDim.x + threadIdx.x;
  const int qValues = numHeads * headDim, kvValues = numKvHeads * headDim;
  if (i >= qValues + kvValues)
    return;
  const T *row = qkv + int64_t(t) * ld;
  // pos: the cache offset; fpos: the model position (they differ once KV
  // eviction dropped cached positions).
  const int pos = positions[t];
  const float fpos = static_cast<float>(
      pos + (positionShift ? positionShift[tokenSeq[t]] : 0));
  if (i < qValues) {
    const int h = i / headDim, d = i % headDim;
    qOut[int64_t(t) * qValues + i] =
        fromFloat<T>(rotated(row + qOffset + h * headDim, d, rotaryDim, style,
                             invFreq, fpos, scaling));
    return;
  }
  const int kv = i - qValues, h = kv / headDim, d = kv % headDim;
  const int block =
      blockTable[int64_t(tokenSeq[t]) * maxBlocksPerSeq + pos / blockSize];
  const int64_t at =
      ((int64_t(block) * numKvHeads + h) * blockSize + pos % blockSize) *
          headDim +
      d;
  kCache[at] = fromFloat<T>(rotated(row + kOffset + h * headDim, d, rotaryDim,
                                    style, invFreq, fpos, scaling));
  vCache[at] = row[vOffset + kv];
}

// The quantizing append (F = Int8, FP8, Int4): the same thread per value,
// then the range of every key and value vector (absmax), or for int4 of
// every group of `group` values of it (min and max). head_dim is 32, 64 or
// 128, so a vector is whole warps of one CTA (the query values before it
// fill whole heads, and 256 threads hold whole heads), and a group (a power
// of two dividing head_dim) is either aligned lanes of one warp (below 32:
// a butterfly over those lanes) or whole warps (a warp reduction, then the
// group's warps combine through shared memory). Int4 codes are packed by
// the even thread of each pair.
template <typename T, KVFormat F>
__global__ void rotaryKvAppendQuantKernel(
    const T *qkv, int ld, int qOffset, int kOffset, int vOffset, int numHeads,
    int numKvHeads, int headDim, int rotaryDim, RotaryStyle style,
    const float *invFreq, float scaling, T *qOut, uint8_t *kCache,
    uint8_t *vCache, int blockSize, const int32_t *positions,
    const int32_t *positionShift, const int32_t *tokenSeq,
    const int32_t *blockTable, int maxBlocksPerSeq, int group) {
  awaitPredecessor();
  constexpr bool kInt4 = F == KVFormat::Int4;
  // Values sharing one scale: an int4 group, else the whole vector.
  const int span = kInt4 ? group : headDim;
  // Per warp: the maxima of (k, v) and, for int4, of (-k, -v) (the minima).
  __shared__ float wmax[4][kRotaryThreads / 32];
  const int t = blockIdx.x;
  const int i = blockIdx.y * blockDim.x + threadIdx.x;
  const int qValues = numHeads * headDim, kvValues = numKvHeads * headDim;
  const T *row = qkv + int64_t(t) * ld;
  // pos: the cache offset; fpos: the model position (they differ once KV
  // eviction dropped cached positions).
  const int pos = positions[t];
  const float fpos = static_cast<float>(
      pos + (positionShift ? positionShift[tokenSeq[t]] : 0));
  if (i < qValues) {
    const int h = i / headDim, d = i % headDim;
    qOut[int64_t(t) * qValues + i] =
        fromFloat<T>(rotated(row + qOffset + h * headDim, d, rotaryDim, style,
                             invFreq, fpos, scaling));
  }
  // No early exit: every thread takes part in the reductions.
  const bool isKv = i >= qValues && i < qValues + kvValues;
  const int kv = i - qValues, h = kv / headDim, d = kv % headDim;
  float k = 0.f, v = 0.f;
  if (isKv) {
    k = rotated(row + kOffset + h * headDim, d, rotaryDim, style, invFreq,
                fpos, scaling);
    v = toFloat(row[vOffset + kv]);
  }
  const int warp = threadIdx.x >> 5;
  float r[4] = {kInt4 ? k : fabsf(k), kInt4 ? v : fabsf(v), -k, -v};
  constexpr int kReduced = kInt4 ? 4 : 2;
  // Within the warp: over the span's lanes (all 32 when it is wider).
  const int lanes = min(span, 32);
#pragma unroll
  for (int q = 0; q < kReduced; ++q) {
    for (int o = lanes / 2; o > 0; o >>= 1)
      r[q] = fmaxf(r[q], __shfl_xor_sync(0xffffffffu, r[q], o));
    if ((threadIdx.x & 31) == 0)
      wmax[q][warp] = r[q];
  }
  __syncthreads();
  // Whole warps are key / value warps or not (heads are whole warps).
  if (!isKv)
    return;
  if (span > 32) { // the span's warps: those of this thread's span
    const int firstWarp = warp - (d % span) / 32;
#pragma unroll
    for (int q = 0; q < kReduced; ++q) {
      r[q] = -INFINITY;
      for (int w = firstWarp; w < firstWarp + span / 32; ++w)
        r[q] = fmaxf(r[q], wmax[q][w]);
    }
  }
  const int64_t tile =
      int64_t(blockTable[int64_t(tokenSeq[t]) * maxBlocksPerSeq +
                         pos / blockSize]) *
          numKvHeads +
      h;
  const KVQuantVector kd = kvQuantVector<F>(kCache, tile, pos % blockSize,
                                            headDim, blockSize, group);
  const KVQuantVector vd = kvQuantVector<F>(vCache, tile, pos % blockSize,
                                            headDim, blockSize, group);
  if constexpr (kInt4) {
    const Int4Params pk = kvInt4Params(-r[2], r[0]), pv = kvInt4Params(-r[3], r[1]);
    const unsigned ck = kvInt4Code(k, pk), cv = kvInt4Code(v, pv);
    // The odd neighbour's codes (the whole warp is here: see above).
    const unsigned nk = __shfl_down_sync(0xffffffffu, ck, 1),
                   nv = __shfl_down_sync(0xffffffffu, cv, 1);
    if (d % 2 == 0) {
      kd.codes[d / 2] = uint8_t(ck | (nk << 4));
      vd.codes[d / 2] = uint8_t(cv | (nv << 4));
    }
    if (d % group == 0) {
      kd.scale[d / group] = pk.scale;
      kd.zero[d / group] = uint8_t(pk.zero);
      vd.scale[d / group] = pv.scale;
      vd.zero[d / group] = uint8_t(pv.zero);
    }
  } else {
    const float sk = __fdiv_rn(r[0], kvCodeMax<F>()),
                sv = __fdiv_rn(r[1], kvCodeMax<F>());
    kd.codes[d] = sk == 0.f ? uint8_t(0) : kvEncode<F>(k, sk);
    vd.codes[d] = sv == 0.f ? uint8_t(0) : kvEncode<F>(v, sv);
    if (d == 0) {
      *kd.scale = sk;
      *vd.scale = sv;
    }
  }
}

} // namespace detail

template <typename T, KVFormat F>
void rotary_kv_append(const StepArgs &args, const T *qkv, int ld, int q_offset,
                      int k_offset, int v_offset, int num_heads,
                      int num_kv_heads, int head_dim, int rotary_dim,
                      RotaryStyle style, const float *inv_freq,
                      float attention_scaling, T *q_out,
                      typename KVCache<T, F>::Code *k_cache,
                      typename KVCache<T, F>::Code *v_cache, int block_size,
                      int kv_group) {
  static_assert(detail::isStorageType<T>(),
                "rotary_kv_append: T must be half or __nv_bfloat16");
  if (args.num_tokens <= 0)
    return;
  const int values = (num_heads + num_kv_heads) * head_dim;
  const dim3 grid(args.num_tokens,
                  detail::ceilDiv(values, detail::kRotaryThreads));
  if constexpr (F == KVFormat::Dense) {
    detail::launchDependent(
        detail::rotaryKvAppendKernel<T>, grid, detail::kRotaryThreads, 0,
        args.stream, qkv, ld, q_offset, k_offset, v_offset, num_heads,
        num_kv_heads, head_dim, rotary_dim, style, inv_freq, attention_scaling,
        q_out, k_cache, v_cache, block_size, args.positions,
        args.position_shift, args.token_seq,
        args.block_table, args.max_blocks_per_seq);
  } else {
    if (head_dim != 32 && head_dim != 64 && head_dim != 128) {
      detail::recordLauncherError(
          "rotary_kv_append: a quantized KV cache needs head_dim 32, 64 or "
          "128",
          head_dim);
      return;
    }
    const int group = detail::kvGroupOrError<F>("rotary_kv_append", head_dim, kv_group);
    if (!group)
      return;
    detail::launchDependent(
        detail::rotaryKvAppendQuantKernel<T, F>, grid, detail::kRotaryThreads,
        0, args.stream, qkv, ld, q_offset, k_offset, v_offset, num_heads,
        num_kv_heads, head_dim, rotary_dim, style, inv_freq, attention_scaling,
        q_out, k_cache, v_cache, block_size, args.positions,
        args.position_shift, args.token_seq,
        args.block_table, args.max_blocks_per_seq, group);
  }
}

} // namespace sieve::rt
