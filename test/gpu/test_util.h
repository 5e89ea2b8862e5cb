// Shared helpers of the GPU runtime tests: host conversions to the storage
// types, random data, device buffers, and error reports that print
// PASS/FAIL lines and count failures for the exit status.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace test {

inline int &failures() {
  static int n = 0;
  return n;
}

// Whether a CUDA device is present; when not, prints "SKIP TEST: no CUDA
// device" (the caller then exits with 77, the runners' skip status).
inline bool haveDevice(const char *testName) {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) == cudaSuccess && devices > 0)
    return true;
  std::printf("SKIP %s: no CUDA device\n", testName);
  return false;
}

#define CUDA_OK(call)                                                                            \
  do {                                                                                           \
    cudaError_t e_ = (call);                                                                     \
    if (e_ != cudaSuccess) {                                                                     \
      std::fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_)); \
      std::exit(2);                                                                              \
    }                                                                                            \
  } while (0)

template <typename T> const char *typeName();
template <> inline const char *typeName<half>() { return "f16"; }
template <> inline const char *typeName<__nv_bfloat16>() { return "bf16"; }

template <typename T> inline T toT(float v);
template <> inline half toT<half>(float v) { return __float2half_rn(v); }
template <> inline __nv_bfloat16 toT<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }
inline float toF(half v) { return __half2float(v); }
inline float toF(__nv_bfloat16 v) { return __bfloat162float(v); }
inline float toF(float v) { return v; }
template <typename T> inline float roundT(float v) { return toF(toT<T>(v)); }

inline std::mt19937 &rng() {
  static std::mt19937 g(12345);
  return g;
}
inline float uniform(float lo, float hi) {
  return std::uniform_real_distribution<float>(lo, hi)(rng());
}

// Random values already rounded to T, as floats (the reference's inputs).
template <typename T> std::vector<float> randomT(size_t n, float lo = -1.f, float hi = 1.f) {
  std::vector<float> v(n);
  for (auto &x : v)
    x = roundT<T>(uniform(lo, hi));
  return v;
}

template <typename T> std::vector<T> toTVec(const std::vector<float> &v) {
  std::vector<T> r(v.size());
  for (size_t i = 0; i < v.size(); ++i)
    r[i] = toT<T>(v[i]);
  return r;
}

// A device buffer, optionally filled from host values converted to T.
template <typename T> struct Dev {
  T *p = nullptr;
  size_t n = 0;
  explicit Dev(size_t count) : n(count) { CUDA_OK(cudaMalloc(&p, (n ? n : 1) * sizeof(T))); }
  Dev(const std::vector<T> &host) : Dev(host.size()) { upload(host); }
  ~Dev() { cudaFree(p); }
  Dev(const Dev &) = delete;
  void upload(const std::vector<T> &host) {
    CUDA_OK(cudaMemcpy(p, host.data(), n * sizeof(T), cudaMemcpyHostToDevice));
  }
  // Fills with a NaN-like poison so unwritten outputs are caught.
  void poison() { CUDA_OK(cudaMemset(p, 0xff, n * sizeof(T))); }
  std::vector<float> download() const {
    std::vector<T> h(n);
    CUDA_OK(cudaMemcpy(h.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost));
    std::vector<float> f(n);
    for (size_t i = 0; i < n; ++i)
      f[i] = toF(h[i]);
    return f;
  }
};

template <typename T> Dev<T> devT(const std::vector<float> &v) { return Dev<T>(toTVec<T>(v)); }

struct ErrorStats {
  double maxAbs = 0, rel = 0;
  bool finite = true;
};

// ||out - ref|| / ||ref|| and the largest absolute difference.
inline ErrorStats compare(const std::vector<float> &out, const std::vector<float> &ref) {
  ErrorStats s;
  double num = 0, den = 0;
  if (out.size() != ref.size()) {
    s.finite = false;
    return s;
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (!std::isfinite(out[i]))
      s.finite = false;
    double d = double(out[i]) - ref[i];
    num += d * d;
    den += double(ref[i]) * ref[i];
    s.maxAbs = std::max(s.maxAbs, std::fabs(d));
  }
  s.rel = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
  return s;
}

// Prints one result line; returns whether it passed.
inline bool report(const std::string &name, const ErrorStats &s, double relLimit) {
  bool pass = s.finite && s.rel <= relLimit;
  std::printf("%-4s %-58s rel %.3e  max_abs %.3e  (limit rel %.0e)%s\n", pass ? "PASS" : "FAIL",
              name.c_str(), s.rel, s.maxAbs, relLimit, s.finite ? "" : "  NON-FINITE");
  if (!pass)
    ++failures();
  return pass;
}

inline bool expect(const std::string &name, bool ok, const std::string &detail = "") {
  std::printf("%-4s %s%s%s\n", ok ? "PASS" : "FAIL", name.c_str(), detail.empty() ? "" : ": ",
              detail.c_str());
  if (!ok)
    ++failures();
  return ok;
}

// Relative-error limits per storage type: outputs are rounded to T once
// (f16 has 11 significant bits, bf16 8).
template <typename T> double tolerance();
template <> inline double tolerance<half>() { return 2e-3; }
template <> inline double tolerance<__nv_bfloat16>() { return 1.5e-2; }

} // namespace test
