// The host runtime behind sieve_runtime.h: loads weights.bin, owns the
// device state of sessions (activation arena, paged KV cache, per-step index
// arrays, logits), plans prefill chunks, captures and replays decode graphs,
// and maps every failure to a status with a message.
#include "sieve/Runtime/sieve_runtime.h"
#include "sieve/Runtime/token_select.h"
#include "sieve_kernels.cuh"

#include <cublasLt.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace sieve::rt;

// ABI 2: FilterInfo::num_kv_layers, sieve_session_memory, ModelInfo
// kv_format / kv_vector_bytes. ABI 3: StepArgs::position_shift and
// kv_mass, sieve_generated_evict_info. ABI 4: ModelInfo::kv_group (int4 KV
// groups smaller than head_dim). The weights.bin header is unchanged since 1.
static_assert(SIEVE_RUNTIME_ABI_VERSION == 4, "update the weights.bin checks with the ABI");

namespace {

thread_local std::string lastError;

sieve_status fail(sieve_status status, const char *format, ...) {
  char buffer[1024];
  va_list ap;
  va_start(ap, format);
  std::vsnprintf(buffer, sizeof buffer, format, ap);
  va_end(ap);
  lastError = buffer;
  return status;
}

sieve_status cudaFail(cudaError_t e, const char *what) {
  cudaGetLastError(); // clear a non-sticky error so later calls can proceed
  sieve_status s = SIEVE_ERROR_CUDA;
  if (e == cudaErrorMemoryAllocation)
    s = SIEVE_ERROR_OUT_OF_MEMORY;
  else if (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver)
    s = SIEVE_ERROR_NO_DEVICE;
  return fail(s, "%s: %s (%s)", what, cudaGetErrorName(e), cudaGetErrorString(e));
}

#define SIEVE_CUDA(call, what)                                                                   \
  do {                                                                                           \
    cudaError_t e_ = (call);                                                                     \
    if (e_ != cudaSuccess)                                                                       \
      return cudaFail(e_, what);                                                                 \
  } while (0)

#define SIEVE_TRY(call)                                                                          \
  do {                                                                                           \
    sieve_status s_ = (call);                                                                    \
    if (s_ != SIEVE_OK)                                                                          \
      return s_;                                                                                 \
  } while (0)

sieve_status ok() {
  lastError.clear();
  return SIEVE_OK;
}

// Every device allocation of the runtime goes through deviceAlloc; the
// deleter remembers the size, so sieve_session_memory can add them up.
struct DeviceFree {
  size_t bytes = 0;
  void operator()(void *p) const { cudaFree(p); }
};
using DevicePtr = std::unique_ptr<void, DeviceFree>;

sieve_status deviceAlloc(DevicePtr &out, size_t bytes, const char *what) {
  void *p = nullptr;
  size_t allocated = bytes ? bytes : 256;
  cudaError_t e = cudaMalloc(&p, allocated);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return fail(e == cudaErrorMemoryAllocation ? SIEVE_ERROR_OUT_OF_MEMORY : SIEVE_ERROR_CUDA,
                "cannot allocate %zu bytes of device memory for %s: %s", bytes, what,
                cudaGetErrorString(e));
  }
  out = DevicePtr(p, DeviceFree{allocated});
  return SIEVE_OK;
}

size_t deviceBytes(std::initializer_list<const DevicePtr *> ptrs) {
  size_t total = 0;
  for (const DevicePtr *p : ptrs)
    if (*p)
      total += p->get_deleter().bytes;
  return total;
}

struct HostFree {
  void operator()(void *p) const { cudaFreeHost(p); }
};
using PinnedPtr = std::unique_ptr<void, HostFree>;

sieve_status pinnedAlloc(PinnedPtr &out, size_t bytes, const char *what) {
  void *p = nullptr;
  cudaError_t e = cudaMallocHost(&p, bytes);
  if (e != cudaSuccess) {
    cudaGetLastError();
    return fail(SIEVE_ERROR_OUT_OF_MEMORY, "cannot allocate %zu bytes of pinned host memory for %s: %s",
                bytes, what, cudaGetErrorString(e));
  }
  out.reset(p);
  return SIEVE_OK;
}

struct FileCloser {
  void operator()(FILE *f) const { std::fclose(f); }
};

constexpr size_t kUploadChunk = 16u << 20;       // pinned staging, two of them
constexpr size_t kGemmWorkspace = 32u << 20;     // cuBLASLt's suggestion for Hopper
constexpr int kMaxAllLogitsRows = 256;           // rows per launch in SIEVE_LOGITS_ALL
constexpr int kDefaultPrefillTokens = 8192;      // max_prefill_tokens = 0
constexpr int kMaxFilteredPrompt = 1 << 24;      // prompts a token filter takes

// Converts the result of an entry point (and any launcher failure it
// recorded) into a status.
sieve_status checkLaunch(cudaError_t e, const char *what) {
  char message[256];
  if (takeLauncherError(message, sizeof message))
    return fail(SIEVE_ERROR_CUDA, "%s: %s", what, message);
  if (e != cudaSuccess)
    return cudaFail(e, what);
  return SIEVE_OK;
}

// What KV eviction needs in slot 0: kv_mass's buffer (kv_mass_floats: the
// log-sum-exps and logits of `window` rows, then the mass of every KV layer,
// per KV head over max_context positions, since the kernels index keys by
// cache offset), the kept positions of every (layer, KV head) and
// kv_compact's staging. SnapKV: allocated by prefillTokens for one prompt
// and freed before it returns. H2O: the session's for its lifetime (the
// mass follows the cache from the prompt to the last decode step), counted
// in its session bytes. Plain cudaMalloc, as FilterState says why.
struct EvictState {
  cudaStream_t stream = nullptr;
  DevicePtr buffer, keep, staging;
  float *mass = nullptr; // the mass part of `buffer`
  size_t massBytes = 0;  // num_kv_layers * kv_heads * max_context floats
  int kept = 0;          // budget + window positions per (layer, KV head)

  sieve_status create(const ModelInfo &info, cudaStream_t s, int ctx, const EvictInfo &e) {
    stream = s;
    kept = e.budget + e.window;
    size_t floats = kv_mass_floats(info.num_kv_layers, info.num_kv_heads, ctx,
                                   info.num_heads, e.window);
    SIEVE_TRY(deviceAlloc(buffer, floats * sizeof(float), "the KV eviction's attention mass"));
    mass = static_cast<float *>(buffer.get()) +
           kv_mass_scratch_floats(ctx, info.num_heads, e.window);
    massBytes = size_t(info.num_kv_layers) * info.num_kv_heads * ctx * sizeof(float);
    size_t vectors = size_t(info.num_kv_layers) * info.num_kv_heads * kept;
    SIEVE_TRY(deviceAlloc(keep, vectors * sizeof(int32_t), "the KV eviction's kept positions"));
    SIEVE_TRY(deviceAlloc(staging, vectors / info.num_kv_layers * 2 * info.kv_vector_bytes,
                          "the KV eviction's staging"));
    return clear();
  }
  sieve_status clear() {
    SIEVE_CUDA(cudaMemsetAsync(mass, 0, massBytes, stream), "clearing the attention mass");
    return SIEVE_OK;
  }
  float *kvMass() const { return static_cast<float *>(buffer.get()); }
  size_t bytes() const { return deviceBytes({&buffer, &keep, &staging}); }
  ~EvictState() {
    if (stream)
      cudaStreamSynchronize(stream);
  }
};

} // namespace

struct sieve_model {
  const ModelInfo *info = nullptr;
  int device = 0;
  DevicePtr weights;
  cublasLtHandle_t lt = nullptr;
  ~sieve_model() {
    if (lt)
      cublasLtDestroy(lt);
  }
};

// The per-step index arrays, one int32 block in device memory mirrored in
// pinned host memory, so a step uploads them with one copy and graphs keep
// fixed pointers.
struct StepIndex {
  int32_t *tokens = nullptr, *positions = nullptr, *tokenSeq = nullptr, *queryStart = nullptr,
          *kvLen = nullptr, *logitRows = nullptr, *positionShift = nullptr;
  static size_t count(int cap, int maxBatch) { return size_t(cap) * 4 + 3 * size_t(maxBatch) + 1; }
  StepIndex() = default;
  StepIndex(int32_t *base, int cap, int maxBatch)
      : tokens(base), positions(base + cap), tokenSeq(base + 2 * size_t(cap)),
        logitRows(base + 3 * size_t(cap)) {
    queryStart = base + 4 * size_t(cap);
    kvLen = queryStart + maxBatch + 1;
    positionShift = kvLen + maxBatch;
  }
};

