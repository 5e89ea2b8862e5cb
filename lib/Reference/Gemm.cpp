//===- Gemm.cpp - packed, blocked, multithreaded SGEMM --------------------===//
//
// BLIS-style: C is cut into MC x NC tiles that the pool runs in parallel;
// each tile packs KC-deep slices of A (MR-row panels) and B (NR-column
// panels) and calls a register-blocked micro-kernel (AVX2/FMA when the CPU
// has it, portable C++ otherwise).
//
//===----------------------------------------------------------------------===//

#include "GemmKernels.h"
#include "Parallel.h"

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

using namespace sieve::ref;

namespace {
constexpr int64_t KC = 256;
constexpr int64_t NC = 512;

using Kernel = void (*)(int64_t, const float *, const float *, float *,
                        int64_t, int, int, int);

void portableKernel(int64_t k, const float *ap, const float *bp, float *c,
                    int64_t ldc, int accumulate, int mr, int nr) {
  constexpr int MR = 6, NR = 16;
  float acc[MR][NR] = {};
  for (int64_t p = 0; p < k; ++p) {
    for (int i = 0; i < MR; ++i) {
      float a = ap[i];
      for (int j = 0; j < NR; ++j)
        acc[i][j] += a * bp[j];
    }
    ap += MR;
    bp += NR;
  }
  for (int i = 0; i < mr; ++i)
    for (int j = 0; j < nr; ++j)
      c[i * ldc + j] = accumulate ? c[i * ldc + j] + acc[i][j] : acc[i][j];
}

struct KernelDesc {
  Kernel fn;
  int mr, nr;
  const char *name;
};

/// The widest kernel the CPU runs; SIEVE_REF_KERNEL=avx512|avx2|portable
/// picks one (if the CPU has it), for tests and comparisons.
KernelDesc selectKernel() {
  const char *want = std::getenv("SIEVE_REF_KERNEL");
  std::string w = want ? want : "";
#if defined(__x86_64__) && defined(SIEVE_HAVE_AVX2_KERNEL)
  __builtin_cpu_init();
  bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  bool avx512 = __builtin_cpu_supports("avx512f");
  if (avx512 && (w.empty() || w == "avx512"))
    return {sieve_sgemm_kernel_avx512, 12, 32, "avx512"};
  if (avx2 && (w.empty() || w == "avx2" || w == "avx512"))
    return {sieve_sgemm_kernel_avx2, 6, 16, "avx2"};
#endif
  return {portableKernel, 6, 16, "portable"};
}

const KernelDesc kernel = selectKernel();

template <int MR>
void packA(const float *a, int64_t rs, int64_t cs, int64_t mc, int64_t kc,
           float *out) {
  for (int64_t i = 0; i < mc; i += MR) {
    int mr = int(std::min<int64_t>(MR, mc - i));
    const float *src = a + i * rs;
    if (cs == 1 && mr == MR) {
      for (int64_t p = 0; p < kc; ++p)
        for (int r = 0; r < MR; ++r)
          out[p * MR + r] = src[r * rs + p];
    } else {
      for (int64_t p = 0; p < kc; ++p)
        for (int r = 0; r < MR; ++r)
          out[p * MR + r] = r < mr ? src[r * rs + p * cs] : 0.0f;
    }
    out += kc * MR;
  }
}

template <int NR>
void packB(const float *b, int64_t rs, int64_t cs, int64_t kc, int64_t nc,
           float *out) {
  for (int64_t j = 0; j < nc; j += NR) {
    int nr = int(std::min<int64_t>(NR, nc - j));
    const float *src = b + j * cs;
    if (cs == 1 && nr == NR) {
      for (int64_t p = 0; p < kc; ++p)
        std::copy(src + p * rs, src + p * rs + NR, out + p * NR);
    } else {
      for (int64_t p = 0; p < kc; ++p)
        for (int c = 0; c < NR; ++c)
          out[p * NR + c] = c < nr ? src[p * rs + c * cs] : 0.0f;
    }
    out += kc * NR;
  }
}
} // namespace

