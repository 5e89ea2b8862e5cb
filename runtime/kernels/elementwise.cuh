// Embedding, residual add, GLU gating, activations, AWQ input scaling and
// row gathers: one
// thread per 8 values (16-byte accesses) where the shapes and pointers
// allow it, one per value otherwise.
#pragma once

#include "common.cuh"

namespace sieve::rt {
namespace detail {

__device__ __forceinline__ float activate(float x, Activation act) {
  switch (act) {
  case Activation::Silu:
    return x / (1.f + expf(-x));
  case Activation::Gelu:
    return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
  case Activation::GeluTanh: {
    float u = 0.7978845608028654f * (x + 0.044715f * x * x * x);
    return 0.5f * x * (1.f + tanhf(u));
  }
  case Activation::Relu:
    return fmaxf(x, 0.f);
  }
  return x;
}

constexpr int kElementwiseThreads = 256;

inline int elementwiseBlocks(int64_t work) {
  int64_t blocks = (work + kElementwiseThreads - 1) / kElementwiseThreads;
  return static_cast<int>(blocks < 65535 * 16 ? (blocks > 0 ? blocks : 1)
                                              : 65535 * 16);
}

// Vec == 8: each work item is 8 consecutive values of one row (cols % 8 == 0).
template <typename T, int Vec>
__global__ void embeddingKernel(const int32_t *tokens, const T *table,
                                float scale, const T *posTable,
                                const int32_t *positions, T *out, int rows,
                                int hidden) {
  awaitPredecessor();
  int64_t perRow = hidden / Vec, total = int64_t(rows) * perRow;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t r = i / perRow, c = (i % perRow) * Vec;
    const T *src = table + int64_t(tokens[r]) * hidden + c;
    const T *pos =
        posTable ? posTable + int64_t(positions[r]) * hidden + c : nullptr;
    float v[Vec], p[Vec];
    if constexpr (Vec == 8) {
      loadVec8(src, v);
      if (pos)
        loadVec8(pos, p);
    } else {
      v[0] = toFloat(src[0]);
      if (pos)
        p[0] = toFloat(pos[0]);
    }
#pragma unroll
    for (int k = 0; k < Vec; ++k)
      v[k] = v[k] * scale + (pos ? p[k] : 0.f);
    if constexpr (Vec == 8)
      storeVec8(out + r * hidden + c, v);
    else
      out[r * hidden + c] = fromFloat<T>(v[0]);
  }
}

template <typename T, int Vec>
__global__ void addKernel(const T *a, const T *b, T *out, int64_t n) {
  awaitPredecessor();
  int64_t total = n / Vec;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    float x[Vec], y[Vec];
    if constexpr (Vec == 8) {
      loadVec8(a + i * 8, x);
      loadVec8(b + i * 8, y);
#pragma unroll
      for (int k = 0; k < 8; ++k)
        x[k] += y[k];
      storeVec8(out + i * 8, x);
    } else {
      out[i] = fromFloat<T>(toFloat(a[i]) + toFloat(b[i]));
    }
  }
}

template <typename T, int Vec>
__global__ void gluKernel(const T *x, int ld, int gateOffset, int upOffset,
                          int width, Activation act, T *out, int rows) {
  awaitPredecessor();
  int64_t perRow = width / Vec, total = int64_t(rows) * perRow;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t r = i / perRow, c = (i % perRow) * Vec;
    const T *row = x + r * ld;
    float g[Vec], u[Vec];
    if constexpr (Vec == 8) {
      loadVec8(row + gateOffset + c, g);
      loadVec8(row + upOffset + c, u);
    } else {
      g[0] = toFloat(row[gateOffset + c]);
      u[0] = toFloat(row[upOffset + c]);
    }
#pragma unroll
    for (int k = 0; k < Vec; ++k)
      g[k] = activate(g[k], act) * u[k];
    if constexpr (Vec == 8)
      storeVec8(out + r * width + c, g);
    else
      out[r * width + c] = fromFloat<T>(g[0]);
  }
}

