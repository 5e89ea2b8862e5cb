// Quantized-weight GEMM tests (runtime/kernels/quant_gemm.cuh): gemm_quant
// for int8 (per output channel), int4 (groups, asymmetric) and fp8 (E4M3
// per output channel, activations per token) weights in
// the packed layouts, against an fp64 host product with the weights
// dequantized by the formula of docs/quantization.md, in f16 and bf16, on
// every path (the tensor-core mma kernel and the GEMV kernel for rows <=
// 16, each where gemm_quant picks it and directly where it does not;
// dequantize + cuBLASLt above, or for fp8 cuBLASLt's FP8 GEMM against the
// CPU reference's f32 activations: testFp8Lt), with and without bias, T and float
// outputs; the GEMV both with packed (HFMA2) products where it uses them
// and with exact fp32 products, and with large activations (no f16
// overflow); and the AWQ pieces: gemm_quant writing a column range of
// wider rows (ld_out, on every path) and scale_columns (x / c, bit-exact
// against the host). Prints PASS/FAIL lines and exits non-zero on any
// failure.
//   quant_gemm_test [--bench] [--fp8-bench]
// --fp8-bench times fp8 at 2048 rows on the Llama-3-8B and Llama-3.2-1B
// projection shapes: the f16 GEMM, the fp8 path before cuBLASLt's FP8 GEMM
// (dequantize + f16 cuBLASLt) and the cuBLASLt FP8 GEMM (with and without
// FAST_ACCUM), in TFLOP/s; and at decode rows (1, 4, 8, 16; the 8B shapes)
// gemm_quant's fp8 kernels against cuBLASLt's FP8 GEMM.
// --bench times gemm_quant as dispatched and each of its kernels (the
// tensor-core mma kernel, the GEMV with packed and with exact fp32
// products, dequantize + cuBLASLt at 8 and 16 rows) on Llama-3.2-1B and
// Llama-3-8B decode shapes (rows 1..16) and reports GB/s of packed weight
// bytes read (codes + scales + zeros) and the fraction of the measured copy
// bandwidth, next to the f16 GEMM of the same shape, with the per-model
// decode-step sums; and the prefill path at 2048 rows.
#include "sieve_kernels.cuh"
#include "kernel_test_util.h"

#include <cublasLt.h>
#include <cuda_fp8.h>

#include <algorithm>
#include <cstring>
#include <memory>

using namespace sieve::rt;
using namespace test;

namespace {

// A quantized [N, K] weight in the packed layout, on the host and the
// device, with its dequantized values (the reference's weights).
struct HostQuant {
  QuantFormat format;
  int N, K, group;
  std::vector<uint8_t> codes, zeros;
  std::vector<float> scales32; // int8, fp8
  std::vector<half> scales16;  // int4
  std::vector<float> dequantized;
  std::unique_ptr<Dev<uint8_t>> dCodes, dZeros;
  std::unique_ptr<Dev<float>> dScales32;
  std::unique_ptr<Dev<half>> dScales16;