const char *sieve::ref::sgemmKernelName() { return kernel.name; }

void sieve::ref::sgemmBatched(ThreadPool &pool, int64_t batch, int64_t M,
                              int64_t N, int64_t K, const float *a,
                              const int64_t *aOff, int64_t rsA, int64_t csA,
                              const float *b, const int64_t *bOff, int64_t rsB,
                              int64_t csB, float *c, const int64_t *cOff,
                              int64_t ldc) {
  if (batch <= 0 || M <= 0 || N <= 0)
    return;
  if (K <= 0) {
    for (int64_t p = 0; p < batch; ++p)
      for (int64_t i = 0; i < M; ++i)
        std::fill(c + cOff[p] + i * ldc, c + cOff[p] + i * ldc + N, 0.0f);
    return;
  }
  // Choose tile sizes so that there are enough tiles for the pool.
  int64_t threads = pool.size();
  int64_t nBlocks = (N + NC - 1) / NC;
  const int MR0 = kernel.mr, NR0 = kernel.nr;
  int64_t mBlocks = std::max<int64_t>(1, (M + 95) / 96);
  while (batch * mBlocks * nBlocks < 2 * threads && mBlocks * MR0 * 2 <= M)
    mBlocks *= 2;
  int64_t mc = (M + mBlocks - 1) / mBlocks;
  mc = (mc + MR0 - 1) / MR0 * MR0;
  mBlocks = (M + mc - 1) / mc;
  int64_t nc = (N + nBlocks - 1) / nBlocks;
  nc = (nc + NR0 - 1) / NR0 * NR0;
  nBlocks = (N + nc - 1) / nc;
  int64_t tasks = batch * mBlocks * nBlocks;
  const int MR = kernel.mr, NR = kernel.nr;

  auto runTile = [&](int64_t t) {
    thread_local std::vector<float> bufA, bufB;
    int64_t p = t / (mBlocks * nBlocks);
    int64_t rest = t % (mBlocks * nBlocks);
    int64_t i0 = (rest / nBlocks) * mc, j0 = (rest % nBlocks) * nc;
    int64_t mcur = std::min(mc, M - i0), ncur = std::min(nc, N - j0);
    int64_t mPad = (mcur + MR - 1) / MR * MR, nPad = (ncur + NR - 1) / NR * NR;
    int64_t kcMax = std::min(KC, K);
    if ((int64_t)bufA.size() < mPad * kcMax)
      bufA.resize(mPad * kcMax);
    if ((int64_t)bufB.size() < nPad * kcMax)
      bufB.resize(nPad * kcMax);
    const float *A = a + aOff[p], *B = b + bOff[p];
    float *C = c + cOff[p];
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
      int64_t kc = std::min(KC, K - k0);
      if (MR == 12)
        packA<12>(A + i0 * rsA + k0 * csA, rsA, csA, mcur, kc, bufA.data());
      else
        packA<6>(A + i0 * rsA + k0 * csA, rsA, csA, mcur, kc, bufA.data());
      if (NR == 32)
        packB<32>(B + k0 * rsB + j0 * csB, rsB, csB, kc, ncur, bufB.data());
      else
        packB<16>(B + k0 * rsB + j0 * csB, rsB, csB, kc, ncur, bufB.data());
      for (int64_t j = 0; j < ncur; j += NR) {
        int nr = int(std::min<int64_t>(NR, ncur - j));
        const float *bp = bufB.data() + (j / NR) * kc * NR;
        for (int64_t i = 0; i < mcur; i += MR) {
          int mr = int(std::min<int64_t>(MR, mcur - i));
          kernel.fn(kc, bufA.data() + (i / MR) * kc * MR, bp,
                 C + (i0 + i) * ldc + j0 + j, ldc, k0 > 0, mr, nr);
        }
      }
    }
  };
  // Tiny problems: no threads.
  if (batch * M * N * K < 32768 || tasks == 1) {
    for (int64_t t = 0; t < tasks; ++t)
      runTile(t);
    return;
  }
  pool.parallelFor(tasks, runTile);
}
