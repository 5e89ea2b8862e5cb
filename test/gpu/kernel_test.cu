// Kernel launcher tests: every launcher of runtime/sieve_kernels.cuh against
// a straightforward fp32 CPU reference on random data, in f16 and bf16.
// Prints one PASS/FAIL line per check and exits non-zero on any failure.
//   kernel_test [--bench] [--only GROUP]
// --bench also times attention and GEMM at model-like sizes (with --only
// kvquant: only the f16 attention over f16, int8, fp8 and int4 caches); --only runs one
// group (embedding, norm, elementwise, gemm, rotary, attention, token_scores,
// kvquant, kv_evict, sampling), e.g. under compute-sanitizer racecheck.
// kvquant: the int8 / fp8 / int4 KV caches (quantizing append, both
// attention kernels); kv_evict: SnapKV's kv_mass and kv_compact, and the
// rotary append with a position shift.
#include "sieve_kernels.cuh"
#include "sieve_sampling.h"
#include "kernel_test_util.h"

#include <cublasLt.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <numeric>
#include <utility>

using namespace sieve::rt;
using namespace test;

namespace {

float activateRef(float x, Activation a) {
  switch (a) {
  case Activation::Silu:
    return x / (1.f + std::exp(-x));
  case Activation::Gelu:
    return 0.5f * x * (1.f + std::erf(x / std::sqrt(2.f)));
  case Activation::GeluTanh:
    return 0.5f * x * (1.f + std::tanh(0.7978845608f * (x + 0.044715f * x * x * x)));
  case Activation::Relu:
    return std::max(x, 0.f);
  }
  return x;
}

template <typename T> void testEmbedding() {
  for (int hidden : {256, 100}) {
    int rows = 37, vocab = 50, maxPos = 64;
    auto table = randomT<T>(size_t(vocab) * hidden), pos = randomT<T>(size_t(maxPos) * hidden);
    std::vector<int32_t> tokens(rows), positions(rows);
    for (int r = 0; r < rows; ++r) {
      tokens[r] = rng()() % vocab;
      positions[r] = rng()() % maxPos;
    }
    auto dTable = devT<T>(table), dPos = devT<T>(pos);
    Dev<int32_t> dTokens(tokens), dPositions(positions);
    for (bool withPos : {false, true}) {
      Dev<T> out(size_t(rows) * hidden);
      out.poison();
      embedding<T>(0, dTokens.p, dTable.p, 1.5f, withPos ? dPos.p : nullptr, dPositions.p, out.p,
                   rows, hidden);
      CUDA_OK(cudaDeviceSynchronize());
      std::vector<float> ref(size_t(rows) * hidden);
      for (int r = 0; r < rows; ++r)
        for (int c = 0; c < hidden; ++c)
          ref[size_t(r) * hidden + c] =
              table[size_t(tokens[r]) * hidden + c] * 1.5f +
              (withPos ? pos[size_t(positions[r]) * hidden + c] : 0.f);
      report(std::string("embedding ") + typeName<T>() + " hidden " + std::to_string(hidden) +
                 (withPos ? " +pos" : ""),
             compare(out.download(), ref), tolerance<T>());
    }
  }
}

// The residual sum rounded to T, as the kernels store it.
template <typename T>
std::vector<float> residual(const std::vector<float> &a, const std::vector<float> *b) {
  std::vector<float> s(a);
  if (b)
    for (size_t i = 0; i < s.size(); ++i)
      s[i] = roundT<T>(a[i] + (*b)[i]);
  return s;
}

template <typename T> void testNorms() {
  // 4096, 8192 and 128: rows held in registers (addRmsNormHeldKernel);
  // 8200: the streaming 16-byte kernel; 100: the scalar one.
  for (int cols : {4096, 8192, 8200, 128, 100}) {
    int rows = 5;
    size_t n = size_t(rows) * cols;
    auto a = randomT<T>(n, -2.f, 3.f), b = randomT<T>(n), w = randomT<T>(cols, 0.5f, 1.5f),
         bias = randomT<T>(cols);
    for (bool withB : {false, true}) {
      auto sum = residual<T>(a, withB ? &b : nullptr);
      std::string tag = std::string(typeName<T>()) + " cols " + std::to_string(cols) +
                        (withB ? " +residual" : "");
      // RMSNorm; sum_out aliases a.
      {
        auto dA = devT<T>(a), dB = devT<T>(b), dW = devT<T>(w);
        Dev<T> out(n);
        out.poison();
        add_rms_norm<T>(0, dA.p, withB ? dB.p : nullptr, dA.p, dW.p, 0.25f, 1e-5f, out.p, rows,
                        cols);
        CUDA_OK(cudaDeviceSynchronize());
        std::vector<float> ref(n);
        for (int r = 0; r < rows; ++r) {
          double ss = 0;
          for (int c = 0; c < cols; ++c)
            ss += double(sum[size_t(r) * cols + c]) * sum[size_t(r) * cols + c];
          float inv = 1.f / std::sqrt(float(ss / cols) + 1e-5f);
          for (int c = 0; c < cols; ++c)
            ref[size_t(r) * cols + c] = sum[size_t(r) * cols + c] * inv * (w[c] + 0.25f);
        }
        report("add_rms_norm " + tag, compare(out.download(), ref), tolerance<T>());
        report("add_rms_norm sum_out " + tag, compare(dA.download(), sum), 1e-6);
        // The held kernel computes what the streaming one does, bit for bit.
        if (cols % 8 == 0 && cols <= detail::kNormThreads * 8 * detail::kNormHeld) {
          auto dA2 = devT<T>(a);
          Dev<T> out2(n);
          out2.poison();
          detail::addRmsNormKernel<T, 8><<<rows, detail::normThreads(cols, 8)>>>(
              dA2.p, withB ? dB.p : nullptr, dA2.p, dW.p, 0.25f, 1e-5f, out2.p, cols);
          CUDA_OK(cudaDeviceSynchronize());
          const auto held = out.download(), streamed = out2.download();
          expect("add_rms_norm held == streaming, bit for bit " + tag,
                 std::memcmp(held.data(), streamed.data(), held.size() * sizeof(held[0])) == 0);
        }
      }
      // LayerNorm with bias, separate sum_out.
      {
        auto dA = devT<T>(a), dB = devT<T>(b), dW = devT<T>(w), dBias = devT<T>(bias);
        Dev<T> out(n), sumOut(n);
        out.poison();
        add_layer_norm<T>(0, dA.p, withB ? dB.p : nullptr, sumOut.p, dW.p, dBias.p, 1e-5f, out.p,
                          rows, cols);
        CUDA_OK(cudaDeviceSynchronize());
        std::vector<float> ref(n);
        for (int r = 0; r < rows; ++r) {
          double mean = 0, var = 0;
          for (int c = 0; c < cols; ++c)
            mean += sum[size_t(r) * cols + c];
          mean /= cols;
          for (int c = 0; c < cols; ++c)
            var += (sum[size_t(r) * cols + c] - mean) * (sum[size_t(r) * cols + c] - mean);
          float inv = 1.f / std::sqrt(float(var / cols) + 1e-5f);
          for (int c = 0; c < cols; ++c)
            ref[size_t(r) * cols + c] =
                (sum[size_t(r) * cols + c] - float(mean)) * inv * w[c] + bias[c];
        }
        report("add_layer_norm " + tag, compare(out.download(), ref), tolerance<T>());
        report("add_layer_norm sum_out " + tag, compare(sumOut.download(), sum), 1e-6);
      }
    }
  }
}

template <typename T> void testElementwise() {
  for (int64_t n : {int64_t(4096), int64_t(1003)}) {
    auto a = randomT<T>(n), b = randomT<T>(n);
    auto dA = devT<T>(a), dB = devT<T>(b);
    Dev<T> out(n);
    out.poison();
    add<T>(0, dA.p, dB.p, out.p, n);
    CUDA_OK(cudaDeviceSynchronize());
    std::vector<float> ref(n);
    for (int64_t i = 0; i < n; ++i)
      ref[i] = a[i] + b[i];
    report(std::string("add ") + typeName<T>() + " n " + std::to_string(n),
           compare(out.download(), ref), tolerance<T>());
    for (Activation act : {Activation::Silu, Activation::Gelu, Activation::GeluTanh,
                           Activation::Relu}) {
      auto x = randomT<T>(n, -4.f, 4.f);
      auto dX = devT<T>(x);
      activation<T>(0, dX.p, n, act);
      CUDA_OK(cudaDeviceSynchronize());
      std::vector<float> r(n);
      for (int64_t i = 0; i < n; ++i)
        r[i] = activateRef(x[i], act);
      report(std::string("activation ") + typeName<T>() + " act " +
                 std::to_string(int(act)) + " n " + std::to_string(n),
             compare(dX.download(), r), tolerance<T>());
    }
  }
  // GLU over a fused [gate | up] projection, and a layout with odd offsets.
  struct Case {
    int width, ld, gate, up;
  };
  for (Case c : {Case{256, 512, 0, 256}, Case{100, 203, 3, 103}})
    for (Activation act : {Activation::Silu, Activation::GeluTanh}) {
      int rows = 7;
      auto x = randomT<T>(size_t(rows) * c.ld, -3.f, 3.f);
      auto dX = devT<T>(x);
      Dev<T> out(size_t(rows) * c.width);
      out.poison();
      glu<T>(0, dX.p, c.ld, c.gate, c.up, c.width, act, out.p, rows);
      CUDA_OK(cudaDeviceSynchronize());
      std::vector<float> ref(size_t(rows) * c.width);
      for (int r = 0; r < rows; ++r)
        for (int i = 0; i < c.width; ++i)
          ref[size_t(r) * c.width + i] = activateRef(x[size_t(r) * c.ld + c.gate + i], act) *
                                         x[size_t(r) * c.ld + c.up + i];
      report(std::string("glu ") + typeName<T>() + " width " + std::to_string(c.width) +
                 " act " + std::to_string(int(act)),
             compare(out.download(), ref), tolerance<T>());
    }
  for (int cols : {128, 99}) {
    int rows = 20, picked = 6;
    auto in = randomT<T>(size_t(rows) * cols);
    std::vector<int32_t> idx = {19, 0, 7, 7, 3, 12};
    auto dIn = devT<T>(in);
    Dev<int32_t> dIdx(idx);
    Dev<T> out(size_t(picked) * cols);
    out.poison();
    gather_rows<T>(0, dIn.p, dIdx.p, picked, cols, out.p);
    CUDA_OK(cudaDeviceSynchronize());
    std::vector<float> ref;
    for (int r : idx)
      ref.insert(ref.end(), in.begin() + size_t(r) * cols, in.begin() + size_t(r + 1) * cols);
    report(std::string("gather_rows ") + typeName<T>() + " cols " + std::to_string(cols),
           compare(out.download(), ref), 0);
  }
}

// Checks gemm() (named by the path it dispatches to) and, where the skinny
// kernel supports the problem but gemm() does not take it (rows above
// kSkinnyDispatchRows), the skinny kernel directly, against one reference.
template <typename T, typename OutT> void testGemmCase(const LtContext &lt, int rows, int N, int K, bool withBias) {
  auto in = randomT<T>(size_t(rows) * K), w = randomT<T>(size_t(N) * K, -0.1f, 0.1f),
       bias = randomT<T>(N);
  auto dIn = devT<T>(in), dW = devT<T>(w), dBias = devT<T>(bias);
  auto ref = gemmRef(in, w, withBias ? &bias : nullptr, rows, N, K);
  const T *dB = withBias ? dBias.p : nullptr;
  auto check = [&](bool direct) {
    Dev<OutT> out(size_t(rows) * N);
    out.poison();
    if (direct)
      detail::skinnyGemm<T, OutT>(0, dIn.p, dW.p, dB, out.p, rows, N, K);
    else
      gemm<T, OutT>(lt.args(), dIn.p, dW.p, dB, out.p, rows, N, K);
    CUDA_OK(cudaGetLastError());
    CUDA_OK(cudaDeviceSynchronize());
    if (!launcherOk("gemm"))
      return;
    const char *path = direct ? "skinny kernel, direct"
                       : detail::skinnyGemmApplies(dIn.p, dW.p, rows, K) ? "skinny kernel"
                                                                          : "cuBLASLt";
    char name[160];
    std::snprintf(name, sizeof name, "gemm %s->%s rows %d N %d K %d%s (%s)", typeName<T>(),
                  std::is_same_v<OutT, float> ? "f32" : typeName<T>(), rows, N, K,
                  withBias ? " +bias" : "", path);
    report(name, compare(out.download(), ref),
           std::is_same_v<OutT, float> ? 1e-5 : tolerance<T>());
  };
  check(false);
  if (detail::skinnyGemmSupports(dIn.p, dW.p, rows, K) &&
      !detail::skinnyGemmApplies(dIn.p, dW.p, rows, K))
    check(true);
}

template <typename T> void testGemm(const LtContext &lt) {
  struct Shape {
    int rows, N, K;
  };
  // cuBLASLt shapes (rows > 16), odd sizes, and K % 8 != 0 (cuBLASLt at
  // any rows).
  for (Shape s : {Shape{1, 256, 128}, Shape{37, 384, 512}, Shape{128, 1000, 256},
                  Shape{3, 1000, 200}, Shape{5, 77, 8}, Shape{16, 1001, 1032}, Shape{2, 300, 100}})
    for (bool bias : {false, true}) {
      testGemmCase<T, T>(lt, s.rows, s.N, s.K, bias);
      testGemmCase<T, float>(lt, s.rows, s.N, s.K, bias);
    }
  // Decode shapes of Llama-3.2-1B (K 2048: fused qkv 3072, o 2048, fused
  // gate/up 16384; down K 8192) and Llama-3.1-8B's o/qkv width at K 4096,
  // bias on rows 2 and 16.
  for (int rows : {1, 2, 8, 16}) {
    bool bias = rows == 2 || rows == 16;
    for (Shape s : {Shape{rows, 2048, 2048}, Shape{rows, 3072, 2048}, Shape{rows, 16384, 2048},
                    Shape{rows, 2048, 8192}, Shape{rows, 6144, 4096}})
      testGemmCase<T, T>(lt, s.rows, s.N, s.K, bias);
  }
  // The tied LM head, float logits (one row count per type: the reference
  // is 4 G multiply-adds at 16 rows).
  if (std::is_same_v<T, half>)
    testGemmCase<T, float>(lt, 16, 128256, 2048, true);
  else
    testGemmCase<T, float>(lt, 1, 128256, 2048, false);
}

// A paged cache of `slots` sequences with a shuffled block table.
template <typename T> struct PagedCache {
  int slots, kvHeads, headDim, blockSize, maxBlocks;
  std::vector<int32_t> table;
  std::vector<float> k, v; // host copies (values rounded to T)
  PagedCache(int slots, int kvHeads, int headDim, int blockSize, int maxContext)
      : slots(slots), kvHeads(kvHeads), headDim(headDim), blockSize(blockSize),
        maxBlocks((maxContext + blockSize - 1) / blockSize) {
    table.resize(size_t(slots) * maxBlocks);
    std::iota(table.begin(), table.end(), 0);
    std::shuffle(table.begin(), table.end(), rng());
    size_t n = table.size() * kvHeads * blockSize * headDim;
    k = randomT<T>(n);
    v = randomT<T>(n);
  }
  size_t at(int slot, int pos, int h, int d) const {
    size_t block = table[size_t(slot) * maxBlocks + pos / blockSize];
    return ((block * kvHeads + h) * blockSize + pos % blockSize) * headDim + d;
  }
};

// Quantized KV caches (runtime/kernels/kv_cache.cuh): the rule of lib/Quant
// kvQuantize, written here independently of the kernels (E4M3 by search
// over the codes): per vector s = amax / 127 (int8) or amax / 448 (fp8),
// codes round(x / s) (nearest even) clamped to +-127, or the nearest E4M3
// value (ties to the even code); s = 0 gives zero codes. int4: below.
float e4m3Value(uint8_t c) {
  int e = (c >> 3) & 15, m = c & 7;
  float mag = e == 0 ? std::ldexp(float(m), -9) : std::ldexp(float(8 + m), e - 10);
  return (c & 0x80) ? -mag : mag;
}
uint8_t e4m3Nearest(float v) {
  float a = std::fabs(v), bestErr = INFINITY;
  int best = 0;
  for (int c = 0; c <= 0x7e; ++c) { // 0x7e is 448; 0x7f is NaN
    float err = std::fabs(e4m3Value(uint8_t(c)) - a);
    if (err < bestErr || (err == bestErr && c % 2 == 0)) {
      best = c;
      bestErr = err;
    }
  }
  return uint8_t((std::signbit(v) ? 0x80 : 0) | best);
}
// A quantized vector on the host: one code per value (int4 unpacked), and
// the scale (and int4 zero point) of each group: int4 groups of `group`
// values, else one group of D.
struct QVec {
  std::vector<uint8_t> codes;
  std::vector<float> scales;
  std::vector<uint8_t> zeros; // int4
  int group = 0;
  float scale(int d) const { return scales[d / group]; }
};
// Values per scale of format F (kv_group 0: D).
template <KVFormat F> int kvGroupOf(int D, int group) {
  return F == KVFormat::Int4 && group ? group : D;
}
template <KVFormat F> QVec kvQuantizeRef(const float *x, int D, int kvGroup = 0) {
  QVec q;
  q.group = kvGroupOf<F>(D, kvGroup);
  q.codes.resize(D);
  if constexpr (F == KVFormat::Int4) {
    // Asymmetric, per group: s = (max - min) / 15, z = round(-min / s); a
    // constant group c is |c| * (q - z) with z = 0 or 1 (c = 0: s = 0).
    for (int g0 = 0; g0 < D; g0 += q.group) {
      float lo = INFINITY, hi = -INFINITY;
      for (int d = g0; d < g0 + q.group; ++d) {
        lo = std::min(lo, x[d]);
        hi = std::max(hi, x[d]);
      }
      float s = (hi - lo) / 15.f, z = 0.f;
      if (s == 0.f || !std::isfinite(s)) {
        s = lo == 0.f ? 0.f : std::fabs(lo);
        z = lo < 0.f ? 1.f : 0.f;
      } else {
        z = std::clamp(std::nearbyint(-lo / s), 0.f, 15.f);
      }
      q.scales.push_back(s);
      q.zeros.push_back(uint8_t(z));
      for (int d = g0; d < g0 + q.group; ++d)
        q.codes[d] = s == 0.f ? uint8_t(z)
                              : uint8_t(std::clamp(std::nearbyint(x[d] / s) + z, 0.f, 15.f));
    }
    return q;
  }
  float amax = 0.f;
  for (int d = 0; d < D; ++d)
    amax = std::max(amax, std::fabs(x[d]));
  const float s = amax / (F == KVFormat::Int8 ? 127.f : 448.f);
  q.scales = {s};
  for (int d = 0; d < D; ++d) {
    float v = s == 0.f ? 0.f : x[d] / s;
    q.codes[d] = F == KVFormat::Int8
                     ? uint8_t(int8_t(std::clamp(std::nearbyint(v), -127.f, 127.f)))
                     : e4m3Nearest(v);
  }
  return q;
}
// Value d of a quantized vector.
template <KVFormat F> float kvValueRef(const QVec &q, int d) {
  uint8_t c = q.codes[d];
  if (F == KVFormat::Int4)
    return q.scale(d) * (float(c) - float(q.zeros[d / q.group]));
  return q.scale(d) * (F == KVFormat::Int8 ? float(int8_t(c)) : e4m3Value(c));
}
// Codes as ordered integers (E4M3 magnitudes grow with the code; 0x80 is 0).
template <KVFormat F> int kvOrdinal(uint8_t c) {
  if (F == KVFormat::Int8)
    return int8_t(c);
  if (F == KVFormat::FP8)
    return (c & 0x80) ? -int(c & 0x7f) : int(c & 0x7f);
  return c;
}
// Where vector p of tile `tile` lives in a pool of format F with int4
// groups of `group` values (0: D), written out here from the layout that
// runtime/kernels/kv_cache.cuh documents: codes, then [block][G] f32
// scales, then (int4) [block][G] zero points.
template <KVFormat F> struct PoolLayout {
  int D, blockSize, group = 0;
  int groups() const { return D / kvGroupOf<F>(D, group); }
  size_t codeBytes() const { return F == KVFormat::Int4 ? D / 2 : D; }
  size_t vectorBytes() const {
    return codeBytes() + size_t(groups()) * (F == KVFormat::Int4 ? 5 : 4);
  }
  size_t tileBytes() const { return size_t(blockSize) * vectorBytes(); }
  size_t codesAt(size_t tile, int p) const { return tile * tileBytes() + p * codeBytes(); }
  size_t scaleAt(size_t tile, int p, int g) const {
    return tile * tileBytes() + blockSize * codeBytes() + (size_t(p) * groups() + g) * 4;
  }
  size_t zeroAt(size_t tile, int p, int g) const {
    return tile * tileBytes() + blockSize * (codeBytes() + 4 * size_t(groups())) +
           size_t(p) * groups() + g;
  }
  void write(std::vector<uint8_t> &pool, size_t tile, int p, const QVec &q) const {
    for (int d = 0; d < D; ++d) {
      if (F == KVFormat::Int4) {
        uint8_t &b = pool[codesAt(tile, p) + d / 2];
        b = (d % 2) ? uint8_t((b & 0x0f) | (q.codes[d] << 4)) : uint8_t((b & 0xf0) | q.codes[d]);
      } else {
        pool[codesAt(tile, p) + d] = q.codes[d];
      }
    }
    for (int g = 0; g < groups(); ++g) {
      std::memcpy(&pool[scaleAt(tile, p, g)], &q.scales[g], 4);
      if (F == KVFormat::Int4)
        pool[zeroAt(tile, p, g)] = q.zeros[g];
    }
  }
  QVec read(const std::vector<uint8_t> &pool, size_t tile, int p) const {
    QVec q;
    q.group = D / groups();
    q.codes.resize(D);
    for (int d = 0; d < D; ++d)
      q.codes[d] = F == KVFormat::Int4 ? (pool[codesAt(tile, p) + d / 2] >> (4 * (d % 2))) & 15
                                       : pool[codesAt(tile, p) + d];
    q.scales.resize(groups());
    for (int g = 0; g < groups(); ++g) {
      std::memcpy(&q.scales[g], &pool[scaleAt(tile, p, g)], 4);
      if (F == KVFormat::Int4)
        q.zeros.push_back(pool[zeroAt(tile, p, g)]);
    }
    return q;
  }
  // Marks the bytes of the vector.
  void mark(std::vector<bool> &bytes, size_t tile, int p) const {
    for (size_t b = 0; b < codeBytes(); ++b)
      bytes[codesAt(tile, p) + b] = true;
    for (int g = 0; g < groups(); ++g) {
      for (size_t b = 0; b < 4; ++b)
        bytes[scaleAt(tile, p, g) + b] = true;
      if (F == KVFormat::Int4)
        bytes[zeroAt(tile, p, g)] = true;
    }
  }
};
// The pool image of `values` ([tiles * block][D], the Dense layout).
// `values` become what the pool represents (dequantized).
template <KVFormat F>
std::vector<uint8_t> quantizePool(std::vector<float> &values, int D, int blockSize,
                                  int group) {
  PoolLayout<F> L{D, blockSize, group};
  size_t vectors = values.size() / D;
  std::vector<uint8_t> pool(vectors / blockSize * L.tileBytes());
  for (size_t v = 0; v < vectors; ++v) {
    QVec q = kvQuantizeRef<F>(&values[v * D], D, group);
    L.write(pool, v / blockSize, int(v % blockSize), q);
    for (int d = 0; d < D; ++d)
      values[v * D + d] = kvValueRef<F>(q, d);
  }
  return pool;
}
// A device pool of format F holding `values` (quantized: replaced by their
// dequantized values); int4 groups of `group` values (0: D).
template <typename T, KVFormat F>
Dev<typename KVCache<T, F>::Code> devKV(std::vector<float> &values, int D, int blockSize,
                                        int group = 0) {
  if constexpr (F == KVFormat::Dense)
    return devT<T>(values);
  else
    return Dev<uint8_t>(quantizePool<F>(values, D, blockSize, group));
}
const char *kvName(KVFormat f) {
  return f == KVFormat::Dense  ? ""
         : f == KVFormat::Int8 ? " kv int8"
         : f == KVFormat::FP8  ? " kv fp8"
                               : " kv int4";
}
std::string groupName(int group) { return group ? " g" + std::to_string(group) : ""; }

// out[t] = softmax(q[t] . K[0..pos] * scale) V for one query row.
template <typename T>
void attentionRef(const PagedCache<T> &c, const float *q, int slot, int pos, int heads,
                  float scale, float *out) {
  int group = heads / c.kvHeads;
  for (int h = 0; h < heads; ++h) {
    int kvh = h / group;
    std::vector<double> s(pos + 1);
    double m = -1e300;
    for (int j = 0; j <= pos; ++j) {
      double acc = 0;
      for (int d = 0; d < c.headDim; ++d)
        acc += double(q[h * c.headDim + d]) * c.k[c.at(slot, j, kvh, d)];
      s[j] = acc * scale;
      m = std::max(m, s[j]);
    }
    double sum = 0;
    for (auto &x : s)
      sum += (x = std::exp(x - m));
    for (int d = 0; d < c.headDim; ++d) {
      double acc = 0;
      for (int j = 0; j <= pos; ++j)
        acc += s[j] * c.v[c.at(slot, j, kvh, d)];
      out[h * c.headDim + d] = float(acc / sum);
    }
  }
}

// Step indices of a packed launch: `existing[s]` cached tokens and `fresh[s]`
// new ones per slot.
struct Step {
  std::vector<int32_t> positions, tokenSeq, queryStart, kvLen;
  int tokens = 0, maxQuery = 0;
  Step(const std::vector<int> &existing, const std::vector<int> &fresh) {
    for (size_t s = 0; s < fresh.size(); ++s) {
      queryStart.push_back(tokens);
      for (int i = 0; i < fresh[s]; ++i) {
        positions.push_back(existing[s] + i);
        tokenSeq.push_back(int32_t(s));
      }
      tokens += fresh[s];
      maxQuery = std::max(maxQuery, fresh[s]);
      kvLen.push_back(existing[s] + fresh[s]);
    }
    queryStart.push_back(tokens);
  }
};

struct StepDev {
  Dev<int32_t> positions, tokenSeq, queryStart, kvLen, table;
  StepDev(const Step &s, const std::vector<int32_t> &blockTable)
      : positions(s.positions), tokenSeq(s.tokenSeq), queryStart(s.queryStart), kvLen(s.kvLen),
        table(blockTable) {}
  StepArgs args(const Step &s, int maxContext, int maxBlocks, float *scratch = nullptr,
                size_t scratchBytes = 0) const {
    StepArgs a{};
    a.num_tokens = s.tokens;
    a.num_seqs = int(s.kvLen.size());
    a.max_query_len = s.maxQuery;
    a.max_context = maxContext;
    a.positions = positions.p;
    a.token_seq = tokenSeq.p;
    a.query_start = queryStart.p;
    a.kv_len = kvLen.p;
    a.block_table = table.p;
    a.max_blocks_per_seq = maxBlocks;
    a.attn_scratch = scratch;
    a.attn_scratch_bytes = scratchBytes;
    return a;
  }
};

// Prefill: the launcher's choice of tile; PrefillWide: the 128-query tile
// (8 warps) whatever the length.
enum class AttnKind { Decode, Prefill, PrefillWide, PrefillSimt };

template <typename T, int HeadDim, KVFormat F = KVFormat::Dense>
void testAttention(int heads, int kvHeads, const std::vector<int> &existing,
                   const std::vector<int> &fresh, AttnKind kind, int spareContext = 19,
                   int kvGroup = 0) {
  int slots = int(fresh.size()), blockSize = 16, maxContext = 0;
  for (int s = 0; s < slots; ++s)
    maxContext = std::max(maxContext, existing[s] + fresh[s]);
  // 19 by default: not a multiple of the block or split size.
  maxContext += spareContext;
  PagedCache<T> cache(slots, kvHeads, HeadDim, blockSize, maxContext);
  Step step(existing, fresh);
  auto q = randomT<T>(size_t(step.tokens) * heads * HeadDim);
  auto dK = devKV<T, F>(cache.k, HeadDim, blockSize, kvGroup),
       dV = devKV<T, F>(cache.v, HeadDim, blockSize, kvGroup);
  auto dQ = devT<T>(q);
  Dev<T> out(q.size());
  out.poison();
  StepDev sd(step, cache.table);
  size_t scratchBytes = attention_decode_scratch_bytes(slots, heads, maxContext, HeadDim);
  Dev<float> scratch(scratchBytes / sizeof(float));
  StepArgs args = sd.args(step, maxContext, cache.maxBlocks, scratch.p, scratchBytes);
  float scale = 1.f / std::sqrt(float(HeadDim));
  if (kind == AttnKind::Decode) {
    // The first slot alone first (fewer slots: other split lengths and
    // another partial layout on the same scratch), then all slots twice:
    // nothing a launch leaves in the scratch may change the next one.
    StepArgs firstSlot = args;
    firstSlot.num_seqs = 1;
    attention_decode<T, HeadDim, F>(firstSlot, dQ.p, dK.p, dV.p, out.p, heads, kvHeads, scale,
                                    blockSize, kvGroup);
    for (int i = 0; i < 2; ++i)
      attention_decode<T, HeadDim, F>(args, dQ.p, dK.p, dV.p, out.p, heads, kvHeads, scale,
                                      blockSize, kvGroup);
  } else if (kind == AttnKind::Prefill)
    attention_prefill<T, HeadDim, F>(args, dQ.p, dK.p, dV.p, out.p, heads, kvHeads, scale,
                                     blockSize, kvGroup);
  else if (kind == AttnKind::PrefillWide)
    detail::attentionPrefillMma<T, HeadDim, F, 8>(args, dQ.p, dK.p, dV.p, out.p, heads, kvHeads,
                                                  scale, blockSize, kvGroup ? kvGroup : HeadDim);
  // The CUDA-core kernel's lanes own pairs of dims; it reads Dense caches.
  else if constexpr (HeadDim >= 64 && F == KVFormat::Dense)
    detail::attentionPrefillSimt<T, HeadDim>(args, dQ.p, dK.p, dV.p, out.p, heads, kvHeads,
                                             scale, blockSize);
  else
    std::abort();
  CUDA_OK(cudaGetLastError());
  CUDA_OK(cudaDeviceSynchronize());
  if (!launcherOk("attention (quantized)"))
    return;
  std::vector<float> ref(q.size());
  for (int t = 0; t < step.tokens; ++t)
    attentionRef(cache, &q[size_t(t) * heads * HeadDim], step.tokenSeq[t], step.positions[t],
                 heads, scale, &ref[size_t(t) * heads * HeadDim]);
  std::string lens;
  for (int s = 0; s < slots; ++s)
    lens += " " + std::to_string(existing[s]) + "+" + std::to_string(fresh[s]);
  char name[200];
  std::snprintf(name, sizeof name, "attention_%s %s%s%s hd %d heads %d/%d lens%s",
                kind == AttnKind::Decode        ? "decode"
                : kind == AttnKind::Prefill     ? "prefill"
                : kind == AttnKind::PrefillWide ? "prefill(128-query tiles)"
                                                : "prefill(simt)",
                typeName<T>(), kvName(F), groupName(kvGroup).c_str(), HeadDim, heads, kvHeads,
                lens.c_str());
  report(name, compare(out.download(), ref), tolerance<T>());
}

template <typename T> void testAttentions() {
  // Packed prefill: several slots of different lengths over existing cache,
  // with the tensor-core kernel and the CUDA-core one.
  for (AttnKind k : {AttnKind::Prefill, AttnKind::PrefillWide, AttnKind::PrefillSimt}) {
    testAttention<T, 64>(4, 2, {0, 20, 65}, {5, 37, 70}, k);
    testAttention<T, 128>(8, 2, {0, 3}, {130, 1}, k);
    testAttention<T, 128>(4, 4, {17}, {16}, k);
    testAttention<T, 64>(8, 1, {0, 0}, {1, 200}, k);
    testAttention<T, 128>(4, 2, {100, 0, 7}, {150, 300, 64}, k);
  }
  // Long enough for the launcher's 128-query tiles (kWidePrefillQueries),
  // over a cached prefix that is not a multiple of the 64-key tile.
  testAttention<T, 128>(8, 2, {0, 37}, {700, 530}, AttnKind::Prefill);
  testAttention<T, 64>(4, 1, {200}, {600}, AttnKind::Prefill);
  // Head dim 32 (retrieval8: 8 heads over 2 KV heads), tensor-core prefill.
  testAttention<T, 32>(8, 2, {0, 40}, {300, 70}, AttnKind::Prefill);
  testAttention<T, 32>(8, 2, {0, 40}, {300, 70}, AttnKind::PrefillWide);
  testAttention<T, 32>(8, 2, {0, 130, 1000}, {1, 1, 1}, AttnKind::Decode);
  // Decode: lengths not multiples of the block (16) or split (128) sizes.
  testAttention<T, 64>(4, 2, {0, 99, 1000}, {1, 1, 1}, AttnKind::Decode);
  testAttention<T, 128>(32, 8, {15, 300}, {1, 1}, AttnKind::Decode);
  testAttention<T, 128>(8, 8, {127, 128, 129}, {1, 1, 1}, AttnKind::Decode);
  testAttention<T, 64>(16, 1, {700}, {1}, AttnKind::Decode);
  // A session sized far beyond its lengths (most splits of max_context
  // empty); Qwen2.5-1.5B's heads (12 over 2).
  testAttention<T, 128>(12, 2, {0, 40, 511, 1500}, {1, 1, 1, 1}, AttnKind::Decode, 2600);
  testAttention<T, 64>(32, 8, {0, 95, 513}, {1, 1, 1}, AttnKind::Decode, 3500);
  // 65 splits of at most 128 (max_context 8301): slots spread over splits of
  // 32, 96 and 128 positions (decodeSplitLenAt).
  testAttention<T, 128>(8, 2, {20, 6000, 8200}, {1, 1, 1}, AttnKind::Decode, 100);
  // 40 slots x 8 KV heads = 320 pairs: splits of 128 (no shorter length
  // keeps the launch within kDecodeTargetCtas) and each slot spread over at
  // most 3 of them (decodeSpread).
  std::vector<int> many;
  for (int s = 0; s < 40; ++s)
    many.push_back(37 + 23 * s);
  testAttention<T, 64>(32, 8, many, std::vector<int>(40, 1), AttnKind::Decode);
}

// Quantized caches against the reference over their dequantized values:
// the decode kernel dequantizes into fp32 registers, the prefill kernel into
// its T tiles (so its error also holds the rounding of K and V to T).
template <typename T, KVFormat F> void testAttentionsQuant() {
  for (AttnKind k : {AttnKind::Prefill, AttnKind::PrefillWide, AttnKind::Decode}) {
    bool decode = k == AttnKind::Decode;
    testAttention<T, 64, F>(4, 2, {0, 20, 65}, decode ? std::vector<int>{1, 1, 1}
                                                      : std::vector<int>{5, 37, 70}, k);
    testAttention<T, 128, F>(8, 2, {0, 300}, decode ? std::vector<int>{1, 1}
                                                    : std::vector<int>{130, 64}, k);
    testAttention<T, 128, F>(32, 8, {15, 1000}, {1, 1}, k);
    testAttention<T, 64, F>(16, 1, {0, 129}, decode ? std::vector<int>{1, 1}
                                                    : std::vector<int>{200, 1}, k);
  }
  testAttention<T, 32, F>(8, 2, {0, 130}, {300, 1}, AttnKind::Prefill);
  testAttention<T, 32, F>(8, 2, {0, 130}, {1, 1}, AttnKind::Decode);
  testAttention<T, 128, F>(12, 2, {0, 300}, {1, 1}, AttnKind::Decode, 3000);
}

// Value d of a head rotated by angle pos * invFreq (the rotary_kv_append
// rule), in double.
float rotaryRef(const float *head, int d, float pos, RotaryStyle style, int rotaryDim,
                const std::vector<float> &invFreq, float scaling) {
  if (style == RotaryStyle::None || d >= rotaryDim)
    return head[d];
  int half = rotaryDim / 2, i, p;
  float sign;
  if (style == RotaryStyle::Half) {
    i = d < half ? d : d - half;
    p = d < half ? d + half : d - half;
    sign = d < half ? -1.f : 1.f;
  } else {
    i = d / 2;
    p = d ^ 1;
    sign = (d & 1) ? 1.f : -1.f;
  }
  double angle = double(pos * invFreq[i]);
  return float((head[d] * std::cos(angle) + sign * head[p] * std::sin(angle)) * scaling);
}

// `shift` (per slot, empty: none) is StepArgs::position_shift, what KV
// eviction dropped: keys are rotated at positions[t] + shift[slot] and
// stored at cache offset positions[t].
template <typename T> void testRotary(const std::vector<int32_t> &shift = {}) {
  int heads = 4, kvHeads = 2, headDim = 64, blockSize = 16;
  std::vector<int> existing = {3, 30}, fresh = {20, 7};
  Step step(existing, fresh);
  int maxContext = 64;
  for (RotaryStyle style : {RotaryStyle::Half, RotaryStyle::Interleaved, RotaryStyle::None})
    for (int rotaryDim : {64, 32}) {
      if (!shift.empty() && (style != RotaryStyle::Half || rotaryDim != 64))
        continue;
      PagedCache<T> cache(2, kvHeads, headDim, blockSize, maxContext);
      // qkv with padding columns around the three parts.
      int qOff = 8, kOff = qOff + heads * headDim + 8, vOff = kOff + kvHeads * headDim,
          ld = vOff + kvHeads * headDim + 16;
      auto qkv = randomT<T>(size_t(step.tokens) * ld);
      std::vector<float> invFreq(rotaryDim / 2);
      for (int i = 0; i < rotaryDim / 2; ++i)
        invFreq[i] = std::pow(10000.f, -2.f * i / rotaryDim);
      auto dQkv = devT<T>(qkv), dK = devT<T>(cache.k), dV = devT<T>(cache.v);
      Dev<float> dFreq(invFreq);
      Dev<T> qOut(size_t(step.tokens) * heads * headDim);
      qOut.poison();
      StepDev sd(step, cache.table);
      StepArgs args = sd.args(step, maxContext, cache.maxBlocks);
      Dev<int32_t> dShift(shift.empty() ? std::vector<int32_t>{0} : shift);
      if (!shift.empty())
        args.position_shift = dShift.p;
      rotary_kv_append<T>(args, dQkv.p, ld, qOff, kOff, vOff, heads, kvHeads, headDim, rotaryDim,
                          style, dFreq.p, 0.9f, qOut.p, dK.p, dV.p, blockSize);
      CUDA_OK(cudaDeviceSynchronize());
      auto rot = [&](const float *head, int d, float pos) {
        return rotaryRef(head, d, pos, style, rotaryDim, invFreq, 0.9f);
      };
      std::vector<float> qRef(qOut.n), kRef = cache.k, vRef = cache.v;
      for (int t = 0; t < step.tokens; ++t) {
        const float *row = &qkv[size_t(t) * ld];
        float pos = float(step.positions[t] + (shift.empty() ? 0 : shift[step.tokenSeq[t]]));
        for (int h = 0; h < heads; ++h)
          for (int d = 0; d < headDim; ++d)
            qRef[(size_t(t) * heads + h) * headDim + d] = rot(row + qOff + h * headDim, d, pos);
        for (int h = 0; h < kvHeads; ++h)
          for (int d = 0; d < headDim; ++d) {
            size_t at = cache.at(step.tokenSeq[t], step.positions[t], h, d);
            kRef[at] = rot(row + kOff + h * headDim, d, pos);
            vRef[at] = row[vOff + h * headDim + d];
          }
      }
      std::string tag = std::string(typeName<T>()) + " style " + std::to_string(int(style)) +
                        " rotary_dim " + std::to_string(rotaryDim) +
                        (shift.empty() ? "" : " shifted " + std::to_string(shift[0]) + "/" +
                                                  std::to_string(shift[1]));
      report("rotary_kv_append q " + tag, compare(qOut.download(), qRef), tolerance<T>());
      report("rotary_kv_append k cache " + tag, compare(dK.download(), kRef), tolerance<T>());
      report("rotary_kv_append v cache " + tag, compare(dV.download(), vRef), 0);
    }
}

// The quantizing append: queries as in the Dense test; every appended key
// and value vector quantized by the host rule (values bit for bit: they are
// not rotated; keys within one code and scales within 1e-5, as the host
// rotates in double), every other vector of the pools untouched.
template <typename T, KVFormat F>
void testRotaryQuant(int headDim, RotaryStyle style, int group = 0) {
  int heads = 4, kvHeads = 2, blockSize = 16, maxContext = 64;
  Step step({3, 30}, {20, 7});
  PagedCache<T> cache(2, kvHeads, headDim, blockSize, maxContext);
  int qOff = 8, kOff = qOff + heads * headDim + 8, vOff = kOff + kvHeads * headDim,
      ld = vOff + kvHeads * headDim + 16;
  auto qkv = randomT<T>(size_t(step.tokens) * ld, -3.f, 3.f);
  std::vector<float> invFreq(headDim / 2);
  for (int i = 0; i < headDim / 2; ++i)
    invFreq[i] = std::pow(10000.f, -2.f * i / headDim);
  auto dQkv = devT<T>(qkv);
  auto dK = devKV<T, F>(cache.k, headDim, blockSize, group),
       dV = devKV<T, F>(cache.v, headDim, blockSize, group);
  auto poolBytes = [&](const Dev<uint8_t> &d) {
    std::vector<uint8_t> h(d.n);
    CUDA_OK(cudaMemcpy(h.data(), d.p, d.n, cudaMemcpyDeviceToHost));
    return h;
  };
  std::vector<uint8_t> kBefore = poolBytes(dK), vBefore = poolBytes(dV);
  Dev<float> dFreq(invFreq);
  Dev<T> qOut(size_t(step.tokens) * heads * headDim);
  qOut.poison();
  StepDev sd(step, cache.table);
  StepArgs args = sd.args(step, maxContext, cache.maxBlocks);
  rotary_kv_append<T, F>(args, dQkv.p, ld, qOff, kOff, vOff, heads, kvHeads, headDim, headDim,
                         style, dFreq.p, 1.f, qOut.p, dK.p, dV.p, blockSize, group);
  CUDA_OK(cudaDeviceSynchronize());
  if (!launcherOk("rotary_kv_append (quantized)"))
    return;
  std::vector<uint8_t> kAfter = poolBytes(dK), vAfter = poolBytes(dV);
  std::vector<float> qRef(qOut.n);
  PoolLayout<F> L{headDim, blockSize, group};
  // The runtime sizes pools by ModelInfo::kv_vector_bytes: this test's
  // layout must be the one it allocates.
  expect("kv_vector_bytes = the test's layout", size_t(kv_vector_bytes(F, headDim, 2,
                                                    kvGroupOf<F>(headDim, group))) ==
                                                    L.vectorBytes(),
         std::to_string(L.vectorBytes()) + " bytes");
  std::vector<bool> written(kAfter.size(), false);
  int valueMismatches = 0, keyFar = 0, keyInexact = 0, scaleBad = 0, vectors = 0;
  for (int t = 0; t < step.tokens; ++t) {
    const float *row = &qkv[size_t(t) * ld];
    float pos = float(step.positions[t]);
    for (int h = 0; h < heads; ++h)
      for (int d = 0; d < headDim; ++d)
        qRef[(size_t(t) * heads + h) * headDim + d] =
            rotaryRef(row + qOff + h * headDim, d, pos, style, headDim, invFreq, 1.f);
    for (int h = 0; h < kvHeads; ++h) {
      int p = step.positions[t];
      size_t block = cache.table[size_t(step.tokenSeq[t]) * cache.maxBlocks + p / blockSize];
      size_t tile = block * kvHeads + h;
      std::vector<float> k(headDim);
      for (int d = 0; d < headDim; ++d)
        k[d] = rotaryRef(row + kOff + h * headDim, d, pos, style, headDim, invFreq, 1.f);
      QVec kRef = kvQuantizeRef<F>(k.data(), headDim, group),
           vRef = kvQuantizeRef<F>(row + vOff + h * headDim, headDim, group);
      QVec kGot = L.read(kAfter, tile, p % blockSize), vGot = L.read(vAfter, tile, p % blockSize);
      for (size_t g = 0; g < kRef.scales.size(); ++g)
        scaleBad += std::fabs(kGot.scales[g] - kRef.scales[g]) > 1e-5f * kRef.scales[g] ||
                    (F == KVFormat::Int4 && std::abs(int(kGot.zeros[g]) - int(kRef.zeros[g])) > 1);
      valueMismatches += vGot.scales != vRef.scales || vGot.zeros != vRef.zeros;
      for (int d = 0; d < headDim; ++d) {
        // As values: E4M3 has two zeros (0x00, 0x80).
        valueMismatches += kvValueRef<F>(vGot, d) != kvValueRef<F>(vRef, d);
        int diff = std::abs(kvOrdinal<F>(kGot.codes[d]) - kvOrdinal<F>(kRef.codes[d]));
        keyInexact += diff != 0;
        keyFar += diff > 1;
      }
      L.mark(written, tile, p % blockSize);
      ++vectors;
    }
  }
  int untouchedChanged = 0;
  for (size_t b = 0; b < kAfter.size(); ++b)
    if (!written[b])
      untouchedChanged += kAfter[b] != kBefore[b] || vAfter[b] != vBefore[b];
  std::string tag = std::string(typeName<T>()) + kvName(F) + groupName(group) + " hd " +
                    std::to_string(headDim) + " style " + std::to_string(int(style));
  report("rotary_kv_append q " + tag, compare(qOut.download(), qRef), tolerance<T>());
  expect("rotary_kv_append v codes+scales = host rule " + tag, valueMismatches == 0,
         std::to_string(valueMismatches) + " mismatches in " + std::to_string(vectors) +
             " vectors");
  expect("rotary_kv_append k codes (zero points) within one, scales 1e-5 " + tag,
         keyFar == 0 && scaleBad == 0,
         std::to_string(keyInexact) + " of " + std::to_string(vectors * headDim) +
             " codes differ by one, " + std::to_string(keyFar) + " by more, " +
             std::to_string(scaleBad) + " scales or zero points off");
  expect("rotary_kv_append leaves other vectors " + tag, untouchedChanged == 0,
         std::to_string(untouchedChanged) + " bytes changed");
}

// int4 caches with groups smaller than head_dim (kv_group): the append
// against the host rule per group (both rotary styles), and both attention
// kernels over such caches, at every group the kernels take (multiples of 8
// dividing head_dim) below head_dim.
template <typename T> void testKVGroups() {
  for (int g : {8, 16, 32}) {
    testRotaryQuant<T, KVFormat::Int4>(32, RotaryStyle::Half, g == 32 ? 16 : g);
    testRotaryQuant<T, KVFormat::Int4>(64, RotaryStyle::Half, g);
    testRotaryQuant<T, KVFormat::Int4>(64, RotaryStyle::Interleaved, g);
    testRotaryQuant<T, KVFormat::Int4>(128, RotaryStyle::Half, g);
  }
  testRotaryQuant<T, KVFormat::Int4>(128, RotaryStyle::Half, 64);
  for (int g : {8, 16, 32}) {
    for (AttnKind k : {AttnKind::Prefill, AttnKind::PrefillWide, AttnKind::Decode}) {
      bool decode = k == AttnKind::Decode;
      testAttention<T, 64, KVFormat::Int4>(4, 2, {0, 20, 65},
                                           decode ? std::vector<int>{1, 1, 1}
                                                  : std::vector<int>{5, 37, 70},
                                           k, 19, g);
      testAttention<T, 128, KVFormat::Int4>(8, 2, {0, 300},
                                            decode ? std::vector<int>{1, 1}
                                                   : std::vector<int>{130, 64},
                                            k, 19, g);
    }
    testAttention<T, 32, KVFormat::Int4>(8, 2, {0, 130}, {300, 1}, AttnKind::Prefill, 19,
                                         g == 32 ? 16 : g);
    testAttention<T, 32, KVFormat::Int4>(8, 2, {0, 130}, {1, 1}, AttnKind::Decode, 19,
                                         g == 32 ? 16 : g);
  }
  testAttention<T, 128, KVFormat::Int4>(12, 2, {0, 300}, {1, 1}, AttnKind::Decode, 3000, 64);
  testAttention<T, 128, KVFormat::Int4>(8, 2, {0, 37}, {700, 530}, AttnKind::Prefill, 19, 32);
  // A group the kernels cannot read is a launcher error, not a launch.
  for (int bad : {4, 24}) {
    StepArgs none{};
    none.num_seqs = 1;
    attention_decode<T, 64, KVFormat::Int4>(none, nullptr, nullptr, nullptr, nullptr, 2, 1,
                                            0.125f, 16, bad);
    char msg[256];
    bool refused = takeLauncherError(msg, sizeof msg);
    expect("attention_decode refuses int4 group " + std::to_string(bad) + " at hd 64", refused,
           refused ? msg : "no launcher error");
  }
}

template <typename T> void testKVQuant() {
  for (int hd : {64, 128})
    for (RotaryStyle style : {RotaryStyle::Half, RotaryStyle::Interleaved}) {
      testRotaryQuant<T, KVFormat::Int8>(hd, style);
      testRotaryQuant<T, KVFormat::FP8>(hd, style);
    }
  testRotaryQuant<T, KVFormat::Int8>(32, RotaryStyle::None);
  for (int hd : {32, 64, 128})
    testRotaryQuant<T, KVFormat::Int4>(hd, RotaryStyle::Half);
  testAttentionsQuant<T, KVFormat::Int8>();
  testAttentionsQuant<T, KVFormat::FP8>();
  testAttentionsQuant<T, KVFormat::Int4>();
  testKVGroups<T>();
}

std::vector<int32_t> runSample(const std::vector<float> &logits, int rows, int vocab, float temp,
                               int topK, float topP, uint64_t seed, uint64_t counter) {
  Dev<float> dL(logits);
  Dev<int32_t> out(rows);
  sample(0, dL.p, rows, vocab, temp, topK, topP, seed, counter, out.p);
  CUDA_OK(cudaGetLastError());
  std::vector<int32_t> h(rows);
  CUDA_OK(cudaMemcpy(h.data(), out.p, rows * sizeof(int32_t), cudaMemcpyDeviceToHost));
  return h;
}

void testSampling() {
  // Greedy: lowest index among ties, large vocab.
  {
    int vocab = 151936, rows = 3;
    std::vector<float> l(size_t(rows) * vocab);
    for (auto &x : l)
      x = uniform(-5.f, 5.f);
    l[0 * vocab + 777] = l[0 * vocab + 90000] = 9.f;
    l[1 * vocab + vocab - 1] = 7.f;
    l[2 * vocab + 5] = NAN;
    l[2 * vocab + 6] = 8.f;
    auto got = runSample(l, rows, vocab, 0.f, 0, 1.f, 1, 0);
    expect("sample greedy argmax (ties -> lowest index, NaN ignored)",
           got[0] == 777 && got[1] == vocab - 1 && got[2] == 6,
           std::to_string(got[0]) + " " + std::to_string(got[1]) + " " + std::to_string(got[2]));
  }
  // Distribution: many rows of the same logits are independent draws.
  int vocab = 1000, rows = 20000;
  std::vector<float> base(vocab);
  for (int i = 0; i < vocab; ++i)
    base[i] = -8.f + 0.01f * (rng()() % 100);
  const float top[6] = {2.0f, 1.6f, 1.1f, 0.7f, 0.2f, -0.3f};
  const int topIdx[6] = {500, 3, 999, 42, 250, 0};
  for (int i = 0; i < 6; ++i)
    base[topIdx[i]] = top[i];
  std::vector<float> l;
  for (int r = 0; r < rows; ++r)
    l.insert(l.end(), base.begin(), base.end());
  auto check = [&](const char *name, float temp, int topK, float topP) {
    // Expected distribution from the definition.
    std::vector<int> order(vocab);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int a, int b) { return base[a] > base[b]; });
    int keep = topK > 0 ? topK : vocab;
    double mx = base[order[0]], total = 0;
    std::vector<double> p(vocab, 0.0);
    for (int i = 0; i < keep; ++i)
      total += (p[order[i]] = std::exp((base[order[i]] - mx) / temp));
    if (topP < 1.f) {
      double mass = 0;
      int i = 0;
      for (; i < keep && mass < topP * total; ++i)
        mass += p[order[i]];
      for (; i < keep; ++i)
        p[order[i]] = 0;
      total = mass;
    }
    auto got = runSample(l, rows, vocab, temp, topK, topP, 1234, 7);
    std::vector<double> freq(vocab, 0.0);
    bool inSet = true;
    for (int t : got) {
      if (t < 0 || t >= vocab || p[t] == 0)
        inSet = false;
      else
        freq[t] += 1.0 / rows;
    }
    double worst = 0;
    for (int i = 0; i < vocab; ++i)
      worst = std::max(worst, std::fabs(freq[i] - p[i] / total));
    char detail[128];
    std::snprintf(detail, sizeof detail, "max |freq - p| %.4f over %d draws, all in kept set: %s",
                  worst, rows, inSet ? "yes" : "no");
    expect(name, inSet && worst < 0.015, detail);
  };
  check("sample temperature 1", 1.f, 0, 1.f);
  check("sample temperature 0.5 top_k 3", 0.5f, 3, 1.f);
  check("sample top_p 0.8", 1.f, 0, 0.8f);
  check("sample top_k 5 top_p 0.9 temperature 1.3", 1.3f, 5, 0.9f);
  check("sample top_k 1 (= greedy)", 1.f, 1, 1.f);
  // Determinism: same (seed, counter) -> same draws; another counter differs.
  auto a = runSample(l, rows, vocab, 1.f, 0, 1.f, 99, 3), b = runSample(l, rows, vocab, 1.f, 0, 1.f, 99, 3),
       c = runSample(l, rows, vocab, 1.f, 0, 1.f, 99, 4);
  expect("sample determinism (same seed and counter)", a == b);
  expect("sample counter changes the draws", a != c);
}

