// Causal prefill attention on tensor cores (FlashAttention-2 structure,
// mma.sync m16n8k16 with fp32 accumulation), over the paged KV cache.
//
// One CTA per (tile of 16 x Warps queries of one slot, query head); each
// warp owns 16 query rows and keeps everything per row in registers: Q as
// A fragments, S = Q K^T as C fragments, the online softmax (m, l) per row,
// and O. The C layout of two adjacent 8-key S tiles is exactly the A layout
// of a 16-key P chunk, so P goes from S to the P V product without touching
// shared memory. K and V tiles (64 keys) are fetched with cp.async into a
// two-stage ring: tile t + 1 streams in while tile t is multiplied; more
// warps per CTA share each tile among more queries. B fragments come from
// ldmatrix: K rows hold consecutive head dimensions, which is the "col"
// operand's layout as stored (one x4 load gives two 8-key tiles' fragments
// of a 16-dimension step), V needs the transpose (ldmatrix.trans). Rows are
// padded by 8 values so that both are free of bank conflicts. Softmax
// exponentials use ex2.approx (relative error 2^-22, far below the f16/bf16
// rounding of P), and only tiles that cross a warp's diagonal are masked.
//
// A quantized cache (F = Int8, FP8: kv_cache.cuh) is dequantized by the
// threads into the same shared tiles, rounded to T, instead of cp.async
// (the commit / wait of an empty group cost nothing); the rest is shared.
//
// Query tiles are visited last-first (blockIdx.x 0 takes the last tile):
// late queries see the most keys, and starting them first shortens the
// tail of the grid.
#pragma once

#include "common.cuh"
#include "kv_cache.cuh"
#include "mma.cuh"

