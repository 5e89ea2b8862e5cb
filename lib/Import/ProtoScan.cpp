//===- ProtoScan.cpp - a top-level protobuf wire-format check -------------===//

#include "ProtoScan.h"

#include <optional>

using namespace sieve::detail;

namespace {
struct FieldInfo {
  const char *name;
  unsigned wireType;
};

/// The fields of onnx.ModelProto (onnx.proto) and their wire types.
std::optional<FieldInfo> modelField(uint64_t number) {
  switch (number) {
  case 1: return FieldInfo{"ir_version", 0};
  case 2: return FieldInfo{"producer_name", 2};
  case 3: return FieldInfo{"producer_version", 2};
  case 4: return FieldInfo{"domain", 2};
  case 5: return FieldInfo{"model_version", 0};
  case 6: return FieldInfo{"doc_string", 2};
  case 7: return FieldInfo{"graph", 2};
  case 8: return FieldInfo{"opset_import", 2};
  case 14: return FieldInfo{"metadata_props", 2};
  case 20: return FieldInfo{"training_info", 2};
  case 25: return FieldInfo{"functions", 2};
  case 26: return FieldInfo{"configuration", 2};
  default: return std::nullopt;
  }
}

/// Reads a varint at `pos`; returns false at the end of the data or on a
/// varint longer than ten bytes.
bool readVarint(const uint8_t *data, size_t size, size_t &pos,
                uint64_t &value, bool &hitEnd) {
  value = 0;
  hitEnd = false;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (pos >= size) {
      hitEnd = true;
      return false;
    }
    uint8_t byte = data[pos++];
    value |= uint64_t(byte & 0x7f) << shift;
    if (!(byte & 0x80))
      return true;
  }
  return false;
}
} // namespace

ScanResult sieve::detail::scanModelProto(const uint8_t *data, size_t size,
                                         std::string &message) {
  size_t pos = 0;
  bool sawGraph = false;
  unsigned fields = 0;
  auto notModel = [&](const std::string &why) {
    message = "not an ONNX model (" + why + " at byte " + std::to_string(pos) +
              ")";
    return ScanResult::NotAModel;
  };
  auto truncated = [&](const std::string &why) {
    message = "truncated ONNX model: " + why;
    return ScanResult::Truncated;
  };
  while (pos < size) {
    size_t fieldStart = pos;
    uint64_t tag;
    bool hitEnd;
    if (!readVarint(data, size, pos, tag, hitEnd))
      return fields && hitEnd ? truncated("the file ends inside a field tag")
                              : notModel("bad field tag");
    uint64_t number = tag >> 3;
    unsigned wireType = tag & 7;
    std::optional<FieldInfo> info = modelField(number);
    if (!info || info->wireType != wireType) {
      pos = fieldStart;
      return notModel("no ModelProto field has tag " + std::to_string(tag));
    }
    ++fields;
    if (wireType == 0) {
      uint64_t value;
      if (!readVarint(data, size, pos, value, hitEnd))
        return hitEnd ? truncated(std::string("the file ends inside field '") +
                                  info->name + "'")
                      : notModel("bad varint");
      continue;
    }
    uint64_t length;
    if (!readVarint(data, size, pos, length, hitEnd))
      return hitEnd ? truncated(std::string("the file ends inside field '") +
                                info->name + "'")
                    : notModel("bad length");
    if (length > size - pos)
      return truncated(std::string("field '") + info->name + "' at byte " +
                       std::to_string(fieldStart) + " needs " +
                       std::to_string(length) + " bytes, but the file ends " +
                       std::to_string(size - pos) + " bytes after it starts");
    sawGraph |= number == 7;
    pos += length;
  }
  if (!sawGraph) {
    message = fields ? "not an ONNX model (no graph)"
                     : "not an ONNX model (empty file)";
    return ScanResult::NotAModel;
  }
  return ScanResult::Ok;
}
