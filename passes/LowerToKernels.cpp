//===- LowerToKernels.cpp - sieve.model -> kernel.program -----------------===//
//
// Walks the raised model in execution order (decoder layers inlined) and
// emits one kernel launch per construct, deciding the fusions the pass
// description lists. Every sieve value that lives in memory gets a
// `kernel.buffer` (or a column range of one); the buffers are placed later
// by --sieve-plan-buffers.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Kernel/KernelOps.h"
#include "sieve/Dialect/ONNX/ONNXOps.h"
#include "sieve/Dialect/Sieve/SieveOps.h"
#include "sieve/Passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/TypeSwitch.h"

namespace sieve {
#define GEN_PASS_DEF_SIEVELOWERTOKERNELS
#include "passes/KernelPasses.h.inc"
} // namespace sieve

using namespace mlir;
using namespace sieve;
namespace k = sieve::kernel;

namespace {

/// Where a sieve value lives: columns [offset, offset + width) of the rows
/// of a buffer whose rows hold `ld` elements.
struct View {
  FlatSymbolRefAttr buffer;
  int64_t offset = 0;
  int64_t ld = 0;
  int64_t width = 0;
  bool isWhole() const { return offset == 0 && ld == width; }
};

int64_t lastDim(Value v) {
  return cast<RankedTensorType>(v.getType()).getShape().back();
}

int64_t alignTo(int64_t v, int64_t a) { return (v + a - 1) / a * a; }

class Lowering {
public:
  Lowering(ModuleOp module, ModelOp model, Type dtype, int64_t blockSize,
           StringRef name)
      : module(module), model(model), dtype(dtype), blockSize(blockSize),
        name(name), builder(module.getContext()) {}

  LogicalResult run();

private:
  // Execution order with decoder layers inlined.
  void flatten(Block &block, int64_t layer);
  Value canon(Value v) const {
    auto it = aliases.find(v);
    return it == aliases.end() ? v : it->second;
  }
  ArrayRef<Operation *> readersOf(Value v) {
    auto it = readers.find(canon(v));
    return it == readers.end() ? ArrayRef<Operation *>() : it->second;
  }

  LogicalResult lower(Operation *op);
  LogicalResult lowerEmbedding(EmbeddingOp op);
  LogicalResult lowerNorm(Operation *op, Value input);
  LogicalResult lowerAdd(AddOp op);
  LogicalResult lowerLinear(LinearOp op);
  LogicalResult lowerSplit(SplitOp op);
  LogicalResult lowerAttention(AttentionOp op);
  LogicalResult lowerGatedMLP(GatedMLPOp op);
  LogicalResult lowerMLP(MLPOp op);
  LogicalResult lowerGLU(GLUOp op);
  LogicalResult lowerLMHead(LMHeadOp op);

  /// The view of an operand (error when it was never materialized).
  FailureOr<View> viewOf(Operation *user, Value v);
  FailureOr<FlatSymbolRefAttr> wholeBuffer(Operation *user, Value v);
  View newBuffer(StringRef role, int64_t cols);
  /// A packed weight from the `sieve.weight` ops defining `values`.
  FailureOr<FlatSymbolRefAttr> weight(Operation *user, StringRef role,
                                      ArrayRef<Value> values, bool transpose,
                                      Type elementType);
  /// A `kernel.weight` of `type` packed from `sources` (each once).
  FlatSymbolRefAttr pack(Operation *user, StringRef role,
                         ArrayRef<Attribute> sources, RankedTensorType type,
                         bool transpose);
  /// The packed arrays of the `sieve.quantized_weight` ops defining
  /// `values`, stacked along the output features (one format).
  struct QuantArrays {
    sieve::QuantAttr format;
    FlatSymbolRefAttr codes, scales, zeros;
    /// The AWQ input scales c ([K] f32) the GEMM's input is divided by.
    FlatSymbolRefAttr inputScales;
  };
  FailureOr<QuantArrays> quantized(Operation *user, StringRef role,
                                   ArrayRef<Value> values);
  /// One GEMM over the weights `values` stacked: `kernel.gemm` of float
  /// weights (stored transposed unless `transposed` says they already are
  /// [out, in]) or `kernel.gemm_quant` of quantized weights of one format.
  /// `out` null writes the logits. `packBias` (optional) packs the bias
  /// after the weights, so weights.bin keeps weights before their biases.
  /// With `outLd`, the GEMM writes columns [outOffset, outOffset + n) of
  /// `out` rows of outLd values (quantized weights only). Weights with AWQ
  /// input scales get a scale_columns launch dividing `in` by them first.
  using BiasFn = llvm::function_ref<FailureOr<FlatSymbolRefAttr>()>;
  LogicalResult gemm(Operation *user, StringRef role, ArrayRef<Value> values,
                     FlatSymbolRefAttr in, BiasFn packBias,
                     FlatSymbolRefAttr out, int64_t n, int64_t k,
                     bool transposed = false, int64_t outOffset = 0,
                     int64_t outLd = 0);
  /// The projection of `in` by `weights` (with `biases`, one per weight, or
  /// none) into the rows of `out`, each weight's outputs after the
  /// previous one's: one GEMM over the stacked weights, or one per run of
  /// weights that stack (see stackableRuns) writing its columns of `out`.
  LogicalResult projection(Operation *user, StringRef role,
                           ArrayRef<Value> weights, ArrayRef<Value> biases,
                           FlatSymbolRefAttr in, View out, int64_t k);
  std::string layerName(Operation *op, StringRef role) const;
  IntegerAttr i64(int64_t v) { return builder.getI64IntegerAttr(v); }

  ModuleOp module;
  ModelOp model;
  Type dtype;
  int64_t blockSize;
  StringRef name;
  OpBuilder builder;

  k::ProgramOp program;
  k::EntryOp prefill;
  Block *programBody = nullptr;

  SmallVector<Operation *> order;
  DenseMap<Operation *, int64_t> position, layerOf;
  DenseMap<Value, Value> aliases;
  DenseMap<Value, SmallVector<Operation *>> readers;

