//===- Retrieval.cpp - the long-context retrieval benchmark ---------------===//
//
// Each case is run once over prompt + answer (teacher forcing). It counts as
// correct when the argmax at every answer position (the logits row before
// each answer byte) is that byte: exact match of the answer, which is what
// greedy decoding of answer-length tokens would give.
//
//===----------------------------------------------------------------------===//

#include "Retrieval.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <map>

using namespace sieve::run;
using llvm::StringRef;
using llvm::Twine;

namespace {

llvm::Error lineError(StringRef path, int64_t line, const Twine &what) {
  return llvm::createStringError("'" + path + "' line " + Twine(line) + ": " +
                                 what);
}

/// Maps a UTF-8 string whose code points are all U+0000..U+00FF back to one
/// byte per code point (how task.py writes bytes into JSON).
llvm::Expected<std::vector<int32_t>> latin1Bytes(StringRef utf8) {
  std::vector<int32_t> bytes;
  bytes.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size(); ++i) {
    uint8_t c = utf8[i];
    if (c < 0x80) {
      bytes.push_back(c);
      continue;
    }
    // U+0080..U+00FF are the two-byte sequences led by 0xC2 or 0xC3.
    if ((c != 0xC2 && c != 0xC3) || i + 1 == utf8.size() ||
        (uint8_t(utf8[i + 1]) & 0xC0) != 0x80)
      return llvm::createStringError(
          "a code point beyond U+00FF (not a latin-1 byte string)");
    bytes.push_back(((c & 0x1F) << 6) | (uint8_t(utf8[++i]) & 0x3F));
  }
  return bytes;
}

llvm::Expected<RetrievalCase> parseCase(StringRef path, int64_t line,
                                        StringRef text) {
  auto value = llvm::json::parse(text);
  if (!value)
    return lineError(path, line,
                     "not JSON: " + llvm::toString(value.takeError()));
  const llvm::json::Object *o = value->getAsObject();
  if (!o)
    return lineError(path, line, "expected a JSON object");
  std::optional<int64_t> length = o->getInteger("length");
  std::optional<double> depth = o->getNumber("depth");
  std::optional<StringRef> prompt = o->getString("prompt"),
                           answer = o->getString("answer");
  if (!length || !depth || !prompt || !answer)
    return lineError(path, line,
                     "expected the keys \"length\" (integer), \"depth\" "
                     "(number), \"prompt\" and \"answer\" (strings), as "
                     "task.py prints them");
  if (*length <= 0)
    return lineError(path, line, "\"length\" must be positive");
  RetrievalCase c;
  c.context = *length;
  c.depth = *depth;
  c.answer = answer->str();
  auto promptBytes = latin1Bytes(*prompt);
  if (!promptBytes)
    return lineError(path, line,
                     "\"prompt\": " + llvm::toString(promptBytes.takeError()));
  auto answerBytes = latin1Bytes(*answer);
  if (!answerBytes)
    return lineError(path, line,
                     "\"answer\": " + llvm::toString(answerBytes.takeError()));
  if (promptBytes->empty() || answerBytes->empty())
    return lineError(path, line, "empty \"prompt\" or \"answer\"");
  c.tokens = std::move(*promptBytes);
  c.promptLength = int64_t(c.tokens.size());
  c.tokens.insert(c.tokens.end(), answerBytes->begin(), answerBytes->end());
  return c;
}

int64_t argmax(const float *row, int64_t n) {
  int64_t best = 0;
  for (int64_t v = 1; v < n; ++v)
    if (row[v] > row[best])
      best = v;
  return best;
}

/// The teacher-forced argmax at each answer position, as bytes: answer byte
/// i is predicted by row rows - answerLength - 1 + i (the rows end with the
/// last prompt token's and the answer tokens').
std::string predictedAnswer(const RetrievalCase &c, const float *logits,
                            int64_t rows, int64_t vocab) {
  int64_t A = int64_t(c.tokens.size()) - c.promptLength;
  std::string out;
  for (int64_t i = 0; i < A; ++i)
    out += char(argmax(logits + (rows - A - 1 + i) * vocab, vocab));
  return out;
}

std::string jsonIndices(llvm::ArrayRef<int64_t> idx) {
  std::string out = "[";
  for (auto [i, v] : llvm::enumerate(idx))
    out += (i ? ", " : "") + std::to_string(v);
  return out + "]";
}

/// A number as `%g` writes it: depths read back as written (0.1, not
/// llvm::json's 0.10000000000000001).
std::string number(double x) { return llvm::formatv("{0}", llvm::format("%g", x)).str(); }

std::string jsonString(StringRef s) {
  std::string out;
  llvm::raw_string_ostream(out) << llvm::json::Value(llvm::json::fixUTF8(s));
  return out;
}

struct Cell {
  int64_t cases = 0, correct = 0;
  double accuracy() const { return cases ? double(correct) / cases : 0; }
};

