// Decode attention (FlashDecoding): one query per slot against its cached
// keys, split over the context so that short batches still fill the GPU.
//
// attentionDecodeKernel: one CTA per (split of the slot's positions, KV
// head, slot, chunk of up to G <= kDecodeMaxGroup query heads sharing that KV
// head). A dense cache's K and V rows of a short split are first copied
// into shared memory, all at once (cp.async; K and V wait separately), so
// that the split costs one round trip to memory (decodeStages); a key row
// (HeadDim values) is then read by HeadDim / 8 lanes with one 16-byte load
// each, so a warp covers 32 / (HeadDim / 8) keys per load. Longer splits
// and quantized caches are read straight into registers the same way, two
// rows a lane in flight. Three phases:
//   1. scores s[g][j] = q_g . k_j (log2 domain), into shared memory;
//   2. per head: the split's max m and sum l of exp2(s - m), p in place;
//   3. acc[g] = sum_j p[g][j] v_j, reduced over the warp's key slots by
//      shuffles and over the warps in shared memory.
// The partial (m, l, unnormalized acc) goes to the scratch; splits past a
// slot's length write an empty partial (l = 0). A quantized cache (F) is
// read as 8 codes (8 bytes; int4: 4 bytes) and the scale (and zero point)
// of their group per lane, dequantized into the same float registers
// (kvGroup: the int4 group, a multiple of 8, so a lane's 8 values share
// one).
//
// attentionCombineKernel merges the partials of each (slot, head).
#pragma once

#include "common.cuh"
#include "kv_cache.cuh"
#include "mma.cuh"

