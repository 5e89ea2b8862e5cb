//===- EmitCUDA.cpp - kernel.program -> model.cu --------------------------===//
//
// A translation, not a compiler: every launch becomes one call of the
// launcher of the same name in runtime/sieve_kernels.cuh, with the planned
// buffer and weight addresses. The only decisions (what to fuse, where
// buffers live) were made on the kernel level.
//
//===----------------------------------------------------------------------===//

#include "sieve/Codegen/Codegen.h"
#include "sieve/Dialect/Sieve/SieveOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/Format.h"

using namespace mlir;
using namespace sieve;
namespace k = sieve::kernel;

LogicalResult sieve::checkBuildable(k::ProgramOp program) {
  Operation *first = nullptr;
  int64_t count = 0, headDim = 0;
  program.walk([&](Operation *op) {
    auto check = [&](auto attn) {
      if (k::hasAttentionKernel(attn.getHeadDim()))
        return;
      if (!first) {
        first = op;
        headDim = attn.getHeadDim();
      }
      ++count;
    };
    if (auto prefill = dyn_cast<k::AttentionPrefillOp>(op))
      check(prefill);
    else if (auto decode = dyn_cast<k::AttentionDecodeOp>(op))
      check(decode);
  });
  if (!first)
    return success();
  InFlightDiagnostic diag = first->emitError("no GPU kernel for head_dim ")
                            << headDim << ": '" << first->getName()
                            << "' of KV layer "
                            << first->getAttrOfType<IntegerAttr>("layer").getInt();
  if (count > 1)
    diag << " and " << count - 1 << " more attention launches need it";
  return diag << "; the CUDA attention kernels take head_dim "
              << k::kAttentionHeadDims;
}

int64_t sieve::arenaBytesPerToken(k::ProgramOp program) {
  int64_t end = 0;
  for (auto buf : program.getBody().getOps<k::BufferOp>())
    if (buf.getOffset())
      end = std::max<int64_t>(end, *buf.getOffset() + buf.getRowBytes());
  return end;
}

int64_t sieve::quantActBytesPerToken(k::ProgramOp program) {
  int64_t bytes = 0;
  for (auto entry : program.getBody().getOps<k::EntryOp>())
    for (auto g : entry.getBody().getOps<k::GemmQuantOp>())
      if (g.getFormat().getKind() == sieve::QuantKind::fp8)
        bytes = std::max<int64_t>(bytes, g.getK() * program.getElementBytes());
  return (bytes + 255) / 256 * 256;
}

int64_t sieve::quantScratchBytes(k::ProgramOp program) {
  int64_t bytes = 0;
  for (auto entry : program.getBody().getOps<k::EntryOp>())
    for (auto g : entry.getBody().getOps<k::GemmQuantOp>())
      bytes = std::max(bytes, g.getScratchBytes(program.getElementBytes()));
  return (bytes + 255) / 256 * 256;
}

namespace {

/// A C++ identifier for a symbol: `@l0.normed` -> `b_l0_normed`.
std::string identifier(StringRef prefix, StringRef sym) {
  std::string id = prefix.str();
  for (char c : sym)
    id += llvm::isAlnum(c) ? c : '_';
  return id;
}

std::string floatLiteral(float v) {
  // %a round-trips exactly; C++17 accepts hexadecimal floating literals.
  char buf[64];
  snprintf(buf, sizeof buf, "%af", v);
  return buf;
}

const char *activationName(sieve::Activation a) {
  switch (a) {
  case sieve::Activation::silu:
    return "Activation::Silu";
  case sieve::Activation::gelu:
    return "Activation::Gelu";
  case sieve::Activation::gelu_tanh:
    return "Activation::GeluTanh";
  case sieve::Activation::relu:
    return "Activation::Relu";
  }
  llvm_unreachable("unknown activation");
}

/// The runtime's KVFormat enumerator of a program's KV-cache format.
const char *kvFormatName(sieve::KVAttr kv) {
  if (!kv)
    return "Dense";
  switch (kv.getKind()) {
  case sieve::QuantKind::int8:
    return "Int8";
  case sieve::QuantKind::fp8:
    return "FP8";
  case sieve::QuantKind::int4:
    return "Int4"; // groups of ModelInfo::kv_group values
  }
  llvm_unreachable("unknown KV-cache format");
}

class Emitter {
public:
  Emitter(k::ProgramOp program, raw_ostream &os)
      : program(program), table(program), os(os) {}

