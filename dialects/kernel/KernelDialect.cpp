//===- KernelDialect.cpp - the kernel level -------------------------------===//

#include "sieve/Dialect/Kernel/KernelOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace sieve::kernel;

#include "kernel/KernelDialect.cpp.inc"

void KernelDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "kernel/KernelOps.cpp.inc"
      >();
}

static int64_t elementBytes(Type type) {
  return (type.getIntOrFloatBitWidth() + 7) / 8;
}

int64_t ProgramOp::getElementBytes() { return elementBytes(getDtype()); }

int64_t ProgramOp::getKvVectorBytes() {
  sieve::KVAttr kv = getKvAttr();
  if (!kv)
    return int64_t(getHeadDim()) * getElementBytes();
  // uint4 codes, then an f32 scale and a zero-point byte per group.
  if (kv.getKind() == sieve::QuantKind::int4)
    return int64_t(getHeadDim()) / 2 + 5 * (getHeadDim() / getKvGroup());
  // int8 / E4M3 codes (one byte each) and one f32 scale.
  return int64_t(getHeadDim()) + 4;
}

int64_t WeightOp::getByteSize() {
  // Sub-byte codes (ui4) are packed two per byte.
  RankedTensorType type = getTensorType();
  int64_t bits = type.getElementType().getIntOrFloatBitWidth();
  if (bits < 8)
    return (type.getNumElements() * bits + 7) / 8;
  return type.getNumElements() * elementBytes(type.getElementType());
}

/// Shape of one source of a packed weight (external reference or elements).
static FailureOr<RankedTensorType> sourceType(Attribute source) {
  if (auto typed = dyn_cast<TypedAttr>(source))
    if (auto type = dyn_cast<RankedTensorType>(typed.getType()))
      return type;
  return failure();
}

LogicalResult WeightOp::verify() {
  RankedTensorType type = getTensorType();
  if (!type.hasStaticShape() || type.getRank() < 1 || type.getRank() > 2)
    return emitOpError("packs a static 1-D or 2-D tensor, not ") << type;
  if (getOffset() % 256 != 0 || getOffset() > (uint64_t(1) << 62))
    return emitOpError("offset ") << getOffset()
           << " is not a non-negative multiple of 256";
  if (getSources().empty())
    return emitOpError("has no sources");
  int64_t rows = 0;
  for (Attribute source : getSources()) {
    FailureOr<RankedTensorType> st = sourceType(source);
    if (failed(st) || !st->hasStaticShape())
      return emitOpError("source ") << source << " is not a static tensor";
    if (st->getRank() != type.getRank())
      return emitOpError("source rank ") << st->getRank()
             << " differs from the packed rank " << type.getRank();
    ArrayRef<int64_t> shape = st->getShape();
    if (type.getRank() == 1) {
      rows += shape[0];
      continue;
    }
    // A transposed source [in, out] contributes `out` rows of `in` values.
    int64_t sourceRows = getTranspose() ? shape[1] : shape[0];
    int64_t sourceCols = getTranspose() ? shape[0] : shape[1];
    if (sourceCols != type.getDimSize(1))
      return emitOpError("source ") << *st << " has " << sourceCols
             << " columns after packing, the weight has "
             << type.getDimSize(1);
    rows += sourceRows;
  }
  if (rows != type.getDimSize(0))
    return emitOpError("sources stack to ") << rows << " rows, the weight has "
           << type.getDimSize(0);
  return success();
}

LogicalResult BufferOp::verify() {
  if (getRowBytes() <= 0 || getRowBytes() % 256 != 0)
    return emitOpError("row_bytes ") << getRowBytes()
           << " is not a positive multiple of 256";
  if (auto offset = getOffset(); offset && *offset % 256)
    return emitOpError("offset ") << *offset
           << " is not a non-negative multiple of 256";
  return success();
}