namespace sieve::rt::detail {

constexpr int kDecodeThreads = 128, kDecodeMaxGroup = 8;
// Cache positions per split: the fewest of 32, 64 and 128 that keep the
// splits at most kDecodeTargetSplits and the CTAs of a launch (`pairs` =
// slots x KV heads x head chunks, times the splits) at most
// kDecodeTargetCtas, else 128 (the scratch grows with the split count).
// Short contexts at small batches thus get more, shorter splits: a CTA's K
// and V loads are a few round trips to memory each, so a decode attention
// of 512 positions at batch 1 is bound by their latency, not by bytes
// (measured on the H100, Llama-3.2-1B at 512 of context: 11.3 us a layer
// with splits of 128 positions, 5.1 with 32,
// bench/results/logs/decode_split_timeline_h100.txt). At larger batches
// the CTAs of long splits already fill the GPU, and short ones only add
// partials to merge (the 1B shape at batch 32: 15,327 tokens/s with splits
// of 128, 13,761-13,884 with 32, bench/results/logs/decode_splits_batch_h100.txt).
constexpr int kDecodeMinSplit = 32, kDecodeMaxSplit = 128, kDecodeTargetSplits = 64,
              kDecodeTargetCtas = 1024;
inline int decodeSplitLen(int maxContext, int pairs = 1) {
  const int context = maxContext > 0 ? maxContext : 1;
  int len = kDecodeMinSplit;
  while (len < kDecodeMaxSplit &&
         (ceilDiv(context, len) > kDecodeTargetSplits ||
          int64_t(pairs) * ceilDiv(context, len) > kDecodeTargetCtas))
    len *= 2;
  return len;
}
// With pairs = 1 (the default), the most splits any launch has: what the
// scratch is sized for.
inline int decodeSplits(int maxContext, int pairs = 1) {
  return ceilDiv(maxContext > 0 ? maxContext : 1, decodeSplitLen(maxContext, pairs));
}
// How many splits a slot may spread over: all of them at batch 1, fewer
// when the launch's pairs would make more than kDecodeTargetCtas CTAs.
inline int decodeSpread(int splits, int pairs) {
  const int most = kDecodeTargetCtas / (pairs > 0 ? pairs : 1);
  return most < 1 ? 1 : most < splits ? most : splits;
}
// The grid has decodeSplits(max_context, pairs) splits (a captured graph
// replays at any length), but a slot's positions are spread over as many
// of the first `spread` of them as splits of at least kDecodeMinSplit
// allow: a slot of `len` positions uses splits of ceil(len / spread)
// rounded up to a multiple of 32, at most maxLen = decodeSplitLen(...) (so
// splits * maxLen >= len). A session opened for long prompts thus still
// decodes a short context over many short splits at batch 1, and over a
// few long ones at batch 32. The decode and the combine kernel use the
// same rule.
__host__ __device__ inline int decodeSplitLenAt(int len, int spread, int maxLen) {
  const int even = (len + spread - 1) / spread, rounded = (even + 31) / 32 * 32;
  const int atLeast = rounded > kDecodeMinSplit ? rounded : kDecodeMinSplit;
  return atLeast < maxLen ? atLeast : maxLen;
}

// Scratch layout for B slots, H heads, S splits: float2 (max, sum) at
// [(b * H + h) * S + s], then the accumulators [B * H * S][HeadDim].
struct DecodeScratch {
  float2 *ml;
  float *acc;
  __host__ __device__ DecodeScratch(float *base, int slots, int heads,
                                    int splits)
      : ml(reinterpret_cast<float2 *>(base)),
        acc(base + 2 * int64_t(slots) * heads * splits) {}
};

// Whether a dense cache's K and V rows of a split are staged in shared
// memory (the kernel's Stage): when they take at most kDecodeStageBytes.
// Measured on the H100 (bench/results/logs/decode_stage_ab_h100.txt, A/B
// in one run): staged, Llama-3-8B int4 at 2048 of context, batch 1 (splits
// of 64 positions, 32 KB) 340 -> 369 tokens/s, Llama-3.2-1B at 512, batch
// 32 (HeadDim 64, splits of 128, 32 KB) 16,745-16,944 -> 17,342-17,426; but
// the 8B at batch 16 (splits of 128 at HeadDim 128: 64 KB, three CTAs an
// SM) 2,063 -> 1,968, so larger splits read straight into registers.
constexpr size_t kDecodeStageBytes = 32 * 1024;
template <typename T, int HeadDim> bool decodeStages(KVFormat f, int splitLen) {
  return f == KVFormat::Dense && 2 * size_t(splitLen) * HeadDim * sizeof(T) <= kDecodeStageBytes;
}

// Shared memory: when staged, the split's K and V rows [2][splitLen]
// [HeadDim] of T (`kvRowBytes` = HeadDim * sizeof(T); else 0), then the
// scores [group][splitLen], the per-warp accumulators [warps][group]
// [HeadDim], m and l [group].
template <int HeadDim> size_t decodeSmemBytes(int group, int splitLen, size_t kvRowBytes = 0) {
  return 2 * size_t(splitLen) * kvRowBytes +
         sizeof(float) *
             (size_t(group) * splitLen +
              size_t(kDecodeThreads / 32) * group * HeadDim + 2 * size_t(group));
}

// G: the query heads a CTA handles (the group's size rounded up to 1, 2, 4
// or 8, kDecodeMaxGroup): q and the accumulators take 16 G registers a
// thread, so a group of 4 compiled for 8 would hold registers (and lose
// occupancy) for nothing.
template <typename T, int HeadDim, KVFormat F, int G, bool Stage>
__global__ void __launch_bounds__(kDecodeThreads)
    attentionDecodeKernel(const T *q,
                          const typename KVCache<T, F>::Code *kCache,
                          const typename KVCache<T, F>::Code *vCache,
                          int numHeads, int numKvHeads, float scaleLog2,
                          int blockSize, int kvGroup, const int32_t *kvLen,
                          const int32_t *blockTable, int maxBlocksPerSeq,
                          float *scratch, int splits, int spread, int splitLen) {
  static_assert(!Stage || F == KVFormat::Dense, "only a dense cache is staged");
  awaitPredecessor();
  constexpr int Lanes = HeadDim / 8;      // lanes per key row
  constexpr int KeysPerWarp = 32 / Lanes; // key slots of a warp
  constexpr int Warps = kDecodeThreads / 32;
  constexpr int Stride = Warps * KeysPerWarp; // keys per CTA-wide step
  extern __shared__ __align__(16) float dsm[];

  const int split = blockIdx.x, slot = blockIdx.z;
  const int groupAll = numHeads / numKvHeads;
  const int chunks = (groupAll + G - 1) / G;
  const int kvHead = blockIdx.y / chunks, chunk = blockIdx.y % chunks;
  const int group = min(G, groupAll - chunk * G);
  const int headBase = kvHead * groupAll + chunk * G;
  // Staged: K rows [splitLen][HeadDim] of T, then V rows.
  T *kS = reinterpret_cast<T *>(dsm), *vS = kS + size_t(splitLen) * HeadDim;
  float *sS = Stage ? reinterpret_cast<float *>(vS + size_t(splitLen) * HeadDim)
                    : dsm; // [group][splitLen]
  float *red = sS + group * splitLen; // [Warps][group][HeadDim]
  float *mS = red + Warps * group * HeadDim, *lS = mS + group;

  DecodeScratch out(scratch, gridDim.z, numHeads, splits);
  const int len = kvLen[slot];
  const int used = decodeSplitLenAt(len, spread, splitLen);
  const int first = split * used, n = min(used, len - first);
  if (n <= 0) {
    for (int g = threadIdx.x; g < group; g += blockDim.x)
      out.ml[(int64_t(slot) * numHeads + headBase + g) * splits + split] =
          make_float2(-INFINITY, 0.f);
    return;
  }
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int sub = lane / Lanes,
            part = lane % Lanes; // key slot, 8-value column block
  const int32_t *slotBlocks = blockTable + int64_t(slot) * maxBlocksPerSeq;
  // Where cache row j of the split starts (dense cache, in elements).
  auto rowStart = [&](int j) {
    int pos = first + j;
    int64_t block = slotBlocks[pos / blockSize];
    return ((block * numKvHeads + kvHead) * blockSize + pos % blockSize) * HeadDim;
  };
  // Staged (dense, decodeStages): every K and V row of the split is copied
  // into shared memory at once (cp.async, K and V in two commit groups), so
  // the split costs one round trip to memory rather than one per two rows a
  // lane (a split of 64 positions at HeadDim 128 took four dependent rounds
  // for K and four for V); phase 1 waits for K only, phase 3 for V.
  if constexpr (Stage) {
    constexpr int Units = HeadDim / 8; // 16-byte units of a row
    for (int h = 0; h < 2; ++h) {
      const T *cache = h ? vCache : kCache;
      T *dst = h ? vS : kS;
      for (int i = threadIdx.x; i < n * Units; i += blockDim.x) {
        const int j = i / Units, u = i % Units;
        cpAsync16(dst + j * HeadDim + u * 8, cache + rowStart(j) + u * 8, true);
      }
      cpAsyncCommit();
    }
  }
  // This lane's 8 values of cache row j, as floats (dequantized).
  auto load8 = [&](const typename KVCache<T, F>::Code *cache, int j,
                   float out[8]) {
    if constexpr (Stage) {
      loadVec8((cache == kCache ? kS : vS) + j * HeadDim + part * 8, out);
    } else if constexpr (F == KVFormat::Dense) {
      loadVec8(cache + rowStart(j) + part * 8, out);
    } else {
      int pos = first + j;
      kvLoad8<F>(cache, slotBlocks[pos / blockSize] * int64_t(numKvHeads) + kvHead,
                 pos % blockSize, part * 8, HeadDim, blockSize, kvGroup, out);
    }
  };

  // 1. Scores.
  float qv[G][8];
#pragma unroll
  for (int g = 0; g < G; ++g)
    if (g < group) {
      loadVec8(q + (int64_t(slot) * numHeads + headBase + g) * HeadDim +
                   part * 8,
               qv[g]);
#pragma unroll
      for (int e = 0; e < 8; ++e)
        qv[g][e] *= scaleLog2;
    }
  if constexpr (Stage) {
    cpAsyncWait<1>(); // this thread's K copies
    __syncthreads();  // everyone's
  }
  // The loop bounds are warp-uniform (the shuffles need every lane); a
  // lane whose key is past the split computes on zeros and stores nothing.
  for (int base = warp * KeysPerWarp; base < n; base += 2 * Stride) {
    // Two key rows in flight per lane.
    const int j0 = base + sub, j1 = j0 + Stride;
    float k0[8] = {}, k1[8] = {};
    if (j0 < n)
      load8(kCache, j0, k0);
    if (j1 < n)
      load8(kCache, j1, k1);
#pragma unroll
    for (int g = 0; g < G; ++g) {
      if (g >= group)
        break;
      float d0 = 0.f, d1 = 0.f;
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        d0 = fmaf(qv[g][e], k0[e], d0);
        d1 = fmaf(qv[g][e], k1[e], d1);
      }
#pragma unroll
      for (int o = Lanes / 2; o > 0; o >>= 1) {
        d0 += __shfl_xor_sync(0xffffffffu, d0, o);
        d1 += __shfl_xor_sync(0xffffffffu, d1, o);
      }
      if (part == 0 && j0 < n)
        sS[g * splitLen + j0] = d0;
      if (part == 0 && j1 < n)
        sS[g * splitLen + j1] = d1;
    }
  }
  __syncthreads();

