// GEMM for few activation rows (decode): out[rows, N] = in[rows, K] * w^T
// (+ bias), w row-major [N, K], for rows <= kSkinnyMaxRows. At these sizes
// the product is bound by reading the weights once, and cuBLASLt's tiles
// leave much of the bandwidth unused, so this kernel is organized around
// the weight stream:
//
// - a CTA owns F output features (all rows of them) and its 256 threads
//   stride over K in 16-byte chunks (8 values), so every weight row is read
//   by 16-byte streaming loads (ld.global.nc.L1::no_allocate: each byte is
//   used once) and a thread has F (or 2F) independent loads in flight;
// - the activations (at most 16 x K values) are read through the read-only
//   cache: every CTA reads all of them, so they stay in L1/L2, and one
//   activation load serves F features;
// - products accumulate in fp32 registers acc[F][R]; the block reduction is
//   a warp reduce-scatter (each step halves the values a lane keeps, so F*R
//   sums cost about F*R shuffles instead of 5*F*R) and then one shared-memory
//   pass over the 8 warps.
//
// Rows are bucketed to R in {1, 2, 4, 8, 16}; padding rows and features past
// N read clamped (valid) addresses and are not stored. Requires K % 8 == 0
// and 16-byte-aligned `in` and `w` (skinnyGemmSupports); gemm() uses it up
// to kSkinnyDispatchRows rows and cuBLASLt otherwise. Only enqueues a kernel:
// graph-capture safe.
#pragma once

#include "common.cuh"