  LogicalResult emit();

private:
  LogicalResult emitEntry(k::EntryOp entry, StringRef function);
  LogicalResult emitLaunch(Operation *op);
  LogicalResult emitFilterInfo(k::EntryOp filterEntry);
  LogicalResult emitEvictInfo(k::EntryOp prefillEntry);

  /// `b_name` for a buffer; for a weight, its typed address with the symbol
  /// as a comment; `nullptr` for an absent optional reference.
  std::string buf(FlatSymbolRefAttr ref) {
    return ref ? identifier("b_", ref.getValue()) : "nullptr";
  }
  std::string weight(FlatSymbolRefAttr ref, StringRef type = "T") {
    if (!ref)
      return "nullptr";
    auto w = table.lookup<k::WeightOp>(ref.getValue());
    return ("weight<" + type + ">(a, " + Twine(w.getOffset()) + ") /* " +
            ref.getValue() + " */")
        .str();
  }

  k::ProgramOp program;
  SymbolTable table;
  raw_ostream &os;
};

} // namespace

LogicalResult Emitter::emit() {
  for (auto buffer : program.getBody().getOps<k::BufferOp>())
    if (!buffer.getOffset())
      return buffer.emitOpError("is not planned (run --sieve-plan-buffers)");
  bool bf16 = program.getDtype().isBF16();
  os << "// Generated by sieve from kernel.program @" << program.getSymName()
     << ". Do not edit: recompile the model instead.\n"
     << "#include \"sieve_kernels.cuh\"\n"
     << "#include \"sieve/Runtime/sieve_runtime.h\"\n\n"
     << "using namespace sieve::rt;\n\n"
     << "namespace {\n"
     << "using T = " << (bf16 ? "__nv_bfloat16" : "half") << ";\n\n"
     << "constexpr ModelInfo kInfo = {\n"
     << "    /*abi_version=*/SIEVE_RUNTIME_ABI_VERSION,\n"
     << "    /*dtype=*/DType::" << (bf16 ? "BF16" : "F16") << ",\n"
     << "    /*vocab_size=*/" << program.getVocabSize() << ",\n"
     << "    /*hidden_size=*/" << program.getHiddenSize() << ",\n"
     << "    /*num_layers=*/" << program.getNumLayers() << ",\n"
     << "    /*num_kv_layers=*/" << program.getNumKvLayers() << ",\n"
     << "    /*num_kv_heads=*/" << program.getNumKvHeads() << ",\n"
     << "    /*head_dim=*/" << program.getHeadDim() << ",\n"
     << "    /*num_heads=*/" << program.getNumHeads() << ",\n"
     << "    /*kv_block_size=*/" << program.getKvBlockSize() << ",\n"
     << "    /*kv_format=*/KVFormat::" << kvFormatName(program.getKvAttr())
     << ",\n"
     << "    /*kv_vector_bytes=*/" << program.getKvVectorBytes() << ",\n"
     << "    /*kv_group=*/" << program.getKvGroup() << ",\n"
     << "    /*weights_bytes=*/" << program.getWeightsBytes() << "ull,\n"
     << "    /*act_bytes_per_token=*/"
     << arenaBytesPerToken(program) + quantActBytesPerToken(program)
     << "ull,\n"
     << "    /*act_bytes_fixed=*/" << quantScratchBytes(program) << "ull,\n"
     << "    /*name=*/\"" << program.getSymName() << "\",\n"
     << "};\n\n"
     << "template <typename E>\n"
     << "const E *weight(const StepArgs &a, size_t offset) {\n"
     << "  return reinterpret_cast<const E *>(a.weights + offset);\n"
     << "}\n"
     << "T *buffer(const StepArgs &a, size_t bytesPerToken) {\n"
     << "  return reinterpret_cast<T *>(a.act + bytesPerToken * a.max_tokens);\n"
     << "}\n"
     << "constexpr KVFormat kKV = KVFormat::"
     << kvFormatName(program.getKvAttr()) << ";\n"
     << "using KV = KVCache<T, kKV>::Code;\n"
     << "// Values per KV scale (the int4 group; head_dim otherwise).\n"
     << "constexpr int kKVGroup = " << program.getKvGroup() << ";\n"
     << "KV *kCache(const StepArgs &a, int layer) {\n"
     << "  return static_cast<KV *>(a.k_cache[layer]);\n"
     << "}\n"
     << "KV *vCache(const StepArgs &a, int layer) {\n"
     << "  return static_cast<KV *>(a.v_cache[layer]);\n"
     << "}\n"
     << "} // namespace\n\n"
     << "extern \"C\" const ModelInfo *sieve_generated_info(void) {\n"
     << "  return &kInfo;\n}\n";
  k::EntryOp filterEntry, prefillEntry;
  for (auto entry : program.getBody().getOps<k::EntryOp>()) {
    StringRef name = entry.getSymName();
    if (name != "prefill" && name != "decode" && name != "draft" &&
        name != "filter")
      return entry.emitOpError("is not @prefill, @decode, @draft or @filter, "
                               "the entry points the runtime calls");
    if (name == "filter")
      filterEntry = entry;
    if (name == "prefill")
      prefillEntry = entry;
    if (failed(emitEntry(entry, ("sieve_generated_" + name).str())))
      return failure();
  }
  if (failed(emitFilterInfo(filterEntry)))
    return failure();
  return emitEvictInfo(prefillEntry);
}

