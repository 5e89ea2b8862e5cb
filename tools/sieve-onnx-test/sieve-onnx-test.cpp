//===- sieve-onnx-test.cpp - ONNX backend node tests on the CPU reference -===//
//
//   sieve-onnx-test /usr/share/libonnx-testdata/data/node --filter '^test_add'
//   sieve-onnx-test DIR... [--exclude REGEX] [--expected FILE] [--json]
//
// Each test folder holds model.onnx and test_data_set_*/{input,output}_*.pb
// (serialized onnx.TensorProto). A test is imported (sieve::importONNXModel),
// run on the CPU reference executor, and every output is compared with the
// expected tensor: |out - exp| <= atol + rtol * |exp| for floats (NaN equals
// NaN), exactly for integers and bools, and shapes must match.
//
// Each test runs in a child process with a time limit, so that a crash or a
// hang in the importer or the executor is reported (as FAIL) instead of
// stopping the run. Output: one line per test, `PASS name`, `FAIL name:
// reason` or `UNSUPPORTED name: reason`, then a summary line.
//
// --expected FILE compares the results with a list of `PASS name`,
// `UNSUPPORTED name: reason` and `FAIL name: reason` lines (reasons are
// documentation, only the status is compared) and exits non-zero on any
// difference. `TOLERANCE name rtol=X atol=Y` lines in that file loosen the
// comparison of one test.
//
//===----------------------------------------------------------------------===//

#include "sieve/Import/ONNXImporter.h"
#include "sieve/Reference/Executor.h"

#include "onnx.pb.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <map>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace mlir;
namespace cl = llvm::cl;
namespace fs = llvm::sys::fs;
namespace path = llvm::sys::path;
using sieve::ref::Storage;
using sieve::ref::Tensor;

static cl::OptionCategory category("sieve-onnx-test options");
static cl::list<std::string> dirs(cl::Positional, cl::OneOrMore,
                                  cl::desc("<test folder | folder of tests>"),
                                  cl::cat(category));
static cl::opt<std::string>
    filter("filter",
           cl::desc("Run only tests whose folder name matches this "
                    "(POSIX extended) regular expression (searched, not "
                    "anchored)"),
           cl::cat(category));
static cl::opt<std::string> exclude("exclude",
                                    cl::desc("Skip tests whose name matches "
                                             "this regular expression"),
                                    cl::cat(category));
static cl::opt<std::string>
    expectedFile("expected",
                 cl::desc("Compare the results with this list; exit 1 on "
                          "any difference"),
                 cl::value_desc("file"), cl::cat(category));
static cl::opt<bool> json("json", cl::desc("Print the results as JSON"),
                          cl::cat(category));
static cl::opt<double> rtolOpt("rtol", cl::desc("Relative tolerance "
                                                "(default 1e-3)"),
                               cl::init(1e-3), cl::cat(category));
static cl::opt<double> atolOpt("atol", cl::desc("Absolute tolerance "
                                                "(default 1e-7)"),
                               cl::init(1e-7), cl::cat(category));
static cl::opt<double> timeoutOpt("timeout",
                                  cl::desc("Seconds per test before it is "
                                           "killed (default 60)"),
                                  cl::init(60), cl::cat(category));
static cl::opt<bool> readAsOpset13(
    "read-as-opset-13",
    cl::desc("Import a model of a default-domain opset below 13 as opset 13 "
             "when each of its operators has the same version at both (the "
             "importer takes opsets 13 and above)"),
    cl::cat(category));
static cl::opt<int> jobs("j", cl::desc("Tests run at once (default 1)"),
                         cl::init(1), cl::cat(category));
static cl::opt<int> execThreads("exec-threads",
                                cl::desc("Threads of the executor per test "
                                         "(default 1)"),
                                cl::init(1), cl::cat(category));

