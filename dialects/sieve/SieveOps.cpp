//===- SieveOps.cpp - sieve dialect operations and verifiers --------------===//

#include "sieve/Dialect/Sieve/SieveOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace sieve;

namespace {
/// Size of the last dimension (kDynamic if unknown).
int64_t lastDim(Type type) {
  auto t = cast<RankedTensorType>(type);
  return t.getRank() ? t.getShape().back() : ShapedType::kDynamic;
}

/// Checks that static size `actual` equals `expected` (unless either is
/// dynamic).
LogicalResult expectSize(Operation *op, int64_t actual, int64_t expected,
                         StringRef what) {
  if (ShapedType::isDynamic(actual) || ShapedType::isDynamic(expected) ||
      actual == expected)
    return success();
  return op->emitOpError() << what << " is " << actual << ", expected "
                           << expected;
}

LogicalResult expectRank(Operation *op, Value v, int64_t rank,
                         StringRef what) {
  auto t = cast<RankedTensorType>(v.getType());
  if (t.getRank() != rank)
    return op->emitOpError() << what << " must have rank " << rank
                             << ", got " << t;
  return success();
}

int64_t dim(Value v, unsigned i) {
  return cast<RankedTensorType>(v.getType()).getDimSize(i);
}
} // namespace

//===----------------------------------------------------------------------===//
// Structure
//===----------------------------------------------------------------------===//

void ModelOp::build(OpBuilder &builder, OperationState &state, Type logits,
                    Value inputIds, StringRef architecture, int64_t vocabSize,
                    int64_t hiddenSize, int64_t numLayers) {
  state.addOperands(inputIds);
  state.addTypes(logits);
  state.addAttribute(getArchitectureAttrName(state.name),
                     builder.getStringAttr(architecture));
  state.addAttribute(getVocabSizeAttrName(state.name),
                     builder.getI64IntegerAttr(vocabSize));
  state.addAttribute(getHiddenSizeAttrName(state.name),
                     builder.getI64IntegerAttr(hiddenSize));
  state.addAttribute(getNumLayersAttrName(state.name),
                     builder.getI64IntegerAttr(numLayers));
  Region *body = state.addRegion();
  Block *block = new Block();
  block->addArgument(inputIds.getType(), state.location);
  body->push_back(block);
}

SmallVector<DecoderLayerOp> ModelOp::getLayers() {
  SmallVector<DecoderLayerOp> layers;
  for (Operation &op : getBody().front())
    if (auto layer = dyn_cast<DecoderLayerOp>(op))
      layers.push_back(layer);
  return layers;
}

LogicalResult ModelOp::verifyRegions() {
  Block &block = getBody().front();
  if (block.getNumArguments() != 1 ||
      block.getArgument(0).getType() != getInputIds().getType())
    return emitOpError("body must take one argument of the input_ids type");
  auto output = dyn_cast<OutputOp>(block.getTerminator());
  if (!output)
    return emitOpError("body must end with sieve.output");
  if (output.getLogits().getType() != getLogits().getType())
    return emitOpError("sieve.output type ")
           << output.getLogits().getType() << " differs from the result type "
           << getLogits().getType();
  SmallVector<DecoderLayerOp> layers = getLayers();
  if (layers.size() != getNumLayers())
    return emitOpError("num_layers is ")
           << getNumLayers() << " but the body has " << layers.size()
           << " decoder layers";
  for (size_t i = 1; i < layers.size(); ++i)
    if (layers[i].getIndex() <= layers[i - 1].getIndex())
      return layers[i].emitOpError("index ")
             << layers[i].getIndex() << " does not follow index "
             << layers[i - 1].getIndex();
  if (failed(expectSize(*this, lastDim(getLogits().getType()), getVocabSize(),
                        "logits' last dimension")))
    return failure();
  if (TokenFilterAttr filter = getTokenFilterAttr())
    if (!llvm::any_of(layers, [&](DecoderLayerOp l) {
          return int64_t(l.getIndex()) == filter.getLayer();
        }))
      return emitOpError("token_filter layer ")
             << filter.getLayer() << " is not a decoder layer of the model";
  return success();
}

void DecoderLayerOp::build(OpBuilder &builder, OperationState &state,
                           Value input, int64_t index) {
  state.addOperands(input);
  state.addTypes(input.getType());
  state.addAttribute(getIndexAttrName(state.name),
                     builder.getI64IntegerAttr(index));
  Region *body = state.addRegion();
  Block *block = new Block();
  block->addArgument(input.getType(), state.location);
  body->push_back(block);
}

