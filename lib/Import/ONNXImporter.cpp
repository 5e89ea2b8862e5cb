//===- ONNXImporter.cpp - ONNX ModelProto -> onnx dialect -----------------===//
//
// Reads a ModelProto (memory-mapped, never copied whole), checks it, and
// builds one func.func of `onnx` ops. Weights kept as external data become
// `#onnx.external` references to their files; inline tensors become
// `dense` (small) or `dense_resource` (large) attributes. Every failure is a
// single diagnostic that names the problem and, where there is one, the node.
//
//===----------------------------------------------------------------------===//

#include "sieve/Import/ONNXImporter.h"
#include "sieve/Dialect/ONNX/ONNXOps.h"

#include "ProtoScan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "onnx.pb.h"

#include <climits>
#include <fcntl.h>
#include <queue>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace mlir;
using llvm::SmallVector;
using llvm::StringRef;
using llvm::Twine;

namespace sieve {

void registerImportDialects(DialectRegistry &registry) {
  registry.insert<onnx::ONNXDialect, func::FuncDialect>();
}

namespace {

/// ONNX TensorProto.DataType values (onnx.proto), spelled out because the
/// installed onnx.proto may predate the newer ones (float8, int4).
enum OnnxDType : int32_t {
  DT_FLOAT = 1, DT_UINT8 = 2, DT_INT8 = 3, DT_UINT16 = 4, DT_INT16 = 5,
  DT_INT32 = 6, DT_INT64 = 7, DT_STRING = 8, DT_BOOL = 9, DT_FLOAT16 = 10,
  DT_DOUBLE = 11, DT_UINT32 = 12, DT_UINT64 = 13, DT_COMPLEX64 = 14,
  DT_COMPLEX128 = 15, DT_BFLOAT16 = 16, DT_FLOAT8E4M3FN = 17,
  DT_FLOAT8E4M3FNUZ = 18, DT_FLOAT8E5M2 = 19, DT_FLOAT8E5M2FNUZ = 20,
  DT_UINT4 = 21, DT_INT4 = 22,
};

const char *dtypeName(int32_t t) {
  static const char *names[] = {
      "UNDEFINED", "FLOAT",  "UINT8",  "INT8",          "UINT16",
      "INT16",     "INT32",  "INT64",  "STRING",        "BOOL",
      "FLOAT16",   "DOUBLE", "UINT32", "UINT64",        "COMPLEX64",
      "COMPLEX128", "BFLOAT16", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ",
      "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "UINT4", "INT4"};
  if (t >= 0 && t < int32_t(std::size(names)))
    return names[t];
  return "unknown";
}

std::string typeString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

/// The lowest and highest default-domain opsets the importer accepts.
constexpr int64_t kMinOpset = 13, kMaxOpset = 23;

/// A read-only mapping of a whole file.
class MappedFile {
public:
  ~MappedFile() {
    if (data && data != MAP_FAILED)
      munmap(data, size);
  }
  /// Maps `path`; on failure returns a message.
  std::string map(const std::string &path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return "cannot open '" + path + "': " + std::strerror(errno);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      return "'" + path + "' is not a regular file";
    }
    size = static_cast<size_t>(st.st_size);
    if (size > static_cast<size_t>(INT_MAX)) {
      ::close(fd);
      return "'" + path + "' is " + std::to_string(size) +
             " bytes, over protobuf's 2 GiB limit for one message: keep the "
             "weights as external data";
    }
    if (size == 0) {
      ::close(fd);
      return "not an ONNX model ('" + path + "' is empty)";
    }
    data = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (data == MAP_FAILED)
      return "cannot map '" + path + "': " + std::strerror(errno);
    return {};
  }
  const uint8_t *bytes() const { return static_cast<const uint8_t *>(data); }
  size_t size = 0;

private:
  void *data = nullptr;
};

/// Number of operands an op declares when it has a fixed count, from its
/// ODS traits; std::nullopt for variadic ops.
template <unsigned N = 2>
std::optional<unsigned> fixedOperandCount(RegisteredOperationName name) {
  if constexpr (N == 2) {
    if (name.hasTrait<OpTrait::ZeroOperands>())
      return 0;
    if (name.hasTrait<OpTrait::OneOperand>())
      return 1;
  }
  if constexpr (N > 16) {
    return std::nullopt;
  } else {
    if (name.hasTrait<OpTrait::NOperands<N>::template Impl>())
      return N;
    return fixedOperandCount<N + 1>(name);
  }
}

template <unsigned N = 2>
std::optional<unsigned> fixedResultCount(RegisteredOperationName name) {
  if constexpr (N == 2) {
    if (name.hasTrait<OpTrait::ZeroResults>())
      return 0;
    if (name.hasTrait<OpTrait::OneResult>())
      return 1;
  }
  if constexpr (N > 8) {
    return std::nullopt;
  } else {
    if (name.hasTrait<OpTrait::NResults<N>::template Impl>())
      return N;
    return fixedResultCount<N + 1>(name);
  }
}

class Importer {
public:
  Importer(MLIRContext *ctx, const ONNXImportOptions &options)
      : ctx(ctx), options(options), builder(ctx) {}

