//===- RaiseLayers.cpp - residual adds, decoder layers and the model ------===//
//
// Residual Add -> sieve.add, then the grouping: from the embedding, follow
// the residual chain (each sieve.add of the current residual and a branch
// computed from it); a decoder layer ends at the add whose branch holds the
// MLP. Each layer's ops (all sieve ops, used only inside the layer) move
// into a `sieve.decoder_layer` with clones of the weights they use; the
// final norm and the last linear (-> lm_head), or a MatMul by the transposed
// embedding table (tied embeddings -> lm_head {transposed}), close the
// `sieve.model`. A position embedding right after the token embedding goes
// with it. The architecture name comes from the structure (see
// architectureOf).
//
//===----------------------------------------------------------------------===//

#include "Raise.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;

namespace sieve::raise {
namespace {

/// Add(a, b) of two activations of the result's type -> sieve.add.
struct RaiseResidualAdd : public OpRewritePattern<onnx::AddOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(onnx::AddOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type || type.getRank() != 3 ||
        !isa<FloatType>(type.getElementType()) ||
        op.getA().getType() != type || op.getB().getType() != type ||
        matchPattern(op.getA(), m_Constant()) ||
        matchPattern(op.getB(), m_Constant()) || isWeight(op.getA()) ||
        isWeight(op.getB()) ||
        // A lookup in a table (positions that did not raise) is no branch.
        op.getA().getDefiningOp<onnx::GatherOp>() ||
        op.getB().getDefiningOp<onnx::GatherOp>())
      return failure();
    rewriter.replaceOpWithNewOp<AddOp>(op, type, op.getA(), op.getB());
    return success();
  }
};

/// Whether `v` depends on `root` (within the block).
bool dependsOn(Value v, Value root, DenseMap<Value, bool> &memo) {
  if (v == root)
    return true;
  auto it = memo.find(v);
  if (it != memo.end())
    return it->second;
  bool result = false;
  if (Operation *def = v.getDefiningOp())
    for (Value o : def->getOperands())
      if (dependsOn(o, root, memo)) {
        result = true;
        break;
      }
  memo[v] = result;
  return result;
}

/// The ops computing `out` from `in` (and weights), in block order; fails
/// with `why` when the slice holds anything else.
LogicalResult collectSlice(Value in, Value out, SetVector<Operation *> &ops,
                           SetVector<Operation *> &weights,
                           std::string &why) {
  SmallVector<Value> work = {out};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (v == in || !seen.insert(v).second)
      continue;
    Operation *def = v.getDefiningOp();
    if (!def) {
      why = "it reads a function argument other than through the residual "
            "stream";
      return failure();
    }
    if (isa<WeightOp, QuantizedWeightOp>(def)) {
      weights.insert(def);
      continue;
    }
    if (def->getDialect() != in.getContext()->getLoadedDialect<SieveDialect>() ||
        isa<ModelOp, DecoderLayerOp, EmbeddingOp, LMHeadOp>(def)) {
      std::string s;
      llvm::raw_string_ostream os(s);
      os << "'" << def->getName() << "' at " << def->getLoc()
         << " was not raised";
      why = s;
      return failure();
    }
    ops.insert(def);
    for (Value o : def->getOperands())
      work.push_back(o);
  }
  SmallVector<Operation *> sorted(ops.begin(), ops.end());
  llvm::sort(sorted, [](Operation *a, Operation *b) {
    return a->isBeforeInBlock(b);
  });
  ops.clear();
  ops.insert(sorted.begin(), sorted.end());
  return success();
}

/// Clones `ops` with `map` at the builder's point, preceded by the weights
/// they use (in the order of first use).
void cloneInto(OpBuilder &b, const SetVector<Operation *> &weights,
               const SetVector<Operation *> &ops, IRMapping &map) {
  SetVector<Operation *> used;
  for (Operation *op : ops)
    for (Value o : op->getOperands())
      if (Operation *def = o.getDefiningOp())
        if (weights.contains(def))
          used.insert(def);
  for (Operation *w : used)
    b.clone(*w, map);
  for (Operation *op : ops)
    b.clone(*op, map);
}

} // namespace

void populateRaiseResidualPatterns(RewritePatternSet &patterns, Notes &) {
  patterns.add<RaiseResidualAdd>(patterns.getContext());
}

