//===- Retrieval.h - the long-context retrieval benchmark -------*- C++ -*-===//
//
// `sieve-run MODEL --retrieval cases.jsonl` reads the cases that
// models/retrieval8/task.py prints and reports exact-match accuracy by
// context length and needle depth. The scoring and the report are shared by
// the CPU reference (sieve-run.cpp) and compiled models (Compiled.cpp): each
// only supplies a forward function.
//
//===----------------------------------------------------------------------===//
#ifndef SIEVE_TOOLS_SIEVE_RUN_RETRIEVAL_H
#define SIEVE_TOOLS_SIEVE_RUN_RETRIEVAL_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace sieve::run {

/// One line of task.py's output.
struct RetrievalCase {
  int64_t context = 0;          // "length": the cell's context length
  double depth = 0;             // "depth": where the needle fact sits
  std::vector<int32_t> tokens;  // the prompt bytes followed by the answer's
  int64_t promptLength = 0;     // bytes of `tokens` that are the prompt
  std::string answer;           // "answer"
};

/// Reads task.py's JSON lines: {"length", "depth", "prompt" (the prompt bytes
/// as a latin-1 string: one code point U+0000..U+00FF per byte), "answer"}.
/// The error names the line and what is wrong with it.
llvm::Expected<std::vector<RetrievalCase>>
readRetrievalCases(llvm::StringRef path);

/// Logits [rows, vocab] (row-major) of one teacher-forced pass over the
/// case's `tokens` (prompt then answer); `vocab` is set to the vocabulary
/// size. Without token pruning rows = tokens.size(); a model that prunes the
/// prompt returns the rows of the kept prompt tokens followed by those of
/// the answer tokens, and sets `kept` to the kept prompt indices (left empty
/// otherwise). The answer is read from the last rows either way.
using RetrievalForward = llvm::function_ref<void(
    const RetrievalCase &c, std::vector<float> &logits, int64_t &vocab,
    std::vector<int64_t> &kept)>;

/// Runs every case through `forward` and prints the report on stdout (a
/// table by context and depth, or with `json` one JSON object), progress on
/// stderr; each case's result lists the kept prompt indices ("kept") when
/// the forward pruned its prompt. `where` says what ran the cases (for example "cpu, onnx level").
/// Returns the process exit code.
int runRetrieval(const std::vector<RetrievalCase> &cases,
                 RetrievalForward forward, bool json, llvm::StringRef where);

} // namespace sieve::run

#endif