namespace {

struct TestCase {
  std::string name, dir;
  double rtol, atol;
};

struct Outcome {
  std::string status; // PASS, FAIL, UNSUPPORTED
  std::string reason;
  double seconds = 0;
  int64_t readFromOpset = 0; // --read-as-opset-13 applied: the old opset
};

/// Why a tensor could not be loaded: a status (FAIL / UNSUPPORTED) and text.
struct Failure {
  std::string status, reason;
};

std::string oneLine(std::string s) {
  for (char &c : s)
    if (c == '\n' || c == '\r')
      c = ' ';
  while (!s.empty() && s.back() == ' ')
    s.pop_back();
  return s;
}

//===----------------------------------------------------------------------===//
// TensorProto -> Tensor
//===----------------------------------------------------------------------===//

const char *dtypeName(int dt) {
  static const char *names[] = {
      "UNDEFINED", "FLOAT",  "UINT8",  "INT8",     "UINT16",    "INT16",
      "INT32",     "INT64",  "STRING", "BOOL",     "FLOAT16",   "DOUBLE",
      "UINT32",    "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"};
  return dt >= 0 && dt < int(std::size(names)) ? names[dt] : "OTHER";
}

/// The MLIR element type of an ONNX data type the CPU reference computes
/// exactly, or null with `why` set.
Type supportedElementType(MLIRContext *ctx, int dt, std::string &why) {
  Builder b(ctx);
  switch (dt) {
  case 1: return b.getF32Type();
  case 10: return b.getF16Type();
  case 16: return b.getBF16Type();
  case 9: return b.getI1Type();
  case 3: return b.getIntegerType(8);
  case 5: return b.getIntegerType(16);
  case 6: return b.getIntegerType(32);
  case 7: return b.getIntegerType(64);
  case 2: return b.getIntegerType(8, false);
  case 4: return b.getIntegerType(16, false);
  case 12: return b.getIntegerType(32, false);
  case 13: return b.getIntegerType(64, false);
  default: break;
  }
  why = std::string("element type ") + dtypeName(dt) +
        " is not supported by the CPU reference";
  return Type();
}

/// Whether the CPU reference computes values of this element type exactly:
/// it holds floats in float32 (so f64 would silently lose precision) and
/// integers in int64.
bool referenceSupports(Type t, std::string &why) {
  if (t.isF32() || t.isF16() || t.isBF16())
    return true;
  if (auto it = dyn_cast<IntegerType>(t))
    if (it.getWidth() == 1 || it.getWidth() == 8 || it.getWidth() == 16 ||
        it.getWidth() == 32 || it.getWidth() == 64)
      return true;
  std::string s;
  llvm::raw_string_ostream os(s);
  os << "element type " << t << " is not supported by the CPU reference";
  why = s;
  return false;
}

/// ONNX raw little-endian data -> a tensor in the executor's storage.
Tensor fromRaw(Type type, ArrayRef<int64_t> shape, const char *bytes) {
  Tensor t = Tensor::alloc(sieve::ref::storageFor(type), shape);
  int64_t n = t.numel();
  unsigned w = type.isInteger(1) ? 1 : type.getIntOrFloatBitWidth() / 8;
  for (int64_t i = 0; i < n; ++i) {
    const char *e = bytes + i * w;
    uint64_t u = 0;
    std::memcpy(&u, e, w);
    if (type.isF32()) {
      std::memcpy(&t.f()[i], e, 4);
    } else if (type.isF16()) {
      t.f()[i] = sieve::ref::f16BitsToFloat(uint16_t(u));
    } else if (type.isBF16()) {
      uint32_t b = uint32_t(u) << 16;
      std::memcpy(&t.f()[i], &b, 4);
    } else if (type.isInteger(1)) {
      t.b()[i] = u != 0;
    } else if (type.isUnsignedInteger() || w == 8) {
      t.i()[i] = int64_t(u);
    } else {
      unsigned bits = 64 - 8 * w;
      t.i()[i] = int64_t(u << bits) >> bits;
    }
  }
  return t;
}

/// Loads `file`. `want`, the element type the function gives the value (or
/// null), disambiguates bfloat16 data that the ONNX 1.12 tests store as
/// UINT16 (numpy has no bfloat16).
bool loadTensor(MLIRContext *ctx, StringRef file, Type want, Tensor &out,
                Type &type, std::string &name, Failure &err) {
  auto buf = llvm::MemoryBuffer::getFile(file);
  if (!buf) {
    err = {"FAIL", "cannot read " + file.str()};
    return false;
  }
  onnx::TensorProto t;
  if (!t.ParseFromArray((*buf)->getBufferStart(),
                        int((*buf)->getBufferSize()))) {
    err = {"FAIL", "cannot parse " + path::filename(file).str() +
                       " as onnx.TensorProto"};
    return false;
  }
  name = t.name();
  std::string why;
  type = supportedElementType(ctx, t.data_type(), why);
  if (type && want && want.isBF16() && t.data_type() == 4 /*UINT16*/)
    type = want;
  if (!type) {
    err = {"UNSUPPORTED", why + " (" + path::filename(file).str() + ")"};
    return false;
  }
  std::vector<int64_t> shape(t.dims().begin(), t.dims().end());
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  unsigned width = type.isInteger(1) ? 8 : type.getIntOrFloatBitWidth();
  size_t bytes = size_t(n) * (width / 8);
  std::string raw;
  if (t.has_raw_data()) {
    raw = t.raw_data();
  } else {
    raw.resize(bytes);
    auto put = [&](int64_t i, uint64_t v) {
      std::memcpy(&raw[size_t(i) * (width / 8)], &v, width / 8);
    };
    int64_t have = 0;
    switch (t.data_type()) {
    case 1:
      have = t.float_data_size();
      if (have == n)
        std::memcpy(raw.data(), t.float_data().data(), bytes);
      break;
    case 7:
      have = t.int64_data_size();
      for (int64_t i = 0; i < std::min(have, n); ++i)
        put(i, uint64_t(t.int64_data(int(i))));
      break;
    case 12: case 13:
      have = t.uint64_data_size();
      for (int64_t i = 0; i < std::min(have, n); ++i)
        put(i, t.uint64_data(int(i)));
      break;
    default: // int32_data holds int32 and narrower types, f16/bf16 bits
      have = t.int32_data_size();
      for (int64_t i = 0; i < std::min(have, n); ++i)
        put(i, uint64_t(int64_t(t.int32_data(int(i)))));
      break;
    }
    if (have != n) {
      err = {"FAIL", path::filename(file).str() + " holds " +
                         std::to_string(have) + " values for " +
                         std::to_string(n) + " elements"};
      return false;
    }
  }
  if (raw.size() < bytes) {
    err = {"FAIL", path::filename(file).str() + ": raw data too short"};
    return false;
  }
  out = fromRaw(type, shape, raw.data());
  return true;
}

std::string shapeStr(ArrayRef<int64_t> s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i)
    r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

std::string indexStr(ArrayRef<int64_t> shape, int64_t flat) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = shape[d] ? flat % shape[d] : 0;
    flat = shape[d] ? flat / shape[d] : 0;
  }
  return shapeStr(idx);
}

