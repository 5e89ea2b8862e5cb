//===- ONNXFold.cpp - folders of onnx dialect operations ------------------===//

#include "sieve/Dialect/ONNX/ONNXOps.h"

using namespace mlir;
using namespace sieve::onnx;

OpFoldResult NoValueOp::fold(FoldAdaptor) { return UnitAttr::get(getContext()); }

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }
