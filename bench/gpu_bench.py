#!/usr/bin/env python3
"""The measuring pieces of bench/gpu_bench.sh (issue 7), one subcommand each,
every one writing a JSON file:

  ceilings OUT.json           device-to-device copy bandwidth and the cuBLAS
                              fp16 GEMM rate (torch, CUDA events, medians)
  pytorch NAME OUT.json       PyTorch fp16 on a model shape of
                              test/gpu/export_hf.py (seeded random weights):
                              eager prefill, eager decode (manual loop over
                              the HF KV cache) at batch 1 and 32, and
                              generate() with a static cache (auto-compiled)
  memrun OUT.json -- CMD...   runs CMD, parses its stdout as JSON and records
                              the peak GPU memory seen by nvidia-smi polling
  assemble WORK OUT.json      gathers WORK/ceilings.json and WORK/<model>/*.json

Timing: warm-up first, then medians over repeats; GPU work is timed with CUDA
events. The knobs are environment variables (BENCH_*), listed in
docs/benchmarks.md.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXPORT_DIR = os.path.join(HERE, "..", "test", "gpu")


def env_int(name, default):
    value = os.environ.get(name, str(default))
    try:
        n = int(value)
    except ValueError:
        raise SystemExit(f"{name}={value!r} is not an integer")
    if n <= 0:
        raise SystemExit(f"{name}={value} must be positive")
    return n


def log(msg):
    print(f"[gpu_bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def write_json(path, obj):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
    log(f"wrote {path}")


# ---------------------------------------------------------------- timing --

def cuda_ms(fn, warmup, repeats):
    """Median milliseconds of fn() over `repeats` runs after `warmup`, each
    bracketed by CUDA events."""
    import torch
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = torch.cuda.Event(enable_timing=True)
        end = torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times), times


# -------------------------------------------------------------- ceilings --

def copy_ms(nbytes):
    """Median ms of a device-to-device copy of nbytes (its buffers are freed
    on return, before the GEMM allocates)."""
    import torch
    src = torch.empty(nbytes // 2, dtype=torch.float16, device="cuda").normal_()
    dst = torch.empty_like(src)
    return cuda_ms(lambda: dst.copy_(src), 3, 20)


def gemm_ms(n):
    import torch
    a = torch.randn(n, n, dtype=torch.float16, device="cuda")
    b = torch.randn(n, n, dtype=torch.float16, device="cuda")
    c = torch.empty(n, n, dtype=torch.float16, device="cuda")
    return cuda_ms(lambda: torch.matmul(a, b, out=c), 5, 30)


def ceilings(out):
    import torch
    nbytes = env_int("BENCH_COPY_MIB", 2048) << 20
    ms, copy_times = copy_ms(nbytes)
    # A copy reads and writes every byte.
    copy_gbps = 2 * nbytes / (ms * 1e-3) / 1e9
    n = env_int("BENCH_GEMM_N", 8192)
    ms_g, gemm_times = gemm_ms(n)
    tflops = 2 * n ** 3 / (ms_g * 1e-3) / 1e12
    result = {
        "device": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "copy": {"bytes": nbytes, "median_ms": ms, "gb_per_s": copy_gbps,
                 "times_ms": copy_times,
                 "method": "dst.copy_(src) fp16, (read + write bytes) / median time"},
        "gemm": {"n": n, "median_ms": ms_g, "tflop_per_s": tflops,
                 "times_ms": gemm_times,
                 "method": "torch.matmul fp16 n x n x n, 2 n^3 / median time"},
    }
    log(f"copy {copy_gbps:.0f} GB/s, GEMM {tflops:.0f} TFLOP/s")
    write_json(out, result)


# --------------------------------------------------------------- pytorch --

def build_model(name):
    """The fp16 model of export_hf.py's shape NAME with its seeded weights."""
    sys.path.insert(0, EXPORT_DIR)
    from export_hf import build_model as build, config
    cls, cfg = config(name)
    return build(cls, cfg), cfg


def shape_of(model, cfg):
    """Parameter counts the floors of docs/benchmarks.md are computed from."""
    layers = sum(p.numel() for p in model.model.layers.parameters())
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    return {
        "layers": cfg.num_hidden_layers,
        "hidden": cfg.hidden_size,
        "kv_heads": cfg.num_key_value_heads,
        "head_dim": head_dim,
        "vocab": cfg.vocab_size,
        "tied_embeddings": bool(cfg.tie_word_embeddings),
        "layer_params": layers,
        "lm_head_params": model.lm_head.weight.numel(),
        "embedding_params": model.model.embed_tokens.weight.numel(),
        "final_norm_params": sum(p.numel() for p in model.model.norm.parameters()),
        "total_params": sum(p.numel() for p in model.parameters()),
        "bytes_per_param": 2,
    }


def random_ids(cfg, batch, length, seed):
    import torch
    gen = torch.Generator().manual_seed(seed)
    return torch.randint(0, cfg.vocab_size, (batch, length), generator=gen).cuda()