/// Whether the ops computing `branch` (stopping at `stream`) hold a
/// sieve.attention.
static bool branchHasAttention(Value branch, Value stream) {
  SmallVector<Value> work{branch};
  llvm::SmallPtrSet<Operation *, 16> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    Operation *def = v.getDefiningOp();
    if (v == stream || !def || !seen.insert(def).second)
      continue;
    if (isa<AttentionOp>(def))
      return true;
    llvm::append_range(work, def->getOperands());
  }
  return false;
}

std::optional<std::pair<AddOp, AddOp>> DecoderLayerOp::getResidualAdds() {
  Block &body = getBody().front();
  Value stream = body.getArgument(0), out = body.getTerminator()->getOperand(0);
  AddOp attention, mlp;
  // Follow the residual stream: each step is the one sieve.add reading it.
  while (stream != out) {
    AddOp next;
    for (Operation *user : stream.getUsers())
      if (auto add = dyn_cast<AddOp>(user)) {
        if (next)
          return std::nullopt;
        next = add;
      }
    if (!next)
      return std::nullopt;
    Value branch = next->getOperand(0) == stream ? next->getOperand(1)
                                                 : next->getOperand(0);
    AddOp &slot = branchHasAttention(branch, stream) ? attention : mlp;
    if (slot)
      return std::nullopt;
    slot = next;
    stream = next->getResult(0);
  }
  return std::make_pair(attention, mlp);
}

LogicalResult DecoderLayerOp::verifyRegions() {
  if (getInput().getType() != getOutput().getType())
    return emitOpError("input and output types differ");
  if (static_cast<int64_t>(getIndex()) < 0)
    return emitOpError("index must be >= 0");
  Block &block = getBody().front();
  if (block.getNumArguments() != 1 ||
      block.getArgument(0).getType() != getInput().getType())
    return emitOpError("body must take one argument of the input type");
  auto yield = dyn_cast<YieldOp>(block.getTerminator());
  if (!yield)
    return emitOpError("body must end with sieve.yield");
  if (yield.getOutput().getType() != getOutput().getType())
    return emitOpError("sieve.yield type differs from the result type");
  return success();
}

LogicalResult WeightOp::verify() {
  auto typed = dyn_cast<TypedAttr>(getValue());
  if (!typed || typed.getType() != getType())
    return emitOpError("value type differs from the result type ")
           << getType();
  return success();
}

OpFoldResult WeightOp::fold(FoldAdaptor) { return getValue(); }

/// Checks that `attr` (named `what`) is a stored array, an external tensor
/// or a dense_resource blob, of `shape` and element type `et` (one of `ets`
/// when several are allowed). A blob that is present must hold exactly the
/// packed bytes (ui4: two per byte).
static LogicalResult expectStored(Operation *op, Attribute attr,
                                  StringRef what, ArrayRef<int64_t> shape,
                                  ArrayRef<Type> ets) {
  auto resource = dyn_cast<DenseResourceElementsAttr>(attr);
  if (!isa<onnx::ExternalTensorAttr>(attr) && !resource)
    return op->emitOpError() << what
                             << " must be #onnx.external or dense_resource";
  auto type = cast<RankedTensorType>(cast<TypedAttr>(attr).getType());
  if (type.getShape() != shape || !llvm::is_contained(ets, type.getElementType()))
    return op->emitOpError() << what << " must be "
                             << RankedTensorType::get(shape, ets.front())
                             << (ets.size() > 1 ? " (or f32 elements)" : "")
                             << ", got " << type;
  if (resource)
    if (AsmResourceBlob *blob = resource.getRawHandle().getBlob()) {
      uint64_t want =
          (type.getNumElements() * type.getElementTypeBitWidth() + 7) / 8;
      if (blob->getData().size() != want)
        return op->emitOpError() << what << "'s blob holds "
                                 << blob->getData().size() << " bytes, "
                                 << type << " needs " << want;
    }
  return success();
}