// Attention at Llama-3-8B's shape (32/8 heads, hd 128) over a KV cache of
// format F: prefill of 2048 tokens, decode of 16 slots at 4000 tokens.
// kvGroup: an int4 cache's group (0: head_dim), named "kv int4gN" in the
// BENCH lines.
template <typename T, KVFormat F> void benchAttention(int kvGroup = 0) {
  constexpr int HD = 128;
  int heads = 32, kvHeads = 8, blockSize = 16;
  const int group = kvGroup ? kvGroup : HD;
  const std::string kv = std::string(kvName(F)) + (kvGroup ? "g" + std::to_string(kvGroup) : "");
  // Prefill attention: one slot of n new tokens.
  for (int n : {512, 2048, 8192}) {
    PagedCache<T> cache(1, kvHeads, HD, blockSize, n);
    Step step({0}, {n});
    auto dK = devKV<T, F>(cache.k, HD, blockSize, kvGroup),
         dV = devKV<T, F>(cache.v, HD, blockSize, kvGroup);
    auto dQ = devT<T>(randomT<T>(size_t(n) * heads * HD));
    Dev<T> out(size_t(n) * heads * HD);
    StepDev sd(step, cache.table);
    StepArgs a = sd.args(step, n, cache.maxBlocks);
    double flops = 4.0 * heads * HD * (double(n) * (n + 1) / 2);
    float ms = timeMs([&] {
      attention_prefill<T, HD, F>(a, dQ.p, dK.p, dV.p, out.p, heads, kvHeads, 0.088f, blockSize,
                                  kvGroup);
    });
    std::printf("BENCH attention_prefill %s%s 1x%d tokens, 32/8 heads, hd 128: %.3f ms, %.1f TFLOP/s\n",
                typeName<T>(), kv.c_str(), n, ms, flops / ms / 1e9);
    // Both tiles of the mma kernel, whatever the launcher picks.
    float ms4 = timeMs([&] {
      detail::attentionPrefillMma<T, HD, F, 4>(a, dQ.p, dK.p, dV.p, out.p, heads, kvHeads, 0.088f,
                                               blockSize, group);
    });
    float ms8 = timeMs([&] {
      detail::attentionPrefillMma<T, HD, F, 8>(a, dQ.p, dK.p, dV.p, out.p, heads, kvHeads, 0.088f,
                                               blockSize, group);
    });
    std::printf("BENCH attention_prefill tiles %s%s 1x%d tokens: 64 queries %.3f ms (%.1f TFLOP/s), "
                "128 queries %.3f ms (%.1f TFLOP/s)\n",
                typeName<T>(), kv.c_str(), n, ms4, flops / ms4 / 1e9, ms8, flops / ms8 / 1e9);
    if constexpr (F == KVFormat::Dense) {
      if (n == 2048) {
        ms = timeMs([&] {
          detail::attentionPrefillSimt<T, HD>(a, dQ.p, dK.p, dV.p, out.p, heads, kvHeads, 0.088f,
                                              blockSize);
        });
        std::printf("BENCH attention_prefill(simt) %s 1x%d tokens, 32/8 heads, hd 128: %.3f ms, "
                    "%.1f TFLOP/s\n", typeName<T>(), n, ms, flops / ms / 1e9);
      }
    }
  }
  // Decode attention: 16 slots at 4000 cached tokens (max_context 4096).
  {
    int slots = 16, len = 4000, maxContext = 4096;
    PagedCache<T> cache(slots, kvHeads, HD, blockSize, maxContext);
    Step step(std::vector<int>(slots, len - 1), std::vector<int>(slots, 1));
    auto dK = devKV<T, F>(cache.k, HD, blockSize, kvGroup),
         dV = devKV<T, F>(cache.v, HD, blockSize, kvGroup);
    auto dQ = devT<T>(randomT<T>(size_t(slots) * heads * HD));
    Dev<T> out(size_t(slots) * heads * HD);
    StepDev sd(step, cache.table);
    size_t sb = attention_decode_scratch_bytes(slots, heads, maxContext, HD);
    Dev<float> scratch(sb / 4);
    StepArgs a = sd.args(step, maxContext, cache.maxBlocks, scratch.p, sb);
    float ms = timeMs([&] {
      attention_decode<T, HD, F>(a, dQ.p, dK.p, dV.p, out.p, heads, kvHeads, 0.088f, blockSize,
                                 kvGroup);
    });
    double bytes =
        2.0 * slots * len * kvHeads *
        double(KVCache<T, F>::vectorBytes(HD, kvGroupsPerVector(F, HD, group)));
    std::printf("BENCH attention_decode %s%s 16 slots x %d tokens, 32/8 heads, hd 128: %.3f ms, %.0f GB/s of K+V\n",
                typeName<T>(), kv.c_str(), len, ms, bytes / ms / 1e6);
  }
}

