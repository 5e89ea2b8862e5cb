// GEMM through cuBLASLt. A row-major [r, c] matrix is a column-major [c, r]
// one, so row-major out[rows, N] = in[rows, K] * w^T is, column-major,
// C[N, rows] = A^T * B with A = w viewed as K x N (ld K) and B = in viewed as
// K x rows (ld K): no data moves. fp32 compute and scale; the bias
// goes through the BIAS epilogue when the output is T, and through a small
// kernel when the output is float (the LM head), which keeps to the type
// combinations cuBLASLt documents. Descriptors and the heuristic's algorithm
// are cached per problem in a small static table, so a call inside a CUDA
// graph capture only sets the bias pointer and enqueues the matmul; the
// workspace comes from StepArgs.
//
// gemm() sends problems of at most kSkinnyDispatchRows rows (decode) to the
// bandwidth-bound kernel of skinny_gemm.cuh when K % 8 == 0 and the
// operands are 16-byte aligned, and everything else to cuBLASLt.
//
// The same plans serve FP8 (E4M3) operands (quant_gemm.cuh's prefill
// path): inType CUDA_R_8F_E4M3 for A and B (the TN layout above is the one
// cuBLASLt's FP8 kernels take), optionally with outer-vector scales
// (a per-row f32 scale of A, per-column of B, applied to the fp32 sums).
#pragma once

#include "common.cuh"
#include "skinny_gemm.cuh"
#include <cublasLt.h>

#include <mutex>

namespace sieve::rt {
namespace detail {

template <typename T> constexpr cudaDataType_t cudaTypeOf();
template <> constexpr cudaDataType_t cudaTypeOf<half>() { return CUDA_R_16F; }
template <> constexpr cudaDataType_t cudaTypeOf<__nv_bfloat16>() {
  return CUDA_R_16BF;
}
template <> constexpr cudaDataType_t cudaTypeOf<float>() { return CUDA_R_32F; }

struct GemmPlan {
  // Key.
  cublasLtHandle_t handle = nullptr;
  int m = 0, n = 0, k = 0;
  cudaDataType_t inType{}, outType{};
  bool bias = false;
  size_t workspace = 0;
  // Rows of C are ldc values apart; C's pointer is aligned to cAlign bytes
  // (the heuristic otherwise assumes 256 and may pick an algorithm that
  // needs it).
  int ldc = 0;
  uint32_t cAlign = 256;
  // The same for A and B (FP8: the activation codes live in the arena).
  uint32_t aAlign = 256, bAlign = 256;
  // FP8 operands: outer-vector scales (A_SCALE_MODE / B_SCALE_MODE
  // CUBLASLT_MATMUL_MATRIX_SCALE_OUTER_VEC_32F, the vectors' pointers set
  // per call) and cuBLASLt's fast accumulation (FAST_ACCUM: partial sums
  // not promoted to full fp32 precision).
  bool outerVecScales = false, fastAccum = false;
  // The outer-vector scales' pointers of the call that builds the plan:
  // cuBLASLt's heuristic refuses a vector scale mode without them (status
  // 7, CUBLAS_STATUS_INVALID_VALUE, on the H100 with cuBLAS 13); every call
  // sets its own. Not part of the key.
  const void *aScalesAtBuild = nullptr, *bScalesAtBuild = nullptr;
  // Value. `status` is not CUBLAS_STATUS_SUCCESS for a problem cuBLASLt
  // has no algorithm for (kept in the cache so that asking again costs no
  // heuristic call; no descriptors then).
  cublasStatus_t status = CUBLAS_STATUS_NOT_INITIALIZED;
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr;
  cublasLtMatmulAlgo_t algo{};

