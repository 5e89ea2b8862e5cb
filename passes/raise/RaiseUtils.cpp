//===- RaiseUtils.cpp - matching helpers shared by the raise patterns -----===//

#include "Raise.h"

#include "sieve/Dialect/ONNX/ONNXDialect.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;

namespace sieve::raise {

ArrayRef<int64_t> shapeOf(Value v) {
  if (auto t = dyn_cast<RankedTensorType>(v.getType()))
    return t.getShape();
  return {};
}

int64_t rankOf(Value v) {
  if (auto t = dyn_cast<RankedTensorType>(v.getType()))
    return t.getRank();
  return -1;
}

namespace {
/// The bit widths (input, output) of a Cast between float types, or
/// nullopt when `v` is not one.
std::optional<std::pair<unsigned, unsigned>> floatCastWidths(Value v) {
  auto cast = v.getDefiningOp<onnx::CastOp>();
  if (!cast)
    return std::nullopt;
  auto in = dyn_cast<RankedTensorType>(cast.getInput().getType());
  auto out = dyn_cast<RankedTensorType>(cast.getOutput().getType());
  if (!in || !out || !isa<FloatType>(in.getElementType()) ||
      !isa<FloatType>(out.getElementType()))
    return std::nullopt;
  return std::pair(in.getElementType().getIntOrFloatBitWidth(),
                   out.getElementType().getIntOrFloatBitWidth());
}

/// The onnx.Constant behind `v`, looking through a widening float Cast.
onnx::ConstantOp getConstant(Value v, bool &widened) {
  widened = false;
  if (v.getDefiningOp<onnx::CastOp>()) {
    auto widths = floatCastWidths(v);
    if (!widths || widths->first >= widths->second)
      return nullptr;
    widened = true;
    v = peelWideningCast(v);
  }
  return v.getDefiningOp<onnx::ConstantOp>();
}
} // namespace

Value peelNarrowingCast(Value v) {
  auto widths = floatCastWidths(v);
  if (!widths || widths->first <= widths->second)
    return v;
  return v.getDefiningOp<onnx::CastOp>().getInput();
}

Value peelWideningCast(Value v) {
  auto widths = floatCastWidths(v);
  if (!widths || widths->first >= widths->second)
    return v;
  return v.getDefiningOp<onnx::CastOp>().getInput();
}

bool isWeight(Value v) {
  if (v.getDefiningOp<WeightOp>())
    return isa<FloatType>(cast<ShapedType>(v.getType()).getElementType());
  bool widened;
  auto c = getConstant(v, widened);
  return c && isa<RankedTensorType>(c.getType()) &&
         isa<FloatType>(cast<ShapedType>(c.getType()).getElementType());
}

Value makeWeight(PatternRewriter &rewriter, Value v,
                 std::optional<ArrayRef<int64_t>> reshape) {
  Attribute value;
  StringAttr name;
  Location loc = v.getLoc();
  if (auto w = v.getDefiningOp<WeightOp>()) {
    value = w.getValue();
    name = w.getNameAttr();
  } else {
    bool widened;
    auto c = getConstant(v, widened);
    value = c.getValue();
    loc = c.getLoc();
    if (auto n = dyn_cast<NameLoc>(loc))
      name = n.getName();
  }
  auto type = cast<RankedTensorType>(cast<TypedAttr>(value).getType());
  if (reshape && *reshape != type.getShape()) {
    auto newType = RankedTensorType::get(*reshape, type.getElementType());
    if (auto dense = dyn_cast<DenseElementsAttr>(value))
      value = dense.reshape(newType);
    else if (auto ext = dyn_cast<onnx::ExternalTensorAttr>(value))
      value = onnx::ExternalTensorAttr::get(rewriter.getContext(), newType,
                                            ext.getLocation(), ext.getOffset(),
                                            ext.getLength());
    else
      return nullptr;
    type = newType;
  }
  auto op = WeightOp::create(rewriter, loc, type, value, name);
  return op.getResult();
}

std::optional<double> getScalarFloat(Value v) {
  bool widened;
  auto c = getConstant(v, widened);
  if (!c)
    return std::nullopt;
  auto dense = dyn_cast<DenseFPElementsAttr>(c.getValue());
  if (!dense || dense.getNumElements() != 1)
    return std::nullopt;
  return (*dense.getValues<APFloat>().begin()).convertToDouble();
}


namespace {
bool isIntScalar(Value v, int64_t expected) {
  auto ints = onnx::getConstantInts(v);
  return ints && ints->size() == 1 && (*ints)[0] == expected;
}

/// Whether `v` is the sequence length: dimension 1 of some tensor, as a
/// scalar or one-element integer tensor.
bool isSeqLength(Value v) {
  if (auto sq = v.getDefiningOp<onnx::SqueezeOp>())
    v = sq.getData();
  if (auto shape = v.getDefiningOp<onnx::ShapeOp>()) {
    int64_t rank = rankOf(shape.getData());
    auto end = shape.getEnd();
    return rank >= 2 && static_cast<int64_t>(shape.getStart()) == 1 && end && static_cast<int64_t>(*end) == 2 &&
           ShapedType::isDynamic(shapeOf(shape.getData())[1]);
  }
  if (auto g = v.getDefiningOp<onnx::GatherOp>()) {
    auto shape = g.getData().getDefiningOp<onnx::ShapeOp>();
    return shape && shape.getStart() == 0 && !shape.getEnd() &&
           g.getAxis() == 0 && isIntScalar(g.getIndices(), 1) &&
           rankOf(shape.getData()) >= 2 &&
           ShapedType::isDynamic(shapeOf(shape.getData())[1]);
  }
  return false;
}
} // namespace

bool isPositions(Value v, std::string &why) {
  auto range = v.getDefiningOp<onnx::RangeOp>();
  if (!range) {
    why = "the positions do not come from a Range";
    return false;
  }
  if (!isIntScalar(range.getStart(), 0) || !isIntScalar(range.getDelta(), 1)) {
    why = "the positions Range does not start at 0 with step 1";
    return false;
  }
  if (!isSeqLength(range.getLimit())) {
    why = "the positions Range does not end at the sequence length";
    return false;
  }
  return true;
}

bool isPositionsAlong(Value v, int64_t axis, std::string &why) {
  if (auto c = v.getDefiningOp<onnx::CastOp>())
    v = c.getInput();
  int64_t rank = rankOf(v);
  if (rank < 1) {
    why = "the positions are not a ranked tensor";
    return false;
  }
  if (axis < 0)
    axis += rank;
  ArrayRef<int64_t> shape = shapeOf(v);
  for (int64_t i = 0; i < rank; ++i)
    if (i != axis && shape[i] != 1) {
      why = "the positions do not vary along one axis";
      return false;
    }
  while (auto u = v.getDefiningOp<onnx::UnsqueezeOp>())
    v = u.getData();
  if (rankOf(v) != 1) {
    why = "the positions are not an unsqueezed [seq] vector";
    return false;
  }
  return isPositions(v, why);
}

//===----------------------------------------------------------------------===//
// Constant data
//===----------------------------------------------------------------------===//

/// The raw little-endian bytes of a constant whose value is not `dense`: a
/// `dense_resource` blob (if it was not elided), or an `#onnx.external` slice
/// read from its file (relative to the module's onnx.model_dir). Checked
/// against the size of the constant's type.
static std::optional<std::vector<char>> rawBytes(onnx::ConstantOp c) {
  auto type = dyn_cast<RankedTensorType>(c.getType());
  if (!type || !type.getElementType().isIntOrFloat() ||
      type.getElementTypeBitWidth() % 8)
    return std::nullopt;
  size_t size = type.getNumElements() * type.getElementTypeBitWidth() / 8;
  if (auto res = dyn_cast<DenseResourceElementsAttr>(c.getValue())) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob || blob->getData().size() != size)
      return std::nullopt;
    return std::vector<char>(blob->getData().begin(), blob->getData().end());
  }
  auto ext = dyn_cast<onnx::ExternalTensorAttr>(c.getValue());
  if (!ext || ext.getLength() != size)
    return std::nullopt;
  SmallString<256> path;
  if (!llvm::sys::path::is_absolute(ext.getLocation()))
    if (auto module = c->getParentOfType<ModuleOp>())
      if (auto dir = module->getAttrOfType<StringAttr>("onnx.model_dir"))
        path = dir.getValue();
  llvm::sys::path::append(path, ext.getLocation());
  auto buf = llvm::MemoryBuffer::getFileSlice(path, size, ext.getOffset());
  if (!buf)
    return std::nullopt;
  StringRef data = (*buf)->getBuffer();
  return std::vector<char>(data.begin(), data.end());
}

