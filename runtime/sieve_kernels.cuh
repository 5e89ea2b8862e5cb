// Kernel launchers the generated code calls (the emitter's whole
// vocabulary). Templated on the storage type T (half or __nv_bfloat16) and,
// where it pays, on compile-time sizes the emitter knows (head_dim).
// Activations are row-major [rows, cols] with rows = packed tokens; all
// arithmetic is fp32, results are rounded to T when stored. Every launcher
// only enqueues work on `stream` (no synchronization, no allocation), so
// a decode step can be captured as a CUDA graph.
//
// Definitions: runtime/kernels/*.cuh, included at the end of this file.
#pragma once

#include "sieve_abi.h"
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "kernels/kv_cache.cuh"

namespace sieve::rt {

enum class Activation : int32_t { Silu = 0, Gelu = 1, GeluTanh = 2, Relu = 3 };
enum class RotaryStyle : int32_t { None = -1, Half = 0, Interleaved = 1 };

// out[t, :] = table[tokens[t], :] * scale (+ pos_table[positions[t], :]
// when pos_table is not null: learned absolute positions, GPT-2).
template <typename T>
void embedding(cudaStream_t stream, const int32_t *tokens, const T *table,
               float scale, const T *pos_table, const int32_t *positions,
               T *out, int rows, int hidden);

// sum = a + b (stored to sum_out) when b is not null, else sum = a; then
// out = sum / sqrt(mean(sum^2) + eps) * (weight + weight_offset).
// `sum_out` may alias `a`; `out` aliases neither.
template <typename T>
void add_rms_norm(cudaStream_t stream, const T *a, const T *b, T *sum_out,
                  const T *weight, float weight_offset, float eps, T *out,
                  int rows, int cols);

// As add_rms_norm with LayerNorm: (sum - mean) / sqrt(var + eps) * weight
// (+ bias when not null).
template <typename T>
void add_layer_norm(cudaStream_t stream, const T *a, const T *b, T *sum_out,
                    const T *weight, const T *bias, float eps, T *out,
                    int rows, int cols);

// out = a + b, elementwise over n values.
template <typename T>
void add(cudaStream_t stream, const T *a, const T *b, T *out, int64_t n);

// out[rows, N] = in[rows, K] * w^T (+ bias[N]); w is [N, K] row-major (one
// row per output feature), fp32 accumulation, through cuBLASLt. OutT is T
// or float (the LM head writes float logits). `in` has row stride K.
template <typename T, typename OutT>
void gemm(const StepArgs &args, const T *in, const T *w, const T *bias,
          OutT *out, int rows, int N, int K);

// How fused_gemm forms its activation rows x [rows, K] from `in`:
// - None: x = in (row stride K);
// - RmsNorm: x = in / sqrt(mean(in^2) + eps) * (norm_weight + weight_offset)
//   (add_rms_norm without the add);
// - Glu: x[t, i] = act(in[t, gate_offset + i]) * in[t, up_offset + i]
//   (glu; `in` has row stride ld).
// `staged` ([rows, K]) receives x when the launch is not fused.
template <typename T> struct GemmPrologue {
  enum class Kind : int32_t { None, RmsNorm, Glu };
  Kind kind = Kind::None;
  const T *norm_weight = nullptr;
  float weight_offset = 0.f, eps = 0.f;
  int ld = 0, gate_offset = 0, up_offset = 0;
  Activation act = Activation::Silu;
  T *staged = nullptr;
};
template <typename T> GemmPrologue<T> no_prologue() { return {}; }
template <typename T>
GemmPrologue<T> rms_norm_prologue(const T *weight, float weight_offset,
                                  float eps, T *staged) {
  GemmPrologue<T> p;
  p.kind = GemmPrologue<T>::Kind::RmsNorm;
  p.norm_weight = weight;
  p.weight_offset = weight_offset;
  p.eps = eps;
  p.staged = staged;
  return p;
}
template <typename T>
GemmPrologue<T> glu_prologue(int ld, int gate_offset, int up_offset,
                             Activation act, T *staged) {
  GemmPrologue<T> p;
  p.kind = GemmPrologue<T>::Kind::Glu;
  p.ld = ld;
  p.gate_offset = gate_offset;
  p.up_offset = up_offset;
  p.act = act;
  p.staged = staged;
  return p;
}

// out[rows, N] = x * w^T (+ bias) (+ residual[rows, N] when not null), x
// formed from `in` by `prologue`: a decode GEMM with the norm or GLU before
// it and the residual add after it fused in (kernels/fused_gemm.cuh). One
// launch where gemm() takes the skinny kernel; elsewhere the prologue's
// launch into prologue.staged, then the GEMM with the residual as its
// epilogue. `out` aliases none of in, residual, staged.
template <typename T>
void fused_gemm(const StepArgs &args, const T *in,
                const GemmPrologue<T> &prologue, const T *w, const T *bias,
                const T *residual, T *out, int rows, int N, int K);

// out[r, :] = in[rows[r], :] for r < num_rows (rows on the device).
template <typename T>
void gather_rows(cudaStream_t stream, const T *in, const int32_t *rows,
                 int num_rows, int cols, T *out);

// qkv holds, per token, `ld` values: the query heads at q_offset, the key
// heads at k_offset, the value heads at v_offset (each head head_dim wide).
// Rotates the first rotary_dim dims of every query and key head (style
// Half: pairs (i, i + rotary_dim/2); Interleaved: (2i, 2i+1); None: no
// rotation) by angle p * inv_freq[i] (fp32), p = positions[t] +
// position_shift[token_seq[t]] (the model position; the shift is 0 unless
// KV eviction dropped cached positions), cos and sin scaled by
// attention_scaling; writes the queries to q_out [rows, num_heads *
// head_dim] and the keys and values of token t to the paged cache at slot
// token_seq[t], cache offset pos = positions[t]:
//   block = block_table[slot * max_blocks_per_seq + pos / block_size]
//   k_cache[((block * num_kv_heads + h) * block_size + pos % block_size)
//           * head_dim + d]
// for the Dense format; quantized formats (F = Int8, FP8, Int4) store codes
// and one scale per (position, KV head) vector, or for Int4 one scale and
// zero point per group of kv_group values (0: head_dim; a multiple of 8
// dividing head_dim), instead (kernels/kv_cache.cuh) and need head_dim 32,
// 64 or 128. The attention launchers read the cache with the same kv_group.
template <typename T, KVFormat F = KVFormat::Dense>
void rotary_kv_append(const StepArgs &args, const T *qkv, int ld,
                      int q_offset, int k_offset, int v_offset,
                      int num_heads, int num_kv_heads, int head_dim,
                      int rotary_dim, RotaryStyle style,
                      const float *inv_freq, float attention_scaling,
                      T *q_out, typename KVCache<T, F>::Code *k_cache,
                      typename KVCache<T, F>::Code *v_cache, int block_size,
                      int kv_group = 0);

// Causal attention of the packed queries q [T, num_heads * head_dim] over
// the paged cache (already holding this launch's keys and values): query
// t of slot s = token_seq[t] at position p = positions[t] reads cache
// positions 0..p of slot s; query head h reads KV head
// h / (num_heads / num_kv_heads). Scores are scaled by `scale`, softmax in
// fp32. out is [T, num_heads * head_dim].
// Prefill: flash-style tiles of queries of one slot (online softmax).
// A cache of format F is dequantized as it is read.
template <typename T, int HeadDim, KVFormat F = KVFormat::Dense>
void attention_prefill(const StepArgs &args, const T *q,
                       const typename KVCache<T, F>::Code *k_cache,
                       const typename KVCache<T, F>::Code *v_cache, T *out,
                       int num_heads, int num_kv_heads, float scale,
                       int block_size, int kv_group = 0);
// Decode: one query per slot (T == B), split-KV over args.max_context
// (FlashDecoding: partial softmax per split in args.attn_scratch, then a
// combine), so launch geometry does not depend on the current lengths.
template <typename T, int HeadDim, KVFormat F = KVFormat::Dense>
void attention_decode(const StepArgs &args, const T *q,
                      const typename KVCache<T, F>::Code *k_cache,
                      const typename KVCache<T, F>::Code *v_cache, T *out,
                      int num_heads, int num_kv_heads, float scale,
                      int block_size, int kv_group = 0);
// Bytes of args.attn_scratch attention_decode needs (host). head_dim is
// needed because each split keeps an unnormalized head_dim-wide partial.
inline size_t attention_decode_scratch_bytes(int max_batch, int num_heads,
                                             int max_context, int head_dim);

// out[t, i] = act(x[t, gate_offset + i]) * x[t, up_offset + i], i < width;
// x has row stride ld, out row stride width.
template <typename T>
void glu(cudaStream_t stream, const T *x, int ld, int gate_offset,
         int up_offset, int width, Activation act, T *out, int rows);

// x = act(x) in place over rows * cols values (plain MLPs: GPT-2's GELU).
template <typename T>
void activation(cudaStream_t stream, T *x, int64_t n, Activation act);

// Sampling over float logits [rows, vocab]: out[r] = argmax (lowest index
// on ties) when temperature <= 0; otherwise softmax(logits / temperature)
// restricted to the top_k largest (0 = all) and to the smallest set whose
// mass reaches top_p (>= 1: all), sampled with a counter-based generator
// keyed by (seed, row, counter) so a run is reproducible. `dependent`:
// launched for programmatic dependent launch (its CTAs may become resident
// while the previous kernel runs); false: plain stream order, for a launch
// behind a decode graph, whose last kernels its waiting CTAs would crowd.
void sample(cudaStream_t stream, const float *logits, int rows, int vocab,
            float temperature, int top_k, float top_p, uint64_t seed,
            uint64_t counter, int32_t *out, bool dependent = true);

// GemFilter scores at the filter layer of a batch-1 prefill (slot 0): for
// the last `window` rows of this launch, log softmax(q . k_j * scale) over
// the cached keys j, summed over heads and averaged over the rows that see
// j, into out[0, kv_len[0]); out holds token_scores_floats(...) floats
// (the rest is scratch). Nothing happens when args.num_logit_rows is 0.
template <typename T, int HeadDim>
void token_scores(const StepArgs &args, const T *q, const T *k_cache, int num_heads,
                  int num_kv_heads, float scale, int block_size, int window, float *out);

// The KV eviction's attention mass of KV layer `layer` (slot 0): for the
// last `window` rows of this launch (SnapKV) or, with `all_rows`, every row
// (H2O; `window` rows at a time), softmax(q . k_j * scale) over the cached
// keys j, summed over those rows and over each KV head's query heads, added
// to args.kv_mass's mass of the layer (layout: kv_mass_floats). Nothing
// happens when args.kv_mass is null.
template <typename T, int HeadDim>
void kv_mass(const StepArgs &args, const T *q, const T *k_cache, int num_heads,
             int num_kv_heads, float scale, int block_size, int window, int layer,
             bool all_rows = false);

// KV eviction's compaction of slot `slot` of one KV layer (K and V pools
// of vectors of vector_bytes, any KVFormat): for every KV head h, the
// vectors at positions keep[h * count + i] (ascending per head) move to
// positions i, through `staging` (num_kv_heads * count * vector_bytes * 2
// bytes).
inline void kv_compact(cudaStream_t stream, void *k_cache, void *v_cache, const int32_t *block_table,
                       int max_blocks_per_seq, int slot, int num_kv_heads, int block_size,
                       int vector_bytes, const int32_t *keep, int count, void *staging);

} // namespace sieve::rt

#include "kernels/attention.cuh"
#include "kernels/elementwise.cuh"
#include "kernels/fused_gemm.cuh"
#include "kernels/gemm.cuh"
#include "kernels/norm.cuh"
#include "kernels/quant_gemm.cuh"
#include "kernels/rotary.cuh"
#include "kernels/token_filter.cuh"
