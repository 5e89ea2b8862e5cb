#!/usr/bin/env python3
"""Compares sieve's GemFilter kept indices with gemfilter_reference.py's
(issue 10), case by case, and says which differences are near-ties.

    python3 gemfilter_compare.py --reference-script gemfilter_reference.py \
        --model models/retrieval8/retrieval8.onnx --cases cases.jsonl \
        --sieve LABEL=sieve.json [--sieve LABEL=...] --reference ref.jsonl \
        --layer 2 --k 512 [--pool 5] [--tol 0.05]

Each --sieve is a `sieve-run --retrieval --json` report (or a line of
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
    for a in ("--reference-script", "--model", "--cases", "--reference"):
        ap.add_argument(a, required=True)
    ap.add_argument("--sieve", action="append", required=True, metavar="LABEL=PATH")
    ap.add_argument("--layer", type=int, required=True)
    ap.add_argument("--k", type=int, required=True)
    ap.add_argument("--pool", type=int, default=5)
    ap.add_argument("--tol", type=float, default=0.05)
    a = ap.parse_args()

    import torch
    from transformers import LlamaConfig
    ref = load_reference(a.reference_script)
    cases = [json.loads(l) for l in open(a.cases) if l.strip()]
    reference = [json.loads(l) for l in open(a.reference) if l.strip()]
    ref_acc = reference[-1].get("accuracy")
    reference = [r for r in reference if "kept" in r]
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    # retrieval8's configuration (models/retrieval8/README.md).
    cfg = LlamaConfig(vocab_size=256, hidden_size=256, intermediate_size=768,
                      num_hidden_layers=8, num_attention_heads=8,
                      num_key_value_heads=2, max_position_embeddings=8192,
                      rope_theta=100000.0, tie_word_embeddings=False,
                      use_cache=False, attn_implementation="eager")
    model = ref.load(a.model, cfg, dev)
    pooled_cache = {}

    def pooled_scores(i, c):
        # The reference's rule, recomputed for the near-tie check.
        if i not in pooled_cache:
            ids = torch.tensor([list(c["prompt"].encode("latin-1"))], device=dev)
            with torch.no_grad():
                att = model(ids, output_attentions=True).attentions[a.layer][0, :, -1, :].double()
                score = att.clamp_min(1e-300).log().sum(0)
                pooled_cache[i] = torch.nn.functional.avg_pool1d(
                    score[None, None], a.pool, 1, a.pool // 2, count_include_pad=True)[0, 0]
        return pooled_cache[i]

    failed = False
    for spec in a.sieve:
        label, path = spec.split("=", 1)
        sieve = json.loads(open(path).read().splitlines()[0])["results"]
        if not (len(cases) == len(sieve) == len(reference)):
            sys.exit(f"case counts differ: cases {len(cases)}, {label} {len(sieve)}, "
                     f"reference {len(reference)}")
        identical = differing_cases = differing = near = 0
        worst_gap = 0.0
        overlap = []
        for i, (c, s, r) in enumerate(zip(cases, sieve, reference)):
            n = len(c["prompt"].encode("latin-1"))
            mine = set(s.get("kept", range(n)))
            theirs = set(r["kept"])
            if mine == theirs:
                identical += 1
                overlap.append(1.0)
                continue
            differing_cases += 1
            overlap.append(len(mine & theirs) / max(1, len(theirs)))
            pooled = pooled_scores(i, c)
            kth = pooled.topk(min(a.k, pooled.numel())).values[-1].item()
            for j in mine ^ theirs:
                gap = abs(pooled[j].item() - kth)
                differing += 1
                near += gap <= a.tol
                worst_gap = max(worst_gap, gap)
        acc = sum(bool(s["correct"]) for s in sieve) / len(sieve)
        print(json.dumps({"label": label, "layer": a.layer, "k": a.k, "pool": a.pool,
                          "cases": len(cases), "identical_cases": identical,
                          "differing_cases": differing_cases, "differing_indices": differing,
                          "near_ties": near, "tol": a.tol, "worst_gap": worst_gap,
                          "mean_overlap": sum(overlap) / len(overlap),
                          "sieve_accuracy": acc, "reference_accuracy": ref_acc}))
        ok = near == differing
        failed |= not ok
        print(f"{'PASS' if ok else 'FAIL'}: {label} layer {a.layer} k {a.k} vs reference: "
              f"{identical}/{len(cases)} cases identical, {differing} differing indices of "
              f"which {near} near-ties (|pooled - k-th| <= {a.tol}, worst {worst_gap:.4g}); "
              f"accuracy {acc:.3f} vs reference {ref_acc}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
