//===- VecAVX2.cpp - AVX2/FMA exp, softmax rows, sigmoid ------------------===//
//
// Compiled with -mavx2 -mfma; selected at run time. exp is the Cephes
// single-precision scheme (Cody-Waite reduction by ln 2, degree-6
// polynomial; within 2 ulp of the correctly rounded result for normal
// results). Results below FLT_MIN flush to 0. No shared inline code here.
//
//===----------------------------------------------------------------------===//

#include "VecKernels.h"

#include <immintrin.h>

static inline __m256 exp8(__m256 x) {
  const __m256 hi = _mm256_set1_ps(88.3762626647949f);
  const __m256 lo = _mm256_set1_ps(-87.3365478515625f); // ln(FLT_MIN)
  __m256 isNan = _mm256_cmp_ps(x, x, _CMP_UNORD_Q);
  __m256 tiny = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
  __m256 big = _mm256_cmp_ps(x, hi, _CMP_GT_OQ);
  // Lanes whose result is below FLT_MIN compute exp(0) and are masked to 0
  // below: computing them would take slow denormal arithmetic.
  __m256 xc = _mm256_andnot_ps(tiny, _mm256_min_ps(x, hi));
  __m256 fx = _mm256_round_ps(
      _mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
      _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), xc);
  r = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500E-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507E-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073E-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894E-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459E-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201E-1f));
  __m256 r2 = _mm256_mul_ps(r, r);
  p = _mm256_fmadd_ps(p, r2, r);
  p = _mm256_add_ps(p, _mm256_set1_ps(1.0f));
  // 2^fx in two halves so that fx = 128 (x near 88.7) does not overflow.
  __m256i n = _mm256_cvtps_epi32(fx);
  __m256i n1 = _mm256_srai_epi32(n, 1), n2 = _mm256_sub_epi32(n, n1);
  __m256 s1 = _mm256_castsi256_ps(
      _mm256_slli_epi32(_mm256_add_epi32(n1, _mm256_set1_epi32(127)), 23));
  __m256 s2 = _mm256_castsi256_ps(
      _mm256_slli_epi32(_mm256_add_epi32(n2, _mm256_set1_epi32(127)), 23));
  __m256 y = _mm256_mul_ps(_mm256_mul_ps(p, s1), s2);
  y = _mm256_andnot_ps(tiny, y);
  y = _mm256_blendv_ps(y, _mm256_set1_ps(__builtin_inff()), big);
  return _mm256_blendv_ps(y, x, isNan);
}

static inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

extern "C" void sieve_exp_avx2(const float *x, float *y, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, exp8(_mm256_loadu_ps(x + i)));
  if (i < n) {
    float in[8] = {0}, out[8];
    for (int64_t j = i; j < n; ++j)
      in[j - i] = x[j];
    _mm256_storeu_ps(out, exp8(_mm256_loadu_ps(in)));
    for (int64_t j = i; j < n; ++j)
      y[j] = out[j - i];
  }
}

extern "C" void sieve_sigmoid_avx2(const float *x, float *y, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 e = exp8(_mm256_xor_ps(_mm256_loadu_ps(x + i), sign));
    _mm256_storeu_ps(y + i, _mm256_div_ps(one, _mm256_add_ps(one, e)));
  }
  for (; i < n; ++i) {
    float in[8] = {-x[i]}, out[8];
    _mm256_storeu_ps(out, exp8(_mm256_loadu_ps(in)));
    y[i] = 1.0f / (1.0f + out[0]);
  }
}

extern "C" void sieve_softmax_row_avx2(const float *x, float *y, int64_t n) {
  // max
  __m256 mv = _mm256_set1_ps(-__builtin_inff());
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    mv = _mm256_max_ps(mv, _mm256_loadu_ps(x + i));
  float lanes[8];
  _mm256_storeu_ps(lanes, mv);
  float mx = lanes[0];
  for (int j = 1; j < 8; ++j)
    mx = lanes[j] > mx ? lanes[j] : mx;
  for (; i < n; ++i)
    mx = x[i] > mx ? x[i] : mx;
  if (mx == -__builtin_inff())
    mx = 0.0f; // a fully masked row: every exp is 0, the sum 0, NaN out
  // exp and sum
  __m256 shift = _mm256_set1_ps(mx), sv = _mm256_setzero_ps();
  for (i = 0; i + 8 <= n; i += 8) {
    __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(x + i), shift));
    _mm256_storeu_ps(y + i, e);
    sv = _mm256_add_ps(sv, e);
  }
  float sum = hsum(sv);
  if (i < n) {
    float in[8], out[8];
    for (int j = 0; j < 8; ++j)
      in[j] = i + j < n ? x[i + j] - mx : -__builtin_inff();
    _mm256_storeu_ps(out, exp8(_mm256_loadu_ps(in)));
    for (int64_t j = i; j < n; ++j) {
      y[j] = out[j - i];
      sum += out[j - i];
    }
  }
  __m256 inv = _mm256_set1_ps(1.0f / sum);
  for (i = 0; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_loadu_ps(y + i), inv));
  float is = 1.0f / sum;
  for (; i < n; ++i)
    y[i] *= is;
}