  DenseMap<Value, View> views;
  DenseSet<Operation *> done;
  /// sieve.add ops whose sum a later norm computes (add -> norm).
  DenseMap<Operation *, Operation *> fusedAdds;
  /// Packed weights by (sources, transpose, type), to pack each once.
  DenseMap<Attribute, FlatSymbolRefAttr> packed;
  llvm::StringMap<unsigned> names;
  int64_t weightsEnd = 0;
  int64_t kvLayers = 0, numHeads = 0, kvHeads = 0, headDim = 0;
  /// The KV-cache format of every attention (null: dtype values).
  KVAttr kvFormat;
  LogicalResult checkKVFormat(AttentionOp op);
  TypeAttr dtypeAttr() const { return TypeAttr::get(dtype); }
  /// Decoder layer index -> its attention's KV layer (for the token filter).
  DenseMap<int64_t, int64_t> kvLayerOfDecoder;

  LogicalResult addFilterEntry(k::EntryOp decode);
  LogicalResult addEvictMass(k::EntryOp decode);
};

} // namespace

//===----------------------------------------------------------------------===//
// Walk order and naming
//===----------------------------------------------------------------------===//

void Lowering::flatten(Block &block, int64_t layer) {
  for (Operation &op : block) {
    if (auto dl = dyn_cast<DecoderLayerOp>(&op)) {
      Block &body = dl.getBody().front();
      aliases[body.getArgument(0)] = canon(dl.getInput());
      flatten(body, dl.getIndex());
      aliases[dl.getOutput()] = canon(body.getTerminator()->getOperand(0));
      continue;
    }
    if (op.hasTrait<OpTrait::IsTerminator>() ||
        isa<WeightOp, QuantizedWeightOp>(op))
      continue;
    position[&op] = order.size();
    layerOf[&op] = layer;
    order.push_back(&op);
    for (Value operand : op.getOperands())
      readers[canon(operand)].push_back(&op);
  }
}

std::string Lowering::layerName(Operation *op, StringRef role) const {
  auto it = layerOf.find(op);
  if (it == layerOf.end() || it->second < 0)
    return role.str();
  return ("l" + Twine(it->second) + "." + role).str();
}

View Lowering::newBuffer(StringRef role, int64_t cols) {
  std::string base = role.str();
  unsigned &n = names[base];
  std::string sym = n++ ? base + "." + std::to_string(n - 1) : base;
  int64_t rowBytes =
      alignTo(cols * ((dtype.getIntOrFloatBitWidth() + 7) / 8), 256);
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPoint(prefill);
  k::BufferOp::create(builder, model.getLoc(), builder.getStringAttr(sym),
                      i64(rowBytes), IntegerAttr());
  return View{FlatSymbolRefAttr::get(builder.getContext(), sym), 0, cols,
              cols};
}

FailureOr<View> Lowering::viewOf(Operation *user, Value v) {
  auto it = views.find(canon(v));
  if (it != views.end())
    return it->second;
  Operation *def = canon(v).getDefiningOp();
  InFlightDiagnostic diag = user->emitError("cannot lower to kernels: operand ");
  if (def)
    diag << "defined by '" << def->getName() << "' ";
  diag << "has no kernel that materializes it";
  return failure();
}

FailureOr<FlatSymbolRefAttr> Lowering::wholeBuffer(Operation *user, Value v) {
  FailureOr<View> view = viewOf(user, v);
  if (failed(view))
    return failure();
  if (!view->isWhole())
    return user->emitError("cannot lower to kernels: '")
           << user->getName() << "' reads columns " << view->offset << ".."
           << view->offset + view->width << " of a fused projection; its "
           << "kernel takes whole rows";
  return view->buffer;
}

FailureOr<FlatSymbolRefAttr>
Lowering::weight(Operation *user, StringRef role, ArrayRef<Value> values,
                 bool transpose, Type elementType) {
  SmallVector<Attribute> sources;
  int64_t rows = 0, cols = 0;
  int64_t rank = -1;
  for (Value v : values) {
    auto w = v.getDefiningOp<WeightOp>();
    if (!w)
      return user->emitError("cannot lower to kernels: a weight operand is "
                             "not a sieve.weight (computed weights have no "
                             "packing)");
    auto type = cast<RankedTensorType>(w.getType());
    if (rank >= 0 && type.getRank() != rank)
      return user->emitError("cannot pack weights of different ranks");
    rank = type.getRank();
    sources.push_back(w.getValue());
    if (rank == 1) {
      rows += type.getDimSize(0);
      continue;
    }
    int64_t r = transpose ? type.getDimSize(1) : type.getDimSize(0);
    int64_t c = transpose ? type.getDimSize(0) : type.getDimSize(1);
    if (cols && c != cols)
      return user->emitError("cannot pack weights with ")
             << cols << " and " << c << " columns into one";
    cols = c;
    rows += r;
  }
  SmallVector<int64_t> shape{rows};
  if (rank == 2)
    shape.push_back(cols);
  return pack(user, role, sources, RankedTensorType::get(shape, elementType),
              transpose);
}

FlatSymbolRefAttr Lowering::pack(Operation *user, StringRef role,
                                 ArrayRef<Attribute> sources,
                                 RankedTensorType type, bool transpose) {
  MLIRContext *ctx = builder.getContext();
  ArrayAttr sourceAttr = ArrayAttr::get(ctx, sources);
  Attribute key = ArrayAttr::get(
      ctx, {sourceAttr, BoolAttr::get(ctx, transpose), TypeAttr::get(type)});
  if (auto it = packed.find(key); it != packed.end())
    return it->second;

  std::string base = "w." + role.str();
  unsigned &n = names[base];
  std::string sym = n++ ? base + "." + std::to_string(n - 1) : base;
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPoint(prefill);
  auto op = k::WeightOp::create(
      builder, user->getLoc(), builder.getStringAttr(sym), TypeAttr::get(type),
      i64(weightsEnd), sourceAttr,
      transpose ? builder.getUnitAttr() : UnitAttr());
  weightsEnd = alignTo(weightsEnd + op.getByteSize(), 256);
  auto ref = FlatSymbolRefAttr::get(ctx, sym);
  packed[key] = ref;
  return ref;
}

