// A CUPTI injection library that records every kernel a process runs inside
// a CUDA graph, with its device start and end times, for
// bench/step_breakdown.py (which of a decode step's kernels the step's time
// goes to, measured in the graph as it runs, launches overlapped, instead
// of serialized as under Nsight Compute). Loaded by the CUDA driver:
//
//   nvcc -std=c++17 -O2 -shared -Xcompiler -fPIC bench/step_timeline.cu \
//     -o libstep_timeline.so -lcupti
//   CUDA_INJECTION64_PATH=$PWD/libstep_timeline.so STEP_TIMELINE_OUT=t.tsv \
//     sieve-run model.sieve --bench ...
//
// Writes one line per graph kernel at exit: graph id, correlation id of the
// graph launch, start and end (ns), the demangled kernel name. Kernels
// launched outside graphs are counted, not written. Uses the concurrent
// kernel activity kind, which does not serialize kernels.
#include <cupti.h>

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

namespace {

struct Record {
  uint32_t graphId, correlationId;
  uint64_t start, end;
  std::string name;
};

std::mutex mutex;
std::vector<Record> records;
size_t outsideGraphs = 0, dropped = 0;

#define CUPTI_OK(call)                                                                   \
  do {                                                                                   \
    CUptiResult r_ = (call);                                                             \
    if (r_ != CUPTI_SUCCESS) {                                                           \
      const char *msg_ = nullptr;                                                        \
      cuptiGetResultString(r_, &msg_);                                                   \
      std::fprintf(stderr, "step_timeline: %s failed: %s\n", #call, msg_ ? msg_ : "?"); \
      return;                                                                            \
    }                                                                                    \
  } while (0)

std::string demangle(const char *name) {
  int status = 0;
  char *d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
  std::string out = status == 0 && d ? d : name;
  std::free(d);
  for (char &c : out)
    if (c == '\t' || c == '\n')
      c = ' ';
  return out;
}

void CUPTIAPI bufferRequested(uint8_t **buffer, size_t *size, size_t *maxRecords) {
  *size = 8u << 20;
  *buffer = static_cast<uint8_t *>(std::aligned_alloc(8, *size));
  *maxRecords = 0;
}

void CUPTIAPI bufferCompleted(CUcontext, uint32_t streamId, uint8_t *buffer, size_t,
                              size_t validSize) {
  CUpti_Activity *record = nullptr;
  std::lock_guard<std::mutex> lock(mutex);
  while (cuptiActivityGetNextRecord(buffer, validSize, &record) == CUPTI_SUCCESS) {
    if (record->kind != CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL)
      continue;
    const auto *k = reinterpret_cast<const CUpti_ActivityKernel10 *>(record);
    if (k->graphId == 0) {
      ++outsideGraphs;
      continue;
    }
    records.push_back({k->graphId, k->correlationId, k->start, k->end, demangle(k->name)});
  }
  size_t n = 0;
  if (cuptiActivityGetNumDroppedRecords(nullptr, streamId, &n) == CUPTI_SUCCESS)
    dropped += n;
  std::free(buffer);
}

void writeOut() {
  cuptiActivityFlushAll(1);
  const char *path = std::getenv("STEP_TIMELINE_OUT");
  FILE *f = std::fopen(path ? path : "step_timeline.tsv", "w");
  if (!f) {
    std::fprintf(stderr, "step_timeline: cannot write %s\n", path ? path : "step_timeline.tsv");
    return;
  }
  std::lock_guard<std::mutex> lock(mutex);
  std::fprintf(f, "# graph kernels %zu, kernels outside graphs %zu, dropped records %zu\n",
               records.size(), outsideGraphs, dropped);
  for (const Record &r : records)
    std::fprintf(f, "%u\t%u\t%llu\t%llu\t%s\n", r.graphId, r.correlationId,
                 static_cast<unsigned long long>(r.start),
                 static_cast<unsigned long long>(r.end), r.name.c_str());
  std::fclose(f);
  std::fprintf(stderr, "step_timeline: %zu graph kernels written to %s\n", records.size(),
               path ? path : "step_timeline.tsv");
}

void start() {
  CUPTI_OK(cuptiActivityRegisterCallbacks(bufferRequested, bufferCompleted));
  CUPTI_OK(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL));
  std::atexit(writeOut);
}

} // namespace

// Called by the CUDA driver when CUDA_INJECTION64_PATH names this library.
extern "C" int InitializeInjection(void) {
  start();
  return 1;
}
