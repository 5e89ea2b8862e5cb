//===- Speculative.cpp - the greedy self-speculative loop -----------------===//

#include "Speculative.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

#include <algorithm>
#include <chrono>

using namespace sieve::run;

SpeculativeTarget::~SpeculativeTarget() = default;

namespace {
double secondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
      .count();
}
} // namespace

GenerationResult sieve::run::generateGreedy(SpeculativeTarget &target,
                                            const std::vector<int64_t> &prompt,
                                            int64_t maxNewTokens) {
  GenerationResult r;
  if (maxNewTokens < 1)
    return r;
  r.tokens.push_back(target.prefill(prompt));
  auto t0 = std::chrono::steady_clock::now();
  while (int64_t(r.tokens.size()) < maxNewTokens)
    r.tokens.push_back(target.decode(r.tokens.back()));
  r.decodeSeconds = secondsSince(t0);
  return r;
}

GenerationResult
sieve::run::generateSpeculative(SpeculativeTarget &target,
                                const std::vector<int64_t> &prompt,
                                int64_t maxNewTokens, int64_t draftTokens) {
  GenerationResult r;
  if (maxNewTokens < 1)
    return r;
  // `next` is the full model's token after everything in the cache; it is
  // committed but not yet in the cache.
  int64_t next = target.prefill(prompt);
  r.tokens.push_back(next);
  auto t0 = std::chrono::steady_clock::now();
  while (int64_t(r.tokens.size()) < maxNewTokens) {
    int64_t base = target.length();
    // A verify step commits at most k + 1 tokens: draft no more than the
    // ones still wanted.
    int64_t k = std::min<int64_t>(draftTokens,
                                  maxNewTokens - int64_t(r.tokens.size()) - 1);
    std::vector<int64_t> drafts;
    for (int64_t t = next; int64_t(drafts.size()) < k;) {
      t = target.draft(t);
      drafts.push_back(t);
    }
    // The draft's positions go; the full model writes all k + 1 of them.
    target.truncate(base);
    std::vector<int64_t> in{next};
    in.insert(in.end(), drafts.begin(), drafts.end());
    std::vector<int64_t> full = target.verify(in);
    int64_t accepted = 0;
    while (accepted < k && drafts[accepted] == full[accepted])
      ++accepted;
    r.tokens.insert(r.tokens.end(), drafts.begin(), drafts.begin() + accepted);
    next = full[accepted];
    r.tokens.push_back(next);
    // Keep `in[0..accepted]`: their keys and values are the full model's.
    target.truncate(base + 1 + accepted);
    ++r.verifySteps;
    r.drafted += k;
    r.accepted += accepted;
  }
  r.decodeSeconds = secondsSince(t0);
  r.tokens.resize(maxNewTokens);
  return r;
}

std::string sieve::run::describeSkipped(
    const std::vector<std::pair<int64_t, std::string>> &units) {
  std::string out;
  for (const auto &[layer, block] : units)
    out += (out.empty() ? "" : ",") + std::to_string(layer) +
           (block == "layer" ? "" : "." + block);
  return out;
}

int sieve::run::reportSpeculative(SpeculativeTarget &target,
                                  const std::vector<int64_t> &prompt,
                                  const std::string &promptText,
                                  int64_t maxNewTokens, int64_t draftTokens,
                                  const std::string &skipped,
                                  const std::string &device,
                                  const std::string &verify, bool json) {
  GenerationResult plain = generateGreedy(target, prompt, maxNewTokens);
  GenerationResult spec =
      generateSpeculative(target, prompt, maxNewTokens, draftTokens);
  int64_t firstDiff = -1;
  for (size_t i = 0; i < plain.tokens.size() && firstDiff < 0; ++i)
    if (i >= spec.tokens.size() || spec.tokens[i] != plain.tokens[i])
      firstDiff = i;
  bool identical = firstDiff < 0 && spec.tokens.size() == plain.tokens.size();
  std::string text;
  for (int64_t t : spec.tokens)
    text += char(t);
  double plainTps = plain.tokensPerSecond(), specTps = spec.tokensPerSecond();
  if (json) {
    llvm::json::Array tokens;
    for (int64_t t : spec.tokens)
      tokens.push_back(t);
    llvm::json::Object o{
        {"tokens", std::move(tokens)},
        {"text", llvm::json::fixUTF8(text)},
        {"identical_to_greedy", identical},
        {"first_difference", firstDiff},
        {"draft_tokens", draftTokens},
        {"skipped", skipped},
        {"verify_steps", spec.verifySteps},
        {"drafted", spec.drafted},
        {"accepted", spec.accepted},
        {"acceptance_rate", spec.acceptanceRate()},
        {"tokens_per_verify", spec.tokensPerVerify()},
        {"greedy_tokens_per_second", plainTps},
        {"speculative_tokens_per_second", specTps},
        {"speedup", plainTps > 0 ? specTps / plainTps : 0},
        {"device", device},
        {"verify", verify}};
    llvm::outs() << llvm::formatv("{0}", llvm::json::Value(std::move(o)))
                 << "\n";
  } else {
    llvm::outs() << promptText << text << "\n";
    llvm::outs() << llvm::formatv(
        "speculative ({0} draft tokens, skipping {1}): {2} verify steps, "
        "acceptance rate {3:f3} ({4}/{5}), {6:f2} tokens per verify step; "
        "{7:f1} tokens/s vs greedy {8:f1} tokens/s on the {9} (verify by "
        "{11}); output {10} plain greedy\n",
        draftTokens, skipped, spec.verifySteps, spec.acceptanceRate(),
        spec.accepted, spec.drafted, spec.tokensPerVerify(), specTps,
        plainTps, device, identical ? "IDENTICAL to" : "DIFFERS from", verify);
  }
  if (!identical) {
    llvm::errs() << "sieve-run: error: speculative output differs from plain "
                    "greedy at token "
                 << firstDiff << "\n";
    return 1;
  }
  return 0;
}
