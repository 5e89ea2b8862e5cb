/* GemFilter / SnapKV / H2O selection from per-position scores
 * (docs/token-pruning.md), header-only and standard C++ so that the CPU
 * reference (lib/Reference/Session.cpp) and the compiled runtime
 * (runtime/runtime.cu, built by nvcc inside a model folder) select with
 * the very same code. */
#ifndef SIEVE_RUNTIME_TOKEN_SELECT_H
#define SIEVE_RUNTIME_TOKEN_SELECT_H

#include <algorithm>
#include <cstdint>
#include <vector>

namespace sieve::select {

/* Average pooling of width `pool` (odd), stride 1, zero padding pool / 2 on
 * both sides, divided by pool (torch's avg_pool1d with
 * count_include_pad=True): the same length as `x`. */
template <typename F>
std::vector<double> avgPool(const F *x, int64_t n, int64_t pool) {
  int64_t half = pool / 2;
  std::vector<double> out(n);
  for (int64_t i = 0; i < n; ++i) {
    double sum = 0;
    for (int64_t j = std::max<int64_t>(0, i - half); j <= std::min(n - 1, i + half); ++j)
      sum += double(x[j]);
    out[i] = sum / double(pool);
  }
  return out;
}

/* The indices of the k largest scores (ties: the lower index first), in
 * ascending order. */
inline std::vector<int64_t> topKAscending(const std::vector<double> &score, int64_t k) {
  std::vector<int64_t> idx(score.size());
  for (size_t i = 0; i < idx.size(); ++i)
    idx[i] = int64_t(i);
  k = std::min<int64_t>(k, int64_t(idx.size()));
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(), [&](int64_t a, int64_t b) {
    return score[a] > score[b] || (score[a] == score[b] && a < b);
  });
  idx.resize(k);
  std::sort(idx.begin(), idx.end());
  return idx;
}

/* The positions of the top k / block blocks of `block` consecutive
 * positions, ranked by their mean score (the last block may be shorter);
 * block 1 is topKAscending. */
inline std::vector<int64_t> topBlocksAscending(const std::vector<double> &score, int64_t k,
                                               int64_t block) {
  if (block <= 1)
    return topKAscending(score, k);
  int64_t n = int64_t(score.size()), blocks = (n + block - 1) / block;
  std::vector<double> mean(blocks, 0.0);
  for (int64_t b = 0; b < blocks; ++b) {
    int64_t end = std::min(n, (b + 1) * block);
    for (int64_t j = b * block; j < end; ++j)
      mean[b] += score[j];
    mean[b] /= double(end - b * block);
  }
  std::vector<int64_t> out;
  for (int64_t b : topKAscending(mean, k / block))
    for (int64_t j = b * block; j < std::min(n, (b + 1) * block); ++j)
      out.push_back(j);
  return out;
}

/* GemFilter's selection from the filter layer's scores: pooled, then the
 * top k positions (or blocks), ascending. */
template <typename F>
std::vector<int64_t> gemfilterSelect(const F *scores, int64_t n, int64_t k, int64_t pool,
                                     int64_t block) {
  return topBlocksAscending(avgPool(scores, n, pool), k, block);
}

/* KV eviction's kept positions of one cache row of `len` > budget + window
 * positions (SnapKV, H2O): the `budget` positions before the last `window`
 * of largest pooled score, then the window, ascending. The score of
 * position j is the sum over `heads` mass rows (row h at mass + h *
 * stride: one KV head, or every KV head of a layer for scope=layer),
 * average-pooled with width `pool`. */
template <typename F>
std::vector<int64_t> evictKeep(const F *mass, int64_t stride, int64_t heads, int64_t len,
                               int64_t window, int64_t budget, int64_t pool) {
  int64_t prefix = len - window;
  std::vector<double> score(prefix, 0.0);
  for (int64_t h = 0; h < heads; ++h)
    for (int64_t j = 0; j < prefix; ++j)
      score[j] += mass[h * stride + j];
  std::vector<int64_t> keep = topKAscending(avgPool(score.data(), prefix, pool), budget);
  for (int64_t j = prefix; j < len; ++j)
    keep.push_back(j);
  return keep;
}

/* A mass row after its cache row was compacted to the `kept` ascending
 * positions `keep` (H2O's running scores follow the cache): row[i] =
 * row[keep[i]], the rest of its `len` positions zero. keep is ascending, so
 * keep[i] >= i: moving forward never overwrites a value still to be moved
 * (the cache's vectors are compacted the same way). */
template <typename F, typename I>
void compactKept(F *row, const I *keep, int64_t kept, int64_t len) {
  for (int64_t i = 0; i < kept; ++i)
    row[i] = row[keep[i]];
  std::fill(row + kept, row + len, F(0));
}

} // namespace sieve::select

#endif