std::string sieve::kernel::kvFormatUnsupportedReason(sieve::KVAttr kv,
                                                     int64_t headDim) {
  if (!kv || kv.getKind() != sieve::QuantKind::int4)
    return "";
  int64_t group = kv.getGroup();
  if (group <= 0 || headDim % group)
    return (Twine("its int4 group of ") + Twine(group) +
            " values does not divide head_dim " + Twine(headDim))
        .str();
  if (group % kKVGroupQuantum)
    return (Twine("its int4 group of ") + Twine(group) +
            " values is not a multiple of " + Twine(kKVGroupQuantum) +
            " (the attention kernels dequantize " + Twine(kKVGroupQuantum) +
            " codes per load with one scale and zero point)")
        .str();
  return "";
}

/// What the GPU kernels support of a quantized KV cache: int8 and fp8 (one
/// scale per vector), int4 with groups that divide head_dim in multiples of
/// 8, and head sizes whose vector the append kernel reduces within one CTA
/// of 256 threads in whole warps.
static LogicalResult verifyKVFormat(Operation *op, sieve::KVAttr kv,
                                    int64_t headDim) {
  if (!kv)
    return success();
  if (std::string why = kvFormatUnsupportedReason(kv, headDim); !why.empty())
    return op->emitOpError("KV-cache format ")
           << kv << " has no GPU kernel: " << why;
  if (!hasAttentionKernel(headDim))
    return op->emitOpError("a quantized KV cache needs head_dim ")
           << kAttentionHeadDims << ", not " << headDim;
  return success();
}

LogicalResult RotaryKVAppendOp::verify() {
  if (failed(verifyKVFormat(*this, getKvAttr(), getHeadDim())))
    return failure();
  if (getNumKvHeads() <= 0 || getNumHeads() % getNumKvHeads())
    return emitOpError("num_heads ") << getNumHeads()
           << " is not a multiple of num_kv_heads " << getNumKvHeads();
  if (getRotaryDim() > getHeadDim() || getRotaryDim() % 2)
    return emitOpError("rotary_dim ") << getRotaryDim()
           << " must be even and at most head_dim " << getHeadDim();
  if (getInvFreq().has_value() != getStyle().has_value())
    return emitOpError("takes inv_freq and style together");
  int64_t d = getHeadDim();
  if (getQOffset() + getNumHeads() * d > getLd() ||
      getKOffset() + getNumKvHeads() * d > getLd() ||
      getVOffset() + getNumKvHeads() * d > getLd())
    return emitOpError("query/key/value heads exceed the row of ")
           << getLd() << " elements";
  return success();
}

template <typename AttentionOp>
static LogicalResult verifyAttention(AttentionOp op) {
  if (op.getNumKvHeads() <= 0 || op.getNumHeads() % op.getNumKvHeads())
    return op.emitOpError("num_heads ")
           << op.getNumHeads() << " is not a multiple of num_kv_heads "
           << op.getNumKvHeads();
  return success();
}
/// One prologue at most, each with all of its attributes; a staging
/// buffer exactly when there is a prologue; something fused (else it is a
/// kernel.gemm); no output that aliases an input.
LogicalResult FusedGemmOp::verify() {
  bool norm = static_cast<bool>(getNormAttr()), glu = getGlu().has_value();
  if (norm && glu)
    return emitOpError("fuses both an RMSNorm and a GLU prologue");
  if (norm != (getEpsilon().has_value() && getWeightOffset().has_value()))
    return emitOpError("needs `epsilon` and `weight_offset` exactly with "
                       "`norm`");
  if (glu != (getLd().has_value() && getGateOffset().has_value() &&
              getUpOffset().has_value()))
    return emitOpError("needs `ld`, `gate_offset` and `up_offset` exactly "
                       "with `glu`");
  if ((norm || glu) != static_cast<bool>(getStagedAttr()))
    return emitOpError("needs a `staged` buffer exactly when it has a "
                       "prologue");
  if (!norm && !glu && !getResidualAttr())
    return emitOpError("fuses nothing (use kernel.gemm)");
  if (glu && (*getGateOffset() < 0 || *getUpOffset() < 0 ||
              *getGateOffset() + int64_t(getK()) > int64_t(*getLd()) ||
              *getUpOffset() + int64_t(getK()) > int64_t(*getLd())))
    return emitOpError("gate/up columns exceed the row of ")
           << *getLd() << " elements";
  for (FlatSymbolRefAttr ref : {getInAttr(), getStagedAttr(), getResidualAttr()})
    if (ref == getOutAttr())
      return emitOpError("writes ") << ref << ", which it also reads";
  return success();
}