namespace sieve::rt::detail {
namespace fa {

constexpr int kKeys = 64;
template <int Warps> struct Tiling {
  static constexpr int queries = 16 * Warps, threads = 32 * Warps;
};

template <int HeadDim> struct Layout {
  static constexpr int stride =
      HeadDim + 8; // values per K/V row in shared memory
  static constexpr int tileValues = kKeys * stride;
  // Two stages of a K tile and a V tile.
  static constexpr size_t bytes = size_t(2 * 2) * tileValues * 2;
};

template <typename T>
__device__ __forceinline__ uint32_t pack2(float lo, float hi) {
  uint32_t r;
  if constexpr (std::is_same_v<T, half>) {
    __half2 h = __floats2half2_rn(lo, hi);
    r = *reinterpret_cast<uint32_t *>(&h);
  } else {
    __nv_bfloat162 h = __floats2bfloat162_rn(lo, hi);
    r = *reinterpret_cast<uint32_t *>(&h);
  }
  return r;
}

template <typename T> __device__ __forceinline__ float2 unpack2(uint32_t v) {
  if constexpr (std::is_same_v<T, half>)
    return __half22float2(*reinterpret_cast<__half2 *>(&v));
  else
    return __bfloat1622float2(*reinterpret_cast<__nv_bfloat162 *>(&v));
}

// 2^x by the special-function unit (ex2.approx.ftz: -inf gives +0).
__device__ __forceinline__ float fastExp2(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

// Starts loading cache positions [first, first + kKeys) of one slot and KV
// head into Ks / Vs; positions at or past `end` become zeros (a zero
// probability must never meet a NaN from stale memory).
template <typename T, int HeadDim, int Threads>
__device__ __forceinline__ void
loadKvTileAsync(const T *kCache, const T *vCache, const int32_t *slotBlocks,
                int blockSize, int numKvHeads, int kvHead, int first, int end,
                T *Ks, T *Vs) {
  constexpr int vecPerRow = HeadDim / 8;
  for (int i = threadIdx.x; i < kKeys * vecPerRow; i += Threads) {
    int j = i / vecPerRow, d = (i % vecPerRow) * 8, pos = first + j;
    bool valid = pos < end;
    int64_t at = 0;
    if (valid) {
      int64_t block = slotBlocks[pos / blockSize];
      at = ((block * numKvHeads + kvHead) * blockSize + pos % blockSize) *
               HeadDim +
           d;
    }
    cpAsync16(Ks + j * Layout<HeadDim>::stride + d, kCache + at, valid);
    cpAsync16(Vs + j * Layout<HeadDim>::stride + d, vCache + at, valid);
  }
}

// The same tile from a quantized cache: codes and scales are read and
// dequantized by the threads into Ks / Vs (rounded to T, the type the mma
// reads), synchronously. Zeros past `end`, as above. kvGroup: the int4
// group (values per scale and zero point).
template <typename T, int HeadDim, KVFormat F, int Threads>
__device__ __forceinline__ void
loadKvTileQuant(const uint8_t *kCache, const uint8_t *vCache,
                const int32_t *slotBlocks, int blockSize, int kvGroup,
                int numKvHeads, int kvHead, int first, int end, T *Ks, T *Vs) {
  constexpr int vecPerRow = HeadDim / 8, perThread = kKeys * vecPerRow / Threads;
  static_assert(kKeys * vecPerRow % Threads == 0, "whole 8-value chunks per thread");
  // A fixed trip count, unrolled: the loads of all chunks can be in flight.
#pragma unroll
  for (int r = 0; r < perThread; ++r) {
    int i = threadIdx.x + r * Threads;
    int j = i / vecPerRow, d = (i % vecPerRow) * 8, pos = first + j;
    float kv[8] = {}, vv[8] = {};
    if (pos < end) {
      int64_t tile = slotBlocks[pos / blockSize] * int64_t(numKvHeads) + kvHead;
      kvLoad8<F>(kCache, tile, pos % blockSize, d, HeadDim, blockSize, kvGroup, kv);
      kvLoad8<F>(vCache, tile, pos % blockSize, d, HeadDim, blockSize, kvGroup, vv);
    }
    storeVec8(Ks + j * Layout<HeadDim>::stride + d, kv);
    storeVec8(Vs + j * Layout<HeadDim>::stride + d, vv);
  }
}

template <typename T, int HeadDim, KVFormat F, int Threads>
__device__ __forceinline__ void
loadKvTile(const typename KVCache<T, F>::Code *kCache,
           const typename KVCache<T, F>::Code *vCache,
           const int32_t *slotBlocks, int blockSize, int kvGroup,
           int numKvHeads, int kvHead, int first, int end, T *Ks, T *Vs) {
  if constexpr (F == KVFormat::Dense)
    loadKvTileAsync<T, HeadDim, Threads>(kCache, vCache, slotBlocks, blockSize,
                                         numKvHeads, kvHead, first, end, Ks, Vs);
  else
    loadKvTileQuant<T, HeadDim, F, Threads>(kCache, vCache, slotBlocks,
                                            blockSize, kvGroup, numKvHeads, kvHead,
                                            first, end, Ks, Vs);
}

} // namespace fa

template <typename T, int HeadDim, KVFormat F = KVFormat::Dense, int Warps = 4>
__global__ void __launch_bounds__(fa::Tiling<Warps>::threads)
    attentionPrefillMmaKernel(const T *q,
                              const typename KVCache<T, F>::Code *kCache,
                              const typename KVCache<T, F>::Code *vCache,
                              T *out, int numHeads, int numKvHeads,
                              float scaleLog2, int blockSize, int kvGroup,
                              const int32_t *queryStart,
                              const int32_t *positions,
                              const int32_t *blockTable, int maxBlocksPerSeq) {
  awaitPredecessor();
  using L = fa::Layout<HeadDim>;
  constexpr int Queries = fa::Tiling<Warps>::queries,
                Threads = fa::Tiling<Warps>::threads;
  constexpr int KSteps = HeadDim / 16;   // k-chunks of Q K^T
  constexpr int SNTiles = fa::kKeys / 8; // 8-key column tiles of S
  constexpr int ONTiles = HeadDim / 8;   // 8-dim column tiles of O
  extern __shared__ __align__(128) unsigned char smem[];
  T *ring = reinterpret_cast<T *>(smem); // [stage][K, V][kKeys][stride]

  const int slot = blockIdx.z, head = blockIdx.y;
  const int begin = queryStart[slot], count = queryStart[slot + 1] - begin;
  const int tileFirst = (gridDim.x - 1 - blockIdx.x) * Queries;
  if (tileFirst >= count)
    return;
  const int tileCount = min(Queries, count - tileFirst);
  const int kvHead = head / (numHeads / numKvHeads), ldq = numHeads * HeadDim;
  const int32_t *slotBlocks = blockTable + int64_t(slot) * maxBlocksPerSeq;
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int g = lane >> 2, tq = lane & 3; // fragment row group, thread in group

  // This thread's two rows of the warp's 16: g and g + 8.
  int rowIdx[2] = {warp * 16 + g, warp * 16 + g + 8}, pos[2];
#pragma unroll
  for (int r = 0; r < 2; ++r)
    pos[r] =
        rowIdx[r] < tileCount ? positions[begin + tileFirst + rowIdx[r]] : -1;
  const int warpRows = min(16, tileCount - warp * 16);
  // Positions grow within a slot: the warp's last valid row sees the most.
  const int warpLastPos =
      warpRows > 0 ? positions[begin + tileFirst + warp * 16 + warpRows - 1]
                   : -1;
  const int keyEnd = positions[begin + tileFirst + tileCount - 1] + 1;
  // The warp's first row sees the fewest keys: tiles wholly at or below it
  // need no mask.
  const int warpFirstPos =
      warpRows > 0 ? positions[begin + tileFirst + warp * 16] : -1;

  // Q as A fragments (rows past the tile read as zeros).
  uint32_t qf[KSteps][4];
  {
    const T *qBase = q + int64_t(begin + tileFirst) * ldq + head * HeadDim;
#pragma unroll
    for (int kk = 0; kk < KSteps; ++kk)
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        int r = rowIdx[i & 1], col = kk * 16 + tq * 2 + (i >> 1) * 8;
        qf[kk][i] = r < tileCount ? *reinterpret_cast<const uint32_t *>(
                                        qBase + int64_t(r) * ldq + col)
                                  : 0u;
      }
  }

