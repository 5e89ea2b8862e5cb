// Storage of the paged KV cache (ModelInfo::kv_format, docs/quantization.md
// "KV cache on the GPU").
//
// A layer's K (or V) pool is [num_blocks, num_kv_heads] tiles of block_size
// vectors, a vector being the head_dim keys (or values) of one position of
// one KV head. Tile `tile = block * num_kv_heads + kv_head` starts at byte
// tile * block_size * vectorBytes(head_dim):
//   - Dense: [block_size][head_dim] T, so value d of position p is element
//     ((block * num_kv_heads + h) * block_size + p) * head_dim + d;
//   - Int8 / FP8: [block_size][head_dim] one-byte codes (two's complement
//     int8, or E4M3FN), then [block_size] f32 scales: a vector's codes stay
//     contiguous (8-byte loads of 8 codes) and its value d is
//     scale[p] * code[p][d].
// The quantization rule is lib/Quant's kvQuantize: s = amax / 127 (int8) or
// amax / 448 (fp8) over the vector, codes round(x / s) clamped to +-127
// (nearest even) or the nearest E4M3 value (saturating); s = 0 gives zero
// codes.
#pragma once

#include "../sieve_abi.h"
#include "common.cuh"

#include <cuda_fp8.h>

namespace sieve::rt {

template <typename T, KVFormat F> struct KVCache {
  static constexpr bool kQuantized = F != KVFormat::Dense;
  // The element type of the pools (what the launchers take).
  using Code = std::conditional_t<kQuantized, uint8_t, T>;

  __host__ __device__ static constexpr int64_t vectorBytes(int headDim) {
    return kQuantized ? int64_t(headDim) + 4 : int64_t(headDim) * sizeof(T);
  }
};

// ModelInfo::kv_vector_bytes of a format (host: the runtime's check).
inline int64_t kv_vector_bytes(KVFormat f, int head_dim, int value_bytes) {
  return f == KVFormat::Dense ? int64_t(head_dim) * value_bytes
                              : int64_t(head_dim) + 4;
}

namespace detail {

// Codes and scale of position p of tile `tile` of a quantized pool.
struct KVQuantVector {
  uint8_t *codes;
  float *scale;
};
__device__ __forceinline__ KVQuantVector kvQuantVector(void *pool,
                                                       int64_t tile, int p,
                                                       int headDim,
                                                       int blockSize) {
  char *base = static_cast<char *>(pool) +
               tile * blockSize * (int64_t(headDim) + 4);
  return {reinterpret_cast<uint8_t *>(base) + int64_t(p) * headDim,
          reinterpret_cast<float *>(base + int64_t(blockSize) * headDim) + p};
}

template <KVFormat F> __host__ __device__ constexpr float kvCodeMax() {
  static_assert(F != KVFormat::Dense, "kvCodeMax: a quantized format");
  return F == KVFormat::Int8 ? 127.f : 448.f;
}

// The code of x / s (s > 0), as lib/Quant's kvQuantize.
template <KVFormat F> __device__ __forceinline__ uint8_t kvEncode(float x, float s) {
  const float v = __fdiv_rn(x, s);
  if constexpr (F == KVFormat::Int8)
    return static_cast<uint8_t>(
        static_cast<int8_t>(fminf(fmaxf(rintf(v), -127.f), 127.f)));
  else
    return __nv_fp8_e4m3(v).__x; // nearest even, saturating to +-448
}

// The value of one code (before the scale).
template <KVFormat F> __device__ __forceinline__ float kvDecode(uint8_t code) {
  if constexpr (F == KVFormat::Int8) {
    return float(static_cast<int8_t>(code));
  } else {
    __nv_fp8_e4m3 e;
    e.__x = code;
    return float(e);
  }
}

// Values [d, d + 8) of position p of tile `tile`, dequantized (d % 8 == 0).
template <KVFormat F>
__device__ __forceinline__ void kvLoad8(const uint8_t *pool, int64_t tile,
                                        int p, int d, int headDim,
                                        int blockSize, float out[8]) {
  KVQuantVector vec = kvQuantVector(const_cast<uint8_t *>(pool), tile, p,
                                    headDim, blockSize);
  const uint2 raw = *reinterpret_cast<const uint2 *>(vec.codes + d);
  const float s = *vec.scale;
#pragma unroll
  for (int e = 0; e < 8; ++e) {
    const uint32_t word = e < 4 ? raw.x : raw.y;
    out[e] = s * kvDecode<F>(static_cast<uint8_t>(word >> (8 * (e & 3))));
  }
}

} // namespace detail
} // namespace sieve::rt