template <typename T> void bench(const LtContext &lt) {
  benchAttention<T, KVFormat::Dense>();
  benchAttention<T, KVFormat::Int8>();
  benchAttention<T, KVFormat::FP8>();
  // GEMM: a 4096-wide projection at prefill and decode row counts.
  for (int rows : {4096, 16}) {
    int N = 4096, K = 4096;
    auto dIn = devT<T>(randomT<T>(size_t(rows) * K)), dW = devT<T>(randomT<T>(size_t(N) * K));
    Dev<T> out(size_t(rows) * N);
    float ms = timeMs([&] { gemm<T, T>(lt.args(), dIn.p, dW.p, nullptr, out.p, rows, N, K); });
    std::printf("BENCH gemm %s %dx%dx%d: %.3f ms, %.1f TFLOP/s, %.0f GB/s of weights\n",
                typeName<T>(), rows, N, K, ms, 2.0 * rows * N * K / ms / 1e9,
                double(N) * K * sizeof(T) / ms / 1e6);
  }
}


// Decode GEMMs (rows <= 16): gemm() (the skinny kernel) vs cuBLASLt vs the
// time to read the weights once at the measured copy bandwidth. Weight
// copies rotate so at least 256 MiB are cycled (the 50 MiB L2 cannot hold
// them); each call reads one copy.
// Returns {skinny kernel, cuBLASLt} milliseconds.
template <typename T>
std::pair<double, double> benchOneSkinny(const LtContext &lt, int rows, int N, int K, bool floatOut,
                                         double copyBW) {
  size_t wBytes = size_t(N) * K * sizeof(T);
  int copies = int(std::max<size_t>(1, ((size_t(256) << 20) + wBytes - 1) / wBytes));
  std::vector<std::unique_ptr<Dev<T>>> ws;
  // A random 1 Mi-value block tiled over the weights (drawing 260 M values
  // for the LM head would dominate the benchmark's run time).
  auto block = toTVec<T>(randomT<T>(size_t(1) << 20, -0.1f, 0.1f));
  std::vector<T> wHost(size_t(N) * K);
  for (size_t i = 0; i < wHost.size(); ++i)
    wHost[i] = block[i & (block.size() - 1)];
  for (int i = 0; i < copies; ++i)
    ws.push_back(std::make_unique<Dev<T>>(wHost));
  auto dIn = devT<T>(randomT<T>(size_t(rows) * K));
  Dev<float> outF(size_t(rows) * N);
  Dev<T> outT(size_t(rows) * N);
  int next = 0;
  auto call = [&](bool lib) {
    const T *w = ws[next]->p;
    next = (next + 1) % copies;
    if (floatOut)
      lib ? detail::gemmCublasLt<T, float>(lt.args(), dIn.p, w, nullptr, outF.p, rows, N, K)
          : detail::skinnyGemm<T, float>(0, dIn.p, w, nullptr, outF.p, rows, N, K);
    else
      lib ? detail::gemmCublasLt<T, T>(lt.args(), dIn.p, w, nullptr, outT.p, rows, N, K)
          : detail::skinnyGemm<T, T>(0, dIn.p, w, nullptr, outT.p, rows, N, K);
  };
  float skinny = timeMs([&] { call(false); }, 50), lib = timeMs([&] { call(true); }, 50);
  double floorMs = double(wBytes) / copyBW / 1e6;
  std::printf("BENCH skinny_gemm %s rows %2d N %6d K %4d%s: %.4f ms %5.0f GB/s (%3.0f%% of copy) | "
              "cuBLASLt %.4f ms %5.0f GB/s | floor %.4f ms | speedup %.2fx\n",
              typeName<T>(), rows, N, K, floatOut ? " ->f32" : "", skinny,
              wBytes / skinny / 1e6, 100.0 * floorMs / skinny, lib, wBytes / lib / 1e6, floorMs,
              lib / skinny);
  return {skinny, lib};
}

