//===- SieveOps.h - the sieve transformer dialect ---------------*- C++ -*-===//
#ifndef SIEVE_DIALECT_SIEVE_SIEVEOPS_H
#define SIEVE_DIALECT_SIEVE_SIEVEOPS_H

#include "sieve/Dialect/ONNX/ONNXDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/RegionKindInterface.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "sieve/SieveDialect.h.inc"
#include "sieve/SieveEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "sieve/SieveAttrs.h.inc"

#define GET_OP_CLASSES
#include "sieve/SieveOps.h.inc"

#endif // SIEVE_DIALECT_SIEVE_SIEVEOPS_H
