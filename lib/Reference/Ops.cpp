//===- Ops.cpp - ONNX operator implementations ----------------------------===//
//
// Semantics follow the ONNX operator specification (opset 13-18 forms; older
// attribute forms of axes/split are accepted too). Floats compute in float32,
// integers in int64, bools as uint8.
//
//===----------------------------------------------------------------------===//

#include "Ops.h"

#include "sieve/Dialect/ONNX/ONNXOps.h"
#include "sieve/Reference/NBits.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <numeric>
#include <type_traits>

using namespace mlir;
using namespace sieve::ref;

#include "VecKernels.h"

using Inputs = ArrayRef<const Tensor *>;
using Outputs = std::vector<Tensor>;
using Shape = std::vector<int64_t>;

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

/// Whether the AVX2 vector kernels (exp, softmax, sigmoid) run here;
/// SIEVE_REF_KERNEL=portable turns them off.
bool sieve::ref::useVectorKernels() {
#ifdef SIEVE_HAVE_AVX2_KERNEL
  static const bool enabled = [] {
    __builtin_cpu_init();
    const char *want = std::getenv("SIEVE_REF_KERNEL");
    if (want && StringRef(want) == "portable")
      return false;
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  }();
  return enabled;
#else
  return false;
#endif
}

namespace {

int64_t product(ArrayRef<int64_t> s, size_t from = 0, size_t to = ~size_t(0)) {
  int64_t n = 1;
  for (size_t i = from; i < std::min(to, s.size()); ++i)
    n *= s[i];
  return n;
}

int64_t attrInt(Operation *op, StringRef name, int64_t dflt) {
  if (auto a = op->getAttrOfType<IntegerAttr>(name))
    return a.getValue().getSExtValue();
  return dflt;
}

float attrFloat(Operation *op, StringRef name, float dflt) {
  if (auto a = op->getAttrOfType<FloatAttr>(name))
    return float(a.getValueAsDouble());
  return dflt;
}

std::optional<std::vector<int64_t>> attrInts(Operation *op, StringRef name) {
  Attribute a = op->getAttr(name);
  if (!a)
    return std::nullopt;
  if (auto d = dyn_cast<DenseI64ArrayAttr>(a))
    return std::vector<int64_t>(d.asArrayRef().begin(), d.asArrayRef().end());
  if (auto arr = dyn_cast<ArrayAttr>(a)) {
    std::vector<int64_t> v;
    for (Attribute e : arr)
      if (auto i = dyn_cast<IntegerAttr>(e))
        v.push_back(i.getValue().getSExtValue());
    return v;
  }
  return std::nullopt;
}

StringRef attrStr(Operation *op, StringRef name, StringRef dflt) {
  if (auto a = op->getAttrOfType<StringAttr>(name))
    return a.getValue();
  return dflt;
}

Type resultElementType(Operation *op, unsigned i = 0) {
  if (auto t = dyn_cast<ShapedType>(op->getResult(i).getType()))
    return t.getElementType();
  return Type();
}

Storage resultStorage(Operation *op, unsigned i = 0) {
  Type t = resultElementType(op, i);
  return t ? storageFor(t) : Storage::F32;
}

std::string shapeStr(ArrayRef<int64_t> s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i)
    r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

/// The values of an integer (or float) tensor as int64.
std::vector<int64_t> toInts(const Tensor &t) {
  int64_t n = t.numel();
  std::vector<int64_t> v(n);
  for (int64_t i = 0; i < n; ++i)
    v[i] = t.storage == Storage::I64   ? t.i()[i]
           : t.storage == Storage::F32 ? int64_t(t.f()[i])
                                       : int64_t(t.b()[i]);
  return v;
}

LogicalResult normAxis(Operation *op, int64_t &axis, int64_t rank) {
  if (axis < -rank || axis >= std::max<int64_t>(rank, 1) ||
      (rank == 0 && axis != 0 && axis != -1))
    return op->emitError() << "axis " << axis << " is out of range for rank "
                           << rank;
  if (axis < 0)
    axis += rank;
  return success();
}

LogicalResult need(Operation *op, Inputs in, size_t n) {
  for (size_t i = 0; i < n; ++i)
    if (i >= in.size() || !in[i])
      return op->emitError() << "input " << i << " is required";
  return success();
}

Tensor aliasAs(const Tensor &t, Shape shape) {
  Tensor r = t;
  r.shape = std::move(shape);
  return r;
}

/// The buffer for an elementwise result of `shape`: operand k's if the
/// executor says it dies here, else a new one.
Tensor resultFor(OpContext &ctx, Inputs in, std::initializer_list<int> operands,
                 Storage storage, const Shape &shape) {
  for (int k : operands)
    if (k < int(ctx.reusable.size()) && ctx.reusable[k] && in[k] &&
        in[k]->storage == storage && in[k]->shape == shape)
      return *in[k];
  return Tensor::alloc(storage, shape);
}

size_t elemBytes(Storage s) {
  return s == Storage::F32 ? 4 : s == Storage::I64 ? 8 : 1;
}

//===----------------------------------------------------------------------===//
// Broadcasting
//===----------------------------------------------------------------------===//

/// A broadcast of several inputs to one output, collapsed into rows:
/// output element (row, j) reads input k at rowOffset(k, row) + j * inner[k].
struct Broadcast {
  Shape out;
  int64_t rows = 1, cols = 1;
  std::vector<int64_t> groupSize;              // outer groups
  std::vector<std::vector<int64_t>> strides;   // [input][group]
  std::vector<int64_t> inner;                  // per input: 0 or 1

  int64_t offset(size_t k, int64_t row) const {
    int64_t off = 0;
    for (size_t g = groupSize.size(); g-- > 0;) {
      int64_t c = row % groupSize[g];
      row /= groupSize[g];
      off += c * strides[k][g];
    }
    return off;
  }
};

bool broadcastShape(ArrayRef<Shape> shapes, Shape &out) {
  size_t rank = 0;
  for (const Shape &s : shapes)
    rank = std::max(rank, s.size());
  out.assign(rank, 1);
  for (size_t d = 0; d < rank; ++d) {
    int64_t v = 1;
    for (const Shape &s : shapes) {
      int64_t x = d < rank - s.size() ? 1 : s[d - (rank - s.size())];
      if (x == 1)
        continue;
      if (v != 1 && v != x)
        return false;
      v = x;
    }
    out[d] = v;
  }
  return true;
}

/// Plans the broadcast of `shapes` to `out` (which must be compatible).
Broadcast planBroadcast(ArrayRef<Shape> shapes, const Shape &out) {
  Broadcast b;
  b.out = out;
  size_t rank = out.size(), n = shapes.size();
  // Per dimension (with size != 1): which inputs are broadcast.
  std::vector<std::vector<bool>> groupFlags;
  std::vector<int64_t> sizes;
  for (size_t d = 0; d < rank; ++d) {
    if (out[d] == 1)
      continue;
    std::vector<bool> flags(n);
    for (size_t k = 0; k < n; ++k) {
      const Shape &s = shapes[k];
      int64_t x = d < rank - s.size() ? 1 : s[d - (rank - s.size())];
      flags[k] = x == out[d];
    }
    if (!groupFlags.empty() && groupFlags.back() == flags)
      sizes.back() *= out[d];
    else {
      groupFlags.push_back(flags);
      sizes.push_back(out[d]);
    }
  }
  b.strides.assign(n, {});
  b.inner.assign(n, 0);
  if (sizes.empty()) {
    b.rows = product(out);
    b.cols = 1;
    for (size_t k = 0; k < n; ++k)
      b.inner[k] = 0;
    return b;
  }
  b.cols = sizes.back();
  for (size_t k = 0; k < n; ++k)
    b.inner[k] = groupFlags.back()[k] ? 1 : 0;
  size_t groups = sizes.size() - 1;
  b.groupSize.assign(sizes.begin(), sizes.begin() + groups);
  for (size_t k = 0; k < n; ++k) {
    b.strides[k].assign(groups, 0);
    int64_t stride = groupFlags.back()[k] ? sizes.back() : 1;
    for (size_t g = groups; g-- > 0;) {
      if (groupFlags[g][k]) {
        b.strides[k][g] = stride;
        stride *= sizes[g];
      }
    }
  }
  // Cut very long rows (a fully contiguous operand collapses into one row)
  // into chunks, so that the rows can be shared among threads.
  if (b.cols > 16384) {
    for (int64_t c = 16384; c >= 1024; --c) {
      if (b.cols % c)
        continue;
      b.groupSize.push_back(b.cols / c);
      for (size_t k = 0; k < n; ++k)
        b.strides[k].push_back(b.inner[k] ? c : 0);
      b.cols = c;
      break;
    }
  }
  b.rows = product(b.out) / std::max<int64_t>(b.cols, 1);
  if (product(b.out) == 0)
    b.rows = 0;
  return b;
}

template <typename A, typename B, typename C, typename F>
void binaryLoop(ThreadPool &pool, const Broadcast &bc, const A *a, const B *b,
                C *c, F f) {
  int64_t cols = bc.cols;
  int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(cols, 1));
  parallelRange(pool, bc.rows, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const A *pa = a + bc.offset(0, r);
      const B *pb = b + bc.offset(1, r);
      C *pc = c + r * cols;
      if (bc.inner[0] && bc.inner[1])
        for (int64_t j = 0; j < cols; ++j)
          pc[j] = f(pa[j], pb[j]);
      else if (bc.inner[0])
        for (int64_t j = 0; j < cols; ++j)
          pc[j] = f(pa[j], *pb);
      else if (bc.inner[1])
        for (int64_t j = 0; j < cols; ++j)
          pc[j] = f(*pa, pb[j]);
      else
        for (int64_t j = 0; j < cols; ++j)
          pc[j] = f(*pa, *pb);
    }
  });
}

/// Broadcasts one tensor to `out` (Expand), any storage.
template <typename T>
void expandLoop(ThreadPool &pool, const Broadcast &bc, const T *a, T *c) {
  int64_t cols = bc.cols;
  int64_t grain = std::max<int64_t>(1, 32768 / std::max<int64_t>(cols, 1));
  parallelRange(pool, bc.rows, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T *pa = a + bc.offset(0, r);
      T *pc = c + r * cols;
      if (bc.inner[0])
        std::memcpy(pc, pa, cols * sizeof(T));
      else
        std::fill(pc, pc + cols, *pa);
    }
  });
}

LogicalResult broadcastOf(Operation *op, ArrayRef<Shape> shapes, Shape &out) {
  if (broadcastShape(shapes, out))
    return success();
  auto diag = op->emitError() << "shapes do not broadcast:";
  for (const Shape &s : shapes)
    diag << " " << shapeStr(s);
  return failure();
}

//===----------------------------------------------------------------------===//
// Elementwise binary
//===----------------------------------------------------------------------===//

enum class Bin { Add, Sub, Mul, Div, Pow, Max, Min, Mod, FMod };
enum class Cmp { Eq, Lt, Le, Gt, Ge };
enum class Logic { And, Or, Xor };

LogicalResult binaryArith(OpContext &ctx, Operation *op, const Tensor &a,
                          const Tensor &b, Bin kind, Tensor &result,
                          Inputs reuse = {}) {
  Shape out;
  if (failed(broadcastOf(op, {a.shape, b.shape}, out)))
    return failure();
  Broadcast bc = planBroadcast({a.shape, b.shape}, out);
  if (a.storage == Storage::F32) {
    result = reuse.empty() ? Tensor::f32(out)
                           : resultFor(ctx, reuse, {0, 1}, Storage::F32, out);
    const float *pa = a.f();
    float *pc = result.f();
    if (b.storage != Storage::F32) {
      if (kind != Bin::Pow || b.storage != Storage::I64)
        return op->emitError() << "mixed float and integer operands";
      const int64_t *pb = b.i();
      binaryLoop(ctx.pool, bc, pa, pb, pc, [](float x, int64_t y) {
        return y == 2 ? x * x : std::pow(x, float(y));
      });
      return success();
    }
    const float *pb = b.f();
    switch (kind) {
    case Bin::Add:
      binaryLoop(ctx.pool, bc, pa, pb, pc, [](float x, float y) { return x + y; });
      break;
    case Bin::Sub:
      binaryLoop(ctx.pool, bc, pa, pb, pc, [](float x, float y) { return x - y; });
      break;
    case Bin::Mul:
      binaryLoop(ctx.pool, bc, pa, pb, pc, [](float x, float y) { return x * y; });
      break;
    case Bin::Div:
      binaryLoop(ctx.pool, bc, pa, pb, pc, [](float x, float y) { return x / y; });
      break;
    case Bin::Pow:
      binaryLoop(ctx.pool, bc, pa, pb, pc, [](float x, float y) {
        return y == 2.0f ? x * x : std::pow(x, y);
      });
      break;
    case Bin::Max:
      binaryLoop(ctx.pool, bc, pa, pb, pc, [](float x, float y) {
        return std::isnan(x) || std::isnan(y) ? NAN : std::max(x, y);
      });
      break;
    case Bin::Min:
      binaryLoop(ctx.pool, bc, pa, pb, pc, [](float x, float y) {
        return std::isnan(x) || std::isnan(y) ? NAN : std::min(x, y);
      });
      break;
    case Bin::Mod:
    case Bin::FMod:
      binaryLoop(ctx.pool, bc, pa, pb, pc,
                 [](float x, float y) { return std::fmod(x, y); });
      break;
    }
    return success();
  }
  if (kind == Bin::Pow && a.storage == Storage::I64 &&
      b.storage == Storage::F32) {
    // Integer base, float exponent: the result has the base's type
    // (numpy's power(x, y).astype(x.dtype): truncated).
    result = Tensor::i64(out);
    const int64_t *pa = a.i();
    const float *pb = b.f();
    binaryLoop(ctx.pool, bc, pa, pb, result.i(), [](int64_t x, float y) {
      return int64_t(std::pow(double(x), double(y)));
    });
    return success();
  }
  if (a.storage != Storage::I64 || b.storage != Storage::I64)
    return op->emitError() << "arithmetic needs float or integer operands of "
                              "one kind";
  result = reuse.empty() ? Tensor::i64(out)
                         : resultFor(ctx, reuse, {0, 1}, Storage::I64, out);
  const int64_t *pa = a.i(), *pb = b.i();
  int64_t *pc = result.i();
  switch (kind) {
  case Bin::Add:
    binaryLoop(ctx.pool, bc, pa, pb, pc, [](int64_t x, int64_t y) {
      return int64_t(uint64_t(x) + uint64_t(y));
    });
    break;
  case Bin::Sub:
    binaryLoop(ctx.pool, bc, pa, pb, pc, [](int64_t x, int64_t y) {
      return int64_t(uint64_t(x) - uint64_t(y));
    });
    break;
  case Bin::Mul:
    binaryLoop(ctx.pool, bc, pa, pb, pc, [](int64_t x, int64_t y) {
      return int64_t(uint64_t(x) * uint64_t(y));
    });
    break;
  case Bin::Div:
    binaryLoop(ctx.pool, bc, pa, pb, pc, [](int64_t x, int64_t y) -> int64_t {
      if (y == 0)
        return 0;
      if (y == -1)
        return int64_t(0 - uint64_t(x));
      return x / y;
    });
    break;
  case Bin::Pow:
    binaryLoop(ctx.pool, bc, pa, pb, pc, [](int64_t x, int64_t y) {
      int64_t r = 1;
      for (int64_t i = 0; i < y; ++i)
        r = int64_t(uint64_t(r) * uint64_t(x));
      return r;
    });
    break;
  case Bin::Max:
    binaryLoop(ctx.pool, bc, pa, pb, pc,
               [](int64_t x, int64_t y) { return std::max(x, y); });
    break;
  case Bin::Min:
    binaryLoop(ctx.pool, bc, pa, pb, pc,
               [](int64_t x, int64_t y) { return std::min(x, y); });
    break;
  case Bin::Mod: // sign of the divisor (Python)
    binaryLoop(ctx.pool, bc, pa, pb, pc, [](int64_t x, int64_t y) -> int64_t {
      if (y == 0)
        return 0;
      int64_t r = y == -1 ? 0 : x % y;
      if (r != 0 && ((r < 0) != (y < 0)))
        r += y;
      return r;
    });
    break;
  case Bin::FMod:
    binaryLoop(ctx.pool, bc, pa, pb, pc, [](int64_t x, int64_t y) -> int64_t {
      return y == 0 || y == -1 ? 0 : x % y;
    });
    break;
  }
  return success();
}

