//===- Quant.cpp - weight and KV-cache quantization numerics ---------------===//

#include "sieve/Quant/Quant.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/Support/Parallel.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

using namespace sieve::quant;

//===----------------------------------------------------------------------===//
// Scalar formats
//===----------------------------------------------------------------------===//

float sieve::quant::fp8ToFloat(uint8_t code) {
  int e = (code >> 3) & 15, m = code & 7;
  float sign = (code & 0x80) ? -1.0f : 1.0f;
  if (e == 15 && m == 7)
    return NAN;
  if (e == 0) // subnormal: m/8 * 2^-6
    return sign * std::ldexp(float(m), -9);
  return sign * std::ldexp(float(8 + m), e - 10);
}

float sieve::quant::roundToFP8(float x) {
  if (std::isnan(x))
    return x;
  float a = std::fabs(x), r;
  if (a >= kFP8Max)
    return std::copysign(kFP8Max, x);
  if (a < 0x1p-6f) {
    // Subnormal E4M3: multiples of 2^-9 (exact scaling by powers of two;
    // nearbyint rounds ties to even).
    r = std::nearbyint(a * 512.0f) * 0x1p-9f;
  } else {
    // Normal: keep 3 of float32's 23 mantissa bits, rounding to nearest
    // even; a carry into the exponent gives the next power of two.
    uint32_t u;
    std::memcpy(&u, &a, 4);
    u += 0x7ffffu + ((u >> 20) & 1);
    u &= ~0xfffffu;
    std::memcpy(&r, &u, 4);
    r = std::min(r, kFP8Max);
  }
  return std::copysign(r, x);
}

uint8_t sieve::quant::fp8FromFloat(float x) {
  float r = roundToFP8(x);
  if (std::isnan(r))
    return 0x7f;
  uint8_t sign = std::signbit(r) ? 0x80 : 0;
  float a = std::fabs(r);
  if (a < 0x1p-6f)
    return sign | uint8_t(a * 512.0f); // subnormal: m * 2^-9
  int ex;
  std::frexp(a, &ex);
  int e = ex - 1;                                    // a in [2^e, 2^(e+1))
  int m = int(std::ldexp(a, 3 - e)) - 8;             // 3 mantissa bits
  return sign | uint8_t(((e + 7) << 3) | m);
}

uint16_t sieve::quant::f16Bits(float x) {
  llvm::APFloat f(x);
  bool lost;
  f.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return uint16_t(f.bitcastToAPInt().getZExtValue());
}

float sieve::quant::roundToF16(float x) {
  llvm::APFloat f(x);
  bool lost;
  f.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  f.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven,
            &lost);
  return f.convertToFloat();
}

//===----------------------------------------------------------------------===//
// uint4 packing: flat index i lives in byte i / 2, low nibble for even i.
//===----------------------------------------------------------------------===//

static void putNibble(uint8_t *bytes, int64_t i, unsigned v) {
  uint8_t &b = bytes[i >> 1];
  b = (i & 1) ? uint8_t((b & 0x0f) | (v << 4)) : uint8_t((b & 0xf0) | v);
}

static unsigned getNibble(const uint8_t *bytes, int64_t i) {
  return (i & 1) ? bytes[i >> 1] >> 4 : bytes[i >> 1] & 15;
}

//===----------------------------------------------------------------------===//
// Asymmetric uint4 groups (weights and KV)
//===----------------------------------------------------------------------===//

namespace {
/// Scale and zero point of one asymmetric 4-bit group with range [lo, hi]:
/// s = (hi - lo) / 15 (optionally rounded to f16), z = round(-lo / s).
struct Int4Params {
  float scale;
  unsigned zero;
};

Int4Params int4Params(float lo, float hi, bool f16Scale) {
  float s = (hi - lo) / 15.0f;
  if (f16Scale)
    s = roundToF16(s);
  if (s == 0.0f || !std::isfinite(s)) {
    // A constant group c: represent it exactly as |c| * (q - z).
    if (lo == 0.0f)
      return {0.0f, 0};
    float c = f16Scale ? roundToF16(std::fabs(lo)) : std::fabs(lo);
    return {c, lo > 0 ? 0u : 1u};
  }
  float z = std::nearbyint(-lo / s);
  return {s, unsigned(std::clamp(z, 0.0f, 15.0f))};
}

unsigned int4Code(float v, Int4Params p) {
  if (p.scale == 0.0f)
    return p.zero;
  float q = std::nearbyint(v / p.scale) + float(p.zero);
  return unsigned(std::clamp(q, 0.0f, 15.0f));
}
} // namespace

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

int64_t sieve::quant::dataBytes(Format format, int64_t K, int64_t N) {
  return format == Format::Int4 ? (K * N + 1) / 2 : K * N;
}

