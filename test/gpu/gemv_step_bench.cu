// The decode step's projection GEMMs at one row, timed as a decode step
// runs them: every layer's own weights (nothing stays in the 50 MB L2), the
// launches back to back in one CUDA graph (programmatic dependent launch
// where a kernel uses it), the median of 20 graph replays. Several GEMV
// kernels for int4 (g128) and int8 weights, and the f16 gemm() of the same
// shapes, so that a kernel change is judged by what a decode step pays and
// not by isolated launches (quant_gemm_test --bench times each launch on
// its own, which hides launch overlap).
//   gemv_step_bench [8b|1b]...
// Prints, per model and kernel (gemm_quant as dispatched, the GEMV, the
// tensor-core kernel): ms per step, GB/s of weight bytes read and the
// fraction of the copy bandwidth measured in the same run, and each
// kernel's largest deviation from the exact fp32 GEMV on every shape (a
// FAIL line and exit status 1 above kMaxDeviation).
// Build (on the GPU machine):
//   nvcc -std=c++17 -O2 -gencode=arch=compute_90a,code=sm_90a -Iruntime \
//     -Iinclude -Itest/gpu test/gpu/gemv_step_bench.cu -o gemv_step_bench \
//     -lcublasLt -lcublas
#include "sieve_kernels.cuh"
#include "kernel_test_util.h"

#include <cstring>
#include <functional>
#include <memory>
#include <string>

using namespace sieve::rt;
using namespace test;

namespace {

struct Shape {
  int N, K;
};
struct Model {
  const char *name;
  int layers;
  std::vector<Shape> shapes; // per layer: fused qkv, o, fused gate_up, down
};

__device__ uint32_t hash(uint64_t i, uint32_t seed) {
  uint64_t z = i * 0x9E3779B97F4A7C15ull + seed;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return uint32_t(z ^ (z >> 31));
}
// kind 0: random bytes; 1: f16 scales in [0.2, 1] / 15; 2: zero points
// 0..15; 3: f32 scales in [0.2, 1] / 127; 4: f16 values in [-1, 1].
__global__ void fill(void *p, size_t n, uint32_t seed, int kind) {
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < n;
       i += size_t(gridDim.x) * blockDim.x) {
    const uint32_t h = hash(i, seed);
    const float u = (h >> 8) * (1.f / 16777216.f);
    switch (kind) {
    case 0: static_cast<uint8_t *>(p)[i] = uint8_t(h); break;
    case 1: static_cast<half *>(p)[i] = __float2half((0.2f + 0.8f * u) / 15.f); break;
    case 2: static_cast<uint8_t *>(p)[i] = uint8_t(h % 16); break;
    case 3: static_cast<float *>(p)[i] = (0.2f + 0.8f * u) / 127.f; break;
    default: static_cast<half *>(p)[i] = __float2half(2.f * u - 1.f); break;
    }
  }
}

uint32_t seedCounter = 1;
// Largest deviation from the exact fp32 GEMV, relative to the largest
// output, that a kernel may show (f16 sums over one chunk: about 1e-3).
constexpr double kMaxDeviation = 1e-2;
bool failed = false;
void *deviceFill(size_t n, size_t elemBytes, int kind) {
  void *p = nullptr;
  CUDA_OK(cudaMalloc(&p, n * elemBytes));
  fill<<<1024, 256>>>(p, n, seedCounter++, kind);
  return p;
}

// Every layer's weights of one format, on the device.
struct Weights {
  QuantFormat format;
  std::vector<std::vector<QuantWeight>> layers; // [layer][shape]
  std::vector<std::vector<const half *>> f16;  // when format is unused (f16)
  std::vector<void *> owned;
  size_t bytesPerStep = 0;
  ~Weights() {
    for (void *p : owned)
      cudaFree(p);
  }
};

std::unique_ptr<Weights> makeWeights(const Model &m, int format /* -1 f16 */) {
  auto w = std::make_unique<Weights>();
  for (int l = 0; l < m.layers; ++l) {
    std::vector<QuantWeight> qs;
    std::vector<const half *> hs;
    for (const Shape &s : m.shapes) {
      const size_t nk = size_t(s.N) * s.K;
      if (format < 0) {
        void *p = deviceFill(nk, 2, 4);
        w->owned.push_back(p);
        hs.push_back(static_cast<const half *>(p));
        w->bytesPerStep += nk * 2;
        continue;
      }
      QuantWeight q{};
      q.format = QuantFormat(format);
      if (q.format == QuantFormat::Int4) {
        q.group = 128;
        const size_t groups = nk / 128;
        q.codes = deviceFill(nk / 2, 1, 0);
        q.scales = deviceFill(groups, 2, 1);
        q.zeros = static_cast<const uint8_t *>(deviceFill(groups, 1, 2));
        w->owned.insert(w->owned.end(), {const_cast<void *>(q.codes),
                                         const_cast<void *>(q.scales),
                                         const_cast<uint8_t *>(q.zeros)});
        w->bytesPerStep += nk / 2 + groups * 3;
      } else {
        q.codes = deviceFill(nk, 1, 0);
        q.scales = deviceFill(s.N, 4, 3);
        w->owned.insert(w->owned.end(),
                        {const_cast<void *>(q.codes), const_cast<void *>(q.scales)});
        w->bytesPerStep += nk + size_t(s.N) * 4;
      }
      qs.push_back(q);
    }
    w->layers.push_back(qs);
    w->f16.push_back(hs);
  }
  CUDA_OK(cudaDeviceSynchronize());
  return w;
}

using QuantFn = std::function<void(cudaStream_t, const half *, const QuantWeight &, half *, int,
                                   int)>;
struct Variant {
  std::string name;
  QuantFn fn;
};

