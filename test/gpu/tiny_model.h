// The tiny llama-like model of the C-API test: its sizes and the weights
// payload layout, shared by the hand-written generated code (tiny_model.cu,
// written the way the CUDA emitter writes a model) and the test, which
// writes weights.bin and runs the fp32 CPU forward.
//
// Build with -DTINY_BF16 for the bf16 variant (f16 otherwise).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tiny {

constexpr int kVocab = 512, kHidden = 128, kHeads = 4, kKvHeads = 2, kHeadDim = 64,
              kInter = 256, kLayers = 2, kBlockSize = 16;
constexpr int kQkv = (kHeads + 2 * kKvHeads) * kHeadDim; // fused q|k|v projection
constexpr float kEps = 1e-5f, kRopeTheta = 10000.f;

constexpr size_t align256(size_t n) { return (n + 255) / 256 * 256; }

// Byte offsets into the weights payload (the compile-time weight plan).
struct LayerOffsets {
  size_t attnNorm, wqkv, bqkv, wo, mlpNorm, wgu, wd;
};
struct Layout {
  size_t embed, finalNorm, lmHead, invFreq, total;
  LayerOffsets layers[kLayers];
};

constexpr Layout makeLayout() {
  Layout l{};
  size_t at = 0;
  auto take = [&at](size_t bytes) {
    size_t here = at;
    at = align256(at + bytes);
    return here;
  };
  constexpr size_t v = 2; // bytes per f16/bf16 value
  l.embed = take(size_t(kVocab) * kHidden * v);
  for (int i = 0; i < kLayers; ++i) {
    l.layers[i].attnNorm = take(kHidden * v);
    l.layers[i].wqkv = take(size_t(kQkv) * kHidden * v);
    l.layers[i].bqkv = take(kQkv * v);
    l.layers[i].wo = take(size_t(kHidden) * kHeads * kHeadDim * v);
    l.layers[i].mlpNorm = take(kHidden * v);
    l.layers[i].wgu = take(size_t(2 * kInter) * kHidden * v);
    l.layers[i].wd = take(size_t(kHidden) * kInter * v);
  }
  l.finalNorm = take(kHidden * v);
  l.lmHead = take(size_t(kVocab) * kHidden * v);
  l.invFreq = take(kHeadDim / 2 * sizeof(float));
  l.total = at;
  return l;
}
constexpr Layout kLayout = makeLayout();

} // namespace tiny