std::optional<std::vector<double>> getConstantFloats(Value v) {
  auto c = v.getDefiningOp<onnx::ConstantOp>();
  if (!c)
    return std::nullopt;
  std::vector<double> r;
  if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue())) {
    if (!isa<FloatType>(dense.getElementType()))
      return std::nullopt;
    for (APFloat f : dense.getValues<APFloat>())
      r.push_back(f.convertToDouble());
    return r;
  }
  // A resource blob: little-endian elements of an f32, f16 or bf16 type.
  auto type = dyn_cast<FloatType>(cast<ShapedType>(c.getType()).getElementType());
  if (!type || !(type.isF32() || type.isF16() || type.isBF16()))
    return std::nullopt;
  auto bytes = rawBytes(c);
  if (!bytes)
    return std::nullopt;
  unsigned width = type.getWidth(), size = width / 8;
  r.resize(bytes->size() / size);
  for (size_t i = 0; i < r.size(); ++i) {
    uint64_t bits = 0;
    std::memcpy(&bits, bytes->data() + size * i, size);
    r[i] = APFloat(type.getFloatSemantics(), APInt(width, bits)).convertToDouble();
  }
  return r;
}

std::optional<std::vector<uint8_t>> getConstantBytes(Value v) {
  auto c = v.getDefiningOp<onnx::ConstantOp>();
  auto type = c ? dyn_cast<ShapedType>(c.getType()) : nullptr;
  if (!type || !type.getElementType().isInteger(8))
    return std::nullopt;
  if (auto dense = dyn_cast<DenseElementsAttr>(c.getValue())) {
    std::vector<uint8_t> r;
    for (APInt i : dense.getValues<APInt>())
      r.push_back(uint8_t(i.getZExtValue()));
    return r;
  }
  auto bytes = rawBytes(c);
  if (!bytes)
    return std::nullopt;
  return std::vector<uint8_t>(bytes->begin(), bytes->end());
}