LogicalResult AttentionPrefillOp::verify() {
  if (failed(verifyKVFormat(*this, getKvAttr(), getHeadDim())))
    return failure();
  return verifyAttention(*this);
}
LogicalResult AttentionDecodeOp::verify() {
  if (failed(verifyKVFormat(*this, getKvAttr(), getHeadDim())))
    return failure();
  return verifyAttention(*this);
}
LogicalResult TokenScoresOp::verify() {
  if (getWindow() < 1)
    return emitOpError("window must be >= 1, got ") << getWindow();
  return verifyAttention(*this);
}
LogicalResult KVMassOp::verify() {
  if (getWindow() < 1)
    return emitOpError("window must be >= 1, got ") << getWindow();
  return verifyAttention(*this);
}

//===----------------------------------------------------------------------===//
// Program verification: every symbol a launch names exists, is of the
// right kind, and is large enough for what the launch reads or writes.
//===----------------------------------------------------------------------===//

namespace {
class LaunchChecker {
public:
  LaunchChecker(ProgramOp program)
      : program(program), table(program), esize(program.getElementBytes()) {}

  /// A buffer holding at least `elements` values of the program's dtype
  /// (or `bytes` when given) per row.
  LogicalResult buffer(Operation *op, FlatSymbolRefAttr ref, int64_t elements,
                       int64_t elementBytes = 0) {
    auto buf = table.lookup<BufferOp>(ref.getValue());
    if (!buf)
      return op->emitOpError("names ") << ref << ", which is not a buffer";
    int64_t need = elements * (elementBytes ? elementBytes : esize);
    if (static_cast<int64_t>(buf.getRowBytes()) < need)
      return op->emitOpError("needs ") << need << " bytes per row of " << ref
             << ", which has " << buf.getRowBytes();
    return success();
  }
  /// A weight of exactly `shape` (element type: dtype unless `f32`).
  LogicalResult weight(Operation *op, FlatSymbolRefAttr ref,
                       ArrayRef<int64_t> shape, bool f32 = false) {
    return typedWeight(op, ref, shape,
                       f32 ? Float32Type::get(op->getContext())
                           : program.getDtype());
  }
  /// A weight of exactly `shape` and element type `want`.
  LogicalResult typedWeight(Operation *op, FlatSymbolRefAttr ref,
                            ArrayRef<int64_t> shape, Type want) {
    auto w = table.lookup<WeightOp>(ref.getValue());
    if (!w)
      return op->emitOpError("names ") << ref << ", which is not a weight";
    RankedTensorType type = w.getTensorType();
    if (type.getShape() != shape || type.getElementType() != want) {
      auto diag = op->emitOpError("expects ") << ref << " of shape [";
      llvm::interleave(shape, diag, "x");
      return diag << "] and element type " << want << ", found " << type;
    }
    return success();
  }
  LogicalResult optBuffer(Operation *op, FlatSymbolRefAttr ref, int64_t n) {
    return ref ? buffer(op, ref, n) : success();
  }

