//===- SieveDialect.cpp - the sieve transformer dialect -------------------===//

#include "sieve/Dialect/Sieve/SieveOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace sieve;

#include "sieve/SieveDialect.cpp.inc"
#include "sieve/SieveEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "sieve/SieveAttrs.cpp.inc"

void SieveDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "sieve/SieveOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "sieve/SieveAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// #sieve.quant and #sieve.kv: `<` kind (`,` `group` `=` N)? (`,` `asym`)? `>`
//===----------------------------------------------------------------------===//

/// Parses the shared body; `asym` is null for #sieve.kv (no such flag).
static ParseResult parseQuantBody(AsmParser &parser, QuantKind &kind,
                                  int64_t &group, bool *asym) {
  StringRef word;
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseLess() || parser.parseKeyword(&word))
    return failure();
  std::optional<QuantKind> k = symbolizeQuantKind(word);
  if (!k)
    return parser.emitError(loc) << "unknown quantized format '" << word
                                 << "' (expected int8, int4 or fp8)";
  kind = *k;
  group = 0;
  while (succeeded(parser.parseOptionalComma())) {
    loc = parser.getCurrentLocation();
    if (parser.parseKeyword(&word))
      return failure();
    if (word == "group") {
      if (parser.parseEqual() || parser.parseInteger(group))
        return failure();
    } else if (word == "asym" && asym) {
      *asym = true;
    } else {
      return parser.emitError(loc) << "unexpected '" << word << "'";
    }
  }
  return parser.parseGreater();
}

static void printQuantBody(AsmPrinter &printer, QuantKind kind, int64_t group,
                           bool asym) {
  printer << "<" << stringifyQuantKind(kind);
  if (group)
    printer << ", group = " << group;
  if (asym)
    printer << ", asym";
  printer << ">";
}

Attribute QuantAttr::parse(AsmParser &parser, Type) {
  QuantKind kind;
  int64_t group;
  bool asym = false;
  if (parseQuantBody(parser, kind, group, &asym))
    return {};
  return parser.getChecked<QuantAttr>(parser.getContext(), kind, group, asym);
}

void QuantAttr::print(AsmPrinter &printer) const {
  printQuantBody(printer, getKind(), getGroup(), getAsym());
}

LogicalResult QuantAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                QuantKind kind, int64_t group, bool asym) {
  switch (kind) {
  case QuantKind::int4:
    if (group < 2 || group % 2)
      return emitError() << "int4 weights need an even group >= 2, got "
                         << group;
    if (!asym)
      return emitError() << "int4 weights are asymmetric (asym): symmetric "
                            "int4 is not implemented";
    return success();
  case QuantKind::int8:
  case QuantKind::fp8:
    if (group || asym)
      return emitError() << stringifyQuantKind(kind)
                         << " weights are per output channel and symmetric "
                            "(no group, no asym)";
    return success();
  }
  return success();
}

Attribute KVAttr::parse(AsmParser &parser, Type) {
  QuantKind kind;
  int64_t group;
  if (parseQuantBody(parser, kind, group, /*asym=*/nullptr))
    return {};
  return parser.getChecked<KVAttr>(parser.getContext(), kind, group);
}

void KVAttr::print(AsmPrinter &printer) const {
  printQuantBody(printer, getKind(), getGroup(), /*asym=*/false);
}

LogicalResult KVAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                             QuantKind kind, int64_t group) {
  if (kind == QuantKind::int4 ? (group < 2 || group % 2) : group != 0)
    return emitError() << "a " << stringifyQuantKind(kind) << " KV cache "
                       << (kind == QuantKind::int4
                               ? "needs an even group >= 2"
                               : "has one scale per vector (no group)")
                       << ", got group " << group;
  return success();
}

LogicalResult
TokenFilterAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        StringRef method, int64_t layer, int64_t k,
                        int64_t pool, int64_t window, int64_t block) {
  if (method != "gemfilter")
    return emitError() << "unknown token filter method '" << method
                       << "' (expected gemfilter)";
  if (layer < 0)
    return emitError() << "token filter layer must be >= 0, got " << layer;
  if (k < 1)
    return emitError() << "token filter k must be >= 1, got " << k;
  // Same-size pooling with symmetric zero padding needs an odd width; the
  // cap keeps a typo (pool=5000) from silently flattening every score.
  if (pool < 1 || pool % 2 == 0 || pool > kMaxPool)
    return emitError() << "token filter pool must be odd, in [1, "
                       << kMaxPool << "], got " << pool;
  if (window < 1)
    return emitError() << "token filter window must be >= 1, got " << window;
  if (block < 1 || k % block)
    return emitError() << "token filter block must be >= 1 and divide k = "
                       << k << ", got " << block;
  return success();
}

LogicalResult KVEvictAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                  StringRef method, int64_t budget,
                                  int64_t window, int64_t pool,
                                  StringRef scope) {
  if (method != "snapkv" && method != "h2o")
    return emitError() << "unknown KV eviction method '" << method
                       << "' (expected snapkv or h2o)";
  if (budget < 1)
    return emitError() << "KV eviction budget must be >= 1, got " << budget;
  if (window < 1)
    return emitError() << "KV eviction window must be >= 1, got " << window;
  if (pool < 1 || pool % 2 == 0 || pool > TokenFilterAttr::kMaxPool)
    return emitError() << "KV eviction pool must be odd, in [1, "
                       << TokenFilterAttr::kMaxPool << "], got " << pool;
  if (scope != "head" && scope != "layer")
    return emitError() << "KV eviction scope must be head or layer, got '"
                       << scope << "'";
  return success();
}
