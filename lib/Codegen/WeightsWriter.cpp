//===- WeightsWriter.cpp - pack kernel.weight ops into weights.bin --------===//
//
// Streams: each source tensor is mapped (external data: just its byte range)
// or read from its attribute, converted element by element to the packed
// type (round to nearest even), transposed in blocks of rows when the weight
// says so, and written in offset order. Nothing holds more than one source
// tensor's mapping and a block of rows.
//
//===----------------------------------------------------------------------===//

#include "sieve/Codegen/Codegen.h"
#include "sieve/Dialect/ONNX/ONNXDialect.h"
#include "sieve/Dialect/ONNX/ONNXOps.h"
#include "sieve/Runtime/sieve_runtime.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace sieve;
namespace k = sieve::kernel;

namespace {

enum class Format { F32, F16, BF16 };

FailureOr<Format> formatOf(Type t) {
  if (t.isF32())
    return Format::F32;
  if (t.isF16())
    return Format::F16;
  if (t.isBF16())
    return Format::BF16;
  return failure();
}

size_t bytesOf(Format f) { return f == Format::F32 ? 4 : 2; }

float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    float f = float(mant) * 5.9604644775390625e-8f; // 2^-24
    return sign ? -f : f;
  }
  if (exp == 31)
    bits = sign | 0x7f800000u | (mant << 13);
  else
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t floatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint16_t sign = (x >> 16) & 0x8000;
  if (std::isnan(f))
    return sign | 0x7e00;
  float a = std::fabs(f);
  if (a >= 65520.0f) // rounds to infinity
    return sign | 0x7c00;
  if (a < 6.103515625e-05f) // below the smallest normal half: 2^-14
    return sign | uint16_t(std::nearbyint(a * 16777216.0f));
  uint32_t exp = ((x >> 23) & 0xff) - 127 + 15, mant = x & 0x7fffff;
  uint32_t h = (exp << 10) | (mant >> 13), rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
    ++h; // a carry into the exponent is the correct rounding
  return sign | uint16_t(h);
}

