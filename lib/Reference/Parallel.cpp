//===- Parallel.cpp - thread pool -----------------------------------------===//

#include "Parallel.h"

#include <algorithm>

using namespace sieve::ref;

ThreadPool::ThreadPool(int threads) : numThreads(std::max(1, threads)) {
  for (int i = 1; i < numThreads; ++i)
    workers.emplace_back([this] { worker(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stop = true;
  }
  wake.notify_all();
  for (std::thread &t : workers)
    t.join();
}

void ThreadPool::drain() {
  int64_t i;
  while ((i = next.fetch_add(1, std::memory_order_relaxed)) < jobSize)
    (*job)(i);
}

void ThreadPool::worker() {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex);
  while (true) {
    wake.wait(lock, [&] { return stop || generation != seen; });
    if (stop)
      return;
    seen = generation;
    // A worker that wakes after the job closed does not touch it; the caller
    // waits only for the workers that joined, not for every worker to wake
    // (on a loaded machine a worker may not be scheduled for a while).
    if (!open)
      continue;
    ++active;
    lock.unlock();
    drain();
    lock.lock();
    if (--active == 0)
      done.notify_all();
  }
}

void ThreadPool::parallelFor(int64_t n, const std::function<void(int64_t)> &fn) {
  if (n <= 0)
    return;
  if (numThreads == 1 || n == 1) {
    for (int64_t i = 0; i < n; ++i)
      fn(i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    job = &fn;
    jobSize = n;
    next.store(0);
    open = true;
    ++generation;
  }
  wake.notify_all();
  drain();
  std::unique_lock<std::mutex> lock(mutex);
  open = false; // every item is claimed; wait for those still running
  done.wait(lock, [&] { return active == 0; });
  job = nullptr;
  jobSize = 0;
}

void sieve::ref::parallelRange(
    ThreadPool &pool, int64_t total, int64_t grain,
    const std::function<void(int64_t, int64_t)> &fn) {
  if (total <= 0)
    return;
  int64_t chunks = std::min<int64_t>(pool.size() * 4, total / std::max<int64_t>(grain, 1));
  if (chunks <= 1 || pool.size() == 1) {
    fn(0, total);
    return;
  }
  int64_t step = (total + chunks - 1) / chunks;
  pool.parallelFor(chunks, [&](int64_t c) {
    int64_t begin = c * step, end = std::min(total, begin + step);
    if (begin < end)
      fn(begin, end);
  });
}