LogicalResult QuantizedWeightOp::verify() {
  auto type = getType();
  if (type.getRank() != 2 || !type.hasStaticShape())
    return emitOpError("result must be a static [K, N] matrix, got ") << type;
  int64_t K = type.getDimSize(0), N = type.getDimSize(1);
  QuantAttr f = getFormat();
  MLIRContext *ctx = getContext();
  Builder b(ctx);
  Type codes;
  SmallVector<Type, 2> scaleTypes = {b.getF32Type()};
  SmallVector<int64_t> scaleShape = {N};
  switch (f.getKind()) {
  case QuantKind::int8:
    codes = b.getIntegerType(8);
    break;
  case QuantKind::fp8:
    codes = b.getType<Float8E4M3FNType>();
    break;
  case QuantKind::int4:
    if (K % f.getGroup())
      return emitOpError("group ")
             << f.getGroup() << " does not divide the input dimension " << K;
    codes = IntegerType::get(ctx, 4, IntegerType::Unsigned);
    // f16 as the quantize pass writes and the GPU reads; f32 as raised
    // from a model's f32 scales (the GPU layout rounds them to f16).
    scaleTypes = {b.getF16Type(), b.getF32Type()};
    scaleShape = {N, K / f.getGroup()};
    break;
  }
  if (failed(expectStored(*this, getData(), "data", {N, K}, codes)) ||
      failed(expectStored(*this, getScales(), "scales", scaleShape,
                          scaleTypes)))
    return failure();
  if (f.getKind() == QuantKind::int4) {
    if (!getZerosAttr())
      return emitOpError("int4 weights need zeros");
    if (failed(expectStored(*this, getZerosAttr(), "zeros", scaleShape,
                            codes)))
      return failure();
  } else if (getZerosAttr()) {
    return emitOpError("symmetric ")
           << stringifyQuantKind(f.getKind()) << " weights have no zeros";
  }
  if (auto in = getInputScalesAttr())
    return expectStored(*this, in, "input_scales", {K}, {b.getF32Type()});
  return success();
}

int64_t WeightOp::getSizeInBytes() {
  auto type = cast<RankedTensorType>(getType());
  int64_t bits = type.getElementType().getIntOrFloatBitWidth();
  return type.getNumElements() * std::max<int64_t>(1, bits / 8);
}

//===----------------------------------------------------------------------===//
// Transformer operations
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::verify() {
  if (failed(expectRank(*this, getIds(), 2, "ids")) ||
      failed(expectRank(*this, getTable(), 2, "table")) ||
      failed(expectRank(*this, getResult(), 3, "result")))
    return failure();
  if (failed(expectSize(*this, dim(getResult(), 2), dim(getTable(), 1),
                        "the result's hidden size")))
    return failure();
  return success();
}

LogicalResult PositionEmbeddingOp::verify() {
  if (failed(expectRank(*this, getTable(), 2, "table")) ||
      failed(expectRank(*this, getInput(), 3, "input")))
    return failure();
  if (getInput().getType() != getResult().getType())
    return emitOpError("input and result types differ");
  return expectSize(*this, dim(getTable(), 1), lastDim(getInput().getType()),
                    "the table's width");
}

/// Shared by the norms: a rank-1 weight (and bias) of the input's width and
/// a non-negative epsilon.
static LogicalResult verifyNorm(Operation *op, Value input, Value weight,
                                Value bias, APFloat epsilon) {
  if (failed(expectRank(op, weight, 1, "weight")) ||
      (bias && failed(expectRank(op, bias, 1, "bias"))))
    return failure();
  if (epsilon.isNegative())
    return op->emitOpError("epsilon must be >= 0");
  int64_t width = lastDim(input.getType());
  if (failed(expectSize(op, dim(weight, 0), width, "weight size")))
    return failure();
  return bias ? expectSize(op, dim(bias, 0), width, "bias size") : success();
}

LogicalResult RMSNormOp::verify() {
  return verifyNorm(*this, getInput(), getWeight(), Value(), getEpsilon());
}

LogicalResult LayerNormOp::verify() {
  return verifyNorm(*this, getInput(), getWeight(), getBias(), getEpsilon());
}

LogicalResult LinearOp::verify() {
  if (failed(expectRank(*this, getWeight(), 2, "weight")))
    return failure();
  if (failed(expectSize(*this, lastDim(getInput().getType()),
                        dim(getWeight(), 0), "the input's last dimension")) ||
      failed(expectSize(*this, lastDim(getResult().getType()),
                        dim(getWeight(), 1), "the result's last dimension")))
    return failure();
  if (getBias()) {
    if (failed(expectRank(*this, getBias(), 1, "bias")) ||
        failed(expectSize(*this, dim(getBias(), 0), dim(getWeight(), 1),
                          "bias size")))
      return failure();
  }
  return success();
}

LogicalResult RotaryOp::verify() {
  if (failed(expectRank(*this, getInvFreq(), 1, "inv_freq")))
    return failure();
  if (getNumHeads() <= 0 || getHeadDim() <= 0)
    return emitOpError("num_heads and head_dim must be positive");
  if (getRotaryDim() <= 0 || getRotaryDim() % 2 || getRotaryDim() > getHeadDim())
    return emitOpError("rotary_dim must be even and in (0, head_dim]");
  if (failed(expectSize(*this, dim(getInvFreq(), 0), getRotaryDim() / 2,
                        "inv_freq size")))
    return failure();
  return expectSize(*this, lastDim(getInput().getType()),
                    getNumHeads() * getHeadDim(), "the input's last dimension");
}

