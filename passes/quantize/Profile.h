//===- Profile.h - the calibration profile of sieve-run --profile -*- C++ -*-===//
//
// Reads the JSON that `sieve-run MODEL --profile TEXT -o profile.json`
// writes (schema "sieve-profile", version 1):
//   {"schema": "sieve-profile", "version": 1,
//    "layers": [{"index": i, "cosine": c,
//                "inputs": {"attention": A, "attention_output": A,
//                           "mlp": A, "mlp_down": A},
//                "weights": {"zd": z}}, ...],
//    "lm_head": {"inputs": A}}
// with A = {"abs_mean": [K floats], "abs_max": [K floats]}, per input
// channel of the linears that value feeds.
//
//===----------------------------------------------------------------------===//
#ifndef SIEVE_PASSES_QUANTIZE_PROFILE_H
#define SIEVE_PASSES_QUANTIZE_PROFILE_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/StringMap.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sieve::quantize {

struct LayerProfile {
  std::optional<double> cosine, zd;
  /// input name -> mean |x| per input channel
  llvm::StringMap<std::vector<float>> absMean;
};

struct Profile {
  std::map<int64_t, LayerProfile> layers;
  std::vector<float> lmHeadAbsMean;
};

/// Reads and checks `path`; on failure `error` says what is wrong.
std::optional<Profile> readProfile(llvm::StringRef path, std::string &error);

} // namespace sieve::quantize

#endif
