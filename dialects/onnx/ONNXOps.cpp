//===- ONNXOps.cpp - onnx dialect operations and verifiers ----------------===//

#include "sieve/Dialect/ONNX/ONNXOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace sieve::onnx;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<int64_t>>
sieve::onnx::broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x == 1)
      out[i] = y;
    else if (y == 1)
      out[i] = x;
    else if (ShapedType::isDynamic(x))
      out[i] = y;
    else if (ShapedType::isDynamic(y) || x == y)
      out[i] = x;
    else
      return failure();
  }
  return out;
}

FailureOr<int64_t> sieve::onnx::normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return failure();
  return axis < 0 ? axis + rank : axis;
}

bool sieve::onnx::areCompatibleReturnTypes(TypeRange inferred,
                                           TypeRange actual) {
  if (inferred.size() != actual.size())
    return false;
  for (auto [i, a] : llvm::zip(inferred, actual)) {
    if (i == a || isa<NoneType>(a))
      continue;
    auto si = dyn_cast<ShapedType>(i);
    auto sa = dyn_cast<ShapedType>(a);
    if (!si || !sa || si.getElementType() != sa.getElementType() ||
        failed(verifyCompatibleShape(si, sa)))
      return false;
  }
  return true;
}

std::optional<SmallVector<int64_t>> sieve::onnx::getConstantInts(Value v) {
  auto c = v.getDefiningOp<ConstantOp>();
  if (!c)
    return std::nullopt;
  auto dense = dyn_cast<DenseIntElementsAttr>(c.getValue());
  if (!dense)
    return std::nullopt;
  SmallVector<int64_t> result;
  bool isBool = dense.getElementType().isInteger(1);
  for (const APInt &x : dense.getValues<APInt>())
    result.push_back(isBool ? int64_t(x.getZExtValue()) : x.getSExtValue());
  return result;
}

//===----------------------------------------------------------------------===//
// Verifiers
//===----------------------------------------------------------------------===//
//
// Verifiers check only what the types say: they accept unranked tensors and
// dynamic dimensions, and check ranks, sizes and element types where known.

namespace {
RankedTensorType rankedOf(Value v) {
  return dyn_cast<RankedTensorType>(v.getType());
}

bool isAbsent(Value v) { return isa<NoneType>(v.getType()); }

/// `axis` must lie in [-rank, rank) (or [-rank-1, rank] with `inclusiveEnd`,
/// where rank is that of `v`, when `v` is ranked.
LogicalResult verifyAxis(Operation *op, int64_t axis, Value v,
                         StringRef name = "axis", bool inclusiveEnd = false) {
  auto t = rankedOf(v);
  if (!t)
    return success();
  int64_t rank = t.getRank() + (inclusiveEnd ? 1 : 0);
  if (axis < -rank || axis >= rank)
    return op->emitOpError() << name << " " << axis
                             << " out of range for rank " << t.getRank();
  return success();
}

/// A ranked `v` must have a rank in [minRank, maxRank].
LogicalResult verifyRank(Operation *op, Value v, StringRef name,
                         int64_t minRank, int64_t maxRank) {
  auto t = rankedOf(v);
  if (!t || (t.getRank() >= minRank && t.getRank() <= maxRank))
    return success();
  InFlightDiagnostic diag = op->emitOpError() << name << " must have rank ";
  if (minRank == maxRank)
    diag << minRank;
  else
    diag << minRank << " to " << maxRank;
  return diag << ", got " << t.getRank();
}

LogicalResult verifySameElementType(Operation *op, Value a, Value b) {
  Type ea = getElementTypeOrSelf(a.getType());
  Type eb = getElementTypeOrSelf(b.getType());
  if (ea != eb)
    return op->emitOpError("operand element types differ: ")
           << ea << " vs " << eb;
  return success();
}

/// Ranked operands must broadcast together.
LogicalResult verifyBroadcast(Operation *op, ValueRange values) {
  SmallVector<int64_t> shape;
  for (Value v : values) {
    auto t = rankedOf(v);
    if (!t)
      continue;
    FailureOr<SmallVector<int64_t>> b = broadcastShapes(shape, t.getShape());
    if (failed(b))
      return op->emitOpError("operand shapes do not broadcast: ")
             << values.getTypes();
    shape = *b;
  }
  return success();
}

LogicalResult verifyBroadcastBinary(Operation *op, bool sameElementType) {
  if (sameElementType &&
      failed(verifySameElementType(op, op->getOperand(0), op->getOperand(1))))
    return failure();
  return verifyBroadcast(op, op->getOperands());
}

LogicalResult verifyBoolOperands(Operation *op) {
  for (Value v : op->getOperands())
    if (!getElementTypeOrSelf(v.getType()).isInteger(1))
      return op->emitOpError("operands must be bool tensors, got ")
             << v.getType();
  return success();
}

/// Normalized axes must be in range and distinct.
LogicalResult verifyAxesList(Operation *op, ArrayRef<int64_t> axes, Value v,
                             StringRef name = "axes") {
  auto t = rankedOf(v);
  if (!t)
    return success();
  llvm::SmallBitVector seen(t.getRank());
  for (int64_t axis : axes) {
    FailureOr<int64_t> a = normalizeAxis(axis, t.getRank());
    if (failed(a))
      return op->emitOpError() << name << " value " << axis
                               << " out of range for rank " << t.getRank();
    if (seen.test(*a))
      return op->emitOpError() << name << " has duplicate axis " << axis;
    seen.set(*a);
  }
  return success();
}
} // namespace