/// Empty if `got` matches `exp`, else why not.
std::string compare(const Tensor &got, const Tensor &exp, double rtol,
                    double atol) {
  if (got.shape != exp.shape)
    return "shape " + shapeStr(got.shape) + ", expected " +
           shapeStr(exp.shape);
  if (got.storage != exp.storage)
    return "element kind differs from the expected tensor's";
  int64_t n = exp.numel();
  if (exp.storage == Storage::F32) {
    int64_t worst = -1, bad = 0;
    double worstErr = 0;
    for (int64_t i = 0; i < n; ++i) {
      double g = got.f()[i], e = exp.f()[i];
      if (std::isnan(e) && std::isnan(g))
        continue;
      if (g == e)
        continue; // also equal infinities
      double err = std::fabs(g - e);
      if (!(err <= atol + rtol * std::fabs(e))) {
        ++bad;
        if (worst < 0 || !(err <= worstErr)) {
          worst = i;
          worstErr = err;
        }
      }
    }
    if (worst < 0)
      return "";
    std::string s;
    llvm::raw_string_ostream os(s);
    os << bad << " of " << n << " elements differ; max abs error "
       << llvm::format("%.3e", worstErr) << " at "
       << indexStr(exp.shape, worst) << ": got "
       << llvm::format("%.9g", got.f()[worst]) << ", expected "
       << llvm::format("%.9g", exp.f()[worst]);
    return s;
  }
  for (int64_t i = 0; i < n; ++i) {
    int64_t g = exp.storage == Storage::I64 ? got.i()[i] : got.b()[i];
    int64_t e = exp.storage == Storage::I64 ? exp.i()[i] : exp.b()[i];
    if (g != e)
      return "differs at " + indexStr(exp.shape, i) + ": got " +
             std::to_string(g) + ", expected " + std::to_string(e);
  }
  return "";
}

std::vector<std::string> sortedMatches(StringRef dir, StringRef prefix) {
  std::vector<std::pair<int, std::string>> found;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    StringRef base = path::filename(it->path());
    if (!base.starts_with(prefix))
      continue;
    StringRef num = base.drop_front(prefix.size());
    num = num.take_while([](char c) { return llvm::isDigit(c); });
    int k = 0;
    if (num.empty() || num.getAsInteger(10, k))
      continue;
    found.push_back({k, it->path()});
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> r;
  for (auto &f : found)
    r.push_back(f.second);
  return r;
}

//===----------------------------------------------------------------------===//
// Reading an older opset as opset 13
//===----------------------------------------------------------------------===//

