// GemFilter scores (docs/token-pruning.md): for the last `window` query
// rows of a batch-1 prefill at the filter layer, the attention
// log-probabilities of every cached key, summed over query heads and
// averaged over the rows that see the key. Only score rows are computed
// (window x heads x keys), never the attention matrix.
//
// Three launches over the paged cache of the filter layer:
//   1. tokenScoreLogits: one thread per (key, head, row): q_r . k_j * scale;
//   2. tokenScoreLse: one CTA per (row, head): log-sum-exp over its keys;
//   3. tokenScoreSum: one thread per key: sum over heads and rows of
//      logit - lse, divided by the rows that see the key (all rows see
//      every key but the window's own).
// Layout of `out` (floats): scores [max_context], lse [window * heads],
// logits [window * heads * max_context]. The launch does nothing when
// StepArgs::num_logit_rows is 0 (a chunk before the prompt's last one).
#pragma once

#include "common.cuh"

namespace sieve::rt {
namespace detail {

constexpr int kScoreThreads = 128;

template <typename T, int HeadDim>
static __global__ void __launch_bounds__(kScoreThreads)
    tokenScoreLogits(const T *q, const T *kCache, int numHeads, int numKvHeads, float scale,
                     int blockSize, const int32_t *positions, const int32_t *blockTable,
                     int firstRow, int maxContext, float *logits) {
  __shared__ float qs[HeadDim];
  int head = blockIdx.y, w = blockIdx.z, row = firstRow + w;
  const T *qRow = q + int64_t(row) * numHeads * HeadDim + head * HeadDim;
  for (int d = threadIdx.x; d < HeadDim; d += blockDim.x)
    qs[d] = toFloat(qRow[d]);
  __syncthreads();
  int j = blockIdx.x * blockDim.x + threadIdx.x;
  int pos = positions[row];
  if (j > pos || j >= maxContext)
    return;
  int kvHead = head / (numHeads / numKvHeads);
  int64_t block = blockTable[j / blockSize]; // slot 0
  const T *k = kCache + ((block * numKvHeads + kvHead) * blockSize + j % blockSize) * HeadDim;
  float dot = 0.f;
#pragma unroll 8
  for (int d = 0; d < HeadDim; ++d)
    dot += qs[d] * toFloat(k[d]);
  logits[(int64_t(w) * numHeads + head) * maxContext + j] = dot * scale;
}

static __global__ void __launch_bounds__(kScoreThreads)
    tokenScoreLse(const int32_t *positions, int firstRow, int numHeads, int maxContext,
                  const float *logits, float *lse) {
  __shared__ float red[32];
  int w = blockIdx.x / numHeads;
  int n = positions[firstRow + w] + 1;
  const float *row = logits + int64_t(blockIdx.x) * maxContext;
  float m = -INFINITY;
  for (int j = threadIdx.x; j < n; j += blockDim.x)
    m = fmaxf(m, row[j]);
  m = blockMax(m, red);
  float s = 0.f;
  for (int j = threadIdx.x; j < n; j += blockDim.x)
    s += expf(row[j] - m);
  s = blockSum(s, red);
  if (threadIdx.x == 0)
    lse[blockIdx.x] = m + logf(s);
}

static __global__ void tokenScoreSum(const int32_t *positions, int firstRow, int window, int numHeads,
                              int maxContext, const int32_t *kvLen, const float *logits,
                              const float *lse, float *scores) {
  int j = blockIdx.x * blockDim.x + threadIdx.x;
  if (j >= kvLen[0] || j >= maxContext)
    return;
  double sum = 0;
  int rows = 0;
  for (int w = 0; w < window; ++w) {
    if (j > positions[firstRow + w])
      continue;
    ++rows;
    for (int h = 0; h < numHeads; ++h) {
      int64_t r = int64_t(w) * numHeads + h;
      sum += double(logits[r * maxContext + j]) - double(lse[r]);
    }
  }
  scores[j] = rows ? float(sum / rows) : -INFINITY;
}

// The logits of the last `rows` query rows (from firstRow) against every
// cached key of their slot, and each (row, head)'s log-sum-exp: what
// token_scores and kv_mass sum in their own ways.
template <typename T, int HeadDim>
void windowLogits(const StepArgs &a, const T *q, const T *k_cache, int num_heads,
                  int num_kv_heads, float scale, int block_size, int firstRow, int rows,
                  float *logits, float *lse) {
  int ctx = a.max_context;
  dim3 grid(ceilDiv(ctx, kScoreThreads), num_heads, rows);
  tokenScoreLogits<T, HeadDim><<<grid, kScoreThreads, 0, a.stream>>>(
      q, k_cache, num_heads, num_kv_heads, scale, block_size, a.positions, a.block_table,
      firstRow, ctx, logits);
  tokenScoreLse<<<rows * num_heads, kScoreThreads, 0, a.stream>>>(a.positions, firstRow,
                                                                  num_heads, ctx, logits, lse);
}

} // namespace detail

template <typename T, int HeadDim>
void token_scores(const StepArgs &a, const T *q, const T *k_cache, int num_heads,
                  int num_kv_heads, float scale, int block_size, int window, float *out) {
  if (a.num_logit_rows == 0 || a.num_tokens <= 0)
    return;
  int rows = window < a.num_tokens ? window : a.num_tokens;
  int firstRow = a.num_tokens - rows, ctx = a.max_context;
  float *lse = out + ctx, *logits = lse + rows * num_heads;
  detail::windowLogits<T, HeadDim>(a, q, k_cache, num_heads, num_kv_heads, scale, block_size,
                                   firstRow, rows, logits, lse);
  detail::tokenScoreSum<<<detail::ceilDiv(ctx, 256), 256, 0, a.stream>>>(
      a.positions, firstRow, rows, num_heads, ctx, a.kv_len, logits, lse, out);
}

// Floats token_scores needs at `out` for `window` rows.
inline size_t token_scores_floats(int max_context, int num_heads, int window) {
  return size_t(max_context) * (1 + size_t(window) * num_heads) + size_t(window) * num_heads;
}

// The KV eviction's attention mass (kernel.kv_mass, docs/token-pruning.md).
// The buffer at StepArgs::kv_mass holds, in floats: the log-sum-exps
// [window * heads], the logits [window * heads * max_context] (scratch
// shared by the layers and row tiles, which run one after another on the
// stream), then the mass [num_kv_layers, kv_heads, max_context], which the
// runtime zeroes before the prefill and reads after it (SnapKV), or keeps
// for the session and compacts with the cache (H2O).
inline size_t kv_mass_scratch_floats(int max_context, int num_heads, int window) {
  return size_t(window) * num_heads * (1 + size_t(max_context));
}
inline size_t kv_mass_floats(int num_kv_layers, int num_kv_heads, int max_context,
                             int num_heads, int window) {
  return kv_mass_scratch_floats(max_context, num_heads, window) +
         size_t(num_kv_layers) * num_kv_heads * max_context;
}

namespace detail {

// mass[kvHead, j] += over the window rows that see key j and the query
// heads of kvHead's group, exp(logit - lse): the attention probabilities.
static __global__ void kvMassSum(const int32_t *positions, int firstRow, int window, int numHeads,
                                 int numKvHeads, int maxContext, const int32_t *kvLen,
                                 const float *logits, const float *lse, float *mass) {
  int j = blockIdx.x * blockDim.x + threadIdx.x, kvHead = blockIdx.y;
  if (j >= kvLen[0] || j >= maxContext)
    return;
  int group = numHeads / numKvHeads;
  float sum = 0.f;
  for (int w = 0; w < window; ++w) {
    if (j > positions[firstRow + w])
      continue;
    for (int h = kvHead * group; h < (kvHead + 1) * group; ++h) {
      int64_t r = int64_t(w) * numHeads + h;
      sum += expf(logits[r * maxContext + j] - lse[r]);
    }
  }
  mass[int64_t(kvHead) * maxContext + j] += sum;
}

} // namespace detail

// The attention probabilities of KV layer `layer`'s cached keys (slot 0),
// summed over query rows and over the query heads of each KV head's group,
// added to that layer's mass. The rows are the launch's last `window`
// (SnapKV: the runtime puts a prompt's whole window in its last prefill
// launch) or, with `all_rows` (H2O), every row of the launch, taken
// `window` rows at a time so the scratch stays window x heads x
// max_context (never rows x keys). Scores, log-sum-exps and probabilities
// as token_scores computes them (never the attention matrix). Nothing
// happens when args.kv_mass is null.
template <typename T, int HeadDim>
void kv_mass(const StepArgs &a, const T *q, const T *k_cache, int num_heads, int num_kv_heads,
             float scale, int block_size, int window, int layer, bool all_rows) {
  if (!a.kv_mass || a.num_tokens <= 0)
    return;
  int ctx = a.max_context;
  float *lse = a.kv_mass, *logits = lse + size_t(window) * num_heads;
  float *mass = a.kv_mass + kv_mass_scratch_floats(ctx, num_heads, window) +
                size_t(layer) * num_kv_heads * ctx;
  int last = window < a.num_tokens ? window : a.num_tokens;
  int first = all_rows ? 0 : a.num_tokens - last;
  for (int firstRow = first; firstRow < a.num_tokens; firstRow += window) {
    int rows = a.num_tokens - firstRow < window ? a.num_tokens - firstRow : window;
    detail::windowLogits<T, HeadDim>(a, q, k_cache, num_heads, num_kv_heads, scale, block_size,
                                     firstRow, rows, logits, lse);
    dim3 sumGrid(detail::ceilDiv(ctx, 256), num_kv_heads);
    detail::kvMassSum<<<sumGrid, 256, 0, a.stream>>>(a.positions, firstRow, rows, num_heads,
                                                     num_kv_heads, ctx, a.kv_len, logits, lse,
                                                     mass);
  }
}

} // namespace sieve::rt
