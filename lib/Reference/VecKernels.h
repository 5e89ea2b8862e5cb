//===- VecKernels.h - vectorized elementwise kernels ------------*- C++ -*-===//
#ifndef SIEVE_LIB_REFERENCE_VECKERNELS_H
#define SIEVE_LIB_REFERENCE_VECKERNELS_H

#include <cstdint>

namespace sieve::ref {
/// Whether the AVX2 vector kernels (exp, softmax, sigmoid) run here: built
/// with them (x86), the CPU has AVX2 and FMA, and SIEVE_REF_KERNEL is not
/// "portable". Defined in Ops.cpp.
bool useVectorKernels();
} // namespace sieve::ref

extern "C" {
void sieve_exp_avx2(const float *x, float *y, int64_t n);
void sieve_sigmoid_avx2(const float *x, float *y, int64_t n);
/// y = softmax(x) over n contiguous floats.
void sieve_softmax_row_avx2(const float *x, float *y, int64_t n);
}

#endif