LogicalResult groupIntoModel(func::FuncOp func, std::string &why) {
  if (!func.getBody().hasOneBlock()) {
    why = "the function has more than one block";
    return failure();
  }
  Block &block = func.getBody().front();
  SmallVector<EmbeddingOp> embs(block.getOps<EmbeddingOp>());
  if (embs.empty())
    return failure(); // Not a model: nothing to report.
  auto ret = dyn_cast<func::ReturnOp>(block.getTerminator());
  if (!ret || ret.getNumOperands() != 1) {
    why = "the function does not return exactly the logits";
    return failure();
  }
  if (embs.size() != 1) {
    why = "more than one embedding";
    return failure();
  }
  EmbeddingOp emb = embs.front();
  auto ids = dyn_cast<BlockArgument>(emb.getIds());
  if (!ids) {
    why = "the embedding's ids are not a function argument";
    return failure();
  }

  // GPT-2's learned positions follow the token embedding.
  PositionEmbeddingOp posEmb;
  if (emb->hasOneUse())
    posEmb = dyn_cast<PositionEmbeddingOp>(*emb->getUsers().begin());

  // The residual chain.
  struct Layer {
    Value in, out;
    SetVector<Operation *> ops, weights;
  };
  SmallVector<Layer> layers;
  Value cur = posEmb ? posEmb.getResult() : emb.getResult(), layerIn = cur;
  bool sawAttention = false;
  while (true) {
    AddOp next;
    for (Operation *user : cur.getUsers()) {
      auto add = dyn_cast<AddOp>(user);
      if (!add)
        continue;
      Value other = add.getLhs() == cur ? add.getRhs() : add.getLhs();
      DenseMap<Value, bool> memo;
      if (dependsOn(other, cur, memo)) {
        next = add;
        break;
      }
    }
    if (!next)
      break;
    SetVector<Operation *> branch, w;
    Value other = next.getLhs() == cur ? next.getRhs() : next.getLhs();
    if (failed(collectSlice(cur, other, branch, w, why))) {
      why = "a residual branch cannot be grouped: " + why;
      return failure();
    }
    bool hasMLP = llvm::any_of(
        branch, [](Operation *op) { return isa<GatedMLPOp, MLPOp, GLUOp>(op); });
    sawAttention |= llvm::any_of(
        branch, [](Operation *op) { return isa<AttentionOp>(op); });
    cur = next.getResult();
    if (!hasMLP)
      continue;
    if (!sawAttention) {
      why = "a layer's MLP is not preceded by an attention";
      return failure();
    }
    Layer layer;
    layer.in = layerIn;
    layer.out = cur;
    if (failed(collectSlice(layerIn, cur, layer.ops, layer.weights, why))) {
      why = "layer " + std::to_string(layers.size()) +
            " cannot be grouped: " + why;
      return failure();
    }
    layers.push_back(std::move(layer));
    layerIn = cur;
    sawAttention = false;
  }
  if (layers.empty()) {
    why = "no decoder layer (residual add with attention and MLP) was found";
    return failure();
  }
  if (layerIn != cur) {
    why = "residual adds after the last complete decoder layer";
    return failure();
  }
  // Final norm and LM head.
  Value logits = ret.getOperand(0);
  // A linear, or MatMul(x, Transpose(table, [1, 0])) of a constant table.
  Value headIn, headWeight, headBias;
  bool headTransposed = false;
  Location headLoc = logits.getLoc();
  if (auto head = logits.getDefiningOp<LinearOp>()) {
    headIn = head.getInput();
    headWeight = head.getWeight();
    headBias = head.getBias();
    headLoc = head.getLoc();
  } else if (auto mm = logits.getDefiningOp<onnx::MatMulOp>()) {
    auto tr = mm.getB().getDefiningOp<onnx::TransposeOp>();
    if (tr && tr.getPermAttr() &&
        tr.getPermAttr().asArrayRef() == ArrayRef<int64_t>{1, 0} &&
        isWeight(tr.getData()) && rankOf(tr.getData()) == 2) {
      headIn = mm.getA();
      headWeight = tr.getData();
      headTransposed = true;
      headLoc = mm.getLoc();
    }
  }
  if (!headIn) {
    why = "the logits are not a linear of the final norm";
    return failure();
  }
  Operation *norm = headIn.getDefiningOp();
  if (!norm || !isa<RMSNormOp, LayerNormOp>(norm) ||
      norm->getOperand(0) != cur) {
    why = "the LM head's input is not a norm of the last residual";
    return failure();
  }

  // The weights outside the layers are sieve.weight ops to clone.
  auto isWeightOp = [](Value v) {
    return !v || v.getDefiningOp<WeightOp>() ||
           v.getDefiningOp<QuantizedWeightOp>();
  };
  if (!isWeightOp(emb.getTable()) ||
      (posEmb && !isWeightOp(posEmb.getTable())) ||
      !llvm::all_of(norm->getOperands().drop_front(), isWeightOp) ||
      !(isWeightOp(headWeight) || headTransposed) || !isWeightOp(headBias)) {
    why = "the embedding, final norm or LM head weights are not constants";
    return failure();
  }

  // Every op of a layer must be used only inside it (its output aside).
  for (auto [i, layer] : llvm::enumerate(layers)) {
    for (Operation *op : layer.ops)
      for (Value r : op->getResults())
        for (Operation *user : r.getUsers())
          if (r != layer.out && !layer.ops.contains(user)) {
            why = "a value of layer " + std::to_string(i) +
                  " is used outside it";
            return failure();
          }
  }

  // Build the model.
  MLIRContext *ctx = func.getContext();
  OpBuilder b(ret);
  auto logitsType = cast<RankedTensorType>(logits.getType());
  int64_t vocab = logitsType.getShape().back();
  int64_t hidden = shapeOf(cur).back();
  // The architecture, from the structure of every layer.
  auto all = [&](auto pred) {
    return llvm::all_of(layers, [&](const Layer &l) {
      return llvm::any_of(l.ops, pred);
    });
  };
  auto none = [&](auto pred) {
    return llvm::none_of(layers, [&](const Layer &l) {
      return llvm::any_of(l.ops, pred);
    });
  };
  auto isA = [](auto... tag) {
    return [](Operation *op) { return (isa<decltype(tag)>(op) || ...); };
  };
  auto gatedWith = [](Activation act) {
    return [act](Operation *op) {
      auto m = dyn_cast<GatedMLPOp>(op);
      return m && m.getActivation() == act;
    };
  };
  auto biasedRotaryInput = [](Operation *op) {
    auto r = dyn_cast<RotaryOp>(op);
    auto lin = r ? r.getInput().getDefiningOp<LinearOp>() : LinearOp();
    return lin && lin.getBias();
  };
  bool rotary = all(isA(RotaryOp())), rms = none(isA(LayerNormOp()));
  float embScale = emb.getScale().convertToFloat();
  StringRef arch = "decoder";
  if (!posEmb && rotary && rms && embScale == 1.0f && none(isA(SplitOp())) &&
      all(gatedWith(Activation::silu)))
    arch = all(biasedRotaryInput) ? "qwen2" : "llama";
  else if (!posEmb && rotary && rms && embScale == 1.0f &&
           all(isA(SplitOp())) && all([](Operation *op) {
             auto g = dyn_cast<GLUOp>(op);
             return g && g.getActivation() == Activation::silu;
           }))
    arch = "phi3";
  else if (!posEmb && rotary && rms && embScale != 1.0f &&
           all(gatedWith(Activation::gelu_tanh)))
    arch = "gemma";
  else if (posEmb && none(isA(RotaryOp())) && none(isA(RMSNormOp())) &&
           isa<LayerNormOp>(norm) && all(isA(MLPOp())))
    arch = "gpt2";
  auto model = ModelOp::create(b, ret.getLoc(), logitsType, ids, arch, vocab,
                               hidden, layers.size());
  Block *body = &model.getBody().front();
  OpBuilder mb = OpBuilder::atBlockEnd(body);
  IRMapping map;
  map.map(ids, body->getArgument(0));
  Value table = mb.clone(*emb.getTable().getDefiningOp(), map)->getResult(0);
  map.map(emb.getTable(), table);
  Value x = mb.clone(*emb, map)->getResult(0);
  if (posEmb) {
    map.map(emb.getResult(), x);
    map.map(posEmb.getTable(),
            mb.clone(*posEmb.getTable().getDefiningOp())->getResult(0));
    x = mb.clone(*posEmb, map)->getResult(0);
  }
  for (auto [i, layer] : llvm::enumerate(layers)) {
    auto dl = DecoderLayerOp::create(mb, layer.out.getLoc(), x, i);
    Block *lb = &dl.getBody().front();
    OpBuilder lbld = OpBuilder::atBlockEnd(lb);
    IRMapping lmap;
    lmap.map(layer.in, lb->getArgument(0));
    cloneInto(lbld, layer.weights, layer.ops, lmap);
    YieldOp::create(lbld, layer.out.getLoc(), lmap.lookup(layer.out));
    x = dl.getResult();
  }
  map.map(cur, x);
  for (Value o : norm->getOperands().drop_front())
    map.map(o, mb.clone(*o.getDefiningOp())->getResult(0));
  Value normed = mb.clone(*norm, map)->getResult(0);
  Value headW;
  Operation *headDef = headWeight.getDefiningOp();
  if (isa_and_nonnull<WeightOp, QuantizedWeightOp>(headDef)) {
    headW = mb.clone(*headDef)->getResult(0);
  } else {
    // An onnx.Constant (possibly widened by a Cast) of the tied table.
    auto c = headWeight.getDefiningOp<onnx::ConstantOp>();
    if (!c)
      c = headWeight.getDefiningOp<onnx::CastOp>()
              .getInput()
              .getDefiningOp<onnx::ConstantOp>();
    StringAttr name;
    if (auto n = dyn_cast<NameLoc>(c.getLoc()))
      name = n.getName();
    headW = WeightOp::create(mb, c.getLoc(), c.getType(), c.getValue(), name)
                .getResult();
  }
  Value headB;
  if (headBias)
    headB = mb.clone(*headBias.getDefiningOp())->getResult(0);
  Value out = LMHeadOp::create(mb, headLoc, logitsType, normed, headW, headB,
                               BoolAttr::get(ctx, headTransposed));
  OutputOp::create(mb, ret.getLoc(), out);
  ret->setOperand(0, model.getResult());

  // The flat ops are dead now.
  IRRewriter rewriter(ctx);
  (void)runRegionDCE(rewriter, func->getRegions());
  return success();
}

} // namespace sieve::raise
