//===- Profile.cpp - the calibration profile of sieve-run --profile -------===//

#include "Profile.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

using namespace sieve::quantize;
namespace json = llvm::json;

namespace {
/// Reads A["abs_mean"] into `out`.
bool readAbsMean(const json::Value *a, std::vector<float> &out,
                 std::string &error, const std::string &where) {
  const json::Object *obj = a ? a->getAsObject() : nullptr;
  const json::Array *mean = obj ? obj->getArray("abs_mean") : nullptr;
  if (!mean) {
    error = where + " has no \"abs_mean\" array";
    return false;
  }
  out.clear();
  for (const json::Value &v : *mean) {
    std::optional<double> d = v.getAsNumber();
    if (!d || !(*d >= 0)) {
      error = where + ".abs_mean holds a value that is not a number >= 0";
      return false;
    }
    out.push_back(float(*d));
  }
  return true;
}
} // namespace

std::optional<Profile> sieve::quantize::readProfile(llvm::StringRef path,
                                                    std::string &error) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer) {
    error = "cannot read profile '" + path.str() +
            "': " + buffer.getError().message();
    return std::nullopt;
  }
  llvm::Expected<json::Value> root = json::parse((*buffer)->getBuffer());
  if (!root) {
    error = "profile '" + path.str() +
            "' is not JSON: " + llvm::toString(root.takeError());
    return std::nullopt;
  }
  const json::Object *top = root->getAsObject();
  if (!top || top->getString("schema") != "sieve-profile" ||
      top->getInteger("version") != 1) {
    error = "profile '" + path.str() +
            "' is not a sieve-profile version 1 (sieve-run --profile)";
    return std::nullopt;
  }
  Profile p;
  const json::Array *layers = top->getArray("layers");
  if (!layers) {
    error = "profile '" + path.str() + "' has no \"layers\" array";
    return std::nullopt;
  }
  for (const json::Value &lv : *layers) {
    const json::Object *l = lv.getAsObject();
    std::optional<int64_t> index = l ? l->getInteger("index") : std::nullopt;
    if (!index) {
      error = "profile '" + path.str() + "': a layer without an \"index\"";
      return std::nullopt;
    }
    std::string where = "profile layer " + std::to_string(*index);
    LayerProfile &lp = p.layers[*index];
    lp.cosine = l->getNumber("cosine");
    if (const json::Object *w = l->getObject("weights"))
      lp.zd = w->getNumber("zd");
    if (const json::Object *inputs = l->getObject("inputs"))
      for (const auto &[key, value] : *inputs)
        if (!readAbsMean(&value, lp.absMean[key.str()], error,
                         where + " input \"" + key.str() + "\""))
          return std::nullopt;
  }
  if (const json::Object *head = top->getObject("lm_head"))
    if (const json::Value *inputs = head->get("inputs"))
      if (!readAbsMean(inputs, p.lmHeadAbsMean, error, "profile lm_head"))
        return std::nullopt;
  return p;
}