struct sieve_session {
  sieve_model *model = nullptr;
  sieve_session_options options{};
  int capacity = 0;      // arena rows: tokens per launch
  int allRowsCapacity = 0;
  int maxBlocksPerSeq = 0;
  cudaStream_t stream = nullptr;
  cudaEvent_t indexUploaded = nullptr;
  DevicePtr arena, workspace, scratch, kvPool, blockTable, indexDevice, allLogits, lastLogits,
      sampled;
  PinnedPtr indexHost;
  std::vector<int32_t> kept; // the last pruned prefill's kept prompt positions
  size_t transientBytes = 0; // device bytes the last prefill's filter pass held
  std::vector<void *> kCaches, vCaches;
  std::vector<int32_t> lengths; // per slot: tokens in its cache
  // per slot: the next token's model position minus lengths[slot] (what
  // KV eviction dropped; StepArgs::position_shift)
  std::vector<int32_t> positionShift;
  int32_t evicted = 0; // positions eviction dropped since the last prefill
  // H2O's attention mass, kept positions and staging (EvictState), for the
  // session's lifetime; null unless the model's policy is method=h2o.
  std::unique_ptr<EvictState> h2o;
  std::vector<bool> hasLogits;
  uint64_t sampleCounter = 0;
  std::map<int, cudaGraphExec_t> decodeGraphs;
  std::map<int, cudaGraphExec_t> draftGraphs; // the self-speculative draft
  std::map<int, cudaGraphExec_t> verifyGraphs; // prefill of N tokens, slot 0
  size_t scratchBytes = 0;

  ~sieve_session() {
    h2o.reset(); // synchronizes the stream, destroyed below
    for (auto *graphs : {&decodeGraphs, &draftGraphs, &verifyGraphs})
      for (auto &g : *graphs)
        cudaGraphExecDestroy(g.second);
    if (indexUploaded)
      cudaEventDestroy(indexUploaded);
    if (stream)
      cudaStreamDestroy(stream);
  }

  // Device bytes held for the session's lifetime.
  size_t deviceBytes() const {
    return ::deviceBytes({&arena, &workspace, &scratch, &kvPool, &blockTable, &indexDevice,
                          &allLogits, &lastLogits, &sampled}) +
           (h2o ? h2o->bytes() : 0);
  }

  int32_t *indexBase(bool host) const {
    return static_cast<int32_t *>(host ? indexHost.get() : indexDevice.get());
  }
  int vocab() const { return model->info->vocab_size; }
  // The step index as the device reads it.
  StepIndex deviceIndex() const { return StepIndex(indexBase(false), capacity, options.max_batch); }

  // StepArgs with every pointer of this session; the caller sets the sizes.
  StepArgs baseArgs() const {
    StepArgs a{};
    StepIndex dev = deviceIndex();
    a.stream = stream;
    a.cublaslt = model->lt;
    a.gemm_workspace = workspace.get();
    a.gemm_workspace_bytes = kGemmWorkspace;
    a.weights = static_cast<const char *>(model->weights.get());
    a.act = static_cast<char *>(arena.get());
    a.max_tokens = capacity;
    a.max_context = options.max_context;
    a.tokens = dev.tokens;
    a.positions = dev.positions;
    a.token_seq = dev.tokenSeq;
    a.query_start = dev.queryStart;
    a.kv_len = dev.kvLen;
    a.block_table = static_cast<const int32_t *>(blockTable.get());
    a.max_blocks_per_seq = maxBlocksPerSeq;
    a.k_cache = kCaches.data();
    a.v_cache = vCaches.data();
    a.attn_scratch = static_cast<float *>(scratch.get());
    a.attn_scratch_bytes = scratchBytes;
    a.logit_rows = dev.logitRows;
    a.position_shift = dev.positionShift;
    return a;
  }

  // Waits until the previous upload has read the host mirror.
  sieve_status hostIndex(StepIndex &out) {
    SIEVE_CUDA(cudaEventSynchronize(indexUploaded), "waiting for the index upload");
    out = StepIndex(indexBase(true), capacity, options.max_batch);
    return SIEVE_OK;
  }

  // The shifts are session state: every upload carries them.
  sieve_status uploadIndex() {
    StepIndex host(indexBase(true), capacity, options.max_batch);
    std::copy(positionShift.begin(), positionShift.end(), host.positionShift);
    size_t bytes = StepIndex::count(capacity, options.max_batch) * sizeof(int32_t);
    SIEVE_CUDA(cudaMemcpyAsync(indexDevice.get(), indexHost.get(), bytes,
                               cudaMemcpyHostToDevice, stream),
               "uploading the step indices");
    SIEVE_CUDA(cudaEventRecord(indexUploaded, stream), "recording the index upload");
    return SIEVE_OK;
  }
};

namespace {

sieve_status useDevice(const sieve_model *model) {
  SIEVE_CUDA(cudaSetDevice(model->device), "selecting the model's device");
  return SIEVE_OK;
}

// Reads and checks the header of weights.bin against the library.
sieve_status checkWeightsHeader(FILE *f, const std::string &path, const ModelInfo &info) {
  if (std::fseek(f, 0, SEEK_END) != 0)
    return fail(SIEVE_ERROR_BAD_FILE, "%s: cannot seek: %s", path.c_str(), std::strerror(errno));
  long long size = ftello(f);
  std::rewind(f);
  WeightsHeader header{};
  if (size < static_cast<long long>(kWeightsHeaderBytes) ||
      std::fread(&header, sizeof header, 1, f) != 1)
    return fail(SIEVE_ERROR_BAD_FILE, "%s: truncated: %lld bytes, shorter than the %zu-byte header",
                path.c_str(), size, kWeightsHeaderBytes);
  if (std::memcmp(header.magic, "SIEVEWB", 8) != 0)
    return fail(SIEVE_ERROR_BAD_FILE, "%s: not a sieve weights file (bad magic)", path.c_str());
  if (header.abi_version != SIEVE_RUNTIME_ABI_VERSION)
    return fail(SIEVE_ERROR_VERSION_MISMATCH,
                "%s: written for runtime ABI %u, this runtime is ABI %d; recompile the model",
                path.c_str(), header.abi_version, SIEVE_RUNTIME_ABI_VERSION);
  if (header.header_bytes != kWeightsHeaderBytes)
    return fail(SIEVE_ERROR_BAD_FILE, "%s: header size %u, expected %zu", path.c_str(),
                header.header_bytes, kWeightsHeaderBytes);
  if (header.payload_bytes != info.weights_bytes)
    return fail(SIEVE_ERROR_BAD_FILE,
                "%s: holds %llu payload bytes but the library expects %llu (weights of another "
                "compile?)",
                path.c_str(), (unsigned long long)header.payload_bytes,
                (unsigned long long)info.weights_bytes);
  unsigned long long expected = kWeightsHeaderBytes + header.payload_bytes;
  if (static_cast<unsigned long long>(size) != expected)
    return fail(SIEVE_ERROR_BAD_FILE, "%s: %lld bytes, expected %llu (header + payload)%s",
                path.c_str(), size, expected,
                static_cast<unsigned long long>(size) < expected ? ": truncated" : "");
  if (std::fseek(f, static_cast<long>(kWeightsHeaderBytes), SEEK_SET) != 0)
    return fail(SIEVE_ERROR_BAD_FILE, "%s: cannot seek: %s", path.c_str(), std::strerror(errno));
  return SIEVE_OK;
}

// Streams the payload to the device through two pinned staging buffers, so
// reading chunk i + 1 overlaps the copy of chunk i and host memory stays at
// 2 * kUploadChunk whatever the model size.
sieve_status uploadWeights(FILE *f, const std::string &path, void *device, size_t bytes) {
  PinnedPtr staging;
  SIEVE_TRY(pinnedAlloc(staging, 2 * kUploadChunk, "weight staging"));
  cudaStream_t stream;
  SIEVE_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "creating a stream");
  cudaEvent_t done[2] = {nullptr, nullptr};
  sieve_status status = SIEVE_OK;
  for (auto &e : done)
    if (status == SIEVE_OK && cudaEventCreateWithFlags(&e, cudaEventDisableTiming) != cudaSuccess)
      status = cudaFail(cudaGetLastError(), "creating an event");
  for (size_t at = 0, i = 0; status == SIEVE_OK && at < bytes; at += kUploadChunk, i ^= 1) {
    size_t n = std::min(kUploadChunk, bytes - at);
    char *buffer = static_cast<char *>(staging.get()) + i * kUploadChunk;
    cudaError_t e = cudaEventSynchronize(done[i]);
    if (e != cudaSuccess) {
      status = cudaFail(e, "uploading weights");
      break;
    }
    if (std::fread(buffer, 1, n, f) != n) {
      status = fail(SIEVE_ERROR_BAD_FILE, "%s: read failed at payload byte %zu: %s",
                    path.c_str(), at, std::ferror(f) ? std::strerror(errno) : "end of file");
      break;
    }
    e = cudaMemcpyAsync(static_cast<char *>(device) + at, buffer, n, cudaMemcpyHostToDevice,
                        stream);
    if (e == cudaSuccess)
      e = cudaEventRecord(done[i], stream);
    if (e != cudaSuccess)
      status = cudaFail(e, "uploading weights");
  }
  cudaError_t e = cudaStreamSynchronize(stream);
  if (status == SIEVE_OK && e != cudaSuccess)
    status = cudaFail(e, "uploading weights");
  for (auto &ev : done)
    if (ev)
      cudaEventDestroy(ev);
  cudaStreamDestroy(stream);
  return status;
}