/// The name of the constant defining `v` (its NameLoc), or null.
StringAttr constantName(Value v) {
  if (auto c = v.getDefiningOp<onnx::ConstantOp>())
    if (auto n = dyn_cast<NameLoc>(c.getLoc()))
      return n.getName();
  return {};
}

/// A quantized array of `type` holding `bytes`. When `sameBytes` (the
/// model's constant `source` already holds exactly these bytes) and that
/// constant is external data, the array references it in place; otherwise
/// it is a dense_resource blob with a copy.
Attribute storedArray(Value source, bool sameBytes, RankedTensorType type,
                      ArrayRef<uint8_t> bytes, StringRef blobName) {
  if (sameBytes)
    if (auto c = source.getDefiningOp<onnx::ConstantOp>())
      if (auto ext = dyn_cast<onnx::ExternalTensorAttr>(c.getValue()))
        if (ext.getLength() == bytes.size())
          return onnx::ExternalTensorAttr::get(type.getContext(), type,
                                               ext.getLocation(),
                                               ext.getOffset(),
                                               ext.getLength());
  unsigned align = std::max(1u, type.getElementTypeBitWidth() / 8);
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      ArrayRef<char>(reinterpret_cast<const char *>(bytes.data()),
                     bytes.size()),
      align, /*dataIsMutable=*/false);
  return DenseResourceElementsAttr::get(type, blobName, std::move(blob));
}

//===----------------------------------------------------------------------===//
// Head layouts
//===----------------------------------------------------------------------===//

namespace {
bool isPerm(std::optional<ArrayRef<int64_t>> perm, ArrayRef<int64_t> expected) {
  return perm && *perm == expected;
}

/// Static sizes equal (dynamic matches dynamic only).
bool sameDims(ArrayRef<int64_t> a, ArrayRef<int64_t> b) { return a == b; }
} // namespace