  LogicalResult check(Operation *op) {
    int64_t hidden = program.getHiddenSize();
    return llvm::TypeSwitch<Operation *, LogicalResult>(op)
        .Case([&](EmbeddingOp e) -> LogicalResult {
          int64_t vocab = program.getVocabSize();
          if (failed(weight(op, e.getTableAttr(), {vocab, hidden})) ||
              failed(buffer(op, e.getOutAttr(), hidden)))
            return failure();
          if (auto pos = e.getPositionsAttr()) {
            auto w = table.lookup<WeightOp>(pos.getValue());
            if (!w || w.getTensorType().getRank() != 2 ||
                w.getTensorType().getDimSize(1) != hidden)
              return op->emitOpError("positions ")
                     << pos << " is not a [positions, hidden] weight";
          }
          return success();
        })
        .Case([&](RMSNormOp n) -> LogicalResult {
          if (failed(norm(op, n.getAAttr(), n.getBAttr(), n.getSumAttr(),
                          n.getOutAttr())) ||
              failed(weight(op, n.getWeightAttr(), {hidden})))
            return failure();
          return success();
        })
        .Case([&](LayerNormOp n) -> LogicalResult {
          if (failed(norm(op, n.getAAttr(), n.getBAttr(), n.getSumAttr(),
                          n.getOutAttr())) ||
              failed(weight(op, n.getWeightAttr(), {hidden})))
            return failure();
          if (auto bias = n.getBiasAttr())
            return weight(op, bias, {hidden});
          return success();
        })
        .Case([&](AddOp a) -> LogicalResult {
          if (failed(buffer(op, a.getAAttr(), a.getCols())) ||
              failed(buffer(op, a.getBAttr(), a.getCols())))
            return failure();
          return buffer(op, a.getOutAttr(), a.getCols());
        })
        .Case([&](GemmOp g) -> LogicalResult {
          if (failed(buffer(op, g.getInAttr(), g.getK())) ||
              failed(weight(op, g.getWeightAttr(), {int64_t(g.getN()), int64_t(g.getK())})))
            return failure();
          if (auto bias = g.getBiasAttr())
            if (failed(weight(op, bias, {int64_t(g.getN())})))
              return failure();
          if (g.writesLogits() && g.getN() != program.getVocabSize())
            return op->emitOpError("writes ") << g.getN()
                   << " logits per row, the vocabulary has "
                   << program.getVocabSize();
          return optBuffer(op, g.getOutAttr(), g.getN());
        })
        .Case([&](FusedGemmOp g) -> LogicalResult {
          int64_t n = g.getN(), k = g.getK();
          if (failed(buffer(op, g.getInAttr(), g.getInCols())) ||
              failed(optBuffer(op, g.getStagedAttr(), k)) ||
              failed(optBuffer(op, g.getResidualAttr(), n)) ||
              failed(buffer(op, g.getOutAttr(), n)) ||
              failed(weight(op, g.getWeightAttr(), {n, k})))
            return failure();
          if (auto norm = g.getNormAttr())
            if (failed(weight(op, norm, {k})))
              return failure();
          if (auto bias = g.getBiasAttr())
            return weight(op, bias, {n});
          return success();
        })
        .Case([&](GemmQuantOp g) { return gemmQuant(g); })
        .Case([&](ScaleColumnsOp sc) -> LogicalResult {
          int64_t cols = sc.getCols();
          if (cols <= 0)
            return op->emitOpError("scales ") << cols << " columns";
          if (failed(buffer(op, sc.getInAttr(), cols)) ||
              failed(buffer(op, sc.getOutAttr(), cols)))
            return failure();
          return weight(op, sc.getScalesAttr(), {cols}, /*f32=*/true);
        })
        .Case([&](GatherRowsOp g) -> LogicalResult {
          if (failed(buffer(op, g.getInAttr(), g.getCols())))
            return failure();
          return buffer(op, g.getOutAttr(), g.getCols());
        })
        .Case([&](RotaryKVAppendOp r) -> LogicalResult {
          if (failed(kvLayer(op, r.getLayer(), r.getNumKvHeads(),
                             r.getHeadDim(), r.getKvAttr())) ||
              failed(buffer(op, r.getQkvAttr(), r.getLd())) ||
              failed(buffer(op, r.getQOutAttr(),
                            r.getNumHeads() * r.getHeadDim())))
            return failure();
          if (auto f = r.getInvFreqAttr())
            return weight(op, f, {int64_t(r.getRotaryDim() / 2)}, /*f32=*/true);
          return success();
        })
        .Case<AttentionPrefillOp, AttentionDecodeOp>([&](auto a) {
          int64_t width = a.getNumHeads() * a.getHeadDim();
          if (failed(kvLayer(op, a.getLayer(), a.getNumKvHeads(),
                             a.getHeadDim(), a.getKvAttr())) ||
              failed(buffer(op, a.getQAttr(), width)))
            return failure();
          return buffer(op, a.getOutAttr(), width);
        })
        .Case<TokenScoresOp, KVMassOp>([&](auto t) -> LogicalResult {
          // token_scores and kv_mass read dtype keys (no dequantizing
          // kernel).
          if (failed(kvLayer(op, t.getLayer(), t.getNumKvHeads(),
                             t.getHeadDim(), sieve::KVAttr())))
            return failure();
          return buffer(op, t.getQAttr(), t.getNumHeads() * t.getHeadDim());
        })
        .Case([&](GLUOp g) -> LogicalResult {
          if (g.getGateOffset() + g.getWidth() > g.getLd() ||
              g.getUpOffset() + g.getWidth() > g.getLd())
            return op->emitOpError("gate/up columns exceed the row of ")
                   << g.getLd() << " elements";
          if (failed(buffer(op, g.getXAttr(), g.getLd())))
            return failure();
          return buffer(op, g.getOutAttr(), g.getWidth());
        })
        .Case([&](ActivationOp a) {
          return buffer(op, a.getXAttr(), a.getCols());
        })
        .Default([&](Operation *) {
          return op->emitOpError("is not a kernel launch");
        });
  }

private:
  /// The quantized weight's arrays match `format` and the runtime's
  /// gemm_quant can read them.
  LogicalResult gemmQuant(GemmQuantOp g) {
    Operation *op = g;
    int64_t n = g.getN(), k = g.getK();
    sieve::QuantAttr format = g.getFormat();
    MLIRContext *ctx = op->getContext();
    Builder b(ctx);
    if (failed(buffer(op, g.getInAttr(), k)))
      return failure();
    switch (format.getKind()) {
    case sieve::QuantKind::int8:
      if (k % 16)
        return op->emitOpError("int8 kernel needs k % 16 == 0, k is ") << k;
      if (g.getZerosAttr())
        return op->emitOpError("int8 weights have no zeros");
      if (failed(typedWeight(op, g.getCodesAttr(), {n, k}, b.getIntegerType(8))) ||
          failed(typedWeight(op, g.getScalesAttr(), {n}, b.getF32Type())))
        return failure();
      break;
    case sieve::QuantKind::int4: {
      int64_t group = format.getGroup();
      if (k % 32 || group % 32 || k % group)
        return op->emitOpError("int4 kernel needs k % 32 == 0 and a group "
                               "that is a multiple of 32 dividing k; k is ")
               << k << ", group " << group;
      if (!g.getZerosAttr())
        return op->emitOpError("int4 weights need zeros");
      Type u4 = IntegerType::get(ctx, 4, IntegerType::Unsigned);
      Type u8 = IntegerType::get(ctx, 8, IntegerType::Unsigned);
      if (failed(typedWeight(op, g.getCodesAttr(), {n, k}, u4)) ||
          failed(typedWeight(op, g.getScalesAttr(), {n, k / group},
                             b.getF16Type())) ||
          failed(typedWeight(op, g.getZerosAttr(), {n, k / group}, u8)))
        return failure();
      break;
    }
    case sieve::QuantKind::fp8:
      if (k % 16)
        return op->emitOpError("fp8 kernel needs k % 16 == 0, k is ") << k;
      if (g.getZerosAttr())
        return op->emitOpError("fp8 weights have no zeros");
      if (failed(typedWeight(op, g.getCodesAttr(), {n, k},
                             b.getType<Float8E4M3FNType>())) ||
          failed(typedWeight(op, g.getScalesAttr(), {n}, b.getF32Type())))
        return failure();
      break;
    }
    if (auto bias = g.getBiasAttr())
      if (failed(weight(op, bias, {n})))
        return failure();
    if (g.writesLogits() && n != program.getVocabSize())
      return op->emitOpError("writes ") << n
             << " logits per row, the vocabulary has "
             << program.getVocabSize();
    return gemmQuantColumns(g);
  }