template <typename T> void benchSkinny(const LtContext &lt, double copyBW) {
  struct Shape {
    int N, K, repeats; // repeats: times per Llama-3.2-1B decode step (16 layers)
    bool floatOut;
  };
  const Shape shapes[] = {{3072, 2048, 16, false}, {2048, 2048, 16, false},
                          {16384, 2048, 16, false}, {2048, 8192, 16, false},
                          {128256, 2048, 1, true}};
  for (int rows : {1, 2, 8, 16}) {
    double step = 0, stepLib = 0, bytes = 0;
    for (const Shape &s : shapes) {
      auto [ms, lib] = benchOneSkinny<T>(lt, rows, s.N, s.K, s.floatOut, copyBW);
      step += s.repeats * ms;
      stepLib += s.repeats * lib;
      bytes += double(s.repeats) * s.N * s.K * sizeof(T);
    }
    std::printf("BENCH skinny_gemm %s rows %2d Llama-3.2-1B decode-step GEMMs: %.3f ms, %.0f GB/s "
                "| cuBLASLt %.3f ms | floor %.3f ms\n",
                typeName<T>(), rows, step, bytes / step / 1e6, stepLib, bytes / copyBW / 1e6);
  }
}

// log softmax_j(q . k_j * scale) over the keys j <= pos of slot 0, in
// double, for query row t and head h (the rule of token_scores and
// kv_mass).
template <typename T, int HeadDim>
std::vector<double> logSoftmaxRef(const PagedCache<T> &cache, const std::vector<float> &q,
                                  int heads, int group, int t, int h, int pos, float scale) {
  std::vector<double> logit(pos + 1);
  double m = -1e300, z = 0;
  for (int j = 0; j <= pos; ++j) {
    double acc = 0;
    for (int d = 0; d < HeadDim; ++d)
      acc += double(q[(size_t(t) * heads + h) * HeadDim + d]) *
             cache.k[cache.at(0, j, h / group, d)];
    logit[j] = acc * scale;
    m = std::max(m, logit[j]);
  }
  for (double l : logit)
    z += std::exp(l - m);
  for (double &l : logit)
    l = l - m - std::log(z);
  return logit;
}

