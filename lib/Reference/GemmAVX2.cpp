//===- GemmAVX2.cpp - AVX2/FMA SGEMM micro-kernel -------------------------===//
//
// Compiled with -mavx2 -mfma; selected at run time. Keep this file free of
// inline functions from shared headers (templates instantiated here would be
// AVX2 code that the linker could pick for everyone).
//
//===----------------------------------------------------------------------===//

#include "GemmKernels.h"

#include <immintrin.h>

extern "C" void sieve_sgemm_kernel_avx2(int64_t k, const float *ap,
                                        const float *bp, float *c, int64_t ldc,
                                        int accumulate, int mr, int nr) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    __m256 b0 = _mm256_loadu_ps(bp);
    __m256 b1 = _mm256_loadu_ps(bp + 8);
    __m256 a;
    a = _mm256_broadcast_ss(ap + 0);
    c00 = _mm256_fmadd_ps(a, b0, c00);
    c01 = _mm256_fmadd_ps(a, b1, c01);
    a = _mm256_broadcast_ss(ap + 1);
    c10 = _mm256_fmadd_ps(a, b0, c10);
    c11 = _mm256_fmadd_ps(a, b1, c11);
    a = _mm256_broadcast_ss(ap + 2);
    c20 = _mm256_fmadd_ps(a, b0, c20);
    c21 = _mm256_fmadd_ps(a, b1, c21);
    a = _mm256_broadcast_ss(ap + 3);
    c30 = _mm256_fmadd_ps(a, b0, c30);
    c31 = _mm256_fmadd_ps(a, b1, c31);
    a = _mm256_broadcast_ss(ap + 4);
    c40 = _mm256_fmadd_ps(a, b0, c40);
    c41 = _mm256_fmadd_ps(a, b1, c41);
    a = _mm256_broadcast_ss(ap + 5);
    c50 = _mm256_fmadd_ps(a, b0, c50);
    c51 = _mm256_fmadd_ps(a, b1, c51);
    ap += 6;
    bp += 16;
  }
  if (mr == 6 && nr == 16) {
#define SIEVE_STORE_ROW(r)                                                     \
  {                                                                            \
    float *row = c + (r) * ldc;                                                \
    if (accumulate) {                                                          \
      c##r##0 = _mm256_add_ps(c##r##0, _mm256_loadu_ps(row));                  \
      c##r##1 = _mm256_add_ps(c##r##1, _mm256_loadu_ps(row + 8));              \
    }                                                                          \
    _mm256_storeu_ps(row, c##r##0);                                            \
    _mm256_storeu_ps(row + 8, c##r##1);                                        \
  }
    SIEVE_STORE_ROW(0)
    SIEVE_STORE_ROW(1)
    SIEVE_STORE_ROW(2)
    SIEVE_STORE_ROW(3)
    SIEVE_STORE_ROW(4)
    SIEVE_STORE_ROW(5)
#undef SIEVE_STORE_ROW
    return;
  }
  alignas(32) float tmp[6 * 16];
  _mm256_store_ps(tmp + 0, c00);
  _mm256_store_ps(tmp + 8, c01);
  _mm256_store_ps(tmp + 16, c10);
  _mm256_store_ps(tmp + 24, c11);
  _mm256_store_ps(tmp + 32, c20);
  _mm256_store_ps(tmp + 40, c21);
  _mm256_store_ps(tmp + 48, c30);
  _mm256_store_ps(tmp + 56, c31);
  _mm256_store_ps(tmp + 64, c40);
  _mm256_store_ps(tmp + 72, c41);
  _mm256_store_ps(tmp + 80, c50);
  _mm256_store_ps(tmp + 88, c51);
  for (int i = 0; i < mr; ++i)
    for (int j = 0; j < nr; ++j)
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + tmp[i * 16 + j]
                                  : tmp[i * 16 + j];
}