template <Bin K>
LogicalResult binaryOp(OpContext &ctx, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 2)))
    return failure();
  Bin kind = K;
  if (K == Bin::Mod && attrInt(op, "fmod", 0))
    kind = Bin::FMod;
  out.emplace_back();
  return binaryArith(ctx, op, *in[0], *in[1], kind, out[0], in);
}

/// Max, Min, Sum, Mean: variadic with broadcasting.
template <Bin K>
LogicalResult variadicOp(OpContext &ctx, Operation *op, Inputs in,
                         Outputs &out) {
  if (in.empty() || !in[0])
    return op->emitError() << "needs at least one input";
  Tensor acc = *in[0];
  for (size_t i = 1; i < in.size(); ++i) {
    Tensor next;
    if (failed(binaryArith(ctx, op, acc, *in[i], K, next)))
      return failure();
    acc = std::move(next);
  }
  if (in.size() == 1) { // a copy, so the result owns its buffer
    Tensor copy = Tensor::alloc(acc.storage, acc.shape);
    std::memcpy(copy.data, acc.data, acc.numel() * elemBytes(acc.storage));
    acc = copy;
  }
  out.push_back(acc);
  return success();
}

LogicalResult meanOp(OpContext &ctx, Operation *op, Inputs in, Outputs &out) {
  if (failed(variadicOp<Bin::Add>(ctx, op, in, out)))
    return failure();
  if (out[0].storage != Storage::F32)
    return op->emitError() << "Mean needs float inputs";
  float n = float(in.size());
  for (int64_t i = 0, e = out[0].numel(); i < e; ++i)
    out[0].f()[i] /= n;
  return success();
}

template <Cmp K>
LogicalResult compareOp(OpContext &ctx, Operation *op, Inputs in,
                        Outputs &out) {
  if (failed(need(op, in, 2)))
    return failure();
  const Tensor &a = *in[0], &b = *in[1];
  Shape shape;
  if (failed(broadcastOf(op, {a.shape, b.shape}, shape)))
    return failure();
  if (a.storage != b.storage)
    return op->emitError() << "operands of different kinds";
  Broadcast bc = planBroadcast({a.shape, b.shape}, shape);
  Tensor r = Tensor::alloc(Storage::Bool, shape);
  auto run = [&](auto *pa, auto *pb) {
    binaryLoop(ctx.pool, bc, pa, pb, r.b(), [](auto x, auto y) -> uint8_t {
      switch (K) {
      case Cmp::Eq:
        return x == y;
      case Cmp::Lt:
        return x < y;
      case Cmp::Le:
        return x <= y;
      case Cmp::Gt:
        return x > y;
      case Cmp::Ge:
        return x >= y;
      }
      return 0;
    });
  };
  if (a.storage == Storage::F32)
    run(a.f(), b.f());
  else if (a.storage == Storage::I64)
    run(a.i(), b.i());
  else
    run(a.b(), b.b());
  out.push_back(r);
  return success();
}

template <Logic K>
LogicalResult logicOp(OpContext &ctx, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 2)))
    return failure();
  const Tensor &a = *in[0], &b = *in[1];
  if (a.storage != Storage::Bool || b.storage != Storage::Bool)
    return op->emitError() << "needs bool operands";
  Shape shape;
  if (failed(broadcastOf(op, {a.shape, b.shape}, shape)))
    return failure();
  Broadcast bc = planBroadcast({a.shape, b.shape}, shape);
  Tensor r = Tensor::alloc(Storage::Bool, shape);
  binaryLoop(ctx.pool, bc, a.b(), b.b(), r.b(),
             [](uint8_t x, uint8_t y) -> uint8_t {
               return K == Logic::And  ? (x && y)
                      : K == Logic::Or ? (x || y)
                                       : (bool(x) != bool(y));
             });
  out.push_back(r);
  return success();
}

LogicalResult whereOp(OpContext &ctx, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 3)))
    return failure();
  const Tensor &c = *in[0], &x = *in[1], &y = *in[2];
  if (c.storage != Storage::Bool)
    return op->emitError() << "condition must be bool";
  if (x.storage != y.storage)
    return op->emitError() << "X and Y have different kinds";
  Shape shape;
  if (failed(broadcastOf(op, {c.shape, x.shape, y.shape}, shape)))
    return failure();
  Broadcast bc = planBroadcast({c.shape, x.shape, y.shape}, shape);
  Tensor r = resultFor(ctx, in, {1, 2}, x.storage, shape);
  auto run = [&](auto *px, auto *py, auto *pr) {
    int64_t cols = bc.cols;
    // Inner loops with the broadcast pattern fixed at compile time.
    auto rowLoop = [&](auto sc, auto sx, auto sy, const uint8_t *a,
                       decltype(px) b1, decltype(py) b2, decltype(pr) o) {
      for (int64_t j = 0; j < cols; ++j)
        o[j] = a[j * sc] ? b1[j * sx] : b2[j * sy];
    };
    using I0 = std::integral_constant<int64_t, 0>;
    using I1 = std::integral_constant<int64_t, 1>;
    int pattern = bc.inner[0] * 4 + bc.inner[1] * 2 + bc.inner[2];
    parallelRange(ctx.pool, bc.rows,
                  std::max<int64_t>(1, 32768 / std::max<int64_t>(cols, 1)),
                  [&](int64_t r0, int64_t r1) {
                    for (int64_t row = r0; row < r1; ++row) {
                      const uint8_t *a = c.b() + bc.offset(0, row);
                      auto *b1 = px + bc.offset(1, row);
                      auto *b2 = py + bc.offset(2, row);
                      auto *o = pr + row * cols;
                      switch (pattern) {
                      case 7: rowLoop(I1(), I1(), I1(), a, b1, b2, o); break;
                      case 6: rowLoop(I1(), I1(), I0(), a, b1, b2, o); break;
                      case 5: rowLoop(I1(), I0(), I1(), a, b1, b2, o); break;
                      case 4: rowLoop(I1(), I0(), I0(), a, b1, b2, o); break;
                      case 3: rowLoop(I0(), I1(), I1(), a, b1, b2, o); break;
                      case 2: rowLoop(I0(), I1(), I0(), a, b1, b2, o); break;
                      case 1: rowLoop(I0(), I0(), I1(), a, b1, b2, o); break;
                      default: rowLoop(I0(), I0(), I0(), a, b1, b2, o); break;
                      }
                    }
                  });
  };
  if (x.storage == Storage::F32)
    run(x.f(), y.f(), r.f());
  else if (x.storage == Storage::I64)
    run(x.i(), y.i(), r.i());
  else
    run(x.b(), y.b(), r.b());
  out.push_back(r);
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise unary
//===----------------------------------------------------------------------===//

template <typename F>
LogicalResult floatUnary(OpContext &ctx, Operation *op, Inputs in, Outputs &out,
                         F f) {
  if (failed(need(op, in, 1)))
    return failure();
  const Tensor &x = *in[0];
  if (x.storage != Storage::F32)
    return op->emitError() << "needs a float input";
  Tensor r = resultFor(ctx, in, {0}, Storage::F32, x.shape);
  const float *px = x.f();
  float *pr = r.f();
  parallelRange(ctx.pool, x.numel(), 16384, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      pr[i] = f(px[i]);
  });
  out.push_back(r);
  return success();
}

#define FLOAT_UNARY(NAME, EXPR)                                                \
  LogicalResult NAME(OpContext &ctx, Operation *op, Inputs in, Outputs &out) { \
    return floatUnary(ctx, op, in, out, [&](float x) -> float { return EXPR; }); \
  }

FLOAT_UNARY(sqrtOp, std::sqrt(x))
FLOAT_UNARY(reciprocalOp, 1.0f / x)
LogicalResult sigmoidOp(OpContext &ctx, Operation *op, Inputs in,
                        Outputs &out) {
#ifdef SIEVE_HAVE_AVX2_KERNEL
  if (useVectorKernels() && in.size() == 1 && in[0] && in[0]->storage == Storage::F32) {
    Tensor r = resultFor(ctx, in, {0}, Storage::F32, in[0]->shape);
    const float *px = in[0]->f();
    float *pr = r.f();
    parallelRange(ctx.pool, r.numel(), 16384, [&](int64_t b, int64_t e) {
      sieve_sigmoid_avx2(px + b, pr + b, e - b);
    });
    out.push_back(r);
    return success();
  }
#endif
  return floatUnary(ctx, op, in, out,
                    [](float x) { return 1.0f / (1.0f + std::exp(-x)); });
}
FLOAT_UNARY(cosOp, std::cos(x))
FLOAT_UNARY(sinOp, std::sin(x))
FLOAT_UNARY(tanOp, std::tan(x))
FLOAT_UNARY(tanhOp, std::tanh(x))
FLOAT_UNARY(erfOp, std::erf(x))
FLOAT_UNARY(expOp, std::exp(x))
FLOAT_UNARY(logOp, std::log(x))
FLOAT_UNARY(reluOp, x < 0.0f ? 0.0f : x)
FLOAT_UNARY(floorOp, std::floor(x))
FLOAT_UNARY(ceilOp, std::ceil(x))
FLOAT_UNARY(roundOp, std::nearbyint(x))
FLOAT_UNARY(softplusOp, std::log1p(std::exp(x)))
FLOAT_UNARY(softsignOp, x / (1.0f + std::fabs(x)))
FLOAT_UNARY(atanOp, std::atan(x))
FLOAT_UNARY(leakyReluOp, x < 0.0f ? x * attrFloat(op, "alpha", 0.01f) : x)
FLOAT_UNARY(eluOp, x < 0.0f ? attrFloat(op, "alpha", 1.0f) * (std::exp(x) - 1.0f) : x)
FLOAT_UNARY(hardSigmoidOp,
            std::max(0.0f, std::min(1.0f, attrFloat(op, "alpha", 0.2f) * x +
                                              attrFloat(op, "beta", 0.5f))))

LogicalResult geluOp(OpContext &ctx, Operation *op, Inputs in, Outputs &out) {
  if (attrStr(op, "approximate", "none") == "tanh")
    return floatUnary(ctx, op, in, out, [](float x) {
      return 0.5f * x *
             (1.0f + std::tanh(0.7978845608028654f * (x + 0.044715f * x * x * x)));
    });
  return floatUnary(ctx, op, in, out, [](float x) {
    return 0.5f * x * (1.0f + std::erf(x * 0.7071067811865476f));
  });
}

template <typename FF, typename FI>
LogicalResult numericUnary(OpContext &ctx, Operation *op, Inputs in,
                           Outputs &out, FF ff, FI fi) {
  if (failed(need(op, in, 1)))
    return failure();
  const Tensor &x = *in[0];
  if (x.storage == Storage::F32)
    return floatUnary(ctx, op, in, out, ff);
  if (x.storage != Storage::I64)
    return op->emitError() << "needs a numeric input";
  Tensor r = Tensor::i64(x.shape);
  for (int64_t i = 0, e = x.numel(); i < e; ++i)
    r.i()[i] = fi(x.i()[i]);
  out.push_back(r);
  return success();
}

LogicalResult negOp(OpContext &ctx, Operation *op, Inputs in, Outputs &out) {
  return numericUnary(
      ctx, op, in, out, [](float x) { return -x; },
      [](int64_t x) { return int64_t(0 - uint64_t(x)); });
}
LogicalResult absOp(OpContext &ctx, Operation *op, Inputs in, Outputs &out) {
  return numericUnary(
      ctx, op, in, out, [](float x) { return std::fabs(x); },
      [](int64_t x) { return x < 0 ? int64_t(0 - uint64_t(x)) : x; });
}
LogicalResult signOp(OpContext &ctx, Operation *op, Inputs in, Outputs &out) {
  return numericUnary(
      ctx, op, in, out,
      [](float x) { return x > 0 ? 1.0f : x < 0 ? -1.0f : x == 0 ? 0.0f : x; },
      [](int64_t x) { return int64_t(x > 0) - int64_t(x < 0); });
}

LogicalResult identityOp(OpContext &, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 1)))
    return failure();
  out.push_back(*in[0]);
  return success();
}

LogicalResult notOp(OpContext &, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 1)))
    return failure();
  if (in[0]->storage != Storage::Bool)
    return op->emitError() << "needs a bool input";
  Tensor r = Tensor::alloc(Storage::Bool, in[0]->shape);
  for (int64_t i = 0, e = r.numel(); i < e; ++i)
    r.b()[i] = !in[0]->b()[i];
  out.push_back(r);
  return success();
}

template <bool Inf>
LogicalResult isNanInfOp(OpContext &ctx, Operation *op, Inputs in,
                         Outputs &out) {
  if (failed(need(op, in, 1)))
    return failure();
  const Tensor &x = *in[0];
  Tensor r = Tensor::alloc(Storage::Bool, x.shape);
  int64_t n = x.numel();
  if (x.storage != Storage::F32) {
    std::memset(r.b(), 0, n);
  } else {
    bool neg = attrInt(op, "detect_negative", 1),
         pos = attrInt(op, "detect_positive", 1);
    const float *px = x.f();
    uint8_t *pr = r.b();
    parallelRange(ctx.pool, n, 32768, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        float v = px[i];
        pr[i] = Inf ? (std::isinf(v) && ((v > 0 && pos) || (v < 0 && neg)))
                    : std::isnan(v);
      }
    });
  }
  out.push_back(r);
  return success();
}

//===----------------------------------------------------------------------===//
// Cast
//===----------------------------------------------------------------------===//

