//===- Passes.td - sieve passes -----------------------------*- tablegen -*-===//

#ifndef SIEVE_PASSES_TD
#define SIEVE_PASSES_TD

include "mlir/Pass/PassBase.td"

def SieveSimplify : Pass<"sieve-simplify", "mlir::ModuleOp"> {
  let summary = "Fold the shape computations of an imported ONNX graph";
  let description = [{
    Exporters compute masks, positions and reshape targets from the input
    shape at run time: Shape/Gather/Concat/Range/CumSum/Equal/Where chains.
    This pass leaves only the real tensor work. It alternates two steps
    until nothing changes:

    1. A symbolic shape analysis walks each function in order. Every
       dimension is a constant or an affine `a * sym + b` of a symbol (the
       dynamic sizes of the arguments, or anything it cannot name); small
       integer tensors (shape vectors, indices, scalars: at most 64
       elements) carry their elements the same way, and integer tensors of
       any shape whose elements are `base + sum_k coef_k * index_k` (iotas
       from Range, splats) carry that form. From it the walk
       - replaces every integer tensor it knows by an `onnx.Constant`
         (Shape, Size, Gather, Slice, Concat, Unsqueeze, Squeeze, Reshape,
         Cast, Add/Sub/Mul/Div, Max/Min, comparisons, And/Or/Not, Where,
         Range, ConstantOfShape, Expand, CumSum and GatherND of splats);
       - writes Reshape targets as constants with 0 (copy, allowzero = 0)
         or one -1 for the dynamic sizes, Expand shapes with 1 where the
         input keeps its dynamic size, Slice bounds `size + k` as `k` or
         INT64_MAX;
       - forwards the passing operand of And(x, true), Or(x, false),
         integer Add(x, 0)/Mul(x, 1), and Where with a uniform condition,
         when that operand already has the result's shape;
       - refines result types to the sizes it proves, and the function's
         result types with them.
    2. A greedy rewrite with the identities on static types (Reshape to the
       input's shape, Reshape of Reshape, Expand that does not broadcast,
       Cast to the same type, Identity, identity Transpose, full Slice),
       constant folding of ops whose operands are all inline constants
       (never `dense_resource` or `#onnx.external` weights), and dead code
       elimination.

    Dynamic sizes are assumed nonnegative; nothing else about them is.

    Before:
    ```mlir
    %s = onnx.Shape %x {start = 1 : i64, end = 2 : i64}
        : (tensor<1x?x256xf32>) -> tensor<1xi64>
    %t = onnx.Concat %c1, %s, %c4, %c64 {axis = 0 : i64} : ...
    %r = onnx.Reshape %x, %t : (tensor<1x?x256xf32>, tensor<4xi64>)
        -> tensor<?x?x?x?xf32>
    ```
    After:
    ```mlir
    %t = onnx.Constant {value = dense<[1, -1, 4, 64]> : tensor<4xi64>}
        : tensor<4xi64>
    %r = onnx.Reshape %x, %t : (tensor<1x?x256xf32>, tensor<4xi64>)
        -> tensor<1x?x4x64xf32>
    ```
  }];
  let options = [
    Option<"maxFoldElements", "max-fold-elements", "int64_t",
           /*default=*/"1 << 20",
           "Largest number of elements of a non-splat constant that folding "
           "creates">,
  ];
  let dependentDialects = ["sieve::onnx::ONNXDialect"];
}

