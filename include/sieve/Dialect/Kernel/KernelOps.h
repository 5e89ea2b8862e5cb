//===- KernelOps.h - the kernel level ---------------------------*- C++ -*-===//
#ifndef SIEVE_DIALECT_KERNEL_KERNELOPS_H
#define SIEVE_DIALECT_KERNEL_KERNELOPS_H

#include "sieve/Dialect/Sieve/SieveOps.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/RegionKindInterface.h"
#include "mlir/IR/SymbolTable.h"

#include "kernel/KernelDialect.h.inc"

#define GET_OP_CLASSES
#include "kernel/KernelOps.h.inc"

#endif // SIEVE_DIALECT_KERNEL_KERNELOPS_H