LogicalResult castOp(OpContext &ctx, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 1)))
    return failure();
  const Tensor &x = *in[0];
  Type to = resultElementType(op);
  auto toAttr = op->getAttrOfType<TypeAttr>("to");
  if (toAttr)
    to = toAttr.getValue();
  if (!to || !to.isIntOrFloat())
    return op->emitError() << "cannot cast to " << to;
  Type from = cast<ShapedType>(op->getOperand(0).getType()).getElementType();
  Storage target = storageFor(to);
  int64_t n = x.numel();
  if (target == Storage::F32) {
    bool needRound = to.isF16() || to.isBF16();
    if (x.storage == Storage::F32 && (!needRound || from == to)) {
      out.push_back(x); // float32 holds every source float exactly
      return success();
    }
    Tensor r = Tensor::f32(x.shape);
    float *pr = r.f();
    if (x.storage == Storage::F32) {
      const float *px = x.f();
      float (*round)(float) = to.isF16() ? roundToF16 : roundToBF16;
      parallelRange(ctx.pool, n, 16384, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i)
          pr[i] = round(px[i]);
      });
    } else if (x.storage == Storage::I64) {
      bool isUnsigned = from.isUnsignedInteger();
      for (int64_t i = 0; i < n; ++i)
        pr[i] = isUnsigned ? float(uint64_t(x.i()[i])) : float(x.i()[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        pr[i] = x.b()[i] ? 1.0f : 0.0f;
    }
    // Rounding to f16/bf16 happens when the executor stores the result.
    out.push_back(r);
    return success();
  }
  if (target == Storage::Bool) {
    Tensor r = Tensor::alloc(Storage::Bool, x.shape);
    for (int64_t i = 0; i < n; ++i)
      r.b()[i] = x.storage == Storage::F32   ? x.f()[i] != 0.0f
                 : x.storage == Storage::I64 ? x.i()[i] != 0
                                             : x.b()[i] != 0;
    out.push_back(r);
    return success();
  }
  if (x.storage == Storage::I64 && to.getIntOrFloatBitWidth() == 64) {
    out.push_back(x);
    return success();
  }
  Tensor r = Tensor::i64(x.shape);
  for (int64_t i = 0; i < n; ++i) {
    if (x.storage == Storage::F32) {
      float v = x.f()[i];
      // Truncation toward zero; NaN and out-of-range give INT64_MIN, as x86.
      r.i()[i] = std::isnan(v) || v >= 9.2233720368547758e18f ||
                         v < -9.2233720368547758e18f
                     ? INT64_MIN
                     : int64_t(v);
    } else if (x.storage == Storage::I64) {
      r.i()[i] = x.i()[i];
    } else {
      r.i()[i] = x.b()[i];
    }
  }
  out.push_back(r); // narrowing wraps when the executor stores the result
  return success();
}

//===----------------------------------------------------------------------===//
// MatMul, Gemm
//===----------------------------------------------------------------------===//

LogicalResult matmulOp(OpContext &ctx, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 2)))
    return failure();
  const Tensor &A = *in[0], &B = *in[1];
  if (A.storage != Storage::F32 || B.storage != Storage::F32)
    return op->emitError() << "the CPU reference supports float MatMul only";
  if (A.shape.empty() || B.shape.empty())
    return op->emitError() << "MatMul operands must have rank >= 1";
  Shape as = A.shape, bs = B.shape;
  bool aVec = as.size() == 1, bVec = bs.size() == 1;
  if (aVec)
    as.insert(as.begin(), 1);
  if (bVec)
    bs.push_back(1);
  int64_t M = as[as.size() - 2], K = as.back(), N = bs.back();
  if (bs[bs.size() - 2] != K)
    return op->emitError() << "MatMul contraction sizes differ: "
                           << shapeStr(A.shape) << " x " << shapeStr(B.shape);
  Shape aBatch(as.begin(), as.end() - 2), bBatch(bs.begin(), bs.end() - 2);
  Shape batch;
  if (failed(broadcastOf(op, {aBatch, bBatch}, batch)))
    return failure();
  Shape outShape = batch;
  if (!aVec)
    outShape.push_back(M);
  if (!bVec)
    outShape.push_back(N);
  Tensor r = Tensor::f32(outShape);
  int64_t nb = product(batch);
  if (product(bBatch) == 1 && aBatch == batch) {
    // B shared by every batch: fold the batch into M.
    int64_t off = 0;
    sgemmBatched(ctx.pool, 1, nb * M, N, K, A.f(), &off, K, 1, B.f(), &off, N,
                 1, r.f(), &off, N);
    out.push_back(r);
    return success();
  }
  std::vector<int64_t> aOff(nb), bOff(nb), cOff(nb);
  if (nb > 0) {
    Broadcast bc = planBroadcast({aBatch, bBatch}, batch);
    // Enumerate batch elements through the broadcast plan (cols inner).
    for (int64_t row = 0, p = 0; row < bc.rows; ++row)
      for (int64_t j = 0; j < bc.cols; ++j, ++p) {
        aOff[p] = (bc.offset(0, row) + j * bc.inner[0]) * M * K;
        bOff[p] = (bc.offset(1, row) + j * bc.inner[1]) * K * N;
        cOff[p] = p * M * N;
      }
  }
  sgemmBatched(ctx.pool, nb, M, N, K, A.f(), aOff.data(), K, 1, B.f(),
               bOff.data(), N, 1, r.f(), cOff.data(), N);
  out.push_back(r);
  return success();
}

LogicalResult gemmOp(OpContext &ctx, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 2)))
    return failure();
  const Tensor &A = *in[0], &B = *in[1];
  const Tensor *C = in.size() > 2 ? in[2] : nullptr;
  if (A.storage != Storage::F32 || B.storage != Storage::F32 ||
      (C && C->storage != Storage::F32))
    return op->emitError() << "the CPU reference supports float Gemm only";
  if (A.shape.size() != 2 || B.shape.size() != 2)
    return op->emitError() << "Gemm needs 2-D A and B";
  bool tA = attrInt(op, "transA", 0), tB = attrInt(op, "transB", 0);
  float alpha = attrFloat(op, "alpha", 1.0f), beta = attrFloat(op, "beta", 1.0f);
  int64_t M = tA ? A.shape[1] : A.shape[0], K = tA ? A.shape[0] : A.shape[1];
  int64_t K2 = tB ? B.shape[1] : B.shape[0], N = tB ? B.shape[0] : B.shape[1];
  if (K != K2)
    return op->emitError() << "Gemm contraction sizes differ";
  Tensor r = Tensor::f32({M, N});
  int64_t off = 0;
  sgemmBatched(ctx.pool, 1, M, N, K, A.f(), &off, tA ? 1 : K, tA ? M : 1,
               B.f(), &off, tB ? 1 : N, tB ? K : 1, r.f(), &off, N);
  float *pr = r.f();
  if (alpha != 1.0f)
    for (int64_t i = 0; i < M * N; ++i)
      pr[i] *= alpha;
  if (C && beta != 0.0f) {
    Shape shape;
    if (!broadcastShape({C->shape, Shape{M, N}}, shape) || shape != Shape{M, N})
      return op->emitError() << "Gemm C " << shapeStr(C->shape)
                             << " does not broadcast to " << shapeStr({M, N});
    Broadcast bc = planBroadcast({Shape{M, N}, C->shape}, shape);
    binaryLoop(ctx.pool, bc, pr, C->f(), pr,
               [beta](float y, float c) { return y + beta * c; });
  }
  out.push_back(r);
  return success();
}

//===----------------------------------------------------------------------===//
// Normalization, softmax, reductions
//===----------------------------------------------------------------------===//

template <bool Log>
LogicalResult softmaxOp(OpContext &ctx, Operation *op, Inputs in,
                        Outputs &out) {
  if (failed(need(op, in, 1)))
    return failure();
  const Tensor &x = *in[0];
  if (x.storage != Storage::F32)
    return op->emitError() << "needs a float input";
  int64_t rank = x.shape.size(), axis = attrInt(op, "axis", -1);
  if (failed(normAxis(op, axis, rank)))
    return failure();
  int64_t len = rank ? x.shape[axis] : 1;
  int64_t inner = product(x.shape, axis + 1);
  int64_t outer = product(x.shape, 0, axis);
  Tensor r = resultFor(ctx, in, {0}, Storage::F32, x.shape);
  const float *px = x.f();
  float *pr = r.f();
  parallelRange(ctx.pool, outer * inner, std::max<int64_t>(1, 8192 / std::max<int64_t>(len, 1)),
                [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
#ifdef SIEVE_HAVE_AVX2_KERNEL
      if (!Log && inner == 1 && useVectorKernels()) {
        sieve_softmax_row_avx2(px + row * len, pr + row * len, len);
        continue;
      }
#endif
      int64_t o = row / inner, i = row % inner;
      const float *s = px + o * len * inner + i;
      float *d = pr + o * len * inner + i;
      float mx = -INFINITY;
      for (int64_t k = 0; k < len; ++k)
        mx = std::max(mx, s[k * inner]);
      float sum = 0.0f;
      for (int64_t k = 0; k < len; ++k) {
        float v = std::exp(s[k * inner] - mx);
        if (!Log)
          d[k * inner] = v;
        sum += v;
      }
      if (Log) {
        float ls = std::log(sum);
        for (int64_t k = 0; k < len; ++k)
          d[k * inner] = s[k * inner] - mx - ls;
      } else {
        float inv = 1.0f / sum;
        for (int64_t k = 0; k < len; ++k)
          d[k * inner] *= inv;
      }
    }
  });
  out.push_back(r);
  return success();
}

enum class Red { Sum, Mean, Max, Min, Prod, SumSquare, L1, L2, LogSumExp };

template <Red K>
LogicalResult reduceOp(OpContext &ctx, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 1)))
    return failure();
  const Tensor &x = *in[0];
  int64_t rank = x.shape.size();
  std::vector<int64_t> axes;
  bool haveAxes = false;
  if (in.size() > 1 && in[1]) {
    axes = toInts(*in[1]);
    haveAxes = true;
  } else if (auto a = attrInts(op, "axes")) {
    axes = *a;
    haveAxes = true;
  }
  bool keep = attrInt(op, "keepdims", 1);
  if (haveAxes && axes.empty() && attrInt(op, "noop_with_empty_axes", 0)) {
    out.push_back(x);
    return success();
  }
  std::vector<bool> reduce(rank, axes.empty());
  for (int64_t a : axes) {
    if (failed(normAxis(op, a, rank)))
      return failure();
    reduce[a] = true;
  }
  Shape outShape, keptShape;
  for (int64_t d = 0; d < rank; ++d) {
    keptShape.push_back(reduce[d] ? 1 : x.shape[d]);
    if (!reduce[d] || keep)
      outShape.push_back(reduce[d] ? 1 : x.shape[d]);
  }
  bool isInt = x.storage == Storage::I64;
  if (x.storage == Storage::Bool || (isInt && K != Red::Sum && K != Red::Max &&
                                     K != Red::Min && K != Red::Prod))
    return op->emitError() << "unsupported input kind for this reduction";
  Tensor r = Tensor::alloc(x.storage, outShape);
  int64_t n = x.numel(), on = r.numel();
  auto init = [](auto) {};
  (void)init;
  // Fast path: reduced axes are a trailing block.
  int64_t firstReduced = rank;
  while (firstReduced > 0 && reduce[firstReduced - 1])
    --firstReduced;
  bool trailing = true;
  for (int64_t d = 0; d < firstReduced; ++d)
    trailing &= !reduce[d];
  int64_t len = product(x.shape, firstReduced);
  auto finishF = [&](float acc, int64_t count) -> float {
    switch (K) {
    case Red::Mean:
      return acc / float(count);
    case Red::L2:
      return std::sqrt(acc);
    case Red::LogSumExp:
      return std::log(acc);
    default:
      return acc;
    }
  };
  auto stepF = [](float acc, float v) -> float {
    switch (K) {
    case Red::Max:
      return std::isnan(v) || std::isnan(acc) ? NAN : std::max(acc, v);
    case Red::Min:
      return std::isnan(v) || std::isnan(acc) ? NAN : std::min(acc, v);
    case Red::Prod:
      return acc * v;
    case Red::SumSquare:
    case Red::L2:
      return acc + v * v;
    case Red::L1:
      return acc + std::fabs(v);
    case Red::LogSumExp:
      return acc + std::exp(v);
    default:
      return acc + v;
    }
  };
  float initF = K == Red::Max   ? -INFINITY
                : K == Red::Min ? INFINITY
                : K == Red::Prod ? 1.0f
                                 : 0.0f;
  if (!isInt) {
    const float *px = x.f();
    float *pr = r.f();
    if (trailing) {
      parallelRange(ctx.pool, on, std::max<int64_t>(1, 16384 / std::max<int64_t>(len, 1)),
                    [&](int64_t b, int64_t e) {
        for (int64_t o = b; o < e; ++o) {
          float acc = initF;
          const float *s = px + o * len;
          for (int64_t k = 0; k < len; ++k)
            acc = stepF(acc, s[k]);
          pr[o] = finishF(acc, len);
        }
      });
    } else {
      std::vector<float> acc(on, initF);
      Broadcast bc = planBroadcast({keptShape}, x.shape);
      for (int64_t row = 0; row < bc.rows; ++row) {
        int64_t base = bc.offset(0, row);
        for (int64_t j = 0; j < bc.cols; ++j)
          acc[base + j * bc.inner[0]] =
              stepF(acc[base + j * bc.inner[0]], px[row * bc.cols + j]);
      }
      int64_t count = on ? n / on : 0;
      for (int64_t o = 0; o < on; ++o)
        pr[o] = finishF(acc[o], count);
    }
  } else {
    const int64_t *px = x.i();
    int64_t *pr = r.i();
    int64_t initI = K == Red::Max   ? INT64_MIN
                    : K == Red::Min ? INT64_MAX
                    : K == Red::Prod ? 1
                                     : 0;
    std::fill(pr, pr + on, initI);
    Broadcast bc = planBroadcast({keptShape}, x.shape);
    for (int64_t row = 0; row < bc.rows; ++row) {
      int64_t base = bc.offset(0, row);
      for (int64_t j = 0; j < bc.cols; ++j) {
        int64_t &a = pr[base + j * bc.inner[0]];
        int64_t v = px[row * bc.cols + j];
        a = K == Red::Max   ? std::max(a, v)
            : K == Red::Min ? std::min(a, v)
            : K == Red::Prod ? int64_t(uint64_t(a) * uint64_t(v))
                             : int64_t(uint64_t(a) + uint64_t(v));
      }
    }
  }
  out.push_back(r);
  return success();
}