  /// Imports the model; all diagnostics of the import (the importer's own,
  /// type inference's and the verifier's) come out as one error.
  OwningOpRef<ModuleOp> run(StringRef path);

private:
  // Diagnostics: each returns failure() so callers can `return error(...)`.
  LogicalResult error(Location loc, const Twine &message) {
    ownDiagnostic = true;
    emitError(loc) << message;
    ownDiagnostic = false;
    return failure();
  }
  LogicalResult error(const Twine &message) {
    return error(fileLoc, message);
  }
  std::string describe(const ::onnx::NodeProto &node) const {
    std::string s = "node '" + nodeName(node) + "' (" + node.op_type();
    if (!node.domain().empty() && node.domain() != "ai.onnx")
      s += ", domain '" + node.domain() + "'";
    return s + ")";
  }
  static std::string nodeName(const ::onnx::NodeProto &node) {
    if (!node.name().empty())
      return node.name();
    return node.output_size() ? node.output(0) : std::string("<unnamed>");
  }
  Location nodeLoc(const ::onnx::NodeProto &node) {
    return NameLoc::get(StringAttr::get(ctx, nodeName(node)), fileLoc);
  }

  LogicalResult checkOpsets(const ::onnx::ModelProto &model);
  FailureOr<Type> elementType(int32_t dtype, const Twine &what);
  FailureOr<Type> convertType(const ::onnx::TypeProto &type,
                              const Twine &what);
  FailureOr<Attribute> convertTensor(const ::onnx::TensorProto &tensor,
                                     const Twine &what);
  FailureOr<Attribute> inlineTensor(RankedTensorType type,
                                    std::vector<char> bytes, int32_t dtype,
                                    const Twine &what);
  FailureOr<NamedAttribute> convertAttribute(const ::onnx::NodeProto &node,
                                             const ::onnx::AttributeProto &a,
                                             RegisteredOperationName opName);
  LogicalResult importGraph(const ::onnx::GraphProto &graph);
  LogicalResult importNode(const ::onnx::NodeProto &node);
  LogicalResult importConstantNode(const ::onnx::NodeProto &node);
  FailureOr<std::string> opNameFor(const ::onnx::NodeProto &node);
  Value noValue();

  MLIRContext *ctx;
  const ONNXImportOptions &options;
  OpBuilder builder;
  Location fileLoc = UnknownLoc::get(ctx);
  std::string modelDir;
  llvm::StringMap<int64_t> opsets;
  llvm::StringMap<Value> values;
  llvm::StringMap<const ::onnx::TypeProto *> valueTypes;
  /// The shared `none` value for absent optional inputs, made on first use
  /// at the top of `entryBlock`.
  Value none;
  Block *entryBlock = nullptr;
  unsigned resourceCounter = 0;
  /// What each node's and initializer's location stands for ("node 'n'
  /// (Add)"), to name it in diagnostics that MLIR (type inference, the
  /// verifier) emits at that location.
  llvm::DenseMap<Location, std::string> locDescriptions;
  bool ownDiagnostic = false;