// A paged KV cache for `layers` KV layers in one allocation: per layer a K
// and a V pool of [numBlocks, kv_heads, block_size] KV vectors. `k`
// and `v` get info.num_kv_layers entries (the generated code indexes them
// by KV layer); those from `layers` on are null. The block table is the
// identity over numBlocks (the kernels only ever read it), uploaded on
// `stream` so kernels queued after it see it.
sieve_status allocPagedCache(const ModelInfo &info, int layers, size_t numBlocks,
                             cudaStream_t stream, DevicePtr &pool, DevicePtr &table,
                             std::vector<void *> &k, std::vector<void *> &v, const char *what) {
  // [num_blocks, kv_heads, block_size] vectors of kv_vector_bytes (head_dim
  // values, with their scale when quantized: runtime/kernels/kv_cache.cuh).
  size_t poolBytes =
      numBlocks * info.num_kv_heads * info.kv_block_size * size_t(info.kv_vector_bytes);
  SIEVE_TRY(deviceAlloc(pool, poolBytes * 2 * layers, what));
  k.assign(info.num_kv_layers, nullptr);
  v.assign(info.num_kv_layers, nullptr);
  for (int l = 0; l < layers; ++l) {
    k[l] = static_cast<char *>(pool.get()) + poolBytes * (2 * l);
    v[l] = static_cast<char *>(pool.get()) + poolBytes * (2 * l + 1);
  }
  std::vector<int32_t> ids(numBlocks);
  for (size_t i = 0; i < numBlocks; ++i)
    ids[i] = static_cast<int32_t>(i);
  SIEVE_TRY(deviceAlloc(table, numBlocks * sizeof(int32_t), "the block table"));
  // From pageable memory: staged before the call returns, so `ids` may go.
  SIEVE_CUDA(cudaMemcpyAsync(table.get(), ids.data(), numBlocks * sizeof(int32_t),
                             cudaMemcpyHostToDevice, stream),
             "uploading the block table");
  return SIEVE_OK;
}

} // namespace

extern "C" {

const char *sieve_last_error(void) { return lastError.c_str(); }

sieve_status sieve_model_open(const char *model_dir, sieve_model **out) {
  if (!model_dir || !out)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_model_open: null argument");
  *out = nullptr;
  const ModelInfo *info = sieve_generated_info();
  if (info->abi_version != SIEVE_RUNTIME_ABI_VERSION)
    return fail(SIEVE_ERROR_VERSION_MISMATCH,
                "the model code was generated for runtime ABI %d, this runtime is ABI %d",
                info->abi_version, SIEVE_RUNTIME_ABI_VERSION);
  if (info->dtype != DType::F16 && info->dtype != DType::BF16)
    return fail(SIEVE_ERROR_VERSION_MISMATCH, "the model code names an unknown dtype %d",
                static_cast<int>(info->dtype));
  if ((info->kv_format != KVFormat::Dense && info->kv_format != KVFormat::Int8 &&
       info->kv_format != KVFormat::FP8 && info->kv_format != KVFormat::Int4) ||
      (info->kv_format == KVFormat::Int4 ? !kv_group_supported(info->head_dim, info->kv_group)
                                         : info->kv_group != info->head_dim) ||
      info->kv_vector_bytes !=
          kv_vector_bytes(info->kv_format, info->head_dim, 2, info->kv_group))
    return fail(SIEVE_ERROR_VERSION_MISMATCH,
                "the model code names KV format %d with groups of %d and %d-byte vectors, "
                "which this runtime does not store",
                static_cast<int>(info->kv_format), info->kv_group, info->kv_vector_bytes);
  int devices = 0;
  cudaError_t e = cudaGetDeviceCount(&devices);
  if (e != cudaSuccess || devices == 0) {
    cudaGetLastError();
    return fail(SIEVE_ERROR_NO_DEVICE, "no usable CUDA device: %s",
                e != cudaSuccess ? cudaGetErrorString(e) : "none found");
  }
  auto model = std::make_unique<sieve_model>();
  model->info = info;
  SIEVE_CUDA(cudaGetDevice(&model->device), "querying the current device");

  std::string path = std::string(model_dir) + "/weights.bin";
  std::unique_ptr<FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file)
    return fail(SIEVE_ERROR_BAD_FILE, "cannot open %s: %s", path.c_str(), std::strerror(errno));
  SIEVE_TRY(checkWeightsHeader(file.get(), path, *info));
  SIEVE_TRY(deviceAlloc(model->weights, info->weights_bytes, "the weights"));
  SIEVE_TRY(uploadWeights(file.get(), path, model->weights.get(), info->weights_bytes));
  cublasStatus_t s = cublasLtCreate(&model->lt);
  if (s != CUBLAS_STATUS_SUCCESS)
    return fail(s == CUBLAS_STATUS_ALLOC_FAILED ? SIEVE_ERROR_OUT_OF_MEMORY : SIEVE_ERROR_CUDA,
                "cublasLtCreate failed (status %d)", static_cast<int>(s));
  *out = model.release();
  return ok();
}

sieve_status sieve_model_get_config(const sieve_model *model, sieve_model_config *out) {
  if (!model || !out)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_model_get_config: null argument");
  const ModelInfo &i = *model->info;
  out->abi_version = i.abi_version;
  out->vocab_size = i.vocab_size;
  out->hidden_size = i.hidden_size;
  out->num_layers = i.num_layers;
  out->num_kv_heads = i.num_kv_heads;
  out->head_dim = i.head_dim;
  out->dtype = i.dtype == DType::BF16 ? "bf16" : "f16";
  out->name = i.name ? i.name : "";
  return ok();
}

void sieve_model_close(sieve_model *model) {
  if (model)
    cudaSetDevice(model->device);
  delete model;
}