  bool matches(const GemmPlan &o) const {
    return handle == o.handle && m == o.m && n == o.n && k == o.k &&
           inType == o.inType && outType == o.outType && bias == o.bias &&
           workspace == o.workspace && ldc == o.ldc && cAlign == o.cAlign &&
           aAlign == o.aAlign && bAlign == o.bAlign &&
           outerVecScales == o.outerVecScales && fastAccum == o.fastAccum;
  }
};

// Whether this cuBLASLt's header has FP8 outer-vector scales (cuBLAS 12.9
// added them for Hopper; the library still decides per problem).
#if defined(CUBLAS_VERSION) && CUBLAS_VERSION >= 120900
constexpr bool kLtOuterVecScales = true;
#else
constexpr bool kLtOuterVecScales = false;
#endif

// Builds descriptors and asks the heuristic for the best algorithm.
inline cublasStatus_t buildGemmPlan(GemmPlan &p) {
  cublasStatus_t s;
#define SIEVE_LT(call)                                                         \
  if ((s = (call)) != CUBLAS_STATUS_SUCCESS)                                   \
    return s;
  SIEVE_LT(cublasLtMatmulDescCreate(&p.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F));
  cublasOperation_t transA = CUBLAS_OP_T, transB = CUBLAS_OP_N;
  SIEVE_LT(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSA,
                                          &transA, sizeof transA));
  SIEVE_LT(cublasLtMatmulDescSetAttribute(p.desc, CUBLASLT_MATMUL_DESC_TRANSB,
                                          &transB, sizeof transB));
  if (p.bias) {
    cublasLtEpilogue_t epi = CUBLASLT_EPILOGUE_BIAS;
    SIEVE_LT(cublasLtMatmulDescSetAttribute(
        p.desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi, sizeof epi));
  }
  if (p.inType == CUDA_R_8F_E4M3) {
    const int8_t fast = p.fastAccum ? 1 : 0;
    SIEVE_LT(cublasLtMatmulDescSetAttribute(
        p.desc, CUBLASLT_MATMUL_DESC_FAST_ACCUM, &fast, sizeof fast));
  }
  if (p.outerVecScales) {
#if defined(CUBLAS_VERSION) && CUBLAS_VERSION >= 120900
    const int32_t mode = CUBLASLT_MATMUL_MATRIX_SCALE_OUTER_VEC_32F;
    SIEVE_LT(cublasLtMatmulDescSetAttribute(
        p.desc, CUBLASLT_MATMUL_DESC_A_SCALE_MODE, &mode, sizeof mode));
    SIEVE_LT(cublasLtMatmulDescSetAttribute(
        p.desc, CUBLASLT_MATMUL_DESC_B_SCALE_MODE, &mode, sizeof mode));
    SIEVE_LT(cublasLtMatmulDescSetAttribute(
        p.desc, CUBLASLT_MATMUL_DESC_A_SCALE_POINTER, &p.aScalesAtBuild,
        sizeof p.aScalesAtBuild));
    SIEVE_LT(cublasLtMatmulDescSetAttribute(
        p.desc, CUBLASLT_MATMUL_DESC_B_SCALE_POINTER, &p.bScalesAtBuild,
        sizeof p.bScalesAtBuild));
#else
    return CUBLAS_STATUS_NOT_SUPPORTED;
#endif
  }
  SIEVE_LT(cublasLtMatrixLayoutCreate(&p.a, p.inType, p.k, p.m, p.k));
  SIEVE_LT(cublasLtMatrixLayoutCreate(&p.b, p.inType, p.k, p.n, p.k));
  SIEVE_LT(cublasLtMatrixLayoutCreate(&p.c, p.outType, p.m, p.n, p.ldc));
  cublasLtMatmulPreference_t pref;
  SIEVE_LT(cublasLtMatmulPreferenceCreate(&pref));
  // Each attribute is set only while every earlier one succeeded.
  s = CUBLAS_STATUS_SUCCESS;
  auto prefer = [&](cublasLtMatmulPreferenceAttributes_t attribute, const auto &value) {
    if (s == CUBLAS_STATUS_SUCCESS)
      s = cublasLtMatmulPreferenceSetAttribute(pref, attribute, &value, sizeof value);
  };
  prefer(CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, p.workspace);
  prefer(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, p.aAlign);
  prefer(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, p.bAlign);
  prefer(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, p.cAlign);
  prefer(CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, p.cAlign);
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  if (s == CUBLAS_STATUS_SUCCESS)
    s = cublasLtMatmulAlgoGetHeuristic(p.handle, p.desc, p.a, p.b, p.c, p.c,
                                       pref, 1, &result, &found);
  cublasLtMatmulPreferenceDestroy(pref);
  if (s != CUBLAS_STATUS_SUCCESS)
    return s;
  if (found == 0)
    return CUBLAS_STATUS_NOT_SUPPORTED;
  p.algo = result.algo;
  return CUBLAS_STATUS_SUCCESS;
#undef SIEVE_LT
}

inline void destroyGemmPlan(GemmPlan &p) {
  if (p.a)
    cublasLtMatrixLayoutDestroy(p.a);
  if (p.b)
    cublasLtMatrixLayoutDestroy(p.b);
  if (p.c)
    cublasLtMatrixLayoutDestroy(p.c);
  if (p.desc)
    cublasLtMatmulDescDestroy(p.desc);
  p = GemmPlan{};
}

// The plan cache: a model has a handful of distinct GEMM shapes per batch
// size, so a small table with round-robin replacement suffices. The lock is
// held for the whole call: the bias pointer is set on the cached descriptor
// and a replaced plan's descriptors are destroyed.
constexpr int kGemmPlanSlots = 128;
struct GemmPlanCache {
  std::mutex mutex;
  GemmPlan plans[kGemmPlanSlots];
  int used = 0, next = 0;
};
inline GemmPlanCache &gemmPlanCache() {
  static GemmPlanCache cache;
  return cache;
}

// The cached plan for `key`, built (descriptors and the heuristic's
// algorithm) on first use; its `status` says whether cuBLASLt has an
// algorithm; `*built` whether this call built it. Call with the cache's
// mutex held; the reference stays valid while it is held.
inline GemmPlan &cachedGemmPlan(GemmPlanCache &cache, const GemmPlan &key,
                                bool *built = nullptr) {
  if (built)
    *built = false;
  for (int i = 0; i < cache.used; ++i)
    if (cache.plans[i].matches(key))
      return cache.plans[i];
  if (built)
    *built = true;
  bool appended = cache.used < kGemmPlanSlots;
  int slot = appended ? cache.used++ : cache.next;
  if (!appended)
    cache.next = (cache.next + 1) % kGemmPlanSlots;
  GemmPlan &plan = cache.plans[slot];
  destroyGemmPlan(plan);
  plan = key;
  plan.status = buildGemmPlan(plan);
  if (plan.status != CUBLAS_STATUS_SUCCESS) {
    const cublasStatus_t status = plan.status;
    destroyGemmPlan(plan);
    plan = key;
    plan.status = status;
  }
  return plan;
}

// The pointers of one call of a plan. `aScales` / `bScales`: the
// outer-vector scales (plans with outerVecScales).
struct LtOperands {
  const void *a, *b, *c;
  void *d;
  const void *bias = nullptr;
  const float *aScales = nullptr, *bScales = nullptr;
  float beta = 0.f;
};

// Enqueues D = A^T B (scaled, + bias, + beta C) with a plan whose status
// is success; the per-call pointers are set on its cached descriptor (the
// cache's mutex held).
inline cublasStatus_t runGemmPlan(const StepArgs &args, GemmPlan &plan,
                                  const LtOperands &op) {
  if (plan.bias)
    cublasLtMatmulDescSetAttribute(plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER,
                                   &op.bias, sizeof op.bias);
  if (plan.outerVecScales) {
    cublasLtMatmulDescSetAttribute(plan.desc,
                                   CUBLASLT_MATMUL_DESC_A_SCALE_POINTER,
                                   &op.aScales, sizeof op.aScales);
    cublasLtMatmulDescSetAttribute(plan.desc,
                                   CUBLASLT_MATMUL_DESC_B_SCALE_POINTER,
                                   &op.bScales, sizeof op.bScales);
  }
  const float alpha = 1.f;
  return cublasLtMatmul(plan.handle, plan.desc, &alpha, op.a, plan.a, op.b,
                        plan.b, &op.beta, op.c, plan.c, op.d, plan.c,
                        &plan.algo, args.gemm_workspace,
                        args.gemm_workspace_bytes, args.stream);
}

// out[rows, N] (rows ldOut apart) += bias[N] for float outputs, whose
// bias the BIAS epilogue does not take in the type combinations used here.
template <typename T, typename OutT>
void addBias(cudaStream_t stream, const T *bias, OutT *out, int rows, int N,
             int ldOut);

template <typename OutT>
__global__ void addBiasKernel(OutT *out, const void *bias, bool biasIsBf16,
                              int rows, int n, int ld) {
  awaitPredecessor();
  int64_t total = int64_t(rows) * n;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total;
       i += int64_t(gridDim.x) * blockDim.x) {
    int col = static_cast<int>(i % n);
    float b = biasIsBf16
                  ? toFloat(static_cast<const __nv_bfloat16 *>(bias)[col])
                  : toFloat(static_cast<const half *>(bias)[col]);
    OutT *o = out + (i / n) * ld + col;
    *o = fromFloat<OutT>(toFloat(*o) + b);
  }
}

