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