// GemFilter scores (token_scores) of one slot with `existing` cached and
// `fresh` new tokens, against a double-precision reference: for the last
// `window` rows, log softmax(q . k_j * scale) summed over heads, averaged
// over the rows that see j. Scores are O(-heads * log n), so the limit is
// relative to their norm.
template <typename T, int HeadDim>
void testTokenScores(int heads, int kvHeads, int existing, int fresh, int window) {
  int blockSize = 16, maxContext = existing + fresh + 19;
  PagedCache<T> cache(1, kvHeads, HeadDim, blockSize, maxContext);
  Step step({existing}, {fresh});
  auto q = randomT<T>(size_t(step.tokens) * heads * HeadDim);
  auto dK = devT<T>(cache.k), dQ = devT<T>(q);
  StepDev sd(step, cache.table);
  StepArgs args = sd.args(step, maxContext, cache.maxBlocks, nullptr, 0);
  args.num_logit_rows = 1;
  Dev<float> out(token_scores_floats(maxContext, heads, window));
  float scale = 1.f / std::sqrt(float(HeadDim));
  token_scores<T, HeadDim>(args, dQ.p, dK.p, heads, kvHeads, scale, blockSize, window, out.p);
  CUDA_OK(cudaGetLastError());
  CUDA_OK(cudaDeviceSynchronize());
  int n = existing + fresh, rows = std::min(window, fresh), group = heads / kvHeads;
  std::vector<double> sum(n, 0.0);
  std::vector<int> seen(n, 0);
  for (int t = fresh - rows; t < fresh; ++t) {
    int pos = step.positions[t];
    for (int h = 0; h < heads; ++h) {
      std::vector<double> lp = logSoftmaxRef<T, HeadDim>(cache, q, heads, group, t, h, pos, scale);
      for (int j = 0; j <= pos; ++j)
        sum[j] += lp[j];
    }
    for (int j = 0; j <= pos; ++j)
      ++seen[j];
  }
  std::vector<float> ref(n), got = out.download();
  for (int j = 0; j < n; ++j)
    ref[j] = float(sum[j] / seen[j]);
  got.resize(n);
  char name[160];
  std::snprintf(name, sizeof name, "token_scores %s hd %d heads %d/%d %d+%d window %d",
                typeName<T>(), HeadDim, heads, kvHeads, existing, fresh, window);
  report(name, compare(got, ref), 1e-5);
}