LogicalResult ConstantOp::verify() {
  auto typed = dyn_cast<TypedAttr>(getValue());
  if (!typed || typed.getType() != getType())
    return emitOpError("value type ")
           << (typed ? typed.getType() : Type()) << " differs from result type "
           << getType();
  return success();
}

// Elementwise.

LogicalResult GeluOp::verify() {
  if (getApproximate() != "none" && getApproximate() != "tanh")
    return emitOpError("approximate must be \"none\" or \"tanh\", got \"")
           << getApproximate() << "\"";
  return success();
}

LogicalResult ClipOp::verify() {
  for (Value bound : {getMin(), getMax()}) {
    if (isAbsent(bound))
      continue;
    if (failed(verifySameElementType(*this, getInput(), bound)))
      return failure();
    auto t = rankedOf(bound);
    if (t && t.hasStaticShape() && t.getNumElements() != 1)
      return emitOpError("min and max must be scalars, got ")
             << bound.getType();
  }
  return success();
}

#define SIEVE_BROADCAST_VERIFIER(OP, SAME)                                     \
  LogicalResult OP::verify() { return verifyBroadcastBinary(*this, SAME); }
SIEVE_BROADCAST_VERIFIER(AddOp, true)
SIEVE_BROADCAST_VERIFIER(SubOp, true)
SIEVE_BROADCAST_VERIFIER(MulOp, true)
SIEVE_BROADCAST_VERIFIER(DivOp, true)
SIEVE_BROADCAST_VERIFIER(PowOp, false)
SIEVE_BROADCAST_VERIFIER(BitwiseAndOp, true)
SIEVE_BROADCAST_VERIFIER(EqualOp, true)
SIEVE_BROADCAST_VERIFIER(GreaterOp, true)
SIEVE_BROADCAST_VERIFIER(GreaterOrEqualOp, true)
SIEVE_BROADCAST_VERIFIER(LessOp, true)
SIEVE_BROADCAST_VERIFIER(LessOrEqualOp, true)
#undef SIEVE_BROADCAST_VERIFIER

#define SIEVE_LOGICAL_VERIFIER(OP)                                             \
  LogicalResult OP::verify() {                                                 \
    if (failed(verifyBoolOperands(*this)))                                     \
      return failure();                                                        \
    return verifyBroadcastBinary(*this, true);                                 \
  }
SIEVE_LOGICAL_VERIFIER(AndOp)
SIEVE_LOGICAL_VERIFIER(OrOp)
SIEVE_LOGICAL_VERIFIER(XorOp)
#undef SIEVE_LOGICAL_VERIFIER

LogicalResult ModOp::verify() {
  if (failed(verifyBroadcastBinary(*this, true)))
    return failure();
  if (isa<FloatType>(getElementTypeOrSelf(getA().getType())) && getFmod() != 1)
    return emitOpError("floating-point operands need fmod = 1");
  return success();
}

LogicalResult WhereOp::verify() {
  Type cond = getElementTypeOrSelf(getCondition().getType());
  if (!cond.isInteger(1))
    return emitOpError("condition must be a bool tensor, got ")
           << getCondition().getType();
  if (failed(verifySameElementType(*this, getX(), getY())))
    return failure();
  return verifyBroadcast(*this, getOperands());
}

