// Token sampling on the device: one CTA per row of float logits.
//
// Greedy rows take the argmax (lowest index on ties). Otherwise the kept set
// is found without sorting: logits map to order-preserving 32-bit keys, and
// a most-significant-bit-first search over key thresholds (32 counting
// passes over the row, L2-resident) finds the top_k-th largest key; a second
// such search finds the largest threshold whose softmax mass (within the
// top-k set) still reaches top_p. Values tied with the threshold are all
// kept. The draw u ~ U[0, 1) comes from Philox4x32-10 keyed by the seed with
// counter (row, counter), and the token is located by a block prefix sum of
// the kept weights in index order, so a (seed, counter) pair always gives
// the same tokens.
#include "sieve_kernels.cuh"
#include "sieve_sampling.h"

#include <climits>

namespace sieve::rt {
namespace detail {

constexpr int kSampleThreads = 1024;

// Logit -> key with the same order (NaN maps below every number).
__device__ __forceinline__ uint32_t orderKey(float x) {
  if (x != x)
    return 0;
  uint32_t b = __float_as_uint(x);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}

struct ArgBest {
  float value;
  int index;
};

__device__ __forceinline__ ArgBest better(ArgBest a, ArgBest b) {
  if (b.value > a.value || (b.value == a.value && b.index < a.index))
    return b;
  return a;
}

__device__ ArgBest blockArgmax(ArgBest v, ArgBest *scratch) {
  for (int o = 16; o > 0; o >>= 1) {
    ArgBest other{__shfl_xor_sync(0xffffffffu, v.value, o),
                  __shfl_xor_sync(0xffffffffu, v.index, o)};
    v = better(v, other);
  }
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0)
    scratch[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < int(blockDim.x >> 5) ? scratch[lane]
                                    : ArgBest{-INFINITY, INT_MAX};
    for (int o = 16; o > 0; o >>= 1) {
      ArgBest other{__shfl_xor_sync(0xffffffffu, v.value, o),
                    __shfl_xor_sync(0xffffffffu, v.index, o)};
      v = better(v, other);
    }
    if (lane == 0)
      scratch[0] = v;
  }
  __syncthreads();
  ArgBest r = scratch[0];
  __syncthreads();
  return r;
}

// Largest key threshold t with measure(t) >= target, where measure is
// nonincreasing in t (a count or a mass of the values with key >= t).
template <typename Measure>
__device__ uint32_t searchThreshold(float target, Measure measure) {
  uint32_t result = 0;
  for (int bit = 31; bit >= 0; --bit) {
    uint32_t candidate = result | (1u << bit);
    if (measure(candidate) >= target)
      result = candidate;
  }
  return result;
}

__global__ void __launch_bounds__(kSampleThreads)
    sampleKernel(const float *logits, int vocab, float temperature, int topK,
                 float topP, uint64_t seed, uint64_t counter, int32_t *out) {
  awaitPredecessor();
  __shared__ float scratch[32];
  __shared__ ArgBest argScratch[32];
  __shared__ float scanScratch[32];
  __shared__ int chosen;
  int row = blockIdx.x;
  const float *x = logits + int64_t(row) * vocab;

  ArgBest best{-INFINITY, INT_MAX};
  for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
    float v = x[i];
    best = better(best, ArgBest{v != v ? -INFINITY : v, i});
  }
  best = blockArgmax(best, argScratch);
  if (best.index == INT_MAX)
    best.index = 0; // an all-NaN row: nothing better than token 0
  if (temperature <= 0.f) {
    if (threadIdx.x == 0)
      out[row] = best.index;
    return;
  }

  float invT = 1.f / temperature, maxLogit = best.value;
  auto weight = [&](float v) {
    return v != v ? 0.f : expf((v - maxLogit) * invT);
  };

  uint32_t kThreshold = 0;
  if (topK > 0 && topK < vocab)
    kThreshold = searchThreshold(float(topK), [&](uint32_t t) {
      float count = 0.f;
      for (int i = threadIdx.x; i < vocab; i += blockDim.x)
        count += orderKey(x[i]) >= t ? 1.f : 0.f;
      return blockSum(count, scratch);
    });
  auto massAbove = [&](uint32_t t) {
    uint32_t thr = t > kThreshold ? t : kThreshold;
    float mass = 0.f;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x)
      mass += orderKey(x[i]) >= thr ? weight(x[i]) : 0.f;
    return blockSum(mass, scratch);
  };
  uint32_t threshold = kThreshold;
  if (topP < 1.f) {
    float total = massAbove(kThreshold);
    uint32_t p = searchThreshold(topP * total, massAbove);
    threshold = p > kThreshold ? p : kThreshold;
  }

  // Inverse CDF over the kept weights in index order: thread t owns the
  // contiguous chunk [t * chunk, (t + 1) * chunk).
  int chunk = (vocab + blockDim.x - 1) / blockDim.x;
  int lo = min(vocab, int(threadIdx.x) * chunk), hi = min(vocab, lo + chunk);
  float local = 0.f;
  for (int i = lo; i < hi; ++i)
    local += orderKey(x[i]) >= threshold ? weight(x[i]) : 0.f;
  // Block exclusive scan of `local`.
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  float incl = local;
  for (int o = 1; o < 32; o <<= 1) {
    float n = __shfl_up_sync(0xffffffffu, incl, o);
    if (lane >= o)
      incl += n;
  }
  if (lane == 31)
    scanScratch[warp] = incl;
  if (threadIdx.x == 0)
    chosen = INT_MAX;
  __syncthreads();
  float warpBase = 0.f, total = 0.f;
  for (int w = 0; w < int(blockDim.x >> 5); ++w) {
    if (w < warp)
      warpBase += scanScratch[w];
    total += scanScratch[w];
  }
  float excl = warpBase + incl - local;
  float u = philoxUniform(seed, uint64_t(row), counter) * total;
  if (local > 0.f && excl <= u && u < excl + local) {
    float run = excl;
    int pick = -1;
    for (int i = lo; i < hi; ++i) {
      if (orderKey(x[i]) < threshold)
        continue;
      pick = i; // the last kept index absorbs rounding at the chunk's end
      run += weight(x[i]);
      if (u < run)
        break;
    }
    atomicMin(&chosen, pick);
  }
  __syncthreads();
  if (threadIdx.x == 0)
    out[row] =
        chosen == INT_MAX ? best.index : chosen; // u rounded past the total
}

} // namespace detail

void sample(cudaStream_t stream, const float *logits, int rows, int vocab,
            float temperature, int top_k, float top_p, uint64_t seed,
            uint64_t counter, int32_t *out, bool dependent) {
  if (rows <= 0)
    return;
  if (dependent)
    detail::launchDependent(detail::sampleKernel, rows, detail::kSampleThreads, 0,
                            stream, logits, vocab, temperature, top_k, top_p,
                            seed, counter, out);
  else
    detail::sampleKernel<<<rows, detail::kSampleThreads, 0, stream>>>(
        logits, vocab, temperature, top_k, top_p, seed, counter, out);
}

} // namespace sieve::rt