/// The versions (since_version <= 13) of every default-domain operator, from
/// ONNX 1.12's schemas (onnx.defs.get_all_schemas_with_history()).
const char *const kSinceVersions =
    "Abs 1 6 13;Acos 7;Acosh 9;Add 1 6 7 13;And 1 7;ArgMax 1 11 12 13;"
    "ArgMin 1 11 12 13;Asin 7;Asinh 9;Atan 7;Atanh 9;AveragePool 1 7 10 11;"
    "BatchNormalization 1 6 7 9;BitShift 11;Cast 1 6 9 13;Ceil 1 6 13;"
    "Celu 12;Clip 1 6 11 12 13;Compress 9 11;Concat 1 4 11 13;"
    "ConcatFromSequence 11;Constant 1 9 11 12 13;ConstantOfShape 9;"
    "Conv 1 11;ConvInteger 10;ConvTranspose 1 11;Cos 7;Cosh 9;CumSum 11;"
    "DepthToSpace 1 11 13;DequantizeLinear 10 13;Det 11;Div 1 6 7 13;"
    "Dropout 1 6 7 10 12 13;DynamicQuantizeLinear 11;Einsum 12;Elu 1 6;"
    "Equal 1 7 11 13;Erf 9 13;Exp 1 6 13;Expand 8 13;EyeLike 9;"
    "Flatten 1 9 11 13;Floor 1 6 13;GRU 1 3 7;Gather 1 11 13;"
    "GatherElements 11 13;GatherND 11 12 13;Gemm 1 6 7 9 11 13;"
    "GlobalAveragePool 1;GlobalLpPool 1 2;GlobalMaxPool 1;Greater 1 7 9 13;"
    "GreaterOrEqual 12;HardSigmoid 1 6;Hardmax 1 11 13;Identity 1 13;"
    "If 1 11 13;InstanceNormalization 1 6;IsInf 10;IsNaN 9 13;LRN 1 13;"
    "LSTM 1 7;LeakyRelu 1 6;Less 1 7 9 13;LessOrEqual 12;Log 1 6 13;"
    "LogSoftmax 1 11 13;Loop 1 11 13;LpNormalization 1;LpPool 1 2 11;"
    "MatMul 1 9 13;MatMulInteger 10;Max 1 6 8 12 13;MaxPool 1 8 10 11 12;"
    "MaxRoiPool 1;MaxUnpool 9 11;Mean 1 6 8 13;"
    "MeanVarianceNormalization 9 13;Min 1 6 8 12 13;Mod 10 13;Mul 1 6 7 13;"
    "Multinomial 7;Neg 1 6 13;NegativeLogLikelihoodLoss 12 13;"
    "NonMaxSuppression 10 11;NonZero 9 13;Not 1;OneHot 9 11;Or 1 7;"
    "PRelu 1 6 7 9;Pad 1 2 11 13;Pow 1 7 12 13;QLinearConv 10;"
    "QLinearMatMul 10;QuantizeLinear 10 13;RNN 1 7;RandomNormal 1;"
    "RandomNormalLike 1;RandomUniform 1;RandomUniformLike 1;Range 11;"
    "Reciprocal 1 6 13;ReduceL1 1 11 13;ReduceL2 1 11 13;"
    "ReduceLogSum 1 11 13;ReduceLogSumExp 1 11 13;ReduceMax 1 11 12 13;"
    "ReduceMean 1 11 13;ReduceMin 1 11 12 13;ReduceProd 1 11 13;"
    "ReduceSum 1 11 13;ReduceSumSquare 1 11 13;Relu 1 6 13;Reshape 1 5 13;"
    "Resize 10 11 13;ReverseSequence 10;RoiAlign 10;Round 11;Scan 8 9 11;"
    "Scatter 9 11;ScatterElements 11 13;ScatterND 11 13;Selu 1 6;"
    "SequenceAt 11;SequenceConstruct 11;SequenceEmpty 11;SequenceErase 11;"
    "SequenceInsert 11;SequenceLength 11;Shape 1 13;Shrink 9;"
    "Sigmoid 1 6 13;Sign 9 13;Sin 7;Sinh 9;Size 1 13;Slice 1 10 11 13;"
    "Softmax 1 11 13;SoftmaxCrossEntropyLoss 12 13;Softplus 1;Softsign 1;"
    "SpaceToDepth 1 13;Split 1 2 11 13;SplitToSequence 11;Sqrt 1 6 13;"
    "Squeeze 1 11 13;StringNormalizer 10;Sub 1 6 7 13;Sum 1 6 8 13;Tan 7;"
    "Tanh 1 6 13;TfIdfVectorizer 9;ThresholdedRelu 10;Tile 1 6 13;"
    "TopK 1 10 11;Transpose 1 13;Unique 11;Unsqueeze 1 11 13;"
    "Upsample 1 7 9 10;Where 9;Xor 1 7;";