  size_t packedBytes() const {
    return codes.size() + zeros.size() + scales32.size() * 4 + scales16.size() * 2;
  }
  QuantWeight device() const {
    QuantWeight w{};
    w.format = format;
    w.codes = dCodes->p;
    w.scales = format == QuantFormat::Int4 ? static_cast<const void *>(dScales16->p)
                                           : static_cast<const void *>(dScales32->p);
    w.zeros = format == QuantFormat::Int4 ? dZeros->p : nullptr;
    w.group = format == QuantFormat::Int4 ? group : 0;
    return w;
  }
};

// Random codes (every value of the range occurs), scales and zero points;
// `dequantize` false skips the reference weights (benchmarks).
HostQuant makeQuant(QuantFormat format, int N, int K, int group, bool dequantize = true) {
  HostQuant q;
  q.format = format;
  q.N = N;
  q.K = K;
  q.group = group;
  auto &g = rng();
  if (format == QuantFormat::FP8) {
    // Every E4M3 value but NaN (S.1111.111).
    q.codes.resize(size_t(N) * K);
    for (auto &c : q.codes) {
      c = uint8_t(g() & 0xff);
      if ((c & 0x7f) == 0x7f)
        c ^= 1;
    }
    q.scales32.resize(N);
    for (auto &s : q.scales32)
      s = uniform(0.2f, 1.f) / 448.f;
    if (dequantize) {
      q.dequantized.resize(size_t(N) * K);
      for (int n = 0; n < N; ++n)
        for (int k = 0; k < K; ++k) {
          __nv_fp8_e4m3 v;
          v.__x = q.codes[size_t(n) * K + k];
          q.dequantized[size_t(n) * K + k] = q.scales32[n] * float(v);
        }
    }
  } else if (format == QuantFormat::Int8) {
    q.codes.resize(size_t(N) * K);
    for (auto &c : q.codes)
      c = uint8_t(int8_t(int(g() % 255) - 127));
    q.scales32.resize(N);
    for (auto &s : q.scales32)
      s = uniform(0.2f, 1.f) / 127.f;
    if (dequantize) {
      q.dequantized.resize(size_t(N) * K);
      for (int n = 0; n < N; ++n)
        for (int k = 0; k < K; ++k)
          q.dequantized[size_t(n) * K + k] = q.scales32[n] * float(int8_t(q.codes[size_t(n) * K + k]));
    }
  } else {
    int groups = K / group;
    q.codes.resize(size_t(N) * K / 2);
    for (auto &c : q.codes)
      c = uint8_t(g() & 0xff);
    q.zeros.resize(size_t(N) * groups);
    for (auto &z : q.zeros)
      z = uint8_t(g() % 16);
    q.scales16.resize(size_t(N) * groups);
    for (auto &s : q.scales16)
      s = __float2half_rn(uniform(0.2f, 1.f) / 15.f);
    if (dequantize) {
      q.dequantized.resize(size_t(N) * K);
      for (int n = 0; n < N; ++n)
        for (int k = 0; k < K; ++k) {
          size_t e = size_t(n) * K + k, gi = size_t(n) * groups + k / group;
          int code = (q.codes[e / 2] >> (4 * (e % 2))) & 15;
          q.dequantized[e] = __half2float(q.scales16[gi]) * float(code - int(q.zeros[gi]));
        }
    }
  }
  q.dCodes = std::make_unique<Dev<uint8_t>>(q.codes);
  if (format != QuantFormat::Int4) {
    q.dScales32 = std::make_unique<Dev<float>>(q.scales32);
  } else {
    q.dScales16 = std::make_unique<Dev<half>>(q.scales16);
    q.dZeros = std::make_unique<Dev<uint8_t>>(q.zeros);
  }
  return q;
}

const char *formatName(const HostQuant &q) {
  static char buf[32];
  if (q.format == QuantFormat::Int8)
    return "int8";
  if (q.format == QuantFormat::FP8)
    return "fp8";
  std::snprintf(buf, sizeof buf, "int4 g%d", q.group);
  return buf;
}

// fp8 activations as the CPU reference quantizes them, per row:
// e4m3(x / s) * s with s = amax / 448 (lib/Quant fp8QuantizeRows: the same
// IEEE operations on host and device), in f32 as the reference keeps them
// (cuBLASLt's FP8 path: codes and scales, never rounded to T), or rounded
// to T (`roundToT`: what the decode kernels read).
template <typename T>
std::vector<float> fp8Activations(std::vector<float> x, int rows, int K, bool roundToT = true) {
  for (int r = 0; r < rows; ++r) {
    float *row = &x[size_t(r) * K], amax = 0.f;
    for (int k = 0; k < K; ++k)
      amax = std::max(amax, std::fabs(row[k]));
    float s = amax > 0.f ? amax / 448.f : 1.f;
    for (int k = 0; k < K; ++k) {
      const float v = float(__nv_fp8_e4m3(row[k] / s)) * s;
      row[k] = roundToT ? roundT<T>(v) : v;
    }
  }
  return x;
}

// Whether gemm_quant's fused kernel multiplies in packed pairs for q.
template <typename T, typename OutT> bool packedPath(const HostQuant &q) {
  switch (q.format) {
  case QuantFormat::Int8:
    return detail::packedMath<T, OutT, QuantFormat::Int8>();
  case QuantFormat::Int4:
    return detail::packedMath<T, OutT, QuantFormat::Int4>();
  case QuantFormat::FP8:
    return detail::packedMath<T, OutT, QuantFormat::FP8>();
  }
  return false;
}

// gemm_quant on `rows` activations uniform in [-amplitude, amplitude]
// against the fp64 reference; rows <= 16 also through the fused kernel
// directly (the rows gemm_quant sends elsewhere; and the exact fp32 kernel
// where gemm_quant's is packed).
template <typename T, typename OutT>
void testCase(const LtContext &lt, const HostQuant &q, int rows, bool withBias,
              float amplitude = 1.f) {
  int N = q.N, K = q.K;
  auto in = randomT<T>(size_t(rows) * K, -amplitude, amplitude), bias = randomT<T>(N);
  auto dIn = devT<T>(in), dBias = devT<T>(bias);
  Dev<T> scratch(size_t(N) * K), actScratch(size_t(rows) * K);
  Dev<OutT> out(size_t(rows) * N);
  out.poison();
  const long fallbacks = detail::fp8LtFallbacks();
  gemm_quant<T, OutT>(lt.args(), dIn.p, q.device(), withBias ? dBias.p : nullptr, out.p, rows, N,
                      K, scratch.p, actScratch.p);
  CUDA_OK(cudaGetLastError());
  CUDA_OK(cudaDeviceSynchronize());
  if (!launcherOk("gemm_quant"))
    return;
  const QuantWeight w = q.device();
  // cuBLASLt's FP8 GEMM ran (fp8 prefill rows, no fallback counted).
  const bool fp8Lt = detail::fp8UsesLt(w, rows, K) && detail::fp8LtFallbacks() == fallbacks;
  const std::vector<float> x = in;
  if (q.format == QuantFormat::FP8)
    in = fp8Activations<T>(x, rows, K);
  auto ref = gemmRef(fp8Lt ? fp8Activations<T>(x, rows, K, false) : in, q.dequantized,
                     withBias ? &bias : nullptr, rows, N, K);
  const bool packed = packedPath<T, OutT>(q);
  const bool mmaRuns = rows <= detail::kQuantGemvMaxRows && detail::quantMmaSupports(w, rows, K);
  enum class Path { Mma, GemvPacked, GemvExact, Dequantize, Fp8Lt };
  auto check = [&](Path path, const char *direct) {
    static const char *const names[] = {"tensor-core mma", "fused packed", "fused exact",
                                        "dequantize + cuBLASLt", "cuBLASLt FP8"};
    char name[160], amp[32] = "";
    if (amplitude != 1.f)
      std::snprintf(amp, sizeof amp, " |x| <= %g", amplitude);
    std::snprintf(name, sizeof name, "gemm_quant %s %s->%s rows %d N %d K %d%s%s (%s%s)",
                  formatName(q), typeName<T>(), std::is_same_v<OutT, float> ? "f32" : typeName<T>(),
                  rows, N, K, withBias ? " +bias" : "", amp, names[int(path)], direct);
    // The exact fused kernel uses the exact weights (fp32 accumulation, one
    // final rounding), and so does the mma kernel for int8 and fp8 (exact
    // codes, per-feature scales on the fp32 sums); the mma kernel's int4
    // weights s * (q - z) are rounded to T (as the CPU reference rounds a
    // T model's dequantized weights), the packed fused kernel multiplies in
    // T pairs and the prefill path rounds the weights to T first: those to
    // T's tolerance.
    const bool exactWeights =
        path == Path::GemvExact || (path == Path::Mma && q.format != QuantFormat::Int4);
    double limit = exactWeights && std::is_same_v<OutT, float> ? 1e-5 : tolerance<T>();
    report(name, compare(out.download(), ref), limit);
  };
  const Path gemvPath = packed ? Path::GemvPacked : Path::GemvExact;
  check(detail::useQuantMma(w, rows, K)            ? Path::Mma
        : rows <= detail::kQuantGemvDispatchRows ? gemvPath
        : fp8Lt                                  ? Path::Fp8Lt
                                                 : Path::Dequantize,
        "");
  if (q.format == QuantFormat::FP8 && !fp8Lt && detail::fp8UsesLt(w, rows, K))
    std::printf("INFO gemm_quant fp8 rows %d N %d K %d: cuBLASLt refused the FP8 GEMM, ran "
                "dequantize + cuBLASLt\n",
                rows, N, K);
  // The kernels directly (fp8: on activations quantized as gemm_quant
  // does), at the rows they support where gemm_quant picks another.
  auto fp8Input = [&]() -> const T * {
    if (q.format != QuantFormat::FP8)
      return dIn.p;
    detail::fp8QuantizeRowsKernel<T><<<rows, 256>>>(dIn.p, actScratch.p, K);
    return actScratch.p;
  };
  auto finish = [&](Path path, const char *direct) {
    CUDA_OK(cudaGetLastError());
    CUDA_OK(cudaDeviceSynchronize());
    check(path, direct);
  };
  if (mmaRuns && !detail::useQuantMma(w, rows, K)) {
    out.poison();
    detail::quantMma<T, OutT>(0, fp8Input(), w, withBias ? dBias.p : nullptr, out.p, rows, N, K);
    finish(Path::Mma, ", direct");
  }
  // The GEMV kernel: with the int4 activation pairs formed in `scratch`
  // as gemm_quant does, in the kernel too, and forced to exact fp32
  // products (the benchmark's baseline).
  auto gemv = [&](auto exactTag, bool pairScratch) {
    constexpr bool Exact = decltype(exactTag)::value;
    out.poison();
    detail::quantGemv<T, OutT, !Exact>(0, fp8Input(), w, withBias ? dBias.p : nullptr, out.p,
                                       rows, N, K, pairScratch ? scratch.p : nullptr);
    finish(Exact ? Path::GemvExact : gemvPath,
           pairScratch ? ", direct" : ", direct, no pair scratch");
  };
  const bool gemvDispatched =
      !detail::useQuantMma(w, rows, K) && rows <= detail::kQuantGemvDispatchRows;
  if (!gemvDispatched && rows <= detail::kQuantGemvMaxRows)
    gemv(std::false_type{}, true);
  // The pairs formed in the kernel (no scratch) at 4, 8 and 16 rows, where
  // gemm_quant forms them first.
  if (packed && q.format == QuantFormat::Int4 && (rows == 3 || rows == 5 || rows == 16))
    gemv(std::false_type{}, false);
  if (packed && (rows == 1 || rows == 8 || rows == 16))
    gemv(std::true_type{}, true);
}

template <typename T> void testAll(const LtContext &lt) {
  struct Shape {
    int N, K;
  };
  // Odd N (features past N in the last CTA), K of one and of many chunks.
  for (Shape s : {Shape{77, 128}, Shape{300, 256}, Shape{1000, 1024}}) {
    HostQuant q8 = makeQuant(QuantFormat::Int8, s.N, s.K, 0);
    HostQuant q4 = makeQuant(QuantFormat::Int4, s.N, s.K, 128);
    HostQuant q4g32 = makeQuant(QuantFormat::Int4, s.N, s.K, 32);
    HostQuant f8 = makeQuant(QuantFormat::FP8, s.N, s.K, 0);
    for (const HostQuant *q : {&q8, &q4, &q4g32, &f8})
      for (int rows : {1, 2, 3, 5, 8, 13, 16, 17, 64}) {
        bool bias = rows % 2 == 1;
        testCase<T, T>(lt, *q, rows, bias);
        if (rows == 1 || rows == 16 || rows == 17)
          testCase<T, float>(lt, *q, rows, !bias);
      }
  }
  // Many output features: CTAs of several thread groups (an int4 row of
  // K 2048 is 64 chunks: 4 groups; of K 256, 8 chunks: 8 groups).
  for (Shape s : {Shape{16384, 2048}, Shape{32768, 256}}) {
    HostQuant q8 = makeQuant(QuantFormat::Int8, s.N, s.K, 0);
    HostQuant q4 = makeQuant(QuantFormat::Int4, s.N, s.K, 128);
    HostQuant f8 = makeQuant(QuantFormat::FP8, s.N, s.K, 0);
    for (const HostQuant *q : {&q8, &q4, &f8})
      for (int rows : {1, 4, 16})
        testCase<T, T>(lt, *q, rows, rows == 4);
  }
  // Rows of an odd number of chunks (3: the mma kernel's last stage is
  // partly zero-filled; every lane of a stage but the first three idle).
  {
    HostQuant q8 = makeQuant(QuantFormat::Int8, 40, 48, 0);
    HostQuant q4 = makeQuant(QuantFormat::Int4, 40, 96, 32);
    HostQuant f8 = makeQuant(QuantFormat::FP8, 40, 48, 0);
    for (const HostQuant *q : {&q8, &q4, &f8})
      for (int rows : {1, 9, 16})
        testCase<T, T>(lt, *q, rows, rows == 9);
  }
  // K of Llama-3-8B's down projection: the mma kernel's rings wrap (int4
  // 56 stages, 7 a warp through 4 slots; int8 14 a warp), and int4 g32
  // needs the largest scale/zero table (448 groups a feature).
  {
    HostQuant q8 = makeQuant(QuantFormat::Int8, 300, 14336, 0);
    HostQuant q4 = makeQuant(QuantFormat::Int4, 300, 14336, 128);
    HostQuant q4g32 = makeQuant(QuantFormat::Int4, 300, 14336, 32);
    for (const HostQuant *q : {&q8, &q4, &q4g32})
      for (int rows : {1, 7, 16})
        testCase<T, T>(lt, *q, rows, rows == 7);
  }
  // A decode shape of Llama-3.2-1B (down projection, K 8192).
  HostQuant big8 = makeQuant(QuantFormat::Int8, 512, 8192, 0);
  HostQuant big4 = makeQuant(QuantFormat::Int4, 512, 8192, 128);
  HostQuant bigF8 = makeQuant(QuantFormat::FP8, 512, 8192, 0);
  for (const HostQuant *q : {&big8, &big4, &bigF8})
    for (int rows : {1, 16, 40})
      testCase<T, T>(lt, *q, rows, true);
  // Large activations (outlier channels reach thousands): the packed codes
  // are at most 1 in magnitude, so a chunk's T partial sums stay below
  // 16 * 2000 (int4) and 8 * 2000 (int8), within f16's range. K is one
  // group (128) so that the f16 outputs stay finite too: at K 1024 and
  // |x| <= 3000 the exact kernel and cuBLASLt overflowed as well (H100 run,
  // 23:10 UTC), which tested the case, not the kernel.
  HostQuant wide8 = makeQuant(QuantFormat::Int8, 300, 128, 0);
  HostQuant wide4 = makeQuant(QuantFormat::Int4, 300, 128, 128);
  for (const HostQuant *q : {&wide8, &wide4})
    for (int rows : {1, 8, 16})
      testCase<T, T>(lt, *q, rows, false, 2000.f);
}

// fp8 at prefill rows (17 to 2048): cuBLASLt's FP8 GEMM against the CPU
// reference's arithmetic (activations e4m3(x / s) * s in f32, E4M3 weights
// times their f32 scales, exact products summed in fp64 here), T and float
// outputs, with and without bias. Each way of applying the scales
// (outer-vector scales in cuBLASLt; unit scales + the epilogue kernel) is
// run alone where cuBLASLt's heuristic offers an algorithm (INFO where it
// does not: what the device supports is queried, not assumed), then
// gemm_quant, which must take the first one offered (or, with none,
// dequantize + cuBLASLt). The way taken is also run with cuBLASLt's fast
// accumulation and its error reported (INFO, no limit): the error that
// FAST_ACCUM off avoids.
template <typename T> void testFp8Lt(const LtContext &lt) {
  // The activation codes and scales bit-exact against the host's rule
  // (row 1 all zero: scale 1, codes 0), with the row staged in shared
  // memory (K 2048) and read twice (K 32768, beyond 48 KB of f16).
  for (int K : {2048, 32768}) {
    const int rows = 5;
    auto x = randomT<T>(size_t(rows) * K, -3.f, 3.f);
    std::fill(x.begin() + K, x.begin() + 2 * K, 0.f);
    auto dIn = devT<T>(x);
    Dev<uint8_t> codes(size_t(rows) * K);
    Dev<float> scales(rows);
    detail::fp8QuantizeCodes<T>(0, dIn.p, codes.p, scales.p, rows, K);
    CUDA_OK(cudaDeviceSynchronize());
    std::vector<uint8_t> gotCodes(size_t(rows) * K);
    std::vector<float> gotScales(rows);
    CUDA_OK(cudaMemcpy(gotCodes.data(), codes.p, gotCodes.size(), cudaMemcpyDeviceToHost));
    CUDA_OK(cudaMemcpy(gotScales.data(), scales.p, rows * 4, cudaMemcpyDeviceToHost));
    size_t bad = 0;
    for (int r = 0; r < rows; ++r) {
      float amax = 0.f;
      for (int k = 0; k < K; ++k)
        amax = std::max(amax, std::fabs(x[size_t(r) * K + k]));
      const float sc = amax > 0.f ? amax / 448.f : 1.f;
      bad += gotScales[r] != sc;
      for (int k = 0; k < K; ++k)
        bad += gotCodes[size_t(r) * K + k] != __nv_fp8_e4m3(x[size_t(r) * K + k] / sc).__x;
    }
    char name[96];
    std::snprintf(name, sizeof name, "fp8 activation codes and scales %s rows %d K %d bit-exact",
                  typeName<T>(), rows, K);
    expect(name, bad == 0, std::to_string(bad) + " differ");
  }
  struct Case {
    int N, K;
    std::vector<int> rows;
  };
  const Case cases[] = {
      {256, 2048, {17, 64, 512, 2048}}, // the prefill rows
      {77, 128, {17, 64, 512, 2048}},   // odd N
      {1000, 1024, {17, 512}},          {136, 14336, {17, 64}}, // long K (down_proj)
      {40, 48, {17, 64}},               // K of three 16-byte chunks
      {64, 16, {17, 33}},               // the smallest K
  };
  for (const Case &c : cases) {
    HostQuant q = makeQuant(QuantFormat::FP8, c.N, c.K, 0);
    const QuantWeight w = q.device();
    for (int rows : c.rows)
      for (int variant = 0; variant < 2; ++variant) {
        // Variant 0: T output, bias at odd rows; 1: float output (an fp8
        // LM head), the other bias choice; at most 512 rows.
        const bool toFloat = variant == 1, withBias = (rows % 2 == 1) != toFloat;
        if (toFloat && rows > 512)
          continue;
        auto x = randomT<T>(size_t(rows) * c.K, -2.f, 2.f), bias = randomT<T>(c.N);
        auto dIn = devT<T>(x), dBias = devT<T>(bias);
        Dev<T> scratch(size_t(c.N) * c.K), actScratch(size_t(rows) * c.K);
        Dev<T> outT(toFloat ? 1 : size_t(rows) * c.N);
        Dev<float> outF(toFloat ? size_t(rows) * c.N : 1);
        auto run = [&](auto &&launch) -> std::vector<float> {
          if (toFloat)
            outF.poison();
          else
            outT.poison();
          launch();
          CUDA_OK(cudaGetLastError());
          CUDA_OK(cudaDeviceSynchronize());
          return toFloat ? outF.download() : outT.download();
        };
        // Each FP8 way alone (what cuBLASLt's heuristic offers for this
        // problem), then gemm_quant, which must take the first offered.
        const T *b = withBias ? dBias.p : nullptr;
        auto fp8Run = [&](detail::Fp8LtOptions opt, detail::Fp8Path *path, cublasStatus_t *st) {
          return run([&] {
            *path = toFloat ? detail::gemmFp8Lt<T, float>(lt.args(), dIn.p, w, b, outF.p, rows,
                                                          c.N, c.K, actScratch.p, scratch.p, 0,
                                                          opt, st)
                            : detail::gemmFp8Lt<T, T>(lt.args(), dIn.p, w, b, outT.p, rows, c.N,
                                                      c.K, actScratch.p, scratch.p, 0, opt, st);
          });
        };
        auto refFor = [&](bool fp8Lt) {
          return gemmRef(fp8Activations<T>(x, rows, c.K, !fp8Lt), q.dequantized,
                         withBias ? &bias : nullptr, rows, c.N, c.K);
        };
        const auto refLt = refFor(true);
        char base[160];
        std::snprintf(base, sizeof base, "gemm_quant fp8 %s->%s rows %d N %d K %d%s",
                      typeName<T>(), toFloat ? "f32" : typeName<T>(), rows, c.N, c.K,
                      withBias ? " +bias" : "");
        static const char *const pathNames[] = {"cuBLASLt FP8, outer-vector scales",
                                                "cuBLASLt FP8, unit scales + epilogue",
                                                "dequantize + cuBLASLt"};
        detail::Fp8Path offered = detail::Fp8Path::Fallback;
        std::vector<float> offeredOut;
        for (detail::Fp8Path way : {detail::Fp8Path::OuterVector, detail::Fp8Path::Epilogue}) {
          detail::Fp8LtOptions opt;
          opt.outerVector = way == detail::Fp8Path::OuterVector;
          opt.epilogue = way == detail::Fp8Path::Epilogue;
          detail::Fp8Path path;
          cublasStatus_t st = CUBLAS_STATUS_SUCCESS;
          auto got = fp8Run(opt, &path, &st);
          if (!launcherOk(base))
            continue;
          char name[240];
          std::snprintf(name, sizeof name, "%s (%s, direct)", base, pathNames[int(way)]);
          if (path != way) {
            std::printf("INFO %s: cuBLASLt has no algorithm (status %d)\n", name, int(st));
            continue;
          }
          report(name, compare(got, refLt), tolerance<T>());
          if (offered == detail::Fp8Path::Fallback) {
            offered = way;
            offeredOut = got;
          }
        }
        long before[3];
        for (int p = 0; p < 3; ++p)
          before[p] = detail::fp8PathCount(detail::Fp8Path(p));
        auto got = run([&] {
          if (toFloat)
            gemm_quant<T, float>(lt.args(), dIn.p, w, b, outF.p, rows, c.N, c.K, scratch.p,
                                 actScratch.p);
          else
            gemm_quant<T, T>(lt.args(), dIn.p, w, b, outT.p, rows, c.N, c.K, scratch.p,
                             actScratch.p);
        });
        if (!launcherOk("gemm_quant fp8 prefill"))
          continue;
        detail::Fp8Path ran = detail::Fp8Path::Fallback;
        for (int p = 0; p < 3; ++p)
          if (detail::fp8PathCount(detail::Fp8Path(p)) != before[p])
            ran = detail::Fp8Path(p);
        char name[240];
        std::snprintf(name, sizeof name, "%s (%s)", base, pathNames[int(ran)]);
        report(name, compare(got, ran == detail::Fp8Path::Fallback ? refFor(false) : refLt),
               tolerance<T>());
        expect(std::string(name) + ": gemm_quant took the FP8 way cuBLASLt offers (" +
                   pathNames[int(offered)] + ")",
               ran == offered);
        if (offered == detail::Fp8Path::Fallback || c.K < 1024)
          continue;
        detail::Fp8LtOptions fast;
        fast.outerVector = offered == detail::Fp8Path::OuterVector;
        fast.epilogue = offered == detail::Fp8Path::Epilogue;
        fast.fastAccum = true;
        detail::Fp8Path fastPath;
        cublasStatus_t st = CUBLAS_STATUS_SUCCESS;
        auto fastOut = fp8Run(fast, &fastPath, &st);
        if (!launcherOk("gemm_quant fp8 FAST_ACCUM"))
          continue;
        if (fastPath != offered) {
          std::printf("INFO %s: no FAST_ACCUM algorithm (status %d)\n", name, int(st));
          continue;
        }
        ErrorStats e = compare(fastOut, refLt), slow = compare(offeredOut, refLt);
        std::printf("INFO %s with FAST_ACCUM: rel %.3e max_abs %.3e (without: rel %.3e max_abs "
                    "%.3e)\n",
                    name, e.rel, e.maxAbs, slow.rel, slow.maxAbs);
      }
  }
}

// AWQ on the GPU (docs/quantization.md, "AWQ on the GPU"): gemm_quant
// writing columns [offset, offset + N) of rows of ld values (both paths;
// the other columns must keep their poison), and scale_columns against the
// host's f32 division rounded to T (bit-exact: one IEEE division, one
// rounding), with 16-byte and scalar accesses.
template <typename T> void testAwqPieces(const LtContext &lt) {
  const int N = 96, K = 256, offset = 40, ld = N + 64;
  HostQuant q4 = makeQuant(QuantFormat::Int4, N, K, 128);
  HostQuant q8 = makeQuant(QuantFormat::Int8, N, K, 0);
  for (const HostQuant *q : {&q4, &q8})
    for (int rows : {1, 5, 16, 40}) {
      auto in = randomT<T>(size_t(rows) * K), bias = randomT<T>(N);
      auto dIn = devT<T>(in), dBias = devT<T>(bias);
      Dev<T> scratch(size_t(N) * K), out(size_t(rows) * ld);
      out.poison();
      gemm_quant<T, T>(lt.args(), dIn.p, q->device(), dBias.p, out.p + offset, rows, N, K,
                       scratch.p, nullptr, ld);
      CUDA_OK(cudaDeviceSynchronize());
      if (!launcherOk("gemm_quant ld_out"))
        continue;
      auto ref = gemmRef(in, q->dequantized, &bias, rows, N, K);
      std::vector<float> all = out.download(), mine;
      bool othersKept = true;
      for (int r = 0; r < rows; ++r)
        for (int c = 0; c < ld; ++c) {
          float v = all[size_t(r) * ld + c];
          if (c >= offset && c < offset + N)
            mine.push_back(v);
          else
            othersKept = othersKept && std::isnan(v);
        }
      char name[160];
      std::snprintf(name, sizeof name, "gemm_quant %s %s rows %d: columns %d..%d of rows of %d",
                    formatName(*q), typeName<T>(), rows, offset, offset + N, ld);
      report(name, compare(mine, ref), tolerance<T>());
      expect(std::string(name) + ": other columns untouched", othersKept);
    }
  for (int cols : {256, 36})
    for (int rows : {1, 3, 40}) {
      auto in = randomT<T>(size_t(rows) * cols, -4.f, 4.f);
      std::vector<float> c(cols);
      for (float &v : c)
        v = uniform(0.05f, 8.f);
      auto dIn = devT<T>(in);
      Dev<float> dC(c);
      Dev<T> out(size_t(rows) * cols);
      out.poison();
      scale_columns<T>(0, dIn.p, dC.p, out.p, rows, cols);
      CUDA_OK(cudaDeviceSynchronize());
      std::vector<float> got = out.download();
      size_t mismatches = 0;
      for (int r = 0; r < rows; ++r)
        for (int k = 0; k < cols; ++k) {
          size_t i = size_t(r) * cols + k;
          if (got[i] != roundT<T>(in[i] / c[k]))
            ++mismatches;
        }
      char name[128];
      std::snprintf(name, sizeof name, "scale_columns %s rows %d cols %d: x / c rounded once",
                    typeName<T>(), rows, cols);
      expect(name, mismatches == 0, std::to_string(mismatches) + " values differ");
    }
}

void testRefusals(const LtContext &lt) {
  // A layout the kernels do not read is refused with a launcher error, not
  // computed wrongly: int4 with a group of 16, int8 with K % 16 != 0.
  HostQuant q4 = makeQuant(QuantFormat::Int4, 64, 128, 128);
  QuantWeight w = q4.device();
  w.group = 16;
  Dev<half> in(128), scratch(64 * 128), out(64);
  gemm_quant<half, half>(lt.args(), in.p, w, nullptr, out.p, 1, 64, 128, scratch.p, nullptr);
  // The message is read after takeLauncherError fills it (not as a second
  // argument of expect: the evaluation order of arguments is unspecified).
  auto refused = [](const char *name) {
    char msg[256] = "";
    bool taken = takeLauncherError(msg, sizeof msg);
    expect(name, taken, msg);
  };
  refused("gemm_quant refuses int4 group 16");
  HostQuant q8 = makeQuant(QuantFormat::Int8, 64, 128, 0);
  gemm_quant<half, half>(lt.args(), in.p, q8.device(), nullptr, out.p, 1, 64, 120, scratch.p,
                         nullptr);
  refused("gemm_quant refuses int8 K 120");
  HostQuant f8 = makeQuant(QuantFormat::FP8, 64, 128, 0);
  gemm_quant<half, half>(lt.args(), in.p, f8.device(), nullptr, out.p, 1, 64, 128, scratch.p,
                         nullptr);
  refused("gemm_quant refuses fp8 without an activation scratch");
}

// One decode shape, each kernel on rotating copies of the weight (at least
// 256 MiB cycled, beyond the 50 MiB L2): the f16 gemm() of the same shape
// (skinny kernel or cuBLASLt, as the fp16 model runs it), and for int8 and
// int4 g128: gemm_quant as dispatched, the tensor-core kernel, the GEMV
// kernel with packed and with exact fp32 products, and dequantize +
// cuBLASLt (rows 8 and 16). Milliseconds per benchmarked row count.
enum Kernel { kF16, kDispatched, kMma, kGemv, kGemvExact, kDequant, kKernels };
constexpr const char *kKernelNames[kKernels] = {"f16",  "gemm_quant", "mma",
                                                "gemv", "gemv exact", "dequantize + cuBLASLt"};
constexpr int kBenchRows[5] = {1, 2, 4, 8, 16};
struct ShapeTimes {
  double ms[2][kKernels][5] = {}; // [int8, int4][kernel][rows]
  double f16Bytes = 0, bytes[2] = {};
};

ShapeTimes benchShape(const LtContext &lt, const char *label, int N, int K, double copyBW) {
  ShapeTimes times;
  using T = half;
  auto copiesFor = [](double bytes) { return int(std::max(1.0, std::ceil(268435456.0 / bytes))); };
  double f16Bytes = double(N) * K * 2;
  std::vector<std::unique_ptr<Dev<T>>> f16(copiesFor(f16Bytes));
  for (auto &d : f16) {
    d = std::make_unique<Dev<T>>(size_t(N) * K);
    CUDA_OK(cudaMemset(d->p, 0x11, size_t(N) * K * 2));
  }
  // Copies of the codes share scales and zeros (small next to the codes).
  HostQuant quants[2] = {makeQuant(QuantFormat::Int8, N, K, 0, false),
                         makeQuant(QuantFormat::Int4, N, K, 128, false)};
  std::vector<std::unique_ptr<Dev<uint8_t>>> codes[2];
  for (int i = 0; i < 2; ++i) {
    codes[i].resize(copiesFor(double(quants[i].packedBytes())));
    for (auto &d : codes[i])
      d = std::make_unique<Dev<uint8_t>>(quants[i].codes);
  }
  Dev<T> scratch(size_t(N) * K);
  times.f16Bytes = f16Bytes;
  for (int i = 0; i < 2; ++i)
    times.bytes[i] = double(quants[i].packedBytes());
  for (int ri = 0; ri < 5; ++ri) {
    const int rows = kBenchRows[ri];
    auto dIn = devT<T>(randomT<T>(size_t(rows) * K));
    Dev<T> out(size_t(rows) * N);
    size_t next = 0;
    float f16Ms = timeMs([&] {
      gemm<T, T>(lt.args(), dIn.p, f16[next]->p, nullptr, out.p, rows, N, K);
      next = (next + 1) % f16.size();
    });
    times.ms[0][kF16][ri] = times.ms[1][kF16][ri] = f16Ms;
    std::printf("BENCH quant_gemm %s rows %2d N %5d K %5d: f16 gemm %.4f ms %5.0f GB/s", label,
                rows, N, K, f16Ms, f16Bytes / f16Ms / 1e6);
    for (int i = 0; i < 2; ++i) {
      const double bytes = times.bytes[i];
      QuantWeight w = quants[i].device();
      size_t c = 0;
      auto time = [&](auto &&run) {
        return timeMs([&] {
          w.codes = codes[i][c]->p;
          c = (c + 1) % codes[i].size();
          run();
        });
      };
      double *ms = &times.ms[i][0][0];
      auto at = [&](Kernel k) -> double & { return ms[k * 5 + ri]; };
      at(kDispatched) = time([&] {
        gemm_quant<T, T>(lt.args(), dIn.p, w, nullptr, out.p, rows, N, K, scratch.p, nullptr);
      });
      at(kMma) = time([&] { detail::quantMma<T, T>(0, dIn.p, w, nullptr, out.p, rows, N, K); });
      // As gemm_quant ran it (int4 activation pairs in the scratch).
      at(kGemv) = time([&] {
        detail::quantGemv<T, T, true>(0, dIn.p, w, nullptr, out.p, rows, N, K, scratch.p);
      });
      at(kGemvExact) = time([&] {
        detail::quantGemv<T, T, false>(0, dIn.p, w, nullptr, out.p, rows, N, K, scratch.p);
      });
      if (rows >= 8)
        at(kDequant) = time([&] {
          detail::dequantize<T>(0, w, scratch.p, N, K);
          detail::gemmCublasLt<T, T>(lt.args(), dIn.p, scratch.p, nullptr, out.p, rows, N, K);
        });
      const double best = at(kDispatched);
      std::printf(" | %s %.4f ms %5.0f GB/s (%3.0f%% of copy) %.2fx f16 (mma %.4f, gemv %.4f, "
                  "exact %.4f",
                  i ? "int4" : "int8", best, bytes / best / 1e6,
                  100.0 * bytes / copyBW / 1e6 / best, f16Ms / best, at(kMma), at(kGemv),
                  at(kGemvExact));
      if (rows >= 8)
        std::printf(", dequantize + cuBLASLt %.4f", at(kDequant));
      std::printf(" ms)");
    }
    std::printf("\n");
  }
  return times;
}

// The projections of one decoder layer times the layer count: the GEMM
// part of a decode step (the LM head, f16 in every configuration here, and
// attention are not included), per kernel.
void benchModel(const LtContext &lt, const char *name, int layers,
                std::initializer_list<std::pair<int, int>> shapes, double copyBW) {
  ShapeTimes total;
  for (auto [N, K] : shapes) {
    char label[32];
    std::snprintf(label, sizeof label, "%s %dx%d", name, N, K);
    ShapeTimes t = benchShape(lt, label, N, K, copyBW);
    for (int i = 0; i < 2; ++i) {
      for (int k = 0; k < kKernels; ++k)
        for (int r = 0; r < 5; ++r)
          total.ms[i][k][r] += layers * t.ms[i][k][r];
      total.bytes[i] += layers * t.bytes[i];
    }
    total.f16Bytes += layers * t.f16Bytes;
  }
  auto pct = [&](double bytes, double ms) { return 100.0 * bytes / copyBW / 1e6 / ms; };
  for (int r = 0; r < 5; ++r) {
    const double f16 = total.ms[0][kF16][r];
    std::printf("BENCH quant_gemm %s decode-step GEMMs (%d layers) rows %2d: f16 %.3f ms (%3.0f%% "
                "of floor)",
                name, layers, kBenchRows[r], f16, pct(total.f16Bytes, f16));
    for (int i = 0; i < 2; ++i) {
      const double *ms = &total.ms[i][0][0];
      const double best = ms[kDispatched * 5 + r];
      std::printf(" | %s %.3f ms (%3.0f%%) %.2fx [", i ? "int4" : "int8", best,
                  pct(total.bytes[i], best), f16 / best);
      for (int k = kMma; k < kKernels; ++k)
        if (k != kDequant || kBenchRows[r] >= 8)
          std::printf("%s%s %.3f ms %.2fx", k == kMma ? "" : ", ", kKernelNames[k],
                      ms[k * 5 + r], f16 / ms[k * 5 + r]);
      std::printf("]");
    }
    std::printf("\n");
  }
}

// Prefill: 2048 rows through dequantize + cuBLASLt against the f16 GEMM.
void benchPrefill(const LtContext &lt, int N, int K) {
  using T = half;
  int rows = 2048;
  auto dIn = devT<T>(randomT<T>(size_t(rows) * K));
  Dev<T> out(size_t(rows) * N), scratch(size_t(N) * K), f16(size_t(N) * K);
  CUDA_OK(cudaMemset(f16.p, 0x11, size_t(N) * K * 2));
  float f16Ms = timeMs([&] { gemm<T, T>(lt.args(), dIn.p, f16.p, nullptr, out.p, rows, N, K); });
  std::printf("BENCH quant_gemm prefill rows %d N %d K %d: f16 gemm %.3f ms", rows, N, K, f16Ms);
  for (QuantFormat f : {QuantFormat::Int8, QuantFormat::Int4}) {
    HostQuant q = makeQuant(f, N, K, 128, false);
    QuantWeight w = q.device();
    float ms = timeMs([&] {
      gemm_quant<T, T>(lt.args(), dIn.p, w, nullptr, out.p, rows, N, K, scratch.p, nullptr);
    });
    float deq = timeMs([&] { detail::dequantize<T>(0, w, scratch.p, N, K); });
    std::printf(" | %s %.3f ms (dequantize %.3f ms) %.2fx f16",
                f == QuantFormat::Int8 ? "int8" : "int4", ms, deq, f16Ms / ms);
  }
  std::printf("\n");
}

// fp8 prefill at 2048 rows: the f16 GEMM (cuBLASLt), fp8 as before
// cuBLASLt's FP8 path (activations quantized to T, weight dequantized to
// T, f16 cuBLASLt), each FP8 way (outer-vector scales; unit scales + the
// epilogue kernel; activation quantization included; nan where cuBLASLt
// has no algorithm), the way gemm_quant takes with FAST_ACCUM, and the
// activation quantization alone. Milliseconds; test/gpu/fp8_lt.sh turns
// them into TFLOP/s (2 rows N K / time).
// The operands of the fp8 benches: up to `rows` activation rows, an f16
// weight (constant bytes) and the fp8 weight of the same shape, the
// outputs and gemm_quant's scratches.
struct Fp8Bench {
  Dev<half> dIn, out, scratch, f16, actScratch;
  HostQuant q;
  QuantWeight w;
  Fp8Bench(int rows, int N, int K)
      : dIn(toTVec<half>(randomT<half>(size_t(rows) * K))), out(size_t(rows) * N),
        scratch(size_t(N) * K), f16(size_t(N) * K), actScratch(size_t(rows) * K),
        q(makeQuant(QuantFormat::FP8, N, K, 0, false)), w(q.device()) {
    CUDA_OK(cudaMemset(f16.p, 0x11, size_t(N) * K * 2));
  }
};

void benchFp8Prefill(const LtContext &lt, const char *label, int N, int K) {
  using T = half;
  const int rows = 2048;
  Fp8Bench b(rows, N, K);
  Dev<T> &dIn = b.dIn, &out = b.out, &scratch = b.scratch, &f16 = b.f16, &actScratch = b.actScratch;
  const QuantWeight &w = b.w;
  const float f16Ms =
      timeMs([&] { gemm<T, T>(lt.args(), dIn.p, f16.p, nullptr, out.p, rows, N, K); });
  const float oldMs = timeMs([&] {
    detail::fp8QuantizeRowsKernel<T><<<rows, 256>>>(dIn.p, actScratch.p, K);
    detail::dequantize<T>(0, w, scratch.p, N, K);
    detail::gemmCublasLt<T, T>(lt.args(), actScratch.p, scratch.p, nullptr, out.p, rows, N, K);
  });
  // One FP8 way: its time, or NaN when cuBLASLt offers no algorithm.
  auto fp8Ms = [&](detail::Fp8LtOptions opt, detail::Fp8Path way) {
    auto launch = [&] {
      return detail::gemmFp8Lt<T, T>(lt.args(), dIn.p, w, nullptr, out.p, rows, N, K,
                                     actScratch.p, scratch.p, 0, opt);
    };
    return launch() == way ? timeMs([&] { launch(); }) : NAN;
  };
  detail::Fp8LtOptions outer, epi;
  outer.epilogue = false;
  epi.outerVector = false;
  const float outerMs = fp8Ms(outer, detail::Fp8Path::OuterVector);
  const float epiMs = fp8Ms(epi, detail::Fp8Path::Epilogue);
  const bool useOuter = !std::isnan(outerMs);
  detail::Fp8LtOptions fast = useOuter ? outer : epi;
  fast.fastAccum = true;
  const float fastMs =
      fp8Ms(fast, useOuter ? detail::Fp8Path::OuterVector : detail::Fp8Path::Epilogue);
  const float quantMs = timeMs([&] {
    detail::fp8QuantizeCodes<T>(0, dIn.p, reinterpret_cast<uint8_t *>(actScratch.p),
                                detail::fp8ActScales(actScratch.p, rows, K), rows, K);
  });
  launcherOk("fp8 prefill bench");
  std::printf("BENCH fp8 prefill %s rows %d N %d K %d: f16 %.4f ms | old %.4f ms | outer-vector "
              "%.4f ms | epilogue %.4f ms | fast-accum (%s) %.4f ms | quantize %.4f ms\n",
              label, rows, N, K, f16Ms, oldMs, outerMs, epiMs, useOuter ? "outer-vector" : "epilogue",
              fastMs, quantMs);
}

// fp8 at decode rows: gemm_quant as dispatched (the per-token activation
// quantization, then the GEMV or the tensor-core kernel on E4M3 codes over
// the f16 datapath) against cuBLASLt's FP8 GEMM (activation codes, then
// the FP8 tensor cores; outer-vector scales) and the f16 GEMM, each launch
// timed alone.
void benchFp8Decode(const LtContext &lt, const char *label, int N, int K) {
  using T = half;
  Fp8Bench b(16, N, K);
  Dev<T> &dIn = b.dIn, &out = b.out, &scratch = b.scratch, &f16 = b.f16, &actScratch = b.actScratch;
  const QuantWeight &w = b.w;
  for (int rows : {1, 4, 8, 16}) {
    const float f16Ms =
        timeMs([&] { gemm<T, T>(lt.args(), dIn.p, f16.p, nullptr, out.p, rows, N, K); });
    const float decodeMs = timeMs([&] {
      gemm_quant<T, T>(lt.args(), dIn.p, w, nullptr, out.p, rows, N, K, scratch.p, actScratch.p);
    });
    detail::Fp8LtOptions outer;
    outer.epilogue = false;
    auto launch = [&] {
      return detail::gemmFp8Lt<T, T>(lt.args(), dIn.p, w, nullptr, out.p, rows, N, K,
                                     actScratch.p, scratch.p, 0, outer);
    };
    const bool offered = launch() == detail::Fp8Path::OuterVector;
    CUDA_OK(cudaDeviceSynchronize());
    const std::vector<float> viaLt = out.download();
    const float ltMs = offered ? timeMs([&] { launch(); }) : NAN;
    gemm_quant<T, T>(lt.args(), dIn.p, w, nullptr, out.p, rows, N, K, scratch.p, actScratch.p);
    CUDA_OK(cudaDeviceSynchronize());
    // The two fp8 ways agree to T's rounding (the GEMV's activations are
    // e4m3(x / s) * s rounded to T; cuBLASLt's are the codes and s).
    const ErrorStats d = compare(std::vector<float>(viaLt.begin(), viaLt.begin() + size_t(rows) * N),
                                 [&] {
                                   auto v = out.download();
                                   v.resize(size_t(rows) * N);
                                   return v;
                                 }());
    launcherOk("fp8 decode bench");
    std::printf("BENCH fp8 decode %s rows %d N %d K %d: f16 %.4f ms | gemm_quant %.4f ms | "
                "cuBLASLt FP8 %.4f ms (%s; relative L2 to gemm_quant %.1e)\n",
                label, rows, N, K, f16Ms, decodeMs, ltMs, offered ? "outer-vector" : "not offered",
                d.rel);
  }
}

} // namespace

