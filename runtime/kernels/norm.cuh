// RMSNorm and LayerNorm with the residual add fused in: one CTA per row.
// The row is read once to form (and store) the sum, then re-read from the
// stored sum (L1/L2-resident) to normalize, so rows of any width need no
// register or shared-memory staging. The sum is rounded to T before it is
// normalized, so the norm sees exactly the residual stream that is stored.
#pragma once

#include "common.cuh"

namespace sieve::rt {
namespace detail {

constexpr int kNormThreads = 256;

// Value i of the row's sum a + b, rounded to T.
template <typename T>
__device__ __forceinline__ float residualAt(const T *a, const T *b, int64_t i) {
  float s = toFloat(a[i]);
  if (b)
    s = toFloat(roundTo<T>(s + toFloat(b[i])));
  return s;
}

// v = a[c..c+Vec) (+ b, the sum rounded to T as it is stored).
template <typename T, int Vec>
__device__ void loadResidual(const T *a, const T *b, int c, float *v) {
  if constexpr (Vec == 8) {
    loadVec8(a + c, v);
    if (b) {
      float w[8];
      loadVec8(b + c, w);
#pragma unroll
      for (int k = 0; k < 8; ++k)
        v[k] = toFloat(roundTo<T>(v[k] + w[k]));
    }
  } else {
    v[0] = residualAt(a, b, c);
  }
}

// Pass 1: forms the sum, stores it to `sumOut` (when given), returns the
// block-wide total of f(sum) for each thread's values. Vec == 8 reads 16 bytes.
template <typename T, int Vec, typename F>
__device__ float residualPass(const T *a, const T *b, T *sumOut, int cols, F f,
                              float *scratch) {
  float acc = 0.f;
  for (int c = threadIdx.x * Vec; c < cols; c += blockDim.x * Vec) {
    float v[Vec];
    loadResidual<T, Vec>(a, b, c, v);
    if (sumOut) {
      if constexpr (Vec == 8)
        storeVec8(sumOut + c, v);
      else
        sumOut[c] = fromFloat<T>(v[0]);
    }
#pragma unroll
    for (int k = 0; k < Vec; ++k)
      acc += f(v[k]);
  }
  return blockSum(acc, scratch);
}

// Re-reads the (rounded) sum: from sumOut if it was stored, else a (+ b).
template <typename T, int Vec, typename F>
__device__ void forEachResidual(const T *a, const T *b, const T *sumOut,
                                int cols, F f) {
  const T *src = sumOut ? sumOut : a;
  const T *add = sumOut ? nullptr : b;
  for (int c = threadIdx.x * Vec; c < cols; c += blockDim.x * Vec) {
    float v[Vec];
    loadResidual<T, Vec>(src, add, c, v);
    f(c, v);
  }
}

template <typename T, int Vec>
__global__ void __launch_bounds__(kNormThreads)
    addRmsNormKernel(const T *a, const T *b, T *sumOut, const T *weight,
                     float weightOffset, float eps, T *out, int cols) {
  awaitPredecessor();
  __shared__ float scratch[32];
  int64_t base = int64_t(blockIdx.x) * cols;
  a += base;
  b = b ? b + base : nullptr;
  sumOut = sumOut ? sumOut + base : nullptr;
  out += base;
  float sumSq = residualPass<T, Vec>(
      a, b, sumOut, cols, [](float x) { return x * x; }, scratch);
  float inv = rsqrtf(sumSq / cols + eps);
  forEachResidual<T, Vec>(a, b, sumOut, cols, [&](int c, float *v) {
    float w[Vec];
    if constexpr (Vec == 8)
      loadVec8(weight + c, w);
    else
      w[0] = toFloat(weight[c]);
#pragma unroll
    for (int k = 0; k < Vec; ++k)
      v[k] = v[k] * inv * (w[k] + weightOffset);
    if constexpr (Vec == 8)
      storeVec8(out + c, v);
    else
      out[c] = fromFloat<T>(v[0]);
  });
}

// Rows of at most kNormThreads * 8 * kNormHeld values (every Llama-shaped
// hidden size here): each thread keeps its 16-byte vectors of the sum in
// registers between the two passes instead of re-reading the stored sum,
// and loads its vectors of the norm weight (a constant) before waiting for
// the previous kernel, so that a row costs one round trip to memory after
// the wait instead of two. The arithmetic is addRmsNormKernel's: the same
// values in the same order, bit for bit.
constexpr int kNormHeld = 4;
template <typename T>
__global__ void __launch_bounds__(kNormThreads)
    addRmsNormHeldKernel(const T *a, const T *b, T *sumOut, const T *weight,
                         float weightOffset, float eps, T *out, int cols) {
  __shared__ float scratch[32];
  float w[kNormHeld][8], v[kNormHeld][8];
#pragma unroll
  for (int i = 0; i < kNormHeld; ++i) {
    const int c = (threadIdx.x + i * blockDim.x) * 8;
    if (c < cols)
      loadVec8(weight + c, w[i]);
  }
  awaitPredecessor();
  int64_t base = int64_t(blockIdx.x) * cols;
  a += base;
  b = b ? b + base : nullptr;
  sumOut = sumOut ? sumOut + base : nullptr;
  out += base;
  float acc = 0.f;
#pragma unroll
  for (int i = 0; i < kNormHeld; ++i) {
    const int c = (threadIdx.x + i * blockDim.x) * 8;
    if (c < cols) {
      loadResidual<T, 8>(a, b, c, v[i]);
      if (sumOut)
        storeVec8(sumOut + c, v[i]);
#pragma unroll
      for (int k = 0; k < 8; ++k)
        acc += v[i][k] * v[i][k];
    }
  }
  const float inv = rsqrtf(blockSum(acc, scratch) / cols + eps);
#pragma unroll
  for (int i = 0; i < kNormHeld; ++i) {
    const int c = (threadIdx.x + i * blockDim.x) * 8;
    if (c < cols) {
#pragma unroll
      for (int k = 0; k < 8; ++k)
        v[i][k] = v[i][k] * inv * (w[i][k] + weightOffset);
      storeVec8(out + c, v[i]);
    }
  }
}

template <typename T, int Vec>
__global__ void __launch_bounds__(kNormThreads)
    addLayerNormKernel(const T *a, const T *b, T *sumOut, const T *weight,
                       const T *bias, float eps, T *out, int cols) {
  awaitPredecessor();
  __shared__ float scratch[32];
  int64_t base = int64_t(blockIdx.x) * cols;
  a += base;
  b = b ? b + base : nullptr;
  sumOut = sumOut ? sumOut + base : nullptr;
  out += base;
  float mean = residualPass<T, Vec>(
                   a, b, sumOut, cols, [](float x) { return x; }, scratch) /
               cols;
  // Two-pass variance: exact for rows with a large mean.
  float sq = 0.f;
  forEachResidual<T, Vec>(a, b, sumOut, cols, [&](int, float *v) {
#pragma unroll
    for (int k = 0; k < Vec; ++k)
      sq += (v[k] - mean) * (v[k] - mean);
  });
  float inv = rsqrtf(blockSum(sq, scratch) / cols + eps);
  forEachResidual<T, Vec>(a, b, sumOut, cols, [&](int c, float *v) {
    float w[Vec], bb[Vec];
    if constexpr (Vec == 8) {
      loadVec8(weight + c, w);
      if (bias)
        loadVec8(bias + c, bb);
    } else {
      w[0] = toFloat(weight[c]);
      if (bias)
        bb[0] = toFloat(bias[c]);
    }
#pragma unroll
    for (int k = 0; k < Vec; ++k)
      v[k] = (v[k] - mean) * inv * w[k] + (bias ? bb[k] : 0.f);
    if constexpr (Vec == 8)
      storeVec8(out + c, v);
    else
      out[c] = fromFloat<T>(v[0]);
  });
}

inline int normThreads(int cols, int vec) {
  int work = (cols + vec - 1) / vec;
  int t = ((work + 31) / 32) * 32;
  return t < 32 ? 32 : (t > kNormThreads ? kNormThreads : t);
}

} // namespace detail

template <typename T>
void add_rms_norm(cudaStream_t stream, const T *a, const T *b, T *sum_out,
                  const T *weight, float weight_offset, float eps, T *out,
                  int rows, int cols) {
  static_assert(detail::isStorageType<T>(),
                "add_rms_norm: T must be half or __nv_bfloat16");
  if (rows <= 0)
    return;
  const bool vec8 = detail::vec8Aligned(cols, a, b, sum_out, out) &&
                    detail::vec8Aligned(cols, weight);
  if (vec8 && cols <= detail::kNormThreads * 8 * detail::kNormHeld)
    detail::launchDependent(detail::addRmsNormHeldKernel<T>, rows,
                            detail::normThreads(cols, 8), 0, stream, a, b,
                            sum_out, weight, weight_offset, eps, out, cols);
  else if (vec8)
    detail::launchDependent(detail::addRmsNormKernel<T, 8>, rows,
                            detail::normThreads(cols, 8), 0, stream, a, b,
                            sum_out, weight, weight_offset, eps, out, cols);
  else
    detail::launchDependent(detail::addRmsNormKernel<T, 1>, rows,
                            detail::normThreads(cols, 1), 0, stream, a, b,
                            sum_out, weight, weight_offset, eps, out, cols);
}

template <typename T>
void add_layer_norm(cudaStream_t stream, const T *a, const T *b, T *sum_out,
                    const T *weight, const T *bias, float eps, T *out, int rows,
                    int cols) {
  static_assert(detail::isStorageType<T>(),
                "add_layer_norm: T must be half or __nv_bfloat16");
  if (rows <= 0)
    return;
  if (detail::vec8Aligned(cols, a, b, sum_out, out) &&
      detail::vec8Aligned(cols, weight, bias))
    detail::launchDependent(detail::addLayerNormKernel<T, 8>, rows,
                            detail::normThreads(cols, 8), 0, stream, a, b,
                            sum_out, weight, bias, eps, out, cols);
  else
    detail::launchDependent(detail::addLayerNormKernel<T, 1>, rows,
                            detail::normThreads(cols, 1), 0, stream, a, b,
                            sum_out, weight, bias, eps, out, cols);
}

} // namespace sieve::rt