#define SIEVE_VARIADIC_VERIFIER(OP)                                            \
  LogicalResult OP::verify() {                                                 \
    if (getOperands().empty())                                                 \
      return emitOpError("needs at least one input");                          \
    for (Value v : getOperands().drop_front())                                 \
      if (failed(verifySameElementType(*this, getOperand(0), v)))              \
        return failure();                                                      \
    return verifyBroadcast(*this, getOperands());                              \
  }
SIEVE_VARIADIC_VERIFIER(SumOp)
SIEVE_VARIADIC_VERIFIER(MaxOp)
SIEVE_VARIADIC_VERIFIER(MinOp)
SIEVE_VARIADIC_VERIFIER(MeanOp)
#undef SIEVE_VARIADIC_VERIFIER

// Reductions.

namespace {
template <typename OpT>
LogicalResult verifyReduce(OpT op) {
  if (op.getAxes() && !isAbsent(op.getAxesInput()))
    return op.emitOpError(
        "axes given both as an attribute and as an operand");
  if (std::optional<ArrayRef<int64_t>> axes = op.getAxes())
    return verifyAxesList(op, *axes, op.getData());
  return verifyRank(op, op.getAxesInput(), "axes", 1, 1);
}
} // namespace

#define SIEVE_REDUCE_VERIFIER(OP)                                              \
  LogicalResult OP::verify() { return verifyReduce(*this); }
SIEVE_REDUCE_VERIFIER(ReduceMaxOp)
SIEVE_REDUCE_VERIFIER(ReduceMeanOp)
SIEVE_REDUCE_VERIFIER(ReduceMinOp)
SIEVE_REDUCE_VERIFIER(ReduceSumOp)
SIEVE_REDUCE_VERIFIER(ReduceProdOp)
SIEVE_REDUCE_VERIFIER(ReduceL2Op)
SIEVE_REDUCE_VERIFIER(ReduceL1Op)
SIEVE_REDUCE_VERIFIER(ReduceSumSquareOp)
SIEVE_REDUCE_VERIFIER(ReduceLogSumExpOp)
#undef SIEVE_REDUCE_VERIFIER

LogicalResult ArgMaxOp::verify() {
  return verifyAxis(*this, static_cast<int64_t>(getAxis()), getData());
}

LogicalResult CumSumOp::verify() {
  if (failed(verifyRank(*this, getAxis(), "axis", 0, 1)))
    return failure();
  auto t = rankedOf(getAxis());
  if (t && t.hasStaticShape() && t.getNumElements() != 1)
    return emitOpError("axis must hold one value");
  if (!isa<IntegerType>(getElementTypeOrSelf(getAxis().getType())))
    return emitOpError("axis must be an integer tensor");
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return verifyAxis(*this, static_cast<int64_t>(getAxis()), getInput());
}

LogicalResult LogSoftmaxOp::verify() {
  return verifyAxis(*this, static_cast<int64_t>(getAxis()), getInput());
}

LogicalResult TopKOp::verify() {
  if (failed(verifyAxis(*this, static_cast<int64_t>(getAxis()), getX())) ||
      failed(verifyRank(*this, getK(), "K", 0, 1)))
    return failure();
  return success();
}

// Linear algebra.

LogicalResult MatMulOp::verify() {
  auto a = dyn_cast<RankedTensorType>(getA().getType());
  auto b = dyn_cast<RankedTensorType>(getB().getType());
  if (!a || !b)
    return success();
  if (a.getRank() == 0 || b.getRank() == 0)
    return emitOpError("operands must have rank >= 1");
  if (a.getElementType() != b.getElementType())
    return emitOpError("operand element types differ: ")
           << a.getElementType() << " vs " << b.getElementType();
  int64_t k1 = a.getShape().back();
  int64_t k2 = b.getRank() == 1 ? b.getShape()[0] : b.getShape()[b.getRank() - 2];
  if (!ShapedType::isDynamic(k1) && !ShapedType::isDynamic(k2) && k1 != k2)
    return emitOpError("contraction sizes differ: ") << k1 << " vs " << k2;
  return success();
}

LogicalResult GemmOp::verify() {
  if (failed(verifyRank(*this, getA(), "A", 2, 2)) ||
      failed(verifyRank(*this, getB(), "B", 2, 2)) ||
      failed(verifySameElementType(*this, getA(), getB())))
    return failure();
  auto a = rankedOf(getA());
  auto b = rankedOf(getB());
  if (!a || !b)
    return success();
  int64_t k1 = a.getShape()[getTransA() ? 0 : 1];
  int64_t k2 = b.getShape()[getTransB() ? 1 : 0];
  if (!ShapedType::isDynamic(k1) && !ShapedType::isDynamic(k2) && k1 != k2)
    return emitOpError("contraction sizes differ: ") << k1 << " vs " << k2;
  return success();
}