int main(int argc, char **argv) {
  bool benchToo = false, fp8Bench = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--bench") == 0) {
      benchToo = true;
    } else if (std::strcmp(argv[i], "--fp8-bench") == 0) {
      fp8Bench = true;
    } else {
      std::fprintf(stderr, "usage: %s [--bench] [--fp8-bench]\n", argv[0]);
      return 2;
    }
  }
  if (!haveDevice("quant_gemm_test"))
    return 77;
  cudaDeviceProp prop;
  CUDA_OK(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s\n", prop.name);
  LtContext lt;
  testAll<half>(lt);
  testAll<__nv_bfloat16>(lt);
  testFp8Lt<half>(lt);
  testFp8Lt<__nv_bfloat16>(lt);
  testAwqPieces<half>(lt);
  testAwqPieces<__nv_bfloat16>(lt);
  testRefusals(lt);
  if (benchToo) {
    double bw = copyGBs();
    std::printf("BENCH copy bandwidth (1 GiB device-to-device, read + write): %.0f GB/s\n", bw);
    // Per layer: fused qkv, o, fused gate_up, down.
    benchModel(lt, "Llama-3.2-1B", 16, {{3072, 2048}, {2048, 2048}, {16384, 2048}, {2048, 8192}},
               bw);
    benchModel(lt, "Llama-3-8B", 32, {{6144, 4096}, {4096, 4096}, {28672, 4096}, {4096, 14336}},
               bw);
    benchPrefill(lt, 4096, 4096);
    benchPrefill(lt, 28672, 4096);
  }
  if (fp8Bench) {
    for (auto [N, K] : {std::pair{6144, 4096}, {4096, 4096}, {28672, 4096}, {4096, 14336}})
      benchFp8Decode(lt, "Llama-3-8B", N, K);
    for (auto [N, K] : {std::pair{6144, 4096}, {4096, 4096}, {28672, 4096}, {4096, 14336}})
      benchFp8Prefill(lt, "Llama-3-8B", N, K);
    for (auto [N, K] : {std::pair{3072, 2048}, {2048, 2048}, {16384, 2048}, {2048, 8192}})
      benchFp8Prefill(lt, "Llama-3.2-1B", N, K);
  }
  std::printf("%s: %d failure(s)\n", failures() ? "FAILED" : "ALL PASSED", failures());
  return failures() ? 1 : 0;
}