def SieveRaise : Pass<"sieve-raise", "mlir::ModuleOp"> {
  let summary = "Raise an imported ONNX graph to the sieve transformer dialect";
  let description = [{
    Run after `--sieve-simplify`. First, in the flat function, constructs
    are matched bottom-up into sieve ops (one pattern file per construct in
    passes/raise/), each phase on the ops of the previous ones:

    1. RMSNorm (`x * 1/sqrt(mean(x^2) + eps) * w` in the exporters' forms;
       eps must be a constant; a weight written `w + 1` gives
       weight_offset = 1) -> `sieve.rms_norm`; LayerNormalization over the
       last axis -> `sieve.layer_norm`; Gather of a table by token ids ->
       `sieve.embedding` (a scalar constant multiplied into it, Gemma's
       sqrt(hidden), becomes its scale), plus a Gather of a position table
       by Range(0, seq) added to it -> `sieve.position_embedding`; MatMul by
       a constant [K, N] weight (+ a constant bias Add), or a Gemm between
       Reshapes (GPT-2's Conv1D) -> `sieve.linear`; a Split of a linear's
       last axis, or Slices tiling it (fused qkv / gate_up projections) ->
       `sieve.split`.
    2. `q * cos + rotate_half(q) * sin` on a [B, H, S, D] head view, with
       cos/sin the Cos/Sin of positions x inv_freq -> `sieve.rotary` on the
       flat [B, S, H*D] tensor (inv_freq is its operand).
    3. `Softmax(Q K^T * scale + mask) V` back in [B, S, H*D] ->
       `sieve.attention`, with GQA from the Unsqueeze/Expand/Reshape of the
       KV heads, the scale from the constants (multiplied on Q, K or the
       scores, or divided out: their product, computed in double and
       rounded once to f32, so llama12's 0.353553385 on Q and on K gives
       0.124999993), and the mask checked to be exactly causal
       (Where(j <= i, 0, x) with x <= -1e9 over the positions). Scores must
       be f32: sieve.attention's softmax is fp32. A trailing
       `Where(IsNaN(p), 0, p)` is absorbed (no causal row is fully masked).
    4. `linear(act(linear(x, gate)) * linear(x, up), down)` ->
       `sieve.gated_mlp` (SiLU as x * Sigmoid(x); GELU from onnx.Gelu; tanh
       GELU also written out, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715
       x^3)))); `linear(act(linear(x, up) + b), down) + b` -> `sieve.mlp`;
       `act(g) * u` of two pieces of one `sieve.split` -> `sieve.glu`.
    5. The remaining Add of two activations -> `sieve.add`.

    Weights become `sieve.weight` ops. A widening Cast of a weight (f16 ->
    f32) is absorbed: the `sieve.weight` keeps the stored f16 tensor and the
    sieve op computes in its activations' type, upcasting the weight
    exactly as the Cast did.

    Then the residual chain from the embedding is followed; each layer (the
    adds up to and including the one after the MLP) moves into a
    `sieve.decoder_layer i` with clones of its weights, and everything into
    `sieve.model`. The LM head is the last linear, or MatMul by the
    transposed constant embedding table (tied: `sieve.lm_head
    {transposed}`). The architecture string comes from the structure:
    "llama" (RMSNorm, rotary, SwiGLU gated_mlp; Mistral too), "qwen2" (the
    same with biased q/k projections), "phi3" (split fused
    projections and a silu glu), "gemma" (scaled embedding, gelu_tanh
    gated_mlp), "gpt2" (learned positions, LayerNorm, no rotary, mlp), and
    "decoder" otherwise.

    A construct that is recognized but fails a check (a non-constant eps, a
    mask that is not causal, rotary tables that do not come from positions)
    is reported with a remark at its op and stays at the onnx level; when
    the structure is incomplete no model op is created (a remark says why)
    but the constructs that did raise stay raised.

    Before (one layer, abridged):
    ```mlir
    %e = onnx.Gather %table, %ids : ...
    %p = onnx.Pow %e, %two ...   %m = onnx.ReduceMean ...  %n = onnx.Mul ...
    %q = onnx.MatMul %n, %wq ... (Reshape, Transpose, rotary, Softmax, ...)
    %r = onnx.Add %e, %o ...
    ...
    %logits = onnx.MatMul %final, %lm : ...
    ```
    After:
    ```mlir
    %logits = sieve.model "llama" (%ids) {hidden_size = 256 : i64,
        num_layers = 12 : i64, vocab_size = 256 : i64} {
    ^bb0(%t: tensor<1x?xi64>):
      %w = sieve.weight "model.embed_tokens.weight" {value = ...}
      %x = sieve.embedding %t, %w : ...
      %l0 = sieve.decoder_layer 0 (%x) {
      ^bb0(%h: tensor<1x?x256xf32>):
        %n = sieve.rms_norm %h, %g {epsilon = 9.99999997E-7 : f32} : ...
        %q = sieve.linear %n, %wq : ...
        %qr = sieve.rotary %q, %inv {head_dim = 64 : i64, num_heads = 4 : i64,
            rotary_dim = 64 : i64, style = #sieve.rotary_style<half>} : ...
        %a = sieve.attention %qr, %kr, %v {causal = true, head_dim = 64 : i64,
            num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 1.250000e-01 : f32}
        ...
        sieve.yield %r : tensor<1x?x256xf32>
      } : (tensor<1x?x256xf32>) -> tensor<1x?x256xf32>
      ...
      %l = sieve.lm_head %f, %wl : ...
      sieve.output %l : tensor<1x?x256xf32>
    } : (tensor<1x?xi64>) -> tensor<1x?x256xf32>
    ```
  }];
  let dependentDialects = ["sieve::onnx::ONNXDialect", "sieve::SieveDialect"];
}

