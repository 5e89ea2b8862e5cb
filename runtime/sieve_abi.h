// The interface between generated model code (model.cu, written by
// sieve-compile's CUDA emitter) and the host runtime (runtime/runtime.cu).
//
// The generated code is a static schedule: for each entry point it launches
// a fixed sequence of kernels (runtime/sieve_kernels.cuh) over
//   - the weights: `StepArgs::weights + offset`, offsets fixed at compile
//     time into the payload of weights.bin;
//   - the activation arena: buffer i lives at
//     `StepArgs::act + per_token_i * StepArgs::max_tokens + fixed_i`
//     (the compile-time memory plan; every per-token row size is a multiple
//     of 256 bytes so all buffers stay 256-byte aligned);
//   - the paged KV cache and the per-step index arrays below, which the
//     runtime fills before each launch.
// Everything an entry point reads through a pointer may change between CUDA
// graph replays; the scalar fields (num_tokens, num_seqs, ...) are fixed per
// captured graph.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cuda_runtime.h>

namespace sieve::rt {

enum class DType : int32_t { F16 = 0, BF16 = 1 };

// How the KV cache stores each (position, KV head) vector of head_dim values
// (docs/quantization.md, "KV cache on the GPU"): dtype values; int8 / E4M3
// codes with one f32 scale per vector; or uint4 codes with one f32 scale and
// one zero point per group of ModelInfo::kv_group values (asymmetric).
enum class KVFormat : int32_t { Dense = 0, Int8 = 1, FP8 = 2, Int4 = 3 };

// weights.bin: a 4096-byte header, then the payload the offsets refer to.
struct WeightsHeader {
  char magic[8];             // "SIEVEWB\0"
  uint32_t abi_version;      // SIEVE_RUNTIME_ABI_VERSION
  uint32_t header_bytes;     // 4096
  uint64_t payload_bytes;
};
constexpr size_t kWeightsHeaderBytes = 4096;

// Constants of one compiled model, filled by the generated code.
struct ModelInfo {
  int32_t abi_version;       // SIEVE_RUNTIME_ABI_VERSION at generation time
  DType dtype;               // activations, KV cache, weights
  int32_t vocab_size;
  int32_t hidden_size;
  int32_t num_layers;        // decoder layers
  int32_t num_kv_layers;     // layers with a KV cache (attention kept)
  int32_t num_kv_heads;      // the same in every KV layer
  int32_t head_dim;
  int32_t num_heads;         // query heads (split-KV scratch sizing)
  int32_t kv_block_size;     // tokens per KV-cache block
  KVFormat kv_format;        // storage of the KV cache
  int32_t kv_vector_bytes;   // bytes of one (position, KV head) vector of
                             //   keys (or values), its scales included
  int32_t kv_group;          // Int4: values per scale / zero point (divides
                             //   head_dim); head_dim for the other formats
  uint64_t weights_bytes;    // payload bytes of weights.bin
  uint64_t act_bytes_per_token; // arena = this * max_tokens + act_bytes_fixed
  uint64_t act_bytes_fixed;
  const char *name;
};

// Everything one launch of an entry point reads. Device pointers unless
// marked host.
struct StepArgs {
  cudaStream_t stream;
  void *cublaslt;            // cublasLtHandle_t
  void *gemm_workspace;
  size_t gemm_workspace_bytes;
  const char *weights;       // payload base
  char *act;                 // activation arena base
  int64_t max_tokens;        // rows the arena holds (the plan's multiplier)