/// The version of `op` that opset `opset` selects, or -1 if unknown.
int versionAt(StringRef op, int64_t opset) {
  static const llvm::StringMap<std::vector<int>> table = [] {
    llvm::StringMap<std::vector<int>> t;
    SmallVector<StringRef> entries;
    StringRef(kSinceVersions).split(entries, ';', -1, false);
    for (StringRef e : entries) {
      SmallVector<StringRef> words;
      e.split(words, ' ', -1, false);
      std::vector<int> &v = t[words[0]];
      for (StringRef w : ArrayRef(words).drop_front()) {
        int x = 0;
        if (!w.getAsInteger(10, x))
          v.push_back(x);
      }
    }
    return t;
  }();
  auto it = table.find(op);
  if (it == table.end())
    return -1;
  int best = -1;
  for (int v : it->second)
    if (v <= opset)
      best = std::max(best, v);
  return best;
}

/// If `model` imports a default-domain opset below 13 and every node is an
/// operator whose version is the same at that opset and at 13 (so the
/// model means the same thing), writes a copy that imports opset 13 to
/// `out` and returns the old opset; else returns 0.
int64_t upgradeOpset(StringRef modelPath, std::string &out) {
  auto buf = llvm::MemoryBuffer::getFile(modelPath);
  if (!buf)
    return 0;
  onnx::ModelProto model;
  if (!model.ParseFromArray((*buf)->getBufferStart(),
                            int((*buf)->getBufferSize())))
    return 0;
  onnx::OperatorSetIdProto *opset = nullptr;
  for (auto &o : *model.mutable_opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = &o;
  if (!opset || opset->version() >= 13 || model.functions_size() ||
      model.opset_import_size() != 1)
    return 0;
  int64_t old = opset->version();
  for (const auto &node : model.graph().node()) {
    if (!node.domain().empty() && node.domain() != "ai.onnx")
      return 0;
    for (const auto &a : node.attribute())
      if (a.has_g() || a.graphs_size())
        return 0;
    int v = versionAt(node.op_type(), old);
    if (v < 0 || v != versionAt(node.op_type(), 13))
      return 0;
  }
  opset->set_version(13);
  SmallString<128> tmp;
  int fd;
  if (fs::createTemporaryFile("sieve-onnx-test", "onnx", fd, tmp))
    return 0;
  std::string bytes = model.SerializeAsString();
  bool ok = ::write(fd, bytes.data(), bytes.size()) == ssize_t(bytes.size());
  ::close(fd);
  if (!ok) {
    fs::remove(tmp);
    return 0;
  }
  out = tmp.str().str();
  return old;
}

/// Set by runTest: the opset that --read-as-opset-13 replaced, or 0.
int64_t childReadFromOpset = 0;

/// Runs one test in this (child) process.
Outcome runTest(const TestCase &test) {
  MLIRContext ctx(MLIRContext::Threading::DISABLED);
  DialectRegistry registry;
  sieve::registerImportDialects(registry);
  ctx.appendDialectRegistry(registry);
  ctx.loadAllAvailableDialects();
  std::string firstError;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    if (d.getSeverity() == DiagnosticSeverity::Error && firstError.empty())
      firstError = oneLine(d.str());
    return success();
  });

  SmallString<256> model(test.dir);
  path::append(model, "model.onnx");
  std::string upgraded;
  int64_t oldOpset = 0;
  if (readAsOpset13)
    oldOpset = upgradeOpset(model, upgraded);
  OwningOpRef<ModuleOp> module = sieve::importONNXModel(
      oldOpset ? StringRef(upgraded) : StringRef(model), &ctx);
  if (oldOpset)
    fs::remove(upgraded);
  childReadFromOpset = oldOpset;
  if (!module) {
    // Unsupported ops, opsets, element types and untyped values are gaps;
    // any other import error (a malformed model) is a failure.
    StringRef e(firstError);
    bool gap = e.contains("unsupported") || e.contains("not supported") ||
               e.contains("are supported") || e.contains("no type inference") ||
               e.contains("imports no opset of the default");
    return {gap ? "UNSUPPORTED" : "FAIL", "import: " + firstError};
  }
  func::FuncOp func = sieve::ref::findFunction(*module, "");
  if (!func)
    return {"FAIL", "no function: " + firstError};

  // The reference holds every float as float32: refuse types it would not
  // compute exactly (f64) rather than compare a silently narrowed result.
  std::string why;
  bool ok = true;
  auto check = [&](Type t) {
    if (auto s = dyn_cast<ShapedType>(t))
      t = s.getElementType();
    if (isa<NoneType>(t))
      return;
    if (ok && !referenceSupports(t, why))
      ok = false;
  };
  for (Type t : func.getArgumentTypes())
    check(t);
  func.walk([&](Operation *op) {
    for (Type t : op->getResultTypes())
      check(t);
  });
  if (!ok)
    return {"UNSUPPORTED", why};

  std::vector<std::string> sets = sortedMatches(test.dir, "test_data_set_");
  if (sets.empty())
    return {"FAIL", "no test_data_set_* folder"};
  sieve::ref::Executor exec(func, test.dir, execThreads);
  for (const std::string &set : sets) {
    std::string setName = path::filename(set).str();
    std::vector<Tensor> inputs, expected, outputs;
    Failure err;
    TypeRange argTypes = func.getArgumentTypes();
    TypeRange resultTypes = func.getResultTypes();
    auto elementOf = [](TypeRange types, size_t k) -> Type {
      if (k >= types.size())
        return Type();
      if (auto s = dyn_cast<ShapedType>(types[k]))
        return s.getElementType();
      return types[k];
    };
    for (const std::string &f : sortedMatches(set, "input_")) {
      Tensor t;
      Type ty;
      std::string name;
      if (!loadTensor(&ctx, f, elementOf(argTypes, inputs.size()), t, ty,
                      name, err))
        return {err.status, err.reason};
      inputs.push_back(t);
    }
    std::vector<Type> expectedTypes;
    for (const std::string &f : sortedMatches(set, "output_")) {
      Tensor t;
      Type ty;
      std::string name;
      if (!loadTensor(&ctx, f, elementOf(resultTypes, expected.size()), t, ty,
                      name, err))
        return {err.status, err.reason};
      expected.push_back(t);
      expectedTypes.push_back(ty);
    }
    if (inputs.size() != func.getNumArguments())
      return {"FAIL", setName + ": " + std::to_string(inputs.size()) +
                          " inputs for a function of " +
                          std::to_string(func.getNumArguments())};
    for (size_t k = 0; k < inputs.size(); ++k) {
      auto rt = dyn_cast<RankedTensorType>(argTypes[k]);
      if (!rt)
        continue;
      bool same = rt.getRank() == int64_t(inputs[k].shape.size());
      for (int64_t d = 0; same && d < rt.getRank(); ++d)
        same = rt.isDynamicDim(d) || rt.getDimSize(d) == inputs[k].shape[d];
      if (!same) {
        std::string s;
        llvm::raw_string_ostream os(s);
        os << setName << ": input " << k << " has shape "
           << shapeStr(inputs[k].shape) << " but the model declares " << rt
           << " (inconsistent test data)";
        return {"FAIL", s};
      }
    }
    firstError.clear();
    if (failed(exec.run(inputs, outputs))) {
      std::string msg = "executor: " + firstError;
      bool unsupported =
          StringRef(firstError).contains_insensitive("not support") ||
          StringRef(firstError).contains_insensitive("unsupported");
      return {unsupported ? "UNSUPPORTED" : "FAIL", msg};
    }
    if (outputs.size() != expected.size())
      return {"FAIL", setName + ": " + std::to_string(outputs.size()) +
                          " outputs, expected " +
                          std::to_string(expected.size())};
    for (size_t k = 0; k < expected.size(); ++k) {
      Type rt = elementOf(resultTypes, k);
      if (rt != expectedTypes[k]) {
        std::string s;
        llvm::raw_string_ostream os(s);
        os << setName << ": output " << k << " has element type " << rt
           << ", expected " << expectedTypes[k];
        return {"FAIL", s};
      }
      std::string diff =
          compare(outputs[k], expected[k], test.rtol, test.atol);
      if (!diff.empty())
        return {"FAIL", setName + ": output " + std::to_string(k) + ": " +
                            diff};
    }
  }
  return {"PASS", ""};
}