LogicalResult layerNormOp(OpContext &ctx, Operation *op, Inputs in,
                          Outputs &out, bool rms) {
  if (failed(need(op, in, 2)))
    return failure();
  const Tensor &x = *in[0], &scale = *in[1];
  const Tensor *bias = !rms && in.size() > 2 ? in[2] : nullptr;
  if (x.storage != Storage::F32 || scale.storage != Storage::F32 ||
      (bias && bias->storage != Storage::F32))
    return op->emitError() << "needs float inputs";
  int64_t rank = x.shape.size(), axis = attrInt(op, "axis", -1);
  if (failed(normAxis(op, axis, rank)))
    return failure();
  float eps = attrFloat(op, "epsilon", 1e-5f);
  int64_t len = product(x.shape, axis), rows = product(x.shape, 0, axis);
  int64_t sn = scale.numel(), bn = bias ? bias->numel() : 0;
  if ((sn != len && sn != 1) || (bias && bn != len && bn != 1))
    return op->emitError() << "scale/bias must have " << len
                           << " elements (or 1)";
  Tensor y = Tensor::f32(x.shape);
  Shape statShape(x.shape.begin(), x.shape.begin() + axis);
  statShape.resize(rank, 1);
  Tensor mean = Tensor::f32(statShape), inv = Tensor::f32(statShape);
  const float *px = x.f(), *ps = scale.f(), *pb = bias ? bias->f() : nullptr;
  float *py = y.f();
  parallelRange(ctx.pool, rows, std::max<int64_t>(1, 8192 / std::max<int64_t>(len, 1)),
                [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const float *s = px + row * len;
      float mu = 0.0f;
      if (!rms) {
        for (int64_t k = 0; k < len; ++k)
          mu += s[k];
        mu /= float(len);
      }
      float var = 0.0f;
      for (int64_t k = 0; k < len; ++k)
        var += (s[k] - mu) * (s[k] - mu);
      var /= float(len);
      float is = 1.0f / std::sqrt(var + eps);
      mean.f()[row] = mu;
      inv.f()[row] = is;
      float *d = py + row * len;
      for (int64_t k = 0; k < len; ++k) {
        float v = (s[k] - mu) * is * ps[sn == 1 ? 0 : k];
        d[k] = pb ? v + pb[bn == 1 ? 0 : k] : v;
      }
    }
  });
  out.push_back(y);
  if (rms) {
    out.push_back(inv);
  } else {
    out.push_back(mean);
    out.push_back(inv);
  }
  return success();
}

LogicalResult layerNormalizationOp(OpContext &ctx, Operation *op, Inputs in,
                                   Outputs &out) {
  return layerNormOp(ctx, op, in, out, false);
}
LogicalResult rmsNormOp(OpContext &ctx, Operation *op, Inputs in,
                        Outputs &out) {
  return layerNormOp(ctx, op, in, out, true);
}

LogicalResult cumSumOp(OpContext &, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 2)))
    return failure();
  const Tensor &x = *in[0];
  std::vector<int64_t> ax = toInts(*in[1]);
  if (ax.size() != 1)
    return op->emitError() << "axis must be a scalar";
  int64_t rank = x.shape.size(), axis = ax[0];
  if (failed(normAxis(op, axis, rank)))
    return failure();
  bool exclusive = attrInt(op, "exclusive", 0), reverse = attrInt(op, "reverse", 0);
  int64_t len = x.shape[axis], inner = product(x.shape, axis + 1),
          outer = product(x.shape, 0, axis);
  Tensor r = Tensor::alloc(x.storage, x.shape);
  auto run = [&](auto *px, auto *pr) {
    using T = std::remove_const_t<std::remove_pointer_t<decltype(px)>>;
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < inner; ++i) {
        T acc = 0;
        for (int64_t s = 0; s < len; ++s) {
          int64_t k = reverse ? len - 1 - s : s;
          int64_t idx = (o * len + k) * inner + i;
          if (exclusive) {
            pr[idx] = acc;
            acc += px[idx];
          } else {
            acc += px[idx];
            pr[idx] = acc;
          }
        }
      }
  };
  if (x.storage == Storage::F32)
    run(x.f(), r.f());
  else if (x.storage == Storage::I64)
    run(x.i(), r.i());
  else
    return op->emitError() << "needs a numeric input";
  out.push_back(r);
  return success();
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

/// Copies out[coords] = in[base + sum(coords[d] * strides[d])], any storage.
void stridedCopy(ThreadPool &pool, const Tensor &src, int64_t base,
                 const std::vector<int64_t> &strides, Tensor &dst) {
  size_t rank = dst.shape.size();
  int64_t n = dst.numel();
  if (n == 0)
    return;
  int64_t cols = rank ? dst.shape.back() : 1;
  int64_t innerStride = rank ? strides.back() : 0;
  int64_t rows = n / cols;
  size_t eb = elemBytes(src.storage);
  auto rowOffset = [&](int64_t row) {
    int64_t off = base;
    for (size_t d = rank - 1; d-- > 0;) {
      off += (row % dst.shape[d]) * strides[d];
      row /= dst.shape[d];
    }
    return off;
  };
  auto run = [&](auto *ps, auto *pd) {
    parallelRange(pool, rows, std::max<int64_t>(1, 32768 / cols),
                  [&](int64_t b, int64_t e) {
      for (int64_t row = b; row < e; ++row) {
        auto *s = ps + rowOffset(row);
        auto *d = pd + row * cols;
        if (innerStride == 1)
          std::memcpy(d, s, cols * eb);
        else
          for (int64_t j = 0; j < cols; ++j)
            d[j] = s[j * innerStride];
      }
    });
  };
  if (src.storage == Storage::F32)
    run(src.f(), dst.f());
  else if (src.storage == Storage::I64)
    run(src.i(), dst.i());
  else
    run(src.b(), dst.b());
}

std::vector<int64_t> contiguousStrides(ArrayRef<int64_t> shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;)
    s[d - 1] = s[d] * shape[d];
  return s;
}

LogicalResult reshapeOp(OpContext &, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 2)))
    return failure();
  const Tensor &x = *in[0];
  std::vector<int64_t> target = toInts(*in[1]);
  bool allowZero = attrInt(op, "allowzero", 0);
  Shape shape;
  int64_t inferAt = -1, known = 1;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t d = target[i];
    if (d == 0 && !allowZero) {
      if (i >= x.shape.size())
        return op->emitError() << "shape " << shapeStr(target)
                               << " copies dimension " << i << " of a rank-"
                               << x.shape.size() << " input";
      d = x.shape[i];
    } else if (d == -1) {
      if (inferAt >= 0)
        return op->emitError() << "shape " << shapeStr(target)
                               << " has more than one -1";
      inferAt = i;
      shape.push_back(1);
      continue;
    } else if (d < -1) {
      return op->emitError() << "invalid shape " << shapeStr(target);
    }
    shape.push_back(d);
    known *= d;
  }
  if (inferAt >= 0) {
    if (known == 0 || x.numel() % known)
      return op->emitError() << "cannot reshape " << shapeStr(x.shape)
                             << " to " << shapeStr(target);
    shape[inferAt] = x.numel() / known;
  }
  if (product(shape) != x.numel())
    return op->emitError() << "cannot reshape " << shapeStr(x.shape) << " to "
                           << shapeStr(target);
  out.push_back(aliasAs(x, shape));
  return success();
}

LogicalResult flattenOp(OpContext &, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 1)))
    return failure();
  const Tensor &x = *in[0];
  int64_t rank = x.shape.size(), axis = attrInt(op, "axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return op->emitError() << "axis out of range";
  out.push_back(
      aliasAs(x, {product(x.shape, 0, axis), product(x.shape, axis)}));
  return success();
}

std::optional<std::vector<int64_t>> axesOf(Operation *op, Inputs in,
                                           size_t index) {
  if (in.size() > index && in[index])
    return toInts(*in[index]);
  return attrInts(op, "axes");
}

LogicalResult unsqueezeOp(OpContext &, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 1)))
    return failure();
  const Tensor &x = *in[0];
  auto axes = axesOf(op, in, 1);
  if (!axes)
    return op->emitError() << "Unsqueeze needs axes";
  int64_t rank = x.shape.size() + axes->size();
  std::vector<bool> ins(rank, false);
  for (int64_t a : *axes) {
    if (failed(normAxis(op, a, rank)))
      return failure();
    if (ins[a])
      return op->emitError() << "repeated axis " << a;
    ins[a] = true;
  }
  Shape shape;
  size_t k = 0;
  for (int64_t d = 0; d < rank; ++d)
    shape.push_back(ins[d] ? 1 : x.shape[k++]);
  out.push_back(aliasAs(x, shape));
  return success();
}

LogicalResult squeezeOp(OpContext &, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 1)))
    return failure();
  const Tensor &x = *in[0];
  auto axes = axesOf(op, in, 1);
  int64_t rank = x.shape.size();
  std::vector<bool> drop(rank, false);
  if (axes) {
    for (int64_t a : *axes) {
      if (failed(normAxis(op, a, rank)))
        return failure();
      if (x.shape[a] != 1)
        return op->emitError() << "cannot squeeze axis " << a << " of size "
                               << x.shape[a];
      drop[a] = true;
    }
  } else {
    for (int64_t d = 0; d < rank; ++d)
      drop[d] = x.shape[d] == 1;
  }
  Shape shape;
  for (int64_t d = 0; d < rank; ++d)
    if (!drop[d])
      shape.push_back(x.shape[d]);
  out.push_back(aliasAs(x, shape));
  return success();
}

LogicalResult transposeOp(OpContext &ctx, Operation *op, Inputs in,
                          Outputs &out) {
  if (failed(need(op, in, 1)))
    return failure();
  const Tensor &x = *in[0];
  int64_t rank = x.shape.size();
  std::vector<int64_t> perm;
  if (auto p = attrInts(op, "perm"))
    perm = *p;
  else
    for (int64_t d = rank - 1; d >= 0; --d)
      perm.push_back(d);
  if (int64_t(perm.size()) != rank)
    return op->emitError() << "perm has " << perm.size()
                           << " entries for rank " << rank;
  std::vector<int64_t> inStrides = contiguousStrides(x.shape), strides;
  Shape shape;
  std::vector<bool> seen(rank, false);
  for (int64_t p : perm) {
    if (p < 0 || p >= rank || seen[p])
      return op->emitError() << "invalid perm";
    seen[p] = true;
    shape.push_back(x.shape[p]);
    strides.push_back(inStrides[p]);
  }
  Tensor r = Tensor::alloc(x.storage, shape);
  stridedCopy(ctx.pool, x, 0, strides, r);
  out.push_back(r);
  return success();
}

LogicalResult concatOp(OpContext &, Operation *op, Inputs in, Outputs &out) {
  if (in.empty())
    return op->emitError() << "needs at least one input";
  for (const Tensor *t : in)
    if (!t)
      return op->emitError() << "none input";
  const Tensor &first = *in[0];
  int64_t rank = first.shape.size(), axis = attrInt(op, "axis", 0);
  if (failed(normAxis(op, axis, rank)))
    return failure();
  Shape shape = first.shape;
  shape[axis] = 0;
  for (const Tensor *t : in) {
    bool ok = int64_t(t->shape.size()) == rank && t->storage == first.storage;
    for (int64_t d = 0; ok && d < rank; ++d)
      ok = d == axis || t->shape[d] == first.shape[d];
    if (!ok)
      return op->emitError() << "cannot concatenate " << shapeStr(t->shape)
                             << " with " << shapeStr(first.shape)
                             << " on axis " << axis;
    shape[axis] += t->shape[axis];
  }
  Tensor r = Tensor::alloc(first.storage, shape);
  size_t eb = elemBytes(first.storage);
  int64_t outer = product(shape, 0, axis), inner = product(shape, axis + 1);
  char *dst = static_cast<char *>(r.data);
  int64_t rowBytes = shape[axis] * inner * eb;
  int64_t col = 0;
  for (const Tensor *t : in) {
    int64_t chunk = t->shape[axis] * inner * eb;
    const char *src = static_cast<const char *>(t->data);
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(dst + o * rowBytes + col, src + o * chunk, chunk);
    col += chunk;
  }
  out.push_back(r);
  return success();
}

LogicalResult splitOp(OpContext &ctx, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 1)))
    return failure();
  const Tensor &x = *in[0];
  int64_t rank = x.shape.size(), axis = attrInt(op, "axis", 0);
  if (failed(normAxis(op, axis, rank)))
    return failure();
  int64_t n = op->getNumResults(), len = x.shape[axis];
  std::vector<int64_t> sizes;
  if (in.size() > 1 && in[1])
    sizes = toInts(*in[1]);
  else if (auto s = attrInts(op, "split"))
    sizes = *s;
  else {
    int64_t parts = attrInt(op, "num_outputs", n);
    int64_t each = (len + parts - 1) / std::max<int64_t>(parts, 1);
    for (int64_t i = 0; i < parts; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(each, len - i * each)));
  }
  if (int64_t(sizes.size()) != n ||
      std::accumulate(sizes.begin(), sizes.end(), int64_t(0)) != len)
    return op->emitError() << "split sizes " << shapeStr(sizes)
                           << " do not cover axis size " << len << " in " << n
                           << " outputs";
  std::vector<int64_t> strides = contiguousStrides(x.shape);
  int64_t start = 0;
  for (int64_t s : sizes) {
    Shape shape = x.shape;
    shape[axis] = s;
    Tensor r = Tensor::alloc(x.storage, shape);
    stridedCopy(ctx.pool, x, start * strides[axis], strides, r);
    out.push_back(r);
    start += s;
  }
  return success();
}

LogicalResult sliceOp(OpContext &ctx, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 3)))
    return failure();
  const Tensor &x = *in[0];
  std::vector<int64_t> starts = toInts(*in[1]), ends = toInts(*in[2]);
  int64_t rank = x.shape.size();
  std::vector<int64_t> axes, steps;
  if (in.size() > 3 && in[3])
    axes = toInts(*in[3]);
  else
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(i);
  if (in.size() > 4 && in[4])
    steps = toInts(*in[4]);
  else
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return op->emitError() << "starts, ends, axes and steps differ in length";
  std::vector<int64_t> inStrides = contiguousStrides(x.shape);
  Shape shape = x.shape;
  std::vector<int64_t> strides = inStrides;
  std::vector<bool> seen(rank, false);
  int64_t base = 0;
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t a = axes[i];
    if (failed(normAxis(op, a, rank)))
      return failure();
    if (seen[a])
      return op->emitError() << "repeated axis " << a;
    seen[a] = true;
    int64_t dim = x.shape[a], step = steps[i];
    if (step == 0)
      return op->emitError() << "step must not be 0";
    int64_t s = starts[i], e = ends[i];
    if (s < 0)
      s += dim;
    if (e < 0)
      e += dim;
    int64_t count;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      count = e > s ? (e - s + step - 1) / step : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      count = s > e ? (s - e + (-step) - 1) / (-step) : 0;
    }
    // Saturating inputs such as INT64_MAX clamp above; guard overflow.
    shape[a] = count;
    if (count > 0)
      base += s * inStrides[a];
    strides[a] = step * inStrides[a];
  }
  Tensor r = Tensor::alloc(x.storage, shape);
  stridedCopy(ctx.pool, x, base, strides, r);
  out.push_back(r);
  return success();
}

LogicalResult expandOp(OpContext &ctx, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 2)))
    return failure();
  const Tensor &x = *in[0];
  std::vector<int64_t> target = toInts(*in[1]);
  Shape shape;
  if (failed(broadcastOf(op, {x.shape, target}, shape)))
    return failure();
  Broadcast bc = planBroadcast({x.shape}, shape);
  Tensor r = Tensor::alloc(x.storage, shape);
  if (x.storage == Storage::F32)
    expandLoop(ctx.pool, bc, x.f(), r.f());
  else if (x.storage == Storage::I64)
    expandLoop(ctx.pool, bc, x.i(), r.i());
  else
    expandLoop(ctx.pool, bc, x.b(), r.b());
  out.push_back(r);
  return success();
}

