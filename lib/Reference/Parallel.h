//===- Parallel.h - a small thread pool -------------------------*- C++ -*-===//
#ifndef SIEVE_LIB_REFERENCE_PARALLEL_H
#define SIEVE_LIB_REFERENCE_PARALLEL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace sieve::ref {

/// A fixed pool; parallelFor runs fn(i) for i in [0, n) on the pool and the
/// calling thread, and returns when all are done. Not reentrant.
class ThreadPool {
public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  int size() const { return numThreads; }
  void parallelFor(int64_t n, const std::function<void(int64_t)> &fn);

private:
  void worker();
  void drain();
  int numThreads;
  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake, done;
  const std::function<void(int64_t)> *job = nullptr;
  int64_t jobSize = 0;
  std::atomic<int64_t> next{0};
  uint64_t generation = 0;
  int active = 0;    // workers inside the current job
  bool open = false; // whether workers may still join the current job
  bool stop = false;
};

/// Splits [0, total) into chunks of at least `grain` and runs fn(begin, end)
/// on the pool (serially when small).
void parallelRange(ThreadPool &pool, int64_t total, int64_t grain,
                   const std::function<void(int64_t, int64_t)> &fn);

/// C[M,N] (+)= A[M,K] * B[K,N] for `batch` problems. Element (m, k) of A is
/// at a[m * rsA + k * csA] (likewise B); C rows are ldc apart. Batch p uses
/// offsets aOff[p], bOff[p], cOff[p]. C is overwritten.
void sgemmBatched(ThreadPool &pool, int64_t batch, int64_t M, int64_t N,
                  int64_t K, const float *a, const int64_t *aOff, int64_t rsA,
                  int64_t csA, const float *b, const int64_t *bOff,
                  int64_t rsB, int64_t csB, float *c, const int64_t *cOff,
                  int64_t ldc);

/// The SGEMM micro-kernel in use: "avx512", "avx2" or "portable".
const char *sgemmKernelName();

} // namespace sieve::ref

#endif