  // 2. Softmax statistics of the split, p in place.
  for (int g = warp; g < group; g += Warps) {
    float *s = sS + g * splitLen;
    float mx = -INFINITY;
    for (int j = lane; j < n; j += 32)
      mx = fmaxf(mx, s[j]);
    mx = warpMax(mx);
    float sum = 0.f;
    for (int j = lane; j < n; j += 32) {
      float p = exp2f(s[j] - mx);
      s[j] = p;
      sum += p;
    }
    sum = warpSum(sum);
    if (lane == 0) {
      mS[g] = mx;
      lS[g] = sum;
    }
  }
  __syncthreads();

  // 3. acc = P V over the split.
  if constexpr (Stage) {
    cpAsyncWait<0>();
    __syncthreads();
  }
  float acc[G][8] = {};
  for (int j0 = warp * KeysPerWarp + sub; j0 < n; j0 += 2 * Stride) {
    const int j1 = j0 + Stride;
    float v0[8], v1[8] = {};
    load8(vCache, j0, v0);
    if (j1 < n)
      load8(vCache, j1, v1);
#pragma unroll
    for (int g = 0; g < G; ++g) {
      if (g >= group)
        break;
      float p0 = sS[g * splitLen + j0],
            p1 = j1 < n ? sS[g * splitLen + j1] : 0.f;
#pragma unroll
      for (int e = 0; e < 8; ++e)
        acc[g][e] = fmaf(p0, v0[e], fmaf(p1, v1[e], acc[g][e]));
    }
  }
  // Sum over the warp's key slots (lanes `Lanes` apart share a column).
#pragma unroll
  for (int g = 0; g < G; ++g) {
    if (g >= group)
      break;
#pragma unroll
    for (int e = 0; e < 8; ++e)
#pragma unroll
      for (int o = Lanes; o < 32; o <<= 1)
        acc[g][e] += __shfl_xor_sync(0xffffffffu, acc[g][e], o);
    if (sub == 0)
#pragma unroll
      for (int e = 0; e < 8; ++e)
        red[(warp * group + g) * HeadDim + part * 8 + e] = acc[g][e];
  }
  __syncthreads();
  for (int i = threadIdx.x; i < group * HeadDim; i += blockDim.x) {
    const int g = i / HeadDim, d = i % HeadDim;
    float a = 0.f;
#pragma unroll
    for (int w = 0; w < Warps; ++w)
      a += red[w * group * HeadDim + i];
    const int64_t row =
        (int64_t(slot) * numHeads + headBase + g) * splits + split;
    out.acc[row * HeadDim + d] = a;
    if (d == 0)
      out.ml[row] = make_float2(mS[g], lS[g]);
  }
}