//===----------------------------------------------------------------------===//
// Children
//===----------------------------------------------------------------------===//

struct Child {
  size_t index;
  pid_t pid;
  int fd;
  std::string data;
  std::chrono::steady_clock::time_point start;
  bool killed = false;
};

Outcome finish(Child &c) {
  int status = 0;
  waitpid(c.pid, &status, 0);
  close(c.fd);
  Outcome o;
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                            c.start)
                  .count();
  if (c.killed)
    return {"FAIL", llvm::formatv("timed out after {0} s (killed)",
                                  timeoutOpt.getValue())
                        .str(),
            o.seconds};
  if (WIFSIGNALED(status))
    return {"FAIL",
            std::string("crashed: ") + strsignal(WTERMSIG(status)) +
                (c.data.empty() ? "" : " (" + oneLine(c.data) + ")"),
            o.seconds};
  StringRef d(c.data);
  size_t tab = d.find('\t');
  if (WEXITSTATUS(status) != 0 || tab == StringRef::npos)
    return {"FAIL",
            "runner exited with status " + std::to_string(WEXITSTATUS(status)),
            o.seconds};
  o.status = d.take_front(tab).str();
  auto [opset, reason] = d.drop_front(tab + 1).split('\t');
  if (opset.getAsInteger(10, o.readFromOpset))
    o.readFromOpset = 0;
  o.reason = oneLine(reason.str());
  return o;
}