sieve_status sieve_session_create(sieve_model *model, const sieve_session_options *options,
                                  sieve_session **out) {
  if (!model || !options || !out)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_session_create: null argument");
  *out = nullptr;
  sieve_session_options o = *options;
  if (o.max_batch < 1 || o.max_batch > 65535)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "max_batch %d is outside [1, 65535]", o.max_batch);
  if (o.max_context < 1 || o.max_context > (1 << 24))
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "max_context %d is outside [1, 2^24]",
                o.max_context);
  if (o.max_prefill_tokens < 0 || o.max_prefill_tokens > (1 << 20))
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "max_prefill_tokens %d is outside [0, 2^20]",
                o.max_prefill_tokens);
  // A model with a token filter takes prompts longer than max_context (the
  // filter pass has its own cache): it chunks them as a dense model would.
  const FilterInfo *filter = sieve_generated_filter_info();
  if (o.max_prefill_tokens == 0)
    o.max_prefill_tokens = filter ? kDefaultPrefillTokens
                                  : static_cast<int32_t>(std::min<int64_t>(
                                        int64_t(o.max_batch) * o.max_context,
                                        kDefaultPrefillTokens));
  SIEVE_TRY(useDevice(model));
  const ModelInfo &info = *model->info;

  auto s = std::make_unique<sieve_session>();
  s->model = model;
  s->options = o;
  s->capacity = std::max(o.max_prefill_tokens, o.max_batch);
  s->allRowsCapacity = std::min(s->capacity, std::max(o.max_batch, kMaxAllLogitsRows));
  s->maxBlocksPerSeq = (o.max_context + info.kv_block_size - 1) / info.kv_block_size;
  s->lengths.assign(o.max_batch, 0);
  s->positionShift.assign(o.max_batch, 0);
  s->hasLogits.assign(o.max_batch, false);
  SIEVE_CUDA(cudaStreamCreateWithFlags(&s->stream, cudaStreamNonBlocking), "creating a stream");
  SIEVE_CUDA(cudaEventCreateWithFlags(&s->indexUploaded, cudaEventDisableTiming),
             "creating an event");

  size_t vocab = info.vocab_size;
  SIEVE_TRY(deviceAlloc(s->arena,
                        info.act_bytes_per_token * size_t(s->capacity) + info.act_bytes_fixed,
                        "the activation arena"));
  SIEVE_TRY(deviceAlloc(s->workspace, kGemmWorkspace, "the GEMM workspace"));
  s->scratchBytes =
      attention_decode_scratch_bytes(o.max_batch, info.num_heads, o.max_context, info.head_dim);
  SIEVE_TRY(deviceAlloc(s->scratch, s->scratchBytes, "the attention scratch"));
  SIEVE_TRY(deviceAlloc(s->allLogits, size_t(s->allRowsCapacity) * vocab * sizeof(float),
                        "the logits"));
  SIEVE_TRY(deviceAlloc(s->lastLogits, size_t(o.max_batch) * vocab * sizeof(float),
                        "the last-position logits"));
  SIEVE_TRY(deviceAlloc(s->sampled, size_t(o.max_batch) * sizeof(int32_t), "sampled tokens"));

  SIEVE_TRY(allocPagedCache(info, info.num_kv_layers, size_t(o.max_batch) * s->maxBlocksPerSeq,
                            s->stream, s->kvPool, s->blockTable, s->kCaches, s->vCaches,
                            "the KV cache"));
  const EvictInfo *evict = sieve_generated_evict_info();
  if (evict && evict->method == EvictMethod::H2O) {
    s->h2o = std::make_unique<EvictState>();
    SIEVE_TRY(s->h2o->create(info, s->stream, o.max_context, *evict));
  }

  size_t indexBytes = StepIndex::count(s->capacity, o.max_batch) * sizeof(int32_t);
  SIEVE_TRY(deviceAlloc(s->indexDevice, indexBytes, "the step indices"));
  SIEVE_TRY(pinnedAlloc(s->indexHost, indexBytes, "the step indices"));
  std::memset(s->indexHost.get(), 0, indexBytes);
  *out = s.release();
  return ok();
}

void sieve_session_destroy(sieve_session *session) {
  if (!session)
    return;
  cudaSetDevice(session->model->device);
  cudaStreamSynchronize(session->stream);
  delete session;
}

sieve_status sieve_session_reset(sieve_session *session) {
  if (!session)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_session_reset: null session");
  std::fill(session->lengths.begin(), session->lengths.end(), 0);
  std::fill(session->positionShift.begin(), session->positionShift.end(), 0);
  session->evicted = 0;
  std::fill(session->hasLogits.begin(), session->hasLogits.end(), false);
  session->sampleCounter = 0;
  session->kept.clear();
  session->transientBytes = 0;
  if (session->h2o) { // a decode step before the next prefill starts from nothing
    SIEVE_TRY(useDevice(session->model));
    SIEVE_TRY(session->h2o->clear());
  }
  return ok();
}

sieve_status sieve_session_truncate(sieve_session *session, int32_t slot, int32_t length) {
  if (!session)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_session_truncate: null session");
  if (slot < 0 || slot >= session->options.max_batch)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT,
                "sieve_session_truncate: slot %d is outside [0, max_batch = %d)", slot,
                session->options.max_batch);
  if (length < 0 || length > session->lengths[slot])
    return fail(SIEVE_ERROR_INVALID_ARGUMENT,
                "sieve_session_truncate: slot %d holds %d tokens, cannot keep %d", slot,
                session->lengths[slot], length);
  // The paged cache forgets positions >= length: later steps overwrite
  // them. The slot's last logits belonged to a forgotten position unless
  // nothing was cut. Model positions stay ahead of cache offsets by what
  // eviction dropped (positionShift is unchanged).
  if (length < session->lengths[slot])
    session->hasLogits[slot] = false;
  // H2O's mass of the forgotten positions goes too: the tokens stored there
  // next start from nothing.
  if (session->h2o && slot == 0 && length < session->lengths[0]) {
    const ModelInfo &info = *session->model->info;
    size_t ctx = session->options.max_context;
    SIEVE_TRY(useDevice(session->model));
    SIEVE_CUDA(cudaMemset2DAsync(session->h2o->mass + length, ctx * sizeof(float), 0,
                                 size_t(session->lengths[0] - length) * sizeof(float),
                                 size_t(info.num_kv_layers) * info.num_kv_heads,
                                 session->stream),
               "forgetting the truncated positions' attention mass");
  }
  session->lengths[slot] = length;
  return ok();
}

sieve_status sieve_session_lengths(const sieve_session *session, int32_t *lengths) {
  if (!session || !lengths)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_session_lengths: null argument");
  std::copy(session->lengths.begin(), session->lengths.end(), lengths);
  return ok();
}

} // extern "C"

namespace {

sieve_status checkTokens(const sieve_session *s, const int32_t *tokens, int n, int slot) {
  for (int i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= s->vocab())
      return fail(SIEVE_ERROR_INVALID_ARGUMENT, "slot %d: token %d at %d is outside [0, %d)",
                  slot, tokens[i], i, s->vocab());
  return SIEVE_OK;
}

sieve_status checkBatch(const sieve_session *s, int32_t batch, const char *what) {
  if (batch < 1 || batch > s->options.max_batch)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "%s: batch %d is outside [1, max_batch = %d]", what,
                batch, s->options.max_batch);
  return SIEVE_OK;
}

// sieve_sample's and sieve_generate's arguments: the batch, logits in
// every slot, sampling parameters that are numbers in range.
sieve_status checkSampling(const sieve_session *s, int32_t batch, const sieve_sampling &p,
                           const char *what) {
  SIEVE_TRY(checkBatch(s, batch, what));
  for (int b = 0; b < batch; ++b)
    if (!s->hasLogits[b])
      return fail(SIEVE_ERROR_INVALID_ARGUMENT,
                  "%s: slot %d has no logits (no prefill or decode step since reset)", what, b);
  if (!(p.temperature == p.temperature) || p.top_k < 0 || !(p.top_p > 0.f))
    return fail(SIEVE_ERROR_INVALID_ARGUMENT,
                "%s: temperature %g, top_k %d, top_p %g (need a number, >= 0, > 0)", what,
                p.temperature, p.top_k, p.top_p);
  return SIEVE_OK;
}

// sieve_generate's steps per call (the generated tokens are staged on the
// device, steps x batch of them).
constexpr int32_t kMaxGenerateSteps = 1 << 20;

// After step k's sampling wrote tokens[b]: keeps them in generated[k][b]
// and, past the first step (whose index the host uploaded), moves each
// slot's position and length on by one.
__global__ void generateAdvance(const int32_t *tokens, int32_t *positions, int32_t *kvLen,
                                int32_t *generated, int batch, int k) {
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= batch)
    return;
  generated[int64_t(k) * batch + b] = tokens[b];
  if (k > 0) {
    positions[b] += 1;
    kvLen[b] += 1;
  }
}

// One prefill launch: tokens [consumed[b], consumed[b] + take[b]) of slots
// [first, last] (packed in slot order), then the logits it must produce.
struct Chunk {
  int first = 0, last = -1, tokens = 0;
  std::vector<int> take;
};

// Fills the chunk greedily in slot order from where the previous one stopped.
Chunk planChunk(const std::vector<int> &remaining, int cap) {
  Chunk c;
  c.take.assign(remaining.size(), 0);
  for (size_t b = 0; b < remaining.size() && c.tokens < cap; ++b) {
    if (remaining[b] == 0)
      continue;
    int n = std::min(remaining[b], cap - c.tokens);
    if (c.last < 0)
      c.first = static_cast<int>(b);
    c.last = static_cast<int>(b);
    c.take[b] = n;
    c.tokens += n;
  }
  return c;
}

// What the @filter entry runs on for one prompt of n tokens, allocated by
// selectTokens and freed when it returns: a paged cache of the KV layers
// the entry touches (FilterInfo::num_kv_layers, not the model's all),
// sized for the prompt, its identity block table, and token_scores' output
// and scratch sized for the prompt. So the session's own cache holds only
// what the pruned prefill keeps, and a prompt may exceed max_context.
// Plain cudaMalloc / cudaFree (deviceAlloc), not the stream-ordered
// allocator: the state is freed right after the stream synchronization the
// host-side selection needs anyway, so cudaFree's implicit synchronization
// costs nothing, the memory goes back to the device at once (a pool would
// keep it until its release threshold), and every runtime allocation stays
// in deviceAlloc's accounting.
struct FilterState {
  cudaStream_t stream = nullptr;
  DevicePtr kvPool, blockTable, scores;
  std::vector<void *> kCaches, vCaches;
  int maxBlocks = 0, promptTokens = 0;

