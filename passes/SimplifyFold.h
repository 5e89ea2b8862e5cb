//===- SimplifyFold.h - constant folding for --sieve-simplify ---*- C++ -*-===//

#ifndef SIEVE_PASSES_SIMPLIFYFOLD_H
#define SIEVE_PASSES_SIMPLIFYFOLD_H

#include "mlir/IR/PatternMatch.h"

namespace sieve {

/// Patterns that replace an onnx op whose operands are all inline constants
/// (DenseElementsAttr; never dense_resource or #onnx.external weights) by
/// the onnx.Constant of its result: elementwise integer, bool and float
/// arithmetic and comparisons with broadcasting, Where, Cast, and the ops
/// that only reshape (Reshape, Unsqueeze, Squeeze, Flatten, Identity).
/// Results with more than `maxElements` elements are left alone unless
/// they are splats. Float math is limited to what IEEE rounds exactly
/// (+ - * /, sqrt, negation, comparisons, conversions), so the folded value
/// is the one a run would compute.
void populateConstantFoldPatterns(mlir::RewritePatternSet &patterns,
                                  int64_t maxElements);

} // namespace sieve

#endif // SIEVE_PASSES_SIMPLIFYFOLD_H