// Median ms of one decode step's GEMMs captured as a graph.
float stepMs(const Model &m, const std::function<void(cudaStream_t, int, int)> &layerShape) {
  cudaStream_t s;
  CUDA_OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  cudaGraph_t graph;
  CUDA_OK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  for (int l = 0; l < m.layers; ++l)
    for (int i = 0; i < int(m.shapes.size()); ++i)
      layerShape(s, l, i);
  CUDA_OK(cudaStreamEndCapture(s, &graph));
  cudaGraphExec_t exec;
  CUDA_OK(cudaGraphInstantiate(&exec, graph, 0));
  cudaEvent_t a, b;
  cudaEventCreate(&a);
  cudaEventCreate(&b);
  for (int i = 0; i < 3; ++i)
    CUDA_OK(cudaGraphLaunch(exec, s));
  std::vector<float> t;
  for (int i = 0; i < 20; ++i) {
    cudaEventRecord(a, s);
    cudaGraphLaunch(exec, s);
    cudaEventRecord(b, s);
    cudaEventSynchronize(b);
    float ms;
    cudaEventElapsedTime(&ms, a, b);
    t.push_back(ms);
  }
  CUDA_OK(cudaGetLastError());
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  cudaStreamDestroy(s);
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// Largest |variant - exact| over the outputs, relative to the largest
// |exact|, on layer 0's weight of every shape.
double deviation(const Weights &w, const Model &m, const QuantFn &fn, const half *x, half *ref,
                 half *out) {
  double worst = 0;
  for (int i = 0; i < int(m.shapes.size()); ++i) {
    const Shape &s = m.shapes[i];
    const QuantWeight &q = w.layers[0][i];
    detail::quantGemv<half, half, false>(0, x, q, nullptr, ref, 1, s.N, s.K);
    CUDA_OK(cudaMemset(out, 0xff, size_t(s.N) * 2));
    fn(0, x, q, out, s.N, s.K);
    CUDA_OK(cudaDeviceSynchronize());
    std::vector<half> r(s.N), o(s.N);
    CUDA_OK(cudaMemcpy(r.data(), ref, s.N * 2, cudaMemcpyDeviceToHost));
    CUDA_OK(cudaMemcpy(o.data(), out, s.N * 2, cudaMemcpyDeviceToHost));
    double big = 0, diff = 0;
    for (int n = 0; n < s.N; ++n) {
      const double a = __half2float(r[n]), b = __half2float(o[n]);
      big = std::max(big, std::fabs(a));
      diff = std::isfinite(b) ? std::max(diff, std::fabs(a - b)) : INFINITY;
    }
    worst = std::max(worst, diff / std::max(big, 1e-30));
  }
  return worst;
}

void benchModel(const Model &m, double bw, const LtContext &lt) {
  int maxN = 0, maxK = 0;
  for (const Shape &s : m.shapes) {
    maxN = std::max(maxN, s.N);
    maxK = std::max(maxK, s.K);
  }
  half *x = static_cast<half *>(deviceFill(maxK, 2, 4));
  half *out = static_cast<half *>(deviceFill(maxN, 2, 4));
  half *ref = static_cast<half *>(deviceFill(maxN, 2, 4));
  // gemm_quant's scratch (N * K values; untouched at one row): not filled.
  half *scratch = nullptr;
  CUDA_OK(cudaMalloc(&scratch, size_t(maxN) * maxK * sizeof(half)));
  {
    auto w = makeWeights(m, -1);
    const float ms = stepMs(m, [&](cudaStream_t s, int l, int i) {
      gemm<half, half>(lt.args(s), x, w->f16[l][i], nullptr, out, 1, m.shapes[i].N,
                       m.shapes[i].K);
    });
    std::printf("STEP %s f16 gemm: %.3f ms, %.0f GB/s, %.0f%% of copy\n", m.name, ms,
                w->bytesPerStep / ms / 1e6, 100.0 * w->bytesPerStep / ms / 1e6 / bw);
  }
  std::vector<Variant> variants = {
      {"gemm_quant",
       [&](cudaStream_t s, const half *x, const QuantWeight &w, half *out, int N, int K) {
         gemm_quant<half, half>(lt.args(s), x, w, nullptr, out, 1, N, K, scratch, nullptr);
       }},
      {"gemv",
       [](cudaStream_t s, const half *x, const QuantWeight &w, half *out, int N, int K) {
         detail::quantGemv<half, half>(s, x, w, nullptr, out, 1, N, K);
       }},
      {"mma",
       [](cudaStream_t s, const half *x, const QuantWeight &w, half *out, int N, int K) {
         detail::quantMma<half, half>(s, x, w, nullptr, out, 1, N, K, N);
       }},
  };
  for (int format : {int(QuantFormat::Int4), int(QuantFormat::Int8)}) {
    auto w = makeWeights(m, format);
    const char *fname = format == int(QuantFormat::Int4) ? "int4" : "int8";
    for (const Variant &v : variants) {
      const double dev = deviation(*w, m, v.fn, x, ref, out);
      const float ms = stepMs(m, [&](cudaStream_t s, int l, int i) {
        v.fn(s, x, w->layers[l][i], out, m.shapes[i].N, m.shapes[i].K);
      });
      char msg[256];
      if (takeLauncherError(msg, sizeof msg)) {
        std::printf("STEP %s %s %-10s: launcher error: %s\n", m.name, fname, v.name.c_str(), msg);
        continue;
      }
      std::printf("STEP %s %s %-10s: %.3f ms, %.0f GB/s, %.0f%% of copy, max deviation %.2e\n",
                  m.name, fname, v.name.c_str(), ms, w->bytesPerStep / ms / 1e6,
                  100.0 * w->bytesPerStep / ms / 1e6 / bw, dev);
      if (!(dev <= kMaxDeviation)) {
        std::printf("FAIL %s %s %s deviates %.2e from the exact GEMV (limit %.0e)\n", m.name,
                    fname, v.name.c_str(), dev, kMaxDeviation);
        failed = true;
      }
    }
  }
  for (void *p : {static_cast<void *>(x), static_cast<void *>(out), static_cast<void *>(ref),
                  static_cast<void *>(scratch)})
    cudaFree(p);
}

} // namespace

int main(int argc, char **argv) {
  std::vector<Model> models;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "8b"))
      models.push_back({"Llama-3-8B", 32, {{6144, 4096}, {4096, 4096}, {28672, 4096}, {4096, 14336}}});
    else if (!std::strcmp(argv[i], "1b"))
      models.push_back({"Llama-3.2-1B", 16, {{3072, 2048}, {2048, 2048}, {16384, 2048}, {2048, 8192}}});
    else {
      std::fprintf(stderr, "usage: %s [8b|1b]...\n", argv[0]);
      return 2;
    }
  }
  if (models.empty())
    models.push_back({"Llama-3-8B", 32, {{6144, 4096}, {4096, 4096}, {28672, 4096}, {4096, 14336}}});
  LtContext lt;
  const double bw = copyGBs();
  std::printf("BENCH copy bandwidth (1 GiB device-to-device, read + write): %.0f GB/s\n", bw);
  for (const Model &m : models)
    benchModel(m, bw, lt);
  return failed ? 1 : 0;
}
