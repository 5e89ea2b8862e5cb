// Storage of the paged KV cache (ModelInfo::kv_format, kv_group;
// docs/quantization.md "KV cache on the GPU").
//
// A layer's K (or V) pool is [num_blocks, num_kv_heads] tiles of block_size
// vectors, a vector being the head_dim keys (or values) of one position of
// one KV head. Tile `tile = block * num_kv_heads + kv_head` starts at byte
// tile * block_size * vectorBytes(head_dim, groups):
//   - Dense: [block_size][head_dim] T, so value d of position p is element
//     ((block * num_kv_heads + h) * block_size + p) * head_dim + d;
//   - Int8 / FP8: [block_size][head_dim] one-byte codes (two's complement
//     int8, or E4M3FN), then [block_size] f32 scales: a vector's codes stay
//     contiguous (8-byte loads of 8 codes) and its value d is
//     scale[p] * code[p][d];
//   - Int4 with groups of `group` values (G = head_dim / group groups per
//     vector; G = 1 is one group of head_dim): [block_size][head_dim / 2]
//     bytes of uint4 codes (value d in the low nibble of byte d / 2 when d
//     is even), then [block_size][G] f32 scales, then [block_size][G] zero
//     points (bytes): value d is scale[p][d / group] * (code[p][d] -
//     zero[p][d / group]). The readers dequantize 8 codes per load with one
//     scale and zero point, so `group` is a multiple of 8 (kKVGroupQuantum).
// The quantization rule is lib/Quant's kvQuantize: int8 / fp8 s = amax / 127
// or amax / 448 over the vector, codes round(x / s) clamped to +-127
// (nearest even) or the nearest E4M3 value (saturating), s = 0 gives zero
// codes; int4, per group, s = (max - min) / 15,
// z = clamp(round(-min / s), 0, 15), codes clamp(round(x / s) + z, 0, 15),
// a constant group c stored exactly (s = |c|, z = 0 or 1; c = 0: s = 0).
#pragma once

#include "../sieve_abi.h"
#include "common.cuh"

#include <cuda_fp8.h>

#include <algorithm>

