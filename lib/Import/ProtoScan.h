//===- ProtoScan.h - a top-level protobuf wire-format check -----*- C++ -*-===//
//
// Walks the top-level fields of a serialized ModelProto without parsing it,
// so that a file that is not a protobuf and a file that was cut short get
// different, precise errors before the real parse.
//
//===----------------------------------------------------------------------===//
#ifndef SIEVE_LIB_IMPORT_PROTOSCAN_H
#define SIEVE_LIB_IMPORT_PROTOSCAN_H

#include <cstddef>
#include <cstdint>
#include <string>

namespace sieve::detail {

enum class ScanResult { Ok, NotAModel, Truncated };

/// Scans `size` bytes at `data` as the top level of a ModelProto. On a
/// failure, `message` says what is wrong and where.
ScanResult scanModelProto(const uint8_t *data, size_t size,
                          std::string &message);

} // namespace sieve::detail

#endif // SIEVE_LIB_IMPORT_PROTOSCAN_H
