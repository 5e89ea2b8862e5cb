//===- Weights.cpp - reads weights for the CPU reference and passes -------===//

#include "sieve/Reference/Weights.h"

#include "MappedFiles.h"
#include "Ops.h"
#include "sieve/Quant/Quant.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>
#include <sys/mman.h>

using namespace mlir;
using namespace sieve::ref;

WeightReader::WeightReader(std::string baseDir)
    : files(std::make_unique<MappedFiles>(std::move(baseDir))) {}
WeightReader::~WeightReader() = default;
WeightReader::WeightReader(WeightReader &&) = default;
WeightReader &WeightReader::operator=(WeightReader &&) = default;

FailureOr<ArrayRef<char>> WeightReader::bytes(Operation *op,
                                             sieve::onnx::ExternalTensorAttr ext,
                                             std::shared_ptr<void> *owner) {
  auto file = files->map(op, ext.getLocation());
  if (failed(file))
    return failure();
  uint64_t size = (*file)->region ? (*file)->region->size() : 0;
  if (ext.getOffset() + ext.getLength() > size)
    return op->emitError() << "external data [" << ext.getOffset() << ", "
                           << ext.getOffset() + ext.getLength() << ") of '"
                           << ext.getLocation() << "' does not hold "
                           << ext.getType() << " (file has " << size
                           << " bytes)";
  const char *base = (*file)->region->const_data() + ext.getOffset();
  if (owner)
    *owner = std::shared_ptr<void>(*file, const_cast<char *>(base));
  return ArrayRef<char>(base, ext.getLength());
}

FailureOr<ArrayRef<char>> WeightReader::arrayBytes(Operation *op,
                                                  Attribute array) {
  if (auto ext = dyn_cast<sieve::onnx::ExternalTensorAttr>(array))
    return bytes(op, ext);
  if (auto res = dyn_cast<DenseResourceElementsAttr>(array))
    if (AsmResourceBlob *blob = res.getRawHandle().getBlob())
      return blob->getData();
  return op->emitError() << "quantized array " << array
                         << " has no data (an elided resource blob?)";
}

void WeightReader::release(sieve::WeightOp op) {
  auto ext = dyn_cast<sieve::onnx::ExternalTensorAttr>(op.getValue());
  if (!ext)
    return;
  auto file = files->map(op, ext.getLocation());
  if (failed(file) || !(*file)->region ||
      ext.getOffset() + ext.getLength() > (*file)->region->size())
    return;
  // The whole pages inside the weight's bytes (a neighbour's data may share
  // the pages at either end).
  uintptr_t page = llvm::sys::fs::mapped_file_region::alignment();
  uintptr_t begin = uintptr_t((*file)->region->const_data() + ext.getOffset());
  uintptr_t end = begin + ext.getLength();
  begin = (begin + page - 1) / page * page;
  end = end / page * page;
  if (begin < end)
    ::madvise(reinterpret_cast<void *>(begin), end - begin, MADV_DONTNEED);
}

FailureOr<Tensor> WeightReader::load(sieve::WeightOp op) {
  auto type = dyn_cast<RankedTensorType>(op.getType());
  if (!type || !type.hasStaticShape())
    return op.emitError() << "weight needs a static shape";
  Type et = type.getElementType();
  if (!et.isIntOrFloat() ||
      (et.getIntOrFloatBitWidth() < 8 && !et.isInteger(1)))
    return op.emitError() << "weight of unsupported element type " << et;
  Attribute value = op.getValue();
  if (auto ext = dyn_cast<sieve::onnx::ExternalTensorAttr>(value)) {
    std::shared_ptr<void> owner;
    FailureOr<ArrayRef<char>> raw = bytes(op, ext, &owner);
    if (failed(raw))
      return failure();
    int64_t need = type.getNumElements() *
                   (et.isInteger(1) ? 1 : et.getIntOrFloatBitWidth() / 8);
    if (int64_t(raw->size()) < need)
      return op.emitError() << "external data of '" << ext.getLocation()
                            << "' is too small for " << type;
    return tensorFromRaw(et, type.getShape(), raw->data(), owner);
  }
  if (auto res = dyn_cast<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return op.emitError() << "weight's resource blob has no data (was it "
                               "elided when printed?)";
    ArrayRef<char> data = blob->getData();
    int64_t bits = et.isInteger(1) ? 8 : et.getIntOrFloatBitWidth();
    if (int64_t(data.size()) < type.getNumElements() * bits / 8)
      return op.emitError() << "weight's resource blob is too small for "
                            << type;
    return tensorFromRaw(et, type.getShape(), data.data(),
                         std::shared_ptr<void>());
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(value))
    return tensorFromDense(dense, et, type.getShape());
  return op.emitError() << "weight value " << value
                        << " is not supported by the CPU reference";
}

FailureOr<Tensor> WeightReader::load(sieve::QuantizedWeightOp op) {
  auto type = op.getType();
  int64_t K = type.getDimSize(0), N = type.getDimSize(1);
  sieve::QuantAttr format = op.getFormat();
  // The verifier fixed every array's type; read their bytes.
  FailureOr<ArrayRef<char>> data = arrayBytes(op, op.getData());
  FailureOr<ArrayRef<char>> scaleBytes = arrayBytes(op, op.getScales());
  if (failed(data) || failed(scaleBytes))
    return failure();
  ArrayRef<char> zeros;
  if (auto z = op.getZerosAttr()) {
    FailureOr<ArrayRef<char>> zb = arrayBytes(op, z);
    if (failed(zb))
      return failure();
    zeros = *zb;
  }
  std::vector<float> inputScales;
  if (auto in = op.getInputScalesAttr()) {
    FailureOr<ArrayRef<char>> ib = bytes(op, in);
    if (failed(ib))
      return failure();
    inputScales.resize(K);
    std::memcpy(inputScales.data(), ib->data(), K * sizeof(float));
  }
  auto scaleType =
      cast<RankedTensorType>(cast<TypedAttr>(op.getScales()).getType());
  Tensor scales = tensorFromRaw(scaleType.getElementType(),
                                scaleType.getShape(), scaleBytes->data(),
                                std::shared_ptr<void>());
  sieve::quant::Format f = sieve::quant::Format::Int8;
  switch (format.getKind()) {
  case sieve::QuantKind::int8:
    f = sieve::quant::Format::Int8;
    break;
  case sieve::QuantKind::int4:
    f = sieve::quant::Format::Int4;
    break;
  case sieve::QuantKind::fp8:
    f = sieve::quant::Format::FP8;
    break;
  }
  Tensor out = Tensor::f32({K, N});
  sieve::quant::dequantize(
      f, K, N, format.getGroup(),
      reinterpret_cast<const uint8_t *>(data->data()), scales.f(),
      reinterpret_cast<const uint8_t *>(zeros.data()),
      inputScales.empty() ? nullptr : inputScales.data(), out.f());
  Type et = type.getElementType();
  if (et.isF16() || et.isBF16())
    for (int64_t i = 0, n = K * N; i < n; ++i)
      out.f()[i] = et.isF16() ? roundToF16(out.f()[i]) : roundToBF16(out.f()[i]);
  return out;
}
