//===- sieve-translate.cpp - translations into and out of sieve IR --------===//
//
//   sieve-translate --import-onnx model.onnx [-o model.mlir]
//   sieve-translate --emit-cuda kernels.mlir [-o model.cu]
//
// Prints the `onnx`-dialect module of an ONNX model, or the CUDA source of a
// planned kernel.program. Errors are one line on stderr and a non-zero exit;
// no output file is left behind on failure.
//
//===----------------------------------------------------------------------===//

#include "sieve/Codegen/Codegen.h"
#include "sieve/Import/ONNXImporter.h"

#include "mlir/Parser/Parser.h"
#include "llvm/Support/SourceMgr.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory category("sieve-translate options");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input file>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string> outputFile("o", cl::desc("Output file (default: stdout)"),
                                       cl::value_desc("file"), cl::init("-"),
                                       cl::cat(category));

enum class Mode { None, ImportONNX, EmitCUDA };
static cl::opt<Mode> mode(
    cl::desc("Translation:"), cl::init(Mode::None),
    cl::values(clEnumValN(Mode::ImportONNX, "import-onnx",
                          "ONNX model (.onnx) -> onnx dialect MLIR"),
               clEnumValN(Mode::EmitCUDA, "emit-cuda",
                          "planned kernel.program (.mlir) -> CUDA source")),
    cl::cat(category));

static cl::opt<int64_t> maxDenseElements(
    "max-dense-elements",
    cl::desc("Inline ONNX tensors with at most this many elements become "
             "dense<...> attributes; larger ones dense_resource (default 64)"),
    cl::init(64), cl::cat(category));

static cl::opt<int64_t> elideResources(
    "elide-resources-larger-than",
    cl::desc("Print resource blobs larger than this many bytes as elided "
             "(0 prints them whole; default 4096)"),
    cl::init(4096), cl::cat(category));

/// Writes -o (kept only when everything was written); returns the exit code.
static int writeOutput(llvm::function_ref<void(raw_ostream &)> write) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFile, &error);
  if (!output) {
    llvm::errs() << "sieve-translate: " << error << "\n";
    return 1;
  }
  write(output->os());
  output->os().flush();
  if (output->os().has_error()) {
    llvm::errs() << "sieve-translate: cannot write '" << outputFile << "'\n";
    output->os().clear_error();
    return 1;
  }
  output->keep();
  return 0;
}

/// --emit-cuda: parse a module holding one planned kernel.program and
/// write its CUDA source.
static int emitCUDA(MLIRContext &context, bool &failedDiag) {
  llvm::SourceMgr sourceMgr;
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(inputFile, sourceMgr, ParserConfig(&context));
  if (!module || failedDiag)
    return 1;
  auto programs = llvm::to_vector(module->getOps<sieve::kernel::ProgramOp>());
  if (programs.size() != 1) {
    llvm::errs() << "sieve-translate: --emit-cuda expects one kernel.program, "
                    "found "
                 << programs.size()
                 << " (run sieve-opt --sieve-lower-to-kernels "
                    "--sieve-plan-buffers first)\n";
    return 1;
  }
  std::string source;
  llvm::raw_string_ostream os(source);
  if (failed(sieve::emitCUDA(programs.front(), os)) || failedDiag)
    return 1;
  return writeOutput([&](raw_ostream &os) { os << source; });
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  cl::HideUnrelatedOptions({&category, &cl::getGeneralCategory()});
  cl::ParseCommandLineOptions(
      argc, argv,
      "sieve-translate: translations into and out of sieve IR\n\n"
      "  sieve-translate --import-onnx model.onnx -o model.mlir\n"
      "  sieve-translate --emit-cuda kernels.mlir -o model.cu\n\n"
      "Weights kept as ONNX external data stay in their files: the IR names\n"
      "them by file, offset and length (#onnx.external).\n");

  if (mode == Mode::None) {
    llvm::errs() << "sieve-translate: choose a translation (--import-onnx, "
                    "--emit-cuda); see --help\n";
    return 1;
  }

  DialectRegistry registry;
  sieve::registerImportDialects(registry);
  registry.insert<sieve::SieveDialect, sieve::kernel::KernelDialect>();
  MLIRContext context(registry);
  context.printOpOnDiagnostic(false);
  bool failedDiag = false;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    const char *kind = diag.getSeverity() == DiagnosticSeverity::Error
                           ? "error"
                           : diag.getSeverity() == DiagnosticSeverity::Warning
                                 ? "warning"
                                 : "note";
    failedDiag |= diag.getSeverity() == DiagnosticSeverity::Error;
    llvm::errs() << inputFile << ": " << kind << ": " << diag.str() << "\n";
    return success();
  });

  if (maxDenseElements < 0) {
    llvm::errs() << "sieve-translate: --max-dense-elements must be >= 0\n";
    return 1;
  }
  if (mode == Mode::EmitCUDA)
    return emitCUDA(context, failedDiag);

  sieve::ONNXImportOptions options;
  options.maxDenseElements = maxDenseElements;
  OwningOpRef<ModuleOp> module =
      sieve::importONNXModel(inputFile, &context, options);
  if (!module || failedDiag)
    return 1;

  OpPrintingFlags flags;
  if (elideResources > 0)
    flags.elideLargeResourceString(elideResources);
  return writeOutput([&](raw_ostream &os) {
    module->print(os, flags);
    os << "\n";
  });
}