namespace sieve::rt {

// The values of one int4 KV group are a multiple of this: the readers
// dequantize 8 codes (one 4-byte load) with one scale and zero point.
constexpr int kKVGroupQuantum = 8;

// Scale / zero-point groups per vector of a format (Int4 with groups of
// `group` values: head_dim / group; every other quantized format: 1).
__host__ __device__ constexpr int kvGroupsPerVector(KVFormat f, int headDim,
                                                    int group) {
  return f == KVFormat::Int4 ? headDim / group : 1;
}

template <typename T, KVFormat F> struct KVCache {
  static constexpr bool kQuantized = F != KVFormat::Dense;
  // The element type of the pools (what the launchers take).
  using Code = std::conditional_t<kQuantized, uint8_t, T>;

  // Bytes of one vector; `groups` (kvGroupsPerVector) matters for Int4.
  __host__ __device__ static constexpr int64_t vectorBytes(int headDim,
                                                           int groups) {
    return F == KVFormat::Dense  ? int64_t(headDim) * sizeof(T)
           : F == KVFormat::Int4 ? int64_t(headDim) / 2 + 5 * int64_t(groups)
                                 : int64_t(headDim) + 4;
  }
};

// ModelInfo::kv_vector_bytes of a format (host: the runtime's check);
// `group` is the int4 group (values), ignored by the other formats.
inline int64_t kv_vector_bytes(KVFormat f, int head_dim, int value_bytes,
                               int group) {
  switch (f) {
  case KVFormat::Dense:
    return int64_t(head_dim) * value_bytes;
  case KVFormat::Int4:
    return int64_t(head_dim) / 2 + 5 * int64_t(head_dim / group);
  default:
    return int64_t(head_dim) + 4;
  }
}

// Whether the kernels take an int4 group of `group` values at head_dim
// (a divisor of head_dim and a multiple of kKVGroupQuantum).
inline bool kv_group_supported(int head_dim, int group) {
  return group > 0 && group % kKVGroupQuantum == 0 && head_dim % group == 0;
}

namespace detail {

// The int4 group a launcher reads with (kv_group 0: one group of head_dim);
// 0 after recording a launcher error, named after `launcher`, for a group
// the kernels cannot read. Other formats ignore the group.
template <KVFormat F> int kvGroupOrError(const char *launcher, int headDim, int kvGroup) {
  const int group = kvGroup ? kvGroup : headDim;
  if (F == KVFormat::Int4 && !kv_group_supported(headDim, group)) {
    char what[160];
    std::snprintf(what, sizeof what,
                  "%s: the int4 KV group must divide head_dim and be a multiple of %d", launcher,
                  kKVGroupQuantum);
    recordLauncherError(what, group);
    return 0;
  }
  return group;
}

// Codes, scales and (int4) zero points of position p of tile `tile` of a
// quantized pool of format F: scale[g] and zero[g] are those of group g
// (int4 groups of `group` values; one scale for int8 / fp8).
struct KVQuantVector {
  uint8_t *codes;
  float *scale;
  uint8_t *zero; // Int4 only
};
template <KVFormat F>
__device__ __forceinline__ KVQuantVector kvQuantVector(void *pool, int64_t tile,
                                                       int p, int headDim,
                                                       int blockSize, int group) {
  static_assert(F != KVFormat::Dense, "kvQuantVector: a quantized format");
  const int codeBytes = F == KVFormat::Int4 ? headDim / 2 : headDim;
  const int groups = kvGroupsPerVector(F, headDim, group);
  char *base = static_cast<char *>(pool) +
               tile * blockSize * KVCache<half, F>::vectorBytes(headDim, groups);
  char *scales = base + int64_t(blockSize) * codeBytes;
  return {reinterpret_cast<uint8_t *>(base) + int64_t(p) * codeBytes,
          reinterpret_cast<float *>(scales) + int64_t(p) * groups,
          reinterpret_cast<uint8_t *>(scales + 4 * int64_t(blockSize) * groups) +
              int64_t(p) * groups};
}

template <KVFormat F> __host__ __device__ constexpr float kvCodeMax() {
  static_assert(F == KVFormat::Int8 || F == KVFormat::FP8,
                "kvCodeMax: a symmetric quantized format");
  return F == KVFormat::Int8 ? 127.f : 448.f;
}

// The code of x / s (s > 0), as lib/Quant's kvQuantize (int8, fp8).
template <KVFormat F> __device__ __forceinline__ uint8_t kvEncode(float x, float s) {
  const float v = __fdiv_rn(x, s);
  if constexpr (F == KVFormat::Int8)
    return static_cast<uint8_t>(
        static_cast<int8_t>(fminf(fmaxf(rintf(v), -127.f), 127.f)));
  else
    return __nv_fp8_e4m3(v).__x; // nearest even, saturating to +-448
}

// Scale and zero point of an asymmetric uint4 vector with range [lo, hi]
// (lib/Quant int4Params without the f16 rounding of the scale).
struct Int4Params {
  float scale, zero;
};
__device__ __forceinline__ Int4Params kvInt4Params(float lo, float hi) {
  const float s = __fdiv_rn(hi - lo, 15.f);
  if (s == 0.f || !isfinite(s)) // a constant vector c: |c| * (q - z)
    return lo == 0.f ? Int4Params{0.f, 0.f}
                     : Int4Params{fabsf(lo), lo > 0.f ? 0.f : 1.f};
  return {s, fminf(fmaxf(rintf(__fdiv_rn(-lo, s)), 0.f), 15.f)};
}
__device__ __forceinline__ unsigned kvInt4Code(float x, Int4Params p) {
  if (p.scale == 0.f)
    return unsigned(p.zero);
  return unsigned(fminf(fmaxf(rintf(__fdiv_rn(x, p.scale)) + p.zero, 0.f), 15.f));
}

// The value of one int8 / E4M3 code (before the scale).
template <KVFormat F> __device__ __forceinline__ float kvDecode(uint8_t code) {
  if constexpr (F == KVFormat::Int8) {
    return float(static_cast<int8_t>(code));
  } else {
    __nv_fp8_e4m3 e;
    e.__x = code;
    return float(e);
  }
}

// Values [d, d + 8) of position p of tile `tile`, dequantized (d % 8 == 0;
// int4: `group` a multiple of 8, so the 8 values share one group).
template <KVFormat F>
__device__ __forceinline__ void kvLoad8(const uint8_t *pool, int64_t tile,
                                        int p, int d, int headDim,
                                        int blockSize, int group, float out[8]) {
  KVQuantVector vec = kvQuantVector<F>(const_cast<uint8_t *>(pool), tile, p,
                                       headDim, blockSize, group);
  if constexpr (F == KVFormat::Int4) {
    const float s = vec.scale[d / group];
    const uint32_t raw = *reinterpret_cast<const uint32_t *>(vec.codes + d / 2);
    const float z = float(vec.zero[d / group]);
#pragma unroll
    for (int e = 0; e < 8; ++e)
      out[e] = s * (float((raw >> (4 * e)) & 15u) - z);
  } else {
    const float s = *vec.scale;
    const uint2 raw = *reinterpret_cast<const uint2 *>(vec.codes + d);
#pragma unroll
    for (int e = 0; e < 8; ++e) {
      const uint32_t word = e < 4 ? raw.x : raw.y;
      out[e] = s * kvDecode<F>(static_cast<uint8_t>(word >> (8 * (e & 3))));
    }
  }
}

// Word w of the vector at position `pos` of KV head `head` of slot `slot`
// (vectors of `words` words, tiles as above).
template <typename W>
__device__ __forceinline__ W *kvVectorWord(W *pool, const int32_t *blockTable,
                                           int maxBlocksPerSeq, int slot, int numKvHeads,
                                           int blockSize, int words, int head, int pos) {
  int64_t block = blockTable[int64_t(slot) * maxBlocksPerSeq + pos / blockSize];
  return pool + ((block * numKvHeads + head) * blockSize + pos % blockSize) * int64_t(words);
}

// kv_compact's two halves: one thread per word of (head, i, K or V);
// `toStaging` copies the kept vectors out, the second launch writes them
// to positions 0..count-1. Two launches because in place, position i may
// still be a source of a later i' (keep[i'] == i).
template <typename W>
__global__ void kvCompactKernel(W *kPool, W *vPool, const int32_t *blockTable,
                                int maxBlocksPerSeq, int slot, int numKvHeads, int blockSize,
                                int words, const int32_t *keep, int count, W *staging,
                                bool toStaging) {
  int64_t perCache = int64_t(numKvHeads) * count * words;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < 2 * perCache;
       i += int64_t(gridDim.x) * blockDim.x) {
    bool isV = i >= perCache;
    int64_t r = isV ? i - perCache : i;
    int head = int(r / (int64_t(count) * words)), k = int(r / words % count),
        w = int(r % words);
    int pos = toStaging ? keep[int64_t(head) * count + k] : k;
    W *cell = kvVectorWord(isV ? vPool : kPool, blockTable, maxBlocksPerSeq, slot, numKvHeads,
                           blockSize, words, head, pos) +
              w;
    if (toStaging)
      staging[i] = *cell;
    else
      *cell = staging[i];
  }
}

template <typename W>
void kvCompactLaunch(cudaStream_t stream, void *k, void *v, const int32_t *blockTable,
                     int maxBlocksPerSeq, int slot, int numKvHeads, int blockSize,
                     int vectorBytes, const int32_t *keep, int count, void *staging) {
  int words = vectorBytes / int(sizeof(W));
  int64_t total = 2 * int64_t(numKvHeads) * count * words;
  int blocks = int(std::min<int64_t>((total + 255) / 256, 65535));
  for (bool toStaging : {true, false})
    kvCompactKernel<W><<<blocks, 256, 0, stream>>>(
        static_cast<W *>(k), static_cast<W *>(v), blockTable, maxBlocksPerSeq, slot,
        numKvHeads, blockSize, words, keep, count, static_cast<W *>(staging), toStaging);
}

} // namespace detail

// Declared in sieve_kernels.cuh. Vectors move as 4-byte words when their
// size allows, else bytes. It moves a tile's vectors as vector_bytes
// contiguous bytes each, which is the Dense layout only: a quantized tile
// keeps its codes, scales and zero points apart (above), and KV eviction
// with a quantized cache is refused at lowering (kv_mass reads dtype keys),
// so no quantized pool reaches this.
inline void kv_compact(cudaStream_t stream, void *k_cache, void *v_cache,
                       const int32_t *block_table, int max_blocks_per_seq, int slot,
                       int num_kv_heads, int block_size, int vector_bytes, const int32_t *keep,
                       int count, void *staging) {
  if (count <= 0)
    return;
  if (vector_bytes % 4 == 0)
    detail::kvCompactLaunch<uint32_t>(stream, k_cache, v_cache, block_table, max_blocks_per_seq,
                                      slot, num_kv_heads, block_size, vector_bytes, keep, count,
                                      staging);
  else
    detail::kvCompactLaunch<uint8_t>(stream, k_cache, v_cache, block_table, max_blocks_per_seq,
                                     slot, num_kv_heads, block_size, vector_bytes, keep, count,
                                     staging);
}

} // namespace sieve::rt
