#!/usr/bin/env python3
"""The token filter's transient state through the C API (sieve_runtime.h),
by ctypes on a compiled retrieval8 (test/gpu/gemfilter_memory.sh).

Usage: gemfilter_capi.py gem GEM.sieve CASES.jsonl   (compiled with a filter)
       gemfilter_capi.py dense DENSE.sieve CASES.jsonl

Prints PASS/FAIL lines and one JSON line; exit status 1 if a check fails."""
import ctypes
import json
import sys
from ctypes import POINTER, byref, c_char_p, c_float, c_int32, c_uint64, c_void_p

OK, INVALID_ARGUMENT, CONTEXT_FULL = 0, 1, 5
LOGITS_LAST = 0


class Options(ctypes.Structure):
    _fields_ = [("max_batch", c_int32), ("max_context", c_int32),
                ("max_prefill_tokens", c_int32)]


class Memory(ctypes.Structure):
    _fields_ = [("weights_bytes", c_uint64), ("session_bytes", c_uint64),
                ("transient_bytes", c_uint64)]


failures = 0
report = {}


def expect(what, ok, detail=""):
    global failures
    failures += not ok
    print(f"{'PASS' if ok else 'FAIL'}: {what}{': ' + detail if detail else ''}")


class Model:
    def __init__(self, folder):
        self.lib = ctypes.CDLL(folder + "/libmodel.so")
        self.lib.sieve_last_error.restype = c_char_p
        manifest = json.load(open(folder + "/manifest.json"))
        self.config = manifest["config"]
        self.handle = c_void_p()
        self.check(self.lib.sieve_model_open(folder.encode(), byref(self.handle)), "open")
        self.k = c_int32()
        self.check(self.lib.sieve_model_token_filter(self.handle, byref(self.k)), "filter")
        self.k = self.k.value

    def check(self, status, what):
        if status != OK:
            raise RuntimeError(f"{what}: status {status}: {self.error()}")

    def error(self):
        return self.lib.sieve_last_error().decode()

    def session(self, max_context, prefill_tokens=0):
        s = c_void_p()
        self.check(self.lib.sieve_session_create(self.handle, byref(Options(1, max_context, prefill_tokens)),
                                                 byref(s)), "session")
        return s

    def prefill(self, s, tokens, logits=None):
        arr = (c_int32 * len(tokens))(*tokens)
        ptrs = (POINTER(c_int32) * 1)(ctypes.cast(arr, POINTER(c_int32)))
        n = (c_int32 * 1)(len(tokens))
        out = (c_float * self.config["vocab_size"])() if logits is not None else None
        status = self.lib.sieve_prefill(s, 1, ptrs, n, LOGITS_LAST, out)
        if out is not None:
            logits[:] = list(out)
        return status

    def kept(self, s, capacity):
        buf, count = (c_int32 * capacity)(), c_int32()
        self.check(self.lib.sieve_session_kept(s, capacity, buf, byref(count)), "kept")
        return list(buf[:count.value])

    def length(self, s):
        n = (c_int32 * 1)()
        self.check(self.lib.sieve_session_lengths(s, n), "lengths")
        return n[0]

    def memory(self, s):
        m = Memory()
        self.check(self.lib.sieve_session_memory(s, byref(m)), "memory")
        return m


def filter_bytes(config, n, layers, num_heads, window=1):
    """What FilterState allocates for a prompt of n tokens (runtime.cu)."""
    block = config["kv_block_size"]
    blocks = (n + block - 1) // block
    kv = 2 * layers * blocks * config["num_kv_heads"] * block * config["head_dim"] * 2
    scores = (n * (1 + window * num_heads) + window * num_heads) * 4
    return kv + blocks * 4 + scores