// The eviction mass (kv_mass) of one slot, layer 1 of 2, against double
// precision: for the last `window` rows (SnapKV) or every row (H2O's
// all_rows, `window` rows at a time), softmax(q . k_j * scale) summed over
// the rows and over each KV head's query heads; layer 0's mass and the
// positions past the slot's length stay zero. `launches` > 1 runs the same
// launch again: the mass adds up (H2O's decode steps add onto it).
template <typename T, int HeadDim>
void testKVMass(int heads, int kvHeads, int existing, int fresh, int window,
                bool allRows = false, int launches = 1) {
  int blockSize = 16, maxContext = existing + fresh + 19, layers = 2;
  PagedCache<T> cache(1, kvHeads, HeadDim, blockSize, maxContext);
  Step step({existing}, {fresh});
  auto q = randomT<T>(size_t(step.tokens) * heads * HeadDim);
  auto dK = devT<T>(cache.k), dQ = devT<T>(q);
  StepDev sd(step, cache.table);
  StepArgs args = sd.args(step, maxContext, cache.maxBlocks, nullptr, 0);
  size_t scratch = kv_mass_scratch_floats(maxContext, heads, window);
  Dev<float> buf(kv_mass_floats(layers, kvHeads, maxContext, heads, window));
  CUDA_OK(cudaMemset(buf.p, 0, buf.n * sizeof(float)));
  float scale = 1.f / std::sqrt(float(HeadDim));
  // Without the buffer the launch does nothing (what every prefill launch
  // but a prompt's last sees).
  kv_mass<T, HeadDim>(args, dQ.p, dK.p, heads, kvHeads, scale, blockSize, window, 1, allRows);
  args.kv_mass = buf.p;
  for (int i = 0; i < launches; ++i)
    kv_mass<T, HeadDim>(args, dQ.p, dK.p, heads, kvHeads, scale, blockSize, window, 1, allRows);
  CUDA_OK(cudaGetLastError());
  CUDA_OK(cudaDeviceSynchronize());
  int rows = allRows ? fresh : std::min(window, fresh), group = heads / kvHeads;
  std::vector<double> mass(size_t(kvHeads) * maxContext, 0.0);
  for (int t = fresh - rows; t < fresh; ++t) {
    int pos = step.positions[t];
    for (int h = 0; h < heads; ++h) {
      std::vector<double> lp = logSoftmaxRef<T, HeadDim>(cache, q, heads, group, t, h, pos, scale);
      for (int j = 0; j <= pos; ++j)
        mass[size_t(h / group) * maxContext + j] += launches * std::exp(lp[j]);
    }
  }
  std::vector<float> all = buf.download();
  std::vector<float> got(all.begin() + scratch + size_t(kvHeads) * maxContext, all.end());
  std::vector<float> ref(mass.begin(), mass.end());
  bool layer0Zero = std::all_of(all.begin() + scratch, all.begin() + scratch + kvHeads * maxContext,
                                [](float x) { return x == 0.f; });
  char name[160];
  std::snprintf(name, sizeof name, "kv_mass %s hd %d heads %d/%d %d+%d window %d%s x%d",
                typeName<T>(), HeadDim, heads, kvHeads, existing, fresh, window,
                allRows ? " all_rows" : "", launches);
  report(name, compare(got, ref), 1e-5);
  expect(std::string(name) + ": other layer untouched", layer0Zero);
}

