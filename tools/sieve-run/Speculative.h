//===- Speculative.h - the greedy self-speculative loop ---------*- C++ -*-===//
//
// One loop for the CPU reference (Session with a draft bypass) and for
// compiled models (the C API's draft step): draft k tokens greedily, verify
// the k + 1 positions with one call of the full model, keep the longest
// prefix where the draft equals the full model's argmax plus the full
// model's next token, and roll the KV cache back to what was kept
// (docs/speculative.md).
//
//===----------------------------------------------------------------------===//
#ifndef SIEVE_TOOLS_SIEVE_RUN_SPECULATIVE_H
#define SIEVE_TOOLS_SIEVE_RUN_SPECULATIVE_H

#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sieve::run {

/// A model with a KV cache of one sequence. Implementations exit with an
/// error message on failure (sieve-run's style).
class SpeculativeTarget {
public:
  virtual ~SpeculativeTarget();
  /// Starts over with `prompt`; returns the full model's next token.
  virtual int64_t prefill(const std::vector<int64_t> &prompt) = 0;
  /// Appends `token` with the full model (decode step); its next token.
  virtual int64_t decode(int64_t token) = 0;
  /// Appends `token` with the draft; the draft's next token.
  virtual int64_t draft(int64_t token) = 0;
  /// Appends `tokens` with the full model in one call; the full model's
  /// next token after each of them.
  virtual std::vector<int64_t> verify(const std::vector<int64_t> &tokens) = 0;
  /// Positions in the cache, and forgetting those >= length.
  virtual int64_t length() = 0;
  virtual void truncate(int64_t length) = 0;
};

struct GenerationResult {
  std::vector<int64_t> tokens;
  double decodeSeconds = 0; // after the prefill's first token
  // Speculative only:
  int64_t verifySteps = 0, drafted = 0, accepted = 0;
  double acceptanceRate() const {
    return drafted ? double(accepted) / double(drafted) : 0;
  }
  /// Tokens committed per verify step (accepted drafts + the full model's).
  double tokensPerVerify() const {
    return verifySteps ? double(tokens.size() - 1) / double(verifySteps) : 0;
  }
  double tokensPerSecond() const {
    return decodeSeconds > 0 && tokens.size() > 1
               ? double(tokens.size() - 1) / decodeSeconds
               : 0;
  }
};

/// Plain greedy: prefill, then one decode step per token.
GenerationResult generateGreedy(SpeculativeTarget &target,
                                const std::vector<int64_t> &prompt,
                                int64_t maxNewTokens);
/// Greedy self-speculative with `draftTokens` drafted per verify step.
GenerationResult generateSpeculative(SpeculativeTarget &target,
                                     const std::vector<int64_t> &prompt,
                                     int64_t maxNewTokens,
                                     int64_t draftTokens);

/// "2,4.mlp,5.attention" for the (layer, block) pairs of a draft's
/// `sieve.removed` ("layer" blocks print as the bare index).
std::string
describeSkipped(const std::vector<std::pair<int64_t, std::string>> &units);

/// Runs both on `target`, prints the report (text or --json) and returns
/// the exit code: 0 when the speculative tokens equal plain greedy's.
/// `skipped` describes the draft ("3.attention,5"), `device` cpu / gpu,
/// `verify` how the target verifies (for the report).
int reportSpeculative(SpeculativeTarget &target,
                      const std::vector<int64_t> &prompt,
                      const std::string &promptText, int64_t maxNewTokens,
                      int64_t draftTokens, const std::string &skipped,
                      const std::string &device, const std::string &verify,
                      bool json);

} // namespace sieve::run

#endif