def main():
    kind, folder, cases = sys.argv[1:4]
    case = next(c for c in map(json.loads, open(cases)) if c["length"] == 4096)
    prompt = list(case["prompt"].encode("latin-1"))
    n = len(prompt)
    m = Model(folder)
    report.update({"capi": kind, "prompt_tokens": n, "k": m.k})
    if kind == "dense":
        expect("the dense model has no filter", m.k == 0)
        s = m.session(300)
        status = m.prefill(s, prompt)
        expect(f"dense: a {n}-token prompt in max_context 300 -> CONTEXT_FULL",
               status == CONTEXT_FULL, m.error())
        expect("dense: no transient memory", m.memory(s).transient_bytes == 0)
    else:
        expect("the model keeps k = 256", m.k == 256)
        # A prompt 14x longer than the session: the filter pass has its own cache.
        small = m.session(300)
        first = [0.0] * m.config["vocab_size"]
        expect(f"a {n}-token prompt in a session of max_context 300", m.prefill(small, prompt, first) == OK,
               m.error())
        kept = m.kept(small, n)
        expect("it keeps 256 ascending positions, the slot holds 256",
               len(kept) == 256 and kept == sorted(set(kept)) and m.length(small) == 256)
        mem = m.memory(small)
        # Layer 2 of retrieval8 (8 heads, no skipped layers): KV layers 0..2.
        want = filter_bytes(m.config, n, 3, num_heads=8)
        expect("the transient state is the 3 filter layers' KV and the scores for the prompt",
               mem.transient_bytes == want, f"{mem.transient_bytes} bytes, expected {want}")
        report.update({"session_bytes_ctx300": mem.session_bytes, "transient_bytes": mem.transient_bytes,
                       "weights_bytes": mem.weights_bytes})
        # Decoding continues from the kept cache up to max_context.
        token = (c_int32 * 1)(65)
        steps = [m.lib.sieve_decode_step(small, 1, token, None) for _ in range(44)]
        expect("44 decode steps fill the session to 300", steps == [OK] * 44 and m.length(small) == 300)
        expect("one more -> CONTEXT_FULL", m.lib.sieve_decode_step(small, 1, token, None) == CONTEXT_FULL)
        m.lib.sieve_session_reset(small)
        m.prefill(small, prompt[:2000])
        expect("a slot that holds tokens is not pruned: a long prompt -> CONTEXT_FULL",
               m.prefill(small, prompt) == CONTEXT_FULL, m.error())
        # The filter pass in chunks of 1000 (through the transient block
        # table), and in a session that holds the whole prompt: the same
        # selection and logits.
        for label, session in (("chunks of 1000", m.session(300, 1000)),
                               ("a session of max_context 4200", m.session(4200))):
            logits = [0.0] * m.config["vocab_size"]
            expect(f"{label}: prefill", m.prefill(session, prompt, logits) == OK, m.error())
            other = m.kept(session, n)
            common = len(set(other) & set(kept)) / 256
            diff = max(abs(a - b) for a, b in zip(logits, first))
            report[label] = {"identical_kept": other == kept, "overlap": common, "max_logit_diff": diff}
            expect(f"{label}: the same kept positions and last logits", common >= 0.99 and diff < 1e-2,
                   f"identical {other == kept}, overlap {common:.4f}, max |logit diff| {diff:.3g}")
        tiny = m.session(200)
        expect("k = 256 > max_context 200 -> CONTEXT_FULL", m.prefill(tiny, prompt) == CONTEXT_FULL, m.error())
        huge = (c_int32 * ((1 << 24) + 1))()
        ptrs = (POINTER(c_int32) * 1)(ctypes.cast(huge, POINTER(c_int32)))
        m.lib.sieve_session_reset(small)
        status = m.lib.sieve_prefill(small, 1, ptrs, (c_int32 * 1)(len(huge)), LOGITS_LAST, None)
        expect("a prompt of 2^24 + 1 tokens -> INVALID_ARGUMENT", status == INVALID_ARGUMENT, m.error())
    print(json.dumps(report))
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, OSError) as e:  # a load or a call that had to succeed
        print(f"FAIL: {e}")
        sys.exit(1)
