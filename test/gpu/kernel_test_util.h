// Helpers shared by the kernel tests (kernel_test.cu, quant_gemm_test.cu,
// fused_gemm_test.cu): launcher failures as test failures, the fp64 GEMM
// reference, and a cuBLASLt handle with its workspace.
#pragma once

#include "sieve_kernels.cuh"
#include "test_util.h"

#include <cublasLt.h>

#include <algorithm>
#include <vector>

namespace test {

// The cuBLASLt handle and workspace that gemm() and gemm_quant() take
// through StepArgs.
struct LtContext {
  cublasLtHandle_t handle;
  void *workspace;
  size_t bytes = 32u << 20;
  LtContext() {
    cublasLtCreate(&handle);
    CUDA_OK(cudaMalloc(&workspace, bytes));
  }
  ~LtContext() {
    cublasLtDestroy(handle);
    cudaFree(workspace);
  }
  sieve::rt::StepArgs args(cudaStream_t s = 0) const {
    sieve::rt::StepArgs a{};
    a.stream = s;
    a.cublaslt = handle;
    a.gemm_workspace = workspace;
    a.gemm_workspace_bytes = bytes;
    return a;
  }
};

// A failure a launcher recorded (launchers return void) as a test failure.
inline bool launcherOk(const char *what) {
  char msg[256];
  if (sieve::rt::takeLauncherError(msg, sizeof msg)) {
    expect(what, false, msg);
    return false;
  }
  return true;
}

// out[r, n] = bias[n] + sum_k in[r, k] * w[n, k] in fp64.
inline std::vector<float> gemmRef(const std::vector<float> &in, const std::vector<float> &w,
                                  const std::vector<float> *bias, int rows, int N, int K) {
  std::vector<float> ref(size_t(rows) * N);
  for (int r = 0; r < rows; ++r)
    for (int n = 0; n < N; ++n) {
      const float *x = &in[size_t(r) * K], *wr = &w[size_t(n) * K];
      double acc = bias ? (*bias)[n] : 0.0;
      for (int k = 0; k < K; ++k)
        acc += double(x[k]) * wr[k];
      ref[size_t(r) * N + n] = float(acc);
    }
  return ref;
}

// Median milliseconds of `fn` over `reps` runs, timed with events.
template <typename F> float timeMs(F fn, int reps = 30) {
  cudaEvent_t s, e;
  cudaEventCreate(&s);
  cudaEventCreate(&e);
  fn();
  CUDA_OK(cudaDeviceSynchronize());
  std::vector<float> t;
  for (int i = 0; i < reps; ++i) {
    cudaEventRecord(s);
    fn();
    cudaEventRecord(e);
    cudaEventSynchronize(e);
    float ms;
    cudaEventElapsedTime(&ms, s, e);
    t.push_back(ms);
  }
  CUDA_OK(cudaGetLastError());
  cudaEventDestroy(s);
  cudaEventDestroy(e);
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// Device-to-device copy bandwidth (bytes read + written per second) of a
// 1 GiB buffer: the floor the decode GEMM tables compare with.
inline double copyGBs() {
  size_t bytes = size_t(1) << 30;
  Dev<char> a(bytes), b(bytes);
  CUDA_OK(cudaMemset(a.p, 1, bytes));
  float ms = timeMs([&] { cudaMemcpyAsync(b.p, a.p, bytes, cudaMemcpyDeviceToDevice); }, 20);
  return 2.0 * bytes / ms / 1e6;
}

} // namespace test
