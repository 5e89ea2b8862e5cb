//===- Executor.cpp - runs a func.func of onnx ops ------------------------===//
//
// Plans once (value slots, last uses), loads constants once (memory-mapping
// #onnx.external files) and then interprets the ops in order through the op
// table, freeing each intermediate after its last use.
//
//===----------------------------------------------------------------------===//

#include "MappedFiles.h"
#include "Ops.h"
#include "sieve/Dialect/ONNX/ONNXDialect.h"
#include "sieve/Dialect/ONNX/ONNXOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>
#include <unistd.h>

using namespace mlir;
using namespace sieve::ref;

struct Executor::Impl {
  func::FuncOp func;
  MappedFiles files;
  ThreadPool pool;
  llvm::DenseMap<Operation *, Tensor> constants;

  bool planned = false;
  std::vector<Operation *> ops;
  llvm::DenseMap<Value, unsigned> slots;
  std::vector<std::vector<unsigned>> freeAfter; // per op index
  std::vector<std::vector<int>> operandSlots;   // -1: none
  std::vector<int> lastUse;                     // per slot: op index

  // SIEVE_REF_PROFILE=1: seconds per op kind, printed at destruction.
  bool profile = std::getenv("SIEVE_REF_PROFILE") != nullptr;
  struct OpTime {
    double wall = 0, cpu = 0;
    int64_t count = 0;
  };
  llvm::StringMap<OpTime> opTimes;

  ~Impl() {
    if (!profile)
      return;
    std::vector<std::pair<OpTime, std::string>> rows;
    for (auto &e : opTimes)
      rows.push_back({e.second, e.getKey().str()});
    std::sort(rows.begin(), rows.end(), [](auto &a, auto &b) {
      return a.first.cpu > b.first.cpu;
    });
    llvm::errs() << "      wall        cpu  op\n";
    for (auto &r : rows)
      llvm::errs() << llvm::format("%8.3f s %8.3f s  ", r.first.wall,
                                   r.first.cpu)
                   << r.second << " x" << r.first.count << "\n";
  }

  Impl(func::FuncOp func, StringRef baseDir, int threads)
      : func(func), files(baseDir.str()),
        pool(threads > 0 ? threads
                         : std::max(1u, std::thread::hardware_concurrency())) {}

  void plan();
  LogicalResult checkElementTypes();
  FailureOr<Tensor> loadConstant(Operation *op);
};

static double processCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

static bool isNone(Value v) { return isa<NoneType>(v.getType()); }

/// The reference holds every float as float32, so an f64 value would be
/// computed in silently narrowed precision: refuse it, at the argument, the
/// constant or the op whose result has it.
static bool isUnsupportedElementType(Type t) {
  return getElementTypeOrSelf(t).isF64();
}

LogicalResult Executor::Impl::checkElementTypes() {
  Block &body = func.getBody().front();
  for (BlockArgument arg : body.getArguments())
    if (isUnsupportedElementType(arg.getType()))
      return emitError(arg.getLoc())
             << "element type f64 is not supported by the CPU reference "
                "(argument "
             << arg.getArgNumber() << " of @" << func.getSymName() << ")";
  for (Operation &op : body.getOperations())
    for (Type t : op.getResultTypes())
      if (isUnsupportedElementType(t))
        return op.emitError()
               << "element type f64 is not supported by the CPU reference";
  return success();
}

void Executor::Impl::plan() {
  Block &body = func.getBody().front();
  unsigned next = 0;
  for (BlockArgument arg : body.getArguments())
    slots[arg] = next++;
  for (Operation &op : body.getOperations()) {
    ops.push_back(&op);
    for (Value r : op.getResults())
      slots[r] = next++;
  }
  lastUse.assign(next, -1);
  operandSlots.resize(ops.size());
  for (auto [i, op] : llvm::enumerate(ops)) {
    for (Value v : op->getOperands()) {
      if (isNone(v)) {
        operandSlots[i].push_back(-1);
        continue;
      }
      unsigned s = slots.lookup(v);
      operandSlots[i].push_back(int(s));
      lastUse[s] = int(i);
    }
  }
  freeAfter.resize(ops.size());
  for (unsigned s = 0; s < next; ++s)
    if (lastUse[s] >= 0)
      freeAfter[lastUse[s]].push_back(s);
  planned = true;
}