  float o[ONTiles][4] = {};
  float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};
  const int tiles = (keyEnd + fa::kKeys - 1) / fa::kKeys;
  auto stageK = [&](int t) { return ring + (2 * (t & 1)) * L::tileValues; };
  auto stageV = [&](int t) { return ring + (2 * (t & 1) + 1) * L::tileValues; };
  fa::loadKvTile<T, HeadDim, F, Threads>(kCache, vCache, slotBlocks, blockSize,
                                         kvGroup, numKvHeads, kvHead, 0, keyEnd,
                                         stageK(0), stageV(0));
  cpAsyncCommit();

  for (int t = 0; t < tiles; ++t) {
    if (t + 1 < tiles) {
      fa::loadKvTile<T, HeadDim, F, Threads>(
          kCache, vCache, slotBlocks, blockSize, kvGroup, numKvHeads, kvHead,
          (t + 1) * fa::kKeys, keyEnd, stageK(t + 1), stageV(t + 1));
      cpAsyncCommit();
      cpAsyncWait<1>();
    } else {
      cpAsyncWait<0>();
    }
    __syncthreads();
    const int first = t * fa::kKeys;
    if (first <=
        warpLastPos) { // else every key of the tile is in this warp's future
      const T *Ks = stageK(t), *Vs = stageV(t);
      float s[SNTiles][4] = {};
      // Lane l addresses row l % 8 of matrix l / 8: matrices 0, 1 are the
      // two 8-dimension halves of key tile 2p, matrices 2, 3 of tile 2p + 1.
      const T *kLane = Ks + (((lane >> 4) & 1) * 8 + (lane & 7)) * L::stride +
                       ((lane >> 3) & 1) * 8;
#pragma unroll
      for (int kk = 0; kk < KSteps; ++kk)
#pragma unroll
        for (int np = 0; np < SNTiles / 2; ++np) {
          uint32_t b[4];
          ldmatrixX4(b, kLane + np * 16 * L::stride + kk * 16);
          mma16816<T>(s[2 * np], qf[kk], b[0], b[1]);
          mma16816<T>(s[2 * np + 1], qf[kk], b[2], b[3]);
        }
      // Scale, the causal mask where the tile reaches past a row of the
      // warp (positions grow within a slot, so the warp's first row decides),
      // and the row maxima (a row's 64 values live in the 4 threads of its
      // quad).
      const bool masked = first + fa::kKeys - 1 > warpFirstPos;
      float tileMax[2] = {-INFINITY, -INFINITY};
#pragma unroll
      for (int n = 0; n < SNTiles; ++n)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          int r = e >> 1, key = first + n * 8 + tq * 2 + (e & 1);
          float v = s[n][e] * scaleLog2;
          if (masked && key > pos[r])
            v = -INFINITY;
          s[n][e] = v;
          tileMax[r] = fmaxf(tileMax[r], v);
        }
      float mSafe[2], alpha[2], rowSum[2] = {0.f, 0.f};
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        tileMax[r] =
            fmaxf(tileMax[r], __shfl_xor_sync(0xffffffffu, tileMax[r], 1));
        tileMax[r] =
            fmaxf(tileMax[r], __shfl_xor_sync(0xffffffffu, tileMax[r], 2));
        float mNew = fmaxf(m[r], tileMax[r]);
        mSafe[r] =
            mNew == -INFINITY ? 0.f : mNew; // rows with nothing visible yet
        alpha[r] = fa::fastExp2(m[r] - mSafe[r]);
        m[r] = mNew;
      }
      // P (rounded to T; l sums the values that multiply V) as A fragments.
      uint32_t pf[fa::kKeys / 16][4];
#pragma unroll
      for (int n = 0; n < SNTiles; ++n)
#pragma unroll
        for (int r = 0; r < 2; ++r) {
          uint32_t packed = fa::pack2<T>(fa::fastExp2(s[n][2 * r] - mSafe[r]),
                                         fa::fastExp2(s[n][2 * r + 1] - mSafe[r]));
          float2 rounded = fa::unpack2<T>(packed);
          rowSum[r] += rounded.x + rounded.y;
          pf[n / 2][(n & 1) * 2 + r] = packed;
        }
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        rowSum[r] += __shfl_xor_sync(0xffffffffu, rowSum[r], 1);
        rowSum[r] += __shfl_xor_sync(0xffffffffu, rowSum[r], 2);
        l[r] = l[r] * alpha[r] + rowSum[r];
      }