LogicalResult shapeOp(OpContext &, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 1)))
    return failure();
  const Tensor &x = *in[0];
  int64_t rank = x.shape.size();
  int64_t start = attrInt(op, "start", 0), end = attrInt(op, "end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  int64_t n = std::max<int64_t>(0, end - start);
  Tensor r = Tensor::i64({n});
  for (int64_t i = 0; i < n; ++i)
    r.i()[i] = x.shape[start + i];
  out.push_back(r);
  return success();
}

LogicalResult sizeOp(OpContext &, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 1)))
    return failure();
  Tensor r = Tensor::i64({});
  r.i()[0] = in[0]->numel();
  out.push_back(r);
  return success();
}

LogicalResult gatherOp(OpContext &ctx, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 2)))
    return failure();
  const Tensor &x = *in[0];
  std::vector<int64_t> idx = toInts(*in[1]);
  int64_t rank = x.shape.size(), axis = attrInt(op, "axis", 0);
  if (rank == 0)
    return op->emitError() << "Gather needs data of rank >= 1";
  if (failed(normAxis(op, axis, rank)))
    return failure();
  int64_t dim = x.shape[axis];
  for (int64_t &i : idx) {
    if (i < -dim || i >= dim)
      return op->emitError() << "index " << i << " is out of range for axis "
                             << axis << " of size " << dim;
    if (i < 0)
      i += dim;
  }
  Shape shape(x.shape.begin(), x.shape.begin() + axis);
  shape.insert(shape.end(), in[1]->shape.begin(), in[1]->shape.end());
  shape.insert(shape.end(), x.shape.begin() + axis + 1, x.shape.end());
  Tensor r = Tensor::alloc(x.storage, shape);
  int64_t outer = product(x.shape, 0, axis), inner = product(x.shape, axis + 1);
  size_t eb = elemBytes(x.storage);
  int64_t ni = idx.size();
  const char *src = static_cast<const char *>(x.data);
  char *dst = static_cast<char *>(r.data);
  parallelRange(ctx.pool, outer * ni, std::max<int64_t>(1, 8192 / std::max<int64_t>(inner, 1)),
                [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      int64_t o = t / ni, j = t % ni;
      std::memcpy(dst + t * inner * eb,
                  src + (o * dim + idx[j]) * inner * eb, inner * eb);
    }
  });
  out.push_back(r);
  return success();
}

LogicalResult gatherNDOp(OpContext &, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 2)))
    return failure();
  const Tensor &x = *in[0], &indices = *in[1];
  std::vector<int64_t> idx = toInts(indices);
  int64_t r = x.shape.size(), q = indices.shape.size();
  int64_t b = attrInt(op, "batch_dims", 0);
  if (q < 1 || b < 0 || b >= std::min(r, q))
    return op->emitError() << "invalid batch_dims " << b << " for ranks " << r
                           << " and " << q;
  int64_t m = indices.shape.back();
  if (m < 1 || m > r - b)
    return op->emitError() << "index tuples of length " << m
                           << " do not fit data of rank " << r
                           << " with batch_dims " << b;
  for (int64_t d = 0; d < b; ++d)
    if (x.shape[d] != indices.shape[d])
      return op->emitError() << "batch dimension " << d << " differs";
  Shape shape(indices.shape.begin(), indices.shape.end() - 1);
  shape.insert(shape.end(), x.shape.begin() + b + m, x.shape.end());
  Tensor res = Tensor::alloc(x.storage, shape);
  int64_t batches = product(x.shape, 0, b);
  int64_t tuples = product(indices.shape, b, q - 1);
  int64_t slice = product(x.shape, b + m);
  int64_t batchStride = product(x.shape, b);
  std::vector<int64_t> strides = contiguousStrides(x.shape);
  size_t eb = elemBytes(x.storage);
  const char *src = static_cast<const char *>(x.data);
  char *dst = static_cast<char *>(res.data);
  for (int64_t bi = 0; bi < batches; ++bi)
    for (int64_t t = 0; t < tuples; ++t) {
      const int64_t *tuple = idx.data() + (bi * tuples + t) * m;
      int64_t off = bi * batchStride;
      for (int64_t k = 0; k < m; ++k) {
        int64_t dim = x.shape[b + k], i = tuple[k];
        if (i < -dim || i >= dim)
          return op->emitError() << "index " << i << " is out of range for "
                                 << "dimension " << b + k << " of size " << dim;
        off += (i < 0 ? i + dim : i) * strides[b + k];
      }
      std::memcpy(dst + (bi * tuples + t) * slice * eb, src + off * eb,
                  slice * eb);
    }
  out.push_back(res);
  return success();
}

LogicalResult rangeOp(OpContext &, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 3)))
    return failure();
  for (int i = 0; i < 3; ++i)
    if (in[i]->numel() != 1)
      return op->emitError() << "start, limit and delta must be scalars";
  if (in[0]->storage == Storage::F32) {
    float s = in[0]->f()[0], l = in[1]->f()[0], d = in[2]->f()[0];
    if (d == 0.0f)
      return op->emitError() << "delta must not be 0";
    int64_t n = std::max<int64_t>(0, int64_t(std::ceil((l - s) / d)));
    Tensor r = Tensor::f32({n});
    for (int64_t i = 0; i < n; ++i)
      r.f()[i] = s + float(i) * d;
    out.push_back(r);
    return success();
  }
  int64_t s = in[0]->i()[0], l = in[1]->i()[0], d = in[2]->i()[0];
  if (d == 0)
    return op->emitError() << "delta must not be 0";
  int64_t n = 0;
  if ((d > 0 && l > s) || (d < 0 && l < s))
    n = d > 0 ? (l - s + d - 1) / d : (s - l + (-d) - 1) / (-d);
  Tensor r = Tensor::i64({n});
  for (int64_t i = 0; i < n; ++i)
    r.i()[i] = s + i * d;
  out.push_back(r);
  return success();
}

LogicalResult constantOfShapeOp(OpContext &, Operation *op, Inputs in,
                                Outputs &out) {
  if (failed(need(op, in, 1)))
    return failure();
  std::vector<int64_t> shape = toInts(*in[0]);
  for (int64_t d : shape)
    if (d < 0)
      return op->emitError() << "negative dimension in " << shapeStr(shape);
  Storage s = resultStorage(op);
  Tensor r = Tensor::alloc(s, shape);
  int64_t n = r.numel();
  auto value = op->getAttrOfType<DenseElementsAttr>("value");
  if (value && value.getNumElements() != 1)
    return op->emitError() << "value must hold one element";
  if (s == Storage::F32) {
    float v = value ? float(value.getValues<APFloat>()[0].convertToDouble())
                    : 0.0f;
    std::fill(r.f(), r.f() + n, v);
  } else if (s == Storage::I64) {
    int64_t v = value ? value.getValues<APInt>()[0].getSExtValue() : 0;
    std::fill(r.i(), r.i() + n, v);
  } else {
    uint8_t v = value ? value.getValues<bool>()[0] : 0;
    std::fill(r.b(), r.b() + n, v);
  }
  out.push_back(r);
  return success();
}

LogicalResult triluOp(OpContext &, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 1)))
    return failure();
  const Tensor &x = *in[0];
  if (x.shape.size() < 2)
    return op->emitError() << "Trilu needs rank >= 2";
  int64_t k = 0;
  if (in.size() > 1 && in[1])
    k = toInts(*in[1]).at(0);
  bool upper = attrInt(op, "upper", 1);
  int64_t rows = x.shape[x.shape.size() - 2], cols = x.shape.back();
  int64_t batch = x.numel() / std::max<int64_t>(rows * cols, 1);
  Tensor r = Tensor::alloc(x.storage, x.shape);
  size_t eb = elemBytes(x.storage);
  std::memcpy(r.data, x.data, x.numel() * eb);
  char *p = static_cast<char *>(r.data);
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j) {
        bool keep = upper ? j - i >= k : j - i <= k;
        if (!keep)
          std::memset(p + ((b * rows + i) * cols + j) * eb, 0, eb);
      }
  out.push_back(r);
  return success();
}


//===----------------------------------------------------------------------===//
// More of the common set
//===----------------------------------------------------------------------===//

LogicalResult clipOp(OpContext &ctx, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 1)))
    return failure();
  const Tensor &x = *in[0];
  const Tensor *lo = in.size() > 1 ? in[1] : nullptr;
  const Tensor *hi = in.size() > 2 ? in[2] : nullptr;
  Tensor r = Tensor::alloc(x.storage, x.shape);
  int64_t n = x.numel();
  if (x.storage == Storage::F32) {
    float l = lo ? lo->f()[0] : attrFloat(op, "min", -INFINITY);
    float h = hi ? hi->f()[0] : attrFloat(op, "max", INFINITY);
    for (int64_t i = 0; i < n; ++i) {
      float v = x.f()[i];
      r.f()[i] = v < l ? l : v > h ? h : v;
    }
  } else if (x.storage == Storage::I64) {
    int64_t l = lo ? lo->i()[0] : INT64_MIN, h = hi ? hi->i()[0] : INT64_MAX;
    for (int64_t i = 0; i < n; ++i)
      r.i()[i] = std::clamp(x.i()[i], l, std::max(l, h));
  } else {
    return op->emitError() << "needs a numeric input";
  }
  out.push_back(r);
  return success();
}

LogicalResult dropoutOp(OpContext &, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 1)))
    return failure();
  // Training mode drops random elements: not reproducible here, so refuse
  // it rather than return the input (a ratio of 0 keeps everything).
  bool training = in.size() > 2 && in[2] && in[2]->numel() == 1 &&
                  toInts(*in[2])[0] != 0;
  float ratio = 0.5f;
  if (in.size() > 1 && in[1] && in[1]->numel() == 1)
    ratio = in[1]->storage == Storage::F32 ? in[1]->f()[0]
                                           : float(toInts(*in[1])[0]);
  if (training && ratio != 0.0f)
    return op->emitError() << "Dropout in training mode (random) is not "
                              "supported by the CPU reference";
  out.push_back(*in[0]); // inference: identity
  Tensor mask = Tensor::alloc(Storage::Bool, in[0]->shape);
  std::memset(mask.data, 1, mask.numel());
  out.push_back(mask);
  return success();
}

LogicalResult argMaxOp(OpContext &, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 1)))
    return failure();
  const Tensor &x = *in[0];
  int64_t rank = x.shape.size(), axis = attrInt(op, "axis", 0);
  if (failed(normAxis(op, axis, rank)))
    return failure();
  bool keep = attrInt(op, "keepdims", 1), last = attrInt(op, "select_last_index", 0);
  Shape shape;
  for (int64_t d = 0; d < rank; ++d)
    if (d != axis || keep)
      shape.push_back(d == axis ? 1 : x.shape[d]);
  Tensor r = Tensor::i64(shape);
  int64_t len = x.shape[axis], inner = product(x.shape, axis + 1),
          outer = product(x.shape, 0, axis);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      int64_t best = 0;
      auto val = [&](int64_t k) {
        int64_t idx = (o * len + k) * inner + i;
        return x.storage == Storage::F32   ? double(x.f()[idx])
               : x.storage == Storage::I64 ? double(x.i()[idx])
                                           : double(x.b()[idx]);
      };
      for (int64_t k = 1; k < len; ++k)
        if (val(k) > val(best) || (last && val(k) == val(best)))
          best = k;
      r.i()[o * inner + i] = best;
    }
  out.push_back(r);
  return success();
}

LogicalResult topKOp(OpContext &, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 2)))
    return failure();
  const Tensor &x = *in[0];
  if (x.storage != Storage::F32 && x.storage != Storage::I64)
    return op->emitError() << "needs a numeric input";
  int64_t rank = x.shape.size(), axis = attrInt(op, "axis", -1);
  if (failed(normAxis(op, axis, rank)))
    return failure();
  int64_t k = toInts(*in[1]).at(0), len = x.shape[axis];
  if (k < 0 || k > len)
    return op->emitError() << "k = " << k << " is out of range for axis size "
                           << len;
  bool largest = attrInt(op, "largest", 1);
  Shape shape = x.shape;
  shape[axis] = k;
  Tensor values = Tensor::alloc(x.storage, shape), indices = Tensor::i64(shape);
  int64_t inner = product(x.shape, axis + 1), outer = product(x.shape, 0, axis);
  std::vector<int64_t> order(len);
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      auto val = [&](int64_t j) {
        int64_t idx = (o * len + j) * inner + i;
        return x.storage == Storage::F32 ? double(x.f()[idx])
                                         : double(x.i()[idx]);
      };
      std::iota(order.begin(), order.end(), 0);
      // Ties keep the lower index first (onnxruntime's order).
      std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
        return largest ? val(a) > val(b) : val(a) < val(b);
      });
      for (int64_t j = 0; j < k; ++j) {
        int64_t dst = (o * k + j) * inner + i,
                src = (o * len + order[j]) * inner + i;
        if (x.storage == Storage::F32)
          values.f()[dst] = x.f()[src];
        else
          values.i()[dst] = x.i()[src];
        indices.i()[dst] = order[j];
      }
    }
  out.push_back(values);
  out.push_back(indices);
  return success();
}

LogicalResult tileOp(OpContext &ctx, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 2)))
    return failure();
  const Tensor &x = *in[0];
  std::vector<int64_t> reps = toInts(*in[1]);
  if (reps.size() != x.shape.size())
    return op->emitError() << "repeats has " << reps.size()
                           << " entries for rank " << x.shape.size();
  Shape shape;
  for (size_t d = 0; d < reps.size(); ++d) {
    if (reps[d] < 0)
      return op->emitError() << "negative repeat";
    shape.push_back(x.shape[d] * reps[d]);
  }
  Tensor r = Tensor::alloc(x.storage, shape);
  std::vector<int64_t> strides = contiguousStrides(x.shape);
  size_t eb = elemBytes(x.storage);
  int64_t n = r.numel(), rank = shape.size();
  const char *src = static_cast<const char *>(x.data);
  char *dst = static_cast<char *>(r.data);
  for (int64_t e = 0; e < n; ++e) {
    int64_t rem = e, off = 0;
    for (int64_t d = rank - 1; d >= 0; --d) {
      off += (rem % shape[d]) % x.shape[d] * strides[d];
      rem /= shape[d];
    }
    std::memcpy(dst + e * eb, src + off * eb, eb);
  }
  (void)ctx;
  out.push_back(r);
  return success();
}