uint16_t floatToBF16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if (std::isnan(f))
    return uint16_t((x >> 16) | 0x40);
  return uint16_t((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

float decode(const char *p, Format f) {
  uint32_t bits = 0;
  switch (f) {
  case Format::F32: {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case Format::F16: {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return halfToFloat(h);
  }
  case Format::BF16: {
    uint16_t h;
    std::memcpy(&h, p, 2);
    bits = uint32_t(h) << 16;
    float v;
    std::memcpy(&v, &bits, 4);
    return v;
  }
  }
  llvm_unreachable("unknown format");
}

void encode(float v, Format f, char *out) {
  switch (f) {
  case Format::F32:
    std::memcpy(out, &v, 4);
    return;
  case Format::F16: {
    uint16_t h = floatToHalf(v);
    std::memcpy(out, &h, 2);
    return;
  }
  case Format::BF16: {
    uint16_t h = floatToBF16(v);
    std::memcpy(out, &h, 2);
    return;
  }
  }
}

/// The bytes of one source tensor, mapped or borrowed from its attribute.
struct SourceBytes {
  std::unique_ptr<llvm::sys::fs::mapped_file_region> region;
  const char *data = nullptr;
  bool splat = false; // one element stands for all
};

class Writer {
public:
  Writer(k::ProgramOp program, StringRef modelDir, raw_ostream &os,
         const std::function<void(uint64_t, uint64_t)> &progress)
      : program(program), modelDir(modelDir), os(os), progress(progress) {}

  LogicalResult write();

private:
  FailureOr<SourceBytes> open(k::WeightOp w, Attribute source, int64_t bytes);
  LogicalResult writeWeight(k::WeightOp w);
  LogicalResult writeCodes(k::WeightOp w);
  void pad(uint64_t to) {
    static const char zeros[4096] = {};
    while (written < to) {
      uint64_t n = std::min<uint64_t>(to - written, sizeof zeros);
      emit(zeros, n);
    }
  }
  void emit(const char *data, uint64_t n) {
    os.write(data, n);
    written += n;
    if (progress && written - reported >= (64u << 20)) {
      reported = written;
      progress(written, program.getWeightsBytes());
    }
  }

  k::ProgramOp program;
  StringRef modelDir;
  raw_ostream &os;
  const std::function<void(uint64_t, uint64_t)> &progress;
  uint64_t written = 0, reported = 0;
};

} // namespace

FailureOr<SourceBytes> Writer::open(k::WeightOp w, Attribute source,
                                    int64_t bytes) {
  SourceBytes out;
  if (auto ext = dyn_cast<onnx::ExternalTensorAttr>(source)) {
    SmallString<256> path(ext.getLocation());
    if (!llvm::sys::path::is_absolute(path)) {
      path = modelDir;
      llvm::sys::path::append(path, ext.getLocation());
    }
    if (int64_t(ext.getLength()) != bytes)
      return w.emitError("external weight '")
             << path << "': " << ext.getLength() << " bytes recorded, "
             << bytes << " expected for its type";
    int fd;
    if (std::error_code ec = llvm::sys::fs::openFileForRead(path, fd))
      return w.emitError("cannot open external data '")
             << path << "': " << ec.message();
    uint64_t size = 0;
    llvm::sys::fs::file_status status;
    if (!llvm::sys::fs::status(fd, status))
      size = status.getSize();
    if (ext.getOffset() + uint64_t(bytes) > size) {
      llvm::sys::Process::SafelyCloseFileDescriptor(fd);
      return w.emitError("external data '")
             << path << "' has " << size << " bytes, the weight needs bytes "
             << ext.getOffset() << ".." << ext.getOffset() + bytes;
    }
    // Map only the pages of this tensor.
    uint64_t page = llvm::sys::fs::mapped_file_region::alignment();
    uint64_t begin = ext.getOffset() / page * page;
    std::error_code ec;
    out.region = std::make_unique<llvm::sys::fs::mapped_file_region>(
        llvm::sys::fs::convertFDToNativeFile(fd),
        llvm::sys::fs::mapped_file_region::readonly,
        ext.getOffset() + bytes - begin, begin, ec);
    llvm::sys::Process::SafelyCloseFileDescriptor(fd);
    if (ec)
      return w.emitError("cannot map '") << path << "': " << ec.message();
    out.data = out.region->const_data() + (ext.getOffset() - begin);
    return out;
  }
  if (auto dense = dyn_cast<DenseElementsAttr>(source)) {
    out.data = dense.getRawData().data();
    out.splat = dense.isSplat();
    return out;
  }
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(source)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return w.emitError("weight resource '")
             << resource.getRawHandle().getKey() << "' has no data (elided?)";
    ArrayRef<char> data = blob->getData();
    if (int64_t(data.size()) != bytes)
      return w.emitError("weight resource '")
             << resource.getRawHandle().getKey() << "' holds " << data.size()
             << " bytes, " << bytes << " expected";
    out.data = data.data();
    return out;
  }
  return w.emitError("weight source ") << source << " cannot be packed";
}

/// Quantized arrays (integer or E4M3 element types, docs/quantization.md
/// "GPU layouts"): codes are copied as stored (i8, f8E4M3FN; ui4 two per byte, low nibble
/// first, so stacked sources concatenate when each holds an even count),
/// and ui4 zero points are widened to one byte each (ui8), which lets the
/// kernel read a group's zero point with one byte load.
LogicalResult Writer::writeCodes(k::WeightOp w) {
  Type dst = w.getTensorType().getElementType();
  for (Attribute source : w.getSources()) {
    auto type = cast<RankedTensorType>(cast<TypedAttr>(source).getType());
    Type src = type.getElementType();
    int64_t n = type.getNumElements();
    unsigned bits = src.getIntOrFloatBitWidth();
    bool widen = bits == 4 && dst.isUnsignedInteger(8);
    if (src != dst && !widen)
      return w.emitError("cannot pack ") << src << " codes as " << dst;
    if (bits == 4 && n % 2 && !widen)
      return w.emitError("an odd number (")
             << n << ") of 4-bit codes cannot be stacked byte-wise";
    int64_t bytes = (n * bits + 7) / 8;
    FailureOr<SourceBytes> data = open(w, source, bytes);
    if (failed(data))
      return failure();
    if (data->splat)
      return w.emitError("quantized arrays are stored in full, not splat");
    if (!widen) {
      emit(data->data, bytes);
      continue;
    }
    std::vector<char> chunk;
    for (int64_t i = 0; i < n; i += (1 << 20)) {
      int64_t m = std::min<int64_t>(n - i, 1 << 20);
      chunk.resize(m);
      for (int64_t j = 0; j < m; ++j) {
        uint8_t byte = uint8_t(data->data[(i + j) / 2]);
        chunk[j] = char((i + j) % 2 ? byte >> 4 : byte & 15);
      }
      emit(chunk.data(), chunk.size());
    }
  }
  return success();
}

LogicalResult Writer::writeWeight(k::WeightOp w) {
  RankedTensorType packed = w.getTensorType();
  if (isa<IntegerType, Float8E4M3FNType>(packed.getElementType())) {
    pad(w.getOffset());
    if (failed(writeCodes(w)))
      return failure();
    if (written != w.getOffset() + uint64_t(w.getByteSize()))
      return w.emitError("wrote ") << written - w.getOffset()
             << " bytes, the packed weight has " << w.getByteSize();
    return success();
  }
  FailureOr<Format> dst = formatOf(packed.getElementType());
  if (failed(dst))
    return w.emitError("packs to ") << packed.getElementType()
           << "; only f32, f16 and bf16 are written";
  size_t dstBytes = bytesOf(*dst);
  pad(w.getOffset());
  for (Attribute source : w.getSources()) {
    auto type = cast<RankedTensorType>(cast<TypedAttr>(source).getType());
    FailureOr<Format> src = formatOf(type.getElementType());
    if (failed(src))
      return w.emitError("source element type ") << type.getElementType()
             << " cannot be converted (f32, f16, bf16 can)";
    size_t srcBytes = bytesOf(*src);
    int64_t n = type.getNumElements();
    FailureOr<SourceBytes> bytes = open(w, source, n * srcBytes);
    if (failed(bytes))
      return failure();
    auto at = [&](int64_t i) {
      return bytes->data + (bytes->splat ? 0 : i * srcBytes);
    };
    if (!w.getTranspose() || type.getRank() == 1) {
      if (*src == *dst && !bytes->splat) {
        emit(bytes->data, n * srcBytes);
        continue;
      }
      std::vector<char> chunk;
      for (int64_t i = 0; i < n; i += (1 << 20)) {
        int64_t m = std::min<int64_t>(n - i, 1 << 20);
        chunk.resize(m * dstBytes);
        for (int64_t j = 0; j < m; ++j)
          encode(decode(at(i + j), *src), *dst, chunk.data() + j * dstBytes);
        emit(chunk.data(), chunk.size());
      }
      continue;
    }
    // [in, out] -> [out, in], a block of output rows at a time.
    int64_t in = type.getDimSize(0), outRows = type.getDimSize(1);
    constexpr int64_t kBlock = 32;
    std::vector<char> block;
    for (int64_t r0 = 0; r0 < outRows; r0 += kBlock) {
      int64_t rows = std::min(kBlock, outRows - r0);
      block.resize(rows * in * dstBytes);
      for (int64_t i = 0; i < in; ++i)
        for (int64_t r = 0; r < rows; ++r)
          encode(decode(at(i * outRows + r0 + r), *src), *dst,
                 block.data() + (r * in + i) * dstBytes);
      emit(block.data(), block.size());
    }
  }
  if (written != w.getOffset() + uint64_t(w.getByteSize()))
    return w.emitError("wrote ") << written - w.getOffset()
           << " bytes, the packed weight has " << w.getByteSize();
  return success();
}

LogicalResult Writer::write() {
  SmallVector<k::WeightOp> weights(program.getBody().getOps<k::WeightOp>());
  llvm::stable_sort(weights, [](k::WeightOp a, k::WeightOp b) {
    return a.getOffset() < b.getOffset();
  });
  // The header is not part of the payload the offsets count in.
  char header[4096] = {};
  std::memcpy(header, "SIEVEWB", 8);
  uint32_t abi = SIEVE_RUNTIME_ABI_VERSION, headerBytes = 4096;
  uint64_t payload = program.getWeightsBytes();
  std::memcpy(header + 8, &abi, 4);
  std::memcpy(header + 12, &headerBytes, 4);
  std::memcpy(header + 16, &payload, 8);
  os.write(header, sizeof header);
  for (k::WeightOp w : weights) {
    if (w.getOffset() < written)
      return w.emitError("overlaps the weight before it (offset ")
             << w.getOffset() << " < " << written << ")";
    if (failed(writeWeight(w)))
      return failure();
  }
  pad(payload);
  if (progress)
    progress(written, payload);
  return success();
}

LogicalResult sieve::writeWeights(
    k::ProgramOp program, StringRef modelDir, StringRef path,
    const std::function<void(uint64_t, uint64_t)> &progress) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return program.emitError("cannot write '") << path << "': " << ec.message();
  if (failed(Writer(program, modelDir, os, progress).write()))
    return failure();
  os.close();
  if (os.has_error()) {
    os.clear_error();
    return program.emitError("cannot write '") << path << "' (disk full?)";
  }
  return success();
}