/// The KV eviction policy for the runtime. The kv_mass launches only
/// collect the mass; without the policy the runtime would never compact,
/// so the two must come together. SnapKV collects in @prefill from the
/// last `window` rows; H2O from every row (`all_rows`), in @prefill and
/// @decode.
LogicalResult Emitter::emitEvictInfo(k::EntryOp prefillEntry) {
  auto evict = program->getAttrOfType<sieve::KVEvictAttr>("sieve.kv_evict");
  bool h2o = evict && evict.getMethod() == "h2o";
  bool collects = false;
  for (auto entry : program.getBody().getOps<k::EntryOp>())
    for (Operation &op : entry.getBody().front())
      if (auto mass = dyn_cast<k::KVMassOp>(op)) {
        bool decode = h2o && entry.getSymName() == "decode";
        if (entry != prefillEntry && !decode)
          return op.emitOpError("outside @prefill")
                 << (h2o ? " and @decode" : "")
                 << ": the runtime collects the mass of a prompt's prefill"
                 << (h2o ? " and of the decode steps only" : " only");
        if (evict && mass.getAllRows() != h2o)
          return op.emitOpError(h2o ? "must take all rows (all_rows) under "
                                      "method=h2o"
                                    : "takes all rows (all_rows), which "
                                      "only method=h2o collects");
        collects = true;
      }
  if (collects != bool(evict))
    return program.emitOpError("has ")
           << (collects ? "kv_mass launches without"
                        : "no kv_mass launch for")
           << " its sieve.kv_evict attribute";
  if (!evict) {
    os << "\nextern \"C\" const EvictInfo *sieve_generated_evict_info(void) "
          "{\n  return nullptr;\n}\n";
    return success();
  }
  if (evict.getMethod() != "snapkv" && !h2o)
    return program.emitOpError("has KV eviction method '")
           << evict.getMethod() << "', which the runtime does not run "
           << "(snapkv, h2o)";
  os << "\nnamespace {\nconstexpr EvictInfo kEvict = {EvictMethod::"
     << (h2o ? "H2O" : "SnapKV") << ", "
     << "/*budget=*/" << evict.getBudget() << ", /*window=*/"
     << evict.getWindow() << ", /*pool=*/" << evict.getPool()
     << ", EvictScope::" << (evict.getScope() == "layer" ? "Layer" : "Head")
     << "};\n} // namespace\n"
     << "extern \"C\" const EvictInfo *sieve_generated_evict_info(void) "
        "{\n  return &kEvict;\n}\n";
  return success();
}

/// 1 + the largest KV layer an op of `entry` reads or writes. Every kernel
/// op that touches the KV cache (rotary_kv_append, attention_prefill,
/// attention_decode, token_scores) names its cache in `layer`: the KV
/// layer index, which layer skipping has already remapped.
static int64_t kvLayersUsed(k::EntryOp entry) {
  int64_t used = 0;
  for (Operation &op : entry.getBody().front())
    if (auto layer = op.getAttrOfType<IntegerAttr>("layer"))
      used = std::max(used, layer.getInt() + 1);
  return used;
}

