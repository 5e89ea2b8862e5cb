// Attention over the paged KV cache (CUDA cores, fp32 math).
//
// Both kernels stage 64-key tiles of K and V in shared memory, read through
// the block table with 16-byte loads, and keep an online softmax in the
// log2 domain (queries are pre-scaled by scale * log2(e), so exp2f applies).
// K rows are padded by two values so that lanes reading different keys at
// the same dimension hit different banks.
//
// Prefill: one CTA per (16-query tile of one slot, query head); each of the
// 4 warps owns 4 queries, a lane scores keys lane and lane + 32 and owns
// HeadDim / 32 output dimensions. The grid is (ceil(max_query_len / 16),
// heads, slots); tiles past a slot's new tokens exit at once.
//
// Decode: FlashDecoding. One CTA per (split of kDecodeSplit cache positions,
// KV head, slot) handles the num_heads / num_kv_heads query heads sharing
// that KV head, so each K/V tile is read once for the group. The number of
// splits follows max_context, not the current lengths, so a captured graph
// replays at any length; splits past a slot's length write an empty
// partial. A combine kernel merges the partials (max, sum, unnormalized
// accumulator per split) into the output.
#pragma once

#include "common.cuh"

namespace sieve::rt {
namespace detail {

constexpr int kAttnTileKeys = 64;
constexpr int kAttnThreads = 128;
constexpr int kPrefillQueries = 16;
constexpr int kPrefillQueriesPerWarp = kPrefillQueries / (kAttnThreads / 32);
constexpr int kDecodeSplit = 128;
constexpr float kLog2e = 1.4426950408889634f;

template <int HeadDim> __host__ __device__ constexpr int paddedRow() { return HeadDim + 2; }

inline int decodeSplits(int maxContext) { return ceilDiv(maxContext > 0 ? maxContext : 1, kDecodeSplit); }

// Loads cache positions [first, first + 64) of one slot and KV head into
// Ks (padded rows) and Vs; positions at or past `end` are zero-filled so a
// zero probability never meets a NaN from stale memory.
template <typename T, int HeadDim>
__device__ void loadKvTile(const T *kCache, const T *vCache, const int32_t *slotBlocks,
                           int blockSize, int numKvHeads, int kvHead, int first, int end, T *Ks,
                           T *Vs) {
  constexpr int vecPerRow = HeadDim / 8;
  for (int i = threadIdx.x; i < kAttnTileKeys * vecPerRow; i += blockDim.x) {
    int j = i / vecPerRow, d = (i % vecPerRow) * 8;
    int pos = first + j;
    Vec8<T> k, v;
    if (pos < end) {
      int64_t block = slotBlocks[pos / blockSize];
      int64_t at = ((block * numKvHeads + kvHead) * blockSize + pos % blockSize) * HeadDim + d;
      k = *reinterpret_cast<const Vec8<T> *>(kCache + at);
      v = *reinterpret_cast<const Vec8<T> *>(vCache + at);
    } else {
#pragma unroll
      for (int e = 0; e < 8; ++e)
        k.v[e] = v.v[e] = fromFloat<T>(0.f);
    }
    // Padded K rows are only 4-byte aligned: store in 4-byte pieces.
    const uint32_t *kw = reinterpret_cast<const uint32_t *>(&k);
    uint32_t *kd = reinterpret_cast<uint32_t *>(Ks + j * paddedRow<HeadDim>() + d);
#pragma unroll
    for (int e = 0; e < 4; ++e)
      kd[e] = kw[e];
    *reinterpret_cast<Vec8<T> *>(Vs + j * HeadDim + d) = v;
  }
}

template <typename T> struct Pair;
template <> struct Pair<half> {
  using type = half2;
  static __device__ __forceinline__ float2 toFloat2(half2 v) { return __half22float2(v); }
};
template <> struct Pair<__nv_bfloat16> {
  using type = __nv_bfloat162;
  static __device__ __forceinline__ float2 toFloat2(__nv_bfloat162 v) {
    return __bfloat1622float2(v);
  }
};

template <typename T>
__device__ __forceinline__ float2 loadPair(const T *p) {
  return Pair<T>::toFloat2(*reinterpret_cast<const typename Pair<T>::type *>(p));
}

template <typename T, int HeadDim>
__global__ void __launch_bounds__(kAttnThreads)
    attentionPrefillKernel(const T *q, const T *kCache, const T *vCache, T *out, int numHeads,
                           int numKvHeads, float scaleLog2, int blockSize,
                           const int32_t *queryStart, const int32_t *positions,
                           const int32_t *blockTable, int maxBlocksPerSeq) {
  constexpr int R = HeadDim / 32; // output dims per lane
  constexpr int Q = kPrefillQueriesPerWarp;
  __shared__ float Qs[kPrefillQueries][HeadDim];
  __shared__ __align__(16) T Ks[kAttnTileKeys * paddedRow<HeadDim>()];
  __shared__ __align__(16) T Vs[kAttnTileKeys * HeadDim];
  __shared__ float Ps[kAttnThreads / 32][Q][kAttnTileKeys];

  int slot = blockIdx.z, head = blockIdx.y;
  int begin = queryStart[slot], count = queryStart[slot + 1] - begin;
  int tileFirst = blockIdx.x * kPrefillQueries;
  if (tileFirst >= count)
    return;
  int tileCount = min(kPrefillQueries, count - tileFirst);
  int kvHead = head / (numHeads / numKvHeads);
  int ldq = numHeads * HeadDim;

  for (int i = threadIdx.x; i < kPrefillQueries * HeadDim; i += blockDim.x) {
    int r = i / HeadDim, d = i % HeadDim;
    Qs[r][d] = r < tileCount
                   ? toFloat(q[int64_t(begin + tileFirst + r) * ldq + head * HeadDim + d]) *
                         scaleLog2
                   : 0.f;
  }
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  int myPos[Q];
#pragma unroll
  for (int i = 0; i < Q; ++i) {
    int r = warp * Q + i;
    myPos[i] = r < tileCount ? positions[begin + tileFirst + r] : -1;
  }
  // Positions grow within a slot, so the tile's last query sees the most keys.
  int keyEnd = positions[begin + tileFirst + tileCount - 1] + 1;
  const int32_t *slotBlocks = blockTable + int64_t(slot) * maxBlocksPerSeq;

  float m[Q], l[Q], acc[Q][R];
#pragma unroll
  for (int i = 0; i < Q; ++i) {
    m[i] = -INFINITY;
    l[i] = 0.f;
#pragma unroll
    for (int e = 0; e < R; ++e)
      acc[i][e] = 0.f;
  }

  for (int first = 0; first < keyEnd; first += kAttnTileKeys) {
    __syncthreads(); // previous tile fully consumed (and Qs written, first time)
    loadKvTile<T, HeadDim>(kCache, vCache, slotBlocks, blockSize, numKvHeads, kvHead, first,
                           keyEnd, Ks, Vs);
    __syncthreads();
    float s[Q][2];
#pragma unroll
    for (int i = 0; i < Q; ++i)
      s[i][0] = s[i][1] = 0.f;
    const T *k0 = Ks + lane * paddedRow<HeadDim>();
    const T *k1 = Ks + (lane + 32) * paddedRow<HeadDim>();
#pragma unroll 8
    for (int d = 0; d < HeadDim; d += 2) {
      float2 a = loadPair(k0 + d), b = loadPair(k1 + d);
#pragma unroll
      for (int i = 0; i < Q; ++i) {
        float2 qv = *reinterpret_cast<const float2 *>(&Qs[warp * Q + i][d]);
        s[i][0] += qv.x * a.x + qv.y * a.y;
        s[i][1] += qv.x * b.x + qv.y * b.y;
      }
    }
#pragma unroll
    for (int i = 0; i < Q; ++i) {
      if (myPos[i] < 0)
        continue; // warp-uniform: this query row is past the slot's tokens
      float s0 = first + lane <= myPos[i] ? s[i][0] : -INFINITY;
      float s1 = first + lane + 32 <= myPos[i] ? s[i][1] : -INFINITY;
      float mNew = fmaxf(m[i], warpMax(fmaxf(s0, s1)));
      // mNew is finite: key 0 of the first tile is always visible.
      float p0 = exp2f(s0 - mNew), p1 = exp2f(s1 - mNew);
      float alpha = exp2f(m[i] - mNew);
      l[i] = l[i] * alpha + warpSum(p0 + p1);
      m[i] = mNew;
#pragma unroll
      for (int e = 0; e < R; ++e)
        acc[i][e] *= alpha;
      Ps[warp][i][lane] = p0;
      Ps[warp][i][lane + 32] = p1;
    }
    __syncwarp();
    for (int j = 0; j < kAttnTileKeys && first + j < keyEnd; ++j) {
      float v[R];
#pragma unroll
      for (int e = 0; e < R; e += 2) {
        float2 pv = loadPair(Vs + j * HeadDim + lane * R + e);
        v[e] = pv.x;
        v[e + 1] = pv.y;
      }
#pragma unroll
      for (int i = 0; i < Q; ++i) {
        if (myPos[i] < 0)
          continue;
        float p = Ps[warp][i][j];
#pragma unroll
        for (int e = 0; e < R; ++e)
          acc[i][e] += p * v[e];
      }
    }
  }
#pragma unroll
  for (int i = 0; i < Q; ++i) {
    if (myPos[i] < 0)
      continue;
    float inv = 1.f / l[i];
    T *o = out + int64_t(begin + tileFirst + warp * Q + i) * ldq + head * HeadDim + lane * R;
#pragma unroll
    for (int e = 0; e < R; ++e)
      o[e] = fromFloat<T>(acc[i][e] * inv);
  }
}

// Scratch layout for B slots, H heads, S splits: float2 (max, sum) at
// [(b * H + h) * S + s], then the accumulators [B * H * S][HeadDim].
struct DecodeScratch {
  float2 *ml;
  float *acc;
  __host__ __device__ DecodeScratch(float *base, int slots, int heads, int splits)
      : ml(reinterpret_cast<float2 *>(base)),
        acc(base + 2 * int64_t(slots) * heads * splits) {}
};

// Dynamic shared memory of the decode kernel for `group` query heads: the
// K and V tiles (16-bit values), then q and acc, scores, m, l and alpha.
template <int HeadDim> size_t decodeSmemBytes(int group) {
  size_t tiles = 2 * (kAttnTileKeys * paddedRow<HeadDim>() + kAttnTileKeys * HeadDim);
  return tiles + sizeof(float) * (size_t(group) * HeadDim * 2 + size_t(group) * kAttnTileKeys +
                                  3 * size_t(group));
}

template <typename T, int HeadDim>
__global__ void __launch_bounds__(kAttnThreads)
    attentionDecodeKernel(const T *q, const T *kCache, const T *vCache, int numHeads,
                          int numKvHeads, float scaleLog2, int blockSize, const int32_t *kvLen,
                          const int32_t *blockTable, int maxBlocksPerSeq, float *scratch,
                          int splits) {
  extern __shared__ __align__(16) unsigned char smem[];
  int split = blockIdx.x, kvHead = blockIdx.y, slot = blockIdx.z;
  int group = numHeads / numKvHeads;
  // Layout: Ks, Vs (T), then q, acc [group][HeadDim], scores [group][64],
  // m, l, alpha [group] (float).
  T *Ks = reinterpret_cast<T *>(smem);
  T *Vs = Ks + kAttnTileKeys * paddedRow<HeadDim>();
  float *qs = reinterpret_cast<float *>(Vs + kAttnTileKeys * HeadDim);
  float *accS = qs + group * HeadDim;
  float *scores = accS + group * HeadDim;
  float *mS = scores + group * kAttnTileKeys;
  float *lS = mS + group, *alphaS = lS + group;

  DecodeScratch out(scratch, gridDim.z, numHeads, splits);
  int len = kvLen[slot];
  int first = split * kDecodeSplit, end = min(first + kDecodeSplit, len);
  int headBase = kvHead * group;
  if (first >= end) {
    for (int g = threadIdx.x; g < group; g += blockDim.x)
      out.ml[(int64_t(slot) * numHeads + headBase + g) * splits + split] =
          make_float2(-INFINITY, 0.f);
    return;
  }
  for (int i = threadIdx.x; i < group * HeadDim; i += blockDim.x) {
    qs[i] = toFloat(q[int64_t(slot) * numHeads * HeadDim + headBase * HeadDim + i]) * scaleLog2;
    accS[i] = 0.f;
  }
  for (int g = threadIdx.x; g < group; g += blockDim.x) {
    mS[g] = -INFINITY;
    lS[g] = 0.f;
  }
  const int32_t *slotBlocks = blockTable + int64_t(slot) * maxBlocksPerSeq;
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;

  for (int tile = first; tile < end; tile += kAttnTileKeys) {
    __syncthreads();
    loadKvTile<T, HeadDim>(kCache, vCache, slotBlocks, blockSize, numKvHeads, kvHead, tile, end,
                           Ks, Vs);
    __syncthreads();
    for (int i = threadIdx.x; i < group * kAttnTileKeys; i += blockDim.x) {
      int g = i / kAttnTileKeys, j = i % kAttnTileKeys;
      const T *k = Ks + j * paddedRow<HeadDim>();
      const float *qv = qs + g * HeadDim;
      float s = 0.f;
#pragma unroll 8
      for (int d = 0; d < HeadDim; d += 2) {
        float2 kv = loadPair(k + d);
        s += qv[d] * kv.x + qv[d + 1] * kv.y;
      }
      scores[i] = tile + j < end ? s : -INFINITY;
    }
    __syncthreads();
    for (int g = warp; g < group; g += warps) {
      float *sg = scores + g * kAttnTileKeys;
      float s0 = sg[lane], s1 = sg[lane + 32];
      float mNew = fmaxf(mS[g], warpMax(fmaxf(s0, s1)));
      float p0 = exp2f(s0 - mNew), p1 = exp2f(s1 - mNew);
      float alpha = exp2f(mS[g] - mNew);
      float sum = warpSum(p0 + p1);
      sg[lane] = p0;
      sg[lane + 32] = p1;
      __syncwarp();
      if (lane == 0) {
        lS[g] = lS[g] * alpha + sum;
        mS[g] = mNew;
        alphaS[g] = alpha;
      }
    }
    __syncthreads();
    int keys = min(kAttnTileKeys, end - tile);
    for (int i = threadIdx.x; i < group * HeadDim; i += blockDim.x) {
      int g = i / HeadDim, d = i % HeadDim;
      const float *p = scores + g * kAttnTileKeys;
      float a = accS[i] * alphaS[g];
      for (int j = 0; j < keys; ++j)
        a += p[j] * toFloat(Vs[j * HeadDim + d]);
      accS[i] = a;
    }
  }
  __syncthreads();
  for (int i = threadIdx.x; i < group * HeadDim; i += blockDim.x) {
    int g = i / HeadDim, d = i % HeadDim;
    int64_t row = (int64_t(slot) * numHeads + headBase + g) * splits + split;
    out.acc[row * HeadDim + d] = accS[i];
    if (d == 0)
      out.ml[row] = make_float2(mS[g], lS[g]);
  }
}

template <typename T, int HeadDim>
__global__ void attentionCombineKernel(const float *scratch, int numHeads, int splits, T *outT) {
  int head = blockIdx.x, slot = blockIdx.y, d = threadIdx.x;
  DecodeScratch parts(const_cast<float *>(scratch), gridDim.y, numHeads, splits);
  int64_t row0 = (int64_t(slot) * numHeads + head) * splits;
  float mMax = -INFINITY;
  for (int s = 0; s < splits; ++s)
    mMax = fmaxf(mMax, parts.ml[row0 + s].x);
  float sum = 0.f, acc = 0.f;
  if (mMax != -INFINITY) {
    for (int s = 0; s < splits; ++s) {
      float2 ml = parts.ml[row0 + s];
      if (ml.y == 0.f)
        continue;
      float w = exp2f(ml.x - mMax);
      sum += ml.y * w;
      acc += parts.acc[(row0 + s) * HeadDim + d] * w;
    }
  }
  outT[(int64_t(slot) * numHeads + head) * HeadDim + d] =
      fromFloat<T>(sum > 0.f ? acc / sum : 0.f);
}

template <int HeadDim> constexpr void checkHeadDim() {
  static_assert(HeadDim == 64 || HeadDim == 128,
                "attention: HeadDim must be 64 or 128 (a lane owns HeadDim / 32 output dims "
                "read in pairs, and larger heads need a tile that fits shared memory)");
}

} // namespace detail

template <typename T, int HeadDim>
void attention_prefill(const StepArgs &args, const T *q, const T *k_cache, const T *v_cache,
                       T *out, int num_heads, int num_kv_heads, float scale, int block_size) {
  static_assert(detail::isStorageType<T>(), "attention: T must be half or __nv_bfloat16");
  detail::checkHeadDim<HeadDim>();
  if (args.num_tokens <= 0 || args.num_seqs <= 0 || args.max_query_len <= 0)
    return;
  dim3 grid(detail::ceilDiv(args.max_query_len, detail::kPrefillQueries), num_heads,
            args.num_seqs);
  detail::attentionPrefillKernel<T, HeadDim><<<grid, detail::kAttnThreads, 0, args.stream>>>(
      q, k_cache, v_cache, out, num_heads, num_kv_heads, scale * detail::kLog2e, block_size,
      args.query_start, args.positions, args.block_table, args.max_blocks_per_seq);
}

template <typename T, int HeadDim>
void attention_decode(const StepArgs &args, const T *q, const T *k_cache, const T *v_cache,
                      T *out, int num_heads, int num_kv_heads, float scale, int block_size) {
  static_assert(detail::isStorageType<T>(), "attention: T must be half or __nv_bfloat16");
  detail::checkHeadDim<HeadDim>();
  if (args.num_seqs <= 0)
    return;
  int splits = detail::decodeSplits(args.max_context);
  int group = num_heads / num_kv_heads;
  size_t smem = detail::decodeSmemBytes<HeadDim>(group);
  if (smem > 48 * 1024)
    cudaFuncSetAttribute(detail::attentionDecodeKernel<T, HeadDim>,
                         cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem));
  dim3 grid(splits, num_kv_heads, args.num_seqs);
  detail::attentionDecodeKernel<T, HeadDim><<<grid, detail::kAttnThreads, smem, args.stream>>>(
      q, k_cache, v_cache, num_heads, num_kv_heads, scale * detail::kLog2e, block_size,
      args.kv_len, args.block_table, args.max_blocks_per_seq, args.attn_scratch, splits);
  detail::attentionCombineKernel<T, HeadDim>
      <<<dim3(num_heads, args.num_seqs), HeadDim, 0, args.stream>>>(args.attn_scratch,
                                                                    num_heads, splits, out);
}

inline size_t attention_decode_scratch_bytes(int max_batch, int num_heads, int max_context,
                                             int head_dim) {
  return sizeof(float) * size_t(max_batch) * num_heads * detail::decodeSplits(max_context) *
         (size_t(head_dim) + 2);
}

} // namespace sieve::rt
