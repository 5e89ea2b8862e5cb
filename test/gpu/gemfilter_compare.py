#!/usr/bin/env python3
"""Compares sieve's GemFilter kept indices with gemfilter_reference.py's
(issue 10), case by case, and says which differences are near-ties.

    python3 gemfilter_compare.py --reference-script gemfilter_reference.py \
        --model models/retrieval8/retrieval8.onnx --cases cases.jsonl \
        --sieve sieve.json --reference ref.jsonl --layer 2 --k 512 [--pool 5]
        [--label L] [--tol 0.05]

--sieve is a `sieve-run --retrieval --json` report (or a line of
bench/results/retrieval_pruning_cpu.jsonl) whose "results" carry "kept";
--reference is the reference script's output for the same cases, layer, k
and pool. A case whose prompt has at most k tokens runs unpruned in sieve
(no "kept"): it counts as keeping every index. For the near-tie check the
pooled scores are recomputed with the reference script's own model loader
and rule; a kept index where the two differ is a near-tie when its pooled
score is within --tol of the k-th largest (the selection threshold). Prints
one JSON line and a PASS/FAIL line: PASS when every difference is a
near-tie."""
import argparse, importlib.util, json, sys


def load_reference(path):
    spec = importlib.util.spec_from_file_location("gemfilter_reference", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    for a in ("--reference-script", "--model", "--cases", "--sieve", "--reference"):
        ap.add_argument(a, required=True)
    ap.add_argument("--layer", type=int, required=True)
    ap.add_argument("--k", type=int, required=True)
    ap.add_argument("--pool", type=int, default=5)
    ap.add_argument("--tol", type=float, default=0.05)
    ap.add_argument("--label", default="")
    a = ap.parse_args()

    import torch
    from transformers import LlamaConfig
    ref = load_reference(a.reference_script)
    cases = [json.loads(l) for l in open(a.cases) if l.strip()]
    sieve = json.loads(open(a.sieve).read().splitlines()[0])["results"]
    reference = [json.loads(l) for l in open(a.reference) if l.strip()]
    ref_acc = reference[-1].get("accuracy")
    reference = [r for r in reference if "kept" in r]
    if not (len(cases) == len(sieve) == len(reference)):
        sys.exit(f"case counts differ: cases {len(cases)}, sieve {len(sieve)}, "
                 f"reference {len(reference)}")
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    # retrieval8's configuration (models/retrieval8/README.md).
    cfg = LlamaConfig(vocab_size=256, hidden_size=256, intermediate_size=768,
                      num_hidden_layers=8, num_attention_heads=8,
                      num_key_value_heads=2, max_position_embeddings=8192,
                      rope_theta=100000.0, tie_word_embeddings=False,
                      use_cache=False, attn_implementation="eager")
    model = ref.load(a.model, cfg, dev)
    identical = differing_cases = differing = near = 0
    worst_gap = 0.0
    overlap = []
    for c, s, r in zip(cases, sieve, reference):
        n = len(c["prompt"].encode("latin-1"))
        mine = set(s.get("kept", range(n)))
        theirs = set(r["kept"])
        if mine == theirs:
            identical += 1
            overlap.append(1.0)
            continue
        differing_cases += 1
        overlap.append(len(mine & theirs) / max(1, len(theirs)))
        ids = torch.tensor([list(c["prompt"].encode("latin-1"))], device=dev)
        with torch.no_grad():
            att = model(ids, output_attentions=True).attentions[a.layer][0, :, -1, :].double()
            score = att.clamp_min(1e-300).log().sum(0)
            pooled = torch.nn.functional.avg_pool1d(score[None, None], a.pool, 1, a.pool // 2,
                                                    count_include_pad=True)[0, 0]
        kth = pooled.topk(min(a.k, pooled.numel())).values[-1].item()
        for i in mine ^ theirs:
            gap = abs(pooled[i].item() - kth)
            differing += 1
            near += gap <= a.tol
            worst_gap = max(worst_gap, gap)
    sieve_acc = sum(bool(s["correct"]) for s in sieve) / len(sieve)
    out = {"label": a.label, "layer": a.layer, "k": a.k, "pool": a.pool,
           "cases": len(cases), "identical_cases": identical,
           "differing_cases": differing_cases, "differing_indices": differing,
           "near_ties": near, "tol": a.tol, "worst_gap": worst_gap,
           "mean_overlap": sum(overlap) / len(overlap),
           "sieve_accuracy": sieve_acc, "reference_accuracy": ref_acc}
    print(json.dumps(out))
    ok = near == differing
    print(f"{'PASS' if ok else 'FAIL'}: {a.label} layer {a.layer} k {a.k}: "
          f"{identical}/{len(cases)} cases identical, {differing} differing "
          f"indices of which {near} near-ties (|pooled - k-th| <= {a.tol}, worst "
          f"{worst_gap:.4g}); accuracy sieve {sieve_acc:.3f} vs reference {ref_acc}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
