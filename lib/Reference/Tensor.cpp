//===- Tensor.cpp - tensors, float16/bfloat16 rounding --------------------===//

#include "sieve/Reference/Executor.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/ErrorHandling.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

using namespace sieve::ref;

int64_t Tensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

static size_t elementBytes(Storage s) {
  switch (s) {
  case Storage::F32:
    return 4;
  case Storage::I64:
    return 8;
  case Storage::Bool:
    return 1;
  }
  return 8;
}

namespace {
/// Keeps freed large buffers for reuse: a forward pass allocates the same
/// sizes over and over, and fresh pages from the kernel cost page faults and
/// zeroing. Capped; buffers below 64 KiB go straight back to malloc.
class BufferPool {
public:
  void *get(size_t bytes) {
    if (bytes >= kMinPooled) {
      std::lock_guard<std::mutex> lock(mutex);
      auto it = buffers.find(bytes);
      if (it != buffers.end() && !it->second.empty()) {
        void *p = it->second.back();
        it->second.pop_back();
        cached -= bytes;
        return p;
      }
    }
    void *p = std::aligned_alloc(64, bytes);
    if (!p)
      llvm::report_fatal_error("sieve reference: out of memory");
    return p;
  }
  void put(void *p, size_t bytes) {
    if (bytes >= kMinPooled) {
      std::lock_guard<std::mutex> lock(mutex);
      if (cached + bytes <= kMaxCached) {
        buffers[bytes].push_back(p);
        cached += bytes;
        return;
      }
    }
    std::free(p);
  }

private:
  static constexpr size_t kMinPooled = size_t(64) << 10;
  static constexpr size_t kMaxCached = size_t(1) << 30;
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void *>> buffers;
  size_t cached = 0;
};

BufferPool &bufferPool() {
  static BufferPool *pool = new BufferPool; // never destroyed: tensors may
  return *pool;                             // outlive static destructors
}
} // namespace

Tensor Tensor::alloc(Storage storage, llvm::ArrayRef<int64_t> shape) {
  Tensor t;
  t.storage = storage;
  t.shape.assign(shape.begin(), shape.end());
  size_t bytes = std::max<size_t>(1, size_t(t.numel()) * elementBytes(storage));
  bytes = (bytes + 63) / 64 * 64;
  // 64-byte aligned, uninitialized (every op writes all of its output).
  void *p = bufferPool().get(bytes);
  t.hold = std::shared_ptr<void>(
      p, [bytes](void *q) { bufferPool().put(q, bytes); });
  t.data = p;
  return t;
}

Storage sieve::ref::storageFor(mlir::Type elementType) {
  if (mlir::isa<mlir::FloatType>(elementType))
    return Storage::F32;
  if (elementType.isInteger(1))
    return Storage::Bool;
  return Storage::I64;
}

static uint32_t bitsOf(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
static float floatOf(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

float sieve::ref::f16BitsToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp == 0) {
    float v = float(mant) * (1.0f / 16777216.0f); // mant * 2^-24, exact
    return sign ? -v : v;
  }
  if (exp == 31)
    return floatOf(sign | 0x7f800000u | (mant << 13));
  return floatOf(sign | ((exp + 112) << 23) | (mant << 13));
}

static uint16_t floatToF16Bits(float f) {
  uint32_t x = bitsOf(f);
  uint32_t sign = (x >> 16) & 0x8000;
  uint32_t ax = x & 0x7fffffff;
  if (ax >= 0x7f800000u) // inf, nan (kept quiet)
    return uint16_t(sign | 0x7c00 | (ax > 0x7f800000u ? 0x200 : 0));
  if (ax >= 0x477ff000u) // >= 65520 rounds to infinity
    return uint16_t(sign | 0x7c00);
  if (ax < 0x38800000u) { // below 2^-14: subnormal half (or zero)
    float v = floatOf(ax) * 16777216.0f; // exact scaling by 2^24
    return uint16_t(sign | uint32_t(std::nearbyint(v)));
  }
  uint32_t rounded = ax + 0xfff + ((ax >> 13) & 1);
  return uint16_t(sign | ((rounded - 0x38000000u) >> 13));
}

float sieve::ref::roundToF16(float x) {
  return f16BitsToFloat(floatToF16Bits(x));
}

float sieve::ref::roundToBF16(float x) {
  uint32_t u = bitsOf(x);
  if ((u & 0x7fffffff) > 0x7f800000u)
    return floatOf((u | 0x00400000u) & 0xffff0000u);
  u = (u + 0x7fff + ((u >> 16) & 1)) & 0xffff0000u;
  return floatOf(u);
}
