// Attention over the paged KV cache (fp32 softmax and accumulation).
//
// All kernels stage 64-key tiles of K and V in shared memory, read through
// the block table with 16-byte loads, and keep an online softmax in the
// log2 domain (scores are scaled by scale * log2(e), so exp2f applies).
// In the CUDA-core kernels K rows are padded by two values so that lanes
// reading different keys at the same dimension hit different banks.
//
// Prefill (attention_prefill): tensor cores (mma.sync, FlashAttention-2
// structure), one CTA per (64-query tile of one slot, query head), see
// attention_prefill_mma.cuh. The grid is (ceil(max_query_len / 64), heads,
// slots); tiles past a slot's new tokens exit at once. attentionPrefillKernel
// is the CUDA-core version (16-query tiles, 4 warps of 4 queries, a lane scores
// keys lane and lane + 32 and owns HeadDim / 32 output dimensions), kept as the
// tested reference.
//
// Decode: FlashDecoding (attention_decode.cuh). One CTA per (split, KV
// head, slot) handles the query heads sharing that KV head, so each K/V
// row is read once for the group. The number of splits follows
// max_context, not the current lengths, so a captured graph replays at any
// length; a slot spreads its current length over them (decodeSplitLenAt:
// 32 to 128 positions a split, fewer and longer splits at larger batches),
// and splits past it write an empty partial. A combine kernel merges the
// partials (max, sum, unnormalized accumulator per split) into the output.
#pragma once

#include "common.cuh"

#include "attention_decode.cuh"
#include "attention_prefill_mma.cuh"