QuantizedMatrix sieve::quant::quantize(const float *w, int64_t K, int64_t N,
                                       Format format, int64_t group,
                                       const std::vector<float> &inputScales) {
  QuantizedMatrix q;
  q.format = format;
  q.K = K;
  q.N = N;
  q.group = format == Format::Int4 ? group : 0;
  q.inputScales = inputScales;
  q.data.assign(dataBytes(format, K, N), 0);
  auto at = [&](int64_t k, int64_t n) {
    float v = w[k * N + n];
    return inputScales.empty() ? v : v * inputScales[k];
  };
  // Output channels in blocks of kBlock, one block per task: a block walks
  // the [K, N] matrix row by row (kBlock consecutive floats per row) rather
  // than down single columns, and writes only its own output rows. kBlock
  // is even, so two blocks never share a byte of packed nibbles. Every
  // value is computed as a serial sweep would (min, max and absmax do not
  // depend on the order), so the result does not depend on the threads.
  constexpr int64_t kBlock = 64;
  int64_t blocks = (N + kBlock - 1) / kBlock;
  if (format == Format::Int4) {
    assert(group > 0 && K % group == 0 && "group must divide K");
    int64_t groups = K / group;
    q.scales.resize(N * groups);
    q.zeros.assign((N * groups + 1) / 2, 0);
    llvm::parallelFor(0, blocks, [&](size_t block) {
      int64_t n0 = int64_t(block) * kBlock, n1 = std::min(N, n0 + kBlock);
      float lo[kBlock], hi[kBlock];
      Int4Params params[kBlock];
      for (int64_t g = 0; g < groups; ++g) {
        std::fill(lo, lo + kBlock, INFINITY);
        std::fill(hi, hi + kBlock, -INFINITY);
        for (int64_t k = g * group; k < (g + 1) * group; ++k)
          for (int64_t n = n0; n < n1; ++n) {
            lo[n - n0] = std::min(lo[n - n0], at(k, n));
            hi[n - n0] = std::max(hi[n - n0], at(k, n));
          }
        for (int64_t n = n0; n < n1; ++n) {
          Int4Params p = int4Params(lo[n - n0], hi[n - n0], /*f16Scale=*/true);
          params[n - n0] = p;
          q.scales[n * groups + g] = p.scale;
          putNibble(q.zeros.data(), n * groups + g, p.zero);
        }
        for (int64_t k = g * group; k < (g + 1) * group; ++k)
          for (int64_t n = n0; n < n1; ++n)
            putNibble(q.data.data(), n * K + k, int4Code(at(k, n), params[n - n0]));
      }
    });
    return q;
  }
  // Symmetric per output channel: int8 with 127 levels, fp8 up to 448.
  float levels = format == Format::Int8 ? 127.0f : kFP8Max;
  q.scales.resize(N);
  llvm::parallelFor(0, blocks, [&](size_t block) {
    int64_t n0 = int64_t(block) * kBlock, n1 = std::min(N, n0 + kBlock);
    float amax[kBlock] = {};
    for (int64_t k = 0; k < K; ++k)
      for (int64_t n = n0; n < n1; ++n)
        amax[n - n0] = std::max(amax[n - n0], std::fabs(at(k, n)));
    for (int64_t n = n0; n < n1; ++n)
      q.scales[n] = amax[n - n0] / levels;
    for (int64_t k = 0; k < K; ++k)
      for (int64_t n = n0; n < n1; ++n) {
        float s = q.scales[n];
        float v = s == 0.0f ? 0.0f : at(k, n) / s;
        q.data[n * K + k] =
            format == Format::Int8
                ? uint8_t(int8_t(std::clamp(std::nearbyint(v), -127.0f, 127.0f)))
                : fp8FromFloat(v);
      }
  });
  return q;
}

void sieve::quant::dequantize(Format format, int64_t K, int64_t N,
                              int64_t group, const uint8_t *data,
                              const float *scales, const uint8_t *zeros,
                              const float *inputScales, float *out) {
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      float v = 0.0f;
      switch (format) {
      case Format::Int8:
        v = scales[n] * float(int8_t(data[n * K + k]));
        break;
      case Format::FP8:
        v = scales[n] * fp8ToFloat(data[n * K + k]);
        break;
      case Format::Int4: {
        int64_t g = n * (K / group) + k / group;
        v = scales[g] * (float(getNibble(data, n * K + k)) -
                         float(getNibble(zeros, g)));
        break;
      }
      }
      out[k * N + n] = inputScales ? v / inputScales[k] : v;
    }
}