template <typename T, int Vec>
__global__ void activationKernel(T *x, int64_t n, Activation act) {
  awaitPredecessor();
  int64_t total = n / Vec;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    float v[Vec];
    if constexpr (Vec == 8)
      loadVec8(x + i * 8, v);
    else
      v[0] = toFloat(x[i]);
#pragma unroll
    for (int k = 0; k < Vec; ++k)
      v[k] = activate(v[k], act);
    if constexpr (Vec == 8)
      storeVec8(x + i * 8, v);
    else
      x[i] = fromFloat<T>(v[0]);
  }
}

// out[r, c] = in[r, c] / scales[c]: the f32 quotient (IEEE division, not
// a reciprocal: the CPU reference divides the weight by the same f32
// scale) rounded once to T.
template <typename T, int Vec>
__global__ void scaleColumnsKernel(const T *in, const float *scales, T *out,
                                   int rows, int cols) {
  awaitPredecessor();
  int64_t perRow = cols / Vec, total = int64_t(rows) * perRow;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t r = i / perRow, c = (i % perRow) * Vec;
    float v[Vec], s[Vec];
    if constexpr (Vec == 8) {
      loadVec8(in + r * cols + c, v);
      const float4 *sv = reinterpret_cast<const float4 *>(scales + c);
      float4 s0 = __ldg(sv), s1 = __ldg(sv + 1);
      s[0] = s0.x, s[1] = s0.y, s[2] = s0.z, s[3] = s0.w;
      s[4] = s1.x, s[5] = s1.y, s[6] = s1.z, s[7] = s1.w;
    } else {
      v[0] = toFloat(in[r * cols + c]);
      s[0] = __ldg(scales + c);
    }
#pragma unroll
    for (int k = 0; k < Vec; ++k)
      v[k] = __fdiv_rn(v[k], s[k]);
    if constexpr (Vec == 8)
      storeVec8(out + r * cols + c, v);
    else
      out[r * cols + c] = fromFloat<T>(v[0]);
  }
}

template <typename T, int Vec>
__global__ void gatherRowsKernel(const T *in, const int32_t *rows, int numRows,
                                 int cols, T *out) {
  awaitPredecessor();
  int64_t perRow = cols / Vec, total = int64_t(numRows) * perRow;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    int64_t r = i / perRow, c = (i % perRow) * Vec;
    const T *src = in + int64_t(rows[r]) * cols + c;
    if constexpr (Vec == 8)
      *reinterpret_cast<Vec8<T> *>(out + r * cols + c) =
          *reinterpret_cast<const Vec8<T> *>(src);
    else
      out[r * cols + c] = *src;
  }
}

} // namespace detail

template <typename T>
void embedding(cudaStream_t stream, const int32_t *tokens, const T *table,
               float scale, const T *pos_table, const int32_t *positions,
               T *out, int rows, int hidden) {
  static_assert(detail::isStorageType<T>(),
                "embedding: T must be half or __nv_bfloat16");
  if (rows <= 0)
    return;
  if (detail::vec8Aligned(hidden, table, pos_table, out))
    detail::launchDependent(
        detail::embeddingKernel<T, 8>,
        detail::elementwiseBlocks(int64_t(rows) * hidden / 8),
        detail::kElementwiseThreads, 0, stream, tokens, table, scale, pos_table,
        positions, out, rows, hidden);
  else
    detail::launchDependent(detail::embeddingKernel<T, 1>,
                            detail::elementwiseBlocks(int64_t(rows) * hidden),
                            detail::kElementwiseThreads, 0, stream, tokens,
                            table, scale, pos_table, positions, out, rows,
                            hidden);
}