namespace sieve::rt {
namespace detail {

constexpr int kAttnTileKeys = 64;
constexpr int kAttnThreads = 128;
constexpr int kPrefillQueries = 16;
constexpr int kPrefillQueriesPerWarp = kPrefillQueries / (kAttnThreads / 32);
constexpr float kLog2e = 1.4426950408889634f;

template <int HeadDim> __host__ __device__ constexpr int paddedRow() {
  return HeadDim + 2;
}

// Stores 8 values at a row offset: one 16-byte store when rows of Stride
// values keep 16-byte alignment, else four 4-byte stores (padded rows).
template <int Stride, typename T>
__device__ __forceinline__ void storeRow16(T *p, const Vec8<T> &v) {
  if constexpr (Stride % 8 == 0) {
    *reinterpret_cast<Vec8<T> *>(p) = v;
  } else {
    const uint32_t *w = reinterpret_cast<const uint32_t *>(&v);
#pragma unroll
    for (int e = 0; e < 4; ++e)
      reinterpret_cast<uint32_t *>(p)[e] = w[e];
  }
}

// Loads cache positions [first, first + 64) of one slot and KV head into
// Ks and Vs (rows KStride and VStride values apart); positions at or past
// `end` are zero-filled so a zero probability never meets a NaN from stale
// memory.
template <typename T, int HeadDim, int KStride, int VStride>
__device__ void loadKvTile(const T *kCache, const T *vCache,
                           const int32_t *slotBlocks, int blockSize,
                           int numKvHeads, int kvHead, int first, int end,
                           T *Ks, T *Vs) {
  constexpr int vecPerRow = HeadDim / 8;
  for (int i = threadIdx.x; i < kAttnTileKeys * vecPerRow; i += blockDim.x) {
    int j = i / vecPerRow, d = (i % vecPerRow) * 8;
    int pos = first + j;
    Vec8<T> k, v;
    if (pos < end) {
      int64_t block = slotBlocks[pos / blockSize];
      int64_t at =
          ((block * numKvHeads + kvHead) * blockSize + pos % blockSize) *
              HeadDim +
          d;
      k = *reinterpret_cast<const Vec8<T> *>(kCache + at);
      v = *reinterpret_cast<const Vec8<T> *>(vCache + at);
    } else {
#pragma unroll
      for (int e = 0; e < 8; ++e)
        k.v[e] = v.v[e] = fromFloat<T>(0.f);
    }
    storeRow16<KStride>(Ks + j * KStride + d, k);
    storeRow16<VStride>(Vs + j * VStride + d, v);
  }
}

template <typename T> struct Pair;
template <> struct Pair<half> {
  using type = half2;
  static __device__ __forceinline__ float2 toFloat2(half2 v) {
    return __half22float2(v);
  }
};
template <> struct Pair<__nv_bfloat16> {
  using type = __nv_bfloat162;
  static __device__ __forceinline__ float2 toFloat2(__nv_bfloat162 v) {
    return __bfloat1622float2(v);
  }
};

template <typename T> __device__ __forceinline__ float2 loadPair(const T *p) {
  return Pair<T>::toFloat2(
      *reinterpret_cast<const typename Pair<T>::type *>(p));
}

template <typename T, int HeadDim>
__global__ void __launch_bounds__(kAttnThreads)
    attentionPrefillKernel(const T *q, const T *kCache, const T *vCache, T *out,
                           int numHeads, int numKvHeads, float scaleLog2,
                           int blockSize, const int32_t *queryStart,
                           const int32_t *positions, const int32_t *blockTable,
                           int maxBlocksPerSeq) {
  awaitPredecessor();
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
    Qs[r][d] = r < tileCount ? toFloat(q[int64_t(begin + tileFirst + r) * ldq +
                                         head * HeadDim + d]) *
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
    __syncthreads(); // previous tile fully consumed (and Qs written, first
                     // time)
    loadKvTile<T, HeadDim, paddedRow<HeadDim>(), HeadDim>(
        kCache, vCache, slotBlocks, blockSize, numKvHeads, kvHead, first,
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
    T *o = out + int64_t(begin + tileFirst + warp * Q + i) * ldq +
           head * HeadDim + lane * R;
#pragma unroll
    for (int e = 0; e < R; ++e)
      o[e] = fromFloat<T>(acc[i][e] * inv);
  }
}

// The tensor-core prefill and the decode kernels take head sizes that are
// multiples of 16 (mma k-steps; 8-value row loads) up to 128 (the K/V ring
// must fit shared memory); 32 serves small models such as retrieval8.
template <int HeadDim> constexpr void checkHeadDim() {
  static_assert(HeadDim == 32 || HeadDim == 64 || HeadDim == 128,
                "attention: HeadDim must be 32, 64 or 128");
}

} // namespace detail

namespace detail {
// The CUDA-core prefill: the reference the tensor-core kernel is tested
// against (kernel_test), not used by attention_prefill.
template <typename T, int HeadDim>
void attentionPrefillSimt(const StepArgs &args, const T *q, const T *k_cache,
                          const T *v_cache, T *out, int num_heads,
                          int num_kv_heads, float scale, int block_size) {
  static_assert(HeadDim == 64 || HeadDim == 128,
                "attentionPrefillSimt: HeadDim must be 64 or 128 (a lane owns "
                "HeadDim / 32 output dims, read in pairs)");
  if (args.num_tokens <= 0 || args.num_seqs <= 0 || args.max_query_len <= 0)
    return;
  dim3 grid(ceilDiv(args.max_query_len, kPrefillQueries), num_heads,
            args.num_seqs);
  detail::launchDependent(attentionPrefillKernel<T, HeadDim>, grid,
                          kAttnThreads, 0, args.stream, q, k_cache, v_cache,
                          out, num_heads, num_kv_heads, scale * kLog2e,
                          block_size, args.query_start, args.positions,
                          args.block_table, args.max_blocks_per_seq);
}
} // namespace detail

namespace detail {
// The mma prefill kernel with Warps x 16 queries per CTA.
template <typename T, int HeadDim, KVFormat F, int Warps>
void attentionPrefillMma(const StepArgs &args, const T *q,
                         const typename KVCache<T, F>::Code *k_cache,
                         const typename KVCache<T, F>::Code *v_cache, T *out,
                         int num_heads, int num_kv_heads, float scale,
                         int block_size, int kv_group) {
  constexpr size_t smem = fa::Layout<HeadDim>::bytes;
  auto kernel = attentionPrefillMmaKernel<T, HeadDim, F, Warps>;
  // Above the 48 KiB default for HeadDim 128: opt in (a host-side
  // attribute, no stream work).
  cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                       static_cast<int>(smem));
  dim3 grid(ceilDiv(args.max_query_len, fa::Tiling<Warps>::queries),
            num_heads, args.num_seqs);
  launchDependent(kernel, grid, fa::Tiling<Warps>::threads, smem, args.stream,
                  q, k_cache, v_cache, out, num_heads, num_kv_heads,
                  scale * kLog2e, block_size, kv_group, args.query_start,
                  args.positions, args.block_table, args.max_blocks_per_seq);
}

// Query rows from which a prefill uses 128-query tiles (8 warps sharing
// each K/V tile) instead of 64-query ones: fewer, larger CTAs pay off once
// the grid has enough of them (kernel_test --bench measures both).
constexpr int kWidePrefillQueries = 512;
} // namespace detail