LogicalResult Emitter::emitFilterInfo(k::EntryOp filterEntry) {
  auto filter = program->getAttrOfType<sieve::TokenFilterAttr>(
      "sieve.token_filter");
  if (bool(filterEntry) != bool(filter))
    return program.emitOpError("has ")
           << (filterEntry ? "a @filter entry without"
                           : "no @filter entry for")
           << " its sieve.token_filter attribute";
  if (!filter) {
    os << "\nextern \"C\" const FilterInfo *sieve_generated_filter_info(void) "
          "{\n  return nullptr;\n}\n"
       << "extern \"C\" cudaError_t sieve_generated_filter(const StepArgs *) "
          "{\n  return cudaErrorNotSupported;\n}\n";
    return success();
  }
  // The runtime sizes the filter pass's transient KV cache by this count.
  int64_t kvLayers = kvLayersUsed(filterEntry);
  if (kvLayers < 1)
    return filterEntry.emitOpError("touches no KV layer: it cannot score "
                                   "tokens");
  os << "\nnamespace {\nconstexpr FilterInfo kFilter = {/*k=*/"
     << filter.getK() << ", /*pool=*/" << filter.getPool() << ", /*window=*/"
     << filter.getWindow() << ", /*block=*/" << filter.getBlock()
     << ", /*num_kv_layers=*/" << kvLayers << "};\n} // namespace\n"
     << "extern \"C\" const FilterInfo *sieve_generated_filter_info(void) "
        "{\n  return &kFilter;\n}\n";
  return success();
}

LogicalResult Emitter::emitEntry(k::EntryOp entry, StringRef function) {
  os << "\nextern \"C\" cudaError_t " << function
     << "(const StepArgs *args) {\n"
     << "  const StepArgs &a = *args;\n";
  // The buffers this entry touches, at their planned places.
  llvm::SetVector<StringRef> used;
  for (Operation &op : entry.getBody().front())
    for (NamedAttribute attr : op.getAttrs())
      if (auto ref = dyn_cast<FlatSymbolRefAttr>(attr.getValue()))
        if (table.lookup<k::BufferOp>(ref.getValue()))
          used.insert(ref.getValue());
  for (StringRef name : used) {
    auto b = table.lookup<k::BufferOp>(name);
    os << "  T *const " << identifier("b_", name) << " = buffer(a, "
       << *b.getOffset() << ");\n";
  }
  for (Operation &op : entry.getBody().front())
    if (failed(emitLaunch(&op)))
      return failure();
  os << "  return cudaGetLastError();\n}\n";
  return success();
}