/// The format of a linear weight: its `#sieve.quant` when it is a
/// sieve.quantized_weight, null for a float sieve.weight. GEMMs only stack
/// weights of one format.
static Attribute weightFormat(Value w) {
  if (auto q = w.getDefiningOp<QuantizedWeightOp>())
    return q.getFormat();
  return {};
}

/// The AWQ input scales of a quantized weight (the stored array), null for
/// none. A GEMM divides its input by one array, so only weights with the
/// same array (or none) stack.
static Attribute inputScalesOf(Value w) {
  if (auto q = w.getDefiningOp<QuantizedWeightOp>())
    return q.getInputScalesAttr();
  return {};
}

/// `weights` split into maximal runs of consecutive weights with the same
/// input scales, as [begin, end) index pairs: each run is one GEMM writing
/// a contiguous column range of the projection.
static SmallVector<std::pair<size_t, size_t>>
stackableRuns(ArrayRef<Value> weights) {
  SmallVector<std::pair<size_t, size_t>> runs;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (runs.empty() ||
        inputScalesOf(weights[i]) != inputScalesOf(weights[runs.back().first]))
      runs.push_back({i, i});
    runs.back().second = i + 1;
  }
  return runs;
}

FailureOr<Lowering::QuantArrays>
Lowering::quantized(Operation *user, StringRef role, ArrayRef<Value> values) {
  SmallVector<Attribute> codes, scales, zeros;
  QuantAttr format;
  Attribute inputScales = inputScalesOf(values.front());
  int64_t rows = 0, cols = 0;
  for (Value v : values) {
    auto q = v.getDefiningOp<QuantizedWeightOp>();
    if (!q)
      return user->emitError("cannot lower to kernels: one GEMM would mix "
                             "quantized and float weights (quantize all of "
                             "them or none)");
    if (format && q.getFormat() != format)
      return user->emitError("cannot lower to kernels: one GEMM would mix "
                             "the weight formats ")
             << format << " and " << q.getFormat();
    format = q.getFormat();
    // projection() stacks only weights with one input-scale array.
    assert(q.getInputScalesAttr() == inputScales &&
           "one GEMM divides its input by one array of input scales");
    auto type = cast<RankedTensorType>(q.getType()); // [K, N]
    cols = type.getDimSize(0);
    rows += type.getDimSize(1);
    codes.push_back(q.getData());
    scales.push_back(q.getScales());
    if (auto z = q.getZerosAttr())
      zeros.push_back(z);
  }
  MLIRContext *ctx = builder.getContext();
  Builder b(ctx);
  int64_t k = cols, group = format.getGroup();
  QuantArrays out{format, {}, {}, {}, {}};
  // Packed as stored (f32): scale_columns divides by the CPU reference's
  // exact divisors.
  if (inputScales)
    out.inputScales =
        pack(user, role.str() + ".input_scales", {inputScales},
             RankedTensorType::get({k}, b.getF32Type()), false);
  switch (format.getKind()) {
  case QuantKind::int8:
    if (k % 16)
      return user->emitError("cannot lower to kernels: the int8 kernel "
                             "reads rows of a multiple of 16 inputs, not ")
             << k;
    out.codes = pack(user, role.str() + ".codes", codes,
                     RankedTensorType::get({rows, k}, b.getIntegerType(8)),
                     false);
    out.scales = pack(user, role.str() + ".scales", scales,
                      RankedTensorType::get({rows}, b.getF32Type()), false);
    return out;
  case QuantKind::int4:
    if (k % 32 || group % 32)
      return user->emitError("cannot lower to kernels: the int4 kernel "
                             "reads groups of a multiple of 32 inputs and "
                             "rows of a multiple of 32; this weight has ")
             << k << " inputs in groups of " << group;
    // Raised models keep their f32 group scales; the kernel reads f16, so
    // the weights writer rounds them (to nearest even) and the GPU's weight
    // differs from the CPU reference's by that rounding.
    if (llvm::any_of(scales, [](Attribute s) {
          return cast<ShapedType>(cast<TypedAttr>(s).getType())
              .getElementType()
              .isF32();
        }))
      user->emitRemark("lower-to-kernels: int4 weight ")
          << role << " has f32 group scales; the GPU layout stores them as "
             "f16 (rounded to nearest even, relative change <= 2^-11 per "
             "scale)";
    out.codes = pack(user, role.str() + ".codes", codes,
                     RankedTensorType::get(
                         {rows, k}, IntegerType::get(ctx, 4,
                                                     IntegerType::Unsigned)),
                     false);
    out.scales = pack(user, role.str() + ".scales", scales,
                      RankedTensorType::get({rows, k / group}, b.getF16Type()),
                      false);
    // One byte per zero point: the kernel reads a group's zero with its
    // scale (the writer unpacks the nibbles).
    out.zeros = pack(
        user, role.str() + ".zeros", zeros,
        RankedTensorType::get({rows, k / group},
                              IntegerType::get(ctx, 8, IntegerType::Unsigned)),
        false);
    return out;
  case QuantKind::fp8:
    if (k % 16)
      return user->emitError("cannot lower to kernels: the fp8 kernel "
                             "reads rows of a multiple of 16 inputs, not ")
             << k;
    out.codes = pack(user, role.str() + ".codes", codes,
                     RankedTensorType::get({rows, k},
                                           b.getType<Float8E4M3FNType>()),
                     false);
    out.scales = pack(user, role.str() + ".scales", scales,
                      RankedTensorType::get({rows}, b.getF32Type()), false);
    return out;
  }
  llvm_unreachable("unknown quantization kind");
}