FailureOr<Tensor> Executor::Impl::loadConstant(Operation *op) {
  auto it = constants.find(op);
  if (it != constants.end())
    return it->second;
  Attribute value = op->getAttr("value");
  auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!type || !type.hasStaticShape()) {
    op->emitError() << "constant needs a static ranked tensor type";
    return failure();
  }
  Type elementType = type.getElementType();
  if (!elementType.isIntOrFloat()) {
    op->emitError() << "constant of unsupported element type " << elementType;
    return failure();
  }
  Tensor t;
  if (auto ext = dyn_cast_or_null<sieve::onnx::ExternalTensorAttr>(value)) {
    FailureOr<std::shared_ptr<MappedFile>> file =
        files.map(op, ext.getLocation());
    if (failed(file))
      return failure();
    uint64_t fileSize = (*file)->region ? (*file)->region->size() : 0;
    if (ext.getOffset() + ext.getLength() > fileSize) {
      op->emitError() << "external data [" << ext.getOffset() << ", "
                      << ext.getOffset() + ext.getLength()
                      << ") lies outside '" << ext.getLocation() << "' ("
                      << fileSize << " bytes)";
      return failure();
    }
    if (elementType.getIntOrFloatBitWidth() < 8 &&
        !elementType.isInteger(1)) {
      op->emitError() << "sub-byte external tensors are not supported";
      return failure();
    }
    const char *base = (*file)->region->const_data() + ext.getOffset();
    t = tensorFromRaw(elementType, type.getShape(), base,
                      std::shared_ptr<void>(*file, const_cast<char *>(base)));
  } else if (auto res = dyn_cast_or_null<DenseResourceElementsAttr>(value)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob) {
      op->emitError() << "constant's resource blob '"
                      << res.getRawHandle().getKey()
                      << "' has no data (was it elided when printed?)";
      return failure();
    }
    ArrayRef<char> data = blob->getData();
    int64_t bits = elementType.isInteger(1)
                       ? 8
                       : elementType.getIntOrFloatBitWidth();
    if (bits % 8 || int64_t(data.size()) < type.getNumElements() * bits / 8) {
      op->emitError() << "constant's resource blob holds " << data.size()
                      << " bytes, too few for " << type;
      return failure();
    }
    // The blob lives as long as the context; copy unless aliasable f32.
    t = tensorFromRaw(elementType, type.getShape(), data.data(),
                      std::shared_ptr<void>());
  } else if (auto dense = dyn_cast_or_null<DenseElementsAttr>(value)) {
    t = tensorFromDense(dense, elementType, type.getShape());
  } else {
    op->emitError() << "constant value " << value
                    << " is not supported by the CPU reference";
    return failure();
  }
  constants[op] = t;
  return t;
}

Executor::Executor(func::FuncOp func, StringRef baseDir, int threads)
    : impl(std::make_unique<Impl>(func, baseDir, threads)) {}
Executor::~Executor() = default;
int Executor::numThreads() const { return impl->pool.size(); }

/// Rounds or wraps a freshly computed result to its IR element type.
static void storeAs(Type elementType, Tensor &t, ThreadPool &pool) {
  int64_t n = t.numel();
  if (t.storage == Storage::F32) {
    float (*round)(float) = nullptr;
    if (elementType.isF16())
      round = roundToF16;
    else if (elementType.isBF16())
      round = roundToBF16;
    if (!round)
      return;
    float *p = t.f();
    parallelRange(pool, n, 1 << 15, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i)
        p[i] = round(p[i]);
    });
    return;
  }
  if (t.storage == Storage::I64) {
    auto it = dyn_cast<IntegerType>(elementType);
    if (!it || it.getWidth() >= 64)
      return;
    unsigned w = it.getWidth();
    int64_t *p = t.i();
    if (it.isUnsigned()) {
      uint64_t mask = (uint64_t(1) << w) - 1;
      for (int64_t i = 0; i < n; ++i)
        p[i] = int64_t(uint64_t(p[i]) & mask);
    } else {
      for (int64_t i = 0; i < n; ++i)
        p[i] = int64_t(uint64_t(p[i]) << (64 - w)) >> (64 - w);
    }
  }
}

static const char *storageName(Storage s) {
  return s == Storage::F32 ? "float" : s == Storage::I64 ? "integer" : "bool";
}