LogicalResult EinsumOp::verify() {
  StringRef equation = getEquation();
  StringRef lhs = equation.split("->").first;
  size_t terms = lhs.count(',') + 1;
  if (terms != getInputs().size())
    return emitOpError("equation has ")
           << terms << " input terms but the op has " << getInputs().size()
           << " inputs";
  return success();
}

// Type conversion.

LogicalResult CastOp::verify() {
  auto out = dyn_cast<ShapedType>(getOutput().getType());
  if (out && out.getElementType() != getTo())
    return emitOpError("result element type ")
           << out.getElementType() << " differs from `to` " << getTo();
  return success();
}

// Shape manipulation.

LogicalResult ConcatOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one input");
  int64_t rank = -1;
  for (Value v : getInputs()) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    if (!t)
      continue;
    if (rank >= 0 && t.getRank() != rank)
      return emitOpError("inputs have different ranks");
    rank = t.getRank();
  }
  int64_t axis = static_cast<int64_t>(getAxis());
  if (rank >= 0 && failed(normalizeAxis(axis, rank)))
    return emitOpError("axis ") << axis << " out of range for rank " << rank;
  return success();
}

LogicalResult ConstantOfShapeOp::verify() {
  if (failed(verifyRank(*this, getInput(), "input", 1, 1)))
    return failure();
  if (std::optional<ElementsAttr> value = getValue()) {
    if (value->getNumElements() != 1)
      return emitOpError("value must hold exactly one element");
    Type elt = getElementTypeOrSelf(getOutput().getType());
    if (value->getElementType() != elt)
      return emitOpError("result element type ")
             << elt << " differs from the value's " << value->getElementType();
  }
  return success();
}

LogicalResult ExpandOp::verify() {
  return verifyRank(*this, getShape(), "shape", 1, 1);
}

LogicalResult FlattenOp::verify() {
  return verifyAxis(*this, static_cast<int64_t>(getAxis()), getInput(), "axis",
                    /*inclusiveEnd=*/true);
}

LogicalResult GatherOp::verify() {
  if (failed(verifyAxis(*this, static_cast<int64_t>(getAxis()), getData())))
    return failure();
  if (!isa<IntegerType>(getElementTypeOrSelf(getIndices().getType())))
    return emitOpError("indices must be an integer tensor");
  return success();
}

LogicalResult GatherElementsOp::verify() {
  if (failed(verifyAxis(*this, static_cast<int64_t>(getAxis()), getData())))
    return failure();
  auto d = rankedOf(getData());
  auto i = rankedOf(getIndices());
  if (d && i && d.getRank() != i.getRank())
    return emitOpError("data and indices must have the same rank");
  return success();
}

LogicalResult GatherNDOp::verify() {
  auto d = rankedOf(getData());
  auto i = rankedOf(getIndices());
  int64_t b = static_cast<int64_t>(getBatchDims());
  if (b < 0)
    return emitOpError("batch_dims must be non-negative");
  if (i && i.getRank() < 1)
    return emitOpError("indices must have rank >= 1");
  if (d && i && b >= std::min(d.getRank(), i.getRank()))
    return emitOpError("batch_dims ")
           << b << " must be less than the ranks of data and indices";
  if (d && i) {
    int64_t m = i.getShape().back();
    if (!ShapedType::isDynamic(m) && m > d.getRank() - b)
      return emitOpError("index tuples of length ")
             << m << " exceed the data rank " << d.getRank()
             << " minus batch_dims";
  }
  return success();
}

LogicalResult ScatterNDOp::verify() {
  StringRef r = getReduction();
  if (r != "none" && r != "add" && r != "mul" && r != "max" && r != "min")
    return emitOpError("unknown reduction \"") << r << "\"";
  return verifySameElementType(*this, getData(), getUpdates());
}

LogicalResult RangeOp::verify() {
  for (Value v : getOperands()) {
    if (failed(verifyRank(*this, v, "start, limit and delta", 0, 0)) ||
        failed(verifySameElementType(*this, getStart(), v)))
      return failure();
  }
  return success();
}

LogicalResult ReshapeOp::verify() {
  return verifyRank(*this, getShape(), "shape", 1, 1);
}