template <typename T, int HeadDim, KVFormat F>
void attention_prefill(const StepArgs &args, const T *q,
                       const typename KVCache<T, F>::Code *k_cache,
                       const typename KVCache<T, F>::Code *v_cache, T *out,
                       int num_heads, int num_kv_heads, float scale,
                       int block_size, int kv_group) {
  static_assert(detail::isStorageType<T>(),
                "attention: T must be half or __nv_bfloat16");
  detail::checkHeadDim<HeadDim>();
  if (args.num_tokens <= 0 || args.num_seqs <= 0 || args.max_query_len <= 0)
    return;
  const int group = detail::kvGroupOrError<F>("attention_prefill", HeadDim, kv_group);
  if (!group)
    return;
  if (args.max_query_len >= detail::kWidePrefillQueries)
    detail::attentionPrefillMma<T, HeadDim, F, 8>(args, q, k_cache, v_cache,
                                                  out, num_heads, num_kv_heads,
                                                  scale, block_size, group);
  else
    detail::attentionPrefillMma<T, HeadDim, F, 4>(args, q, k_cache, v_cache,
                                                  out, num_heads, num_kv_heads,
                                                  scale, block_size, group);
}

template <typename T, int HeadDim, KVFormat F>
void attention_decode(const StepArgs &args, const T *q,
                      const typename KVCache<T, F>::Code *k_cache,
                      const typename KVCache<T, F>::Code *v_cache, T *out,
                      int num_heads, int num_kv_heads, float scale,
                      int block_size, int kv_group) {
  static_assert(detail::isStorageType<T>(),
                "attention: T must be half or __nv_bfloat16");
  detail::checkHeadDim<HeadDim>();
  if (args.num_seqs <= 0)
    return;
  const int kvGroup = detail::kvGroupOrError<F>("attention_decode", HeadDim, kv_group);
  if (!kvGroup)
    return;
  const int group = num_heads / num_kv_heads;
  // Query heads a CTA takes: the group rounded up to a power of two, at
  // most kDecodeMaxGroup (larger groups are split into chunks of it).
  int perCta = 1;
  while (perCta < group && perCta < detail::kDecodeMaxGroup)
    perCta *= 2;
  const int chunks = detail::ceilDiv(group, perCta);
  const int pairs = args.num_seqs * num_kv_heads * chunks;
  const int splits = detail::decodeSplits(args.max_context, pairs);
  const int splitLen = detail::decodeSplitLen(args.max_context, pairs);
  const int spread = detail::decodeSpread(splits, pairs);
  const bool stage = detail::decodeStages<T, HeadDim>(F, splitLen);
  const size_t smem = detail::decodeSmemBytes<HeadDim>(std::min(group, perCta), splitLen,
                                                       stage ? HeadDim * sizeof(T) : 0);
  auto launch = [&](auto kernel) {
    if (smem > 48 * 1024)
      cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                           static_cast<int>(smem));
    detail::launchDependent(
        kernel, dim3(splits, num_kv_heads * chunks, args.num_seqs), detail::kDecodeThreads,
        smem, args.stream, q, k_cache, v_cache, num_heads, num_kv_heads,
        scale * detail::kLog2e, block_size, kvGroup, args.kv_len, args.block_table,
        args.max_blocks_per_seq, args.attn_scratch, splits, spread, splitLen);
  };
  // Two instantiations for a dense cache (staged or not), so that the
  // unstaged kernel is the register-only code as it was.
  auto launchG = [&](auto g) {
    constexpr int G = decltype(g)::value;
    if constexpr (F == KVFormat::Dense) {
      if (stage)
        return launch(detail::attentionDecodeKernel<T, HeadDim, F, G, true>);
    }
    launch(detail::attentionDecodeKernel<T, HeadDim, F, G, false>);
  };
  static_assert(detail::kDecodeMaxGroup == 8, "the dispatch below stops at 8");
  if (perCta == 1)
    launchG(std::integral_constant<int, 1>{});
  else if (perCta == 2)
    launchG(std::integral_constant<int, 2>{});
  else if (perCta == 4)
    launchG(std::integral_constant<int, 4>{});
  else
    launchG(std::integral_constant<int, 8>{});
  detail::launchDependent(detail::attentionCombineKernel<T, HeadDim>,
                          dim3(num_heads, args.num_seqs), HeadDim, 0,
                          args.stream, args.attn_scratch, args.kv_len,
                          num_heads, splits, spread, splitLen, out);
}

inline size_t attention_decode_scratch_bytes(int max_batch, int num_heads,
                                             int max_context, int head_dim) {
  return sizeof(float) * size_t(max_batch) * num_heads *
         detail::decodeSplits(max_context) * (size_t(head_dim) + 2);
}

} // namespace sieve::rt