std::optional<HeadsView> matchHeads(Value v) {
  Operation *def = v.getDefiningOp();
  if (!def)
    return std::nullopt;
  ArrayRef<int64_t> out = shapeOf(v);
  int64_t rank = rankOf(v);
  if (rank < 3)
    return std::nullopt;

  if (auto tr = dyn_cast<onnx::TransposeOp>(def)) {
    std::optional<ArrayRef<int64_t>> perm;
    if (auto p = tr.getPermAttr())
      perm = p.asArrayRef();
    Value in = tr.getData();
    // Transpose(Reshape(flat, [B, S, H, D]), [0, 2, 1, 3]).
    if (rank == 4 && isPerm(perm, {0, 2, 1, 3})) {
      if (auto rs = in.getDefiningOp<onnx::ReshapeOp>()) {
        Value flat = rs.getData();
        ArrayRef<int64_t> fs = shapeOf(flat), r = shapeOf(in);
        if (rankOf(flat) == 3 && rankOf(in) == 4 && r[0] == fs[0] &&
            r[1] == fs[1] && !ShapedType::isDynamic(r[2]) &&
            !ShapedType::isDynamic(r[3]) && fs[2] == r[2] * r[3] &&
            !ShapedType::isDynamic(fs[0]))
          return HeadsView{flat, r[2], r[3], 1, 4, false};
      }
      return std::nullopt;
    }
    // K^T: swap of the last two dimensions.
    auto inner = matchHeads(in);
    if (!inner)
      return std::nullopt;
    if ((rank == 4 && inner->rank == 4 && isPerm(perm, {0, 1, 3, 2})) ||
        (rank == 3 && inner->rank == 3 && isPerm(perm, {0, 2, 1}))) {
      inner->transposed = !inner->transposed;
      return inner;
    }
    return std::nullopt;
  }

  if (auto un = dyn_cast<onnx::UnsqueezeOp>(def)) {
    // [B, kv, S, D] -> [B, kv, 1, S, D]
    auto axes = onnx::getConstantInts(un.getAxes());
    auto inner = matchHeads(un.getData());
    if (!axes || axes->size() != 1 || (*axes)[0] != 2 || !inner ||
        inner->rank != 4 || inner->transposed || inner->rep != 1)
      return std::nullopt;
    inner->rank = 5;
    return inner;
  }

  if (auto ex = dyn_cast<onnx::ExpandOp>(def)) {
    // [B, kv, 1, S, D] -> [B, kv, rep, S, D]
    auto inner = matchHeads(ex.getInput());
    if (!inner || inner->rank != 5 || inner->rep != 1 || rank != 5)
      return std::nullopt;
    ArrayRef<int64_t> in = shapeOf(ex.getInput());
    if (in[2] != 1 || ShapedType::isDynamic(out[2]) || out[0] != in[0] ||
        out[1] != in[1] || out[3] != in[3] || out[4] != in[4])
      return std::nullopt;
    inner->rep = out[2];
    return inner;
  }

  if (auto rs = dyn_cast<onnx::ReshapeOp>(def)) {
    auto inner = matchHeads(rs.getData());
    if (!inner)
      return std::nullopt;
    ArrayRef<int64_t> in = shapeOf(rs.getData());
    int64_t h = inner->heads(), d = inner->headDim;
    int64_t s = ShapedType::kDynamic;
    // The sequence dimension keeps its (dynamic or static) size throughout.
    s = inner->transposed ? in.back() : in[in.size() - 2];
    SmallVector<int64_t> last2 = inner->transposed ? SmallVector<int64_t>{d, s}
                                                   : SmallVector<int64_t>{s, d};
    int64_t batch = in[0];
    // Merge [B, kv, rep, S, D] -> [B, H, S, D]
    if (inner->rank == 5 && rank == 4 && !inner->transposed &&
        sameDims(out, {batch, h, s, d})) {
      inner->rank = 4;
      return inner;
    }
    // [1, kv, rep, S, D] or [1, H, S, D] -> [H, S, D] (or transposed)
    if ((inner->rank == 5 || inner->rank == 4) && rank == 3 && batch == 1 &&
        sameDims(out, {h, last2[0], last2[1]})) {
      inner->rank = 3;
      return inner;
    }
    // [H, S, D] -> [1, H, S, D] (or transposed)
    if (inner->rank == 3 && rank == 4 &&
        sameDims(out, {1, h, last2[0], last2[1]})) {
      inner->rank = 4;
      return inner;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

} // namespace sieve::raise