def SieveQuantize : Pass<"sieve-quantize", "mlir::ModuleOp"> {
  let summary = "Quantize linear weights and the KV cache of a sieve.model";
  let description = [{
    Replaces the `sieve.weight` operands of `sieve.linear`,
    `sieve.gated_mlp`, `sieve.mlp` (and `sieve.lm_head` with `lm-head=true`)
    by `sieve.quantized_weight` ops whose codes, scales and zero points are
    written to `weights-file` (never inline), and sets `kv = #sieve.kv<...>`
    on every `sieve.attention`. Formats and layouts: docs/quantization.md.

    - `weights=int8`: symmetric, one scale per output channel (amax / 127).
    - `weights=int4`: asymmetric, groups of `group` inputs (default 128),
      f16 scale and uint4 zero point per group.
    - `weights=fp8`: E4M3 codes, one scale per output channel (amax / 448);
      the GEMMs quantize activations to E4M3 per token at run time.
    - `method=awq` (int8/int4): activation-aware scaling from `profile=`
      (the per-input-channel mean |x| of `sieve-run --profile`): for each
      weight the exponent alpha in {0, 0.05, ..., 1} of c = |x|^alpha
      minimizing the activation-weighted squared weight error is kept, and
      the quantized weight records c as `input_scales`.
    - `target-bits=T` (with weights=int4; 4 < T <= 8): layer-wise mixed
      precision: round((T - 4) / 4 * layers) decoder layers get int8, the
      most important first by `order=`: `lim` (1 - the profile's per-layer
      input/output cosine), `zd` (the profile's per-layer fraction of
      weights with z-score > 1, smaller first, as the paper reads it) or
      `random` (`seed=`).
    - `kv=int8|fp8` (one scale per position and head) or
      `kv=int4` (asymmetric, groups of `kv-group`, default head_dim).

    Refused with an error: unknown formats or methods, a group that is odd,
    non-positive or does not divide a weight's input dimension, awq without
    a profile or with fp8, target-bits outside (4, 8] or without
    weights=int4, an order needing a profile without one, a profile that is
    missing, malformed or does not fit the model, a missing weights-file.
  }];
  let options = [
    Option<"weights", "weights", "std::string", /*default=*/"\"none\"",
           "Weight format: int8, int4, fp8 or none">,
    Option<"group", "group", "int64_t", /*default=*/"128",
           "int4 group size along the input dimension">,
    Option<"method", "method", "std::string", /*default=*/"\"rtn\"",
           "rtn (round to nearest) or awq (activation-aware scaling; needs "
           "profile=)">,
    Option<"profile", "profile", "std::string", /*default=*/"\"\"",
           "Calibration profile (sieve-run --profile JSON)">,
    Option<"lmHead", "lm-head", "bool", /*default=*/"false",
           "Quantize the LM head too">,
    Option<"kv", "kv", "std::string", /*default=*/"\"none\"",
           "KV-cache format: int8, fp8, int4 or none">,
    Option<"kvGroup", "kv-group", "int64_t", /*default=*/"0",
           "int4 KV group along head_dim (0: head_dim)">,
    Option<"targetBits", "target-bits", "double", /*default=*/"0",
           "Average weight bits for int4/int8 per layer (0: off)">,
    Option<"order", "order", "std::string", /*default=*/"\"lim\"",
           "Layer importance for target-bits: lim, zd or random">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "Seed of order=random">,
    Option<"weightsFile", "weights-file", "std::string",
           /*default=*/"\"\"",
           "File the quantized weights are written to (referenced by "
           "absolute path)">,
  ];
  let dependentDialects = ["sieve::onnx::ONNXDialect", "sieve::SieveDialect"];
}

