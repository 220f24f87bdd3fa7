#!/usr/bin/env python3
"""llama.cpp peers (llama-cpp-python), one per process:

  llama_worker.py requantize IN.gguf OUT.gguf Q8_0 --threads T
      llama_model_quantize with allow_requantize (the tensors are dequantized and quantized again).
  llama_worker.py speed MODEL.gguf --threads T --prompt 512 --gen 128 --warmup W --repeats R --tokens FILE.json
      Prompt processing: the first P ids of FILE.json evaluated into an empty KV cache (one batch);
      generation: G greedy one-token steps after it (argmax of the last logits, no early stop),
      as `lowbit bench --prompt-tokens P --gen-tokens G`.
  llama_worker.py ppl MODEL.gguf --threads T --ctx 512 --tokens FILE.json
      Perplexity over FILE.json's ids in LowBit's windows (PerplexityTask.windows: non-overlapping,
      each window's first token is context only), from logits_all=True logits, log-softmax in float64.
  llama_worker.py tokenize MODEL.gguf --text FILE
      Each document's ids (add_bos=False, special=True), for a tokenizer-agreement check.

Prints one JSON object."""
import argparse, ctypes, json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import documents, latency, windows  # noqa: E402


def load(path, threads, n_ctx, logits_all=False):
    from llama_cpp import Llama
    return Llama(model_path=path, n_ctx=n_ctx, n_batch=min(n_ctx, 512), n_ubatch=min(n_ctx, 512), n_threads=threads,
                 n_threads_batch=threads, logits_all=logits_all, verbose=False)


def last_logits(llm):
    """The logits of the last evaluated token: [vocab] float32."""
    import numpy as np
    return np.ctypeslib.as_array(llm._ctx.get_logits_ith(-1), shape=(llm.n_vocab(),))


def requantize(a):
    import llama_cpp
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = getattr(llama_cpp, f"LLAMA_FTYPE_MOSTLY_{a.type}")
    params.nthread = a.threads
    params.allow_requantize = True
    rc = llama_cpp.llama_model_quantize(a.model.encode(), a.out.encode(), ctypes.byref(params))
    if rc != 0:
        sys.exit(f"llama_model_quantize failed with {rc}")
    print(json.dumps({"out": a.out, "type": a.type, "bytes": os.path.getsize(a.out)}))


def speed(a):
    import time
    import numpy as np
    import llama_cpp
    ids = json.load(open(a.tokens))[: a.prompt]
    llm = load(a.model, a.threads, a.prompt + a.gen + 8)

    def once():
        llm.reset()
        t0 = time.perf_counter()
        llm.eval(ids)
        t1 = time.perf_counter()
        for _ in range(a.gen):
            llm.eval([int(np.argmax(last_logits(llm)))])
        return t1 - t0, time.perf_counter() - t1
    for _ in range(a.warmup):
        once()
    runs = [once() for _ in range(a.repeats)]
    pp, tg = latency([r[0] for r in runs]), latency([r[1] for r in runs])
    info = llama_cpp.llama_print_system_info()
    print(json.dumps({"framework": f"llama-cpp-python {llama_cpp.__version__}", "threads": a.threads,
                      "system_info": info.decode() if isinstance(info, bytes) else str(info),
                      "prompt_tokens": len(ids), "gen_tokens": a.gen, "prefill": pp, "generation": tg,
                      "prefill_tokens_per_second": len(ids) * 1e3 / pp["median_ms"],
                      "generation_tokens_per_second": a.gen * 1e3 / tg["median_ms"]}))


def ppl(a):
    import numpy as np
    ids = json.load(open(a.tokens))
    llm = load(a.model, a.threads, a.ctx, logits_all=True)
    nll = []
    for lo, hi in windows(len(ids), a.ctx):
        window = ids[lo:hi]
        llm.reset()
        llm.eval(window)
        logits = np.array(llm.scores[: len(window) - 1], dtype=np.float64)
        m = logits.max(axis=1, keepdims=True)
        lse = (m[:, 0] + np.log(np.exp(logits - m).sum(axis=1)))
        nll.extend(lse - logits[np.arange(len(window) - 1), window[1:]])
    nll = np.array(nll)
    print(json.dumps({"ppl": float(np.exp(nll.mean())), "tokens": int(nll.size), "windows": len(windows(len(ids), a.ctx)),
                      "ctx": a.ctx}))


def tokenize(a):
    from llama_cpp import Llama
    llm = Llama(model_path=a.model, vocab_only=True, verbose=False)
    docs = documents(a.text)
    print(json.dumps({"eos": llm.token_eos(),
                      "documents": [llm.tokenize(d.encode("utf-8"), add_bos=False, special=True) for d in docs]}))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("requantize")
    q.add_argument("model"), q.add_argument("out"), q.add_argument("type")
    for name in ["speed", "ppl", "tokenize"]:
        p = sub.add_parser(name)
        p.add_argument("model")
        p.add_argument("--tokens"), p.add_argument("--text")
        p.add_argument("--prompt", type=int, default=512)
        p.add_argument("--gen", type=int, default=128)
        p.add_argument("--ctx", type=int, default=512)
        p.add_argument("--warmup", type=int, default=1)
        p.add_argument("--repeats", type=int, default=3)
    for p in [q] + [sub.choices[n] for n in ["speed", "ppl", "tokenize"]]:
        p.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    {"requantize": requantize, "speed": speed, "ppl": ppl, "tokenize": tokenize}[a.cmd](a)


if __name__ == "__main__":
    main()