LogicalResult SliceOp::verify() {
  if (failed(verifyRank(*this, getStarts(), "starts", 1, 1)) ||
      failed(verifyRank(*this, getEnds(), "ends", 1, 1)) ||
      failed(verifyRank(*this, getAxes(), "axes", 1, 1)) ||
      failed(verifyRank(*this, getSteps(), "steps", 1, 1)))
    return failure();
  return success();
}

LogicalResult SplitOp::verify() {
  if (getOutputs().empty())
    return emitOpError("needs at least one result");
  if (failed(verifyAxis(*this, static_cast<int64_t>(getAxis()), getInput())) ||
      failed(verifyRank(*this, getSplit(), "split", 1, 1)))
    return failure();
  if (std::optional<uint64_t> n = getNumOutputs()) {
    if (!isAbsent(getSplit()))
      return emitOpError("split and num_outputs are both given");
    if (static_cast<int64_t>(*n) != static_cast<int64_t>(getOutputs().size()))
      return emitOpError("num_outputs ")
             << static_cast<int64_t>(*n) << " differs from the "
             << getOutputs().size() << " results";
  }
  auto s = rankedOf(getSplit());
  if (s && !s.isDynamicDim(0) &&
      s.getDimSize(0) != static_cast<int64_t>(getOutputs().size()))
    return emitOpError("split has ")
           << s.getDimSize(0) << " sizes for " << getOutputs().size()
           << " results";
  return success();
}

LogicalResult SqueezeOp::verify() {
  return verifyRank(*this, getAxes(), "axes", 0, 1);
}

LogicalResult UnsqueezeOp::verify() {
  return verifyRank(*this, getAxes(), "axes", 0, 1);
}

LogicalResult TileOp::verify() {
  if (failed(verifyRank(*this, getRepeats(), "repeats", 1, 1)))
    return failure();
  auto in = rankedOf(getInput());
  auto r = rankedOf(getRepeats());
  if (in && r && !r.isDynamicDim(0) && r.getDimSize(0) != in.getRank())
    return emitOpError("repeats has ")
           << r.getDimSize(0) << " values for rank " << in.getRank();
  return success();
}

LogicalResult TransposeOp::verify() {
  std::optional<ArrayRef<int64_t>> perm = getPerm();
  auto t = rankedOf(getData());
  if (!perm || !t)
    return success();
  if (static_cast<int64_t>(perm->size()) != t.getRank())
    return emitOpError("perm has ")
           << perm->size() << " entries for rank " << t.getRank();
  llvm::SmallBitVector seen(t.getRank());
  for (int64_t p : *perm) {
    if (p < 0 || p >= t.getRank() || seen.test(p))
      return emitOpError("perm is not a permutation of [0, ")
             << t.getRank() << ")";
    seen.set(p);
  }
  return success();
}

LogicalResult TriluOp::verify() {
  if (failed(verifyRank(*this, getInput(), "input", 2,
                        std::numeric_limits<int64_t>::max())) ||
      failed(verifyRank(*this, getK(), "k", 0, 0)))
    return failure();
  return success();
}

// Normalization.

LogicalResult LayerNormalizationOp::verify() {
  if (failed(verifyAxis(*this, static_cast<int64_t>(getAxis()), getX())))
    return failure();
  return verifySameElementType(*this, getX(), getScale());
}

LogicalResult RMSNormalizationOp::verify() {
  if (failed(verifyAxis(*this, static_cast<int64_t>(getAxis()), getX())))
    return failure();
  return verifySameElementType(*this, getX(), getScale());
}

LogicalResult MSSimplifiedLayerNormalizationOp::verify() {
  if (failed(verifyAxis(*this, static_cast<int64_t>(getAxis()), getX())))
    return failure();
  return verifySameElementType(*this, getX(), getScale());
}

namespace {
/// Shared checks of the com.microsoft Skip*LayerNormalization ops.
LogicalResult verifySkipNorm(Operation *op, Value input, Value skip,
                             Value gamma) {
  if (failed(verifySameElementType(op, input, skip)) ||
      failed(verifyRank(op, input, "input", 2, 3)) ||
      failed(verifyRank(op, gamma, "gamma", 1, 1)))
    return failure();
  auto in = rankedOf(input);
  auto g = rankedOf(gamma);
  if (in && g && !in.isDynamicDim(in.getRank() - 1) && !g.isDynamicDim(0) &&
      in.getShape().back() != g.getDimSize(0))
    return op->emitOpError("gamma size ")
           << g.getDimSize(0) << " differs from the hidden size "
           << in.getShape().back();
  return success();
}
} // namespace