  OwningOpRef<ModuleOp> importModel(StringRef path);
};

LogicalResult Importer::checkOpsets(const ::onnx::ModelProto &model) {
  for (const auto &opset : model.opset_import()) {
    std::string domain = opset.domain() == "ai.onnx" ? "" : opset.domain();
    opsets[domain] = opset.version();
  }
  auto it = opsets.find("");
  if (it == opsets.end())
    return error("the model imports no opset of the default ONNX domain");
  if (it->second < kMinOpset || it->second > kMaxOpset)
    return error("unsupported opset " + Twine(it->second) +
                 " of the default ONNX domain (sieve supports " +
                 Twine(kMinOpset) + " to " + Twine(kMaxOpset) + ")");
  auto ms = opsets.find("com.microsoft");
  if (ms != opsets.end() && ms->second != 1)
    return error("unsupported opset " + Twine(ms->second) +
                 " of domain 'com.microsoft' (sieve supports 1)");
  return success();
}

FailureOr<Type> Importer::elementType(int32_t dtype, const Twine &what) {
  switch (dtype) {
  case DT_FLOAT: return Type(Float32Type::get(ctx));
  case DT_FLOAT16: return Type(Float16Type::get(ctx));
  case DT_BFLOAT16: return Type(BFloat16Type::get(ctx));
  case DT_DOUBLE: return Type(Float64Type::get(ctx));
  case DT_FLOAT8E4M3FN: return Type(Float8E4M3FNType::get(ctx));
  case DT_FLOAT8E5M2: return Type(Float8E5M2Type::get(ctx));
  case DT_BOOL: return Type(IntegerType::get(ctx, 1));
  case DT_INT4: return Type(IntegerType::get(ctx, 4));
  case DT_INT8: return Type(IntegerType::get(ctx, 8));
  case DT_INT16: return Type(IntegerType::get(ctx, 16));
  case DT_INT32: return Type(IntegerType::get(ctx, 32));
  case DT_INT64: return Type(IntegerType::get(ctx, 64));
  case DT_UINT4: return Type(IntegerType::get(ctx, 4, IntegerType::Unsigned));
  case DT_UINT8: return Type(IntegerType::get(ctx, 8, IntegerType::Unsigned));
  case DT_UINT16: return Type(IntegerType::get(ctx, 16, IntegerType::Unsigned));
  case DT_UINT32: return Type(IntegerType::get(ctx, 32, IntegerType::Unsigned));
  case DT_UINT64: return Type(IntegerType::get(ctx, 64, IntegerType::Unsigned));
  default:
    (void)error(what + ": unsupported element type " + dtypeName(dtype) +
                " (" + Twine(dtype) + ")");
    return failure();
  }
}

FailureOr<Type> Importer::convertType(const ::onnx::TypeProto &type,
                                      const Twine &what) {
  if (!type.has_tensor_type()) {
    (void)error(what + ": only tensor types are supported (sequences, maps "
                       "and optionals are not)");
    return failure();
  }
  const auto &tensor = type.tensor_type();
  FailureOr<Type> element = elementType(tensor.elem_type(), what);
  if (failed(element))
    return failure();
  if (!tensor.has_shape())
    return Type(UnrankedTensorType::get(*element));
  SmallVector<int64_t> shape;
  for (const auto &dim : tensor.shape().dim()) {
    if (dim.has_dim_value()) {
      if (dim.dim_value() < 0) {
        (void)error(what + ": negative dimension " + Twine(dim.dim_value()));
        return failure();
      }
      shape.push_back(dim.dim_value());
    } else {
      shape.push_back(ShapedType::kDynamic);
    }
  }
  return Type(RankedTensorType::get(shape, *element));
}

/// Bytes of `count` elements of ONNX type `dtype` in the raw layout.
std::optional<uint64_t> rawBytes(int32_t dtype, uint64_t count) {
  switch (dtype) {
  case DT_BOOL: case DT_INT8: case DT_UINT8: case DT_FLOAT8E4M3FN:
  case DT_FLOAT8E5M2:
    return count;
  case DT_INT4: case DT_UINT4:
    return (count + 1) / 2;
  case DT_INT16: case DT_UINT16: case DT_FLOAT16: case DT_BFLOAT16:
    return count * 2;
  case DT_FLOAT: case DT_INT32: case DT_UINT32:
    return count * 4;
  case DT_INT64: case DT_UINT64: case DT_DOUBLE:
    return count * 8;
  default:
    return std::nullopt;
  }
}

FailureOr<Attribute> Importer::convertTensor(const ::onnx::TensorProto &t,
                                             const Twine &what) {
  FailureOr<Type> element = elementType(t.data_type(), what);
  if (failed(element))
    return failure();
  SmallVector<int64_t> shape;
  uint64_t count = 1;
  for (int64_t d : t.dims()) {
    if (d < 0) {
      (void)error(what + ": negative dimension " + Twine(d));
      return failure();
    }
    shape.push_back(d);
    if (d && count > (UINT64_MAX >> 8) / uint64_t(d)) {
      (void)error(what + ": absurd tensor size");
      return failure();
    }
    count *= d;
  }
  auto type = RankedTensorType::get(shape, *element);
  uint64_t expected = *rawBytes(t.data_type(), count);

  if (t.data_location() == ::onnx::TensorProto::EXTERNAL) {
    std::string location;
    uint64_t offset = 0;
    std::optional<uint64_t> length;
    for (const auto &kv : t.external_data()) {
      auto parseNumber = [&](uint64_t &out) {
        return !StringRef(kv.value()).getAsInteger(10, out);
      };
      if (kv.key() == "location") {
        location = kv.value();
      } else if (kv.key() == "offset") {
        if (!parseNumber(offset)) {
          (void)error(what + ": bad external-data offset '" + kv.value() + "'");
          return failure();
        }
      } else if (kv.key() == "length") {
        uint64_t l;
        if (!parseNumber(l)) {
          (void)error(what + ": bad external-data length '" + kv.value() + "'");
          return failure();
        }
        length = l;
      }
    }
    if (location.empty()) {
      (void)error(what + ": external data without a location");
      return failure();
    }
    if (length && *length != expected) {
      (void)error(what + ": external data length " + Twine(*length) +
                  " does not match its type " + typeString(type) + " (" +
                  Twine(expected) + " bytes)");
      return failure();
    }
    if (options.checkExternalData) {
      SmallString<256> full(location);
      if (!llvm::sys::path::is_absolute(full))
        full = (Twine(modelDir) + "/" + location).str();
      uint64_t fileSize;
      if (llvm::sys::fs::file_size(full, fileSize)) {
        (void)error(what + ": external data file '" + full +
                    "' is missing or unreadable");
        return failure();
      }
      if (offset > fileSize || expected > fileSize - offset) {
        (void)error(what + ": external data [" + Twine(offset) + ", " +
                    Twine(offset + expected) + ") lies beyond the end of '" +
                    full + "' (" + Twine(fileSize) + " bytes)");
        return failure();
      }
    }
    return Attribute(onnx::ExternalTensorAttr::get(ctx, type, location,
                                                   offset, expected));
  }

  // Inline data: raw_data, or the typed repeated fields.
  std::vector<char> bytes;
  if (t.has_raw_data()) {
    if (t.raw_data().size() != expected) {
      (void)error(what + ": raw_data holds " + Twine(t.raw_data().size()) +
                  " bytes, its type " + typeString(type) + " needs " +
                  Twine(expected));
      return failure();
    }
    bytes.assign(t.raw_data().begin(), t.raw_data().end());
  } else {
    auto sizeError = [&](size_t have) {
      (void)error(what + ": holds " + Twine(have) + " values, its type " +
                  typeString(type) + " needs " + Twine(count));
      return failure();
    };
    bytes.resize(expected);
    switch (t.data_type()) {
    case DT_FLOAT:
      if (uint64_t(t.float_data_size()) != count)
        return sizeError(t.float_data_size());
      std::memcpy(bytes.data(), t.float_data().data(), expected);
      break;
    case DT_DOUBLE:
      if (uint64_t(t.double_data_size()) != count)
        return sizeError(t.double_data_size());
      std::memcpy(bytes.data(), t.double_data().data(), expected);
      break;
    case DT_INT64:
      if (uint64_t(t.int64_data_size()) != count)
        return sizeError(t.int64_data_size());
      std::memcpy(bytes.data(), t.int64_data().data(), expected);
      break;
    case DT_UINT32: case DT_UINT64: {
      if (uint64_t(t.uint64_data_size()) != count)
        return sizeError(t.uint64_data_size());
      unsigned width = t.data_type() == DT_UINT32 ? 4 : 8;
      for (uint64_t i = 0; i < count; ++i) {
        uint64_t v = t.uint64_data(i);
        std::memcpy(bytes.data() + i * width, &v, width);
      }
      break;
    }
    case DT_INT4: case DT_UINT4: {
      if (uint64_t(t.int32_data_size()) != expected)
        return sizeError(t.int32_data_size());
      for (uint64_t i = 0; i < expected; ++i)
        bytes[i] = static_cast<char>(t.int32_data(i));
      break;
    }
    default: {
      // int32_data carries INT32, INT16, INT8, UINT16, UINT8, BOOL, FLOAT16,
      // BFLOAT16 and FLOAT8 as one value (or bit pattern) per element.
      if (uint64_t(t.int32_data_size()) != count)
        return sizeError(t.int32_data_size());
      unsigned width = count ? expected / count : 0;
      for (uint64_t i = 0; i < count; ++i) {
        int32_t v = t.int32_data(i);
        std::memcpy(bytes.data() + i * width, &v, width);
      }
      break;
    }
    }
  }
  return inlineTensor(type, std::move(bytes), t.data_type(), what);
}

FailureOr<Attribute> Importer::inlineTensor(RankedTensorType type,
                                            std::vector<char> bytes,
                                            int32_t dtype, const Twine &what) {
  int64_t count = type.getNumElements();
  if (dtype == DT_BOOL) {
    SmallVector<bool> values(count);
    for (int64_t i = 0; i < count; ++i)
      values[i] = bytes[i] != 0;
    return Attribute(DenseElementsAttr::get(type, values));
  }
  if (dtype == DT_INT4 || dtype == DT_UINT4) {
    // Unpack two per byte, low nibble first.
    bool isSigned = dtype == DT_INT4;
    SmallVector<APInt> values;
    values.reserve(count);
    for (int64_t i = 0; i < count; ++i) {
      uint8_t byte = static_cast<uint8_t>(bytes[i / 2]);
      uint8_t nibble = i % 2 ? byte >> 4 : byte & 0xf;
      values.push_back(APInt(4, nibble, isSigned));
    }
    return Attribute(DenseElementsAttr::get(type, values));
  }
  if (count <= options.maxDenseElements) {
    bool isSplat = false;
    if (!DenseElementsAttr::isValidRawBuffer(type, bytes, isSplat)) {
      (void)error(what + ": cannot represent " + typeString(type));
      return failure();
    }
    return Attribute(DenseElementsAttr::getFromRawBuffer(type, bytes));
  }
  unsigned width = type.getElementTypeBitWidth() / 8;
  // Aligned to the element width (allocateAndCopyInferAlign on chars would
  // give alignment 1, and its second parameter is `dataIsMutable`).
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      ArrayRef<char>(bytes.data(), bytes.size()), std::max(1u, width),
      /*dataIsMutable=*/false);
  std::string name = "onnx_tensor_" + std::to_string(resourceCounter++);
  return Attribute(DenseResourceElementsAttr::get(type, name, std::move(blob)));
}

Value Importer::noValue() {
  if (!none) {
    OpBuilder::InsertionGuard guard(builder);
    builder.setInsertionPointToStart(entryBlock);
    none = onnx::NoValueOp::create(builder, fileLoc);
  }
  return none;
}

FailureOr<std::string> Importer::opNameFor(const ::onnx::NodeProto &node) {
  std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
  std::string name;
  // onnxruntime registers a few of its contrib ops in the default ONNX
  // domain as well as in com.microsoft (exporters emit them there, e.g.
  // SimplifiedLayerNormalization from transformers' RMSNorm); they have no
  // ONNX-standard op of that name, so they map to the onnx.ms.* ops.
  static const char *const msOpsInDefaultDomain[] = {
      "SimplifiedLayerNormalization", "SkipSimplifiedLayerNormalization"};
  if (domain.empty() && llvm::is_contained(msOpsInDefaultDomain,
                                           StringRef(node.op_type())))
    name = "onnx.ms." + node.op_type();
  else if (domain.empty())
    name = "onnx." + node.op_type();
  else if (domain == "com.microsoft")
    name = "onnx.ms." + node.op_type();
  auto opset = opsets.find(domain);
  if (name.empty() || !RegisteredOperationName::lookup(name, ctx)) {
    std::string version =
        opset == opsets.end() ? "not imported" : std::to_string(opset->second);
    (void)error(nodeLoc(node),
                describe(node) + ": unsupported op '" + node.op_type() +
                    "' (domain '" + (domain.empty() ? "ai.onnx" : domain) +
                    "', opset " + version + ")");
    return failure();
  }
  if (opset == opsets.end()) {
    (void)error(nodeLoc(node), describe(node) + ": its domain '" + domain +
                                   "' is not in the model's opset_import");
    return failure();
  }
  return name;
}

FailureOr<NamedAttribute>
Importer::convertAttribute(const ::onnx::NodeProto &node,
                           const ::onnx::AttributeProto &a,
                           RegisteredOperationName opName) {
  auto fail = [&](const Twine &why) -> FailureOr<NamedAttribute> {
    (void)error(nodeLoc(node),
                describe(node) + ": attribute '" + a.name() + "' " + why);
    return failure();
  };
  if (!a.ref_attr_name().empty())
    return fail("refers to a function attribute, which is not supported");
  bool known = llvm::is_contained(opName.getAttributeNames(),
                                  StringAttr::get(ctx, a.name()));
  if (!known)
    return fail("is not supported by " + opName.getStringRef());
  StringAttr attrName = StringAttr::get(ctx, a.name());
  Attribute value;
  switch (a.type()) {
  case ::onnx::AttributeProto::INT:
    if (opName.getStringRef() == "onnx.Cast" && a.name() == "to") {
      FailureOr<Type> t = elementType(a.i(), describe(node) + ": 'to'");
      if (failed(t))
        return failure();
      value = TypeAttr::get(*t);
    } else {
      value = builder.getI64IntegerAttr(a.i());
    }
    break;
  case ::onnx::AttributeProto::FLOAT:
    value = builder.getF32FloatAttr(a.f());
    break;
  case ::onnx::AttributeProto::STRING:
    value = builder.getStringAttr(a.s());
    break;
  case ::onnx::AttributeProto::INTS:
    value = builder.getDenseI64ArrayAttr(
        SmallVector<int64_t>(a.ints().begin(), a.ints().end()));
    break;
  case ::onnx::AttributeProto::FLOATS:
    value = builder.getDenseF32ArrayAttr(
        SmallVector<float>(a.floats().begin(), a.floats().end()));
    break;
  case ::onnx::AttributeProto::STRINGS: {
    SmallVector<Attribute> strings;
    for (const auto &s : a.strings())
      strings.push_back(builder.getStringAttr(s));
    value = builder.getArrayAttr(strings);
    break;
  }
  case ::onnx::AttributeProto::TENSOR: {
    FailureOr<Attribute> tensor =
        convertTensor(a.t(), describe(node) + ": attribute '" + a.name() + "'");
    if (failed(tensor))
      return failure();
    value = *tensor;
    break;
  }
  case ::onnx::AttributeProto::GRAPH:
  case ::onnx::AttributeProto::GRAPHS:
    return fail("holds a subgraph: control flow is not supported");
  default:
    return fail("has an unsupported attribute type (" + Twine(a.type()) + ")");
  }
  return NamedAttribute(attrName, value);
}

LogicalResult Importer::importConstantNode(const ::onnx::NodeProto &node) {
  Location loc = nodeLoc(node);
  if (node.attribute_size() != 1 || node.output_size() != 1)
    return error(loc, describe(node) +
                          ": a Constant needs exactly one value attribute and "
                          "one output");
  const auto &a = node.attribute(0);
  Attribute value;
  auto i64 = IntegerType::get(ctx, 64);
  auto f32 = Float32Type::get(ctx);
  if (a.name() == "value" && a.type() == ::onnx::AttributeProto::TENSOR) {
    FailureOr<Attribute> t = convertTensor(a.t(), describe(node));
    if (failed(t))
      return failure();
    value = *t;
  } else if (a.name() == "value_float") {
    value = DenseElementsAttr::get(RankedTensorType::get({}, f32), a.f());
  } else if (a.name() == "value_floats") {
    SmallVector<float> v(a.floats().begin(), a.floats().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({int64_t(v.size())}, f32), ArrayRef<float>(v));
  } else if (a.name() == "value_int") {
    value = DenseElementsAttr::get(RankedTensorType::get({}, i64), a.i());
  } else if (a.name() == "value_ints") {
    SmallVector<int64_t> v(a.ints().begin(), a.ints().end());
    value = DenseElementsAttr::get(
        RankedTensorType::get({int64_t(v.size())}, i64), ArrayRef<int64_t>(v));
  } else {
    return error(loc, describe(node) + ": Constant attribute '" + a.name() +
                          "' is not supported");
  }
  auto typed = cast<TypedAttr>(value);
  auto op = onnx::ConstantOp::create(builder, loc, typed.getType(), value);
  values[node.output(0)] = op.getResult();
  return success();
}

LogicalResult Importer::importNode(const ::onnx::NodeProto &node) {
  locDescriptions.try_emplace(nodeLoc(node), describe(node));
  if (node.op_type() == "Constant" &&
      (node.domain().empty() || node.domain() == "ai.onnx"))
    return importConstantNode(node);
  // Subgraphs first: If/Loop/Scan are not dialect ops, and "holds a
  // subgraph" says more than "unsupported op".
  for (const auto &a : node.attribute())
    if (a.type() == ::onnx::AttributeProto::GRAPH ||
        a.type() == ::onnx::AttributeProto::GRAPHS)
      return error(nodeLoc(node),
                   describe(node) + ": attribute '" + a.name() +
                       "' holds a subgraph: control flow is not supported");
  FailureOr<std::string> name = opNameFor(node);
  if (failed(name))
    return failure();
  auto opName = *RegisteredOperationName::lookup(*name, ctx);
  Location loc = nodeLoc(node);

  // Operands: absent optional inputs (empty names, and trailing ones the
  // node leaves out) are `none`.
  SmallVector<Value> operands;
  for (const std::string &input : node.input()) {
    if (input.empty()) {
      operands.push_back(noValue());
      continue;
    }
    auto it = values.find(input);
    if (it == values.end())
      return error(loc, describe(node) + ": input '" + input +
                            "' is not defined by any node, initializer or "
                            "graph input");
    operands.push_back(it->second);
  }
  if (std::optional<unsigned> arity = fixedOperandCount(opName)) {
    if (operands.size() > *arity)
      return error(loc, describe(node) + ": has " + Twine(operands.size()) +
                            " inputs, " + *name + " takes at most " +
                            Twine(*arity));
    while (operands.size() < *arity)
      operands.push_back(noValue());
  }

  NamedAttrList attributes;
  for (const auto &a : node.attribute()) {
    FailureOr<NamedAttribute> attr = convertAttribute(node, a, opName);
    if (failed(attr))
      return failure();
    attributes.append(*attr);
  }
  // ODS defaults (Gather's axis = 0, ...): Operation::create adds them, but
  // type inference below reads `attributes` first and expects them there.
  opName.populateDefaultAttrs(attributes);

  // Result types: from the graph's value_info and outputs, else from the
  // op's type inference.
  std::optional<unsigned> numResults = fixedResultCount(opName);
  unsigned resultCount = numResults ? *numResults : node.output_size();
  if (unsigned(node.output_size()) > resultCount)
    return error(loc, describe(node) + ": has " + Twine(node.output_size()) +
                          " outputs, " + *name + " has " + Twine(resultCount));
  SmallVector<Type> resultTypes;
  bool allKnown = true;
  for (unsigned i = 0; i < resultCount; ++i) {
    if (i >= unsigned(node.output_size()) || node.output(i).empty()) {
      resultTypes.push_back(NoneType::get(ctx));
      continue;
    }
    auto it = valueTypes.find(node.output(i));
    if (it == valueTypes.end() ||
        !it->second->tensor_type().has_elem_type() ||
        it->second->tensor_type().elem_type() == 0) {
      allKnown = false;
      resultTypes.push_back(Type());
      continue;
    }
    FailureOr<Type> t = convertType(*it->second, describe(node) + ": output '" +
                                                     node.output(i) + "'");
    if (failed(t))
      return failure();
    resultTypes.push_back(*t);
  }
  if (!allKnown) {
    auto *infer = opName.getInterface<InferTypeOpInterface>();
    SmallVector<Type> inferred;
    if (!infer)
      return error(loc, describe(node) +
                            ": the graph gives no type for its outputs and " +
                            *name + " has no type inference");
    // Type inference reads the attributes unchecked (a missing Cast `to` or
    // a float Concat `axis` would crash it): first verify a detached copy
    // with placeholder result types and stop on ODS's attribute errors
    // ("requires attribute 'x'", "attribute 'x' failed to satisfy
    // constraint"). Other complaints (about the placeholders) are expected.
    {
      OperationState probe(loc, opName);
      probe.addOperands(operands);
      for (Type t : resultTypes)
        probe.addTypes(t ? t : UnrankedTensorType::get(Float32Type::get(ctx)));
      probe.addAttributes(attributes);
      Operation *copy = Operation::create(probe);
      std::optional<std::string> invalid;
      {
        ScopedDiagnosticHandler quiet(ctx, [&](Diagnostic &diag) {
          if (!invalid && diag.getSeverity() == DiagnosticSeverity::Error)
            invalid = diag.str();
          return success();
        });
        (void)opName.verifyInvariants(copy);
      }
      copy->destroy();
      if (invalid && StringRef(*invalid).contains("attribute '"))
        return error(loc, describe(node) + ": " + *invalid);
    }
    if (failed(infer->inferReturnTypes(
            ctx, loc, operands, attributes.getDictionary(ctx),
            OpaqueProperties(nullptr), RegionRange(), inferred)))
      return failure();
    if (inferred.size() != resultTypes.size())
      return error(loc, describe(node) + ": type inference gave " +
                            Twine(inferred.size()) + " results, expected " +
                            Twine(resultTypes.size()));
    for (unsigned i = 0; i < resultTypes.size(); ++i)
      if (!resultTypes[i])
        resultTypes[i] = inferred[i];
  }

  OperationState state(loc, opName);
  state.addOperands(operands);
  state.addTypes(resultTypes);
  state.addAttributes(attributes);
  Operation *op = builder.create(state);
  for (int i = 0; i < node.output_size(); ++i)
    if (!node.output(i).empty())
      values[node.output(i)] = op->getResult(i);
  return success();
}

LogicalResult Importer::importGraph(const ::onnx::GraphProto &graph) {
  for (const auto &vi : graph.value_info())
    valueTypes[vi.name()] = &vi.type();
  for (const auto &vi : graph.output())
    valueTypes[vi.name()] = &vi.type();

  llvm::StringMap<const ::onnx::TensorProto *> initializers;
  for (const auto &init : graph.initializer())
    initializers[init.name()] = &init;
  if (graph.sparse_initializer_size())
    return error("sparse initializers are not supported");

  // Signature: graph inputs that no initializer provides.
  SmallVector<Type> argTypes;
  SmallVector<const ::onnx::ValueInfoProto *> args;
  for (const auto &input : graph.input()) {
    if (initializers.count(input.name()))
      continue;
    FailureOr<Type> t =
        convertType(input.type(), "graph input '" + input.name() + "'");
    if (failed(t))
      return failure();
    argTypes.push_back(*t);
    args.push_back(&input);
  }
  SmallVector<Type> resultTypes;
  for (const auto &output : graph.output()) {
    FailureOr<Type> t =
        convertType(output.type(), "graph output '" + output.name() + "'");
    if (failed(t))
      return failure();
    resultTypes.push_back(*t);
  }
  std::string funcName = "main";
  auto func = func::FuncOp::create(builder, fileLoc, funcName,
                                   builder.getFunctionType(argTypes,
                                                           resultTypes));
  for (auto [i, arg] : llvm::enumerate(args))
    func.setArgAttr(i, "onnx.name", builder.getStringAttr(arg->name()));
  for (auto [i, output] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "onnx.name", builder.getStringAttr(output.name()));
  if (!graph.name().empty())
    func->setAttr("onnx.graph_name", builder.getStringAttr(graph.name()));
  Block *entry = func.addEntryBlock();
  builder.setInsertionPointToStart(entry);
  for (auto [i, arg] : llvm::enumerate(args))
    values[arg->name()] = entry->getArgument(i);
  entryBlock = entry;

  for (const auto &init : graph.initializer()) {
    FailureOr<Attribute> value =
        convertTensor(init, "initializer '" + init.name() + "'");
    if (failed(value))
      return failure();
    Location loc = NameLoc::get(builder.getStringAttr(init.name()), fileLoc);
    locDescriptions.try_emplace(loc, "initializer '" + init.name() + "'");
    auto op = onnx::ConstantOp::create(
        builder, loc, cast<TypedAttr>(*value).getType(), *value);
    values[init.name()] = op.getResult();
  }

  // Nodes in a topological order (ONNX requires one; accept any order and
  // find cycles): Kahn's algorithm, keeping the file's order among ready
  // nodes.
  int numNodes = graph.node_size();
  llvm::StringMap<int> producer;
  for (int i = 0; i < numNodes; ++i)
    for (const std::string &out : graph.node(i).output())
      if (!out.empty()) {
        if (values.count(out) || !producer.try_emplace(out, i).second)
          return error(nodeLoc(graph.node(i)),
                       describe(graph.node(i)) + ": output '" + out +
                           "' is already defined elsewhere in the graph");
      }
  std::vector<int> pending(numNodes, 0);
  std::vector<SmallVector<int>> users(numNodes);
  for (int i = 0; i < numNodes; ++i) {
    const auto &node = graph.node(i);
    for (const std::string &in : node.input()) {
      if (in.empty() || values.count(in))
        continue;
      auto it = producer.find(in);
      if (it == producer.end())
        return error(nodeLoc(node), describe(node) + ": input '" + in +
                                        "' is not defined by any node, "
                                        "initializer or graph input");
      ++pending[i];
      users[it->second].push_back(i);
    }
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int i = 0; i < numNodes; ++i)
    if (!pending[i])
      ready.push(i);
  int imported = 0;
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    if (failed(importNode(graph.node(i))))
      return failure();
    ++imported;
    for (int user : users[i])
      if (--pending[user] == 0)
        ready.push(user);
  }
  if (imported != numNodes) {
    for (int i = 0; i < numNodes; ++i)
      if (pending[i])
        return error(nodeLoc(graph.node(i)),
                     "the graph has a cycle through " +
                         describe(graph.node(i)));
  }

