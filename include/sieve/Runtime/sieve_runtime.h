/* sieve runtime: the C API of a compiled model (a `model.sieve` folder).
 *
 * A compiled model is a folder holding manifest.json, weights.bin and
 * libmodel.so; libmodel.so exports exactly the functions below. Every call
 * that can fail returns a sieve_status; sieve_last_error() then gives a
 * message for the calling thread. Nothing aborts the process.
 *
 * Sequences live in slots 0..max_batch-1 of a session. A prefill appends
 * tokens to slots 0..batch-1 (a slot continues where it stopped, so a long
 * prompt may arrive in chunks); a decode step appends one token to each of
 * the slots 0..batch-1. Logits are float32, row-major [rows, vocab_size]. */
#ifndef SIEVE_RUNTIME_H
#define SIEVE_RUNTIME_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever this header, the weights.bin format or the generated
 * code's interface changes; a library and a weights.bin must agree. */
#define SIEVE_RUNTIME_ABI_VERSION 4

typedef enum sieve_status {
  SIEVE_OK = 0,
  SIEVE_ERROR_INVALID_ARGUMENT = 1, /* null pointers, token ids out of range, batch > max_batch */
  SIEVE_ERROR_BAD_FILE = 2,         /* missing, truncated or corrupt weights.bin */
  SIEVE_ERROR_VERSION_MISMATCH = 3, /* weights.bin / library ABI differ */
  SIEVE_ERROR_OUT_OF_MEMORY = 4,    /* device or host allocation failed */
  SIEVE_ERROR_CONTEXT_FULL = 5,     /* a sequence would exceed max_context */
  SIEVE_ERROR_CUDA = 6,             /* any other CUDA / cuBLAS failure */
  SIEVE_ERROR_NO_DEVICE = 7         /* no usable CUDA device */
} sieve_status;

typedef struct sieve_model sieve_model;
typedef struct sieve_session sieve_session;

typedef struct sieve_model_config {
  int32_t abi_version;
  int32_t vocab_size;
  int32_t hidden_size;
  int32_t num_layers;   /* decoder layers in the compiled model */
  int32_t num_kv_heads;
  int32_t head_dim;
  const char *dtype;    /* "f16" or "bf16" */
  const char *name;     /* model name recorded at compile time */
} sieve_model_config;

typedef struct sieve_session_options {
  int32_t max_batch;          /* sequences (slots) */
  int32_t max_context;        /* tokens per sequence (held in the KV cache;
                                 a model with a token filter takes longer
                                 prompts, see sieve_model_token_filter) */
  int32_t max_prefill_tokens; /* tokens per prefill launch (longer prefills
                                 run in chunks); 0 = min(max_batch *
                                 max_context, 8192), or 8192 for a model
                                 with a token filter */
} sieve_session_options;

typedef struct sieve_sampling {
  float temperature; /* <= 0: greedy (argmax) */
  int32_t top_k;     /* 0: off */
  float top_p;       /* >= 1: off */
  uint64_t seed;
} sieve_sampling;

enum { SIEVE_LOGITS_LAST = 0, SIEVE_LOGITS_ALL = 1 };

/* Message of the last failed call on this thread ("" if none). */
const char *sieve_last_error(void);

/* Opens DIR/weights.bin and uploads the weights to the current device. */
sieve_status sieve_model_open(const char *model_dir, sieve_model **out);
sieve_status sieve_model_get_config(const sieve_model *model,
                                    sieve_model_config *out);
void sieve_model_close(sieve_model *model);

sieve_status sieve_session_create(sieve_model *model,
                                  const sieve_session_options *options,
                                  sieve_session **out);
void sieve_session_destroy(sieve_session *session);
/* Empties every slot (the KV cache is reused, not freed). */
sieve_status sieve_session_reset(sieve_session *session);
/* Forgets the positions >= length of `slot` (KV-cache rollback for
 * speculative decoding: the cache keeps positions [0, length), later steps
 * overwrite the rest). INVALID_ARGUMENT for a slot outside [0, max_batch)
 * or a length outside [0, the slot's length]. */
sieve_status sieve_session_truncate(sieve_session *session, int32_t slot,
                                    int32_t length);
/* Tokens held by each slot: lengths[0..max_batch). */
sieve_status sieve_session_lengths(const sieve_session *session,
                                   int32_t *lengths);

/* Appends lengths[b] tokens (tokens[b]) to slot b for b < batch.
 * logits_mode SIEVE_LOGITS_LAST: logits_out is [batch, vocab] (the last
 * new position of each slot); SIEVE_LOGITS_ALL: [sum(lengths), vocab] in
 * slot order. logits_out may be NULL: the last positions' logits stay on
 * the device for sieve_sample. */
sieve_status sieve_prefill(sieve_session *session, int32_t batch,
                           const int32_t *const *tokens,
                           const int32_t *lengths, int32_t logits_mode,
                           float *logits_out);