// KV eviction's compaction (kv_compact) of slot 1 of 2 through a shuffled
// block table: every KV head's kept positions (ascending, different per
// head, keep[i] == i for some) move to 0..count-1 bit for bit, in K and V;
// slot 0 and the positions from count on are untouched. Quantized pools
// move as bytes of their vectors (int4's 21 bytes at head_dim 32).
template <typename T>
void testKVCompact(int vectorBytes) {
  int kvHeads = 2, blockSize = 16, maxContext = 300, slots = 2, count = 40;
  int maxBlocks = (maxContext + blockSize - 1) / blockSize;
  std::vector<int32_t> table(size_t(slots) * maxBlocks);
  std::iota(table.begin(), table.end(), 0);
  std::shuffle(table.begin(), table.end(), rng());
  size_t poolBytes = table.size() * kvHeads * blockSize * size_t(vectorBytes);
  std::vector<uint8_t> k(poolBytes), v(poolBytes);
  for (auto *pool : {&k, &v})
    for (auto &b : *pool)
      b = uint8_t(rng()());
  std::vector<int32_t> keep;
  for (int h = 0; h < kvHeads; ++h) {
    std::vector<int32_t> all(257);
    std::iota(all.begin(), all.end(), 0);
    std::shuffle(all.begin() + 1, all.end(), rng());
    all.resize(count); // position 0 always kept: keep[0] == 0
    std::sort(all.begin(), all.end());
    keep.insert(keep.end(), all.begin(), all.end());
  }
  Dev<uint8_t> dK(k), dV(v);
  Dev<int32_t> dTable(table), dKeep(keep);
  Dev<uint8_t> staging(size_t(kvHeads) * count * 2 * vectorBytes);
  kv_compact(nullptr, dK.p, dV.p, dTable.p, maxBlocks, 1, kvHeads, blockSize, vectorBytes,
             dKeep.p, count, staging.p);
  CUDA_OK(cudaGetLastError());
  CUDA_OK(cudaDeviceSynchronize());
  auto at = [&](int slot, int pos, int h) {
    size_t block = table[size_t(slot) * maxBlocks + pos / blockSize];
    return ((block * kvHeads + h) * blockSize + pos % blockSize) * size_t(vectorBytes);
  };
  std::vector<uint8_t> kRef = k, vRef = v;
  for (int h = 0; h < kvHeads; ++h)
    for (int i = 0; i < count; ++i) {
      int from = keep[size_t(h) * count + i];
      std::copy_n(&k[at(1, from, h)], vectorBytes, &kRef[at(1, i, h)]);
      std::copy_n(&v[at(1, from, h)], vectorBytes, &vRef[at(1, i, h)]);
    }
  std::vector<uint8_t> kGot(poolBytes), vGot(poolBytes);
  CUDA_OK(cudaMemcpy(kGot.data(), dK.p, poolBytes, cudaMemcpyDeviceToHost));
  CUDA_OK(cudaMemcpy(vGot.data(), dV.p, poolBytes, cudaMemcpyDeviceToHost));
  expect(std::string("kv_compact ") + typeName<T>() + " vectors of " +
             std::to_string(vectorBytes) + " bytes, 2 KV heads, 40 of 257 kept",
         kGot == kRef && vGot == vRef);
}