def eager_prefill(model, cfg, tokens):
    """Batch-1 forward over `tokens` tokens, logits of the last position only
    (as sieve's prefill computes them), KV cache off."""
    import torch
    ids = random_ids(cfg, 1, tokens, 7)

    def fn():
        with torch.no_grad():
            model(input_ids=ids, use_cache=False, logits_to_keep=1)
    ms, times = cuda_ms(fn, 2, 5)
    return {"tokens": tokens, "ms": ms, "times_ms": times}


def eager_decode(model, cfg, batch, context, steps, repeats):
    """Manual greedy loop over the HF KV cache (the DynamicCache the model
    returns): prefill `context` tokens, then time `steps` single-token
    forwards with CUDA events; median over `repeats` fresh prefills (the first
    one is a warm-up)."""
    import torch
    ids = random_ids(cfg, batch, context, 11)
    rates = []
    for rep in range(repeats + 1):
        with torch.no_grad():
            out = model(input_ids=ids, use_cache=True, logits_to_keep=1)
            cache = out.past_key_values
            nxt = out.logits[:, -1].argmax(-1, keepdim=True)
            torch.cuda.synchronize()
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            for _ in range(steps):
                out = model(input_ids=nxt, past_key_values=cache, use_cache=True)
                cache = out.past_key_values
                nxt = out.logits[:, -1].argmax(-1, keepdim=True)
            end.record()
            end.synchronize()
        ms = start.elapsed_time(end)
        if rep > 0:
            rates.append({"ms_per_step": ms / steps,
                          "tokens_per_s": batch * steps / (ms * 1e-3)})
        del out, cache
    best = statistics.median(r["tokens_per_s"] for r in rates)
    return {"batch": batch, "context": context, "steps": steps,
            "tokens_per_s": best, "ms_per_step": batch * 1e3 / best,
            "repeats": rates,
            "method": "manual greedy loop, HF DynamicCache, CUDA events"}


def step_clock():
    """A generate() streamer that stamps the host time of every token batch
    it receives: generate() hands it the prompt, then each new token already
    copied to the host (so the stamp follows the step's GPU work)."""
    from transformers.generation.streamers import BaseStreamer

    class StepClock(BaseStreamer):
        def __init__(self):
            self.stamps = []

        def put(self, value):
            self.stamps.append(time.perf_counter())

        def end(self):
            pass
    return StepClock()


def static_generate(model, cfg, prompt, new_tokens, repeats):
    """generate() with cache_implementation="static" at batch 1, which
    transformers compiles on its own (torch.compile, CUDA graphs) for the
    decode steps. Prefill = start to the first new token; decode = the
    steps between the first and the last new token. Median over `repeats`
    after two warm-up calls (compilation, graph capture)."""
    import torch
    ids = random_ids(cfg, 1, prompt, 13)
    mask = torch.ones_like(ids)

    def once():
        clock = step_clock()
        t0 = time.perf_counter()
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=mask,
                                 max_new_tokens=new_tokens,
                                 min_new_tokens=new_tokens, do_sample=False,
                                 cache_implementation="static",
                                 pad_token_id=0, streamer=clock)
        torch.cuda.synchronize()
        generated = out.shape[1] - prompt
        if generated != new_tokens:
            raise RuntimeError(f"generate made {generated} tokens, not {new_tokens}")
        # generate() streams the prompt first, then one stamp per new token.
        skip = len(clock.stamps) - new_tokens
        if skip not in (0, 1):
            raise RuntimeError(f"streamer saw {len(clock.stamps)} puts for {new_tokens} tokens")
        first, last = clock.stamps[skip], clock.stamps[-1]
        steps = new_tokens - 1
        return {"prefill_ms": 1e3 * (first - t0),
                "decode_tokens_per_s": steps / (last - first) if steps else None,
                "total_s": time.perf_counter() - t0}

    import torch._dynamo
    t0 = time.time()
    warm = [once() for _ in range(2)]
    warm_s = time.time() - t0
    runs = [once() for _ in range(repeats)]
    graphs = torch._dynamo.utils.counters["stats"].get("unique_graphs", 0)
    result = {"prompt": prompt, "new_tokens": new_tokens,
              "prefill_ms": statistics.median(r["prefill_ms"] for r in runs),
              "runs": runs, "warmup_runs": warm, "warmup_seconds": warm_s,
              "dynamo_unique_graphs": graphs, "compiled": graphs > 0,
              "method": "generate(cache_implementation='static'), transformers "
                        "auto-compile; host stamps per token via a streamer"}
    if new_tokens > 1:
        result["decode_tokens_per_s"] = statistics.median(
            r["decode_tokens_per_s"] for r in runs)
    return result