// Largest power of two up to 256 dividing p's address.
inline uint32_t pointerAlignment(const void *p) {
  uintptr_t a = reinterpret_cast<uintptr_t>(p) | 256;
  return static_cast<uint32_t>(a & (~a + 1));
}

// The plan key of out[rows, N] (rows ldOut apart) = in[rows, K] * w^T.
inline GemmPlan gemmPlanKey(const StepArgs &args, int rows, int N, int K,
                            cudaDataType_t inType, cudaDataType_t outType,
                            bool bias, const void *in, const void *w,
                            const void *out, int ldOut) {
  GemmPlan key;
  key.handle = static_cast<cublasLtHandle_t>(args.cublaslt);
  key.m = N;
  key.n = rows;
  key.k = K;
  key.inType = inType;
  key.outType = outType;
  key.bias = bias;
  key.workspace = args.gemm_workspace_bytes;
  key.ldc = ldOut;
  key.aAlign = pointerAlignment(w);
  key.bAlign = pointerAlignment(in);
  key.cAlign = pointerAlignment(out);
  return key;
}

// The cuBLASLt path of gemm() (any rows; also what the benchmarks compare
// the skinny kernel with). With `residual` (OutT == T), out = residual +
// the product: cuBLASLt's C operand with beta 1, no extra launch. Rows of
// `out` are ldOut values apart (0: N).
template <typename T, typename OutT>
void gemmCublasLt(const StepArgs &args, const T *in, const T *w, const T *bias,
                  OutT *out, int rows, int N, int K,
                  const T *residual = nullptr, int ldOut = 0) {
  if (ldOut <= 0)
    ldOut = N;
  constexpr bool epilogueBias = std::is_same_v<OutT, T>;
  if (!std::is_same_v<OutT, T> && residual) {
    detail::recordLauncherError("gemm: a residual needs a T output", 0);
    return;
  }
  const detail::GemmPlan key =
      gemmPlanKey(args, rows, N, K, detail::cudaTypeOf<T>(),
                  detail::cudaTypeOf<OutT>(), epilogueBias && bias, in, w, out,
                  ldOut);
  detail::GemmPlanCache &cache = detail::gemmPlanCache();
  std::lock_guard<std::mutex> lock(cache.mutex);
  detail::GemmPlan &plan = detail::cachedGemmPlan(cache, key);
  if (plan.status != CUBLAS_STATUS_SUCCESS) {
    detail::recordLauncherError(
        "gemm: cuBLASLt found no algorithm for the problem", plan.status);
    return;
  }
  LtOperands op;
  op.a = w;
  op.b = in;
  op.c = residual ? static_cast<const void *>(residual)
                  : static_cast<const void *>(out);
  op.d = out;
  op.bias = bias;
  op.beta = residual ? 1.f : 0.f;
  cublasStatus_t s = runGemmPlan(args, plan, op);
  if (s != CUBLAS_STATUS_SUCCESS) {
    detail::recordLauncherError("gemm: cublasLtMatmul failed", s);
    return;
  }
  if constexpr (!epilogueBias)
    if (bias)
      addBias(args.stream, bias, out, rows, N, ldOut);
}

template <typename T, typename OutT>
void addBias(cudaStream_t stream, const T *bias, OutT *out, int rows, int N,
             int ldOut) {
  int blocks = detail::ceilDiv(int64_t(rows) * N, 256);
  detail::launchDependent(detail::addBiasKernel<OutT>,
                          std::min(blocks, 65535 * 8), 256, 0, stream, out,
                          static_cast<const void *>(bias),
                          std::is_same_v<T, __nv_bfloat16>, rows, N, ldOut);
}

} // namespace detail

template <typename T, typename OutT>
void gemm(const StepArgs &args, const T *in, const T *w, const T *bias,
          OutT *out, int rows, int N, int K) {
  static_assert(detail::isStorageType<T>(),
                "gemm: T must be half or __nv_bfloat16");
  static_assert(std::is_same_v<OutT, T> || std::is_same_v<OutT, float>,
                "gemm: the output is T or float");
  if (rows <= 0 || N <= 0)
    return;
  if (detail::skinnyGemmApplies(in, w, rows, K))
    detail::skinnyGemm(args.stream, in, w, bias, out, rows, N, K);
  else
    detail::gemmCublasLt(args, in, w, bias, out, rows, N, K);
}

} // namespace sieve::rt
