//===- GemmAVX512.cpp - AVX-512 SGEMM micro-kernel ------------------------===//
//
// Compiled with -mavx512f -mfma; selected at run time when the CPU has
// AVX-512F. A 12 x 32 register block (24 zmm accumulators). Like
// GemmAVX2.cpp, this file includes no shared inline code.
//
//===----------------------------------------------------------------------===//

#include "GemmKernels.h"

#include <immintrin.h>

extern "C" void sieve_sgemm_kernel_avx512(int64_t k, const float *ap,
                                          const float *bp, float *c,
                                          int64_t ldc, int accumulate, int mr,
                                          int nr) {
  __m512 acc[12][2];
#pragma GCC unroll 12
  for (int i = 0; i < 12; ++i) {
    acc[i][0] = _mm512_setzero_ps();
    acc[i][1] = _mm512_setzero_ps();
  }
  for (int64_t p = 0; p < k; ++p) {
    __m512 b0 = _mm512_loadu_ps(bp);
    __m512 b1 = _mm512_loadu_ps(bp + 16);
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) {
      __m512 a = _mm512_set1_ps(ap[i]);
      acc[i][0] = _mm512_fmadd_ps(a, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(a, b1, acc[i][1]);
    }
    ap += 12;
    bp += 32;
  }
  if (nr == 32) {
    for (int i = 0; i < mr; ++i) {
      float *row = c + i * ldc;
      __m512 v0 = acc[i][0], v1 = acc[i][1];
      if (accumulate) {
        v0 = _mm512_add_ps(v0, _mm512_loadu_ps(row));
        v1 = _mm512_add_ps(v1, _mm512_loadu_ps(row + 16));
      }
      _mm512_storeu_ps(row, v0);
      _mm512_storeu_ps(row + 16, v1);
    }
    return;
  }
  __mmask16 m0 = nr >= 16 ? 0xffff : __mmask16((1u << nr) - 1);
  __mmask16 m1 = nr <= 16 ? 0 : __mmask16((1u << (nr - 16)) - 1);
  for (int i = 0; i < mr; ++i) {
    float *row = c + i * ldc;
    __m512 v0 = acc[i][0], v1 = acc[i][1];
    if (accumulate) {
      v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, row));
      v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, row + 16));
    }
    _mm512_mask_storeu_ps(row, m0, v0);
    _mm512_mask_storeu_ps(row + 16, m1, v1);
  }
}