def SieveSkipLayers : Pass<"sieve-skip-layers", "mlir::ModuleOp"> {
  let summary = "Remove decoder layers (or their attention / MLP blocks)";
  let description = [{
    Removes the least important decoder layers of the `sieve.model`
    (techniques.md section 1; docs/skip-layers.md). A removed layer's
    `sieve.decoder_layer` op is erased and its input passed on, so its
    weights and its KV cache vanish; a removed attention or MLP block is
    erased inside its layer and its residual add passes the residual
    stream through.

    Modes:
    - `static`: remove the layers of lowest importance by `metric`, read
      from `profile=` (docs/profile.md) or computed in-process from
      `calibration=`: `cosine` = block influence `1 - cos(x_l, x_{l+1})`,
      `lim` = `-cos(x_l, x_{l+1})` (both: remove the lowest), `zd` = the
      layer's weight ZD (remove the highest: the paper ranks smaller as
      more important). With `iterative=true` the profile is recomputed on
      `calibration=` (in-process, CPU reference Session) after every
      removal.
    - `unified`: Unified Layer Skipping: `N` layers spread evenly over the
      removable ones (positions `first + floor((2i + 1) M / 2N)` of the `M`
      removable), no profile.
    - `sublayer`: attention and MLP blocks scored separately by
      `1 - cosine_attention` / `1 - cosine_mlp` (`cosine`) or their
      negations (`lim`); a layer whose two blocks are both removed is
      erased.
    - `list`: remove exactly `layers=` (`4` a whole layer, `3.attn` /
      `3.mlp` one block), in that order; no profile, keep-first and
      keep-last do not apply. Removing every layer is refused. Also the way
      `sieve-compile --self-speculative='skip=...'` names the draft's
      bypassed sub-layers (docs/speculative.md).

    How many: `count=N`, or `target-speedup=s`: the fewest removals (in
    the mode's order) with `total / (total - removed) >= s`, where the
    analytic decode cost of a layer or block is the bytes of its weights
    plus, for attention, its KV cache at `context=` positions (keys and
    values at the attention's element type), and `total` adds the model's
    weights outside layers except embedding tables. Layers at the first
    `keep-first` and last `keep-last` positions are never removed.

    Every removal is appended to the module attribute `sieve.removed`, an
    array of dictionaries `{layer = index, block = "layer" | "attention" |
    "mlp", mode, metric, score, order}` (score: the metric's value that
    ranked it; absent for unified), for the compiler's manifest.

    Refused with an error: no `sieve.model` (run --sieve-raise first),
    `count` above the removable layers (blocks), a target speedup that
    removing everything removable cannot reach, a missing, unreadable or
    mismatched profile (other layer count or indices), and conflicting or
    missing options.
  }];
  let options = [
    Option<"mode", "mode", "std::string", /*default=*/"\"static\"",
           "static | unified | sublayer | list">,
    ListOption<"layers", "layers", "std::string",
               "mode=list: the layers (4) and blocks (3.attn, 3.mlp) to "
               "remove">,
    Option<"metric", "metric", "std::string", /*default=*/"\"cosine\"",
           "cosine | lim | zd (static and sublayer modes)">,
    Option<"targetSpeedup", "target-speedup", "double", /*default=*/"0.0",
           "Remove the fewest layers (blocks) whose analytic decode cost "
           "gives at least this speedup (> 1)">,
    Option<"count", "count", "int64_t", /*default=*/"-1",
           "Remove this many layers (blocks in sublayer mode)">,
    Option<"keepFirst", "keep-first", "int64_t", /*default=*/"1",
           "Never remove the first this-many layers">,
    Option<"keepLast", "keep-last", "int64_t", /*default=*/"1",
           "Never remove the last this-many layers">,
    Option<"iterative", "iterative", "bool", /*default=*/"false",
           "Re-profile on calibration= after every removal (static, "
           "sublayer)">,
    Option<"calibration", "calibration", "std::string", /*default=*/"",
           "Calibration text to profile the model in-process">,
    Option<"profile", "profile", "std::string", /*default=*/"",
           "A profile from sieve-run --profile (docs/profile.md)">,
    Option<"context", "context", "int64_t", /*default=*/"2048",
           "KV-cache positions in the analytic cost of target-speedup">,
    Option<"window", "window", "int64_t", /*default=*/"512",
           "Window in bytes of the in-process profile">,
    Option<"maxWindows", "max-windows", "int64_t", /*default=*/"64",
           "Windows of calibration= the in-process profile reads (0: all)">,
    Option<"threads", "threads", "int64_t", /*default=*/"0",
           "Threads of the in-process profile (0: one per hardware thread)">,
  ];
  let dependentDialects = ["sieve::SieveDialect"];
}

def SievePruneTokens : Pass<"sieve-prune-tokens", "mlir::ModuleOp"> {
  let summary = "Prune long prompts before prefill (GemFilter)";
  let description = [{
    Records `token_filter = #sieve.token_filter<...>` on the `sieve.model`
    (techniques.md 2.1; docs/token-pruning.md). The filter is a run-time
    policy both executors apply (the CPU reference Session and the compiled
    runtime): a prompt longer than `k` tokens runs through the decoder
    layers before layer `layer` and the attention inputs of layer `layer`;
    its positions are scored by the last `window` query rows' attention
    log-probabilities summed over heads, average-pooled with width `pool`;
    the top `k` (or top `k / block` blocks of `block` positions) are kept in
    their original order and the full model is prefilled on them alone at
    positions 0 .. k-1; decoding continues from that shorter cache. With
    `window=1 block=1` the rule is exactly
    ../shared/reference/gemfilter_reference.py. Prompts of at most `k`
    tokens run unpruned.

    `layer` is the `index` of a `sieve.decoder_layer` (0-based; for an
    unpruned model the position, as transformers' `attentions[layer]`).
    Without `layer`, `profile=` (sieve-run --profile) chooses it: among the
    layers whose position is in [L/4, 3L/4) of the L layers, the one whose
    heads put the most attention mass on distant keys (the largest mean over
    heads of `rest`), the earliest on ties.

    Refused with an error: no `sieve.model` (run --sieve-raise first), an
    unknown method, `k` < 1, a layer that is not one of the model's, `pool`
    even, < 1 or > 255, `window` < 1, `block` that does not divide `k`,
    neither `layer` nor `profile`, a profile that is missing, malformed or
    does not fit the model.
  }];
  let options = [
    Option<"method", "method", "std::string", /*default=*/"\"gemfilter\"",
           "Selection method: gemfilter">,
    Option<"layer", "layer", "int64_t", /*default=*/"-1",
           "Filter layer (decoder layer index; -1: choose from profile=)">,
    Option<"k", "k", "int64_t", /*default=*/"1024",
           "Prompt tokens kept">,
    Option<"pool", "pool", "int64_t", /*default=*/"5",
           "Average-pooling width of the scores (odd)">,
    Option<"window", "window", "int64_t", /*default=*/"1",
           "Observation window: the last this-many query rows score">,
    Option<"block", "block", "int64_t", /*default=*/"1",
           "Select blocks of this many consecutive positions (divides k)">,
    Option<"profile", "profile", "std::string", /*default=*/"\"\"",
           "A profile (sieve-run --profile) to choose the layer from">,
  ];
  let dependentDialects = ["sieve::SieveDialect"];
}

def SieveEvictKV : Pass<"sieve-evict-kv", "mlir::ModuleOp"> {
  let summary = "Evict KV-cache positions (SnapKV at the end of prefill, H2O)";
  let description = [{
    Records `kv_evict = #sieve.kv_evict<...>` on the `sieve.model`
    (techniques.md 2.2; docs/token-pruning.md), a run-time cache policy:
    after a prefill longer than `budget + window` positions, every
    attention keeps the last `window` positions plus the `budget` earlier
    ones with the largest score (the last `window` queries' attention
    probabilities summed over those queries and the query heads reading
    each KV head, average-pooled with width `pool`), per KV head
    (`scope=head`) or per layer (`scope=layer`). Kept positions keep their
    rotary positions; decoding continues at the prompt's length.
    `method=h2o` (heavy hitters) scores a position by the attention
    probability summed over every query so far (all prompt queries, then
    each generated token's) and evicts after the prefill and after every
    decode step, so the cache never exceeds `budget + window` positions.

    Refused with an error: no `sieve.model`, an unknown method or scope,
    `budget` < 1 (or not given), `window` < 1, `pool` even, < 1 or > 255.
  }];
  let options = [
    Option<"method", "method", "std::string", /*default=*/"\"snapkv\"",
           "Eviction method: snapkv or h2o">,
    Option<"budget", "budget", "int64_t", /*default=*/"-1",
           "Prefix positions kept besides the window (required)">,
    Option<"window", "window", "int64_t", /*default=*/"32",
           "Observation window: the last this-many prompt positions">,
    Option<"pool", "pool", "int64_t", /*default=*/"7",
           "Average-pooling width of the scores (odd)">,
    Option<"scope", "scope", "std::string", /*default=*/"\"head\"",
           "Select per KV head (head) or once per layer (layer)">,
  ];
  let dependentDialects = ["sieve::SieveDialect"];
}

#endif // SIEVE_PASSES_TD