namespace sieve::rt::detail {

constexpr int kSkinnyMaxRows = 16;
constexpr int kSkinnyThreads = 256;
// gemm() dispatches here only up to this many rows. Measured on the H100
// (bench/results/runtime_kernels.txt): 1.13-1.69x faster than cuBLASLt at
// rows 1 and 2 on every Llama-3.2-1B shape, but at rows 8 and 16 the fp32
// FMAs and conversions (8 * rows per 16-byte weight load) make it
// compute-bound and up to 2.8x slower on the large shapes; more rows need a
// tensor-core (mma) version.
constexpr int kSkinnyDispatchRows = 2;

// The kernel's own requirements (rows up to kSkinnyMaxRows).
inline bool skinnyGemmSupports(const void *in, const void *w, int rows, int K) {
  return rows >= 1 && rows <= kSkinnyMaxRows && K > 0 && vec8Aligned(K, in, w);
}
// Whether gemm() takes the skinny kernel.
inline bool skinnyGemmApplies(const void *in, const void *w, int rows, int K) {
  return rows <= kSkinnyDispatchRows && skinnyGemmSupports(in, w, rows, K);
}

// A 16-byte load that bypasses L1 (weights are read exactly once).
__device__ __forceinline__ uint4 loadStreaming(const uint4 *p) {
  uint4 v;
  asm("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
      : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
      : "l"(p));
  return v;
}

template <typename T>
__device__ __forceinline__ void unpack8(const uint4 &v, float (&f)[8]) {
  const uint32_t words[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    float2 p;
    if constexpr (std::is_same_v<T, half>)
      p = __half22float2(*reinterpret_cast<const __half2 *>(&words[i]));
    else
      p = __bfloat1622float2(
          *reinterpret_cast<const __nv_bfloat162 *>(&words[i]));
    f[2 * i] = p.x;
    f[2 * i + 1] = p.y;
  }
}

// Where the skinny kernel's activation rows come from. `load(r, c, xf)`
// gives values [8c, 8c + 8) of activation row r; `begin(rows)` runs once
// per CTA after awaitPredecessor (all threads), before any load.
// PlainRows: the rows of `in` (row stride K) as they are.
template <typename T> struct PlainRows {
  const uint4 *in;
  int chunks;
  __device__ __forceinline__ void begin(int) {}
  __device__ __forceinline__ void load(int r, int c, float (&xf)[8]) const {
    unpack8<T>(__ldg(in + size_t(r) * chunks + c), xf);
  }
};

// acc[f][r] += dot(weights chunk f, activation row r's chunk `c`).
template <typename T, int R, int F, typename X>
__device__ __forceinline__ void
skinnyChunk(float (&acc)[F][R], const uint4 (&wraw)[F], const X &x, int c,
            int rows) {
  float wf[F][8];
#pragma unroll
  for (int f = 0; f < F; ++f)
    unpack8<T>(wraw[f], wf[f]);
#pragma unroll
  for (int r = 0; r < R; ++r) {
    const int rr = r < rows ? r : rows - 1;
    float xf[8];
    x.load(rr, c, xf);
#pragma unroll
    for (int f = 0; f < F; ++f)
#pragma unroll
      for (int j = 0; j < 8; ++j)
        acc[f][r] = fmaf(wf[f][j], xf[j], acc[f][r]);
  }
}

// Warp reduce-scatter of v[0, N) (the first call has N = F*R values): each
// step exchanges half of the live values with the lane `Offset` away and
// keeps the lower or upper half summed. Afterwards a lane holds
// max(N/32, 1) sums: for N >= 32 lane l holds values [l*N/32, (l+1)*N/32);
// for N < 32 it holds value l / (32/N).
template <int N, int Offset>
__device__ __forceinline__ void reduceScatter(float *v, int lane) {
  if constexpr (Offset > 0) {
    if constexpr (N >= 2) {
      constexpr int H = N / 2;
      const bool upper = lane & Offset;
#pragma unroll
      for (int i = 0; i < H; ++i) {
        float send = upper ? v[i] : v[i + H];
        float keep = upper ? v[i + H] : v[i];
        v[i] = keep + __shfl_xor_sync(0xffffffffu, send, Offset);
      }
      reduceScatter<H, Offset / 2>(v, lane);
    } else {
      v[0] += __shfl_xor_sync(0xffffffffu, v[0], Offset);
      reduceScatter<1, Offset / 2>(v, lane);
    }
  }
}

// Reduces the NV accumulators of each lane over the warp and stores the
// warp's NV sums at `out` (reduce-scatter, then each lane stores what it
// kept). `v` is clobbered.
template <int NV> __device__ __forceinline__ void warpPartials(float *v, int lane, float *out) {
  reduceScatter<NV, 16>(v, lane);
  if constexpr (NV >= 32) {
#pragma unroll
    for (int i = 0; i < NV / 32; ++i)
      out[lane * (NV / 32) + i] = v[i];
  } else if (lane % (32 / NV) == 0) {
    out[lane / (32 / NV)] = v[0];
  }
}

// X (PlainRows, or a fused prologue of fused_gemm.cuh) supplies the
// activation rows. With `residual` (OutT == T only), the stored value is
// residual + the product rounded to T, rounded again: exactly what the
// product stored and then added by a separate launch would give.
template <typename T, typename OutT, int R, int F, typename X>
__global__ void __launch_bounds__(kSkinnyThreads)
    skinnyGemmKernel(X x, const T *__restrict__ w, const T *__restrict__ bias,
                     const T *__restrict__ residual, OutT *__restrict__ out,
                     int rows, int N, int K) {
  constexpr int NV = F * R, Warps = kSkinnyThreads / 32;
  __shared__ float partial[Warps][NV];
  const int n0 = blockIdx.x * F, chunks = K / 8;
  const uint4 *wrow[F];
#pragma unroll
  for (int f = 0; f < F; ++f)
    wrow[f] =
        reinterpret_cast<const uint4 *>(w + size_t(min(n0 + f, N - 1)) * K);

  float acc[F][R] = {};
  int c = threadIdx.x;
  // The first two chunks' weights are loaded before waiting for the
  // predecessor kernel (weights are constant): under programmatic
  // dependent launch this streaming overlaps the kernels before it.
  uint4 a[F], b[F];
  const bool firstTwo = c + kSkinnyThreads < chunks, firstOne = c < chunks;
#pragma unroll
  for (int f = 0; f < F; ++f) {
    if (firstOne)
      a[f] = loadStreaming(wrow[f] + c);
    if (firstTwo)
      b[f] = loadStreaming(wrow[f] + c + kSkinnyThreads);
  }
  awaitPredecessor();
  x.begin(rows);
  if (firstTwo) {
    skinnyChunk<T, R, F>(acc, a, x, c, rows);
    skinnyChunk<T, R, F>(acc, b, x, c + kSkinnyThreads, rows);
    c += 2 * kSkinnyThreads;
    // Two chunks per iteration: 2F weight loads are issued before any use.
    for (; c + kSkinnyThreads < chunks; c += 2 * kSkinnyThreads) {
#pragma unroll
      for (int f = 0; f < F; ++f) {
        a[f] = loadStreaming(wrow[f] + c);
        b[f] = loadStreaming(wrow[f] + c + kSkinnyThreads);
      }
      skinnyChunk<T, R, F>(acc, a, x, c, rows);
      skinnyChunk<T, R, F>(acc, b, x, c + kSkinnyThreads, rows);
    }
    if (c < chunks) {
#pragma unroll
      for (int f = 0; f < F; ++f)
        a[f] = loadStreaming(wrow[f] + c);
      skinnyChunk<T, R, F>(acc, a, x, c, rows);
    }
  } else if (firstOne) {
    skinnyChunk<T, R, F>(acc, a, x, c, rows);
  }

  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  float *v = &acc[0][0];
  warpPartials<NV>(v, lane, partial[warp]);
  __syncthreads();
  for (int t = threadIdx.x; t < NV; t += kSkinnyThreads) {
    const int f = t / R, r = t % R, n = n0 + f;
    if (n >= N || r >= rows)
      continue;
    float sum = bias ? toFloat(bias[n]) : 0.f;
#pragma unroll
    for (int i = 0; i < Warps; ++i)
      sum += partial[i][t];
    const size_t at = size_t(r) * N + n;
    if (residual)
      sum = toFloat(roundTo<T>(sum)) + toFloat(residual[at]);
    out[at] = fromFloat<OutT>(sum);
  }
}

// More features per CTA amortize activation loads; with 16 rows the
// accumulators (F*R floats) bound F.
template <int R> constexpr int skinnyFeatures() { return R <= 4 ? 8 : 4; }

template <typename T, typename OutT, int R, typename X>
void launchSkinny(cudaStream_t stream, const X &x, const T *w, const T *bias,
                  const T *residual, OutT *out, int rows, int N, int K) {
  constexpr int F = skinnyFeatures<R>();
  detail::launchDependent(skinnyGemmKernel<T, OutT, R, F, X>, ceilDiv(N, F),
                          kSkinnyThreads, 0, stream, x, w, bias, residual, out,
                          rows, N, K);
}

// out[rows, N] = in[rows, K] * w^T (+ bias) (+ residual, OutT == T); the
// caller checked skinnyGemmSupports.
template <typename T, typename OutT>
void skinnyGemm(cudaStream_t stream, const T *in, const T *w, const T *bias,
                OutT *out, int rows, int N, int K,
                const T *residual = nullptr) {
  const PlainRows<T> x{reinterpret_cast<const uint4 *>(in), K / 8};
  if (rows == 1)
    launchSkinny<T, OutT, 1>(stream, x, w, bias, residual, out, rows, N, K);
  else if (rows == 2)
    launchSkinny<T, OutT, 2>(stream, x, w, bias, residual, out, rows, N, K);
  else if (rows <= 4)
    launchSkinny<T, OutT, 4>(stream, x, w, bias, residual, out, rows, N, K);
  else if (rows <= 8)
    launchSkinny<T, OutT, 8>(stream, x, w, bias, residual, out, rows, N, K);
  else
    launchSkinny<T, OutT, 16>(stream, x, w, bias, residual, out, rows, N, K);
}

} // namespace sieve::rt::detail
