// Host-side invariants of decode attention's split rule
// (runtime/kernels/attention_decode.cuh: decodeSplitLen, decodeSplits,
// decodeSpread, decodeSplitLenAt) over contexts, batch sizes and slot
// lengths: the grid covers max_context, a launch stays within the scratch
// sized for batch 1, a slot's active splits cover its length inside the
// grid and inside its spread, and short splits are used only while the
// launch stays within kDecodeTargetCtas CTAs and kDecodeTargetSplits
// splits. Host code only: runs without a GPU (lit: test/codegen/decode-split-rule.test).
#include "kernels/attention_decode.cuh"

#include <cstdio>

using namespace sieve::rt::detail;

namespace {

int checks = 0, failures = 0;

void expect(bool ok, const char *what, int maxContext, int pairs, int len) {
  ++checks;
  if (!ok && ++failures <= 20)
    std::printf("FAIL %s (max_context %d, pairs %d, len %d)\n", what, maxContext, pairs, len);
}

} // namespace

int main() {
  const int contexts[] = {1,    17,   31,   32,   33,   100,  512,   576,   592,
                          2048, 2049, 4096, 4097, 8192, 8193, 8256, 32768, 131072};
  const int pairsList[] = {1, 2, 8, 16, 32, 53, 54, 64, 128, 256, 320, 1024, 4096, 100000};
  for (int maxContext : contexts) {
    for (int pairs : pairsList) {
      const int L = decodeSplitLen(maxContext, pairs), S = decodeSplits(maxContext, pairs);
      const int spread = decodeSpread(S, pairs);
      expect(L == 32 || L == 64 || L == 128, "split length is 32, 64 or 128", maxContext, pairs, 0);
      expect(int64_t(S) * L >= maxContext, "the grid covers max_context", maxContext, pairs, 0);
      expect(S <= decodeSplits(maxContext), "no more splits than the scratch holds", maxContext,
             pairs, 0);
      expect(spread >= 1 && spread <= S, "spread within [1, splits]", maxContext, pairs, 0);
      if (L < kDecodeMaxSplit)
        expect(S <= kDecodeTargetSplits && int64_t(pairs) * S <= kDecodeTargetCtas,
               "short splits only within the split and CTA targets", maxContext, pairs, 0);
      if (L > kDecodeMinSplit) {
        const int shorter = ceilDiv(maxContext, L / 2);
        expect(shorter > kDecodeTargetSplits || int64_t(pairs) * shorter > kDecodeTargetCtas,
               "the shortest split length that meets the targets", maxContext, pairs, 0);
      }
      const int step = maxContext <= 4096 ? 1 : 7;
      for (int len = 1; len <= maxContext; len += step) {
        const int used = decodeSplitLenAt(len, spread, L);
        const int active = ceilDiv(len, used);
        expect(used % 32 == 0 && used >= kDecodeMinSplit && used <= L,
               "a slot's split length is a multiple of 32 in [32, split length]", maxContext,
               pairs, len);
        expect(active <= S, "a slot's active splits are inside the grid", maxContext, pairs,
               len);
        expect(int64_t(active) * used >= len, "a slot's active splits cover its length",
               maxContext, pairs, len);
        if (used < L)
          expect(active <= spread, "an unclamped slot stays within its spread", maxContext,
                 pairs, len);
      }
    }
  }
  if (failures)
    std::printf("FAIL decode split rule: %d of %d checks\n", failures, checks);
  else
    std::printf("PASS decode split rule: %d checks\n", checks);
  return failures ? 1 : 0;
}