LogicalResult Lowering::gemm(Operation *user, StringRef role,
                             ArrayRef<Value> values, FlatSymbolRefAttr in,
                             BiasFn packBias, FlatSymbolRefAttr out, int64_t n,
                             int64_t k, bool transposed, int64_t outOffset,
                             int64_t outLd) {
  auto bias = [&]() -> FailureOr<FlatSymbolRefAttr> {
    return packBias ? packBias() : FlatSymbolRefAttr();
  };
  if (!weightFormat(values.front())) {
    // Float weights always stack (they have no input scales).
    assert(!outLd && "a float GEMM writes whole rows");
    FailureOr<FlatSymbolRefAttr> w =
        weight(user, role, values, !transposed, dtype);
    if (failed(w))
      return failure();
    FailureOr<FlatSymbolRefAttr> b = bias();
    if (failed(b))
      return failure();
    k::GemmOp::create(builder, user->getLoc(), in, *w, *b, out, i64(n),
                      i64(k));
    return success();
  }
  if (transposed)
    return user->emitError("cannot lower to kernels: a quantized weight "
                           "read transposed (a tied LM head) has no kernel");
  FailureOr<QuantArrays> q = quantized(user, role, values);
  if (failed(q))
    return failure();
  FailureOr<FlatSymbolRefAttr> b = bias();
  if (failed(b))
    return failure();
  if (q->inputScales) {
    // The GEMM reads x / c (its codes quantize W[k, :] * c[k]); the
    // quotient gets its own rows, as `in` has other readers.
    View scaled = newBuffer(role.str() + ".scaled", k);
    k::ScaleColumnsOp::create(builder, user->getLoc(), in, q->inputScales,
                              scaled.buffer, i64(k),
                              out ? UnitAttr() : builder.getUnitAttr());
    in = scaled.buffer;
  }
  k::GemmQuantOp::create(builder, user->getLoc(), in, q->codes, q->scales,
                         q->zeros, *b, out, q->format, i64(n), i64(k),
                         outLd ? i64(outLd) : IntegerAttr(),
                         outLd ? i64(outOffset) : IntegerAttr());
  return success();
}

