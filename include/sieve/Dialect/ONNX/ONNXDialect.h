//===- ONNXDialect.h - the onnx dialect -------------------------*- C++ -*-===//
#ifndef SIEVE_DIALECT_ONNX_ONNXDIALECT_H
#define SIEVE_DIALECT_ONNX_ONNXDIALECT_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"

#include "onnx/ONNXDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "onnx/ONNXAttrs.h.inc"

#endif // SIEVE_DIALECT_ONNX_ONNXDIALECT_H