LogicalResult Emitter::emitLaunch(Operation *op) {
  int64_t hidden = program.getHiddenSize();
  int64_t block = program.getKvBlockSize();
  os << "  ";
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](k::EmbeddingOp e) {
        os << "embedding<T>(a.stream, a.tokens, " << weight(e.getTableAttr())
           << ", " << floatLiteral(e.getScale().convertToFloat()) << ", "
           << weight(e.getPositionsAttr()) << ", a.positions, "
           << buf(e.getOutAttr()) << ", a.num_tokens, " << hidden << ");\n";
        return success();
      })
      .Case([&](k::RMSNormOp n) {
        os << "add_rms_norm<T>(a.stream, " << buf(n.getAAttr()) << ", "
           << buf(n.getBAttr()) << ", " << buf(n.getSumAttr()) << ", "
           << weight(n.getWeightAttr()) << ", "
           << floatLiteral(n.getWeightOffset().convertToFloat()) << ", "
           << floatLiteral(n.getEpsilon().convertToFloat()) << ", "
           << buf(n.getOutAttr()) << ", a.num_tokens, " << hidden << ");\n";
        return success();
      })
      .Case([&](k::LayerNormOp n) {
        os << "add_layer_norm<T>(a.stream, " << buf(n.getAAttr()) << ", "
           << buf(n.getBAttr()) << ", " << buf(n.getSumAttr()) << ", "
           << weight(n.getWeightAttr()) << ", " << weight(n.getBiasAttr())
           << ", " << floatLiteral(n.getEpsilon().convertToFloat()) << ", "
           << buf(n.getOutAttr()) << ", a.num_tokens, " << hidden << ");\n";
        return success();
      })
      .Case([&](k::AddOp add) {
        os << "add<T>(a.stream, " << buf(add.getAAttr()) << ", "
           << buf(add.getBAttr()) << ", " << buf(add.getOutAttr())
           << ", int64_t(a.num_tokens) * " << add.getCols() << ");\n";
        return success();
      })
      .Case([&](k::GemmOp g) {
        if (g.writesLogits())
          os << "gemm<T, float>(a, " << buf(g.getInAttr()) << ", "
             << weight(g.getWeightAttr()) << ", " << weight(g.getBiasAttr())
             << ", a.logits, a.num_logit_rows, ";
        else
          os << "gemm<T, T>(a, " << buf(g.getInAttr()) << ", "
             << weight(g.getWeightAttr()) << ", " << weight(g.getBiasAttr())
             << ", " << buf(g.getOutAttr()) << ", a.num_tokens, ";
        os << g.getN() << ", " << g.getK() << ");\n";
        return success();
      })
      .Case([&](k::FusedGemmOp g) {
        std::string prologue = "no_prologue<T>()";
        if (g.getNormAttr())
          prologue = "rms_norm_prologue<T>(" + weight(g.getNormAttr()) + ", " +
                     floatLiteral(g.getWeightOffset()->convertToFloat()) +
                     ", " + floatLiteral(g.getEpsilon()->convertToFloat()) +
                     ", " + buf(g.getStagedAttr()) + ")";
        else if (auto act = g.getGlu())
          prologue = (Twine("glu_prologue<T>(") + Twine(*g.getLd()) + ", " +
                      Twine(*g.getGateOffset()) + ", " +
                      Twine(*g.getUpOffset()) + ", " + activationName(*act) +
                      ", " + buf(g.getStagedAttr()) + ")")
                         .str();
        os << "fused_gemm<T>(a, " << buf(g.getInAttr()) << ", " << prologue
           << ", " << weight(g.getWeightAttr()) << ", "
           << weight(g.getBiasAttr()) << ", " << buf(g.getResidualAttr())
           << ", " << buf(g.getOutAttr()) << ", a.num_tokens, " << g.getN()
           << ", " << g.getK() << ");\n";
        return success();
      })
      .Case([&](k::GemmQuantOp g) {
        // The per-token arena rows end with the fp8 activations' scratch
        // (quantActBytesPerToken); the dequantized weight (rows > 16) goes
        // to the fixed part after them.
        sieve::QuantKind kind = g.getFormat().getKind();
        bool int4 = kind == sieve::QuantKind::int4;
        const char *name = int4 ? "Int4"
                           : kind == sieve::QuantKind::int8 ? "Int8"
                                                            : "FP8";
        std::string q =
            (Twine("QuantWeight{QuantFormat::") + name + ", " +
             weight(g.getCodesAttr(), "uint8_t") + ", " +
             weight(g.getScalesAttr(), int4 ? "half" : "float") + ", " +
             weight(g.getZerosAttr(), "uint8_t") + ", " +
             Twine(g.getFormat().getGroup()) + "}")
                .str();
        if (g.writesLogits())
          os << "gemm_quant<T, float>(a, " << buf(g.getInAttr()) << ", " << q
             << ", " << weight(g.getBiasAttr()) << ", a.logits, a.num_logit_rows, ";
        else
          os << "gemm_quant<T, T>(a, " << buf(g.getInAttr()) << ", " << q
             << ", " << weight(g.getBiasAttr()) << ", " << buf(g.getOutAttr())
             << (g.getOutColumn() ? " + " + std::to_string(g.getOutColumn())
                                  : std::string())
             << ", a.num_tokens, ";
        int64_t arena = arenaBytesPerToken(program);
        os << g.getN() << ", " << g.getK() << ", buffer(a, "
           << arena + quantActBytesPerToken(program) << "), buffer(a, "
           << arena << ")";
        // A column range of wider rows (unstacked projections).
        if (g.getOutLd())
          os << ", " << g.getOutRowElements();
        os << ");\n";
        return success();
      })
      .Case([&](k::ScaleColumnsOp sc) {
        os << "scale_columns<T>(a.stream, " << buf(sc.getInAttr()) << ", "
           << weight(sc.getScalesAttr(), "float") << ", "
           << buf(sc.getOutAttr()) << ", "
           << (sc.getLogitRows() ? "a.num_logit_rows" : "a.num_tokens")
           << ", " << sc.getCols() << ");\n";
        return success();
      })
      .Case([&](k::GatherRowsOp g) {
        os << "gather_rows<T>(a.stream, " << buf(g.getInAttr())
           << ", a.logit_rows, a.num_logit_rows, " << g.getCols() << ", "
           << buf(g.getOutAttr()) << ");\n";
        return success();
      })
      .Case([&](k::RotaryKVAppendOp r) {
        std::string style = "RotaryStyle::None";
        if (auto s = r.getStyle())
          style = *s == sieve::RotaryStyle::half ? "RotaryStyle::Half"
                                                 : "RotaryStyle::Interleaved";
        os << "rotary_kv_append<T, kKV>(a, " << buf(r.getQkvAttr()) << ", "
           << r.getLd() << ", " << r.getQOffset() << ", " << r.getKOffset()
           << ", " << r.getVOffset() << ", " << r.getNumHeads() << ", "
           << r.getNumKvHeads() << ", " << r.getHeadDim() << ", "
           << r.getRotaryDim() << ", " << style << ", "
           << weight(r.getInvFreqAttr(), "float") << ", "
           << floatLiteral(r.getAttentionScaling().convertToFloat()) << ", "
           << buf(r.getQOutAttr()) << ", kCache(a, " << r.getLayer()
           << "), vCache(a, " << r.getLayer() << "), " << block
           << ", kKVGroup);\n";
        return success();
      })
      .Case<k::AttentionPrefillOp, k::AttentionDecodeOp>([&](auto attn) {
        bool decode = isa<k::AttentionDecodeOp>(op);
        os << (decode ? "attention_decode" : "attention_prefill") << "<T, "
           << attn.getHeadDim() << ", kKV>(a, " << buf(attn.getQAttr())
           << ", kCache(a, " << attn.getLayer() << "), vCache(a, "
           << attn.getLayer() << "), " << buf(attn.getOutAttr()) << ", "
           << attn.getNumHeads() << ", " << attn.getNumKvHeads() << ", "
           << floatLiteral(attn.getScale().convertToFloat()) << ", " << block
           << ", kKVGroup);\n";
        return success();
      })
      .Case([&](k::TokenScoresOp t) {
        os << "token_scores<T, " << t.getHeadDim() << ">(a, "
           << buf(t.getQAttr()) << ", kCache(a, " << t.getLayer() << "), "
           << t.getNumHeads() << ", " << t.getNumKvHeads() << ", "
           << floatLiteral(t.getScale().convertToFloat()) << ", " << block
           << ", " << t.getWindow() << ", a.logits);\n";
        return success();
      })
      .Case([&](k::KVMassOp m) {
        os << "kv_mass<T, " << m.getHeadDim() << ">(a, " << buf(m.getQAttr())
           << ", kCache(a, " << m.getLayer() << "), " << m.getNumHeads()
           << ", " << m.getNumKvHeads() << ", "
           << floatLiteral(m.getScale().convertToFloat()) << ", " << block
           << ", " << m.getWindow() << ", " << m.getLayer()
           << (m.getAllRows() ? ", /*all_rows=*/true" : "") << ");\n";
        return success();
      })
      .Case([&](k::GLUOp g) {
        os << "glu<T>(a.stream, " << buf(g.getXAttr()) << ", " << g.getLd()
           << ", " << g.getGateOffset() << ", " << g.getUpOffset() << ", "
           << g.getWidth() << ", " << activationName(g.getActivation())
           << ", " << buf(g.getOutAttr()) << ", a.num_tokens);\n";
        return success();
      })
      .Case([&](k::ActivationOp act) {
        os << "activation<T>(a.stream, " << buf(act.getXAttr())
           << ", int64_t(a.num_tokens) * " << act.getCols() << ", "
           << activationName(act.getActivation()) << ");\n";
        return success();
      })
      .Default([&](Operation *other) {
        return other->emitOpError("has no CUDA translation");
      });
}

LogicalResult sieve::emitCUDA(k::ProgramOp program, raw_ostream &os) {
  return Emitter(program, os).emit();
}