// Block of HeadDim threads per (head, slot); each thread (one output
// dimension) merges its column of the slot's active splits in one pass, a
// running maximum rescaling the running sums (online softmax), the
// partials loaded kCombineBatch splits at a time so that their loads are
// in flight together: a merge of 32 splits is two round trips to memory
// (it was a max pass, a block reduction and eight rounds of four).
constexpr int kCombineBatch = 16;
template <typename T, int HeadDim>
__global__ void __launch_bounds__(HeadDim)
    attentionCombineKernel(const float *scratch, const int32_t *kvLen,
                           int numHeads, int splits, int spread, int splitLen,
                           T *outT) {
  awaitPredecessor();
  const int head = blockIdx.x, slot = blockIdx.y, d = threadIdx.x;
  DecodeScratch parts(const_cast<float *>(scratch), gridDim.y, numHeads,
                      splits);
  const int64_t row0 = (int64_t(slot) * numHeads + head) * splits;
  const int used = decodeSplitLenAt(kvLen[slot], spread, splitLen);
  const int active = min(splits, (kvLen[slot] + used - 1) / used);
  float mx = -INFINITY, sum = 0.f, acc = 0.f;
  for (int s0 = 0; s0 < active; s0 += kCombineBatch) {
    float2 ml[kCombineBatch];
    float a[kCombineBatch];
#pragma unroll
    for (int i = 0; i < kCombineBatch; ++i) {
      const bool live = s0 + i < active;
      ml[i] = live ? parts.ml[row0 + s0 + i] : make_float2(-INFINITY, 0.f);
      a[i] = live ? parts.acc[(row0 + s0 + i) * HeadDim + d] : 0.f;
    }
    float m = mx;
#pragma unroll
    for (int i = 0; i < kCombineBatch; ++i)
      m = fmaxf(m, ml[i].x);
    // Sums so far are zero while mx is -inf (no split with a position yet).
    const float r = mx == -INFINITY ? 0.f : exp2f(mx - m);
    sum *= r;
    acc *= r;
    mx = m;
#pragma unroll
    for (int i = 0; i < kCombineBatch; ++i) {
      const float w = ml[i].y > 0.f ? exp2f(ml[i].x - mx) : 0.f;
      sum = fmaf(ml[i].y, w, sum);
      acc = fmaf(a[i], w, acc);
    }
  }
  outT[(int64_t(slot) * numHeads + head) * HeadDim + d] =
      fromFloat<T>(sum > 0.f ? acc / sum : 0.f);
}

} // namespace sieve::rt::detail
