#!/usr/bin/env python3
"""SnapKV eviction through the C API (sieve_runtime.h), by ctypes on a
retrieval8 compiled with --evict-kv (test/gpu/snapkv.sh). Reuses
gemfilter_capi.py's model wrapper.

Usage: snapkv_capi.py SNAP.sieve CASES.jsonl BUDGET WINDOW

Prints PASS/FAIL lines and one JSON line; exit status 1 if a check fails."""
import json
import os
import sys
from ctypes import POINTER, byref, c_float, c_int32

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gemfilter_capi as capi  # noqa: E402
from gemfilter_capi import INVALID_ARGUMENT, LOGITS_LAST, OK, expect  # noqa: E402


def evict_bytes(config, layers, num_heads, ctx, budget, window):
    """What EvictState allocates (runtime.cu): kv_mass_floats, the kept
    positions, the compaction staging of one layer."""
    kv_heads, kept = config["num_kv_heads"], budget + window
    floats = window * num_heads * (1 + ctx) + layers * kv_heads * ctx
    vector = config["head_dim"] * 2
    return floats * 4 + layers * kv_heads * kept * 4 + kv_heads * kept * 2 * vector


def main():
    folder, cases, budget, window = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    case = next(c for c in map(json.loads, open(cases)) if c["length"] == 1024)
    prompt = list(case["prompt"].encode("latin-1"))
    n, kept = len(prompt), budget + window
    m = capi.Model(folder)
    lib, vocab = m.lib, m.config["vocab_size"]
    report = {"capi": "snapkv", "prompt_tokens": n, "budget": budget, "window": window}
    b, w = c_int32(), c_int32()
    m.check(lib.sieve_model_kv_evict(m.handle, byref(b), byref(w)), "kv_evict")
    expect(f"sieve_model_kv_evict gives budget {budget}, window {window}",
           (b.value, w.value) == (budget, window), f"{b.value}, {w.value}")

    def evicted(s):
        d = c_int32()
        m.check(lib.sieve_session_evicted(s, byref(d)), "evicted")
        return d.value

    def step(s, token):
        out = (c_float * vocab)()
        status = lib.sieve_decode_step(s, 1, (c_int32 * 1)(token), out)
        return status, list(out)

    # A prompt longer than budget + window: the slot keeps budget + window.
    ctx = n + 64
    s = m.session(ctx)
    last = [0.0] * vocab
    expect(f"prefill of {n} tokens", m.prefill(s, prompt, last) == OK, m.error())
    expect(f"the slot holds budget + window = {kept}, {n - kept} evicted",
           m.length(s) == kept and evicted(s) == n - kept, f"{m.length(s)}, {evicted(s)}")
    mem = m.memory(s)
    # retrieval8: 8 KV layers, 8 query heads.
    want = evict_bytes(m.config, 8, 8, ctx, budget, window)
    expect("transient memory: the mass and its scratch, the kept positions, the staging",
           mem.transient_bytes == want, f"{mem.transient_bytes} bytes, expected {want}")
    report["transient_bytes"] = mem.transient_bytes
    status, first = step(s, prompt[-1])
    expect("a decode step after the eviction", status == OK and m.length(s) == kept + 1, m.error())

    # Chunked prefill: launches of 100 tokens would leave 24 < window for the
    # last; the runtime keeps the whole window in the last launch, so the
    # mass, the selection and the next step are those of one launch.
    chunked = m.session(ctx, 100)
    expect("chunks of 100: prefill", m.prefill(chunked, prompt) == OK, m.error())
    status, other = step(chunked, prompt[-1])
    diff = max(abs(a - b) for a, b in zip(first, other))
    report["chunked_max_logit_diff"] = diff
    expect("chunks of 100: the same cache length and next-step logits",
           status == OK and m.length(chunked) == kept + 1 and diff < 1e-2, f"max |diff| {diff:.3g}")

    short = prompt[:kept]
    lib.sieve_session_reset(s)
    expect(f"a prompt of budget + window = {kept} tokens is not evicted",
           m.prefill(s, short) == OK and m.length(s) == kept and evicted(s) == 0, m.error())

    # A continued slot is extended, not evicted (as the CPU's extend()).
    lib.sieve_session_reset(s)
    m.prefill(s, prompt[:8])
    expect("a slot holding tokens is extended without eviction",
           m.prefill(s, prompt[8:n - 64]) == OK and m.length(s) == n - 64 and evicted(s) == 0,
           m.error())

    tiny = m.session(ctx, window // 2)
    expect(f"launches of {window // 2} tokens < window {window} -> INVALID_ARGUMENT",
           m.prefill(tiny, prompt) == INVALID_ARGUMENT, m.error())
    pair = c_int32 * n
    arrays = [pair(*prompt), pair(*prompt)]
    two = capi.c_void_p()
    m.check(lib.sieve_session_create(m.handle, byref(capi.Options(2, ctx, 0)), byref(two)), "session")
    ptrs = (POINTER(c_int32) * 2)(*(capi.ctypes.cast(a, POINTER(c_int32)) for a in arrays))
    status = lib.sieve_prefill(two, 2, ptrs, (c_int32 * 2)(n, n), LOGITS_LAST, None)
    expect("a batch of two long prompts -> INVALID_ARGUMENT", status == INVALID_ARGUMENT, m.error())
    print(json.dumps(report))
    return 1 if capi.failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, OSError) as e:  # a load or a call that had to succeed
        print(f"FAIL: {e}")
        sys.exit(1)