def pytorch(name, out):
    import torch
    import transformers
    t0 = time.time()
    model, cfg = build_model(name)
    result = {"name": name, "torch": torch.__version__,
              "transformers": transformers.__version__,
              "shape": shape_of(model, cfg)}
    log(f"{name}: built in {time.time() - t0:.1f} s, "
        f"{result['shape']['total_params'] / 1e9:.2f} B parameters")
    prefill_len = env_int("BENCH_PREFILL_TOKENS", 2048)
    context = env_int("BENCH_DECODE_CONTEXT", 512)
    steps = env_int("BENCH_DECODE_STEPS", 64)
    repeats = env_int("BENCH_REPEATS", 3)

    def step(key, fn):
        # One failing measurement is recorded and the others still run.
        t = time.time()
        try:
            result[key] = fn()
            log(f"{name}: {key} {json.dumps({k: v for k, v in result[key].items() if not isinstance(v, (list, dict))})} "
                f"({time.time() - t:.1f} s)")
        except Exception as e:  # noqa: BLE001 - the error is the record
            result[key] = {"error": f"{type(e).__name__}: {e}"}
            log(f"{name}: {key} FAILED: {result[key]['error']}")
        torch.cuda.empty_cache()
        result["max_memory_allocated_mib"] = torch.cuda.max_memory_allocated() / 2 ** 20
        write_json(out, result)  # after each step: a crash keeps the others

    step("eager_prefill", lambda: eager_prefill(model, cfg, prefill_len))
    step("eager_decode_b1", lambda: eager_decode(model, cfg, 1, context, steps, repeats))
    step("eager_decode_b32", lambda: eager_decode(model, cfg, 32, context, steps, repeats))
    step("static_decode_b1", lambda: static_generate(
        model, cfg, context, env_int("BENCH_STATIC_NEW_TOKENS", 128), repeats))
    if os.environ.get("BENCH_SKIP_STATIC_PREFILL") != "1":
        step("static_prefill_b1", lambda: static_generate(model, cfg, prefill_len, 1, repeats))
    failed = [k for k, v in result.items() if isinstance(v, dict) and "error" in v]
    if failed:
        raise SystemExit(f"{name}: failed: {', '.join(failed)} (errors in {out})")


# ---------------------------------------------------------------- memrun --

def memrun(out, cmd):
    """Runs cmd while nvidia-smi samples the GPU's used memory every 50 ms;
    the peak minus the reading before the start is the process's peak (the
    machine runs nothing else meanwhile)."""
    query = ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits", "-i", "0"]
    baseline = int(subprocess.check_output(query, text=True).split()[0])
    poll = subprocess.Popen(query + ["-lms", "50"], stdout=subprocess.PIPE, text=True)
    samples = []

    def reader():
        for line in poll.stdout:
            line = line.strip()
            if line.isdigit():
                samples.append(int(line))
    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    t0 = time.time()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sys.stderr.write(proc.stderr)
    seconds = time.time() - t0
    poll.terminate()
    poll.wait()
    thread.join(timeout=2)
    result = {"command": cmd, "rc": proc.returncode, "seconds": round(seconds, 2),
              "baseline_gpu_mib": baseline,
              "peak_gpu_mib": (max(samples) - baseline) if samples else None,
              "samples": len(samples), "stderr_tail": proc.stderr[-2000:],
              "memory_method": "nvidia-smi memory.used polled every 50 ms, "
                               "peak minus the reading before the start"}
    try:
        result["result"] = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        result["stdout"] = proc.stdout[-4000:]
    log(f"memrun rc {proc.returncode}, {seconds:.1f} s, peak {result['peak_gpu_mib']} MiB: "
        + " ".join(cmd[:2]))
    write_json(out, result)
    return proc.returncode


# -------------------------------------------------------------- assemble --

def load(path):
    with open(path) as f:
        return json.load(f)


def assemble(work, out):
    """One JSON with every raw record: ceilings plus, per model directory,
    each *.json it holds keyed by file name."""
    ceilings_path = os.path.join(work, "ceilings.json")
    if not os.path.isfile(ceilings_path):
        raise SystemExit(f"no {ceilings_path}: the ceilings step failed or WORK is wrong")
    result = {"ceilings": load(ceilings_path), "models": {}}
    for name in sorted(os.listdir(work)):
        d = os.path.join(work, name)
        if not os.path.isdir(d) or name.startswith("files-"):  # a model's files, not records
            continue
        records = {f[:-5]: load(os.path.join(d, f))
                   for f in sorted(os.listdir(d)) if f.endswith(".json")}
        if records:
            result["models"][name] = records
    if not result["models"]:
        raise SystemExit(f"no model records under {work}")
    write_json(out, result)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("ceilings")
    p.add_argument("out")
    p = sub.add_parser("pytorch")
    p.add_argument("name", choices=["llama1b", "qwen1.5b", "llama8b"])
    p.add_argument("out")
    p = sub.add_parser("memrun")
    p.add_argument("out")
    p.add_argument("command", nargs=argparse.REMAINDER)
    p = sub.add_parser("assemble")
    p.add_argument("work")
    p.add_argument("out")
    a = ap.parse_args()
    if a.cmd == "ceilings":
        ceilings(a.out)
    elif a.cmd == "pytorch":
        pytorch(a.name, a.out)
    elif a.cmd == "memrun":
        cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
        if not cmd:
            ap.error("memrun needs a command after --")
        sys.exit(memrun(a.out, cmd))
    else:
        assemble(a.work, a.out)


if __name__ == "__main__":
    main()
