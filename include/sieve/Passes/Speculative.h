//===- Speculative.h - self-speculative decoding: the draft -----*- C++ -*-===//
//
// SWIFT-style self-speculative decoding (docs/speculative.md): the draft is
// the model itself with some sub-layers bypassed; it shares the weights and
// the KV cache of the full model, which verifies the drafted tokens.
//
//   sieve-compile m.onnx -o m.sieve --self-speculative='skip=3.attn,5 draft=4'
//   sieve-run m.mlir --prompt ... --speculative='skip=3.attn,5 draft=4'
//
//===----------------------------------------------------------------------===//
#ifndef SIEVE_PASSES_SPECULATIVE_H
#define SIEVE_PASSES_SPECULATIVE_H

#include "sieve/Reference/Session.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace sieve {

namespace kernel {
class ProgramOp;
} // namespace kernel

/// Tokens a draft may propose per verify step: 1 to this.
constexpr int64_t kMaxDraftTokens = 16;

/// A parsed --self-speculative / --speculative value: `draft=K` (tokens
/// drafted per verify step) and what the draft bypasses, as options of
/// --sieve-skip-layers (`skip=LIST` becomes `mode=list layers=LIST`; any
/// other words, e.g. `profile=p.json count=3`, choose by a profile).
struct SpeculativeSpec {
  int64_t draftTokens = 0;
  std::string skipLayersOptions;
};
llvm::Expected<SpeculativeSpec> parseSpeculativeSpec(llvm::StringRef text);

/// A clone of `module` with the draft's sub-layers removed by
/// --sieve-skip-layers{options} (errors are emitted on the module's
/// context). Its `sieve.removed` lists exactly what the draft bypasses.
mlir::FailureOr<mlir::OwningOpRef<mlir::ModuleOp>>
pruneDraftClone(mlir::ModuleOp module, llvm::StringRef skipLayersOptions);

/// The CPU reference's draft of the sieve.model in `module`: what
/// `removed` (a pruned clone's `sieve.removed`) names, bypassed.
mlir::FailureOr<ref::Session::Bypass> draftBypass(mlir::ModuleOp module,
                                                  mlir::ArrayAttr removed);

/// For each attention of the draft's sieve.model (in the order the lowering
/// numbers KV layers), the KV layer of the same decoder layer's attention in
/// `full`'s. Fails (with an error) when one has no counterpart.
mlir::FailureOr<llvm::SmallVector<int64_t>>
draftKvLayerMap(mlir::ModuleOp full, mlir::ModuleOp draft);

/// Adds `draft`'s @decode to `full` as @draft: its weights are `full`'s
/// (matched by their sources), its buffers are copied as `draft.*` (placed
/// later by --sieve-plan-buffers), and KV layer i of `draft` becomes KV
/// layer `kvMap[i]` of `full`. `draft` is left unchanged.
mlir::LogicalResult addDraftEntry(kernel::ProgramOp full,
                                  kernel::ProgramOp draft,
                                  llvm::ArrayRef<int64_t> kvMap);

} // namespace sieve

#endif
