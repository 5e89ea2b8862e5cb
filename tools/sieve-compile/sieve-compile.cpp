//===- sieve-compile.cpp - ONNX model in, compiled model folder out -------===//
//
//   sieve-compile model.onnx -o model.sieve [--dtype f16|bf16]
//                 [--passes PIPELINE] [--skip-layers OPTIONS] [--quantize OPTIONS]
//                 [--prune-tokens OPTIONS] [--evict-kv OPTIONS]
//                 [--self-speculative OPTIONS] [--no-build]
//
// Runs import, simplify, raise, the requested passes, quantization,
// lowering to the kernel level, buffer planning, CUDA emission, weight
// packing and nvcc, printing each stage with its time. The folder is assembled beside the destination
// and moved into place only when everything succeeded, so a failed compile
// never leaves a half-written model (or destroys the previous one).
//
//===----------------------------------------------------------------------===//

#include "sieve/Codegen/Codegen.h"
#include "sieve/Dialect/Kernel/KernelOps.h"
#include "sieve/Dialect/ONNX/ONNXDialect.h"
#include "sieve/Dialect/Sieve/SieveOps.h"
#include "sieve/Import/ONNXImporter.h"
#include "sieve/Passes/Passes.h"
#include "sieve/Passes/Speculative.h"
#include "sieve/Runtime/sieve_runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <ctime>

using namespace mlir;
namespace cl = llvm::cl;
namespace k = sieve::kernel;