LogicalResult Lowering::projection(Operation *user, StringRef role,
                                   ArrayRef<Value> weights,
                                   ArrayRef<Value> biases,
                                   FlatSymbolRefAttr in, View out, int64_t k) {
  SmallVector<std::pair<size_t, size_t>> runs = stackableRuns(weights);
  int64_t column = 0;
  for (auto [index, run] : llvm::enumerate(runs)) {
    auto [begin, end] = run;
    ArrayRef<Value> part = weights.slice(begin, end - begin);
    ArrayRef<Value> partBiases =
        biases.empty() ? biases : biases.slice(begin, end - begin);
    std::string partRole =
        runs.size() == 1 ? role.str() : (role + "." + Twine(index)).str();
    auto packBias = [&]() -> FailureOr<FlatSymbolRefAttr> {
      if (partBiases.empty())
        return FlatSymbolRefAttr();
      return weight(user, partRole + "_bias", partBiases, false, dtype);
    };
    int64_t n = 0;
    for (Value w : part)
      n += lastDim(w);
    // One run writes whole rows; several fill their columns of them.
    bool split = runs.size() > 1;
    if (failed(gemm(user, partRole, part, in, packBias, out.buffer, n, k,
                    /*transposed=*/false, split ? column : 0,
                    split ? out.ld : 0)))
      return failure();
    column += n;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Constructs
//===----------------------------------------------------------------------===//

LogicalResult Lowering::lowerEmbedding(EmbeddingOp op) {
  if (canon(op.getIds()) != model.getBody().front().getArgument(0))
    return op.emitError("cannot lower to kernels: the embedding does not read "
                        "the model's token ids");
  FailureOr<FlatSymbolRefAttr> table =
      weight(op, "embed", {op.getTable()}, false, dtype);
  if (failed(table))
    return failure();
  // Learned positions (GPT-2) are added by the same launch when the
  // position embedding is the embedding's only reader.
  FlatSymbolRefAttr positions;
  Value result = op.getResult();
  ArrayRef<Operation *> users = readersOf(result);
  if (users.size() == 1)
    if (auto pos = dyn_cast<PositionEmbeddingOp>(users.front())) {
      FailureOr<FlatSymbolRefAttr> t =
          weight(pos, "positions", {pos.getTable()}, false, dtype);
      if (failed(t))
        return failure();
      positions = *t;
      done.insert(pos);
      result = pos.getResult();
    }
  View out = newBuffer("embedded", model.getHiddenSize());
  k::EmbeddingOp::create(builder, op.getLoc(), *table, positions, out.buffer,
                         op.getScaleAttr());
  views[canon(op.getResult())] = out;
  views[canon(result)] = out;
  return success();
}

LogicalResult Lowering::lowerAdd(AddOp op) {
  // Fuse into the first reader when that is a norm of this sum: the norm
  // launch stores the sum it normalizes.
  ArrayRef<Operation *> users = readersOf(op.getResult());
  Operation *first = nullptr;
  for (Operation *u : users)
    if (!first || position[u] < position[first])
      first = u;
  if (first && isa<RMSNormOp, LayerNormOp>(first)) {
    fusedAdds[op] = first;
    return success();
  }
  FailureOr<FlatSymbolRefAttr> a = wholeBuffer(op, op.getLhs());
  FailureOr<FlatSymbolRefAttr> b = wholeBuffer(op, op.getRhs());
  if (failed(a) || failed(b))
    return failure();
  View out = newBuffer(layerName(op, "sum"), lastDim(op.getResult()));
  k::AddOp::create(builder, op.getLoc(), *a, *b, out.buffer, i64(out.width));
  views[canon(op.getResult())] = out;
  return success();
}

LogicalResult Lowering::lowerNorm(Operation *op, Value input) {
  FlatSymbolRefAttr a, b, sum;
  Value in = canon(input);
  auto add = in.getDefiningOp<AddOp>();
  if (add && fusedAdds.lookup(add) == op) {
    FailureOr<FlatSymbolRefAttr> lhs = wholeBuffer(add, add.getLhs());
    FailureOr<FlatSymbolRefAttr> rhs = wholeBuffer(add, add.getRhs());
    if (failed(lhs) || failed(rhs))
      return failure();
    a = *lhs;
    b = *rhs;
    View s = newBuffer(layerName(add, "residual"), lastDim(add.getResult()));
    sum = s.buffer;
    views[in] = s;
  } else {
    FailureOr<FlatSymbolRefAttr> x = wholeBuffer(op, input);
    if (failed(x))
      return failure();
    a = *x;
  }
  View out = newBuffer(layerName(op, "normed"), lastDim(op->getResult(0)));
  views[canon(op->getResult(0))] = out;
  if (auto rms = dyn_cast<RMSNormOp>(op)) {
    FailureOr<FlatSymbolRefAttr> w =
        weight(op, layerName(op, "norm"), {rms.getWeight()}, false, dtype);
    if (failed(w))
      return failure();
    k::RMSNormOp::create(builder, op->getLoc(), a, b, sum, *w, out.buffer,
                         rms.getEpsilonAttr(), rms.getWeightOffsetAttr());
    return success();
  }
  auto ln = cast<LayerNormOp>(op);
  FailureOr<FlatSymbolRefAttr> w =
      weight(op, layerName(op, "norm"), {ln.getWeight()}, false, dtype);
  if (failed(w))
    return failure();
  FlatSymbolRefAttr bias;
  if (ln.getBias()) {
    FailureOr<FlatSymbolRefAttr> bw =
        weight(op, layerName(op, "norm_bias"), {ln.getBias()}, false, dtype);
    if (failed(bw))
      return failure();
    bias = *bw;
  }
  k::LayerNormOp::create(builder, op->getLoc(), a, b, sum, *w, bias,
                         out.buffer, ln.getEpsilonAttr());
  return success();
}

LogicalResult Lowering::lowerLinear(LinearOp op) {
  // Every not yet lowered linear of the same input joins this GEMM when
  // they agree on having a bias.
  SmallVector<LinearOp> group;
  for (Operation *u : readersOf(op.getInput())) {
    auto other = dyn_cast<LinearOp>(u);
    if (other && !done.contains(other) &&
        canon(other.getInput()) == canon(op.getInput()) &&
        static_cast<bool>(other.getBias()) == static_cast<bool>(op.getBias()) &&
        weightFormat(other.getWeight()) == weightFormat(op.getWeight()))
      group.push_back(other);
  }
  FailureOr<FlatSymbolRefAttr> in = wholeBuffer(op, op.getInput());
  if (failed(in))
    return failure();
  SmallVector<Value> weights, biases;
  for (LinearOp l : group) {
    weights.push_back(l.getWeight());
    if (l.getBias())
      biases.push_back(l.getBias());
  }
  // Names for readers of the IR: q/k/v and the attention output are the
  // common cases.
  StringRef role = "linear";
  if (group.size() == 3)
    role = "qkv";
  else if (group.size() > 1)
    role = "proj";
  else if (canon(op.getInput()).getDefiningOp<AttentionOp>())
    role = "o";
  int64_t n = 0;
  for (LinearOp l : group)
    n += lastDim(l.getResult());
  int64_t kdim = lastDim(op.getInput());
  View out = newBuffer(layerName(op, role), n);
  if (failed(projection(op, layerName(op, role), weights, biases, *in, out,
                        kdim)))
    return failure();
  int64_t offset = 0;
  for (LinearOp l : group) {
    int64_t width = lastDim(l.getResult());
    views[canon(l.getResult())] = View{out.buffer, offset, n, width};
    offset += width;
    done.insert(l);
  }
  return success();
}

LogicalResult Lowering::lowerSplit(SplitOp op) {
  FailureOr<View> in = viewOf(op, op.getInput());
  if (failed(in))
    return failure();
  int64_t offset = in->offset;
  for (auto [result, size] : llvm::zip(op.getResults(), op.getSizes())) {
    views[canon(result)] = View{in->buffer, offset, in->ld, size};
    offset += size;
  }
  return success();
}

namespace {
/// Queries or keys as attention reads them: a projection's columns, rotated
/// or not.
struct RotatedView {
  Value projected;
  RotaryOp rotary;
};
} // namespace

/// The KV-cache format is the program's, so every attention must store its
/// cache alike; the kernels quantize int8 and fp8 (one scale per vector)
/// and int4 with groups that divide head_dim in multiples of 8.
LogicalResult Lowering::checkKVFormat(AttentionOp op) {
  KVAttr kv = op.getKvAttr();
  auto error = [&] {
    return op.emitError("cannot lower to kernels: the attention of decoder "
                        "layer ")
           << layerOf.lookup(op) << ": ";
  };
  if (std::string why = k::kvFormatUnsupportedReason(kv, op.getHeadDim());
      !why.empty())
    return error() << "KV-cache format " << kv << " has no GPU kernel: "
                   << why;
  if (kv && !k::hasAttentionKernel(op.getHeadDim()))
    return error() << "a quantized KV cache " << kv << " needs head_dim "
                   << k::kAttentionHeadDims << ", not " << op.getHeadDim();
  if (kvLayers > 0 && kv != kvFormat)
    return error() << "KV-cache format "
           << (kv ? Attribute(kv) : Attribute(dtypeAttr()))
           << " differs from the first attention's "
           << (kvFormat ? Attribute(kvFormat) : Attribute(dtypeAttr()))
           << " (one KV-cache format per model)";
  kvFormat = kv;
  return success();
}

LogicalResult Lowering::lowerAttention(AttentionOp op) {
  if (!op.getCausal())
    return op.emitError("cannot lower to kernels: non-causal attention has "
                        "no kernel (decoder models are causal)");
  if (!isa<DenseAttr>(op.getSparsityOrDense()))
    return op.emitError("cannot lower to kernels: attention sparsity ")
           << op.getSparsityOrDense() << " has no kernel yet";
  if (failed(checkKVFormat(op)))
    return failure();
  auto unrotate = [&](Value v) -> RotatedView {
    Value c = canon(v);
    if (auto r = c.getDefiningOp<RotaryOp>())
      return {canon(r.getInput()), r};
    return {c, RotaryOp()};
  };
  RotatedView q = unrotate(op.getQuery()), kv = unrotate(op.getKey());
  Value v = canon(op.getValue());
  if (static_cast<bool>(q.rotary) != static_cast<bool>(kv.rotary))
    return op.emitError("cannot lower to kernels: only one of queries and "
                        "keys is rotated");
  for (RotaryOp r : {q.rotary, kv.rotary})
    if (r && readersOf(r.getResult()).size() != 1)
      return r.emitError("cannot lower to kernels: a rotary result read "
                         "by more than its attention");
  RotaryOp rot = q.rotary;
  if (rot && (rot.getStyle() != kv.rotary.getStyle() ||
              rot.getRotaryDim() != kv.rotary.getRotaryDim() ||
              rot.getAttentionScaling() != kv.rotary.getAttentionScaling()))
    return op.emitError("cannot lower to kernels: queries and keys are "
                        "rotated differently");
  FailureOr<View> qv = viewOf(op, q.projected), kvw = viewOf(op, kv.projected),
                  vv = viewOf(op, v);
  if (failed(qv) || failed(kvw) || failed(vv))
    return failure();
  if (qv->buffer != kvw->buffer || qv->buffer != vv->buffer)
    return op.emitError("cannot lower to kernels: queries, keys and values "
                        "do not come from one projection (one GEMM)");

  int64_t heads = op.getNumHeads(), kvh = op.getNumKvHeads(),
          d = op.getHeadDim();
  if (kvLayers == 0) {
    numHeads = heads;
    kvHeads = kvh;
    headDim = d;
  } else if (kvh != kvHeads || d != headDim || heads != numHeads) {
    return op.emitError("cannot lower to kernels: attention shape ")
           << heads << "/" << kvh << "x" << d
           << " differs from the first layer's " << numHeads << "/" << kvHeads
           << "x" << headDim << " (one KV-cache shape per model)";
  }
  if (d % 16 != 0 || d > 256)
    return op.emitError("cannot lower to kernels: head_dim ")
           << d << " has no attention kernel (the kernel level takes "
           << "multiples of 16 up to 256; the CUDA kernels are built for "
           << k::kAttentionHeadDims << ")";

  FlatSymbolRefAttr invFreq;
  sieve::RotaryStyleAttr style;
  int64_t rotaryDim = 0;
  FloatAttr scaling = builder.getF32FloatAttr(1.0f);
  if (rot) {
    // Identical frequency tables pack to one weight, so equal symbols mean
    // equal rotations.
    Type f32 = builder.getF32Type();
    FailureOr<FlatSymbolRefAttr> fq =
        weight(rot, "inv_freq", {rot.getInvFreq()}, false, f32);
    FailureOr<FlatSymbolRefAttr> fk =
        weight(kv.rotary, "inv_freq", {kv.rotary.getInvFreq()}, false, f32);
    if (failed(fq) || failed(fk))
      return failure();
    if (*fq != *fk)
      return op.emitError("cannot lower to kernels: queries and keys are "
                          "rotated with different frequencies");
    invFreq = *fq;
    style = rot.getStyleAttr();
    rotaryDim = rot.getRotaryDim();
    scaling = rot.getAttentionScalingAttr();
  }
  View qout = newBuffer(layerName(op, "q"), heads * d);
  int64_t layer = kvLayers++;
  kvLayerOfDecoder[layerOf.lookup(op)] = layer;
  k::RotaryKVAppendOp::create(
      builder, op.getLoc(), qv->buffer, qout.buffer, i64(layer), i64(qv->ld),
      i64(qv->offset), i64(kvw->offset), i64(vv->offset), i64(heads),
      i64(kvh), i64(d), i64(rotaryDim), invFreq, style, scaling, kvFormat);
  View out = newBuffer(layerName(op, "attn"), heads * d);
  k::AttentionPrefillOp::create(builder, op.getLoc(), qout.buffer, out.buffer,
                                i64(layer), i64(heads), i64(kvh), i64(d),
                                op.getScaleAttr(), kvFormat);
  views[canon(op.getResult())] = out;
  return success();
}

LogicalResult Lowering::lowerGatedMLP(GatedMLPOp op) {
  FailureOr<FlatSymbolRefAttr> in = wholeBuffer(op, op.getInput());
  if (failed(in))
    return failure();
  // Gate and up are one projection (the GLU reads both halves of its
  // rows): one GEMM, or two filling the halves when their AWQ input scales
  // differ.
  if (weightFormat(op.getGate()) != weightFormat(op.getUp()))
    return op.emitError("cannot lower to kernels: gate and up weights are "
                        "stored in different formats (one GEMM computes "
                        "both)");
  int64_t width = lastDim(op.getGate());
  int64_t hidden = lastDim(op.getInput());
  View gu = newBuffer(layerName(op, "gate_up"), 2 * width);
  if (failed(projection(op, layerName(op, "gate_up"),
                        {op.getGate(), op.getUp()}, {}, *in, gu, hidden)))
    return failure();
  View act = newBuffer(layerName(op, "gated"), width);
  k::GLUOp::create(builder, op.getLoc(), gu.buffer, act.buffer,
                   i64(2 * width), i64(0), i64(width), i64(width),
                   op.getActivationAttr());
  View out = newBuffer(layerName(op, "mlp"), hidden);
  if (failed(gemm(op, layerName(op, "down"), {op.getDown()}, act.buffer,
                  nullptr, out.buffer, hidden, width)))
    return failure();
  views[canon(op.getResult())] = out;
  return success();
}

LogicalResult Lowering::lowerMLP(MLPOp op) {
  FailureOr<FlatSymbolRefAttr> in = wholeBuffer(op, op.getInput());
  if (failed(in))
    return failure();
  auto optBias = [&](Value b, StringRef role) -> FailureOr<FlatSymbolRefAttr> {
    if (!b)
      return FlatSymbolRefAttr();
    return weight(op, layerName(op, role), {b}, false, dtype);
  };
  auto upBias = [&] { return optBias(op.getUpBias(), "up_bias"); };
  auto downBias = [&] { return optBias(op.getDownBias(), "down_bias"); };
  int64_t width = lastDim(op.getUp());
  int64_t hidden = lastDim(op.getInput());
  View mid = newBuffer(layerName(op, "up"), width);
  if (failed(gemm(op, layerName(op, "up"), {op.getUp()}, *in, upBias,
                  mid.buffer, width, hidden)))
    return failure();
  k::ActivationOp::create(builder, op.getLoc(), mid.buffer, i64(width),
                          op.getActivationAttr());
  View out = newBuffer(layerName(op, "mlp"), hidden);
  if (failed(gemm(op, layerName(op, "down"), {op.getDown()}, mid.buffer,
                  downBias, out.buffer, hidden, width)))
    return failure();
  views[canon(op.getResult())] = out;
  return success();
}

LogicalResult Lowering::lowerGLU(GLUOp op) {
  FailureOr<View> gate = viewOf(op, op.getGate()), up = viewOf(op, op.getUp());
  if (failed(gate) || failed(up))
    return failure();
  if (gate->buffer != up->buffer)
    return op.emitError("cannot lower to kernels: gate and up do not come "
                        "from one projection (one GEMM)");
  View out = newBuffer(layerName(op, "gated"), gate->width);
  k::GLUOp::create(builder, op.getLoc(), gate->buffer, out.buffer,
                   i64(gate->ld), i64(gate->offset), i64(up->offset),
                   i64(gate->width), op.getActivationAttr());
  views[canon(op.getResult())] = out;
  return success();
}

LogicalResult Lowering::lowerLMHead(LMHeadOp op) {
  Operation *terminator = model.getBody().front().getTerminator();
  if (canon(terminator->getOperand(0)) != op.getResult())
    return op.emitError("cannot lower to kernels: the LM head's logits are "
                        "not the model's output");
  FailureOr<FlatSymbolRefAttr> in = wholeBuffer(op, op.getInput());
  if (failed(in))
    return failure();
  auto bias = [&]() -> FailureOr<FlatSymbolRefAttr> {
    if (!op.getBias())
      return FlatSymbolRefAttr();
    return weight(op, "lm_head_bias", {op.getBias()}, false, dtype);
  };
  int64_t hidden = lastDim(op.getInput());
  View rows = newBuffer("logit_rows", hidden);
  k::GatherRowsOp::create(builder, op.getLoc(), *in, rows.buffer,
                          i64(hidden));
  // A tied head reads the [vocab, hidden] embedding table as it is.
  return gemm(op, op.getTransposed() ? "embed" : "lm_head", {op.getWeight()},
              rows.buffer, bias, FlatSymbolRefAttr(), model.getVocabSize(),
              hidden, op.getTransposed());
}

LogicalResult Lowering::lower(Operation *op) {
  if (done.contains(op))
    return success();
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case([&](EmbeddingOp e) { return lowerEmbedding(e); })
      .Case([&](RMSNormOp n) { return lowerNorm(n, n.getInput()); })
      .Case([&](LayerNormOp n) { return lowerNorm(n, n.getInput()); })
      .Case([&](AddOp a) { return lowerAdd(a); })
      .Case([&](LinearOp l) { return lowerLinear(l); })
      .Case([&](SplitOp s) { return lowerSplit(s); })
      // Rotations are applied by the attention that reads them.
      .Case([&](RotaryOp) { return success(); })
      .Case([&](AttentionOp a) { return lowerAttention(a); })
      .Case([&](GatedMLPOp m) { return lowerGatedMLP(m); })
      .Case([&](MLPOp m) { return lowerMLP(m); })
      .Case([&](GLUOp g) { return lowerGLU(g); })
      .Case([&](LMHeadOp h) { return lowerLMHead(h); })
      .Default([&](Operation *other) {
        return other->emitError("cannot lower to kernels: '")
               << other->getName() << "' has no kernel (raise the model "
               << "completely first: --sieve-raise reports what it left)";
      });
}

LogicalResult Lowering::run() {
  flatten(model.getBody().front(), -1);
  MLIRContext *ctx = module.getContext();
  builder.setInsertionPointToEnd(module.getBody());
  // Model constants that are only known after the walk are set at the end.
  program = k::ProgramOp::create(
      builder, model.getLoc(), builder.getStringAttr(name), TypeAttr::get(dtype),
      builder.getI64IntegerAttr(model.getVocabSize()),
      builder.getI64IntegerAttr(model.getHiddenSize()),
      builder.getI64IntegerAttr(model.getNumLayers()),
      builder.getI64IntegerAttr(0), builder.getI64IntegerAttr(0),
      builder.getI64IntegerAttr(0), builder.getI64IntegerAttr(0),
      builder.getI64IntegerAttr(blockSize), builder.getI64IntegerAttr(0),
      KVAttr());
  programBody = &program.getBody().emplaceBlock();
  builder.setInsertionPointToEnd(programBody);
  prefill = k::EntryOp::create(builder, model.getLoc(), "prefill");
  builder.setInsertionPointToEnd(&prefill.getBody().emplaceBlock());
  for (Operation *op : order)
    if (failed(lower(op))) {
      program.erase();
      return failure();
    }
  if (kvLayers == 0) {
    program.erase();
    return model.emitError("cannot lower to kernels: the model has no "
                           "attention layer");
  }
  program.setNumKvLayers(kvLayers);
  program.setNumHeads(numHeads);
  program.setNumKvHeads(kvHeads);
  program.setHeadDim(headDim);
  program.setWeightsBytes(weightsEnd);
  if (kvFormat)
    program.setKvAttr(kvFormat);

  // Weights first, then buffers, then the entries: easier to read.
  for (auto buf : llvm::to_vector(programBody->getOps<k::BufferOp>()))
    buf->moveBefore(prefill);

  // The decode step is the same schedule with split-KV attention.
  builder.setInsertionPointAfter(prefill);
  auto decode = cast<k::EntryOp>(builder.clone(*prefill));
  decode.setSymName("decode");
  for (auto attn : llvm::make_early_inc_range(
           decode.getBody().getOps<k::AttentionPrefillOp>())) {
    builder.setInsertionPoint(attn);
    k::AttentionDecodeOp::create(
        builder, attn.getLoc(), attn.getQAttr(), attn.getOutAttr(),
        attn.getLayerAttr(), attn.getNumHeadsAttr(), attn.getNumKvHeadsAttr(),
        attn.getHeadDimAttr(), attn.getScaleAttr(), attn.getKvAttr());
    attn.erase();
  }
  (void)ctx;
  if (failed(addFilterEntry(decode)))
    return failure();
  return addEvictMass(decode);
}

/// With a token filter on the model: the @filter entry, the prefill up to
/// the filter layer's rotary / KV append, then its token_scores; the
/// filter attribute is kept on the program (discardable `sieve.token_filter`)
/// for the emitter.
LogicalResult Lowering::addFilterEntry(k::EntryOp decode) {
  TokenFilterAttr filter = model.getTokenFilterAttr();
  if (!filter)
    return success();
  auto it = kvLayerOfDecoder.find(filter.getLayer());
  if (it == kvLayerOfDecoder.end())
    return model.emitError("cannot lower the token filter: decoder layer ")
           << filter.getLayer() << " has no attention";
  if (kvFormat)
    return model.emitError("cannot lower the token filter: its scores read "
                           "f16/bf16 keys, and the KV cache is ")
           << kvFormat << " (token_scores has no dequantizing kernel)";
  builder.setInsertionPointAfter(decode);
  auto entry = cast<k::EntryOp>(builder.clone(*prefill));
  entry.setSymName("filter");
  Block &body = entry.getBody().front();
  k::RotaryKVAppendOp append;
  k::AttentionPrefillOp attn;
  for (Operation &op : body) {
    if (auto r = dyn_cast<k::RotaryKVAppendOp>(op); r && r.getLayer() == it->second)
      append = r;
    if (auto a = dyn_cast<k::AttentionPrefillOp>(op); a && a.getLayer() == it->second)
      attn = a;
  }
  if (!append || !attn)
    return model.emitError("cannot lower the token filter: no attention of KV "
                           "layer ")
           << it->second << " in the prefill schedule";
  builder.setInsertionPointAfter(append);
  k::TokenScoresOp::create(builder, append.getLoc(), append.getQOutAttr(),
                           append.getLayerAttr(), append.getNumHeadsAttr(),
                           append.getNumKvHeadsAttr(), append.getHeadDimAttr(),
                           attn.getScaleAttr(), i64(filter.getWindow()));
  // Everything after the scores is the rest of the model: not needed.
  while (&body.back() != append->getNextNode())
    body.back().erase();
  program->setAttr("sieve.token_filter", filter);
  return success();
}

/// With KV eviction on the model: a kv_mass after every attention_prefill
/// of @prefill (after the @filter entry was cloned from it), which the
/// runtime enables for the launch holding a prompt's last `window` tokens
/// (SnapKV) or for every launch of a fresh prompt (H2O: `all_rows`, the
/// mass of every query). H2O also adds one after every attention_decode of
/// @decode (its mass grows with each generated token); SnapKV's decode
/// steps are unchanged, they run on the compacted cache. The policy is kept
/// on the program (discardable `sieve.kv_evict`) for the emitter.
LogicalResult Lowering::addEvictMass(k::EntryOp decode) {
  KVEvictAttr evict = model.getKvEvictAttr();
  if (!evict)
    return success();
  auto refuse = [&]() {
    return model.emitError("cannot lower the KV eviction ") << evict << ": ";
  };
  if (kvFormat)
    return refuse() << "kv_mass reads f16/bf16 keys, and the KV cache is "
                    << kvFormat << " (no dequantizing kernel)";
  for (auto e : prefill.getBody().getOps<k::EmbeddingOp>())
    if (e.getPositionsAttr())
      return refuse() << "the model adds learned position embeddings, "
                         "which the kernels index by cache offset (only "
                         "rotary positions continue past evicted ones)";
  bool h2o = evict.getMethod() == "h2o";
  UnitAttr allRows = h2o ? builder.getUnitAttr() : UnitAttr();
  auto addAfter = [&](auto attn) {
    builder.setInsertionPointAfter(attn);
    k::KVMassOp::create(builder, attn.getLoc(), attn.getQAttr(),
                        attn.getLayerAttr(), attn.getNumHeadsAttr(),
                        attn.getNumKvHeadsAttr(), attn.getHeadDimAttr(),
                        attn.getScaleAttr(), i64(evict.getWindow()), allRows);
  };
  for (auto attn : llvm::to_vector(
           prefill.getBody().getOps<k::AttentionPrefillOp>()))
    addAfter(attn);
  if (h2o)
    for (auto attn : llvm::to_vector(
             decode.getBody().getOps<k::AttentionDecodeOp>()))
      addAfter(attn);
  program->setAttr("sieve.kv_evict", evict);
  return success();
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {
struct SieveLowerToKernels
    : public sieve::impl::SieveLowerToKernelsBase<SieveLowerToKernels> {
  using SieveLowerToKernelsBase::SieveLowerToKernelsBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    Type type;
    if (dtype == "f16")
      type = Float16Type::get(ctx);
    else if (dtype == "bf16")
      type = BFloat16Type::get(ctx);
    else {
      module.emitError("sieve-lower-to-kernels: dtype must be f16 or bf16, "
                       "not '")
          << dtype << "'";
      return signalPassFailure();
    }
    if (kvBlockSize < 8 || kvBlockSize > 256 || !llvm::isPowerOf2_64(kvBlockSize)) {
      module.emitError("sieve-lower-to-kernels: kv-block-size must be a "
                       "power of two from 8 to 256, not ")
          << static_cast<int64_t>(kvBlockSize);
      return signalPassFailure();
    }
    SmallVector<ModelOp> models;
    module.walk([&](ModelOp m) { models.push_back(m); });
    if (models.size() != 1) {
      module.emitError("sieve-lower-to-kernels: expected one sieve.model, "
                       "found ")
          << models.size() << (models.empty() ? " (run --sieve-raise first)" : "");
      return signalPassFailure();
    }
    ModelOp model = models.front();
    auto func = model->getParentOfType<func::FuncOp>();
    // The function must only wrap the model: anything else it computes
    // would be lost.
    if (func) {
      for (Operation &op : func.getBody().front())
        if (&op != model.getOperation() && !isa<func::ReturnOp>(op) &&
            !(isa<onnx::ConstantOp>(op) && op.use_empty())) {
          op.emitError("cannot lower to kernels: '")
              << op.getName() << "' outside the sieve.model";
          return signalPassFailure();
        }
    }
    Lowering lowering(module, model, type, kvBlockSize, programName);
    if (failed(lowering.run()))
      return signalPassFailure();
    if (func)
      func.erase();
    else
      model.erase();
  }
};
} // namespace