template <typename T> void testKVEvict() {
  testKVMass<T, 32>(8, 2, 0, 1019, 32);  // retrieval8's shape, one launch
  testKVMass<T, 32>(8, 2, 900, 300, 32); // a last launch over cached keys
  testKVMass<T, 128>(32, 8, 0, 2000, 8); // Llama-3-8B's heads
  // H2O (all_rows): a whole prompt in one launch (32 row tiles, the last
  // of 27 rows), a later launch over cached keys, decode steps of one row
  // adding onto the mass, Llama-3-8B's heads.
  testKVMass<T, 32>(8, 2, 0, 1019, 32, true);
  testKVMass<T, 32>(8, 2, 900, 300, 32, true);
  testKVMass<T, 32>(8, 2, 700, 1, 32, true, 3);
  testKVMass<T, 128>(32, 8, 0, 300, 8, true);
  testKVCompact<T>(32 * int(sizeof(T))); // dense head_dim 32
  testKVCompact<T>(128 + 4);             // int8 / fp8 head_dim 128
  testKVCompact<T>(32 / 2 + 5);          // int4 head_dim 32: byte moves
  testRotary<T>({5, 1000});
}

template <typename T> void testTokenScoresAll() {
  testTokenScores<T, 32>(8, 2, 0, 1019, 1);   // retrieval8's shape, one chunk
  testTokenScores<T, 32>(8, 2, 900, 300, 4);  // a last chunk over cached keys
  testTokenScores<T, 128>(32, 8, 0, 2000, 1); // Llama-3-8B's heads
}

template <typename T> void runAll(const LtContext &lt, const std::string &only) {
  auto want = [&](const char *group) { return only.empty() || only == group; };
  if (want("embedding"))
    testEmbedding<T>();
  if (want("norm"))
    testNorms<T>();
  if (want("elementwise"))
    testElementwise<T>();
  if (want("gemm"))
    testGemm<T>(lt);
  if (want("rotary"))
    testRotary<T>();
  if (want("attention"))
    testAttentions<T>();
  if (want("token_scores"))
    testTokenScoresAll<T>();
  if (want("kvquant"))
    testKVQuant<T>();
  if (want("kv_evict"))
    testKVEvict<T>();
}

} // namespace

int main(int argc, char **argv) {
  bool benchToo = false;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--bench") == 0) {
      benchToo = true;
    } else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
      only = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--bench] [--only GROUP]\n", argv[0]);
      return 2;
    }
  }
  if (!haveDevice("kernel_test"))
    return 77;
  cudaDeviceProp prop;
  CUDA_OK(cudaGetDeviceProperties(&prop, 0));
  std::printf("device: %s\n", prop.name);
  LtContext lt;
  runAll<half>(lt, only);
  runAll<__nv_bfloat16>(lt, only);
  if (only.empty() || only == "sampling")
    testSampling();
  if (benchToo && only == "kvquant") {
    // The attention benches alone, per KV-cache format (test/gpu/quant_kv.sh).
    for (auto fn : {benchAttention<half, KVFormat::Dense>, benchAttention<half, KVFormat::Int8>,
                    benchAttention<half, KVFormat::FP8>, benchAttention<half, KVFormat::Int4>})
      fn(0);
    for (int g : {32, 16}) // int4 groups smaller than head_dim
      benchAttention<half, KVFormat::Int4>(g);
  } else if (benchToo) {
    bench<half>(lt);
    bench<__nv_bfloat16>(lt);
    double bw = copyGBs();
    std::printf("BENCH copy bandwidth (1 GiB device-to-device, read + write): %.0f GB/s\n", bw);
    benchSkinny<half>(lt, bw);
    benchSkinny<__nv_bfloat16>(lt, bw);
  }
  std::printf("%s: %d failure(s)\n", failures() ? "FAILED" : "ALL PASSED", failures());
  return failures() ? 1 : 0;
}