void printTable(const std::map<std::pair<int64_t, double>, Cell> &cells,
                int64_t total, int64_t correct, double seconds,
                StringRef where) {
  std::vector<double> depths;
  for (auto &[key, cell] : cells)
    if (!llvm::is_contained(depths, key.second))
      depths.push_back(key.second);
  llvm::sort(depths);
  llvm::raw_ostream &os = llvm::outs();
  os << "| context |";
  for (double d : depths)
    os << llvm::format(" depth %g |", d);
  os << "\n|---|";
  for (size_t i = 0; i < depths.size(); ++i)
    os << "---|";
  os << "\n";
  int64_t lastContext = -1;
  for (auto &[key, cell] : cells) {
    if (key.first == lastContext)
      continue;
    lastContext = key.first;
    os << "| " << key.first << " |";
    for (double d : depths) {
      auto it = cells.find({key.first, d});
      if (it == cells.end())
        os << " - |";
      else
        os << llvm::format(" %.2f (%lld/%lld) |", it->second.accuracy(),
                           (long long)it->second.correct,
                           (long long)it->second.cases);
    }
    os << "\n";
  }
  os << llvm::formatv("accuracy {0:f3} ({1}/{2} cases, {3}, {4:f1} s)\n",
                      total ? double(correct) / total : 0.0, correct, total,
                      where, seconds);
}

} // namespace

llvm::Expected<std::vector<RetrievalCase>>
sieve::run::readRetrievalCases(StringRef path) {
  auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buf)
    return llvm::createStringError("cannot read '" + path +
                                   "': " + buf.getError().message());
  std::vector<RetrievalCase> cases;
  StringRef rest = (*buf)->getBuffer();
  for (int64_t line = 1; !rest.empty(); ++line) {
    auto [text, tail] = rest.split('\n');
    rest = tail;
    if (text.trim().empty())
      continue;
    auto c = parseCase(path, line, text);
    if (!c)
      return c.takeError();
    cases.push_back(std::move(*c));
  }
  if (cases.empty())
    return llvm::createStringError("'" + path +
                                   "' holds no case (expected the JSON lines "
                                   "of models/retrieval8/task.py)");
  return cases;
}

int sieve::run::runRetrieval(const std::vector<RetrievalCase> &cases,
                             RetrievalForward forward, bool json,
                             StringRef where) {
  std::map<std::pair<int64_t, double>, Cell> cells;
  std::string results; // the per-case JSON objects, comma-separated
  std::vector<float> logits;
  int64_t correct = 0;
  auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                         start)
        .count();
  };
  for (auto [i, c] : llvm::enumerate(cases)) {
    int64_t vocab = 0;
    std::vector<int64_t> kept;
    forward(c, logits, vocab, kept);
    int64_t rows = vocab ? int64_t(logits.size()) / vocab : 0;
    int64_t expectedRows =
        kept.empty() ? int64_t(c.tokens.size())
                     : int64_t(kept.size() + c.tokens.size()) - c.promptLength;
    if (vocab < 256 || rows * vocab != int64_t(logits.size()) ||
        rows != expectedRows) {
      llvm::errs() << "sieve-run: error: --retrieval needs a byte-level model "
                      "returning logits [seq, vocab >= 256]\n";
      return 1;
    }
    std::string got = predictedAnswer(c, logits.data(), rows, vocab);
    bool ok = got == c.answer;
    correct += ok;
    Cell &cell = cells[{c.context, c.depth}];
    ++cell.cases;
    cell.correct += ok;
    results += llvm::formatv("{0}{{\"context\": {1}, \"depth\": {2}, "
                             "\"answer\": {3}, \"predicted\": {4}, "
                             "\"correct\": {5}{6}}",
                             i ? ", " : "", c.context, number(c.depth),
                             jsonString(c.answer), jsonString(got), ok,
                             kept.empty() ? std::string()
                                          : ", \"kept\": " + jsonIndices(kept))
                   .str();
    llvm::errs() << llvm::formatv(
        "sieve-run: case {0}/{1} (context {2}, depth {3}): {4} (answer {5}, "
        "argmax {6}){7}, {8:f1} s\n",
        i + 1, cases.size(), c.context, number(c.depth),
        ok ? "correct" : "wrong", c.answer, jsonString(got),
        kept.empty() ? std::string()
                     : llvm::formatv(", kept {0} of {1} prompt tokens",
                                     kept.size(), c.promptLength)
                           .str(),
        elapsed());
  }
  double seconds = elapsed();
  int64_t total = int64_t(cases.size());
  if (!json) {
    printTable(cells, total, correct, seconds, where);
    return 0;
  }
  llvm::raw_ostream &os = llvm::outs();
  os << "{\"cells\": [";
  for (auto [i, entry] : llvm::enumerate(cells)) {
    auto &[key, cell] = entry;
    os << llvm::formatv("{0}{{\"context\": {1}, \"depth\": {2}, \"cases\": "
                        "{3}, \"correct\": {4}, \"accuracy\": {5}}",
                        i ? ", " : "", key.first, number(key.second),
                        cell.cases, cell.correct, number(cell.accuracy()));
  }
  os << llvm::formatv("], \"cases\": {0}, \"correct\": {1}, \"accuracy\": "
                      "{2}, \"seconds\": {3:f1}, \"where\": {4}, "
                      "\"results\": [{5}]}\n",
                      total, correct, number(double(correct) / total), seconds,
                      jsonString(where), results);
  return 0;
}
