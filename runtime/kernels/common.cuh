// Helpers shared by the kernel launchers: conversions between the storage
// types and fp32, 16-byte vector access, warp/block reductions, and the
// sticky launcher error (launchers return void, so a failure that is not a
// CUDA launch error, such as cuBLASLt refusing a problem, is recorded here
// and reported by the runtime after the entry point returns).
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <type_traits>
#include <utility>

namespace sieve::rt {
namespace detail {

template <typename T> __device__ __forceinline__ float toFloat(T v);
template <> __device__ __forceinline__ float toFloat<float>(float v) {
  return v;
}
template <> __device__ __forceinline__ float toFloat<half>(half v) {
  return __half2float(v);
}
template <>
__device__ __forceinline__ float toFloat<__nv_bfloat16>(__nv_bfloat16 v) {
  return __bfloat162float(v);
}

template <typename T> __device__ __forceinline__ T fromFloat(float v);
template <> __device__ __forceinline__ float fromFloat<float>(float v) {
  return v;
}
template <> __device__ __forceinline__ half fromFloat<half>(float v) {
  return __float2half_rn(v);
}
template <>
__device__ __forceinline__ __nv_bfloat16 fromFloat<__nv_bfloat16>(float v) {
  return __float2bfloat16_rn(v);
}

template <typename T> __device__ __forceinline__ T roundTo(float v) {
  return fromFloat<T>(v);
}

// Eight 16-bit values moved as one 16-byte access.
template <typename T> struct alignas(16) Vec8 { T v[8]; };

template <typename T>
__device__ __forceinline__ void loadVec8(const T *p, float out[8]) {
  Vec8<T> r = *reinterpret_cast<const Vec8<T> *>(p);
#pragma unroll
  for (int i = 0; i < 8; ++i)
    out[i] = toFloat(r.v[i]);
}

template <typename T>
__device__ __forceinline__ void storeVec8(T *p, const float in[8]) {
  Vec8<T> r;
#pragma unroll
  for (int i = 0; i < 8; ++i)
    r.v[i] = fromFloat<T>(in[i]);
  *reinterpret_cast<Vec8<T> *>(p) = r;
}

// True when `cols`-wide rows at these pointers allow 16-byte accesses.
inline bool vec8Aligned(int64_t cols, const void *a, const void *b = nullptr,
                        const void *c = nullptr, const void *d = nullptr) {
  auto ok = [](const void *p) {
    return (reinterpret_cast<uintptr_t>(p) & 15) == 0;
  };
  return cols % 8 == 0 && ok(a) && ok(b) && ok(c) && ok(d);
}

__device__ __forceinline__ float warpSum(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1)
    v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ float warpMax(float v) {
#pragma unroll
  for (int o = 16; o > 0; o >>= 1)
    v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

// Sum over the block (blockDim.x a multiple of 32, at most 1024); every
// thread gets the result. `scratch` holds 32 floats; the trailing barrier
// lets the caller reuse it immediately.
__device__ __forceinline__ float blockSum(float v, float *scratch) {
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warpSum(v);
  if (lane == 0)
    scratch[warp] = v;
  __syncthreads();
  int warps = blockDim.x >> 5;
  float t = lane < warps ? scratch[lane] : 0.f;
  t = warpSum(t);
  __syncthreads();
  return t;
}

__device__ __forceinline__ float blockMax(float v, float *scratch) {
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  v = warpMax(v);
  if (lane == 0)
    scratch[warp] = v;
  __syncthreads();
  int warps = blockDim.x >> 5;
  float t = lane < warps ? scratch[lane] : -INFINITY;
  t = warpMax(t);
  __syncthreads();
  return t;
}

// Programmatic dependent launch (Hopper). Every kernel of the runtime is
// launched with launchDependent, which lets the GPU start it while its
// predecessor in the stream still runs, and begins with
// awaitPredecessor(): the wait returns once the predecessor grid has
// completed and its writes are visible, then the trigger lets this
// kernel's own successor start launching. So launch latency overlaps
// execution, and a kernel may do work that reads nothing its predecessors
// write (the decode GEMV loads its first weights) before the wait.
// Correctness rests on every kernel waiting before it reads or writes
// anything a predecessor touches, in every CTA (an early exit comes after
// the wait): a grid then completes only after its predecessor did, so the
// ordering is transitive. Not launched this way, the instructions are no-ops.
__device__ __forceinline__ void awaitPredecessor() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}

// A kernel launch with programmatic stream serialization allowed (see
// awaitPredecessor). Launch errors surface through cudaGetLastError, as
// for the triple-chevron syntax.
template <typename... Params, typename... Args>
inline void launchDependent(void (*kernel)(Params...), dim3 grid, dim3 block,
                            size_t smem, cudaStream_t stream, Args &&...args) {
  cudaLaunchAttribute attr[1];
  attr[0].id = cudaLaunchAttributeProgrammaticStreamSerialization;
  attr[0].val.programmaticStreamSerializationAllowed = 1;
  cudaLaunchConfig_t config = {};
  config.gridDim = grid;
  config.blockDim = block;
  config.dynamicSmemBytes = smem;
  config.stream = stream;
  config.attrs = attr;
  config.numAttrs = 1;
  cudaLaunchKernelEx(&config, kernel, std::forward<Args>(args)...);
}

inline int ceilDiv(int64_t a, int64_t b) {
  return static_cast<int>((a + b - 1) / b);
}

// The first launcher failure that is not a CUDA launch error (one per
// process; inline so generated code and runtime share it).
struct LauncherError {
  std::atomic<bool> set{false};
  char message[256] = {0};
};
inline LauncherError &launcherError() {
  static LauncherError e;
  return e;
}
inline void recordLauncherError(const char *what, int code) {
  LauncherError &e = launcherError();
  bool expected = false;
  if (e.set.compare_exchange_strong(expected, true))
    std::snprintf(e.message, sizeof e.message, "%s (status %d)", what, code);
}

template <typename T> constexpr bool isStorageType() {
  return std::is_same_v<T, half> || std::is_same_v<T, __nv_bfloat16>;
}

} // namespace detail

// Returns and clears the recorded launcher failure (false when none);
// the runtime calls this after each entry point.
inline bool takeLauncherError(char *message, size_t size) {
  detail::LauncherError &e = detail::launcherError();
  if (!e.set.load())
    return false;
  std::snprintf(message, size, "%s", e.message);
  e.set.store(false);
  return true;
}

} // namespace sieve::rt