  sieve_status create(const sieve_session *s, const FilterInfo &f, int n) {
    const ModelInfo &info = *s->model->info;
    stream = s->stream;
    promptTokens = n;
    maxBlocks = (n + info.kv_block_size - 1) / info.kv_block_size;
    SIEVE_TRY(allocPagedCache(info, f.num_kv_layers, maxBlocks, stream, kvPool, blockTable,
                              kCaches, vCaches, "the token filter's KV cache"));
    return deviceAlloc(scores,
                       token_scores_floats(n, info.num_heads, f.window) * sizeof(float),
                       "the token filter scores");
  }
  // The pointers of `args` the filter pass takes from here, not the session.
  void apply(StepArgs &args) const {
    args.k_cache = kCaches.data();
    args.v_cache = vCaches.data();
    args.block_table = static_cast<const int32_t *>(blockTable.get());
    args.max_blocks_per_seq = maxBlocks;
    args.max_context = promptTokens;
    args.logits = static_cast<float *>(scores.get());
  }
  size_t bytes() const { return deviceBytes({&kvPool, &blockTable, &scores}); }
  // An early return may leave launches in flight that use the buffers.
  ~FilterState() {
    if (stream)
      cudaStreamSynchronize(stream);
  }
};

sieve_status runPrefillChunk(sieve_session *s, const int32_t *const *tokens,
                             const std::vector<int> &consumed, const Chunk &c, bool allLogits,
                             int64_t firstOutputRow, float *logitsOut,
                             const std::vector<int> &remaining,
                             const FilterState *filter = nullptr,
                             float *kvMass = nullptr, bool kvMassEveryChunk = false) {
  StepIndex h;
  SIEVE_TRY(s->hostIndex(h));
  int numSeqs = c.last + 1, t = 0, maxQuery = 0;
  std::vector<int> finishing; // slots whose final token is in this chunk
  for (int b = 0; b < numSeqs; ++b) {
    h.queryStart[b] = t;
    for (int i = 0; i < c.take[b]; ++i, ++t) {
      h.tokens[t] = tokens[b][consumed[b] + i];
      h.positions[t] = s->lengths[b] + consumed[b] + i;
      h.tokenSeq[t] = b;
    }
    h.kvLen[b] = s->lengths[b] + consumed[b] + c.take[b];
    maxQuery = std::max(maxQuery, c.take[b]);
    if (c.take[b] > 0 && c.take[b] == remaining[b])
      finishing.push_back(b);
  }
  h.queryStart[numSeqs] = t;

  StepArgs args = s->baseArgs();
  args.num_tokens = c.tokens;
  args.num_seqs = numSeqs;
  args.max_query_len = maxQuery;
  size_t vocab = s->vocab();
  float *lastLogits = static_cast<float *>(s->lastLogits.get());
  float *allBuffer = static_cast<float *>(s->allLogits.get());
  if (filter) {
    // The token filter's scores come from the prompt's last rows: only the
    // final chunk computes them (num_logit_rows is the flag).
    args.num_logit_rows = finishing.empty() ? 0 : 1;
    filter->apply(args);
    SIEVE_TRY(s->uploadIndex());
    takeLauncherError(nullptr, 0);
    return checkLaunch(sieve_generated_filter(&args), "token filter");
  }
  if (allLogits) {
    for (int i = 0; i < c.tokens; ++i)
      h.logitRows[i] = i;
    args.num_logit_rows = c.tokens;
    args.logits = allBuffer;
  } else {
    // Finishing slots are consecutive, so their rows land in place.
    for (size_t i = 0; i < finishing.size(); ++i)
      h.logitRows[i] = h.queryStart[finishing[i] + 1] - 1;
    args.num_logit_rows = static_cast<int32_t>(finishing.size());
    args.logits = finishing.empty() ? lastLogits : lastLogits + finishing[0] * vocab;
  }
  // SnapKV's mass comes from the prompt's last `window` rows, which the
  // caller keeps in its final chunk; H2O's from every row.
  if (kvMass && (kvMassEveryChunk || !finishing.empty()))
    args.kv_mass = kvMass;
  SIEVE_TRY(s->uploadIndex());
  takeLauncherError(nullptr, 0);
  SIEVE_TRY(checkLaunch(sieve_generated_prefill(&args), "prefill"));
  if (allLogits) {
    for (int b : finishing)
      SIEVE_CUDA(cudaMemcpyAsync(lastLogits + b * vocab,
                                 allBuffer + (h.queryStart[b + 1] - 1) * vocab,
                                 vocab * sizeof(float), cudaMemcpyDeviceToDevice, s->stream),
                 "copying last-position logits");
    if (logitsOut)
      SIEVE_CUDA(cudaMemcpyAsync(logitsOut + firstOutputRow * vocab, allBuffer,
                                 size_t(c.tokens) * vocab * sizeof(float),
                                 cudaMemcpyDeviceToHost, s->stream),
                 "copying logits to the host");
  }
  return SIEVE_OK;
}

sieve_status prefillTokens(sieve_session *session, int32_t batch, const int32_t *const *tokens,
                           const int32_t *lengths, int32_t logits_mode, float *logits_out);

// GemFilter on a fresh batch-1 prompt longer than the filter's k: runs the
// @filter entry over the prompt in prefill chunks on a transient state
// (FilterState: the caches of the layers up to the filter layer and the
// scores, sized for the prompt), copies the scores back and selects on the
// host with the CPU reference's code (sieve/Runtime/token_select.h); `kept`
// receives the positions. The state is freed before this returns.
sieve_status selectTokens(sieve_session *s, const int32_t *prompt, int n,
                          std::vector<int32_t> &kept) {
  const FilterInfo &f = *sieve_generated_filter_info();
  FilterState state;
  SIEVE_TRY(state.create(s, f, n));
  s->transientBytes = state.bytes();
  std::vector<int> remaining{n}, consumed{0};
  for (;;) {
    Chunk c = planChunk(remaining, s->capacity);
    if (c.tokens == 0)
      break;
    SIEVE_TRY(runPrefillChunk(s, &prompt, consumed, c, false, 0, nullptr, remaining, &state));
    consumed[0] += c.take[0];
    remaining[0] -= c.take[0];
  }
  std::vector<float> scores(n);
  SIEVE_CUDA(cudaMemcpyAsync(scores.data(), state.scores.get(), n * sizeof(float),
                             cudaMemcpyDeviceToHost, s->stream),
             "copying the token filter scores");
  SIEVE_CUDA(cudaStreamSynchronize(s->stream), "token filter");
  std::vector<int64_t> idx = sieve::select::gemfilterSelect(scores.data(), n, f.k, f.pool,
                                                            f.block);
  kept.assign(idx.begin(), idx.end());
  return SIEVE_OK;
}

} // namespace

extern "C" {

sieve_status sieve_prefill(sieve_session *session, int32_t batch, const int32_t *const *tokens,
                           const int32_t *lengths, int32_t logits_mode, float *logits_out) {
  // A model with a token filter prunes a fresh batch-1 prompt longer than
  // k, then prefills the kept tokens at positions 0..k-1. The filter pass
  // has its own cache, so the prompt may be longer than max_context; only
  // the kept tokens (at most k) must fit.
  const FilterInfo *f = sieve_generated_filter_info();
  if (session) {
    session->transientBytes = 0;
    // An empty slot starts at position 0, whatever an eviction before a
    // truncation to 0 left.
    for (int b = 0; b < batch && b < session->options.max_batch; ++b)
      if (session->lengths[b] == 0)
        session->positionShift[b] = 0;
  }
  if (f && session && tokens && lengths && batch == 1 && tokens[0] && lengths[0] > f->k &&
      session->lengths[0] == 0) {
    if (lengths[0] > kMaxFilteredPrompt)
      return fail(SIEVE_ERROR_INVALID_ARGUMENT,
                  "sieve_prefill: a prompt of %d tokens is longer than the 2^24 a token "
                  "filter takes",
                  lengths[0]);
    if (f->k > session->options.max_context)
      return fail(SIEVE_ERROR_CONTEXT_FULL,
                  "sieve_prefill: the token filter keeps %d of the prompt's %d tokens, more "
                  "than max_context %d",
                  f->k, lengths[0], session->options.max_context);
    SIEVE_TRY(checkTokens(session, tokens[0], lengths[0], 0));
    SIEVE_TRY(useDevice(session->model));
    std::vector<int32_t> kept;
    SIEVE_TRY(selectTokens(session, tokens[0], lengths[0], kept));
    std::vector<int32_t> gathered(kept.size());
    for (size_t i = 0; i < kept.size(); ++i)
      gathered[i] = tokens[0][kept[i]];
    const int32_t *ptr = gathered.data();
    int32_t len = static_cast<int32_t>(gathered.size());
    sieve_status st = prefillTokens(session, 1, &ptr, &len, logits_mode, logits_out);
    if (st == SIEVE_OK)
      session->kept = std::move(kept);
    return st;
  }
  if (session)
    session->kept.clear();
  return prefillTokens(session, batch, tokens, lengths, logits_mode, logits_out);
}

sieve_status sieve_session_kept(const sieve_session *session, int32_t capacity, int32_t *kept,
                                int32_t *count) {
  if (!session || !count || (capacity > 0 && !kept))
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_session_kept: null argument");
  *count = static_cast<int32_t>(session->kept.size());
  if (*count > capacity)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT,
                "sieve_session_kept: %d kept positions, room for %d", *count, capacity);
  std::copy(session->kept.begin(), session->kept.end(), kept);
  return ok();
}