template <typename T>
void add(cudaStream_t stream, const T *a, const T *b, T *out, int64_t n) {
  static_assert(detail::isStorageType<T>(),
                "add: T must be half or __nv_bfloat16");
  if (n <= 0)
    return;
  if (detail::vec8Aligned(n, a, b, out))
    detail::launchDependent(
        detail::addKernel<T, 8>, detail::elementwiseBlocks(n / 8),
        detail::kElementwiseThreads, 0, stream, a, b, out, n);
  else
    detail::launchDependent(
        detail::addKernel<T, 1>, detail::elementwiseBlocks(n),
        detail::kElementwiseThreads, 0, stream, a, b, out, n);
}

template <typename T>
void glu(cudaStream_t stream, const T *x, int ld, int gate_offset,
         int up_offset, int width, Activation act, T *out, int rows) {
  static_assert(detail::isStorageType<T>(),
                "glu: T must be half or __nv_bfloat16");
  if (rows <= 0)
    return;
  bool vec = detail::vec8Aligned(width, x, out) && ld % 8 == 0 &&
             gate_offset % 8 == 0 && up_offset % 8 == 0;
  if (vec)
    detail::launchDependent(
        detail::gluKernel<T, 8>,
        detail::elementwiseBlocks(int64_t(rows) * width / 8),
        detail::kElementwiseThreads, 0, stream, x, ld, gate_offset, up_offset,
        width, act, out, rows);
  else
    detail::launchDependent(detail::gluKernel<T, 1>,
                            detail::elementwiseBlocks(int64_t(rows) * width),
                            detail::kElementwiseThreads, 0, stream, x, ld,
                            gate_offset, up_offset, width, act, out, rows);
}

template <typename T>
void activation(cudaStream_t stream, T *x, int64_t n, Activation act) {
  static_assert(detail::isStorageType<T>(),
                "activation: T must be half or __nv_bfloat16");
  if (n <= 0)
    return;
  if (detail::vec8Aligned(n, x))
    detail::launchDependent(detail::activationKernel<T, 8>,
                            detail::elementwiseBlocks(n / 8),
                            detail::kElementwiseThreads, 0, stream, x, n, act);
  else
    detail::launchDependent(detail::activationKernel<T, 1>,
                            detail::elementwiseBlocks(n),
                            detail::kElementwiseThreads, 0, stream, x, n, act);
}

// out[r, c] = in[r, c] / scales[c] for `rows` rows of `cols` values (the
// input of a GEMM whose weight was quantized with AWQ input scales).
template <typename T>
void scale_columns(cudaStream_t stream, const T *in, const float *scales,
                   T *out, int rows, int cols) {
  static_assert(detail::isStorageType<T>(),
                "scale_columns: T must be half or __nv_bfloat16");
  if (rows <= 0 || cols <= 0)
    return;
  if (detail::vec8Aligned(cols, in, out, scales))
    detail::launchDependent(
        detail::scaleColumnsKernel<T, 8>,
        detail::elementwiseBlocks(int64_t(rows) * cols / 8),
        detail::kElementwiseThreads, 0, stream, in, scales, out, rows, cols);
  else
    detail::launchDependent(detail::scaleColumnsKernel<T, 1>,
                            detail::elementwiseBlocks(int64_t(rows) * cols),
                            detail::kElementwiseThreads, 0, stream, in, scales,
                            out, rows, cols);
}

template <typename T>
void gather_rows(cudaStream_t stream, const T *in, const int32_t *rows,
                 int num_rows, int cols, T *out) {
  static_assert(detail::isStorageType<T>(),
                "gather_rows: T must be half or __nv_bfloat16");
  if (num_rows <= 0)
    return;
  if (detail::vec8Aligned(cols, in, out))
    detail::launchDependent(
        detail::gatherRowsKernel<T, 8>,
        detail::elementwiseBlocks(int64_t(num_rows) * cols / 8),
        detail::kElementwiseThreads, 0, stream, in, rows, num_rows, cols, out);
  else
    detail::launchDependent(detail::gatherRowsKernel<T, 1>,
                            detail::elementwiseBlocks(int64_t(num_rows) * cols),
                            detail::kElementwiseThreads, 0, stream, in, rows,
                            num_rows, cols, out);
}

} // namespace sieve::rt
