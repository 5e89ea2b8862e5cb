//===- Compiled.h - sieve-run on a compiled model folder --------*- C++ -*-===//
#ifndef SIEVE_TOOLS_SIEVE_RUN_COMPILED_H
#define SIEVE_TOOLS_SIEVE_RUN_COMPILED_H

#include <cstdint>
#include <string>
#include <vector>

namespace sieve::run {

/// What sieve-run was asked to do, for a compiled model (model.sieve/).
struct CompiledOptions {
  std::string modelDir;
  std::string evalFile;      // --eval
  int64_t window = 0;
  int64_t maxWindows = 0;
  std::string prompt;        // --prompt
  int64_t maxNewTokens = 0;
  double temperature = 0;
  int64_t topK = 0;
  double topP = 1;
  uint64_t seed = 0;
  std::string logitsOut;     // --logits-out
  std::string inputFile;
  int64_t inputBytes = -1;
  std::string batchPrompts;  // --batch-prompts
  std::string retrievalFile; // --retrieval
  bool checkKV = false;
  bool bench = false;        // --bench
  std::vector<int64_t> benchPromptLengths; // checked by sieve-run.cpp
  std::vector<int64_t> benchBatches;
  int64_t benchDecodeSteps = 0;
  int64_t maxContext = 0;
  int64_t maxBatch = 0;
  bool json = false;
  bool speculative = false;  // --speculative (with --prompt)
  int64_t draftTokens = 0;   // --speculative='draft=K'; 0: the model's
  std::string draftSkipped;  // filled from the manifest ("2,4.mlp")
  bool verifyGraph = false;  // --verify-graph: sieve_verify_step
};

/// Opens DIR/libmodel.so through the C API (sieve_runtime.h) and runs the
/// requested mode. Returns the process exit code.
int runCompiled(const CompiledOptions &options);

/// True when `path` is a compiled model folder (it holds manifest.json).
bool isCompiledModel(const std::string &path);

} // namespace sieve::run

#endif