  SmallVector<Value> results;
  for (const auto &output : graph.output()) {
    auto it = values.find(output.name());
    if (it == values.end())
      return error("graph output '" + output.name() +
                   "' is not defined by any node, initializer or graph input");
    results.push_back(it->second);
  }
  func::ReturnOp::create(builder, fileLoc, results);
  return success();
}

OwningOpRef<ModuleOp> Importer::run(StringRef path) {
  // Keep the first error and drop the rest (a failed inference or
  // verification emits follow-on errors); name the node that MLIR's own
  // diagnostics are about. Warnings and remarks pass through.
  std::optional<std::string> firstError;
  Location firstLoc = UnknownLoc::get(ctx);
  OwningOpRef<ModuleOp> module;
  {
    ScopedDiagnosticHandler capture(ctx, [&](Diagnostic &diag) {
      if (diag.getSeverity() != DiagnosticSeverity::Error)
        return failure();
      if (firstError)
        return success();
      firstLoc = diag.getLocation();
      firstError = diag.str();
      if (!ownDiagnostic) {
        auto it = locDescriptions.find(firstLoc);
        if (it != locDescriptions.end())
          *firstError = it->second + ": " + *firstError;
      }
      return success();
    });
    module = importModel(path);
  }
  if (firstError) {
    emitError(firstLoc) << *firstError;
    return nullptr;
  }
  return module;
}

