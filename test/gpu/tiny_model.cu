// Hand-written "generated code" of the tiny model (tiny_model.h), in the
// shape the CUDA emitter produces: ModelInfo constants, an activation plan
// (per-token row bytes, each a multiple of 256), and for each entry point a
// static list of launcher calls over weights + offset and planned buffers.
#include "sieve/Runtime/sieve_runtime.h"
#include "sieve_kernels.cuh"
#include "tiny_model.h"

using namespace sieve::rt;
using namespace tiny;

#ifdef TINY_BF16
using T = __nv_bfloat16;
constexpr DType kDType = DType::BF16;
#else
using T = half;
constexpr DType kDType = DType::F16;
#endif

namespace {

// Activation plan: buffer -> bytes per token row; offsets are running sums.
enum Buffer { Resid, Normed, Qkv, Q, Attn, Proj, GateUp, Act, Down, Gathered, NumBuffers };
constexpr size_t kRowBytes[NumBuffers] = {
    kHidden * 2, kHidden * 2, kQkv * 2, kHeads * kHeadDim * 2, kHeads * kHeadDim * 2,
    kHidden * 2, 2 * kInter * 2, kInter * 2, kHidden * 2, kHidden * 2};
constexpr size_t perTokenOffset(int b) {
  size_t at = 0;
  for (int i = 0; i < b; ++i)
    at += kRowBytes[i];
  return at;
}
static_assert(perTokenOffset(NumBuffers) % 256 == 0, "rows stay 256-byte aligned");

T *buf(const StepArgs &a, Buffer b) {
  return reinterpret_cast<T *>(a.act + perTokenOffset(b) * a.max_tokens);
}
const T *w(const StepArgs &a, size_t offset) {
  return reinterpret_cast<const T *>(a.weights + offset);
}

const ModelInfo kInfo = {
    SIEVE_RUNTIME_ABI_VERSION, kDType, kVocab, kHidden, kLayers, kLayers, kKvHeads, kHeadDim,
    kHeads, kBlockSize, KVFormat::Dense, kHeadDim * int32_t(sizeof(T)), kHeadDim, kLayout.total,
    perTokenOffset(NumBuffers), 0, "tiny-llama-test"};

// The whole forward; `decode` picks the attention kernel.
cudaError_t forward(const StepArgs *args, bool decode) {
  const StepArgs &a = *args;
  int rows = a.num_tokens;
  float scale = 0.125f; // 1 / sqrt(head_dim)
  embedding<T>(a.stream, a.tokens, w(a, kLayout.embed), 1.f, nullptr, a.positions,
               buf(a, Resid), rows, kHidden);
  for (int l = 0; l < kLayers; ++l) {
    const LayerOffsets &o = kLayout.layers[l];
    T *k = static_cast<T *>(a.k_cache[l]), *v = static_cast<T *>(a.v_cache[l]);
    // Layer 0 normalizes the embedding; later layers first add the MLP output.
    add_rms_norm<T>(a.stream, buf(a, Resid), l == 0 ? nullptr : buf(a, Down), buf(a, Resid),
                    w(a, o.attnNorm), 0.f, kEps, buf(a, Normed), rows, kHidden);
    gemm<T, T>(a, buf(a, Normed), w(a, o.wqkv), w(a, o.bqkv), buf(a, Qkv), rows, kQkv, kHidden);
    rotary_kv_append<T>(a, buf(a, Qkv), kQkv, 0, kHeads * kHeadDim, (kHeads + kKvHeads) * kHeadDim,
                        kHeads, kKvHeads, kHeadDim, kHeadDim, RotaryStyle::Half,
                        reinterpret_cast<const float *>(a.weights + kLayout.invFreq), 1.f,
                        buf(a, Q), k, v, kBlockSize);
    if (decode)
      attention_decode<T, kHeadDim>(a, buf(a, Q), k, v, buf(a, Attn), kHeads, kKvHeads, scale,
                                    kBlockSize);
    else
      attention_prefill<T, kHeadDim>(a, buf(a, Q), k, v, buf(a, Attn), kHeads, kKvHeads, scale,
                                     kBlockSize);
    gemm<T, T>(a, buf(a, Attn), w(a, o.wo), nullptr, buf(a, Proj), rows, kHidden,
               kHeads * kHeadDim);
    add_rms_norm<T>(a.stream, buf(a, Resid), buf(a, Proj), buf(a, Resid), w(a, o.mlpNorm), 0.f,
                    kEps, buf(a, Normed), rows, kHidden);
    gemm<T, T>(a, buf(a, Normed), w(a, o.wgu), nullptr, buf(a, GateUp), rows, 2 * kInter,
               kHidden);
    glu<T>(a.stream, buf(a, GateUp), 2 * kInter, 0, kInter, kInter, Activation::Silu,
           buf(a, Act), rows);
    gemm<T, T>(a, buf(a, Act), w(a, o.wd), nullptr, buf(a, Down), rows, kHidden, kInter);
  }
  add_rms_norm<T>(a.stream, buf(a, Resid), buf(a, Down), buf(a, Resid), w(a, kLayout.finalNorm),
                  0.f, kEps, buf(a, Normed), rows, kHidden);
  gather_rows<T>(a.stream, buf(a, Normed), a.logit_rows, a.num_logit_rows, kHidden,
                 buf(a, Gathered));
  gemm<T, float>(a, buf(a, Gathered), w(a, kLayout.lmHead), nullptr, a.logits, a.num_logit_rows,
                 kVocab, kHidden);
  return cudaGetLastError();
}

} // namespace

extern "C" {
const ModelInfo *sieve_generated_info(void) { return &kInfo; }
cudaError_t sieve_generated_prefill(const StepArgs *args) { return forward(args, false); }
cudaError_t sieve_generated_decode(const StepArgs *args) { return forward(args, true); }
const FilterInfo *sieve_generated_filter_info(void) { return nullptr; }
cudaError_t sieve_generated_filter(const StepArgs *) { return cudaErrorNotSupported; }
const EvictInfo *sieve_generated_evict_info(void) { return nullptr; }
}