  int32_t num_tokens;        // T: new tokens in this launch, packed by slot
  int32_t num_seqs;          // B: slots 0..B-1 take part
  int32_t max_query_len;     // longest run of new tokens of one slot
  int32_t max_context;       // bound on any kv length (decode split sizing)
  const int32_t *tokens;     // [T]
  const int32_t *positions;  // [T] cache offset of each token in its slot
                             //   (where it is stored, what it attends to)
  const int32_t *token_seq;  // [T] slot of each token
  const int32_t *query_start;// [B + 1] first packed token of each slot
  const int32_t *kv_len;     // [B] slot length after this launch's tokens
  const int32_t *block_table;// [max_batch, max_blocks_per_seq] block ids
  int32_t max_blocks_per_seq;
  void *const *k_cache;      // host array [num_kv_layers] of device pools
  void *const *v_cache;      //   each [num_blocks, kv_heads] tiles of
                             //   block * kv_vector_bytes (kv_cache.cuh)
  float *attn_scratch;       // split-KV partial results
  size_t attn_scratch_bytes;
  const int32_t *logit_rows; // [R] packed rows whose logits are wanted
  int32_t num_logit_rows;    // R
  float *logits;             // [R, vocab] float32
  // [B] per slot: a token's model position (rotary angle) minus its cache
  // offset, > 0 once KV eviction dropped cached positions (the next token
  // keeps counting from the prompt's length). Null reads as 0.
  const int32_t *position_shift;
  // The KV eviction's attention mass (kernel.kv_mass): SnapKV: null except
  // in the prefill launch holding a prompt's last `window` tokens; H2O: the
  // session's mass in every launch of a fresh prompt and every decode step;
  // layout in kv_mass_floats (runtime/kernels/token_filter.cuh).
  float *kv_mass;
};

// The token filter of a model compiled with --sieve-prune-tokens
// (docs/token-pruning.md): the runtime prunes batch-1 prompts longer than k.
// The @filter entry touches only KV layers [0, num_kv_layers) (the filter
// layer's KV index + 1), so the runtime gives it a transient cache of just
// those layers, sized for the prompt.
struct FilterInfo {
  int32_t k, pool, window, block;
  int32_t num_kv_layers;
};

// The KV eviction of a model compiled with --sieve-evict-kv
// (docs/token-pruning.md): after the prefill of a fresh batch-1 prompt
// longer than budget + window, each (KV layer, KV head) keeps the `budget`
// positions before the last `window` of largest pooled attention mass, plus
// the window. H2O (heavy hitters) keeps the mass of every query for the
// session (the prompt's, then each decode step's) and evicts again after
// every decode step.
enum class EvictMethod : int32_t { SnapKV = 0, H2O = 1 };
enum class EvictScope : int32_t { Head = 0, Layer = 1 };
struct EvictInfo {
  EvictMethod method;
  int32_t budget, window, pool;
  EvictScope scope;
};

} // namespace sieve::rt

extern "C" {
// Exported by the generated model.cu.
const sieve::rt::ModelInfo *sieve_generated_info(void);
// Full forward over StepArgs::num_tokens packed tokens: appends their keys
// and values to the cache and writes the logits of `logit_rows`.
// Prefill uses the flash-style attention, decode (one token per slot) the
// split-KV attention; both read keys and values from the paged cache.
// Return cudaGetLastError() after the last launch.
cudaError_t sieve_generated_prefill(const sieve::rt::StepArgs *args);
cudaError_t sieve_generated_decode(const sieve::rt::StepArgs *args);
// The self-speculative draft (sieve-compile --self-speculative): a decode
// step that bypasses some sub-layers, over the same weights and KV cache
// (a bypassed attention writes no keys or values). Weak: models compiled
// without a draft do not define it, and the runtime sees a null address.
__attribute__((weak)) cudaError_t
sieve_generated_draft(const sieve::rt::StepArgs *args);

// The token filter (null when the model has none) and its entry point: the
// prefill schedule up to the filter layer's rotary / KV append, then
// token_scores into StepArgs::logits (cudaErrorNotSupported without one).
const sieve::rt::FilterInfo *sieve_generated_filter_info(void);
cudaError_t sieve_generated_filter(const sieve::rt::StepArgs *args);

// The KV eviction policy (null when the model has none); its @prefill then
// launches kv_mass after every attention (a no-op while StepArgs::kv_mass
// is null), and under H2O its @decode too.
const sieve::rt::EvictInfo *sieve_generated_evict_info(void);
}
