//===- GemmKernels.h - SGEMM micro-kernels ----------------------*- C++ -*-===//
#ifndef SIEVE_LIB_REFERENCE_GEMMKERNELS_H
#define SIEVE_LIB_REFERENCE_GEMMKERNELS_H

#include <cstdint>

// Micro-kernel contract: C[mr x nr] (+)= Ap * Bp where Ap is a packed panel of
// MR rows (k-major, MR floats per k) and Bp a packed panel of NR columns (NR
// floats per k). Edge tiles pass mr < MR / nr < NR; the panels are
// zero-padded.
// The AVX2 and portable kernels are 6 x 16, the AVX-512 one 12 x 32.

extern "C" void sieve_sgemm_kernel_avx2(int64_t k, const float *ap,
                                        const float *bp, float *c, int64_t ldc,
                                        int accumulate, int mr, int nr);

extern "C" void sieve_sgemm_kernel_avx512(int64_t k, const float *ap,
                                          const float *bp, float *c,
                                          int64_t ldc, int accumulate, int mr,
                                          int nr);

#endif