sieve_status sieve_session_memory(const sieve_session *session, sieve_memory_usage *out) {
  if (!session || !out)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_session_memory: null argument");
  out->weights_bytes = session->model->weights.get_deleter().bytes;
  out->session_bytes = session->deviceBytes();
  out->transient_bytes = session->transientBytes;
  return ok();
}

sieve_status sieve_model_kv_evict(const sieve_model *model, int32_t *budget, int32_t *window) {
  if (!model || !budget || !window)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_model_kv_evict: null argument");
  const EvictInfo *e = sieve_generated_evict_info();
  *budget = e ? e->budget : 0;
  *window = e ? e->window : 0;
  return ok();
}

sieve_status sieve_session_evicted(const sieve_session *session, int32_t *dropped) {
  if (!session || !dropped)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_session_evicted: null argument");
  *dropped = session->evicted;
  return ok();
}

sieve_status sieve_model_token_filter(const sieve_model *model, int32_t *k) {
  if (!model || !k)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_model_token_filter: null argument");
  const FilterInfo *f = sieve_generated_filter_info();
  *k = f ? f->k : 0;
  return ok();
}

} // extern "C"

namespace {

// Eviction of slot 0, which holds n positions, with its mass complete:
// SnapKV after a prompt's prefill, H2O after it and after every decode step.
// Copies the mass back, selects on the host with the CPU reference's code
// (token_select.h evictKeep), compacts every KV layer's cache to the kept
// positions and shortens the slot; the next token keeps counting at its
// model position. H2O's mass is compacted with the cache (on the host, then
// uploaded: its positions from `kept` on are zero again), as the CPU
// session's is.
sieve_status evictSlot0(sieve_session *s, const EvictInfo &e, EvictState &state, int n) {
  const ModelInfo &info = *s->model->info;
  int layers = info.num_kv_layers, heads = info.num_kv_heads, kept = state.kept;
  size_t ctx = s->options.max_context;
  std::vector<float> mass(size_t(layers) * heads * n);
  SIEVE_CUDA(cudaMemcpy2DAsync(mass.data(), n * sizeof(float), state.mass, ctx * sizeof(float),
                               n * sizeof(float), size_t(layers) * heads,
                               cudaMemcpyDeviceToHost, s->stream),
             "copying the attention mass");
  SIEVE_CUDA(cudaStreamSynchronize(s->stream), "KV eviction");
  std::vector<int32_t> keep(size_t(layers) * heads * kept);
  bool perLayer = e.scope == EvictScope::Layer;
  for (int l = 0; l < layers; ++l)
    for (int h = 0; h < heads; ++h) {
      // scope=layer: one selection from the summed KV heads, for all.
      if (perLayer && h > 0) {
        std::copy_n(&keep[size_t(l) * heads * kept], kept, &keep[(size_t(l) * heads + h) * kept]);
        continue;
      }
      std::vector<int64_t> k = sieve::select::evictKeep(
          mass.data() + (size_t(l) * heads + h) * n, n, perLayer ? heads : 1, n, e.window,
          e.budget, e.pool);
      std::copy(k.begin(), k.end(), &keep[(size_t(l) * heads + h) * kept]);
    }
  SIEVE_CUDA(cudaMemcpyAsync(state.keep.get(), keep.data(), keep.size() * sizeof(int32_t),
                             cudaMemcpyHostToDevice, s->stream),
             "uploading the kept positions");
  if (e.method == EvictMethod::H2O) {
    for (size_t lh = 0; lh < size_t(layers) * heads; ++lh)
      sieve::select::compactKept(mass.data() + lh * n, &keep[lh * kept], kept, n);
    SIEVE_CUDA(cudaMemcpy2DAsync(state.mass, ctx * sizeof(float), mass.data(), n * sizeof(float),
                                 n * sizeof(float), size_t(layers) * heads,
                                 cudaMemcpyHostToDevice, s->stream),
               "uploading the compacted attention mass");
  }
  takeLauncherError(nullptr, 0);
  for (int l = 0; l < layers; ++l)
    kv_compact(s->stream, s->kCaches[l], s->vCaches[l],
               static_cast<const int32_t *>(s->blockTable.get()), s->maxBlocksPerSeq, 0, heads,
               info.kv_block_size, info.kv_vector_bytes,
               static_cast<const int32_t *>(state.keep.get()) + size_t(l) * heads * kept, kept,
               state.staging.get());
  SIEVE_TRY(checkLaunch(cudaGetLastError(), "KV compaction"));
  SIEVE_CUDA(cudaStreamSynchronize(s->stream), "KV compaction");
  s->lengths[0] = kept;
  s->positionShift[0] += n - kept;
  s->evicted += n - kept;
  return SIEVE_OK;
}

// H2O's plan for a prefill: the session keeps one slot's mass, so batches
// of several prompts are refused (their decode steps would need one mass
// per slot). A fresh prompt collects the mass of every row (the mass starts
// from zero) and is evicted when longer than budget + window; a slot that
// already holds tokens is extended without either, as the CPU's extend().
sieve_status h2oPrefillPlan(const sieve_session *s, const EvictInfo &e, int32_t batch,
                            const int32_t *lengths, bool &collect, bool &evict) {
  if (batch != 1)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT,
                "sieve_prefill: H2O KV eviction keeps the attention mass of one slot; a "
                "session of its model prefills one prompt at a time, got a batch of %d",
                batch);
  collect = s->lengths[0] == 0;
  evict = collect && int64_t(lengths[0]) > int64_t(e.budget) + e.window;
  return SIEVE_OK;
}

// Whether this prefill evicts (SnapKV on a fresh batch-1 prompt longer
// than budget + window); refuses what the runtime cannot evict rather than
// keeping a cache the model's policy says to shrink.
sieve_status wantsEviction(const sieve_session *s, int32_t batch, const int32_t *lengths,
                           int cap, bool &evict) {
  const EvictInfo *e = sieve_generated_evict_info();
  evict = false;
  if (!e)
    return SIEVE_OK;
  int64_t over = int64_t(e->budget) + e->window;
  bool fresh = true, longer = false;
  for (int b = 0; b < batch; ++b) {
    fresh = fresh && s->lengths[b] == 0;
    longer = longer || lengths[b] > over;
  }
  if (!fresh || !longer)
    return SIEVE_OK; // a continued slot is extended, as the CPU's extend()
  if (batch != 1)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT,
                "sieve_prefill: KV eviction runs on one prompt at a time, got a batch of %d "
                "with a prompt longer than budget + window = %lld",
                batch, (long long)over);
  if (cap < e->window)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT,
                "sieve_prefill: the KV eviction window of %d tokens must fit one prefill "
                "launch, which takes %d (max_prefill_tokens)",
                e->window, cap);
  evict = true;
  return SIEVE_OK;
}