OwningOpRef<ModuleOp> Importer::importModel(StringRef path) {
  fileLoc = FileLineColLoc::get(ctx, path, 0, 0);
  SmallString<256> dir(path);
  llvm::sys::fs::make_absolute(dir);
  llvm::sys::path::remove_filename(dir);
  modelDir = std::string(dir);

  MappedFile file;
  if (std::string err = file.map(path.str()); !err.empty()) {
    (void)error(err);
    return nullptr;
  }
  std::string message;
  if (detail::scanModelProto(file.bytes(), file.size, message) !=
      detail::ScanResult::Ok) {
    (void)error(message);
    return nullptr;
  }
  ::onnx::ModelProto model;
  {
    google::protobuf::io::ArrayInputStream stream(file.bytes(),
                                                  static_cast<int>(file.size));
    google::protobuf::io::CodedInputStream coded(&stream);
    coded.SetTotalBytesLimit(INT_MAX);
    coded.SetRecursionLimit(256);
    if (!model.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage()) {
      (void)error("not an ONNX model (the protobuf does not parse as a "
                  "ModelProto)");
      return nullptr;
    }
  }
  if (!model.has_graph()) {
    (void)error("not an ONNX model (no graph)");
    return nullptr;
  }
  if (failed(checkOpsets(model)))
    return nullptr;

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  builder.setInsertionPointToStart(module->getBody());
  (*module)->setAttr("onnx.model_dir", builder.getStringAttr(modelDir));
  (*module)->setAttr("onnx.ir_version",
                     builder.getI64IntegerAttr(model.ir_version()));
  if (!model.producer_name().empty())
    (*module)->setAttr(
        "onnx.producer",
        builder.getStringAttr(model.producer_version().empty()
                                  ? model.producer_name()
                                  : model.producer_name() + " " +
                                        model.producer_version()));
  SmallVector<NamedAttribute> opsetAttrs;
  for (const auto &entry : opsets)
    opsetAttrs.push_back(builder.getNamedAttr(
        entry.getKey().empty() ? "ai.onnx" : entry.getKey(),
        builder.getI64IntegerAttr(entry.getValue())));
  (*module)->setAttr("onnx.opset_import",
                     builder.getDictionaryAttr(opsetAttrs));

  if (failed(importGraph(model.graph())))
    return nullptr;
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

} // namespace

OwningOpRef<ModuleOp> importONNXModel(StringRef path, MLIRContext *context,
                                      const ONNXImportOptions &options) {
  context->loadDialect<onnx::ONNXDialect, func::FuncDialect>();
  Importer importer(context, options);
  return importer.run(path);
}

} // namespace sieve