/* Models compiled with a token filter (--sieve-prune-tokens, see
 * docs/token-pruning.md): sieve_prefill of one fresh prompt longer than k
 * tokens scores it at the filter layer, keeps k positions and prefills
 * those alone (at positions 0..k-1; logits and the slot's length follow
 * the kept tokens). The filter pass runs on a transient cache of the
 * layers up to the filter layer, sized for the prompt and freed before
 * sieve_prefill returns, so the prompt may be longer than max_context (up
 * to 2^24 tokens, else INVALID_ARGUMENT): only the k kept tokens must fit
 * (CONTEXT_FULL when k > max_context). A prompt of at most k tokens, a
 * slot that already holds tokens and a batch of several prompts run
 * unpruned, within max_context. sieve_model_token_filter gives k (0: no
 * filter); sieve_session_kept the positions the last prefill kept (count 0
 * when it ran unpruned), into kept[0..capacity). */
sieve_status sieve_model_token_filter(const sieve_model *model, int32_t *k);
sieve_status sieve_session_kept(const sieve_session *session,
                                int32_t capacity, int32_t *kept,
                                int32_t *count);

/* KV eviction (sieve-compile --evict-kv; docs/token-pruning.md): SnapKV:
 * the prefill of a fresh batch-1 prompt of n > budget + window tokens
 * (within max_context) keeps, in every KV layer and head, the `budget`
 * positions before the last `window` that the window's queries attended to
 * most, plus the window: the slot then holds budget + window tokens
 * (sieve_session_lengths) and the next token continues at position n.
 * H2O: the same selection by the attention of every query so far (the
 * prompt's, then each decode step's), after the prefill and after every
 * decode step, so the slot never holds more than budget + window; its
 * sessions take batch 1 (prefill, decode) and no draft or verify steps
 * (INVALID_ARGUMENT). Prefill logits are the full prompt's.
 * sieve_model_kv_evict gives budget and window (0 and 0: no eviction);
 * sieve_session_evicted how many positions eviction dropped from every
 * (layer, head) since the last prefill (0 when none). */
sieve_status sieve_model_kv_evict(const sieve_model *model, int32_t *budget,
                                  int32_t *window);
sieve_status sieve_session_evicted(const sieve_session *session,
                                   int32_t *dropped);

/* Device memory the runtime allocated (cudaMalloc) for `session`:
 * weights_bytes for its model, session_bytes held while the session lives
 * (KV cache, activation arena, GEMM workspace, attention scratch, logits,
 * step indices), transient_bytes that the last sieve_prefill held during
 * the call and freed (a token filter's KV cache and scores; 0 when it ran
 * unpruned; with SnapKV eviction, also the attention mass and its scratch;
 * H2O's are session bytes, held for the session's decode steps).
 * Their sum is the runtime's peak during a pruned prefill; the
 * CUDA context, cuBLASLt and captured graphs come on top. */
typedef struct sieve_memory_usage {
  uint64_t weights_bytes;
  uint64_t session_bytes;
  uint64_t transient_bytes;
} sieve_memory_usage;
sieve_status sieve_session_memory(const sieve_session *session,
                                  sieve_memory_usage *out);

/* Appends tokens[b] to slot b for b < batch; logits_out is [batch, vocab]
 * or NULL. Runs as a CUDA graph captured on first use per batch size. */
sieve_status sieve_decode_step(sieve_session *session, int32_t batch,
                               const int32_t *tokens, float *logits_out);

/* Self-speculative decoding (sieve-compile --self-speculative): like
 * sieve_decode_step, through the model's draft, which bypasses some
 * sub-layers (a bypassed attention writes no keys or values at the new
 * position; verifying with sieve_prefill rewrites them). INVALID_ARGUMENT
 * when the model has no draft. Its own CUDA graph per batch size. */
sieve_status sieve_draft_step(sieve_session *session, int32_t batch,
                              const int32_t *tokens, float *logits_out);
/* The verify step of speculative decoding for slot 0 of a batch-1 use:
 * like sieve_prefill(session, 1, &tokens, &count, SIEVE_LOGITS_ALL,
 * logits_out) (logits_out is [count, vocab]; the last row also stays on the
 * device for sieve_sample), run as a CUDA graph captured on first use per
 * count. count in [1, 32]; other slots are not touched. */
sieve_status sieve_verify_step(sieve_session *session, int32_t count,
                               const int32_t *tokens, float *logits_out);
/* 1 when the model was compiled with a draft, else 0. */
int32_t sieve_model_has_draft(const sieve_model *model);

/* One token per slot 0..batch-1 of the last prefill / decode step, from
 * the logits of each slot's last position, on the device. */
sieve_status sieve_sample(sieve_session *session, int32_t batch,
                          const sieve_sampling *sampling,
                          int32_t *out_tokens);

/* Generates `steps` tokens per slot 0..batch-1 on the device: `steps`
 * times, sieve_sample then sieve_decode_step of the sampled tokens, with
 * the same tokens, logits and random draws as those calls would give, but
 * with no host round trip between steps (each step's sampling writes the
 * tokens the next step embeds; one synchronization at the end).
 * out_tokens is [steps, batch]: the tokens sampled at each step, which
 * are also appended to the slots (each slot ends with the logits of its
 * last token). steps in [1, 2^20]; every slot needs logits;
 * CONTEXT_FULL when a slot would pass max_context; INVALID_ARGUMENT with
 * H2O eviction (it runs on the host after every step). On a failure the
 * lengths are unchanged. */
sieve_status sieve_generate(sieve_session *session, int32_t batch,
                            int32_t steps, const sieve_sampling *sampling,
                            int32_t *out_tokens);

#ifdef __cplusplus
}
#endif
#endif /* SIEVE_RUNTIME_H */
