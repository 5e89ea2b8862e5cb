//===- PlanBuffers.cpp - place kernel.buffer ops in the arena -------------===//

#include "sieve/Dialect/Kernel/KernelOps.h"
#include "sieve/Passes/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

namespace sieve {
#define GEN_PASS_DEF_SIEVEPLANBUFFERS
#include "passes/KernelPasses.h.inc"
} // namespace sieve

using namespace mlir;
namespace k = sieve::kernel;

namespace {

/// First and last launch (inclusive) of one buffer in each entry point;
/// entries are numbered apart so intervals of different entries never
/// overlap by accident.
struct Liveness {
  SmallVector<std::pair<int64_t, int64_t>, 2> intervals;
  bool overlaps(const Liveness &o) const {
    for (auto [a0, a1] : intervals)
      for (auto [b0, b1] : o.intervals)
        if (a0 <= b1 && b0 <= a1)
          return true;
    return false;
  }
};

struct SievePlanBuffers
    : public sieve::impl::SievePlanBuffersBase<SievePlanBuffers> {
  void runOnOperation() override {
    for (auto program : getOperation().getOps<k::ProgramOp>())
      plan(program);
  }

  void plan(k::ProgramOp program) {
    llvm::StringMap<Liveness> live;
    int64_t base = 0;
    for (auto entry : program.getBody().getOps<k::EntryOp>()) {
      llvm::StringMap<std::pair<int64_t, int64_t>> seen;
      int64_t index = base;
      for (Operation &op : entry.getBody().front()) {
        for (NamedAttribute attr : op.getAttrs())
          if (auto ref = dyn_cast<FlatSymbolRefAttr>(attr.getValue())) {
            auto [it, inserted] =
                seen.try_emplace(ref.getValue(), index, index);
            it->second.second = index;
          }
        ++index;
      }
      for (auto &[name, interval] : seen)
        live[name].intervals.push_back(interval);
      base = index + 1;
    }
    SmallVector<k::BufferOp> buffers(program.getBody().getOps<k::BufferOp>());
    // Largest first, then by name for a deterministic plan.
    llvm::stable_sort(buffers, [](k::BufferOp a, k::BufferOp b) {
      if (a.getRowBytes() != b.getRowBytes())
        return a.getRowBytes() > b.getRowBytes();
      return a.getSymName() < b.getSymName();
    });
    SmallVector<k::BufferOp> placed;
    for (k::BufferOp buf : buffers) {
      auto it = live.find(buf.getSymName());
      if (it == live.end()) {
        buf.emitRemark("buffer is never used; it takes no space");
        buf.setOffset(0);
        continue;
      }
      // Offsets of the buffers that are alive at the same time, sorted.
      SmallVector<std::pair<int64_t, int64_t>> busy;
      for (k::BufferOp other : placed)
        if (live[other.getSymName()].overlaps(it->second))
          busy.push_back({static_cast<int64_t>(*other.getOffset()),
                          static_cast<int64_t>(*other.getOffset() +
                                               other.getRowBytes())});
      llvm::sort(busy);
      int64_t offset = 0, size = buf.getRowBytes();
      for (auto [begin, end] : busy) {
        if (offset + size <= begin)
          break;
        offset = std::max(offset, end);
      }
      buf.setOffset(offset);
      placed.push_back(buf);
    }
  }
};
} // namespace