sieve_status prefillTokens(sieve_session *session, int32_t batch, const int32_t *const *tokens,
                           const int32_t *lengths, int32_t logits_mode, float *logits_out) {
  if (!session || !tokens || !lengths)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_prefill: null argument");
  sieve_session *s = session;
  SIEVE_TRY(checkBatch(s, batch, "sieve_prefill"));
  if (logits_mode != SIEVE_LOGITS_LAST && logits_mode != SIEVE_LOGITS_ALL)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_prefill: unknown logits_mode %d",
                logits_mode);
  std::vector<int> remaining(batch);
  for (int b = 0; b < batch; ++b) {
    if (!tokens[b] || lengths[b] < 1)
      return fail(SIEVE_ERROR_INVALID_ARGUMENT,
                  "sieve_prefill: slot %d needs at least one token (length %d)", b, lengths[b]);
    SIEVE_TRY(checkTokens(s, tokens[b], lengths[b], b));
    if (int64_t(s->lengths[b]) + lengths[b] > s->options.max_context)
      return fail(SIEVE_ERROR_CONTEXT_FULL,
                  "sieve_prefill: slot %d holds %d tokens, %d more exceed max_context %d", b,
                  s->lengths[b], lengths[b], s->options.max_context);
    remaining[b] = lengths[b];
  }
  SIEVE_TRY(useDevice(s->model));
  bool all = logits_mode == SIEVE_LOGITS_ALL;
  int cap = all ? s->allRowsCapacity : s->capacity;
  bool evict = false, collect = false;
  const EvictInfo *policy = sieve_generated_evict_info();
  EvictState snapState;
  EvictState *evictState = s->h2o ? s->h2o.get() : &snapState;
  if (s->h2o) {
    SIEVE_TRY(h2oPrefillPlan(s, *policy, batch, lengths, collect, evict));
    if (collect)
      SIEVE_TRY(s->h2o->clear());
  } else {
    SIEVE_TRY(wantsEviction(s, batch, lengths, cap, evict));
    collect = evict;
  }
  if (evict && !s->h2o) {
    SIEVE_TRY(snapState.create(*s->model->info, s->stream, s->options.max_context, *policy));
    s->transientBytes = std::max(s->transientBytes, snapState.bytes());
  }
  std::vector<int> consumed(batch, 0);
  int64_t outputRow = 0;
  for (;;) {
    Chunk c = planChunk(remaining, cap);
    if (c.tokens == 0)
      break;
    // Keep the whole window in the last chunk: stop this one short when
    // it would leave fewer than `window` tokens (cap >= window).
    int rest = remaining[0] - c.take[0];
    if (evict && !s->h2o && rest > 0 && rest < policy->window) {
      c.take[0] -= policy->window - rest;
      c.tokens = c.take[0];
    }
    SIEVE_TRY(runPrefillChunk(s, tokens, consumed, c, all, outputRow, logits_out, remaining,
                              nullptr, collect ? evictState->kvMass() : nullptr,
                              s->h2o != nullptr));
    outputRow += c.tokens;
    for (int b = 0; b < batch; ++b) {
      consumed[b] += c.take[b];
      remaining[b] -= c.take[b];
    }
  }
  size_t vocab = s->vocab();
  if (logits_out && !all)
    SIEVE_CUDA(cudaMemcpyAsync(logits_out, s->lastLogits.get(), batch * vocab * sizeof(float),
                               cudaMemcpyDeviceToHost, s->stream),
               "copying logits to the host");
  SIEVE_CUDA(cudaStreamSynchronize(s->stream), "prefill");
  for (int b = 0; b < batch; ++b) {
    s->lengths[b] += lengths[b];
    s->hasLogits[b] = true;
  }
  s->evicted = 0;
  if (evict)
    SIEVE_TRY(evictSlot0(s, *policy, *evictState, lengths[0]));
  return ok();
}

} // extern "C"

namespace {

using EntryPoint = cudaError_t (*)(const StepArgs *);

// sieve_verify_step's token counts (one graph each): draft=K allows 16.
constexpr int kMaxVerifyTokens = 32;

// H2O's mass follows the prompt's prefill and the decode steps (the CPU
// reference has no draft or verify step to compare with).
constexpr const char *kH2OStepsOnly =
    "the model's H2O KV eviction follows sieve_prefill and sieve_decode_step only";

// Captures a one-token-per-slot entry point (decode or draft) for `batch`
// slots (the scalars of `args` are baked into the graph, the pointed-to
// indices are not).
sieve_status captureStep(sieve_session *s, EntryPoint entry, const StepArgs &args,
                         cudaGraphExec_t *out) {
  takeLauncherError(nullptr, 0);
  SIEVE_CUDA(cudaStreamBeginCapture(s->stream, cudaStreamCaptureModeThreadLocal),
             "starting a graph capture");
  cudaError_t launched = entry(&args);
  cudaGraph_t graph = nullptr;
  cudaError_t ended = cudaStreamEndCapture(s->stream, &graph);
  sieve_status status = checkLaunch(launched, "graph capture");
  if (status == SIEVE_OK && ended != cudaSuccess)
    status = cudaFail(ended, "ending a graph capture");
  if (status == SIEVE_OK) {
    cudaError_t e = cudaGraphInstantiate(out, graph, 0);
    if (e != cudaSuccess)
      status = cudaFail(e, "instantiating a graph");
  }
  if (graph)
    cudaGraphDestroy(graph);
  return status;
}

// The graph of `graphs` for one token per slot of `batch` slots through
// `entry` (logits into lastLogits), captured on first use; the step index
// must be uploaded before a capture.
sieve_status stepGraph(sieve_session *s, EntryPoint entry,
                       std::map<int, cudaGraphExec_t> &graphs, int32_t batch, float *kvMass,
                       cudaGraphExec_t *out) {
  auto found = graphs.find(batch);
  if (found == graphs.end()) {
    StepArgs args = s->baseArgs();
    args.num_tokens = batch;
    args.num_seqs = batch;
    args.max_query_len = 1;
    args.num_logit_rows = batch;
    args.logits = static_cast<float *>(s->lastLogits.get());
    args.kv_mass = kvMass;
    cudaGraphExec_t exec = nullptr;
    SIEVE_TRY(captureStep(s, entry, args, &exec));
    found = graphs.emplace(batch, exec).first;
  }
  *out = found->second;
  return ok();
}

// The step index of one token per slot b < batch at position lengths[b]
// (tokens[b], or 0 where tokens is null), uploaded.
sieve_status uploadOneTokenIndex(sieve_session *s, int32_t batch, const int32_t *tokens) {
  StepIndex h;
  SIEVE_TRY(s->hostIndex(h));
  for (int b = 0; b < batch; ++b) {
    h.tokens[b] = tokens ? tokens[b] : 0;
    h.positions[b] = s->lengths[b];
    h.tokenSeq[b] = b;
    h.queryStart[b] = b;
    h.kvLen[b] = s->lengths[b] + 1;
    h.logitRows[b] = b;
  }
  h.queryStart[batch] = batch;
  return s->uploadIndex();
}

// Appends tokens[b] to slot b for b < batch through `entry`, replaying the
// graph of `graphs` captured for this batch size.
sieve_status oneTokenStep(sieve_session *s, EntryPoint entry,
                          std::map<int, cudaGraphExec_t> &graphs, const char *what,
                          int32_t batch, const int32_t *tokens, float *logits_out,
                          float *kvMass = nullptr) {
  SIEVE_TRY(checkBatch(s, batch, what));
  SIEVE_TRY(checkTokens(s, tokens, batch, -1));
  for (int b = 0; b < batch; ++b)
    if (s->lengths[b] + 1 > s->options.max_context)
      return fail(SIEVE_ERROR_CONTEXT_FULL, "%s: slot %d is full (%d tokens)", what, b,
                  s->lengths[b]);
  SIEVE_TRY(useDevice(s->model));
  SIEVE_TRY(uploadOneTokenIndex(s, batch, tokens));

  cudaGraphExec_t exec = nullptr;
  SIEVE_TRY(stepGraph(s, entry, graphs, batch, kvMass, &exec));
  SIEVE_CUDA(cudaGraphLaunch(exec, s->stream), "launching the decode graph");
  if (logits_out)
    SIEVE_CUDA(cudaMemcpyAsync(logits_out, s->lastLogits.get(),
                               size_t(batch) * s->vocab() * sizeof(float),
                               cudaMemcpyDeviceToHost, s->stream),
               "copying logits to the host");
  SIEVE_CUDA(cudaStreamSynchronize(s->stream), what);
  for (int b = 0; b < batch; ++b) {
    s->lengths[b] += 1;
    s->hasLogits[b] = true;
  }
  return ok();
}

} // namespace