LogicalResult gatherElementsOp(OpContext &, Operation *op, Inputs in,
                               Outputs &out) {
  if (failed(need(op, in, 2)))
    return failure();
  const Tensor &x = *in[0], &indices = *in[1];
  std::vector<int64_t> idx = toInts(indices);
  int64_t rank = x.shape.size(), axis = attrInt(op, "axis", 0);
  if (failed(normAxis(op, axis, rank)))
    return failure();
  if (int64_t(indices.shape.size()) != rank)
    return op->emitError() << "indices must have the data's rank";
  Tensor r = Tensor::alloc(x.storage, indices.shape);
  std::vector<int64_t> strides = contiguousStrides(x.shape);
  size_t eb = elemBytes(x.storage);
  int64_t dim = x.shape[axis];
  for (int64_t e = 0, n = r.numel(); e < n; ++e) {
    int64_t rem = e, off = 0;
    for (int64_t d = rank - 1; d >= 0; --d) {
      int64_t c = rem % indices.shape[d];
      rem /= indices.shape[d];
      if (d == axis) {
        c = idx[e];
        if (c < -dim || c >= dim)
          return op->emitError() << "index " << c << " out of range";
        if (c < 0)
          c += dim;
      }
      off += c * strides[d];
    }
    std::memcpy(static_cast<char *>(r.data) + e * eb,
                static_cast<const char *>(x.data) + off * eb, eb);
  }
  out.push_back(r);
  return success();
}

LogicalResult scatterNDOp(OpContext &, Operation *op, Inputs in, Outputs &out) {
  if (failed(need(op, in, 3)))
    return failure();
  const Tensor &x = *in[0], &indices = *in[1], &updates = *in[2];
  if (updates.storage != x.storage)
    return op->emitError() << "updates and data differ in kind";
  std::vector<int64_t> idx = toInts(indices);
  int64_t m = indices.shape.empty() ? 0 : indices.shape.back();
  if (m < 1 || m > int64_t(x.shape.size()))
    return op->emitError() << "bad index tuple length " << m;
  StringRef red = attrStr(op, "reduction", "none");
  Tensor r = Tensor::alloc(x.storage, x.shape);
  size_t eb = elemBytes(x.storage);
  std::memcpy(r.data, x.data, x.numel() * eb);
  std::vector<int64_t> strides = contiguousStrides(x.shape);
  int64_t slice = product(x.shape, m), tuples = indices.numel() / m;
  if (updates.numel() != tuples * slice)
    return op->emitError() << "updates have the wrong size";
  for (int64_t t = 0; t < tuples; ++t) {
    int64_t off = 0;
    for (int64_t k = 0; k < m; ++k) {
      int64_t dim = x.shape[k], i = idx[t * m + k];
      if (i < -dim || i >= dim)
        return op->emitError() << "index " << i << " out of range";
      off += (i < 0 ? i + dim : i) * strides[k];
    }
    for (int64_t j = 0; j < slice; ++j) {
      auto apply = [&](auto *d, auto *u) {
        auto &a = d[off + j];
        auto v = u[t * slice + j];
        if (red == "add")
          a = a + v;
        else if (red == "mul")
          a = a * v;
        else if (red == "max")
          a = std::max(a, v);
        else if (red == "min")
          a = std::min(a, v);
        else
          a = v;
      };
      if (x.storage == Storage::F32)
        apply(r.f(), updates.f());
      else if (x.storage == Storage::I64)
        apply(r.i(), updates.i());
      else
        apply(r.b(), updates.b());
    }
  }
  out.push_back(r);
  return success();
}

LogicalResult quickGeluOp(OpContext &ctx, Operation *op, Inputs in,
                          Outputs &out) {
  float alpha = attrFloat(op, "alpha", 1.702f);
  return floatUnary(ctx, op, in.take_front(1), out, [alpha](float x) {
    return x * (1.0f / (1.0f + std::exp(-alpha * x)));
  });
}

LogicalResult fastGeluOp(OpContext &ctx, Operation *op, Inputs in,
                         Outputs &out) {
  if (failed(need(op, in, 1)))
    return failure();
  Tensor x = *in[0];
  if (in.size() > 1 && in[1]) {
    Tensor biased;
    if (failed(binaryArith(ctx, op, x, *in[1], Bin::Add, biased)))
      return failure();
    x = biased;
  }
  const Tensor *xs[] = {&x};
  return floatUnary(ctx, op, xs, out, [](float v) {
    return 0.5f * v *
           (1.0f + std::tanh(0.7978845608028654f * (v + 0.044715f * v * v * v)));
  });
}

bool isNone(Value v) { return isa<NoneType>(v.getType()); }

/// com.microsoft SkipSimplifiedLayerNormalization: sum = input + skip
/// (+ bias), output = sum / sqrt(mean(sum^2) + epsilon) * gamma over the
/// last axis; input_skip_bias_sum returns sum. `mean` is never produced
/// (onnxruntime leaves it empty for the RMS form).
LogicalResult skipRmsNormOp(OpContext &ctx, Operation *op, Inputs in,
                            Outputs &out) {
  if (failed(need(op, in, 3)))
    return failure();
  const Tensor &x = *in[0], &skip = *in[1], &gamma = *in[2];
  const Tensor *bias = in.size() > 3 ? in[3] : nullptr;
  if (x.storage != Storage::F32 || skip.storage != Storage::F32 ||
      gamma.storage != Storage::F32 || (bias && bias->storage != Storage::F32))
    return op->emitError() << "needs float inputs";
  if (op->getNumResults() > 1 && !isNone(op->getResult(1)))
    return op->emitError() << "the 'mean' output is not supported (an RMS "
                              "norm has none)";
  if (x.shape.empty())
    return op->emitError() << "input must have rank >= 1";
  int64_t len = x.shape.back(), rows = x.numel() / std::max<int64_t>(len, 1);
  int64_t kn = skip.numel();
  if (kn != x.numel() && (kn == 0 || x.numel() % kn != 0 || kn % len != 0))
    return op->emitError() << "skip shape " << shapeStr(skip.shape)
                           << " does not broadcast to " << shapeStr(x.shape);
  if (gamma.numel() != len || (bias && bias->numel() != len))
    return op->emitError() << "gamma/bias must have " << len << " elements";
  float eps = attrFloat(op, "epsilon", 1e-12f);
  Tensor y = Tensor::f32(x.shape), sum = Tensor::f32(x.shape);
  Shape statShape(x.shape.begin(), x.shape.end() - 1);
  statShape.push_back(1);
  Tensor inv = Tensor::f32(statShape);
  const float *px = x.f(), *pk = skip.f(), *pg = gamma.f(),
              *pb = bias ? bias->f() : nullptr;
  parallelRange(ctx.pool, rows,
                std::max<int64_t>(1, 8192 / std::max<int64_t>(len, 1)),
                [&](int64_t b, int64_t e) {
    for (int64_t row = b; row < e; ++row) {
      const float *s = px + row * len;
      const float *k = pk + (row * len) % kn;
      float *sm = sum.f() + row * len;
      float ss = 0.0f;
      for (int64_t j = 0; j < len; ++j) {
        float v = s[j] + k[j];
        if (pb)
          v += pb[j];
        sm[j] = v;
        ss += v * v;
      }
      float is = 1.0f / std::sqrt(ss / float(len) + eps);
      inv.f()[row] = is;
      float *d = y.f() + row * len;
      for (int64_t j = 0; j < len; ++j)
        d[j] = sm[j] * is * pg[j];
    }
  });
  out.push_back(y);
  out.push_back(Tensor());
  out.push_back(inv);
  out.push_back(sum);
  return success();
}

/// Rotates x (viewed as [batch, seq, heads, head_size] through `layout4d`:
/// true for a [batch, heads, seq, head_size] buffer, false for
/// [batch, seq, heads * head_size]) by the cos/sin rows that `cacheRow`
/// gives for (b, s): rotary_dim / 2 values each.
template <typename RowFn>
Tensor applyRotary(OpContext &ctx, const Tensor &x, bool layout4d, int64_t B,
                   int64_t S, int64_t H, int64_t D, int64_t rd,
                   bool interleaved, const float *cosC, const float *sinC,
                   RowFn cacheRow) {
  Tensor y = Tensor::f32(x.shape);
  const float *px = x.f();
  float *py = y.f();
  int64_t half = rd / 2;
  parallelRange(ctx.pool, B * S, 16, [&](int64_t b0, int64_t e0) {
    for (int64_t bs = b0; bs < e0; ++bs) {
      int64_t b = bs / S, s = bs % S;
      int64_t row = cacheRow(b, s);
      const float *c = cosC + row * half, *sn = sinC + row * half;
      for (int64_t h = 0; h < H; ++h) {
        int64_t off = layout4d ? ((b * H + h) * S + s) * D
                               : ((b * S + s) * H + h) * D;
        const float *xi = px + off;
        float *yo = py + off;
        for (int64_t i = 0; i < half; ++i) {
          int64_t i1 = interleaved ? 2 * i : i;
          int64_t i2 = interleaved ? 2 * i + 1 : i + half;
          float x1 = xi[i1], x2 = xi[i2];
          yo[i1] = c[i] * x1 - sn[i] * x2;
          yo[i2] = sn[i] * x1 + c[i] * x2;
        }
        for (int64_t d = rd; d < D; ++d)
          yo[d] = xi[d];
      }
    }
  });
  return y;
}

/// Opset 23 RotaryEmbedding (X, cos_cache, sin_cache, position_ids?) and
/// com.microsoft RotaryEmbedding (input, position_ids, cos_cache, sin_cache).
template <bool MS>
LogicalResult rotaryEmbeddingOp(OpContext &ctx, Operation *op, Inputs in,
                                Outputs &out) {
  if (failed(need(op, in, MS ? 4 : 3)))
    return failure();
  const Tensor &x = *in[0];
  const Tensor &cosT = MS ? *in[2] : *in[1], &sinT = MS ? *in[3] : *in[2];
  const Tensor *pos = MS ? in[1] : (in.size() > 3 ? in[3] : nullptr);
  if (x.storage != Storage::F32 || cosT.storage != Storage::F32 ||
      sinT.storage != Storage::F32)
    return op->emitError() << "needs float input and caches";
  if (MS && attrInt(op, "is_packed_batching", 0))
    return op->emitError() << "is_packed_batching is not supported";
  if (MS && attrFloat(op, "scale", 1.0f) != 1.0f)
    return op->emitError() << "scale other than 1 is not supported";
  bool interleaved = attrInt(op, "interleaved", 0);
  int64_t rdAttr = attrInt(op, "rotary_embedding_dim", 0);
  int64_t numHeads = attrInt(op, "num_heads", 0);
  if (cosT.shape != sinT.shape || cosT.shape.empty())
    return op->emitError() << "cos_cache and sin_cache must have one shape";
  int64_t half = cosT.shape.back();
  int64_t B, S, H, D;
  bool layout4d = x.shape.size() == 4;
  if (layout4d) {
    B = x.shape[0], H = x.shape[1], S = x.shape[2], D = x.shape[3];
  } else if (x.shape.size() == 3) {
    B = x.shape[0], S = x.shape[1];
    if (numHeads <= 0) {
      if (!MS)
        return op->emitError() << "num_heads is required for a 3-D input";
      D = rdAttr > 0 ? rdAttr : 2 * half;
      if (D <= 0 || x.shape[2] % D)
        return op->emitError() << "cannot derive the head size";
      H = x.shape[2] / D;
    } else {
      H = numHeads;
      if (x.shape[2] % H)
        return op->emitError() << "hidden size " << x.shape[2]
                               << " is not a multiple of num_heads " << H;
      D = x.shape[2] / H;
    }
  } else {
    return op->emitError() << "input must be 3-D or 4-D";
  }
  int64_t rd = rdAttr > 0 ? rdAttr : D;
  if (rd > D || rd % 2 || half != rd / 2)
    return op->emitError() << "rotary dim " << rd << " does not match head size "
                           << D << " and cache width " << half;
  if (pos) {
    if (cosT.shape.size() != 2)
      return op->emitError() << "with position_ids the caches must be 2-D";
    std::vector<int64_t> p = toInts(*pos);
    int64_t maxPos = cosT.shape[0];
    bool offsetForm = MS && p.size() == 1 && !(B == 1 && S == 1);
    if (!offsetForm && int64_t(p.size()) != B * S)
      return op->emitError() << "position_ids must be [batch, seq]";
    for (int64_t v : p)
      if (v < 0 || v + (offsetForm ? S - 1 : 0) >= maxPos)
        return op->emitError() << "position id " << v
                               << " is out of the cache's range " << maxPos;
    out.push_back(applyRotary(ctx, x, layout4d, B, S, H, D, rd, interleaved,
                              cosT.f(), sinT.f(), [&](int64_t b, int64_t s) {
                                return offsetForm ? p[0] + s : p[b * S + s];
                              }));
    return success();
  }
  if (cosT.shape.size() != 3 || cosT.shape[0] != B || cosT.shape[1] != S)
    return op->emitError() << "without position_ids the caches must be "
                              "[batch, seq, rotary_dim / 2]";
  out.push_back(applyRotary(ctx, x, layout4d, B, S, H, D, rd, interleaved,
                            cosT.f(), sinT.f(), [&](int64_t b, int64_t s) {
                              return b * S + s;
                            }));
  return success();
}

/// One query row of scaled dot-product attention over the key/value rows
/// [begin, end) (row j at k + j * kStride and v + j * vStride):
/// y = softmax(q . k * scale, soft-capped when softcap > 0) v. `w` is
/// scratch of at least `end` floats.
void attendRow(const float *q, const float *k, int64_t kStride, const float *v,
               int64_t vStride, int64_t begin, int64_t end, int64_t D,
               int64_t Dv, float scale, float softcap, float *y,
               std::vector<float> &w) {
  float mx = -INFINITY;
  for (int64_t j = begin; j < end; ++j) {
    const float *kr = k + j * kStride;
    float dot = 0.0f;
    for (int64_t d = 0; d < D; ++d)
      dot += q[d] * kr[d];
    dot *= scale;
    if (softcap > 0.0f)
      dot = softcap * std::tanh(dot / softcap);
    w[j] = dot;
    mx = std::max(mx, dot);
  }
  float sum = 0.0f;
  for (int64_t j = begin; j < end; ++j) {
    w[j] = std::exp(w[j] - mx);
    sum += w[j];
  }
  std::fill(y, y + Dv, 0.0f);
  for (int64_t j = begin; j < end; ++j) {
    float p = w[j] / sum;
    const float *vr = v + j * vStride;
    for (int64_t d = 0; d < Dv; ++d)
      y[d] += p * vr[d];
  }
}