double sieve::quant::weightedError(const float *w, const QuantizedMatrix &q,
                                   const std::vector<float> &act) {
  std::vector<float> deq(q.K * q.N);
  dequantize(q.format, q.K, q.N, q.group, q.data.data(), q.scales.data(),
             q.zeros.data(), q.inputScales.empty() ? nullptr
                                                   : q.inputScales.data(),
             deq.data());
  double total = 0;
  for (int64_t k = 0; k < q.K; ++k) {
    double row = 0;
    for (int64_t n = 0; n < q.N; ++n) {
      double d = double(w[k * q.N + n]) - double(deq[k * q.N + n]);
      row += d * d;
    }
    double a = act.empty() ? 1.0 : double(act[k]);
    total += a * a * row;
  }
  return total;
}

std::vector<float> sieve::quant::awqScales(const float *w, int64_t K,
                                           int64_t N, Format format,
                                           int64_t group,
                                           const std::vector<float> &act,
                                           float *bestAlpha) {
  double best = weightedError(w, quantize(w, K, N, format, group), act);
  std::vector<float> bestScales;
  *bestAlpha = 0.0f;
  for (int step = 1; step <= 20; ++step) {
    float alpha = 0.05f * float(step);
    std::vector<float> c(K);
    double logSum = 0;
    for (int64_t k = 0; k < K; ++k) {
      c[k] = std::pow(std::max(act[k], 1e-8f), alpha);
      logSum += std::log(double(c[k]));
    }
    // Geometric mean 1 keeps the scaled weights in the original range.
    float norm = float(std::exp(logSum / double(K)));
    for (float &v : c)
      v /= norm;
    double err = weightedError(w, quantize(w, K, N, format, group, c), act);
    if (err < best) {
      best = err;
      bestScales = std::move(c);
      *bestAlpha = alpha;
    }
  }
  return bestScales;
}

//===----------------------------------------------------------------------===//
// KV cache
//===----------------------------------------------------------------------===//

int64_t sieve::quant::kvCodeBytes(KVFormat f, int64_t D) {
  switch (f) {
  case KVFormat::None:
    return 0;
  case KVFormat::Int8:
  case KVFormat::FP8:
    return D;
  case KVFormat::Int4:
    return (D + 1) / 2;
  }
  return 0;
}

int64_t sieve::quant::kvGroups(KVFormat f, int64_t D, int64_t group) {
  if (f == KVFormat::None)
    return 0;
  return f == KVFormat::Int4 ? D / group : 1;
}

void sieve::quant::kvQuantize(KVFormat f, int64_t D, int64_t group,
                              const float *x, uint8_t *codes, float *scales,
                              uint8_t *zeros) {
  if (f == KVFormat::Int4) {
    for (int64_t g = 0; g < D / group; ++g) {
      float lo = INFINITY, hi = -INFINITY;
      for (int64_t d = g * group; d < (g + 1) * group; ++d) {
        lo = std::min(lo, x[d]);
        hi = std::max(hi, x[d]);
      }
      Int4Params p = int4Params(lo, hi, /*f16Scale=*/false);
      scales[g] = p.scale;
      zeros[g] = uint8_t(p.zero);
      for (int64_t d = g * group; d < (g + 1) * group; ++d)
        putNibble(codes, d, int4Code(x[d], p));
    }
    return;
  }
  float amax = 0.0f;
  for (int64_t d = 0; d < D; ++d)
    amax = std::max(amax, std::fabs(x[d]));
  float s = amax / (f == KVFormat::Int8 ? 127.0f : kFP8Max);
  scales[0] = s;
  for (int64_t d = 0; d < D; ++d) {
    float v = s == 0.0f ? 0.0f : x[d] / s;
    codes[d] = f == KVFormat::Int8
                   ? uint8_t(int8_t(std::clamp(std::nearbyint(v), -127.0f,
                                               127.0f)))
                   : fp8FromFloat(v);
  }
}

void sieve::quant::kvDequantize(KVFormat f, int64_t D, int64_t group,
                                const uint8_t *codes, const float *scales,
                                const uint8_t *zeros, float *out) {
  for (int64_t d = 0; d < D; ++d) {
    switch (f) {
    case KVFormat::None:
      break;
    case KVFormat::Int8:
      out[d] = scales[0] * float(int8_t(codes[d]));
      break;
    case KVFormat::FP8:
      out[d] = scales[0] * fp8ToFloat(codes[d]);
      break;
    case KVFormat::Int4:
      out[d] = scales[d / group] *
               (float(getNibble(codes, d)) - float(zeros[d / group]));
      break;
    }
  }
}

void sieve::quant::fp8QuantizeRows(float *x, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    float *row = x + r * cols;
    float amax = 0.0f;
    for (int64_t c = 0; c < cols; ++c)
      amax = std::max(amax, std::fabs(row[c]));
    if (amax == 0.0f)
      continue;
    float s = amax / kFP8Max;
    for (int64_t c = 0; c < cols; ++c)
      row[c] = roundToFP8(row[c] / s) * s;
  }
}
