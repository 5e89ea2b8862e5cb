//===- FuseDecode.cpp - fuse the decode step's small launches -------------===//
//
// The decode step's GEMMs read their weights at close to the copy rate, so
// what remains between them (norms, GLU, residual adds: one short launch
// each, plus the gap PDL cannot hide) is a large part of a batch-1 step.
// This pass folds those launches into kernel.fused_gemm in the @decode and
// @draft entries (the prefill is compute-bound and keeps its launches):
//
//   (c) residual: a GEMM whose output only a residual add reads (the add of
//       an rms_norm, or a kernel.add) writes the sum itself;
//   (b) GLU: a glu whose output only one GEMM reads becomes that GEMM's
//       prologue;
//   (a) RMSNorm: an rms_norm without an add whose output only GEMMs read
//       becomes their prologue (each CTA recomputes the row's inverse RMS).
//
// Only float `kernel.gemm`s writing a buffer are fused (not quantized
// GEMMs, not the LM head). The runtime runs the un-fused launches itself
// where its fused kernel does not apply (more rows than the skinny GEMM
// takes), so the rules here depend on the program alone.
//
//===----------------------------------------------------------------------===//

#include "sieve/Dialect/Kernel/KernelOps.h"
#include "sieve/Passes/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace sieve {
#define GEN_PASS_DEF_SIEVEFUSEDECODE
#include "passes/KernelPasses.h.inc"
} // namespace sieve

using namespace mlir;
namespace k = sieve::kernel;

namespace {

/// Whether `op` names buffer `sym` in any attribute (reads or writes it).
bool touches(Operation *op, FlatSymbolRefAttr sym) {
  for (NamedAttribute attr : op->getAttrs())
    if (attr.getValue() == sym)
      return true;
  return false;
}

/// The launches of one entry that touch `sym`, in order.
SmallVector<Operation *> usersOf(Block &body, FlatSymbolRefAttr sym) {
  SmallVector<Operation *> users;
  for (Operation &op : body)
    if (touches(&op, sym))
      users.push_back(&op);
  return users;
}

/// Whether any launch strictly between `from` and `to` touches `sym`.
bool touchedBetween(Operation *from, Operation *to, FlatSymbolRefAttr sym) {
  for (Operation *op = from->getNextNode(); op && op != to;
       op = op->getNextNode())
    if (touches(op, sym))
      return true;
  return false;
}

/// A GEMM this pass may rewrite: a float kernel.gemm writing a buffer, or
/// a kernel.fused_gemm.
bool isFusableGemm(Operation *op) {
  if (auto g = dyn_cast<k::GemmOp>(op))
    return !g.writesLogits();
  return isa<k::FusedGemmOp>(op);
}

/// The parts of a (fused) GEMM, to rebuild it with more fused in.
struct GemmParts {
  FlatSymbolRefAttr in, norm, staged, weight, bias, residual, out;
  FloatAttr epsilon, weightOffset;
  sieve::ActivationAttr glu;
  IntegerAttr ld, gateOffset, upOffset, n, k;

  static GemmParts of(Operation *op) {
    GemmParts p;
    if (auto g = dyn_cast<k::GemmOp>(op)) {
      p.in = g.getInAttr();
      p.weight = g.getWeightAttr();
      p.bias = g.getBiasAttr();
      p.out = g.getOutAttr();
      p.n = g.getNAttr();
      p.k = g.getKAttr();
      return p;
    }
    auto f = cast<k::FusedGemmOp>(op);
    p.in = f.getInAttr();
    p.norm = f.getNormAttr();
    p.staged = f.getStagedAttr();
    p.weight = f.getWeightAttr();
    p.bias = f.getBiasAttr();
    p.residual = f.getResidualAttr();
    p.out = f.getOutAttr();
    p.epsilon = f.getEpsilonAttr();
    p.weightOffset = f.getWeightOffsetAttr();
    p.glu = f.getGluAttr();
    p.ld = f.getLdAttr();
    p.gateOffset = f.getGateOffsetAttr();
    p.upOffset = f.getUpOffsetAttr();
    p.n = f.getNAttr();
    p.k = f.getKAttr();
    return p;
  }
  bool hasPrologue() const { return norm || glu; }

  /// Replaces `op` by the kernel.fused_gemm of these parts.
  void replace(Operation *op) const {
    OpBuilder b(op);
    k::FusedGemmOp::create(b, op->getLoc(), in, norm, epsilon, weightOffset,
                           glu, ld, gateOffset, upOffset, staged, weight, bias,
                           residual, out, n, k);
    op->erase();
  }
};

class DecodeFusion {
public:
  DecodeFusion(Block &body, bool report, bool norms)
      : body(body), report(report), norms(norms) {}

  void run() {
    for (auto glu : llvm::to_vector(body.getOps<k::GLUOp>()))
      fuseGlu(glu);
    for (auto norm : llvm::to_vector(body.getOps<k::RMSNormOp>()))
      fuseResidualIntoGemm(norm);
    for (auto add : llvm::to_vector(body.getOps<k::AddOp>()))
      fuseAddIntoGemm(add);
    if (norms)
      for (auto norm : llvm::to_vector(body.getOps<k::RMSNormOp>()))
        fuseNorm(norm);
  }

private:
  /// With `report`, a remark on a norm, GLU or add that stays a launch of
  /// its own, saying which rule failed.
  void keep(Operation *op, const Twine &why) {
    if (report)
      op->emitRemark("stays a launch of its own: ") << why.str();
  }
  static std::string nameOf(Operation *op) {
    return ("'" + op->getName().getStringRef() + "'").str();
  }

