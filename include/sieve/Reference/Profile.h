//===- Profile.h - calibration profiles of a sieve.model --------*- C++ -*-===//
//
// Runs a `sieve.model` on calibration text through a Session with an
// observer and collects, per decoder layer, the residual-stream cosines,
// per-head attention mass (sink / local / rest), per-channel activation
// ranges of every linear's input, and weight statistics (ZD). The JSON
// schema ("sieve-profile", version 1) is documented in docs/profile.md;
// passes read it back with readProfile().
//
//===----------------------------------------------------------------------===//
#ifndef SIEVE_REFERENCE_PROFILE_H
#define SIEVE_REFERENCE_PROFILE_H

#include "sieve/Reference/Session.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/JSON.h"

#include <string>
#include <vector>

namespace sieve::ref {

inline constexpr int64_t kProfileVersion = 1;
/// Attention mass definitions (docs/profile.md): keys [0, kSinkTokens) are
/// the sink; the kLocalTokens most recent positions (the query's own
/// included) that are not sink are local; everything else is rest.
inline constexpr int64_t kSinkTokens = 4;
inline constexpr int64_t kLocalTokens = 64;

struct ProfileOptions {
  std::string textPath;  // calibration text (byte-level models)
  std::string modelPath; // recorded in the profile
  int64_t window = 512;  // bytes per window, each prefilled on its own
  int64_t maxWindows = 0; // 0: all windows of the text
};

/// Profiles `model` over the text. Emits an error on the model op and
/// returns failure if the text cannot be read, the model is not byte-level,
/// or a layer does not have the structure the statistics need (x + attention,
/// then + MLP).
mlir::FailureOr<llvm::json::Value> profileModel(SieveModel &model,
                                                const ProfileOptions &options);

/// What passes read back from a profile: per layer, in file order.
struct LayerProfile {
  int64_t index = 0;
  double cosine = 0, cosineAttention = 0, cosineMlp = 0;
  double zd = 0;
  /// "inputs": input name (attention, attention_output, mlp, mlp_down) ->
  /// abs_mean per input channel; empty when the profile has none.
  llvm::StringMap<std::vector<float>> inputAbsMean;
  /// "heads": per query head, the "rest" attention mass (keys beyond the
  /// sink and the 64 most recent positions); empty when absent.
  std::vector<double> headRest;
};
struct ProfileSummary {
  std::string model;
  std::vector<LayerProfile> layers;
  /// lm_head.inputs.abs_mean (empty when absent).
  std::vector<float> lmHeadAbsMean;
};

/// Parses a profile written by profileModel (checks schema and version).
/// On failure returns a message saying what is wrong.
llvm::Expected<ProfileSummary> readProfile(llvm::StringRef path);
/// The same from a parsed JSON value.
llvm::Expected<ProfileSummary> readProfile(const llvm::json::Value &profile);

} // namespace sieve::ref

#endif // SIEVE_REFERENCE_PROFILE_H
