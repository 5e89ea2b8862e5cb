// The decode step's GEMMs with their small neighbours fused in
// (kernel.fused_gemm, passes/FuseDecode.cpp): the input's RMSNorm or GLU
// is computed while the skinny kernel stages its activations, and the
// residual add is its epilogue. That removes the norm and GLU launches
// (and their round trips through memory) between the GEMVs of a layer.
//
// - RMSNorm prologue: each CTA first reads the whole row of `in` (K values,
//   2-8 KB, L2-resident: every CTA reads the same row) to form its inverse
//   RMS, then scales each staged value by it and by (weight + offset).
// - GLU prologue: x[i] = act(in[gate_offset + i]) * in[up_offset + i].
// Each staged value is rounded to T, as the separate norm / GLU launch
// stores it, so the fused product equals the un-fused one up to the order
// of the inverse-RMS sum.
//
// The fused kernel is the skinny kernel, so fused_gemm takes it exactly
// where gemm() would (rows <= kSkinnyDispatchRows, 16-byte aligned rows);
// otherwise (prefill-sized batches, odd shapes) it runs the un-fused
// launches: norm or GLU into `staged`, then gemm() with the residual as
// cuBLASLt's C operand (or the skinny kernel's epilogue). Only enqueues
// work: graph-capture safe.
#pragma once

#include "common.cuh"
#include "elementwise.cuh"
#include "gemm.cuh"
#include "norm.cuh"