#pragma unroll
      for (int n = 0; n < ONTiles; ++n) {
        o[n][0] *= alpha[0];
        o[n][1] *= alpha[0];
        o[n][2] *= alpha[1];
        o[n][3] *= alpha[1];
      }
      // O += P V: ldmatrix.trans gives the B fragments of two 8-dim tiles.
#pragma unroll
      for (int kk = 0; kk < fa::kKeys / 16; ++kk)
#pragma unroll
        for (int n2 = 0; n2 < HeadDim / 16; ++n2) {
          uint32_t b[4];
          int key = kk * 16 + ((lane >> 3) & 1) * 8 + (lane & 7),
              dim = n2 * 16 + (lane >> 4) * 8;
          ldmatrixX4Trans(b, Vs + key * L::stride + dim);
          mma16816<T>(o[2 * n2], pf[kk], b[0], b[1]);
          mma16816<T>(o[2 * n2 + 1], pf[kk], b[2], b[3]);
        }
    }
    __syncthreads(); // the stage is refilled two iterations later
  }

#pragma unroll
  for (int r = 0; r < 2; ++r) {
    if (pos[r] < 0)
      continue;
    float inv = 1.f / l[r];
    T *orow =
        out + int64_t(begin + tileFirst + rowIdx[r]) * ldq + head * HeadDim;
#pragma unroll
    for (int n = 0; n < ONTiles; ++n)
      *reinterpret_cast<uint32_t *>(orow + n * 8 + tq * 2) =
          fa::pack2<T>(o[n][2 * r] * inv, o[n][2 * r + 1] * inv);
  }
}

} // namespace sieve::rt::detail