extern "C" {

sieve_status sieve_decode_step(sieve_session *session, int32_t batch, const int32_t *tokens,
                               float *logits_out) {
  if (!session || !tokens)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_decode_step: null argument");
  if (!session->h2o)
    return oneTokenStep(session, sieve_generated_decode, session->decodeGraphs,
                        "sieve_decode_step", batch, tokens, logits_out);
  // H2O: the step adds its query's attention to slot 0's mass (the decode
  // graph is captured with the session's buffer), then evicts down to
  // budget + window again.
  if (batch != 1)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT,
                "sieve_decode_step: H2O KV eviction keeps the attention mass of one slot; "
                "decode steps take batch 1, got %d",
                batch);
  SIEVE_TRY(oneTokenStep(session, sieve_generated_decode, session->decodeGraphs,
                         "sieve_decode_step", batch, tokens, logits_out,
                         session->h2o->kvMass()));
  const EvictInfo &e = *sieve_generated_evict_info();
  int n = session->lengths[0];
  if (int64_t(n) > int64_t(e.budget) + e.window)
    SIEVE_TRY(evictSlot0(session, e, *session->h2o, n));
  return ok();
}

sieve_status sieve_draft_step(sieve_session *session, int32_t batch, const int32_t *tokens,
                              float *logits_out) {
  if (!session || !tokens)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_draft_step: null argument");
  if (!sieve_generated_draft)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT,
                "sieve_draft_step: the model was compiled without a draft "
                "(sieve-compile --self-speculative)");
  if (session->h2o)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_draft_step: %s", kH2OStepsOnly);
  return oneTokenStep(session, sieve_generated_draft, session->draftGraphs, "sieve_draft_step",
                      batch, tokens, logits_out);
}

sieve_status sieve_verify_step(sieve_session *session, int32_t count, const int32_t *tokens,
                               float *logits_out) {
  if (!session || !tokens || !logits_out)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_verify_step: null argument");
  sieve_session *s = session;
  if (s->h2o)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_verify_step: %s", kH2OStepsOnly);
  if (count < 1 || count > kMaxVerifyTokens || count > s->allRowsCapacity)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT,
                "sieve_verify_step: %d tokens is outside [1, %d]", count,
                std::min(kMaxVerifyTokens, s->allRowsCapacity));
  SIEVE_TRY(checkTokens(s, tokens, count, 0));
  if (s->lengths[0] + count > s->options.max_context)
    return fail(SIEVE_ERROR_CONTEXT_FULL,
                "sieve_verify_step: slot 0 holds %d tokens, %d more exceed max_context %d",
                s->lengths[0], count, s->options.max_context);
  SIEVE_TRY(useDevice(s->model));
  StepIndex h;
  SIEVE_TRY(s->hostIndex(h));
  for (int i = 0; i < count; ++i) {
    h.tokens[i] = tokens[i];
    h.positions[i] = s->lengths[0] + i;
    h.tokenSeq[i] = 0;
    h.logitRows[i] = i;
  }
  h.queryStart[0] = 0;
  h.queryStart[1] = count;
  h.kvLen[0] = s->lengths[0] + count;
  SIEVE_TRY(s->uploadIndex());
  float *all = static_cast<float *>(s->allLogits.get());
  auto found = s->verifyGraphs.find(count);
  if (found == s->verifyGraphs.end()) {
    StepArgs args = s->baseArgs();
    args.num_tokens = count;
    args.num_seqs = 1;
    args.max_query_len = count;
    args.num_logit_rows = count;
    args.logits = all;
    cudaGraphExec_t exec = nullptr;
    SIEVE_TRY(captureStep(s, sieve_generated_prefill, args, &exec));
    found = s->verifyGraphs.emplace(count, exec).first;
  }
  SIEVE_CUDA(cudaGraphLaunch(found->second, s->stream), "launching the verify graph");
  size_t vocab = s->vocab();
  SIEVE_CUDA(cudaMemcpyAsync(s->lastLogits.get(), all + (count - 1) * vocab,
                             vocab * sizeof(float), cudaMemcpyDeviceToDevice, s->stream),
             "copying last-position logits");
  SIEVE_CUDA(cudaMemcpyAsync(logits_out, all, size_t(count) * vocab * sizeof(float),
                             cudaMemcpyDeviceToHost, s->stream),
             "copying logits to the host");
  SIEVE_CUDA(cudaStreamSynchronize(s->stream), "verify step");
  s->lengths[0] += count;
  s->hasLogits[0] = true;
  return ok();
}

int32_t sieve_model_has_draft(const sieve_model *model) {
  return model && sieve_generated_draft ? 1 : 0;
}

sieve_status sieve_sample(sieve_session *session, int32_t batch, const sieve_sampling *sampling,
                          int32_t *out_tokens) {
  if (!session || !sampling || !out_tokens)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_sample: null argument");
  sieve_session *s = session;
  SIEVE_TRY(checkSampling(s, batch, *sampling, "sieve_sample"));
  const sieve_sampling &p = *sampling;
  SIEVE_TRY(useDevice(s->model));
  takeLauncherError(nullptr, 0);
  sample(s->stream, static_cast<const float *>(s->lastLogits.get()), batch, s->vocab(),
         p.temperature, p.top_k, p.top_p, p.seed, s->sampleCounter,
         static_cast<int32_t *>(s->sampled.get()));
  SIEVE_TRY(checkLaunch(cudaGetLastError(), "sampling"));
  SIEVE_CUDA(cudaMemcpyAsync(out_tokens, s->sampled.get(), batch * sizeof(int32_t),
                             cudaMemcpyDeviceToHost, s->stream),
             "copying sampled tokens");
  SIEVE_CUDA(cudaStreamSynchronize(s->stream), "sampling");
  ++s->sampleCounter;
  return ok();
}

sieve_status sieve_generate(sieve_session *session, int32_t batch, int32_t steps,
                            const sieve_sampling *sampling, int32_t *out_tokens) {
  if (!session || !sampling || !out_tokens)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_generate: null argument");
  sieve_session *s = session;
  SIEVE_TRY(checkSampling(s, batch, *sampling, "sieve_generate"));
  if (steps < 1 || steps > kMaxGenerateSteps)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT, "sieve_generate: %d steps is outside [1, %d]",
                steps, kMaxGenerateSteps);
  if (s->h2o)
    return fail(SIEVE_ERROR_INVALID_ARGUMENT,
                "sieve_generate: H2O KV eviction runs on the host after every decode step; "
                "use sieve_sample and sieve_decode_step");
  for (int b = 0; b < batch; ++b)
    if (int64_t(s->lengths[b]) + steps > s->options.max_context)
      return fail(SIEVE_ERROR_CONTEXT_FULL,
                  "sieve_generate: slot %d holds %d tokens, %d more exceed max_context %d", b,
                  s->lengths[b], steps, s->options.max_context);
  SIEVE_TRY(useDevice(s->model));
  DevicePtr ring;
  SIEVE_TRY(deviceAlloc(ring, size_t(steps) * batch * sizeof(int32_t), "generated tokens"));
  // Step 0's tokens are written by its sampling; the rest of the index is
  // the first new position of each slot, moved on by generateAdvance.
  SIEVE_TRY(uploadOneTokenIndex(s, batch, nullptr));
  cudaGraphExec_t exec = nullptr;
  SIEVE_TRY(stepGraph(s, sieve_generated_decode, s->decodeGraphs, batch, nullptr, &exec));
  const sieve_sampling &p = *sampling;
  const StepIndex dev = s->deviceIndex();
  int32_t *generated = static_cast<int32_t *>(ring.get());
  takeLauncherError(nullptr, 0);
  // Nothing waits for the host between steps: each step's sampling writes
  // the tokens the next graph replay embeds.
  for (int32_t k = 0; k < steps; ++k) {
    sample(s->stream, static_cast<const float *>(s->lastLogits.get()), batch, s->vocab(),
           p.temperature, p.top_k, p.top_p, p.seed, s->sampleCounter + uint64_t(k),
           dev.tokens, /*dependent=*/false);
    generateAdvance<<<(batch + 127) / 128, 128, 0, s->stream>>>(dev.tokens, dev.positions,
                                                               dev.kvLen, generated, batch, k);
    SIEVE_TRY(checkLaunch(cudaGetLastError(), "sieve_generate: sampling"));
    SIEVE_CUDA(cudaGraphLaunch(exec, s->stream), "launching the decode graph");
  }
  SIEVE_CUDA(cudaMemcpyAsync(out_tokens, generated, size_t(steps) * batch * sizeof(int32_t),
                             cudaMemcpyDeviceToHost, s->stream),
             "copying generated tokens");
  SIEVE_CUDA(cudaStreamSynchronize(s->stream), "sieve_generate");
  SIEVE_TRY(checkLaunch(cudaSuccess, "sieve_generate"));
  s->sampleCounter += uint64_t(steps);
  for (int b = 0; b < batch; ++b)
    s->lengths[b] += steps;
  return ok();
}

} // extern "C"
