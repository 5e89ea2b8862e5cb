// fused_gemm tests (runtime/kernels/fused_gemm.cuh): the decode GEMM with
// the RMSNorm or GLU of its input and the residual add fused in, against
// (1) the un-fused launches it replaces (add_rms_norm / glu into a buffer,
// gemm, add) and (2) an fp64 host reference that rounds the normalized or
// gated activations to T as the launches store them. f16 and bf16; rows 1
// and 2 take the fused kernel, rows 5 and K % 8 != 0 the un-fused path
// inside fused_gemm. Prints PASS/FAIL lines, exits non-zero on a failure.
//   fused_gemm_test [--bench]
// --bench times fused vs un-fused launches on Llama-3.2-1B decode shapes.
#include "sieve_kernels.cuh"
#include "kernel_test_util.h"

#include <cublasLt.h>

#include <cstring>

using namespace sieve::rt;
using namespace test;

namespace {

using Kind = GemmPrologue<half>::Kind;

float siluRef(float x) { return x / (1.f + std::exp(-x)); }

// One problem: the prologue's input, the weights, and the expected x.
template <typename T> struct Problem {
  Kind kind;
  int rows, N, K, ld;
  bool bias, residual;
  std::vector<float> in, normW, w, b, res;
  static constexpr float kOffset = 0.25f, kEps = 1e-5f;

  Problem(Kind kind, int rows, int N, int K, bool bias, bool residual)
      : kind(kind), rows(rows), N(N), K(K), ld(kind == Kind::Glu ? 2 * K : K), bias(bias),
        residual(residual) {
    in = randomT<T>(size_t(rows) * ld, -2.f, 3.f);
    normW = randomT<T>(K, 0.5f, 1.5f);
    w = randomT<T>(size_t(N) * K, -0.1f, 0.1f);
    b = randomT<T>(N);
    res = randomT<T>(size_t(rows) * N);
  }
  // x as the separate norm / GLU launch stores it (rounded to T).
  std::vector<float> x() const {
    std::vector<float> x(size_t(rows) * K);
    for (int r = 0; r < rows; ++r) {
      const float *row = &in[size_t(r) * ld];
      double ss = 0;
      for (int k = 0; k < K; ++k)
        ss += double(row[k]) * row[k];
      float inv = 1.f / std::sqrt(float(ss / K) + kEps);
      for (int k = 0; k < K; ++k) {
        float v = row[k];
        if (kind == Kind::RmsNorm)
          v = v * inv * (normW[k] + kOffset);
        else if (kind == Kind::Glu)
          v = siluRef(row[k]) * row[K + k];
        x[size_t(r) * K + k] = roundT<T>(v);
      }
    }
    return x;
  }
  std::vector<float> reference() const {
    auto ref = gemmRef(x(), w, bias ? &b : nullptr, rows, N, K);
    if (residual)
      for (size_t i = 0; i < ref.size(); ++i)
        ref[i] = roundT<T>(ref[i]) + res[i];
    return ref;
  }
  std::string name() const {
    const char *k = kind == Kind::RmsNorm ? "rms_norm" : kind == Kind::Glu ? "glu" : "plain";
    char buf[160];
    std::snprintf(buf, sizeof buf, "fused_gemm %s %s rows %d N %d K %d%s%s", typeName<T>(), k,
                  rows, N, K, bias ? " +bias" : "", residual ? " +residual" : "");
    return buf;
  }
};

template <typename T> struct DeviceProblem {
  Dev<T> in, normW, w, b, res, staged, out;
  const Problem<T> &p;
  explicit DeviceProblem(const Problem<T> &p)
      : in(toTVec<T>(p.in)), normW(toTVec<T>(p.normW)), w(toTVec<T>(p.w)), b(toTVec<T>(p.b)),
        res(toTVec<T>(p.res)), staged(size_t(p.rows) * p.K), out(size_t(p.rows) * p.N), p(p) {}
  GemmPrologue<T> prologue() {
    if (p.kind == Kind::RmsNorm)
      return rms_norm_prologue<T>(normW.p, Problem<T>::kOffset, Problem<T>::kEps, staged.p);
    if (p.kind == Kind::Glu)
      return glu_prologue<T>(p.ld, 0, p.K, Activation::Silu, staged.p);
    return no_prologue<T>();
  }
  void fused(const StepArgs &a) {
    fused_gemm<T>(a, in.p, prologue(), w.p, p.bias ? b.p : nullptr, p.residual ? res.p : nullptr,
                  out.p, p.rows, p.N, p.K);
  }
  // The launches the decode step ran before fusion.
  void unfused(const StepArgs &a) {
    const T *x = in.p;
    if (p.kind == Kind::RmsNorm)
      add_rms_norm<T>(a.stream, in.p, nullptr, nullptr, normW.p, Problem<T>::kOffset,
                      Problem<T>::kEps, staged.p, p.rows, p.K);
    else if (p.kind == Kind::Glu)
      glu<T>(a.stream, in.p, p.ld, 0, p.K, p.K, Activation::Silu, staged.p, p.rows);
    if (p.kind != Kind::None)
      x = staged.p;
    gemm<T, T>(a, x, w.p, p.bias ? b.p : nullptr, out.p, p.rows, p.N, p.K);
    if (p.residual)
      add<T>(a.stream, out.p, res.p, out.p, int64_t(p.rows) * p.N);
  }
};

// The rounding unit of T: fused and un-fused results may differ by about
// this much relative (the inverse RMS is summed in another order).
template <typename T> double unit() { return std::is_same_v<T, half> ? 0x1p-11 : 0x1p-8; }

template <typename T> void testCase(const LtContext &lt, const Problem<T> &p) {
  DeviceProblem<T> d(p);
  d.out.poison();
  d.fused(lt.args());
  CUDA_OK(cudaDeviceSynchronize());
  if (!launcherOk("fused_gemm"))
    return;
  auto fused = d.out.download();
  d.out.poison();
  d.unfused(lt.args());
  CUDA_OK(cudaDeviceSynchronize());
  auto unfused = d.out.download();
  bool kernel = p.rows <= detail::kSkinnyDispatchRows && p.K % 8 == 0 && p.kind != Kind::None;
  std::string path = kernel ? " (fused kernel)" : " (un-fused launches)";
  report(p.name() + " vs host" + path, compare(fused, p.reference()), tolerance<T>());
  report(p.name() + " vs un-fused" + path, compare(fused, unfused), unit<T>());
}

template <typename T> void testAll(const LtContext &lt) {
  struct Shape {
    Kind kind;
    int N, K;
    bool bias, residual;
  };
  // Llama-3.2-1B's decode GEMMs: qkv and gate/up behind a norm, o with the
  // residual, down behind the GLU with the residual; then odd sizes.
  const Shape shapes[] = {
      {Kind::RmsNorm, 3072, 2048, false, false}, {Kind::RmsNorm, 16384, 2048, false, false},
      {Kind::None, 2048, 2048, false, true},     {Kind::Glu, 2048, 8192, false, true},
      {Kind::RmsNorm, 136, 64, true, true},      {Kind::Glu, 72, 128, true, false},
      {Kind::RmsNorm, 77, 100, true, true},      {Kind::Glu, 50, 36, false, true},
  };
  for (int rows : {1, 2, 5})
    for (const Shape &s : shapes)
      testCase<T>(lt, Problem<T>(s.kind, rows, s.N, s.K, s.bias, s.residual));
}

// Milliseconds of the fused launch and of the un-fused launches it
// replaces, rows 1, at Llama-3.2-1B decode shapes.
template <typename T> void bench(const LtContext &lt) {
  struct Shape {
    const char *what;
    Kind kind;
    int N, K;
    bool residual;
  };
  for (Shape s : {Shape{"norm + qkv", Kind::RmsNorm, 3072, 2048, false},
                  Shape{"o + residual", Kind::None, 2048, 2048, true},
                  Shape{"norm + gate/up", Kind::RmsNorm, 16384, 2048, false},
                  Shape{"glu + down + residual", Kind::Glu, 2048, 8192, true}}) {
    Problem<T> p(s.kind, 1, s.N, s.K, false, s.residual);
    DeviceProblem<T> d(p);
    float fused = timeMs([&] { d.fused(lt.args()); }, 100);
    float unfused = timeMs([&] { d.unfused(lt.args()); }, 100);
    std::printf("BENCH fused_gemm %s rows 1 %-22s N %5d K %4d: fused %.4f ms, un-fused %.4f ms "
                "(%.2fx)\n",
                typeName<T>(), s.what, s.N, s.K, fused, unfused, unfused / fused);
  }
}

} // namespace

int main(int argc, char **argv) {
  bool benchToo = argc == 2 && std::strcmp(argv[1], "--bench") == 0;
  if (argc > 2 || (argc == 2 && !benchToo)) {
    std::fprintf(stderr, "usage: %s [--bench]\n", argv[0]);
    return 2;
  }
  if (!haveDevice("fused_gemm_test"))
    return 77;
  LtContext lt;
  testAll<half>(lt);
  testAll<__nv_bfloat16>(lt);
  if (benchToo) {
    bench<half>(lt);
    bench<__nv_bfloat16>(lt);
  }
  std::printf("%s: %d failure(s)\n", failures() ? "FAILED" : "ALL PASSED", failures());
  return failures() ? 1 : 0;
}
