// Attention over the paged KV cache (fp32 softmax and accumulation).
//
// All kernels stage 64-key tiles of K and V in shared memory, read through
// the block table with 16-byte loads, and keep an online softmax in the
// log2 domain (scores are scaled by scale * log2(e), so exp2f applies).
// In the CUDA-core kernels K rows are padded by two values so that lanes
// reading different keys at the same dimension hit different banks.
//
// Prefill (attention_prefill): tensor cores (wmma), one CTA per (64-query
// tile of one slot, query head), see attentionPrefillTcKernel. The grid is
// (ceil(max_query_len / 64), heads, slots); tiles past a slot's new tokens
// exit at once. attentionPrefillKernel is the CUDA-core version (16-query
// tiles, 4 warps of 4 queries, a lane scores keys lane and lane + 32 and
// owns HeadDim / 32 output dimensions), kept as the tested reference.
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

#include <mma.h>

namespace sieve::rt {
namespace detail {

constexpr int kAttnTileKeys = 64;
constexpr int kAttnThreads = 128;
constexpr int kPrefillQueries = 16;
constexpr int kPrefillQueriesPerWarp = kPrefillQueries / (kAttnThreads / 32);
constexpr int kDecodeSplit = 128;
constexpr float kLog2e = 1.4426950408889634f;

template <int HeadDim> __host__ __device__ constexpr int paddedRow() { return HeadDim + 2; }

// Stores 8 values at a row offset: one 16-byte store when rows of Stride
// values keep 16-byte alignment, else four 4-byte stores (padded rows).
template <int Stride, typename T> __device__ __forceinline__ void storeRow16(T *p, const Vec8<T> &v) {
  if constexpr (Stride % 8 == 0) {
    *reinterpret_cast<Vec8<T> *>(p) = v;
  } else {
    const uint32_t *w = reinterpret_cast<const uint32_t *>(&v);
#pragma unroll
    for (int e = 0; e < 4; ++e)
      reinterpret_cast<uint32_t *>(p)[e] = w[e];
  }
}

inline int decodeSplits(int maxContext) { return ceilDiv(maxContext > 0 ? maxContext : 1, kDecodeSplit); }

// Loads cache positions [first, first + 64) of one slot and KV head into
// Ks and Vs (rows KStride and VStride values apart); positions at or past
// `end` are zero-filled so a zero probability never meets a NaN from stale
// memory.
template <typename T, int HeadDim, int KStride, int VStride>
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
    storeRow16<KStride>(Ks + j * KStride + d, k);
    storeRow16<VStride>(Vs + j * VStride + d, v);
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
    loadKvTile<T, HeadDim, paddedRow<HeadDim>(), HeadDim>(kCache, vCache, slotBlocks, blockSize, numKvHeads, kvHead, first,
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

// Tensor-core prefill (wmma, 16x16x16 tiles, fp32 accumulation): one CTA per
// (64-query tile of one slot, query head), each warp owning 16 query rows.
// Per 64-key tile a warp computes S = Q K^T into shared memory, runs the
// online softmax on it (two lanes per row), stores P rounded to T, rescales
// its running output O (fp32, shared) and accumulates O += P V with the
// accumulators loaded from and stored back to O.
namespace tc {
constexpr int kQueries = 64, kRowsPerWarp = 16, kWarps = 4;
template <int HeadDim> struct Smem {
  static constexpr int qk = HeadDim + 8;     // Q, K, V row stride (values)
  static constexpr int s = kAttnTileKeys + 4; // S row stride (floats)
  static constexpr int p = kAttnTileKeys + 8; // P row stride (values)
  static constexpr int o = HeadDim + 4;       // O row stride (floats)
  static constexpr size_t qBytes = size_t(kQueries) * qk * 2;
  static constexpr size_t kvBytes = size_t(kAttnTileKeys) * qk * 2;
  static constexpr size_t sBytes = size_t(kWarps) * kRowsPerWarp * s * 4;
  static constexpr size_t pBytes = size_t(kWarps) * kRowsPerWarp * p * 2;
  static constexpr size_t oBytes = size_t(kWarps) * kRowsPerWarp * o * 4;
  static constexpr size_t total = qBytes + 2 * kvBytes + sBytes + pBytes + oBytes;
};
} // namespace tc

template <typename T, int HeadDim>
__global__ void __launch_bounds__(kAttnThreads)
    attentionPrefillTcKernel(const T *q, const T *kCache, const T *vCache, T *out, int numHeads,
                             int numKvHeads, float scaleLog2, int blockSize,
                             const int32_t *queryStart, const int32_t *positions,
                             const int32_t *blockTable, int maxBlocksPerSeq) {
  namespace wmma = nvcuda::wmma;
  using L = tc::Smem<HeadDim>;
  extern __shared__ __align__(128) unsigned char smem[];
  T *Qs = reinterpret_cast<T *>(smem);
  T *Ks = reinterpret_cast<T *>(smem + L::qBytes);
  T *Vs = reinterpret_cast<T *>(smem + L::qBytes + L::kvBytes);
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  float *Ss = reinterpret_cast<float *>(smem + L::qBytes + 2 * L::kvBytes) +
              warp * tc::kRowsPerWarp * L::s;
  T *Ps = reinterpret_cast<T *>(smem + L::qBytes + 2 * L::kvBytes + L::sBytes) +
          warp * tc::kRowsPerWarp * L::p;
  float *Os = reinterpret_cast<float *>(smem + L::qBytes + 2 * L::kvBytes + L::sBytes +
                                        L::pBytes) +
              warp * tc::kRowsPerWarp * L::o;

  int slot = blockIdx.z, head = blockIdx.y;
  int begin = queryStart[slot], count = queryStart[slot + 1] - begin;
  int tileFirst = blockIdx.x * tc::kQueries;
  if (tileFirst >= count)
    return;
  int tileCount = min(tc::kQueries, count - tileFirst);
  int kvHead = head / (numHeads / numKvHeads);
  int ldq = numHeads * HeadDim;
  const int32_t *slotBlocks = blockTable + int64_t(slot) * maxBlocksPerSeq;

  constexpr int vecPerRow = HeadDim / 8;
  for (int i = threadIdx.x; i < tc::kQueries * vecPerRow; i += blockDim.x) {
    int r = i / vecPerRow, d = (i % vecPerRow) * 8;
    Vec8<T> v;
    if (r < tileCount) {
      v = *reinterpret_cast<const Vec8<T> *>(q + int64_t(begin + tileFirst + r) * ldq +
                                             head * HeadDim + d);
    } else {
#pragma unroll
      for (int e = 0; e < 8; ++e)
        v.v[e] = fromFloat<T>(0.f);
    }
    *reinterpret_cast<Vec8<T> *>(Qs + r * L::qk + d) = v;
  }
  // Two lanes per row: lane / 2 is the row, lane % 2 the half of its columns.
  int row = lane >> 1, half = lane & 1;
  int qRow = warp * tc::kRowsPerWarp + row;
  int myPos = qRow < tileCount ? positions[begin + tileFirst + qRow] : -1;
  int warpRows = min(tc::kRowsPerWarp, tileCount - warp * tc::kRowsPerWarp);
  // Positions grow within a slot: the last valid row sees the most keys.
  int warpLastPos =
      warpRows > 0 ? positions[begin + tileFirst + warp * tc::kRowsPerWarp + warpRows - 1] : -1;
  int keyEnd = positions[begin + tileFirst + tileCount - 1] + 1;
  for (int d = half * (HeadDim / 2); d < (half + 1) * (HeadDim / 2); ++d)
    Os[row * L::o + d] = 0.f;
  float m = -INFINITY, l = 0.f;

  for (int first = 0; first < keyEnd; first += kAttnTileKeys) {
    __syncthreads();
    loadKvTile<T, HeadDim, L::qk, L::qk>(kCache, vCache, slotBlocks, blockSize, numKvHeads,
                                         kvHead, first, keyEnd, Ks, Vs);
    __syncthreads();
    if (first > warpLastPos)
      continue; // every key of the tile is in this warp's future
    // S = Q K^T for the warp's 16 rows and the tile's 64 keys.
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> sAcc[kAttnTileKeys / 16];
#pragma unroll
    for (int n = 0; n < kAttnTileKeys / 16; ++n)
      wmma::fill_fragment(sAcc[n], 0.f);
#pragma unroll
    for (int kk = 0; kk < HeadDim / 16; ++kk) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> a;
      wmma::load_matrix_sync(a, Qs + warp * tc::kRowsPerWarp * L::qk + kk * 16, L::qk);
#pragma unroll
      for (int n = 0; n < kAttnTileKeys / 16; ++n) {
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::col_major> b;
        wmma::load_matrix_sync(b, Ks + n * 16 * L::qk + kk * 16, L::qk);
        wmma::mma_sync(sAcc[n], a, b, sAcc[n]);
      }
    }
#pragma unroll
    for (int n = 0; n < kAttnTileKeys / 16; ++n)
      wmma::store_matrix_sync(Ss + n * 16, sAcc[n], L::s, wmma::mem_row_major);
    __syncwarp();
    // Online softmax of row `row`, columns [half * 32, half * 32 + 32).
    float *sRow = Ss + row * L::s + half * 32;
    int key0 = first + half * 32;
    float tileMax = -INFINITY;
    for (int c = 0; c < 32; ++c)
      tileMax = fmaxf(tileMax, key0 + c <= myPos ? sRow[c] * scaleLog2 : -INFINITY);
    tileMax = fmaxf(tileMax, __shfl_xor_sync(0xffffffffu, tileMax, 1));
    float mNew = fmaxf(m, tileMax);
    float mSafe = mNew == -INFINITY ? 0.f : mNew; // rows with nothing visible yet
    float alpha = exp2f(m - mSafe), sum = 0.f;
    T *pRow = Ps + row * L::p + half * 32;
    for (int c = 0; c < 32; ++c) {
      float p = key0 + c <= myPos ? exp2f(sRow[c] * scaleLog2 - mSafe) : 0.f;
      T pt = fromFloat<T>(p);
      pRow[c] = pt;
      sum += toFloat(pt); // l sums the P that multiplies V
    }
    sum += __shfl_xor_sync(0xffffffffu, sum, 1);
    l = l * alpha + sum;
    m = mNew;
    for (int d = half * (HeadDim / 2); d < (half + 1) * (HeadDim / 2); ++d)
      Os[row * L::o + d] *= alpha;
    __syncwarp();
    // O += P V.
#pragma unroll
    for (int j = 0; j < HeadDim / 16; ++j) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> o;
      wmma::load_matrix_sync(o, Os + j * 16, L::o, wmma::mem_row_major);
#pragma unroll
      for (int kk = 0; kk < kAttnTileKeys / 16; ++kk) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, T, wmma::row_major> a;
        wmma::fragment<wmma::matrix_b, 16, 16, 16, T, wmma::row_major> b;
        wmma::load_matrix_sync(a, Ps + kk * 16, L::p);
        wmma::load_matrix_sync(b, Vs + kk * 16 * L::qk + j * 16, L::qk);
        wmma::mma_sync(o, a, b, o);
      }
      wmma::store_matrix_sync(Os + j * 16, o, L::o, wmma::mem_row_major);
    }
    __syncwarp();
  }
  __syncwarp();
  if (myPos < 0)
    return;
  float inv = 1.f / l;
  T *o = out + int64_t(begin + tileFirst + qRow) * ldq + head * HeadDim;
  for (int d = half * (HeadDim / 2); d < (half + 1) * (HeadDim / 2); ++d)
    o[d] = fromFloat<T>(Os[row * L::o + d] * inv);
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
  extern __shared__ __align__(128) unsigned char smem[];
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
    loadKvTile<T, HeadDim, paddedRow<HeadDim>(), HeadDim>(kCache, vCache, slotBlocks, blockSize, numKvHeads, kvHead, tile, end,
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

// The tensor-core prefill and the decode kernels take any multiple of 16 up
// to 128 (wmma k-steps of 16; 8-value row loads; larger heads need a tile
// that fits shared memory); 32 serves small models such as retrieval8.
template <int HeadDim> constexpr void checkHeadDim() {
  static_assert(HeadDim == 32 || HeadDim == 64 || HeadDim == 128,
                "attention: HeadDim must be 32, 64 or 128");
}

} // namespace detail

namespace detail {
// The CUDA-core prefill: the reference the tensor-core kernel is tested
// against (kernel_test), not used by attention_prefill.
template <typename T, int HeadDim>
void attentionPrefillSimt(const StepArgs &args, const T *q, const T *k_cache, const T *v_cache,
                          T *out, int num_heads, int num_kv_heads, float scale, int block_size) {
  static_assert(HeadDim == 64 || HeadDim == 128,
                "attentionPrefillSimt: HeadDim must be 64 or 128 (a lane owns HeadDim / 32 "
                "output dims, read in pairs)");
  if (args.num_tokens <= 0 || args.num_seqs <= 0 || args.max_query_len <= 0)
    return;
  dim3 grid(ceilDiv(args.max_query_len, kPrefillQueries), num_heads, args.num_seqs);
  attentionPrefillKernel<T, HeadDim><<<grid, kAttnThreads, 0, args.stream>>>(
      q, k_cache, v_cache, out, num_heads, num_kv_heads, scale * kLog2e, block_size,
      args.query_start, args.positions, args.block_table, args.max_blocks_per_seq);
}
} // namespace detail

template <typename T, int HeadDim>
void attention_prefill(const StepArgs &args, const T *q, const T *k_cache, const T *v_cache,
                       T *out, int num_heads, int num_kv_heads, float scale, int block_size) {
  static_assert(detail::isStorageType<T>(), "attention: T must be half or __nv_bfloat16");
  detail::checkHeadDim<HeadDim>();
  if (args.num_tokens <= 0 || args.num_seqs <= 0 || args.max_query_len <= 0)
    return;
  constexpr size_t smem = detail::tc::Smem<HeadDim>::total;
  // Above the 48 KiB default: opt in (a host-side attribute, no stream work).
  cudaFuncSetAttribute(detail::attentionPrefillTcKernel<T, HeadDim>,
                       cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(smem));
  dim3 grid(detail::ceilDiv(args.max_query_len, detail::tc::kQueries), num_heads, args.num_seqs);
  detail::attentionPrefillTcKernel<T, HeadDim><<<grid, detail::kAttnThreads, smem, args.stream>>>(
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