namespace sieve::rt {
namespace detail {

// Activation rows normalized on the fly (RMSNorm of each row of `in`).
template <typename T, int R> struct RmsNormRows {
  const uint4 *in, *weight;
  float offset, eps;
  int chunks;
  float inv[R];

  // Inverse RMS of each row: every CTA reads the rows whole.
  __device__ __forceinline__ void begin(int rows) {
    __shared__ float scratch[32];
#pragma unroll
    for (int r = 0; r < R; ++r) {
      const int rr = r < rows ? r : rows - 1;
      float sq = 0.f;
      for (int c = threadIdx.x; c < chunks; c += blockDim.x) {
        float v[8];
        unpack8<T>(__ldg(in + size_t(rr) * chunks + c), v);
#pragma unroll
        for (int j = 0; j < 8; ++j)
          sq += v[j] * v[j];
      }
      inv[r] = rsqrtf(blockSum(sq, scratch) / (8.f * chunks) + eps);
    }
  }
  __device__ __forceinline__ void load(int r, int c, float (&xf)[8]) const {
    float wf[8];
    unpack8<T>(__ldg(in + size_t(r) * chunks + c), xf);
    unpack8<T>(__ldg(weight + c), wf);
    float s = 0.f;
#pragma unroll
    for (int j = 0; j < R; ++j) // inv[r] without dynamic register indexing
      s = j == r ? inv[j] : s;
#pragma unroll
    for (int j = 0; j < 8; ++j)
      xf[j] = toFloat(roundTo<T>(xf[j] * s * (wf[j] + offset)));
  }
};

// Activation rows gated on the fly: act(gate columns) * up columns of the
// rows of `in` (row stride ld).
template <typename T> struct GluRows {
  const uint4 *in;
  int ldChunks, gateChunk, upChunk;
  Activation act;
  __device__ __forceinline__ void begin(int) {}
  __device__ __forceinline__ void load(int r, int c, float (&xf)[8]) const {
    const uint4 *row = in + size_t(r) * ldChunks + c;
    float up[8];
    unpack8<T>(__ldg(row + gateChunk), xf);
    unpack8<T>(__ldg(row + upChunk), up);
#pragma unroll
    for (int j = 0; j < 8; ++j)
      xf[j] = toFloat(roundTo<T>(activate(xf[j], act) * up[j]));
  }
};

// The rows counts the fused kernel is instantiated for: fused_gemm takes it
// only where gemm() takes the skinny kernel.
static_assert(kSkinnyDispatchRows == 2,
              "fusedSkinny instantiates rows 1 and 2: extend it");

template <typename T, template <int> class Rows>
void fusedSkinny(cudaStream_t stream, const Rows<1> &one, const Rows<2> &two,
                 const T *w, const T *bias, const T *residual, T *out,
                 int rows, int N, int K) {
  if (rows == 1)
    launchSkinny<T, T, 1>(stream, one, w, bias, residual, out, rows, N, K);
  else
    launchSkinny<T, T, 2>(stream, two, w, bias, residual, out, rows, N, K);
}

template <typename T> struct RmsRowsOf {
  template <int R> using type = RmsNormRows<T, R>;
};
template <typename T> struct GluRowsOf {
  template <int R> using type = GluRows<T>;
};

// The fused kernel, when it applies (the shapes and pointers allow 16-byte
// accesses of every operand it reads, at most kSkinnyDispatchRows rows).
template <typename T>
bool fusedGemmLaunch(cudaStream_t stream, const T *in,
                     const GemmPrologue<T> &p, const T *w, const T *bias,
                     const T *residual, T *out, int rows, int N, int K) {
  if (rows > kSkinnyDispatchRows || !vec8Aligned(K, in, w))
    return false;
  const uint4 *x = reinterpret_cast<const uint4 *>(in);
  switch (p.kind) {
  case GemmPrologue<T>::Kind::None:
    return false;
  case GemmPrologue<T>::Kind::RmsNorm: {
    if (!vec8Aligned(K, p.norm_weight))
      return false;
    const uint4 *nw = reinterpret_cast<const uint4 *>(p.norm_weight);
    RmsNormRows<T, 1> one{x, nw, p.weight_offset, p.eps, K / 8, {}};
    RmsNormRows<T, 2> two{x, nw, p.weight_offset, p.eps, K / 8, {}};
    fusedSkinny<T, RmsRowsOf<T>::template type>(stream, one, two, w, bias,
                                                residual, out, rows, N, K);
    return true;
  }
  case GemmPrologue<T>::Kind::Glu: {
    if (p.ld % 8 || p.gate_offset % 8 || p.up_offset % 8)
      return false;
    GluRows<T> g{x, p.ld / 8, p.gate_offset / 8, p.up_offset / 8, p.act};
    fusedSkinny<T, GluRowsOf<T>::template type>(stream, g, g, w, bias,
                                                residual, out, rows, N, K);
    return true;
  }
  }
  return false;
}

} // namespace detail

template <typename T>
void fused_gemm(const StepArgs &args, const T *in,
                const GemmPrologue<T> &prologue, const T *w, const T *bias,
                const T *residual, T *out, int rows, int N, int K) {
  static_assert(detail::isStorageType<T>(),
                "fused_gemm: T must be half or __nv_bfloat16");
  if (rows <= 0 || N <= 0)
    return;
  using Kind = typename GemmPrologue<T>::Kind;
  if (detail::fusedGemmLaunch(args.stream, in, prologue, w, bias, residual,
                              out, rows, N, K))
    return;
  // The un-fused launches.
  const T *x = in;
  if (prologue.kind != Kind::None) {
    if (!prologue.staged) {
      detail::recordLauncherError("fused_gemm: no staging buffer for the "
                                  "un-fused prologue",
                                  0);
      return;
    }
    if (prologue.kind == Kind::RmsNorm)
      add_rms_norm<T>(args.stream, in, nullptr, nullptr, prologue.norm_weight,
                      prologue.weight_offset, prologue.eps, prologue.staged,
                      rows, K);
    else
      glu<T>(args.stream, in, prologue.ld, prologue.gate_offset,
             prologue.up_offset, K, prologue.act, prologue.staged, rows);
    x = prologue.staged;
  }
  if (detail::skinnyGemmApplies(x, w, rows, K))
    detail::skinnyGemm<T, T>(args.stream, x, w, bias, out, rows, N, K,
                             residual);
  else
    detail::gemmCublasLt<T, T>(args, x, w, bias, out, rows, N, K, residual);
}

} // namespace sieve::rt
