//===- RaiseDequantizeLinear.cpp - int8 DequantizeLinear weights ----------===//
//
// MatMul(x, W) whose constant weight arrives quantized as DequantizeLinear
// of int8 codes becomes sieve.linear with a sieve.quantized_weight
// #sieve.quant<int8> (docs/quantization.md, "Models that arrive
// quantized"), in two forms:
// - W = DequantizeLinear(codes [K, N], scale), the scale per output feature
//   (axis 1) or per tensor;
// - W = Transpose(DequantizeLinear(codes [N, K], scale)), the scale on
//   axis 0 or per tensor (the codes are already output-channel major and
//   are referenced in place when external).
// The codes are an int8 constant, or QuantizeLinear of a float constant
// with the same scale ("fake quantized" exports); those codes are computed
// here as QuantizeLinear computes them. A per-tensor scale is repeated for
// every output channel (exact). The zero point must be absent or all 0
// (the int8 format is symmetric); other forms stay at the onnx level with a
// note naming the node: non-zero zero points, a scale on the input axis,
// uint8 codes, blocked quantization.
//
//===----------------------------------------------------------------------===//

#include "Raise.h"

#include <algorithm>
#include <cmath>

using namespace mlir;

namespace sieve::raise {
namespace {

/// The values of a constant (scale or zero point), or nullopt.
std::optional<std::vector<double>> constantValues(Value v) {
  if (auto f = getConstantFloats(v))
    return f;
  auto c = v.getDefiningOp<onnx::ConstantOp>();
  auto dense = c ? dyn_cast<DenseElementsAttr>(c.getValue()) : nullptr;
  if (!dense || !isa<IntegerType>(dense.getElementType()))
    return std::nullopt;
  std::vector<double> r;
  for (APInt i : dense.getValues<APInt>())
    r.push_back(double(i.getSExtValue()));
  return r;
}

/// DequantizeLinear's axis of a 2-D input, in [0, 2) (ODS gives the I64Attr
/// unsigned).
int64_t outputAxis(onnx::DequantizeLinearOp dq) {
  int64_t axis = static_cast<int64_t>(dq.getAxis());
  return axis < 0 ? axis + 2 : axis;
}

/// Whether `zp` is absent or a constant of zeros.
bool zeroOrAbsent(Value zp) {
  if (isa<NoneType>(zp.getType()))
    return true;
  if (auto bytes = getConstantBytes(zp))
    return llvm::all_of(*bytes, [](uint8_t b) { return b == 0; });
  auto values = constantValues(zp);
  return values && llvm::all_of(*values, [](double v) { return v == 0; });
}

/// A weight's int8 codes in its stored layout and whether they are the
/// bytes of a model constant (`source`, so they can be referenced in place).
struct Codes {
  std::vector<uint8_t> bytes;
  Value source;
  bool fromConstant = false;
};

struct RaiseDequantizeLinear : public OpRewritePattern<onnx::MatMulOp> {
  RaiseDequantizeLinear(MLIRContext *ctx, Notes &notes)
      : OpRewritePattern(ctx), notes(notes) {}