LogicalResult Executor::run(ArrayRef<Tensor> inputs,
                            std::vector<Tensor> &outputs) {
  Impl &I = *impl;
  if (!I.planned) {
    if (failed(I.checkElementTypes()))
      return failure();
    I.plan();
  }
  Block &body = I.func.getBody().front();
  if (inputs.size() != body.getNumArguments())
    return I.func.emitError() << "function takes " << body.getNumArguments()
                              << " inputs, got " << inputs.size();
  std::vector<Tensor> values(I.slots.size());
  for (auto [i, arg] : llvm::enumerate(body.getArguments())) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (type) {
      bool ok = storageFor(type.getElementType()) == inputs[i].storage &&
                type.getRank() == int64_t(inputs[i].shape.size());
      for (int64_t d = 0; ok && d < type.getRank(); ++d)
        ok = type.isDynamicDim(d) || type.getDimSize(d) == inputs[i].shape[d];
      if (!ok)
        return I.func.emitError()
               << "input " << i << " does not match its type " << type;
    }
    values[I.slots[arg]] = inputs[i];
  }
  OpContext ctx{I.pool, {}};
  const llvm::StringMap<OpHandler> &table = opTable();
  std::vector<const Tensor *> in;
  std::vector<Tensor> out;
  for (auto [idx, op] : llvm::enumerate(I.ops)) {
    in.clear();
    ctx.reusable.clear();
    for (int s : I.operandSlots[idx]) {
      in.push_back(s < 0 ? nullptr : &values[s]);
      ctx.reusable.push_back(s >= 0 && I.lastUse[s] == int(idx) &&
                             values[s].hold.use_count() == 1);
    }
    StringRef name = op->getName().getStringRef();
    if (isa<func::ReturnOp>(op)) {
      outputs.clear();
      for (const Tensor *t : in) {
        if (!t)
          return op->emitError() << "returns a none value";
        outputs.push_back(*t);
      }
      return success();
    }
    if (name == "onnx.NoValue")
      continue;
    out.clear();
    if (name == "onnx.Constant") {
      FailureOr<Tensor> t = I.loadConstant(op);
      if (failed(t))
        return failure();
      out.push_back(*t);
    } else {
      auto it = table.find(name);
      if (it == table.end())
        return op->emitError() << "the CPU reference does not support '"
                               << name << "'";
      auto start = std::chrono::steady_clock::now();
      double cpuStart = I.profile ? processCpuSeconds() : 0;
      if (failed(it->second(ctx, op, in, out)))
        return failure();
      if (I.profile) {
        auto &entry = I.opTimes[name];
        entry.wall += std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - start)
                          .count();
        entry.cpu += processCpuSeconds() - cpuStart;
        ++entry.count;
      }
      for (auto [r, result] : llvm::enumerate(op->getResults())) {
        if (isNone(result))
          continue;
        if (r >= out.size() || !out[r].data)
          return op->emitError() << "internal error: result " << r
                                 << " was not computed";
        auto type = dyn_cast<ShapedType>(result.getType());
        if (!type)
          continue;
        if (storageFor(type.getElementType()) != out[r].storage)
          return op->emitError()
                 << "internal error: result " << r << " computed as "
                 << storageName(out[r].storage) << " but typed " << type;
        // Rounding and wrapping are idempotent, so views of inputs (which
        // already hold values of the same type) are safe to pass again;
        // f16/bf16 and narrow integer buffers are never memory-mapped.
        storeAs(type.getElementType(), out[r], I.pool);
      }
    }
    for (auto [r, result] : llvm::enumerate(op->getResults()))
      if (r < out.size() && !isNone(result))
        values[I.slots[result]] = std::move(out[r]);
    for (unsigned s : I.freeAfter[idx])
      values[s] = Tensor();
  }
  return I.func.emitError() << "function has no return";
}

func::FuncOp sieve::ref::findFunction(ModuleOp module, StringRef name) {
  func::FuncOp found;
  if (!name.empty()) {
    found = module.lookupSymbol<func::FuncOp>(name);
    if (!found)
      module.emitError() << "no function named '" << name << "'";
    return found;
  }
  if ((found = module.lookupSymbol<func::FuncOp>("main")))
    return found;
  int count = 0;
  for (auto f : module.getOps<func::FuncOp>()) {
    found = f;
    ++count;
  }
  if (count != 1) {
    module.emitError() << (count ? "several functions and none is @main: "
                                   "choose one"
                                 : "no function to run");
    return nullptr;
  }
  if (found.isExternal()) {
    found.emitError() << "function has no body";
    return nullptr;
  }
  return found;
}