static cl::OptionCategory category("sieve-compile options");
static cl::opt<std::string> inputPath(cl::Positional,
                                      cl::desc("<model.onnx | model.mlir>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string> outputPath("o", cl::desc("Output folder (model.sieve)"),
                                       cl::value_desc("folder"), cl::Required,
                                       cl::cat(category));
static cl::opt<std::string>
    dtype("dtype", cl::desc("Storage type of weights, activations and KV cache: "
                            "f16 (default) or bf16"),
          cl::init("f16"), cl::cat(category));
static cl::opt<std::string> passes(
    "passes",
    cl::desc("Optimization passes to run on the raised model, in MLIR pass "
             "pipeline syntax (for example 'sieve-skip-layers{count=2}')"),
    cl::init(""), cl::cat(category));
static cl::opt<std::string> skipLayers(
    "skip-layers",
    cl::desc("Remove decoder layers or blocks before lowering: options of "
             "--sieve-skip-layers (for example 'mode=static count=2 "
             "profile=p.json' or 'mode=list layers=4,3.attn'); the manifest "
             "records what was removed and why (docs/skip-layers.md)"),
    cl::value_desc("options"), cl::init(""), cl::cat(category));
static cl::opt<std::string> selfSpeculative(
    "self-speculative",
    cl::desc("Add a @draft decode step that bypasses sub-layers, for "
             "self-speculative decoding (sieve-run --speculative): "
             "'draft=K skip=3.attn,5.mlp,6' or 'draft=K' with options of "
             "--sieve-skip-layers ('profile=p.json count=3'); "
             "docs/speculative.md"),
    cl::value_desc("options"), cl::init(""), cl::cat(category));
static cl::opt<std::string> quantize(
    "quantize",
    cl::desc("Quantize the weights: options of sieve-opt --sieve-quantize "
             "(for example 'weights=int4 group=128'; the GPU runs int8, int4 "
             "and fp8 weights). Runs after --passes; the quantized arrays "
             "go to a temporary file beside the output unless weights-file= "
             "is given"),
    cl::init(""), cl::cat(category));
static cl::opt<std::string> pruneTokens(
    "prune-tokens",
    cl::desc("GemFilter token pruning of long prompts, the options of "
             "--sieve-prune-tokens (for example 'layer=2 k=512 pool=5'); run "
             "after --passes (docs/token-pruning.md)"),
    cl::init(""), cl::cat(category));
static cl::opt<std::string> evictKV(
    "evict-kv",
    cl::desc("KV cache eviction, the options of --sieve-evict-kv: SnapKV "
             "after a long prompt's prefill (for example 'method=snapkv "
             "budget=480 window=32 pool=7') or H2O after the prefill and "
             "every decode step ('method=h2o budget=480 window=32 "
             "pool=1'; batch-1 sessions); run after --passes and "
             "--prune-tokens (docs/token-pruning.md)"),
    cl::init(""), cl::cat(category));
static cl::opt<int64_t> kvBlockSize("kv-block-size",
                                    cl::desc("Tokens per KV-cache block (16)"),
                                    cl::init(16), cl::cat(category));
static cl::opt<std::string> modelName("name",
                                      cl::desc("Model name recorded in the "
                                               "manifest (default: input file "
                                               "stem)"),
                                      cl::init(""), cl::cat(category));
static cl::opt<bool> decodeFusion(
    "decode-fusion",
    cl::desc("Fold the decode step's norms, GLUs and residual adds into its "
             "GEMMs (--sieve-fuse-decode; off by default: measured slower "
             "on the H100, docs/runtime.md)"),
    cl::init(false), cl::cat(category));
static cl::opt<bool> decodeFusionNorms(
    "decode-fusion-norms",
    cl::desc("With --decode-fusion, fold the RMSNorms into GEMM prologues "
             "too (default true; false keeps the norm launches and fuses "
             "only the GLUs and residual adds)"),
    cl::init(true), cl::cat(category));
static cl::opt<bool> noBuild("no-build",
                             cl::desc("Stop after writing the sources and "
                                      "weights (no nvcc)"),
                             cl::init(false), cl::cat(category));
static cl::opt<std::string>
    nvccPath("nvcc", cl::desc("nvcc to build with (default: $CUDA_HOME/bin/nvcc, "
                              "/usr/local/cuda/bin/nvcc, then PATH)"),
             cl::init(""), cl::cat(category));
static cl::opt<std::string> arch(
    "arch",
    cl::desc("GPU architecture for the machine code (default sm_90a); PTX "
             "for compute_90 is always included for other GPUs"),
    cl::init("sm_90a"), cl::cat(category));
static cl::opt<bool> quiet("quiet", cl::desc("Print only errors"),
                           cl::init(false), cl::cat(category));

namespace {

/// The quantized arrays' file when sieve-compile chose it (removed on exit,
/// also by fail(), which exits without unwinding).
std::string tempQuantFile;

[[noreturn]] void fail(const llvm::Twine &message) {
  if (!tempQuantFile.empty())
    llvm::sys::fs::remove(tempQuantFile);
  llvm::errs() << "sieve-compile: error: " << message << "\n";
  llvm::errs().flush();
  std::exit(1);
}

/// Prints "[i/n] stage ... seconds" lines and keeps the times for the
/// manifest.
class Stages {
public:
  void begin(StringRef name) {
    current = name.str();
    start = std::chrono::steady_clock::now();
    if (!quiet)
      llvm::errs() << llvm::formatv("sieve-compile: {0,-10} ...", name);
    llvm::errs().flush();
  }
  void end(StringRef detail = "") {
    double secs = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - start)
                      .count();
    times.push_back({current, secs});
    if (!quiet)
      llvm::errs() << llvm::formatv(" {0:f2} s{1}{2}\n", secs,
                                    detail.empty() ? "" : ", ", detail);
  }
  llvm::json::Array json() const {
    llvm::json::Array out;
    for (auto &[name, secs] : times)
      out.push_back(llvm::json::Object{{"stage", name}, {"seconds", secs}});
    return out;
  }

private:
  std::string current;
  std::chrono::steady_clock::time_point start;
  std::vector<std::pair<std::string, double>> times;
};

/// The runtime sources embedded at build time.
struct EmbeddedFile {
  const char *path;
  const char *content;
};
const EmbeddedFile kRuntimeFiles[] = {
#include "RuntimeSources.inc"
};

void writeFile(StringRef path, StringRef content) {
  std::error_code ec = llvm::sys::fs::create_directories(
      llvm::sys::path::parent_path(path));
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    fail("cannot write '" + path + "': " + ec.message());
  os << content;
  os.close();
  if (os.has_error()) {
    os.clear_error();
    fail("cannot write '" + path + "' (disk full?)");
  }
}

std::string findNvcc() {
  if (!nvccPath.empty()) {
    if (!llvm::sys::fs::can_execute(nvccPath))
      fail("--nvcc '" + nvccPath + "' is not an executable");
    return nvccPath;
  }
  if (auto home = llvm::sys::Process::GetEnv("CUDA_HOME")) {
    std::string p = *home + "/bin/nvcc";
    if (llvm::sys::fs::can_execute(p))
      return p;
  }
  if (llvm::sys::fs::can_execute("/usr/local/cuda/bin/nvcc"))
    return "/usr/local/cuda/bin/nvcc";
  if (auto p = llvm::sys::findProgramByName("nvcc"))
    return *p;
  fail("nvcc not found (give --nvcc, set CUDA_HOME, or use --no-build to "
       "stop at the sources)");
}

/// `sieve.removed` entries as JSON objects (layer, block, mode, metric,
/// score, order, ...), so tools need not parse MLIR attributes.
/// The KV-cache storage: the dtype's name, or the #sieve.kv format's kind.
std::string kvFormatJson(sieve::kernel::ProgramOp program) {
  if (sieve::KVAttr kv = program.getKvAttr())
    return sieve::stringifyQuantKind(kv.getKind()).str();
  return program.getDtype().isBF16() ? "bf16" : "f16";
}

llvm::json::Value removedJson(ArrayAttr removed) {
  llvm::json::Array out;
  if (!removed)
    return out;
  for (auto entry : removed.getAsRange<DictionaryAttr>()) {
    llvm::json::Object o;
    for (NamedAttribute field : entry) {
      Attribute v = field.getValue();
      if (auto i = dyn_cast<IntegerAttr>(v))
        o[field.getName().getValue()] = i.getInt();
      else if (auto f = dyn_cast<FloatAttr>(v))
        o[field.getName().getValue()] = f.getValueAsDouble();
      else if (auto s = dyn_cast<StringAttr>(v))
        o[field.getName().getValue()] = s.getValue();
      else if (auto b = dyn_cast<BoolAttr>(v))
        o[field.getName().getValue()] = b.getValue();
    }
    out.push_back(std::move(o));
  }
  return out;
}

/// The draft of self-speculative decoding (null when there is none):
/// what sieve-run --speculative reads.
llvm::json::Value speculativeJson(ModuleOp module) {
  auto draft = module->getAttrOfType<DictionaryAttr>("sieve.draft");
  if (!draft)
    return nullptr;
  return llvm::json::Object{
      {"entry", "draft"},
      {"draft_tokens", draft.getAs<IntegerAttr>("tokens").getInt()},
      {"skipped", removedJson(draft.getAs<ArrayAttr>("removed"))}};
}

std::string printed(Attribute attr) {
  std::string text;
  llvm::raw_string_ostream(text) << attr;
  return text;
}

/// The quantized GEMMs of the decode entry: each one's format, shape and
/// packed bytes (with AWQ, the input scales its scale_columns divides by:
/// they are part of the stored weight), totals per format, and what
/// weights.bin holds; `roles` gets the format and role of every packed
/// array, for the tensor list.
llvm::json::Object
quantization(k::ProgramOp program,
             llvm::StringMap<std::pair<std::string, std::string>> &roles) {
  SymbolTable table(program);
  auto bytesOf = [&](FlatSymbolRefAttr ref) -> int64_t {
    return ref ? table.lookup<k::WeightOp>(ref.getValue()).getByteSize() : 0;
  };
  llvm::json::Array gemms;
  llvm::StringMap<std::pair<int64_t, int64_t>> perFormat; // gemms, bytes
  int64_t quantBytes = 0, roundedScales = 0;
  for (auto entry : program.getBody().getOps<k::EntryOp>()) {
    if (entry.getSymName() != "decode")
      continue;
    // The input scales dividing each scale_columns output buffer (the
    // input of the gemm_quant after it).
    llvm::StringMap<FlatSymbolRefAttr> inputScales;
    for (auto sc : entry.getBody().getOps<k::ScaleColumnsOp>())
      inputScales[sc.getOut()] = sc.getScalesAttr();
    for (auto g : entry.getBody().getOps<k::GemmQuantOp>()) {
      std::string format = printed(g.getFormat());
      FlatSymbolRefAttr in = inputScales.lookup(g.getIn());
      int64_t bytes = bytesOf(g.getCodesAttr()) + bytesOf(g.getScalesAttr()) +
                      bytesOf(g.getZerosAttr()) + bytesOf(in);
      for (auto [ref, role] :
           {std::pair{g.getCodesAttr(), "codes"},
            std::pair{g.getScalesAttr(), "scales"},
            std::pair{g.getZerosAttr(), "zeros"},
            std::pair{in, "input_scales"}})
        if (ref)
          roles[ref.getValue()] = {format, role};
      llvm::json::Object gemm{{"codes", g.getCodes()},
                              {"format", format},
                              {"n", g.getN()},
                              {"k", g.getK()},
                              {"bytes", bytes}};
      // Group scales a model stored as f32 (raised MatMulNBits) are f16 in
      // weights.bin: the GPU's weight differs from the CPU reference's by
      // that rounding.
      auto scales = table.lookup<k::WeightOp>(g.getScales());
      if (scales.getTensorType().getElementType().isF16() &&
          llvm::any_of(scales.getSources(), [](Attribute s) {
            return cast<ShapedType>(cast<TypedAttr>(s).getType())
                .getElementType()
                .isF32();
          })) {
        gemm["scales_rounded_from_f32"] = true;
        ++roundedScales;
      }
      gemms.push_back(std::move(gemm));
      auto &[count, total] = perFormat[format];
      ++count;
      total += bytes;
      quantBytes += bytes;
    }
  }
  llvm::json::Object formats;
  for (auto &entry : perFormat)
    formats[entry.getKey().str()] = llvm::json::Object{
        {"gemms", entry.getValue().first}, {"bytes", entry.getValue().second}};
  int64_t payload = program.getWeightsBytes();
  llvm::json::Array notes;
  if (roundedScales)
    notes.push_back(std::to_string(roundedScales) +
                    " int4 GEMMs have group scales the model stores as f32; "
                    "weights.bin holds them rounded to f16 (nearest even), so "
                    "the GPU's weights differ from the CPU reference's by "
                    "that rounding");
  llvm::json::Object out{
      {"options", quantize.getValue()},
      {"gemms", std::move(gemms)},
      {"formats", std::move(formats)},
      {"quantized_bytes", quantBytes},
      {"other_bytes", payload - quantBytes},
      {"expected_weights_file_bytes", payload + 4096},
      {"dequantize_scratch_bytes", sieve::quantScratchBytes(program)},
  };
  if (!notes.empty())
    out["notes"] = std::move(notes);
  return out;
}

/// The kernel.program's constants and weights, for people and tools.
llvm::json::Object manifest(k::ProgramOp program, StringRef pipeline,
                            const Stages &stages, ModuleOp module) {
  llvm::StringMap<std::pair<std::string, std::string>> quantRoles;
  llvm::json::Object quant = quantization(program, quantRoles);
  llvm::json::Array weights;
  for (auto w : program.getBody().getOps<k::WeightOp>()) {
    llvm::json::Array shape;
    for (int64_t d : w.getTensorType().getShape())
      shape.push_back(d);
    std::string type;
    llvm::raw_string_ostream(type) << w.getTensorType().getElementType();
    llvm::json::Object tensor{{"name", w.getSymName()},
                              {"offset", w.getOffset()},
                              {"bytes", w.getByteSize()},
                              {"shape", std::move(shape)},
                              {"dtype", type},
                              {"transposed", w.getTranspose()}};
    if (auto it = quantRoles.find(w.getSymName()); it != quantRoles.end()) {
      tensor["quant_format"] = it->second.first;
      tensor["quant_role"] = it->second.second;
    }
    weights.push_back(std::move(tensor));
  }
  // Whatever the optimization passes recorded on the module (removed
  // layers, quantization formats, ...), as printed attributes.
  llvm::json::Object recorded;
  for (NamedAttribute attr : module->getAttrs()) {
    StringRef name = attr.getName().getValue();
    if (name.starts_with("onnx."))
      continue;
    std::string text;
    llvm::raw_string_ostream(text) << attr.getValue();
    recorded[name] = text;
  }
  std::time_t now = std::time(nullptr);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  std::string dt = program.getDtype().isBF16() ? "bf16" : "f16";
  return llvm::json::Object{
      {"format", "sieve-model"},
      {"format_version", 1},
      {"abi_version", SIEVE_RUNTIME_ABI_VERSION},
      {"tool", "sieve-compile " SIEVE_VERSION},
      {"created", std::string(stamp)}, // Value(const char *) would not copy
      {"source", inputPath.getValue()},
      {"name", program.getSymName()},
      {"dtype", dt},
      {"config",
       llvm::json::Object{{"vocab_size", program.getVocabSize()},
                          {"hidden_size", program.getHiddenSize()},
                          {"num_layers", program.getNumLayers()},
                          {"num_kv_layers", program.getNumKvLayers()},
                          {"num_heads", program.getNumHeads()},
                          {"num_kv_heads", program.getNumKvHeads()},
                          {"head_dim", program.getHeadDim()},
                          {"kv_block_size", program.getKvBlockSize()},
                          {"kv_format", kvFormatJson(program)},
                          {"kv_group", program.getKvGroup()},
                          {"kv_bytes_per_token", program.getKvBytesPerToken()}}},
      {"pipeline", pipeline},
      {"options", llvm::json::Object{{"dtype", dt},
                                     {"passes", passes.getValue()},
                                     {"skip_layers", skipLayers.getValue()},
                                     {"self_speculative",
                                      selfSpeculative.getValue()},
                                     {"quantize", quantize.getValue()},
                                     {"kv_block_size", kvBlockSize.getValue()},
                                     {"arch", arch.getValue()},
                                     {"built", !noBuild}}},
      {"recorded", std::move(recorded)},
      {"removed", removedJson(module->getAttrOfType<ArrayAttr>("sieve.removed"))},
      {"speculative", speculativeJson(module)},
      {"activation_bytes_per_token", sieve::arenaBytesPerToken(program) +
                                         sieve::quantActBytesPerToken(program)},
      {"activation_bytes_fixed", sieve::quantScratchBytes(program)},
      {"quantization", std::move(quant)},
      {"weights",
       llvm::json::Object{{"file", "weights.bin"},
                          {"header_bytes", 4096},
                          {"payload_bytes", program.getWeightsBytes()},
                          {"tensors", std::move(weights)}}},
      {"library", noBuild ? llvm::json::Value(nullptr)
                          : llvm::json::Value("libmodel.so")},
      {"stages", stages.json()},
  };
}

/// Compiles model.cu and the runtime's .cu files in parallel (one nvcc per
/// translation unit), then links libmodel.so. Output goes to build.log.
LogicalResult buildLibrary(const std::string &nvcc,
                           const std::function<std::string(StringRef)> &at) {
  std::string gencode = "arch=compute_" +
                        std::string(StringRef(arch).drop_front(3)) +
                        ",code=" + arch.getValue();
  std::vector<std::string> units = {"src/model.cu"};
  for (const EmbeddedFile &f : kRuntimeFiles)
    if (StringRef(f.path).ends_with(".cu"))
      units.push_back(std::string("src/") + f.path);
  struct Job {
    llvm::sys::ProcessInfo info;
    std::string log, object;
  };
  std::vector<Job> jobs;
  auto launch = [&](std::vector<std::string> args, std::string log) {
    std::optional<StringRef> redirects[] = {std::nullopt, StringRef(log),
                                            StringRef(log)};
    SmallVector<StringRef> refs(args.begin(), args.end());
    std::string error;
    llvm::sys::ProcessInfo info = llvm::sys::ExecuteNoWait(
        nvcc, refs, std::nullopt, redirects, 0, &error);
    if (info.Pid == llvm::sys::ProcessInfo::InvalidPid)
      fail("cannot run '" + nvcc + "': " + error);
    return info;
  };
  auto waitFor = [&](llvm::sys::ProcessInfo info, StringRef log,
                     StringRef what) -> LogicalResult {
    std::string error;
    llvm::sys::ProcessInfo done =
        llvm::sys::Wait(info, std::nullopt, &error);
    if (done.ReturnCode == 0)
      return success();
    auto text = llvm::MemoryBuffer::getFile(log);
    llvm::errs() << "\n"
                 << (text ? (*text)->getBuffer().take_back(4000) : "") << "\n"
                 << "sieve-compile: error: nvcc failed on " << what
                 << " (exit " << done.ReturnCode << (error.empty() ? "" : ": ")
                 << error << ")\n";
    return failure();
  };
  for (const std::string &unit : units) {
    Job job;
    job.object = at(unit + ".o");
    job.log = at(unit + ".log");
    job.info = launch({nvcc, "-O3", "-std=c++17", "-Xcompiler", "-fPIC",
                       "-gencode", gencode, "-gencode",
                       "arch=compute_90,code=compute_90", "-I",
                       at("src/runtime"), "-I", at("src/include"), "-c",
                       at(unit), "-o", job.object},
                      job.log);
    jobs.push_back(std::move(job));
  }
  bool ok = true;
  for (Job &job : jobs)
    ok &= succeeded(waitFor(job.info, job.log, job.object));
  if (!ok)
    return failure();
  std::vector<std::string> link = {nvcc, "-shared", "-o", at("libmodel.so")};
  for (Job &job : jobs)
    link.push_back(job.object);
  link.insert(link.end(), {"-lcublasLt", "-lcublas"});
  std::string log = at("build.log");
  if (failed(waitFor(launch(link, log), log, "the link of libmodel.so")))
    return failure();
  // The objects and their (empty on success) logs are not part of the model.
  for (Job &job : jobs) {
    llvm::sys::fs::remove(job.object);
    llvm::sys::fs::remove(job.log);
  }
  llvm::sys::fs::remove(log);
  return success();
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  sieve::registerSievePasses();
  sieve::registerSieveKernelPasses();
  cl::HideUnrelatedOptions({&category});
  cl::ParseCommandLineOptions(
      argc, argv,
      "sieve-compile: compile an ONNX model into a folder that runs on "
      "NVIDIA GPUs\n\n"
      "  sieve-compile model.onnx -o model.sieve\n"
      "  sieve-compile raised.mlir -o model.sieve --dtype bf16 --no-build\n\n"
      "The folder holds manifest.json, weights.bin, model.mlir (the kernel\n"
      "level), src/ (model.cu and the runtime sources) and libmodel.so; run\n"
      "it with `sieve-run model.sieve`.\n");

  if (dtype != "f16" && dtype != "bf16")
    fail("--dtype must be f16 or bf16, not '" + dtype + "'");
  if (kvBlockSize < 8 || kvBlockSize > 256 ||
      !llvm::isPowerOf2_64(kvBlockSize))
    fail("--kv-block-size must be a power of two from 8 to 256");
  StringRef ext = llvm::sys::path::extension(inputPath);
  if (ext != ".onnx" && ext != ".mlir")
    fail("'" + inputPath + "': unknown model kind (expected .onnx or .mlir)");
  if (!llvm::sys::fs::exists(inputPath))
    fail("'" + inputPath + "': no such file");
  if (llvm::sys::fs::exists(outputPath) &&
      !llvm::sys::fs::exists(outputPath + "/manifest.json"))
    fail("'" + outputPath + "' exists and is not a compiled model; refusing "
         "to replace it");
  std::string nvcc = noBuild ? "" : findNvcc();

  DialectRegistry registry;
  sieve::registerImportDialects(registry);
  registry.insert<sieve::SieveDialect, k::KernelDialect>();
  MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Remark)
      return success();
    std::string where;
    if (auto loc = dyn_cast<FileLineColLoc>(diag.getLocation()))
      where = llvm::formatv("{0}:{1}: ", loc.getFilename().getValue(),
                            loc.getLine());
    else if (auto name = dyn_cast<NameLoc>(diag.getLocation()))
      where = "node '" + name.getName().str() + "': ";
    llvm::errs() << "\nsieve-compile: "
                 << (diag.getSeverity() == DiagnosticSeverity::Error
                         ? "error: "
                         : "note: ")
                 << where << diag.str() << "\n";
    return success();
  });

  Stages stages;
  stages.begin("import");
  OwningOpRef<ModuleOp> module;
  if (ext == ".onnx") {
    module = sieve::importONNXModel(inputPath, &context);
  } else {
    llvm::SourceMgr sourceMgr;
    module = parseSourceFile<ModuleOp>(inputPath, sourceMgr,
                                       ParserConfig(&context));
  }
  if (!module)
    return 1;
  std::string modelDir;
  if (auto dir = (*module)->getAttrOfType<StringAttr>("onnx.model_dir"))
    modelDir = dir.getValue().str();
  else
    modelDir = llvm::sys::path::parent_path(inputPath).str();
  if (modelDir.empty())
    modelDir = ".";
  stages.end();

  // Raise unless the input already is a sieve.model.
  bool raised = false;
  module->walk([&](sieve::ModelOp) { raised = true; });
  std::string pipeline;
  auto runPasses = [&](StringRef stage, StringRef text) {
    stages.begin(stage);
    PassManager pm = PassManager::on<ModuleOp>(&context);
    if (failed(parsePassPipeline(text, pm)))
      fail("invalid pass pipeline '" + text + "'");
    if (!pipeline.empty())
      pipeline += ",";
    std::string printed;
    llvm::raw_string_ostream os(printed);
    pm.printAsTextualPipeline(os);
    pipeline += printed;
    if (failed(pm.run(*module)))
      fail(stage + " failed (see the errors above)");
    stages.end();
  };
  if (!raised) {
    runPasses("raise", "sieve-simplify,sieve-raise");
    module->walk([&](sieve::ModelOp) { raised = true; });
    if (!raised)
      fail("raising formed no sieve.model: this model's structure is not "
           "recognized (sieve-opt --sieve-simplify --sieve-raise shows what "
           "was raised)");
  }
  if (!skipLayers.empty())
    runPasses("skip", "sieve-skip-layers{" + skipLayers + "}");
  if (!passes.empty())
    runPasses("passes", passes);
  if (!pruneTokens.empty())
    runPasses("prune-tokens", "sieve-prune-tokens{" + pruneTokens + "}");
  if (!evictKV.empty())
    runPasses("evict-kv", "sieve-evict-kv{" + evictKV + "}");
  // The quantized arrays are read again when weights.bin is packed; a file
  // sieve-compile chose is removed when it exits.
  auto removeQuantFile = llvm::make_scope_exit([&] {
    if (!tempQuantFile.empty())
      llvm::sys::fs::remove(tempQuantFile);
  });
  if (!quantize.empty()) {
    std::string options = quantize;
    if (StringRef(options).find("weights-file=") == StringRef::npos) {
      SmallString<256> path(outputPath + ".quant.bin");
      llvm::sys::fs::make_absolute(path);
      tempQuantFile = path.str().str();
      options += " weights-file=" + tempQuantFile;
    }
    runPasses("quantize", "sieve-quantize{" + options + "}");
  }
  std::string name = modelName.empty()
                         ? llvm::sys::path::stem(inputPath).str()
                         : modelName.getValue();
  std::string lowering = llvm::formatv("sieve-lower-to-kernels{{"
                                       "dtype={0} kv-block-size={1} name={2}}",
                                       dtype, kvBlockSize.getValue(), name)
                             .str();
  auto theProgram = [&](ModuleOp m) {
    auto programs = llvm::to_vector(m.getOps<k::ProgramOp>());
    if (programs.size() != 1)
      fail("lowering produced no kernel.program");
    return programs.front();
  };
  // The decode step's fusions, then buffer planning.
  if (!decodeFusion && decodeFusionNorms.getNumOccurrences())
    fail("--decode-fusion-norms applies with --decode-fusion only");
  std::string plan = "sieve-plan-buffers";
  if (decodeFusion)
    plan = (decodeFusionNorms ? "sieve-fuse-decode," : "sieve-fuse-decode{norms=false},") + plan;
  if (selfSpeculative.empty()) {
    runPasses("lower", lowering + "," + plan);
  } else {
    // The draft: a pruned clone, lowered alone, its decode step grafted
    // into the full program before the buffers are planned.
    stages.begin("draft");
    llvm::Expected<sieve::SpeculativeSpec> spec =
        sieve::parseSpeculativeSpec(selfSpeculative);
    if (!spec)
      fail("--self-speculative: " + llvm::toString(spec.takeError()));
    FailureOr<OwningOpRef<ModuleOp>> clone =
        sieve::pruneDraftClone(*module, spec->skipLayersOptions);
    if (failed(clone))
      fail("--self-speculative: choosing the draft failed (see the errors "
           "above)");
    FailureOr<SmallVector<int64_t>> kvMap =
        sieve::draftKvLayerMap(*module, **clone);
    if (failed(kvMap))
      fail("--self-speculative: the draft's attention layers are not "
           "layers of the model");
    Builder b(&context);
    auto removed = (**clone)->getAttrOfType<ArrayAttr>("sieve.removed");
    (*module)->setAttr(
        "sieve.draft",
        b.getDictionaryAttr(
            {b.getNamedAttr("tokens", b.getI64IntegerAttr(spec->draftTokens)),
             b.getNamedAttr("removed", removed)}));
    PassManager pm = PassManager::on<ModuleOp>(&context);
    if (failed(parsePassPipeline(lowering, pm)) || failed(pm.run(**clone)))
      fail("lowering the draft failed (see the errors above)");
    stages.end(llvm::formatv("{0} draft tokens, {1} layers/blocks skipped",
                             spec->draftTokens, removed.size())
                   .str());
    runPasses("lower", lowering);
    if (failed(sieve::addDraftEntry(theProgram(*module), theProgram(**clone),
                                    *kvMap)))
      fail("grafting the draft failed (see the errors above)");
    runPasses("plan", plan);
  }
  k::ProgramOp program = theProgram(*module);
  // Launches nvcc cannot instantiate are refused here, naming them, rather
  // than by a static_assert in the build; --no-build still writes them out.
  if (!noBuild && failed(sieve::checkBuildable(program)))
    fail("this model has no GPU build (see the error above; --no-build "
         "writes its sources and weights without building)");

  // Assemble beside the destination, then move into place.
  SmallString<256> staging(outputPath);
  staging += ".partial";
  llvm::sys::fs::remove_directories(staging);
  if (std::error_code ec = llvm::sys::fs::create_directories(staging))
    fail("cannot create '" + staging + "': " + ec.message());
  auto cleanupOnExit = llvm::make_scope_exit(
      [&] { llvm::sys::fs::remove_directories(staging); });
  auto at = [&](StringRef rel) {
    SmallString<256> p(staging);
    llvm::sys::path::append(p, rel);
    return std::string(p);
  };

  stages.begin("emit");
  std::string source;
  {
    llvm::raw_string_ostream os(source);
    if (failed(sieve::emitCUDA(program, os)))
      fail("CUDA emission failed");
  }
  writeFile(at("src/model.cu"), source);
  for (const EmbeddedFile &f : kRuntimeFiles)
    writeFile(at(std::string("src/") + f.path), f.content);
  {
    std::string ir;
    llvm::raw_string_ostream os(ir);
    OpPrintingFlags flags;
    flags.elideLargeElementsAttrs(16).elideLargeResourceString(64);
    module->print(os, flags);
    writeFile(at("model.mlir"), ir);
  }
  size_t launches = 0, draftLaunches = 0;
  for (auto entry : program.getBody().getOps<k::EntryOp>()) {
    if (entry.getSymName() == "decode")
      launches = entry.getBody().front().getOperations().size();
    if (entry.getSymName() == "draft")
      draftLaunches = entry.getBody().front().getOperations().size();
  }
  std::string detail =
      llvm::formatv("{0} launches per decode step", launches).str();
  if (draftLaunches)
    detail += llvm::formatv(", {0} per draft step", draftLaunches).str();
  stages.end(detail);

  stages.begin("weights");
  uint64_t total = program.getWeightsBytes();
  if (failed(sieve::writeWeights(
          program, modelDir, at("weights.bin"), [&](uint64_t done, uint64_t) {
            if (!quiet && total > (256u << 20))
              llvm::errs() << llvm::formatv("\rsieve-compile: weights    ... "
                                            "{0:f1}% of {1} MB",
                                            100.0 * done / total, total >> 20);
          })))
    fail("packing the weights failed");
  if (!quiet && total > (256u << 20))
    llvm::errs() << "\rsieve-compile: weights    ...";
  stages.end(llvm::formatv("{0:f1} MB", total / 1048576.0).str());

  if (!noBuild) {
    stages.begin("nvcc");
    if (!StringRef(arch).starts_with("sm_"))
      fail("--arch must look like sm_90a, not '" + arch + "'");
    if (failed(buildLibrary(nvcc, at)))
      return 1;
    stages.end();
  }

  std::string text;
  {
    llvm::raw_string_ostream os(text);
    os << llvm::formatv("{0:2}",
                        llvm::json::Value(manifest(program, pipeline, stages,
                                                   *module)))
       << "\n";
  }
  writeFile(at("manifest.json"), text);
  if (llvm::sys::fs::exists(outputPath))
    llvm::sys::fs::remove_directories(outputPath);
  if (std::error_code ec = llvm::sys::fs::rename(staging, outputPath))
    fail("cannot move '" + staging + "' to '" + outputPath +
         "': " + ec.message());
  cleanupOnExit.release();
  if (!quiet)
    llvm::errs() << "sieve-compile: wrote " << outputPath << "\n";
  return 0;
}
