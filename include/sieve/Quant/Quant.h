//===- Quant.h - weight and KV-cache quantization numerics ------*- C++ -*-===//
//
// The arithmetic of sieve's quantized formats, shared by the producer
// (`--sieve-quantize`) and the consumer (the CPU reference), so that what the
// pass stores is exactly what the reference (and a GPU kernel following
// docs/quantization.md) reconstructs. No MLIR here: plain arrays.
//
// Weights are the logical [K, N] matrix of `x @ W` (K inputs, N outputs);
// the stored layouts are output-channel major ([N, K]), see
// docs/quantization.md:
//   int8  data [N, K] two's complement, scales [N] f32, symmetric:
//         w = s * q, s = amax / 127.
//   int4  data [N, K] uint4 packed two per byte in flat order, low nibble
//         first; scales [N, K/G] (f16 values), zeros [N, K/G] uint4 (same
//         packing), asymmetric: w = s * (q - z).
//   fp8   data [N, K] E4M3FN codes, scales [N] f32: w = s * e4m3(q),
//         s = amax / 448; activations are quantized per token the same way.
// An optional per-input-channel scale c[K] (activation-aware scaling) means
// the stored matrix quantized W[k, :] * c[k]: w[k, n] = deq[k, n] / c[k].
//
//===----------------------------------------------------------------------===//
#ifndef SIEVE_QUANT_QUANT_H
#define SIEVE_QUANT_QUANT_H

#include <cstdint>
#include <string>
#include <vector>

namespace sieve::quant {

enum class Format { Int8, Int4, FP8 };

/// E4M3FN's largest finite magnitude.
constexpr float kFP8Max = 448.0f;

/// The float value of an E4M3FN code (NaN for the two NaN codes).
float fp8ToFloat(uint8_t code);
/// x rounded to the nearest E4M3FN value (ties to even), saturated to
/// +-448.
float roundToFP8(float x);
/// The E4M3FN code of x (rounded as roundToFP8).
uint8_t fp8FromFloat(float x);
/// x rounded to float16 (nearest even) and back; the stored value of an f16
/// scale.
float roundToF16(float x);
uint16_t f16Bits(float x);

/// A quantized [K, N] weight in its stored layout (see the file comment).
struct QuantizedMatrix {
  Format format = Format::Int8;
  int64_t K = 0, N = 0, group = 0; // group: int4 only
  std::vector<uint8_t> data;
  std::vector<float> scales;        // [N] or [N, K/G]
  std::vector<uint8_t> zeros;       // int4: packed uint4 [N, K/G]
  std::vector<float> inputScales;   // [K] or empty
};

/// Bytes of `data` for a [K, N] weight.
int64_t dataBytes(Format format, int64_t K, int64_t N);

/// Round-to-nearest quantization of w ([K, N], row-major). With non-empty
/// `inputScales` ([K]), quantizes W[k, :] * inputScales[k] and keeps them.
QuantizedMatrix quantize(const float *w, int64_t K, int64_t N, Format format,
                         int64_t group,
                         const std::vector<float> &inputScales = {});

/// out[K, N] (row-major) = the weight the stored form represents:
/// scales * (codes - zeros) / inputScales, in float32. `scales` are floats
/// (f16 scales already widened); `zeros` is the packed uint4 array (int4);
/// `inputScales` may be null.
void dequantize(Format format, int64_t K, int64_t N, int64_t group,
                const uint8_t *data, const float *scales,
                const uint8_t *zeros, const float *inputScales, float *out);

/// Activation-aware scaling (AWQ-style) from per-input-channel activation
/// magnitudes `act` ([K], e.g. mean |x_k|): tries c = act^alpha (normalized
/// to geometric mean 1) for alpha in {0, 0.05, ..., 1} and returns the
/// scales minimizing sum_k act_k^2 * sum_n (w_kn - what_kn)^2, the expected
/// output error when input channels are uncorrelated. alpha = 0 is RTN, so
/// the result is never worse than RTN on that measure; returns empty when
/// alpha = 0 wins. `bestAlpha` receives the chosen alpha.
std::vector<float> awqScales(const float *w, int64_t K, int64_t N,
                             Format format, int64_t group,
                             const std::vector<float> &act, float *bestAlpha);

/// Weighted squared error of a quantized form against w (the measure above;
/// `act` empty means unweighted).
double weightedError(const float *w, const QuantizedMatrix &q,
                     const std::vector<float> &act);

//===----------------------------------------------------------------------===//
// KV cache: each (position, KV head) vector of head_dim values is quantized
// on its own: int8 and fp8 symmetric with one f32 scale, int4 asymmetric in
// groups of G along head_dim (scale and zero point per group).
//===----------------------------------------------------------------------===//

enum class KVFormat { None, Int8, FP8, Int4 };

/// Codes bytes and scale/zero slots of one vector of D values.
int64_t kvCodeBytes(KVFormat f, int64_t D);
int64_t kvGroups(KVFormat f, int64_t D, int64_t group);

/// Quantizes x[D] into codes (kvCodeBytes), scales and zeros (kvGroups each;
/// zeros used by int4 only, one byte per group).
void kvQuantize(KVFormat f, int64_t D, int64_t group, const float *x,
                uint8_t *codes, float *scales, uint8_t *zeros);
/// The inverse: out[D] from codes, scales, zeros.
void kvDequantize(KVFormat f, int64_t D, int64_t group, const uint8_t *codes,
                  const float *scales, const uint8_t *zeros, float *out);

/// Per-token dynamic FP8 quantization of activations, in place: each row of
/// `cols` values becomes s * e4m3(x / s) with s = amax / 448 (rows of zeros
/// stay zero).
void fp8QuantizeRows(float *x, int64_t rows, int64_t cols);

} // namespace sieve::quant

#endif // SIEVE_QUANT_QUANT_H