/// Opset 23 Attention without mask or past: softmax(Q K^T * scale (+ causal
/// mask, softcap)) V, with grouped K/V heads.
LogicalResult attentionOp(OpContext &ctx, Operation *op, Inputs in,
                          Outputs &out) {
  if (failed(need(op, in, 3)))
    return failure();
  for (size_t i = 3; i < in.size(); ++i)
    if (in[i])
      return op->emitError() << (i == 3   ? "attn_mask"
                                 : i == 4 ? "past_key"
                                          : "past_value")
                             << " is not supported";
  if (op->getNumResults() > 3 && !isNone(op->getResult(3)))
    return op->emitError() << "the qk_matmul_output output is not supported";
  const Tensor &q = *in[0], &k = *in[1], &v = *in[2];
  if (q.storage != Storage::F32 || k.storage != Storage::F32 ||
      v.storage != Storage::F32)
    return op->emitError() << "needs float inputs";
  size_t rank = q.shape.size();
  if (rank != k.shape.size() || rank != v.shape.size() ||
      (rank != 3 && rank != 4))
    return op->emitError() << "Q, K, V must all be 3-D or all 4-D";
  int64_t B = q.shape[0], qH, kvH, S, L, D, Dv;
  if (rank == 4) {
    qH = q.shape[1], S = q.shape[2], D = q.shape[3];
    kvH = k.shape[1], L = k.shape[2];
    Dv = v.shape[3];
    if (k.shape[3] != D || v.shape[1] != kvH || v.shape[2] != L)
      return op->emitError() << "K/V shapes do not match Q";
  } else {
    qH = attrInt(op, "q_num_heads", 0), kvH = attrInt(op, "kv_num_heads", 0);
    if (qH <= 0 || kvH <= 0)
      return op->emitError()
             << "3-D inputs need q_num_heads and kv_num_heads";
    S = q.shape[1], L = k.shape[1];
    if (q.shape[2] % qH || k.shape[2] % kvH || v.shape[2] % kvH ||
        v.shape[1] != L)
      return op->emitError() << "K/V shapes do not match the head counts";
    D = q.shape[2] / qH, Dv = v.shape[2] / kvH;
    if (k.shape[2] / kvH != D)
      return op->emitError() << "Q and K head sizes differ";
  }
  if (k.shape[0] != B || v.shape[0] != B)
    return op->emitError() << "Q, K, V batch sizes differ";
  if (kvH <= 0 || qH % kvH)
    return op->emitError() << "q heads " << qH
                           << " are not a multiple of kv heads " << kvH;
  bool causal = attrInt(op, "is_causal", 0);
  float scale = attrFloat(op, "scale", 1.0f / std::sqrt(float(D)));
  float softcap = attrFloat(op, "softcap", 0.0f);
  // Element (b, h, s, d) of a 4-D or 3-D (heads folded into the last dim)
  // tensor with `heads` heads, `seq` positions and head size `hd`.
  auto at = [&](int64_t b, int64_t h, int64_t s, int64_t heads, int64_t seq,
                int64_t hd) {
    return rank == 4 ? ((b * heads + h) * seq + s) * hd
                     : ((b * seq + s) * heads + h) * hd;
  };
  Shape yShape = rank == 4 ? Shape{B, qH, S, Dv} : Shape{B, S, qH * Dv};
  Tensor y = Tensor::f32(yShape);
  const float *pq = q.f(), *pk = k.f(), *pv = v.f();
  int64_t group = qH / kvH;
  // Row stride of K/V along the sequence: D for 4-D, heads * D for 3-D.
  int64_t kStride = rank == 4 ? D : kvH * D,
          vStride = rank == 4 ? Dv : kvH * Dv;
  parallelRange(ctx.pool, B * qH * S, 4, [&](int64_t b0, int64_t e0) {
    std::vector<float> w(L);
    for (int64_t idx = b0; idx < e0; ++idx) {
      int64_t s = idx % S, h = (idx / S) % qH, b = idx / (S * qH);
      int64_t kh = h / group;
      attendRow(pq + at(b, h, s, qH, S, D), pk + at(b, kh, 0, kvH, L, D),
                kStride, pv + at(b, kh, 0, kvH, L, Dv), vStride, 0,
                causal ? std::min(s + 1, L) : L, D, Dv, scale, softcap,
                y.f() + at(b, h, s, qH, S, Dv), w);
    }
  });
  out.push_back(y);
  // Without a past, present_key/present_value are K and V as [B, H, L, D].
  auto present = [&](const Tensor &t, int64_t hd) {
    if (rank == 4)
      return t;
    Tensor r = Tensor::f32({B, kvH, L, hd});
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < kvH; ++h)
        for (int64_t j = 0; j < L; ++j)
          std::memcpy(r.f() + ((b * kvH + h) * L + j) * hd,
                      t.f() + at(b, h, j, kvH, L, hd), hd * sizeof(float));
    return r;
  };
  out.push_back(op->getNumResults() > 1 && !isNone(op->getResult(1))
                    ? present(k, D)
                    : Tensor());
  out.push_back(op->getNumResults() > 2 && !isNone(op->getResult(2))
                    ? present(v, Dv)
                    : Tensor());
  return success();
}

/// [B, S, heads * D] columns [col, col + width) of a packed [B, S, C] tensor.
Tensor sliceColumns(const Tensor &x, int64_t col, int64_t width) {
  int64_t rows = x.shape[0] * x.shape[1], C = x.shape[2];
  Tensor r = Tensor::f32({x.shape[0], x.shape[1], width});
  for (int64_t i = 0; i < rows; ++i)
    std::memcpy(r.f() + i * width, x.f() + i * C + col, width * sizeof(float));
  return r;
}

/// com.microsoft GroupQueryAttention (onnxruntime's CPU semantics). The
/// first prompt (sequence length == total_sequence_length) ignores the past;
/// otherwise batch entry b has seqlens_k[b] + 1 - S past positions, read
/// from past_key/past_value ([B, kv_heads, buffer, D]). present_* hold the
/// past followed by the new keys/values, max(total, buffer) positions (the
/// rest zero). Query s attends causally to positions <= past + s and
/// <= seqlens_k[b] (the padded rows of a right-padded first prompt see the
/// real tokens only); with local_window_size w > 0, only to the last w of
/// them, its own included (as onnxruntime 1.30 counts). With do_rotary, Q
/// and K are rotated at positions past + s (or position_ids).
LogicalResult groupQueryAttentionOp(OpContext &ctx, Operation *op, Inputs in,
                                    Outputs &out) {
  auto gqa = cast<sieve::onnx::MSGroupQueryAttentionOp>(op);
  if (failed(need(op, in, 1)) || in.size() < 7 || !in[5] || !in[6])
    return op->emitError() << "query, seqlens_k and total_sequence_length "
                              "are required";
  const Tensor *posIds = in.size() > 9 ? in[9] : nullptr;
  if (in.size() > 10 && in[10])
    return op->emitError() << "attention_bias is not supported";
  if (in.size() > 11 && in[11])
    return op->emitError() << "head_sink is not supported";
  if (gqa.getSmoothSoftmax().value_or(0))
    return op->emitError() << "smooth_softmax is not supported";
  if (gqa.getQkOutput() ||
      (op->getNumResults() > 3 && !isNone(op->getResult(3))))
    return op->emitError() << "the output_qk output is not supported";
  for (size_t i = 0; i < std::min<size_t>(in.size(), 9); ++i)
    if (i != 5 && i != 6 && in[i] && in[i]->storage != Storage::F32)
      return op->emitError() << "needs float query/key/value/past/caches";
  int64_t H = attrInt(op, "num_heads", 0), kvH = attrInt(op, "kv_num_heads", 0);
  const Tensor &query = *in[0];
  if (query.shape.size() != 3)
    return op->emitError() << "query must be [batch, seq, hidden]";
  int64_t B = query.shape[0], S = query.shape[1];
  // Separate (or split packed) Q, K, V, each [B, S, heads * D].
  Tensor q = query, k, v;
  int64_t D;
  if (in[1]) {
    if (!in[2])
      return op->emitError() << "key and value must be given together";
    k = *in[1], v = *in[2];
    if (query.shape[2] % H)
      return op->emitError() << "query width " << query.shape[2]
                             << " is not a multiple of num_heads " << H;
    D = query.shape[2] / H;
    for (const Tensor *t : {&k, &v})
      if (t->shape != Shape{B, S, kvH * D})
        return op->emitError()
               << "key/value must be " << shapeStr({B, S, kvH * D});
  } else {
    if (query.shape[2] % (H + 2 * kvH))
      return op->emitError() << "packed QKV width " << query.shape[2]
                             << " is not a multiple of num_heads + 2 * "
                                "kv_num_heads";
    D = query.shape[2] / (H + 2 * kvH);
    q = sliceColumns(query, 0, H * D);
    k = sliceColumns(query, H * D, kvH * D);
    v = sliceColumns(query, (H + kvH) * D, kvH * D);
  }
  const Tensor *pastK = in[3], *pastV = in.size() > 4 ? in[4] : nullptr;
  if (bool(pastK) != bool(pastV))
    return op->emitError() << "past_key and past_value must be given together";
  int64_t buffer = 0;
  if (pastK) {
    if (pastK->shape.size() != 4 || pastK->shape[0] != B ||
        pastK->shape[1] != kvH || pastK->shape[3] != D ||
        pastV->shape != pastK->shape)
      return op->emitError() << "past_key/past_value must be [" << B << ", "
                             << kvH << ", buffer, " << D << "]";
    buffer = pastK->shape[2];
  }
  std::vector<int64_t> seqlens = toInts(*in[5]), totalV = toInts(*in[6]);
  if (int64_t(seqlens.size()) != B || totalV.size() != 1)
    return op->emitError() << "seqlens_k must be [batch] and "
                              "total_sequence_length a scalar";
  int64_t total = totalV[0];
  bool firstPrompt = S == total;
  if (!firstPrompt && S > 1 && B != 1)
    return op->emitError() << "a prompt continuing a past needs batch 1";
  int64_t present = std::max(total, buffer);
  std::vector<int64_t> past(B);
  for (int64_t b = 0; b < B; ++b) {
    int64_t tb = seqlens[b] + 1;
    past[b] = firstPrompt ? 0 : tb - S;
    if (tb < 1 || tb > total || past[b] < 0 || past[b] > buffer)
      return op->emitError()
             << "seqlens_k[" << b << "] = " << seqlens[b]
             << " is inconsistent with sequence length " << S << ", total "
             << total << " and a past buffer of " << buffer;
  }
  if (gqa.getDoRotary()) {
    const Tensor *cosC = in[7], *sinC = in[8];
    if (!cosC || !sinC || cosC->shape.size() != 2 || cosC->shape != sinC->shape)
      return op->emitError() << "do_rotary needs 2-D cos_cache and sin_cache "
                                "of one shape";
    int64_t rd = 2 * cosC->shape[1], maxPos = cosC->shape[0];
    if (rd > D)
      return op->emitError()
             << "rotary dim " << rd << " exceeds head size " << D;
    std::vector<int64_t> ids;
    if (posIds) {
      ids = toInts(*posIds);
      if (int64_t(ids.size()) != B * S)
        return op->emitError() << "position_ids must be [batch, seq]";
    } else {
      for (int64_t b = 0; b < B; ++b)
        for (int64_t s = 0; s < S; ++s)
          ids.push_back(past[b] + s);
    }
    for (int64_t p : ids)
      if (p < 0 || p >= maxPos)
        return op->emitError()
               << "position " << p << " is out of the cos/sin caches' range "
               << maxPos;
    auto row = [&](int64_t b, int64_t s) { return ids[b * S + s]; };
    bool inter = gqa.getRotaryInterleaved();
    q = applyRotary(ctx, q, false, B, S, H, D, rd, inter, cosC->f(), sinC->f(),
                    row);
    k = applyRotary(ctx, k, false, B, S, kvH, D, rd, inter, cosC->f(),
                    sinC->f(), row);
  }
  // present = past rows [0, past) followed by the S new rows.
  auto makePresent = [&](const Tensor *pastT, const Tensor &cur) {
    Tensor r = Tensor::f32({B, kvH, present, D});
    std::fill(r.f(), r.f() + r.numel(), 0.0f);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < kvH; ++h) {
        float *dst = r.f() + (b * kvH + h) * present * D;
        if (past[b])
          std::memcpy(dst, pastT->f() + (b * kvH + h) * buffer * D,
                      past[b] * D * sizeof(float));
        for (int64_t s = 0; s < S && past[b] + s < present; ++s)
          std::memcpy(dst + (past[b] + s) * D,
                      cur.f() + ((b * S + s) * kvH + h) * D, D * sizeof(float));
      }
    return r;
  };
  Tensor presentK = makePresent(pastK, k), presentV = makePresent(pastV, v);
  float scale = gqa.getScale().convertToFloat();
  if (scale == 0.0f)
    scale = 1.0f / std::sqrt(float(D));
  float softcap = gqa.getSoftcap().convertToFloat();
  int64_t window = attrInt(op, "local_window_size", -1);
  Tensor y = Tensor::f32({B, S, H * D});
  int64_t group = H / kvH;
  parallelRange(ctx.pool, B * H * S, 4, [&](int64_t b0, int64_t e0) {
    std::vector<float> w(present);
    for (int64_t idx = b0; idx < e0; ++idx) {
      int64_t s = idx % S, h = (idx / S) % H, b = idx / (S * H);
      // Padded query rows of a first prompt (s >= seqlens_k + 1) see the
      // row's real tokens only, as onnxruntime does.
      int64_t end = std::min(past[b] + s + 1, seqlens[b] + 1);
      int64_t begin = window > 0 ? std::max<int64_t>(0, end - window) : 0;
      int64_t kvOff = (b * kvH + h / group) * present * D;
      attendRow(q.f() + ((b * S + s) * H + h) * D, presentK.f() + kvOff, D,
                presentV.f() + kvOff, D, begin, end, D, D, scale, softcap,
                y.f() + ((b * S + s) * H + h) * D, w);
    }
  });
  out.push_back(y);
  out.push_back(presentK);
  out.push_back(presentV);
  out.push_back(Tensor());
  return success();
}

/// The per-element scale and zero-point index map of (De)QuantizeLinear:
/// per tensor (one value) or per axis (x.shape[axis] values, `inner`
/// elements apart). Blocked quantization is refused.
struct LinearQuantIndex {
  int64_t count = 1, inner = 1;
  int64_t of(int64_t i) const { return count == 1 ? 0 : (i / inner) % count; }
};

static FailureOr<LinearQuantIndex>
linearQuantIndex(Operation *op, const Tensor &x, const Tensor &scale,
                 const Tensor *zp) {
  if (op->getAttrOfType<IntegerAttr>("block_size").getInt() != 0)
    return op->emitError() << "blocked quantization (block_size > 0) is not "
                              "supported";
  if (scale.storage != Storage::F32)
    return op->emitError() << "the scale must be float";
  LinearQuantIndex ix;
  ix.count = scale.numel();
  if (zp && zp->numel() != ix.count)
    return op->emitError() << "the zero point has " << zp->numel()
                           << " values, the scale " << ix.count;
  if (ix.count == 1 && scale.shape.size() <= 1)
    return ix;
  int64_t rank = x.shape.size(),
          axis = op->getAttrOfType<IntegerAttr>("axis").getInt();
  if (axis < 0)
    axis += rank;
  if (scale.shape.size() != 1 || axis < 0 || axis >= rank ||
      x.shape[axis] != ix.count)
    return op->emitError() << "the scale " << shapeStr(scale.shape)
                           << " is neither a scalar nor x.shape[axis] values "
                              "(x "
                           << shapeStr(x.shape) << ", axis " << axis << ")";
  for (int64_t d = axis + 1; d < rank; ++d)
    ix.inner *= x.shape[d];
  return ix;
}