  LogicalResult matchAndRewrite(onnx::MatMulOp op,
                                PatternRewriter &rewriter) const override {
    Value x = op.getA(), b = op.getB();
    auto type = dyn_cast<RankedTensorType>(op.getType());
    bool transposed = false;
    if (auto t = b.getDefiningOp<onnx::TransposeOp>()) {
      if (t.getPerm() && *t.getPerm() != ArrayRef<int64_t>{1, 0})
        return failure();
      b = t.getData();
      transposed = true;
    }
    auto dq = b.getDefiningOp<onnx::DequantizeLinearOp>();
    if (!dq || !type || !type.getElementType().isF32() || rankOf(x) < 2 ||
        rankOf(b) != 2 || !cast<ShapedType>(b.getType()).hasStaticShape())
      return failure();
    auto fail = [&](const Twine &reason) {
      notes.note(dq, "DequantizeLinear: " + reason);
      return failure();
    };
    // The stored codes are [K, N], or [N, K] under the Transpose.
    ArrayRef<int64_t> stored = shapeOf(b);
    int64_t K = transposed ? stored[1] : stored[0];
    int64_t N = transposed ? stored[0] : stored[1];
    int64_t outAxis = transposed ? 0 : 1;
    if (dq.getBlockSize() != 0)
      return fail("blocked quantization has no sieve.quant format");
    if (!getElementTypeOrSelf(dq.getXScale().getType()).isF32())
      return fail("the scale is not float32");
    auto scale = getConstantFloats(dq.getXScale());
    if (!scale)
      return fail("the scale is not a constant");
    int64_t axis = outputAxis(dq);
    bool perTensor = scale->size() == 1;
    if (!perTensor && (rankOf(dq.getXScale()) != 1 ||
                       int64_t(scale->size()) != N || axis != outAxis))
      return fail("the scale is neither per tensor nor per output feature "
                  "(axis " +
                  Twine(outAxis) + " of the " + (transposed ? "[N, K]" : "[K, N]") +
                  " codes); the int8 format scales output channels");
    if (!zeroOrAbsent(dq.getXZeroPoint()))
      return fail("non-zero zero points (the int8 format is symmetric)");
    FailureOr<Codes> codes = int8Codes(dq, *scale, fail);
    if (failed(codes))
      return failure();

    MLIRContext *ctx = rewriter.getContext();
    StringAttr name = constantName(codes->source);
    std::string blob = name ? name.str() : "dequantizelinear";
    // Output-channel major [N, K]: the codes as stored under a Transpose,
    // else transposed here.
    std::vector<uint8_t> data = std::move(codes->bytes);
    if (!transposed) {
      std::vector<uint8_t> t(data.size());
      for (int64_t k = 0; k < K; ++k)
        for (int64_t n = 0; n < N; ++n)
          t[n * K + k] = data[k * N + n];
      data = std::move(t);
    }
    Attribute dataAttr = storedArray(
        codes->source, transposed && codes->fromConstant,
        RankedTensorType::get({N, K}, rewriter.getIntegerType(8)), data,
        blob + ".codes");
    std::vector<float> scales(N);
    for (int64_t n = 0; n < N; ++n)
      scales[n] = float((*scale)[perTensor ? 0 : n]);
    Attribute scaleAttr = storedArray(
        dq.getXScale(), !perTensor,
        RankedTensorType::get({N}, rewriter.getF32Type()),
        ArrayRef<uint8_t>(reinterpret_cast<const uint8_t *>(scales.data()),
                          scales.size() * 4),
        blob + ".scales");
    auto wType = RankedTensorType::get({K, N}, rewriter.getF32Type());
    Value weight = QuantizedWeightOp::create(
        rewriter, dq.getLoc(), wType,
        QuantAttr::get(ctx, QuantKind::int8, 0, false), dataAttr, scaleAttr,
        /*zeros=*/nullptr, /*input_scales=*/nullptr, name);
    rewriter.replaceOpWithNewOp<LinearOp>(op, type, x, weight, Value());
    return success();
  }

  /// The int8 codes DequantizeLinear reads: an int8 constant, or
  /// QuantizeLinear of a float constant by the same scale with zero points
  /// 0, computed as the onnx-level QuantizeLinear computes them.
  template <typename Fail>
  static FailureOr<Codes> int8Codes(onnx::DequantizeLinearOp dq,
                                    const std::vector<double> &scale,
                                    Fail fail) {
    Value x = dq.getX();
    auto et = getElementTypeOrSelf(x.getType());
    if (et.isUnsignedInteger(8))
      return fail("uint8 codes (the int8 format's are signed)");
    if (!et.isSignlessInteger(8))
      return fail("the codes are not int8");
    Codes c;
    if (auto bytes = getConstantBytes(x)) {
      c.bytes = std::move(*bytes);
      c.source = x;
      c.fromConstant = true;
      return c;
    }
    auto q = x.getDefiningOp<onnx::QuantizeLinearOp>();
    if (!q)
      return fail("the codes are neither an int8 constant nor "
                  "QuantizeLinear of a float constant");
    auto qScale = getConstantFloats(q.getYScale());
    auto w = getConstantFloats(q.getX());
    if (!qScale || *qScale != scale || q.getAxis() != dq.getAxis() ||
        q.getBlockSize() != 0 ||
        rankOf(q.getYScale()) != rankOf(dq.getXScale()))
      return fail("QuantizeLinear's scale differs from DequantizeLinear's");
    if (!zeroOrAbsent(q.getYZeroPoint()))
      return fail("QuantizeLinear has non-zero zero points");
    if (!w || !getElementTypeOrSelf(q.getX().getType()).isF32())
      return fail("QuantizeLinear's input is not a float32 constant");
    ArrayRef<int64_t> shape = shapeOf(x);
    int64_t rows = shape[0], cols = shape[1];
    bool perTensor = scale.size() == 1;
    int64_t axis = outputAxis(dq);
    c.bytes.resize(rows * cols);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t col = 0; col < cols; ++col) {
        float s = float(scale[perTensor ? 0 : axis == 0 ? r : col]);
        // As QuantizeLinear: the quotient in float, rounded half to even.
        float v = float((*w)[r * cols + col]) / s;
        double code = std::clamp(std::nearbyint(double(v)), -128.0, 127.0);
        c.bytes[r * cols + col] = uint8_t(int8_t(code));
      }
    c.source = q.getX();
    return c;
  }

  Notes &notes;
};

} // namespace

void populateRaiseDequantizeLinearPatterns(RewritePatternSet &patterns,
                                           Notes &notes) {
  // Before RaiseMatMul sees the MatMul: the weight is not a float constant,
  // so that pattern does not apply anyway.
  patterns.add<RaiseDequantizeLinear>(patterns.getContext(), notes);
}

} // namespace sieve::raise