LogicalResult AttentionOp::verify() {
  int64_t heads = getNumHeads(), kvHeads = getNumKvHeads(), hd = getHeadDim();
  if (heads <= 0 || kvHeads <= 0 || hd <= 0)
    return emitOpError("num_heads, num_kv_heads and head_dim must be positive");
  if (heads % kvHeads)
    return emitOpError("num_heads (")
           << heads << ") must be a multiple of num_kv_heads (" << kvHeads
           << ")";
  if (!(getScale().convertToFloat() > 0))
    return emitOpError("scale must be positive");
  if (failed(expectSize(*this, lastDim(getQuery().getType()), heads * hd,
                        "the query's last dimension")) ||
      failed(expectSize(*this, lastDim(getKey().getType()), kvHeads * hd,
                        "the key's last dimension")) ||
      failed(expectSize(*this, lastDim(getValue().getType()), kvHeads * hd,
                        "the value's last dimension")) ||
      failed(expectSize(*this, lastDim(getResult().getType()), heads * hd,
                        "the result's last dimension")))
    return failure();
  if (KVAttr kv = getKvAttr())
    if (kv.getGroup() && hd % kv.getGroup())
      return emitOpError("KV group ")
             << kv.getGroup() << " does not divide head_dim " << hd;
  return success();
}

/// Shared by the MLPs: [hidden, intermediate] projections in, an
/// [intermediate, hidden] projection out.
static LogicalResult verifyMLP(Operation *op, Value input, Value up,
                               Value down) {
  if (failed(expectRank(op, up, 2, "up")) ||
      failed(expectRank(op, down, 2, "down")))
    return failure();
  int64_t hidden = lastDim(input.getType());
  if (failed(expectSize(op, dim(up, 0), hidden, "up's rows")) ||
      failed(expectSize(op, dim(down, 0), dim(up, 1), "down's rows")) ||
      failed(expectSize(op, dim(down, 1), hidden, "down's columns")))
    return failure();
  return success();
}

LogicalResult MLPOp::verify() {
  if (failed(verifyMLP(*this, getInput(), getUp(), getDown())))
    return failure();
  if (Value b = getUpBias())
    if (failed(expectRank(*this, b, 1, "up_bias")) ||
        failed(expectSize(*this, dim(b, 0), dim(getUp(), 1), "up_bias size")))
      return failure();
  if (Value b = getDownBias())
    if (failed(expectRank(*this, b, 1, "down_bias")) ||
        failed(expectSize(*this, dim(b, 0), dim(getDown(), 1),
                          "down_bias size")))
      return failure();
  return success();
}

LogicalResult GatedMLPOp::verify() {
  if (failed(expectRank(*this, getGate(), 2, "gate")))
    return failure();
  if (getGate().getType() != getUp().getType())
    return emitOpError("gate and up have different types");
  return verifyMLP(*this, getInput(), getUp(), getDown());
}

LogicalResult SplitOp::verify() {
  auto in = cast<RankedTensorType>(getInput().getType());
  ArrayRef<int64_t> sizes = getSizes();
  if (sizes.size() != getNumResults())
    return emitOpError("has ") << getNumResults() << " results but "
                               << sizes.size() << " sizes";
  if (in.getRank() < 1)
    return emitOpError("input must have rank >= 1");
  int64_t total = 0;
  for (auto [size, r] : llvm::zip(sizes, getResults())) {
    if (size <= 0)
      return emitOpError("sizes must be positive");
    total += size;
    auto rt = cast<RankedTensorType>(r.getType());
    if (rt.getElementType() != in.getElementType() ||
        rt.getShape().drop_back() != in.getShape().drop_back() ||
        rt.getShape().back() != size)
      return emitOpError("result type ")
             << rt << " is not the input's with last dimension " << size;
  }
  if (!ShapedType::isDynamic(in.getShape().back()) &&
      total != in.getShape().back())
    return emitOpError("sizes add up to ")
           << total << ", not the input's last dimension "
           << in.getShape().back();
  return success();
}

LogicalResult LMHeadOp::verify() {
  if (failed(expectRank(*this, getWeight(), 2, "weight")))
    return failure();
  unsigned in = getTransposed() ? 1 : 0, out = getTransposed() ? 0 : 1;
  if (failed(expectSize(*this, lastDim(getInput().getType()),
                        dim(getWeight(), in), "the input's last dimension")) ||
      failed(expectSize(*this, lastDim(getResult().getType()),
                        dim(getWeight(), out), "the vocabulary size")))
    return failure();
  return success();
}

#define GET_OP_CLASSES
#include "sieve/SieveOps.cpp.inc"