  /// `out` holds n values per row, or a column range [out_offset,
  /// out_offset + n) of rows of out_ld values.
  LogicalResult gemmQuantColumns(GemmQuantOp g) {
    Operation *op = g;
    int64_t n = g.getN();
    if (!g.getOutLd() && !g.getOutOffset())
      return optBuffer(op, g.getOutAttr(), n);
    if (!g.getOutLd())
      return op->emitOpError("takes out_offset only with out_ld");
    if (g.writesLogits())
      return op->emitOpError("writes the logits, whose rows are the "
                             "vocabulary (no out_ld)");
    int64_t ld = g.getOutRowElements(), offset = g.getOutColumn();
    if (offset < 0 || offset + n > ld)
      return op->emitOpError("columns [")
             << offset << ", " << offset + n << ") exceed the out_ld " << ld;
    return buffer(op, g.getOutAttr(), ld);
  }

  LogicalResult norm(Operation *op, FlatSymbolRefAttr a, FlatSymbolRefAttr b,
                     FlatSymbolRefAttr sum, FlatSymbolRefAttr out) {
    int64_t hidden = program.getHiddenSize();
    if (sum && !b)
      return op->emitOpError("stores a residual sum without adding anything");
    if (failed(buffer(op, a, hidden)) || failed(optBuffer(op, b, hidden)) ||
        failed(optBuffer(op, sum, hidden)) || failed(buffer(op, out, hidden)))
      return failure();
    if (out == a || out == b)
      return op->emitOpError("normalizes into one of its own inputs");
    return success();
  }
  LogicalResult kvLayer(Operation *op, int64_t layer, int64_t kvHeads,
                        int64_t headDim, sieve::KVAttr kv) {
    if (kv != program.getKvAttr())
      return op->emitOpError("reads the KV cache as ")
             << kvStorage(kv) << " but the program stores "
             << kvStorage(program.getKvAttr());
    if (layer < 0 || layer >= int64_t(program.getNumKvLayers()))
      return op->emitOpError("KV layer ") << layer << " is outside [0, "
             << program.getNumKvLayers() << ")";
    if (kvHeads != int64_t(program.getNumKvHeads()) ||
        headDim != int64_t(program.getHeadDim()))
      return op->emitOpError("KV shape ") << kvHeads << "x" << headDim
             << " differs from the program's KV cache "
             << program.getNumKvHeads() << "x" << program.getHeadDim();
    return success();
  }