LogicalResult MSSkipSimplifiedLayerNormalizationOp::verify() {
  return verifySkipNorm(*this, getInput(), getSkip(), getGamma());
}

LogicalResult MSSkipLayerNormalizationOp::verify() {
  return verifySkipNorm(*this, getInput(), getSkip(), getGamma());
}

// Attention.

LogicalResult AttentionOp::verify() {
  auto q = rankedOf(getQ());
  for (Value v : {getQ(), getK(), getV()})
    if (failed(verifyRank(*this, v, "Q, K and V", 3, 4)))
      return failure();
  if (failed(verifySameElementType(*this, getQ(), getK())))
    return failure();
  for (Value v : {getK(), getV()}) {
    auto t = rankedOf(v);
    if (q && t && t.getRank() != q.getRank())
      return emitOpError("Q, K and V must have the same rank");
  }
  if (q && q.getRank() == 3 && (!getQNumHeads() || !getKvNumHeads()))
    return emitOpError("3-D inputs need q_num_heads and kv_num_heads");
  if (getQNumHeads() && getKvNumHeads()) {
    int64_t qh = static_cast<int64_t>(*getQNumHeads());
    int64_t kvh = static_cast<int64_t>(*getKvNumHeads());
    if (qh <= 0 || kvh <= 0 || qh % kvh != 0)
      return emitOpError("q_num_heads ")
             << qh << " must be a positive multiple of kv_num_heads " << kvh;
  }
  int64_t mode = static_cast<int64_t>(getQkMatmulOutputMode());
  if (mode < 0 || mode > 3)
    return emitOpError("qk_matmul_output_mode must be 0 to 3, got ") << mode;
  if (isAbsent(getPastKey()) != isAbsent(getPastValue()))
    return emitOpError("past_key and past_value must be given together");
  return success();
}

LogicalResult RotaryEmbeddingOp::verify() {
  if (failed(verifyRank(*this, getX(), "X", 3, 4)))
    return failure();
  auto x = rankedOf(getX());
  if (x && x.getRank() == 3 && !getNumHeads())
    return emitOpError("3-D input needs num_heads");
  if (failed(verifySameElementType(*this, getCosCache(), getSinCache())))
    return failure();
  return success();
}

LogicalResult MSRotaryEmbeddingOp::verify() {
  if (failed(verifyRank(*this, getInput(), "input", 3, 4)) ||
      failed(verifySameElementType(*this, getCosCache(), getSinCache())))
    return failure();
  return success();
}

LogicalResult MSGroupQueryAttentionOp::verify() {
  int64_t heads = static_cast<int64_t>(getNumHeads());
  int64_t kvHeads = static_cast<int64_t>(getKvNumHeads());
  if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0)
    return emitOpError("num_heads ")
           << heads << " must be a positive multiple of kv_num_heads "
           << kvHeads;
  if (failed(verifyRank(*this, getQuery(), "query", 3, 3)))
    return failure();
  if (isAbsent(getKey()) != isAbsent(getValue()))
    return emitOpError("key and value must be given together");
  if (isAbsent(getPastKey()) != isAbsent(getPastValue()))
    return emitOpError("past_key and past_value must be given together");
  if (getDoRotary() && (isAbsent(getCosCache()) || isAbsent(getSinCache())))
    return emitOpError("do_rotary needs cos_cache and sin_cache");
  return success();
}

LogicalResult MSMatMulNBitsOp::verify() {
  int64_t bits = static_cast<int64_t>(getBits());
  int64_t blockSize = static_cast<int64_t>(getBlockSize());
  int64_t k = static_cast<int64_t>(getK());
  int64_t n = static_cast<int64_t>(getN());
  if (bits != 2 && bits != 4 && bits != 8)
    return emitOpError("bits must be 2, 4 or 8, got ") << bits;
  if (blockSize < 16 || !llvm::isPowerOf2_64(blockSize))
    return emitOpError("block_size must be a power of 2 >= 16, got ")
           << blockSize;
  if (k <= 0 || n <= 0)
    return emitOpError("K and N must be positive");
  if (auto a = rankedOf(getA())) {
    if (a.getRank() == 0)
      return emitOpError("A must have rank >= 1");
    int64_t ak = a.getShape().back();
    if (!ShapedType::isDynamic(ak) && ak != k)
      return emitOpError("A's last dimension ")
             << ak << " differs from K " << k;
  }
  return success();
}

#define GET_OP_CLASSES
#include "onnx/ONNXOps.cpp.inc"