std::string resultLine(const TestCase &t, const Outcome &o) {
  return o.status + " " + t.name + (o.reason.empty() ? "" : ": " + o.reason);
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "Runs ONNX backend node tests through the importer and the CPU "
      "reference.\n");

  // Expected results and per-test tolerances.
  std::map<std::string, std::string> expectedStatus;
  std::map<std::string, std::pair<double, double>> tolerances;
  if (!expectedFile.empty()) {
    auto buf = llvm::MemoryBuffer::getFile(expectedFile);
    if (!buf) {
      llvm::errs() << "sieve-onnx-test: cannot read " << expectedFile << "\n";
      return 2;
    }
    SmallVector<StringRef> lines;
    (*buf)->getBuffer().split(lines, '\n');
    for (StringRef line : lines) {
      line = line.trim();
      if (line.empty() || line.starts_with("#"))
        continue;
      auto [status, rest] = line.split(' ');
      StringRef name = rest.split(':').first.split(' ').first.trim();
      if (status == "TOLERANCE") {
        double rtol = rtolOpt, atol = atolOpt;
        SmallVector<StringRef> words;
        rest.split(words, ' ', -1, false);
        for (StringRef w : words) {
          if (w.consume_front("rtol="))
            rtol = std::strtod(w.str().c_str(), nullptr);
          else if (w.consume_front("atol="))
            atol = std::strtod(w.str().c_str(), nullptr);
        }
        tolerances[name.str()] = {rtol, atol};
      } else if (status == "PASS" || status == "FAIL" ||
                 status == "UNSUPPORTED") {
        expectedStatus[name.str()] = status.str();
      } else {
        llvm::errs() << "sieve-onnx-test: " << expectedFile
                     << ": bad line: " << line << "\n";
        return 2;
      }
    }
  }

  llvm::Regex filterRe(filter), excludeRe(exclude);
  for (auto [re, text] : {std::pair{&filterRe, &filter},
                          std::pair{&excludeRe, &exclude}}) {
    std::string error;
    if (!text->empty() && !re->isValid(error)) {
      llvm::errs() << "sieve-onnx-test: bad regular expression: " << error
                   << "\n";
      return 2;
    }
  }

  std::vector<TestCase> tests;
  auto addTest = [&](StringRef dir) {
    std::string name = path::filename(dir).str();
    if (!filter.empty() && !filterRe.match(name))
      return;
    if (!exclude.empty() && excludeRe.match(name))
      return;
    TestCase t{name, dir.str(), rtolOpt, atolOpt};
    auto it = tolerances.find(name);
    if (it != tolerances.end())
      std::tie(t.rtol, t.atol) = it->second;
    tests.push_back(t);
  };
  for (const std::string &d : dirs) {
    SmallString<256> model(d);
    path::append(model, "model.onnx");
    if (fs::exists(model)) {
      addTest(d);
      continue;
    }
    if (!fs::is_directory(d)) {
      llvm::errs() << "sieve-onnx-test: '" << d
                   << "' is not a test folder nor a folder of tests\n";
      return 2;
    }
    std::vector<std::string> sub;
    std::error_code ec;
    for (fs::directory_iterator it(d, ec), end; !ec && it != end;
         it.increment(ec)) {
      SmallString<256> m(it->path());
      path::append(m, "model.onnx");
      if (fs::exists(m))
        sub.push_back(it->path());
    }
    std::sort(sub.begin(), sub.end());
    for (const std::string &s : sub)
      addTest(s);
  }

  // Run each test in a child process: a crash or a hang becomes a FAIL.
  auto startAll = std::chrono::steady_clock::now();
  std::vector<std::optional<Outcome>> outcomes(tests.size());
  std::vector<Child> running;
  size_t next = 0, printed = 0;
  int width = std::max(1, jobs.getValue());
  llvm::outs().flush();
  auto printReady = [&] {
    for (; printed < tests.size() && outcomes[printed]; ++printed)
      if (!json)
        llvm::outs() << resultLine(tests[printed], *outcomes[printed]) << "\n";
    llvm::outs().flush();
  };
  while (next < tests.size() || !running.empty()) {
    while (next < tests.size() && int(running.size()) < width) {
      int fds[2];
      if (pipe(fds) != 0) {
        llvm::errs() << "sieve-onnx-test: pipe failed\n";
        return 2;
      }
      llvm::outs().flush();
      llvm::errs().flush();
      pid_t pid = fork();
      if (pid < 0) {
        llvm::errs() << "sieve-onnx-test: fork failed\n";
        return 2;
      }
      if (pid == 0) {
        close(fds[0]);
        Outcome o = runTest(tests[next]);
        std::string msg = o.status + "\t" +
                          std::to_string(childReadFromOpset) + "\t" +
                          o.reason;
        const char *p = msg.data();
        size_t left = msg.size();
        while (left) {
          ssize_t w = write(fds[1], p, left);
          if (w <= 0)
            break;
          p += w;
          left -= size_t(w);
        }
        _exit(0);
      }
      close(fds[1]);
      running.push_back(
          {next, pid, fds[0], "", std::chrono::steady_clock::now()});
      ++next;
    }
    std::vector<pollfd> pfds;
    for (Child &c : running)
      pfds.push_back({c.fd, POLLIN, 0});
    poll(pfds.data(), pfds.size(), 100);
    auto now = std::chrono::steady_clock::now();
    for (size_t k = 0; k < running.size();) {
      Child &c = running[k];
      bool done = false;
      if (pfds[k].revents & (POLLIN | POLLHUP | POLLERR)) {
        char buf[4096];
        ssize_t r = read(c.fd, buf, sizeof buf);
        if (r > 0)
          c.data.append(buf, size_t(r));
        else
          done = true;
      }
      if (!done && !c.killed &&
          std::chrono::duration<double>(now - c.start).count() > timeoutOpt) {
        kill(c.pid, SIGKILL);
        c.killed = true;
      }
      if (done) {
        outcomes[c.index] = finish(c);
        pfds.erase(pfds.begin() + k);
        running.erase(running.begin() + k);
        continue;
      }
      ++k;
    }
    printReady();
  }
  printReady();
  double total =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - startAll)
          .count();

  int pass = 0, fail = 0, unsupported = 0;
  for (auto &o : outcomes) {
    if (o->status == "PASS")
      ++pass;
    else if (o->status == "UNSUPPORTED")
      ++unsupported;
    else
      ++fail;
  }

  // Differences from the expected list.
  std::vector<std::string> diffs;
  if (!expectedFile.empty()) {
    std::map<std::string, bool> seen;
    for (size_t i = 0; i < tests.size(); ++i) {
      const std::string &name = tests[i].name;
      seen[name] = true;
      auto it = expectedStatus.find(name);
      std::string want =
          it == expectedStatus.end() ? "(not listed)" : it->second;
      if (want != outcomes[i]->status)
        diffs.push_back(name + ": expected " + want + ", got " +
                        resultLine(tests[i], *outcomes[i]));
    }
    for (auto &[name, status] : expectedStatus)
      if (!seen.count(name))
        diffs.push_back(name + ": listed as " + status +
                        " but not run (not found or filtered out)");
  }

  if (json) {
    llvm::json::Array arr;
    for (size_t i = 0; i < tests.size(); ++i)
      arr.push_back(llvm::json::Object{{"name", tests[i].name},
                                       {"status", outcomes[i]->status},
                                       {"reason", outcomes[i]->reason},
                                       {"seconds", outcomes[i]->seconds},
                                       {"read_from_opset",
                                        outcomes[i]->readFromOpset}});
    llvm::json::Object root{{"run", int64_t(tests.size())},
                            {"passed", pass},
                            {"failed", fail},
                            {"unsupported", unsupported},
                            {"seconds", total},
                            {"tests", std::move(arr)}};
    if (!expectedFile.empty()) {
      llvm::json::Array d;
      for (auto &s : diffs)
        d.push_back(s);
      root["differences"] = std::move(d);
    }
    llvm::outs() << llvm::formatv("{0:2}", llvm::json::Value(std::move(root)))
                 << "\n";
  } else {
    llvm::outs().flush();
    for (auto &s : diffs) // on stderr, so that lit shows them on a failure
      llvm::errs() << "DIFFERS " << s << "\n";
    llvm::outs() << llvm::formatv("sieve-onnx-test: {0} run, {1} passed, {2} "
                                  "failed, {3} unsupported in {4:f1} s",
                                  tests.size(), pass, fail, unsupported, total);
    if (!expectedFile.empty())
      llvm::outs() << "; " << diffs.size() << " differ from "
                   << path::filename(expectedFile);
    llvm::outs() << "\n";
  }
  if (!expectedFile.empty())
    return diffs.empty() ? 0 : 1;
  return 0;
}