  /// How a KV cache of format `kv` is stored, for diagnostics.
  std::string kvStorage(sieve::KVAttr kv) {
    std::string text;
    llvm::raw_string_ostream os(text);
    if (kv)
      os << kv;
    else
      os << program.getDtype() << " values";
    return text;
  }

  ProgramOp program;
  SymbolTable table;
  int64_t esize;
};
} // namespace

LogicalResult ProgramOp::verifyRegions() {
  Type dtype = getDtype();
  if (!dtype.isF16() && !dtype.isBF16())
    return emitOpError("dtype must be f16 or bf16, not ") << dtype;
  // The program's KV format sizes the cache (getKvVectorBytes) even with
  // no launch naming it.
  if (failed(verifyKVFormat(*this, getKvAttr(), getHeadDim())))
    return failure();
  int64_t end = 0;
  for (auto w : getBody().getOps<WeightOp>())
    end = std::max<int64_t>(end, w.getOffset() + w.getByteSize());
  if (uint64_t(end) > getWeightsBytes())
    return emitOpError("weights end at byte ") << end
           << ", past weights_bytes " << getWeightsBytes();
  LaunchChecker checker(*this);
  for (auto entry : getBody().getOps<EntryOp>())
    for (Operation &op : entry.getBody().front())
      if (failed(checker.check(&op)))
        return failure();
  return success();
}

#define GET_OP_CLASSES
#include "kernel/KernelOps.cpp.inc"
