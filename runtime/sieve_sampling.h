// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2,
// 3", SC 2011): a counter-based generator, so a draw depends only on
// (key, counter) and needs no state between kernel launches. Host and
// device share it so tests can recompute the sampler's draws.
#pragma once

#include <cstdint>
#include <cuda_runtime.h>

namespace sieve::rt {

struct Philox4 {
  uint32_t v[4];
};

__host__ __device__ inline void mulHiLo(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo) {
  uint64_t p = uint64_t(a) * b;
  *hi = uint32_t(p >> 32);
  *lo = uint32_t(p);
}

__host__ __device__ inline Philox4 philox4x32(Philox4 c, uint32_t k0, uint32_t k1) {
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    mulHiLo(0xD2511F53u, c.v[0], &hi0, &lo0);
    mulHiLo(0xCD9E8D57u, c.v[2], &hi1, &lo1);
    c = Philox4{{hi1 ^ c.v[1] ^ k0, lo1, hi0 ^ c.v[3] ^ k1, lo0}};
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return c;
}

// U[0, 1) with 24 random bits, for stream (seed, a, b).
__host__ __device__ inline float philoxUniform(uint64_t seed, uint64_t a, uint64_t b) {
  Philox4 r = philox4x32(Philox4{{uint32_t(a), uint32_t(a >> 32), uint32_t(b), uint32_t(b >> 32)}},
                         uint32_t(seed), uint32_t(seed >> 32));
  return float(r.v[0] >> 8) * (1.f / 16777216.f);
}

} // namespace sieve::rt