  /// The GEMM writing `sym` when it is the only other launch touching it
  /// besides `reader` (so the value never needs to exist on its own).
  Operation *soleProducer(FlatSymbolRefAttr sym, Operation *reader) {
    SmallVector<Operation *> users = usersOf(body, sym);
    if (users.size() != 2 || users[1] != reader || !isFusableGemm(users[0]))
      return nullptr;
    if (GemmParts::of(users[0]).out != sym || GemmParts::of(users[0]).residual)
      return nullptr;
    return users[0];
  }

  /// out = a + b where one of them only feeds this add: that GEMM writes
  /// `out` with the other as its residual. Returns whether it did.
  bool fuseResidual(Operation *add, FlatSymbolRefAttr a, FlatSymbolRefAttr b,
                    FlatSymbolRefAttr out) {
    for (auto [product, residual] : {std::pair(a, b), std::pair(b, a)}) {
      Operation *gemm = soleProducer(product, add);
      // The residual and the sum must already hold / not yet hold their
      // values where the GEMM runs.
      if (!gemm || residual == out || touchedBetween(gemm, add, residual) ||
          touchedBetween(gemm, add, out))
        continue;
      GemmParts p = GemmParts::of(gemm);
      if (p.in == out || p.staged == out)
        continue;
      p.residual = residual;
      p.out = out;
      p.replace(gemm);
      return true;
    }
    return false;
  }

  // (c) `rms_norm %a + %b sum %s` -> GEMM writes %s, the norm reads %s.
  void fuseResidualIntoGemm(k::RMSNormOp norm) {
    if (!norm.getBAttr() || !norm.getSumAttr())
      return;
    if (!fuseResidual(norm, norm.getAAttr(), norm.getBAttr(), norm.getSumAttr()))
      return;
    OpBuilder b(norm);
    k::RMSNormOp::create(b, norm.getLoc(), norm.getSumAttr(), nullptr, nullptr,
                         norm.getWeightAttr(), norm.getOutAttr(),
                         norm.getEpsilonAttr(), norm.getWeightOffsetAttr());
    norm.erase();
  }

  // (c) `add %a + %b -> %out` -> the GEMM writes %out; the add goes.
  void fuseAddIntoGemm(k::AddOp add) {
    if (fuseResidual(add, add.getAAttr(), add.getBAttr(), add.getOutAttr()))
      add.erase();
    else
      keep(add, "no addend is a GEMM output only this add reads (with the "
                "other addend and the sum untouched in between)");
  }

  // (b) `glu %x -> %g` read by one GEMM only -> its GLU prologue.
  void fuseGlu(k::GLUOp glu) {
    SmallVector<Operation *> users = usersOf(body, glu.getOutAttr());
    if (users.size() != 2 || users[0] != glu)
      return keep(glu, "its output is read by " + Twine(users.size() - 1) +
                           " launches, not one GEMM");
    if (!isFusableGemm(users[1]))
      return keep(glu, "its output is read by " + nameOf(users[1]) +
                           ", not a float GEMM writing a buffer");
    GemmParts p = GemmParts::of(users[1]);
    if (p.hasPrologue() || p.in != glu.getOutAttr() ||
        p.k.getInt() != int64_t(glu.getWidth()))
      return keep(glu, "the GEMM reading it is not a plain GEMM of its width");
    if (touchedBetween(glu, users[1], glu.getXAttr()))
      return keep(glu, "its input is used again before the GEMM");
    p.in = glu.getXAttr();
    p.glu = glu.getActivationAttr();
    p.ld = glu.getLdAttr();
    p.gateOffset = glu.getGateOffsetAttr();
    p.upOffset = glu.getUpOffsetAttr();
    p.staged = glu.getOutAttr();
    p.replace(users[1]);
    glu.erase();
  }

  // (a) `rms_norm %a -> %n` read only by GEMMs -> their RMSNorm prologue.
  void fuseNorm(k::RMSNormOp norm) {
    if (norm.getBAttr())
      return keep(norm, "it adds a residual no GEMM output alone feeds (no "
                        "GEMM could take the add)");
    SmallVector<Operation *> users = usersOf(body, norm.getOutAttr());
    if (users.size() < 2 || users[0] != norm)
      return keep(norm, "no launch reads its output");
    for (Operation *u : ArrayRef(users).drop_front()) {
      if (!isFusableGemm(u))
        return keep(norm, "its output is read by " + nameOf(u) +
                              ", not a float GEMM writing a buffer");
      GemmParts p = GemmParts::of(u);
      if (p.hasPrologue() || p.in != norm.getOutAttr() ||
          p.out == norm.getAAttr())
        return keep(norm, "a GEMM reading it already has a prologue or "
                          "writes its input");
      if (touchedBetween(norm, u, norm.getAAttr()))
        return keep(norm, "its input is used again before a GEMM reading it");
    }
    for (Operation *u : ArrayRef(users).drop_front()) {
      GemmParts p = GemmParts::of(u);
      p.in = norm.getAAttr();
      p.norm = norm.getWeightAttr();
      p.epsilon = norm.getEpsilonAttr();
      p.weightOffset = norm.getWeightOffsetAttr();
      p.staged = norm.getOutAttr();
      p.replace(u);
    }
    norm.erase();
  }

  Block &body;
  bool report, norms;
};

struct SieveFuseDecode
    : public sieve::impl::SieveFuseDecodeBase<SieveFuseDecode> {
  using SieveFuseDecodeBase::SieveFuseDecodeBase;
  void runOnOperation() override {
    for (auto program : getOperation().getOps<k::ProgramOp>())
      for (auto entry : program.getBody().getOps<k::EntryOp>())
        if (entry.getSymName() == "decode" || entry.getSymName() == "draft")
          DecodeFusion(entry.getBody().front(), report, norms).run();
  }
};

} // namespace
