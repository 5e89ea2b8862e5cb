//===- ShapeEval.h - symbolic shapes and small integer tensors --*- C++ -*-===//
//
// A forward analysis over an imported ONNX function that gives every tensor
// value a symbolic shape, and every small integer tensor (shape vectors,
// indices, scalars) its elements, as affine expressions `coef * sym + off`
// over symbols: the dynamic dimensions of the function arguments and any
// value the analysis cannot name otherwise. Two values that carry the same
// symbol are equal at run time; that is what lets --sieve-simplify prove
// that a Reshape target [1, seq, 4, 64] is [1, -1, 4, 64].
//
//===----------------------------------------------------------------------===//

#ifndef SIEVE_PASSES_SHAPEEVAL_H
#define SIEVE_PASSES_SHAPEEVAL_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>

namespace sieve {

/// An integer `coef * sym + off`; a constant when `sym < 0`.
struct SymInt {
  int64_t coef = 0;
  int64_t sym = -1;
  int64_t off = 0;

  static SymInt constant(int64_t c) { return {0, -1, c}; }
  static SymInt symbol(int64_t s) { return {1, s, 0}; }
  bool isConstant() const { return sym < 0; }
  std::optional<int64_t> getConstant() const {
    return isConstant() ? std::optional<int64_t>(off) : std::nullopt;
  }
  bool operator==(const SymInt &o) const {
    return coef == o.coef && sym == o.sym && off == o.off;
  }
  bool operator!=(const SymInt &o) const { return !(*this == o); }
};

/// What the analysis knows about one tensor value.
struct SymTensor {
  /// Dimension sizes; empty optional when the rank is unknown.
  std::optional<llvm::SmallVector<SymInt>> shape;
  /// Row-major elements of a small integer (or bool) tensor with a static
  /// shape; empty optional when not tracked.
  std::optional<llvm::SmallVector<SymInt>> elems;
  /// Elements of an integer (or bool) tensor of any shape, as
  /// `base + sum_k coef[k] * index_k` (iotas from Range, splats): one
  /// coefficient per dimension, 0 where the dimension is 1.
  struct Affine {
    llvm::SmallVector<int64_t> coef;
    SymInt base;
    bool isSplat() const {
      return llvm::all_of(coef, [](int64_t c) { return c == 0; });
    }
  };
  std::optional<Affine> affine;

  /// The splat value, when every element is the same.
  std::optional<SymInt> splat() const {
    if (affine && affine->isSplat())
      return affine->base;
    if (elems && !elems->empty() &&
        llvm::all_of(*elems, [&](const SymInt &e) { return e == (*elems)[0]; }))
      return (*elems)[0];
    return std::nullopt;
  }

  /// The static shape, when every dimension is a constant.
  std::optional<llvm::SmallVector<int64_t>> staticShape() const;
  /// The constant elements, when all are constants.
  std::optional<llvm::SmallVector<int64_t>> constantElems() const;
};

/// The analysis. Visit the ops of a block in order; each visit computes the
/// op's results from what is known about its operands.
class ShapeAnalysis {
public:
  /// Integer tensors with at most this many elements have their elements
  /// tracked.
  static constexpr int64_t kMaxTrackedElems = 64;

  /// What is known about `v`; values never visited get a description from
  /// their type (static sizes; a fresh symbol per dynamic dimension).
  const SymTensor &get(mlir::Value v);
  void set(mlir::Value v, SymTensor t) { values[v] = std::move(t); }
  /// Takes in the static sizes of `v`'s (refined) type.
  void refine(mlir::Value v) {
    SymTensor t = get(v);
    values[v] = merge(std::move(t), v.getType());
  }
  bool has(mlir::Value v) const { return values.count(v); }

  /// Computes the results of `op` and records them, also merging in what
  /// the declared result types say.
  void visit(mlir::Operation *op);

  /// A new symbol; `nonNegative` for sizes.
  SymInt fresh(bool nonNegative = true);

  /// Sign of `a - b` (-1, 0, 1) when the analysis can decide it.
  std::optional<int> compare(SymInt a, SymInt b) const;
  /// Whether `a >= b` is proven (sizes are nonnegative).
  bool provablyGE(SymInt a, SymInt b) const;

  // Arithmetic; results are fresh symbols where not affine.
  SymInt add(SymInt a, SymInt b);
  SymInt sub(SymInt a, SymInt b);
  SymInt mul(SymInt a, SymInt b);
  SymInt div(SymInt a, SymInt b);
  /// Broadcast of two dimension sizes (numpy rules).
  SymInt broadcastDim(SymInt a, SymInt b);

private:
  /// The op-specific transfer function; returns one SymTensor per result,
  /// or an empty vector when the op is unknown.
  llvm::SmallVector<SymTensor> transfer(mlir::Operation *op);
  /// Elements of the single result of `op` as an affine function of the
  /// index, given its computed shape.
  std::optional<SymTensor::Affine> transferAffine(mlir::Operation *op,
                                                  const SymTensor &result);
  std::optional<SymTensor::Affine>
  elementwiseAffine(llvm::StringRef name, llvm::ArrayRef<SymTensor::Affine> afs,
                    llvm::function_ref<SymInt(llvm::ArrayRef<SymInt>)> fn);
  /// `t`'s elements as an affine function of the index, when they are.
  std::optional<SymTensor::Affine> affineOf(const SymTensor &t);
  SymTensor fromType(mlir::Type type);
  /// Combines an inferred description with the declared result type.
  SymTensor merge(SymTensor inferred, mlir::Type declared);

  llvm::DenseMap<mlir::Value, SymTensor> values;
  llvm::SmallVector<bool> nonNegative;
};

} // namespace sieve

#endif // SIEVE_PASSES_SHAPEEVAL_H