/// DequantizeLinear: y = (x - zero_point) * scale, in float (the executor
/// rounds an f16 result when it stores it).
LogicalResult dequantizeLinearOp(OpContext &, Operation *op, Inputs in,
                                 Outputs &out) {
  if (failed(need(op, in, 2)))
    return failure();
  const Tensor &x = *in[0], &scale = *in[1];
  const Tensor *zp = in.size() > 2 ? in[2] : nullptr;
  if (x.storage != Storage::I64 || (zp && zp->storage != Storage::I64))
    return op->emitError() << "x and the zero point must be integers";
  FailureOr<LinearQuantIndex> ix = linearQuantIndex(op, x, scale, zp);
  if (failed(ix))
    return failure();
  Tensor y = Tensor::f32(x.shape);
  for (int64_t i = 0, n = x.numel(); i < n; ++i) {
    int64_t c = ix->of(i);
    // q - z is exact in float for 8- and 16-bit codes; one rounding.
    y.f()[i] = float(x.i()[i] - (zp ? zp->i()[c] : 0)) * scale.f()[c];
  }
  out.push_back(y);
  return success();
}

/// QuantizeLinear: y = saturate(round_half_even(x / scale) + zero_point) in
/// the result's 8-bit integer type.
LogicalResult quantizeLinearOp(OpContext &, Operation *op, Inputs in,
                               Outputs &out) {
  if (failed(need(op, in, 2)))
    return failure();
  const Tensor &x = *in[0], &scale = *in[1];
  const Tensor *zp = in.size() > 2 ? in[2] : nullptr;
  if (x.storage != Storage::F32 || (zp && zp->storage != Storage::I64))
    return op->emitError() << "x must be float and the zero point integer";
  auto et = dyn_cast<IntegerType>(resultElementType(op));
  if (!et || et.getWidth() != 8)
    return op->emitError() << "only int8 and uint8 results are supported";
  FailureOr<LinearQuantIndex> ix = linearQuantIndex(op, x, scale, zp);
  if (failed(ix))
    return failure();
  double lo = et.isUnsigned() ? 0 : -128, hi = et.isUnsigned() ? 255 : 127;
  Tensor y = Tensor::i64(x.shape);
  for (int64_t i = 0, n = x.numel(); i < n; ++i) {
    int64_t c = ix->of(i);
    // The division in float, as the spec's reference computes it.
    double q = std::nearbyint(double(x.f()[i] / scale.f()[c])) +
               double(zp ? zp->i()[c] : 0);
    y.i()[i] = int64_t(std::clamp(q, lo, hi));
  }
  out.push_back(y);
  return success();
}

/// com.microsoft MatMulNBits: Y = A x dequant(B)^T (+ bias), the weight
/// dequantized by dequantizeNBits (sieve/Reference/NBits.h).
LogicalResult matMulNBitsOp(OpContext &ctx, Operation *op, Inputs in,
                            Outputs &out) {
  auto mm = cast<sieve::onnx::MSMatMulNBitsOp>(op);
  if (failed(need(op, in, 3)))
    return failure();
  if (in.size() > 4 && in[4])
    return op->emitError() << "g_idx is not supported (act-order quantized "
                              "weights)";
  const Tensor &A = *in[0], &Bq = *in[1], &scales = *in[2];
  const Tensor *zp = in.size() > 3 ? in[3] : nullptr;
  const Tensor *bias = in.size() > 5 ? in[5] : nullptr;
  NBitsLayout l;
  l.n = mm.getN(), l.k = mm.getK(), l.bits = mm.getBits(),
  l.blockSize = mm.getBlockSize();
  std::string bad = l.check();
  if (!bad.empty())
    return op->emitError() << bad;
  if (A.storage != Storage::F32 || scales.storage != Storage::F32 ||
      (bias && bias->storage != Storage::F32))
    return op->emitError() << "A, scales and bias must be float";
  if (A.shape.empty() || A.shape.back() != l.k)
    return op->emitError() << "A " << shapeStr(A.shape)
                           << " must end in K = " << l.k;
  if (Bq.storage != Storage::I64 || Bq.numel() != l.n * l.rowBytes())
    return op->emitError() << "B must be uint8 with N * blocks * block bytes = "
                           << l.n * l.rowBytes() << " elements";
  if (scales.numel() != l.n * l.blocksPerRow())
    return op->emitError() << "scales must have N * blocks = "
                           << l.n * l.blocksPerRow() << " elements";
  if (bias && bias->numel() != l.n)
    return op->emitError() << "bias must have N = " << l.n << " elements";
  // Integers are held as int64; the dequantizer reads the packed bytes.
  auto bytesOf = [](const Tensor &t) {
    std::vector<uint8_t> r(t.numel());
    for (int64_t i = 0; i < t.numel(); ++i)
      r[i] = uint8_t(t.i()[i]);
    return r;
  };
  std::vector<uint8_t> packed = bytesOf(Bq), zpBytes;
  NBitsZeroPoints zeros;
  if (zp && zp->storage == Storage::F32) {
    if (zp->numel() != l.n * l.blocksPerRow())
      return op->emitError() << "float zero_points must have N * blocks = "
                             << l.n * l.blocksPerRow() << " elements";
    zeros.values = zp->f();
  } else if (zp) {
    if (zp->numel() != l.n * l.zeroPointRowBytes())
      return op->emitError() << "packed zero_points must have "
                             << l.n * l.zeroPointRowBytes() << " bytes";
    zpBytes = bytesOf(*zp);
    zeros.packed = zpBytes.data();
  }
  std::vector<float> w(l.n * l.k);
  parallelRange(ctx.pool, l.n, 16, [&](int64_t b, int64_t e) {
    dequantizeNBits(l, packed.data(), scales.f(), zeros, b, e,
                    w.data() + b * l.k);
  });
  Shape yShape = A.shape;
  yShape.back() = l.n;
  Tensor y = Tensor::f32(yShape);
  int64_t M = A.numel() / l.k, off = 0;
  // W is [N, K] row-major: element (k, n) of W^T is at n * K + k.
  sgemmBatched(ctx.pool, 1, M, l.n, l.k, A.f(), &off, l.k, 1, w.data(), &off, 1,
               l.k, y.f(), &off, l.n);
  if (bias)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < l.n; ++n)
        y.f()[m * l.n + n] += bias->f()[n];
  out.push_back(y);
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Raw data and the op table
//===----------------------------------------------------------------------===//

Tensor sieve::ref::tensorFromDense(DenseElementsAttr dense, Type et,
                                   ArrayRef<int64_t> shape) {
  Storage s = storageFor(et);
  Tensor t = Tensor::alloc(s, shape);
  int64_t i = 0, n = t.numel();
  if (s == Storage::F32) {
    auto conv = [](APFloat v) {
      bool lost;
      v.convert(llvm::APFloat::IEEEsingle(),
                llvm::APFloat::rmNearestTiesToEven, &lost);
      return v.convertToFloat();
    };
    if (dense.isSplat())
      for (float v = conv(dense.getSplatValue<APFloat>()); i < n; ++i)
        t.f()[i] = v;
    else
      for (APFloat v : dense.getValues<APFloat>())
        t.f()[i++] = conv(v);
  } else if (s == Storage::I64) {
    bool u = et.isUnsignedInteger();
    auto get = [&](const APInt &v) {
      return u ? int64_t(v.getZExtValue()) : v.getSExtValue();
    };
    if (dense.isSplat())
      for (int64_t v = get(dense.getSplatValue<APInt>()); i < n; ++i)
        t.i()[i] = v;
    else
      for (const APInt &v : dense.getValues<APInt>())
        t.i()[i++] = get(v);
  } else {
    if (dense.isSplat())
      for (bool v = dense.getSplatValue<bool>(); i < n; ++i)
        t.b()[i] = v;
    else
      for (bool v : dense.getValues<bool>())
        t.b()[i++] = v;
  }
  return t;
}

Tensor sieve::ref::tensorFromRaw(Type elementType, ArrayRef<int64_t> shape,
                                 const char *bytes,
                                 std::shared_ptr<void> owner) {
  Storage s = storageFor(elementType);
  int64_t n = product(shape);
  if (s == Storage::F32 && elementType.isF32() && owner &&
      reinterpret_cast<uintptr_t>(bytes) % alignof(float) == 0) {
    Tensor t;
    t.storage = s;
    t.shape.assign(shape.begin(), shape.end());
    t.hold = owner;
    t.data = const_cast<char *>(bytes);
    return t;
  }
  Tensor t = Tensor::alloc(s, shape);
  unsigned width = elementType.isInteger(1) ? 8 : elementType.getIntOrFloatBitWidth();
  if (s == Storage::F32) {
    float *p = t.f();
    for (int64_t i = 0; i < n; ++i) {
      const char *e = bytes + i * (width / 8);
      if (elementType.isF32()) {
        std::memcpy(&p[i], e, 4);
      } else if (elementType.isF16()) {
        uint16_t h;
        std::memcpy(&h, e, 2);
        p[i] = f16BitsToFloat(h);
      } else if (elementType.isBF16()) {
        uint16_t h;
        std::memcpy(&h, e, 2);
        uint32_t u = uint32_t(h) << 16;
        std::memcpy(&p[i], &u, 4);
      } else if (elementType.isF64()) {
        double d;
        std::memcpy(&d, e, 8);
        p[i] = float(d);
      } else {
        p[i] = NAN; // other float formats: not expected in weights
      }
    }
  } else if (s == Storage::Bool) {
    for (int64_t i = 0; i < n; ++i)
      t.b()[i] = bytes[i] != 0;
  } else {
    bool isUnsigned = elementType.isUnsignedInteger();
    int64_t *p = t.i();
    for (int64_t i = 0; i < n; ++i) {
      const char *e = bytes + i * (width / 8);
      uint64_t u = 0;
      std::memcpy(&u, e, width / 8);
      if (!isUnsigned && width < 64)
        p[i] = int64_t(u << (64 - width)) >> (64 - width);
      else
        p[i] = int64_t(u);
    }
  }
  return t;
}

const llvm::StringMap<OpHandler> &sieve::ref::opTable() {
  static const llvm::StringMap<OpHandler> table = {
      {"onnx.Add", binaryOp<Bin::Add>},
      {"onnx.Sub", binaryOp<Bin::Sub>},
      {"onnx.Mul", binaryOp<Bin::Mul>},
      {"onnx.Div", binaryOp<Bin::Div>},
      {"onnx.Pow", binaryOp<Bin::Pow>},
      {"onnx.Mod", binaryOp<Bin::Mod>},
      {"onnx.Max", variadicOp<Bin::Max>},
      {"onnx.Min", variadicOp<Bin::Min>},
      {"onnx.Sum", variadicOp<Bin::Add>},
      {"onnx.Mean", meanOp},
      {"onnx.Equal", compareOp<Cmp::Eq>},
      {"onnx.Less", compareOp<Cmp::Lt>},
      {"onnx.LessOrEqual", compareOp<Cmp::Le>},
      {"onnx.Greater", compareOp<Cmp::Gt>},
      {"onnx.GreaterOrEqual", compareOp<Cmp::Ge>},
      {"onnx.And", logicOp<Logic::And>},
      {"onnx.Or", logicOp<Logic::Or>},
      {"onnx.Xor", logicOp<Logic::Xor>},
      {"onnx.Not", notOp},
      {"onnx.Where", whereOp},
      {"onnx.IsNaN", isNanInfOp<false>},
      {"onnx.IsInf", isNanInfOp<true>},
      {"onnx.Neg", negOp},
      {"onnx.Abs", absOp},
      {"onnx.Sign", signOp},
      {"onnx.Sqrt", sqrtOp},
      {"onnx.Reciprocal", reciprocalOp},
      {"onnx.Sigmoid", sigmoidOp},
      {"onnx.Cos", cosOp},
      {"onnx.Sin", sinOp},
      {"onnx.Tan", tanOp},
      {"onnx.Atan", atanOp},
      {"onnx.Tanh", tanhOp},
      {"onnx.Erf", erfOp},
      {"onnx.Exp", expOp},
      {"onnx.Log", logOp},
      {"onnx.Relu", reluOp},
      {"onnx.LeakyRelu", leakyReluOp},
      {"onnx.Elu", eluOp},
      {"onnx.HardSigmoid", hardSigmoidOp},
      {"onnx.Floor", floorOp},
      {"onnx.Ceil", ceilOp},
      {"onnx.Round", roundOp},
      {"onnx.Softplus", softplusOp},
      {"onnx.Softsign", softsignOp},
      {"onnx.Gelu", geluOp},
      {"onnx.Identity", identityOp},
      {"onnx.Cast", castOp},
      {"onnx.MatMul", matmulOp},
      {"onnx.Gemm", gemmOp},
      {"onnx.Softmax", softmaxOp<false>},
      {"onnx.LogSoftmax", softmaxOp<true>},
      {"onnx.ReduceMean", reduceOp<Red::Mean>},
      {"onnx.ReduceSum", reduceOp<Red::Sum>},
      {"onnx.ReduceMax", reduceOp<Red::Max>},
      {"onnx.ReduceMin", reduceOp<Red::Min>},
      {"onnx.ReduceProd", reduceOp<Red::Prod>},
      {"onnx.ReduceSumSquare", reduceOp<Red::SumSquare>},
      {"onnx.ReduceL1", reduceOp<Red::L1>},
      {"onnx.ReduceL2", reduceOp<Red::L2>},
      {"onnx.ReduceLogSumExp", reduceOp<Red::LogSumExp>},
      {"onnx.LayerNormalization", layerNormalizationOp},
      {"onnx.ms.SimplifiedLayerNormalization", rmsNormOp},
      {"onnx.CumSum", cumSumOp},
      {"onnx.Reshape", reshapeOp},
      {"onnx.Flatten", flattenOp},
      {"onnx.Unsqueeze", unsqueezeOp},
      {"onnx.Squeeze", squeezeOp},
      {"onnx.Transpose", transposeOp},
      {"onnx.Concat", concatOp},
      {"onnx.Split", splitOp},
      {"onnx.Slice", sliceOp},
      {"onnx.Expand", expandOp},
      {"onnx.Shape", shapeOp},
      {"onnx.Size", sizeOp},
      {"onnx.Gather", gatherOp},
      {"onnx.GatherND", gatherNDOp},
      {"onnx.Range", rangeOp},
      {"onnx.ConstantOfShape", constantOfShapeOp},
      {"onnx.Trilu", triluOp},
      {"onnx.Clip", clipOp},
      {"onnx.CastLike", castOp},
      {"onnx.Dropout", dropoutOp},
      {"onnx.ArgMax", argMaxOp},
      {"onnx.TopK", topKOp},
      {"onnx.Tile", tileOp},
      {"onnx.GatherElements", gatherElementsOp},
      {"onnx.ScatterND", scatterNDOp},
      {"onnx.RMSNormalization", rmsNormOp},
      {"onnx.ms.QuickGelu", quickGeluOp},
      {"onnx.ms.FastGelu", fastGeluOp},
      {"onnx.ms.SkipSimplifiedLayerNormalization", skipRmsNormOp},
      {"onnx.RotaryEmbedding", rotaryEmbeddingOp<false>},
      {"onnx.ms.RotaryEmbedding", rotaryEmbeddingOp<true>},
      {"onnx.Attention", attentionOp},
      {"onnx.ms.GroupQueryAttention", groupQueryAttentionOp},
      {"onnx.ms.MatMulNBits", matMulNBitsOp},
      {"onnx.DequantizeLinear", dequantizeLinearOp},
      {"onnx.QuantizeLinear", quantizeLinearOp},
  };
  return table;
}
