#!/usr/bin/env python3
"""Writes the golden fixtures of Tests/LowBitModelsTests/Fixtures from reference frameworks.

  minilm.json   all-MiniLM-L6-v2 sentence embeddings (sentence-transformers, FP32, 384-d, normalized)
  gpt2.json     gpt2-kjvwiki-6l logits (transformers GPT2LMHeadModel, FP32)
  smollm2.json  SmolLM2-135M-Instruct Q4_1 GGUF logits (transformers LlamaForCausalLM loaded from
                the GGUF, i.e. dequantized weights with Q/K un-permuted to HF layout), cross-checked
                against a numpy forward pass that rotates adjacent pairs on the raw GGUF weights.

For decoders each file holds the token ids, top-20 (id, logit) of a few rows, the log-probability of
each actual next token, and the largest |logit| (the scale for tolerances). Never runs in CI.
Needs: torch, transformers, sentence-transformers, gguf, numpy.
Usage: python3 scripts/make_model_fixtures.py   (from the package root; models from scripts/fetch-models.sh)
"""
import json, os, sys
import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests/LowBitModelsTests/Fixtures")
MINILM = os.path.join(ROOT, ".models/all-MiniLM-L6-v2")
GPT2 = os.path.join(ROOT, "../shared/models/gpt2-kjvwiki-6l")
SMOL = os.path.join(ROOT, ".models/SmolLM2-135M-Instruct.Q4_1.gguf")
torch.set_num_threads(2)

SENTENCES = [
    "A man is playing a guitar.",
    "The quick brown fox jumps over the lazy dog near the riverbank on a sunny afternoon in late September.",
    "Hi",
    "Quantization reduces the precision of weights and activations, trading a little accuracy for speed and memory.",
    "Café au lait, naïve résumé — déjà vu!",
    "In the beginning God created the heaven and the earth. And the earth was without form, and void; "
    "and darkness was upon the face of the deep.",
    "What is the capital of France?",
    # Longer than 256 tokens: exercises truncation to [CLS] + 254 tokens + [SEP].
    " ".join(["The committee reviewed the annual budget, the hiring plan and the new building permits "
              "before adjourning for lunch."] * 18),
]

# Twelve more sentences of real review text (every 16th line of the Pang-Lee set), ~20 in all.
_PANG_LEE = os.path.join(ROOT, "../shared/data/labelled/sentiment-pang-lee.tsv")
SENTENCES += [line.rstrip("\n").split("\t", 1)[1] for line in open(_PANG_LEE, encoding="utf-8").readlines()[1::16]][:12]

# Further GPT-2 windows: the openings of wiki-valid and news-train (128 tokens each).
GPT2_WINDOWS = {"gpt2_wiki.json": "../shared/data/text/wiki-valid.txt", "gpt2_news.json": "../shared/data/text/news-train.txt"}

GPT2_TEXT = ("And it came to pass in the days when the judges ruled, that there was a famine in the land. "
             "And a certain man of Bethlehemjudah went to sojourn in the country of Moab, he, and his wife, "
             "and his two sons. And the name of the man was Elimelech, and the name of his wife Naomi.")
SMOL_TEXT = ("The capital of France is Paris. The capital of Germany is Berlin. The capital of Spain is Madrid. "
             "The capital of Japan is Tokyo. The capital of Italy is")


def dump(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def decoder_record(ids, logits, model_name, source):
    """logits: float32 [T, vocab] numpy."""
    T = len(ids)
    lp = torch.log_softmax(torch.from_numpy(logits).double(), -1).numpy()
    rows = sorted(set([0, T // 4, T // 2, T - 1]))
    top = []
    for r in rows:
        order = np.argsort(-logits[r], kind="stable")[:20]
        top.append({"row": r, "ids": [int(i) for i in order], "logits": [float(logits[r, i]) for i in order]})
    return {
        "model": model_name, "source": source, "ids": [int(i) for i in ids],
        "top": top,
        "nextTokenLogProbs": [float(lp[t, ids[t + 1]]) for t in range(T - 1)],
        "maxAbsLogit": float(np.abs(logits).max()),
    }


def minilm():
    from sentence_transformers import SentenceTransformer
    m = SentenceTransformer(MINILM, device="cpu")
    assert m.max_seq_length == 256, m.max_seq_length
    emb = m.encode(SENTENCES, batch_size=32, convert_to_numpy=True, normalize_embeddings=False)
    ids = [m.tokenizer(s, truncation=True, max_length=256)["input_ids"] for s in SENTENCES]
    dump("minilm.json", {"model": "all-MiniLM-L6-v2", "source": "sentence-transformers", "maxLength": 256,
                         "sentences": SENTENCES, "ids": ids,
                         "embeddings": [[round(float(x), 8) for x in v] for v in emb]})


def gpt2():
    from transformers import GPT2LMHeadModel, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(GPT2)
    model = GPT2LMHeadModel.from_pretrained(GPT2, dtype=torch.float32).eval()
    ids = tok(GPT2_TEXT)["input_ids"][:64]
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0].float().numpy()
    dump("gpt2.json", decoder_record(ids, logits, "gpt2-kjvwiki-6l", "transformers GPT2LMHeadModel"))
    for name, path in GPT2_WINDOWS.items():
        text = open(os.path.join(ROOT, path), encoding="utf-8").read()[:4000]
        ids = tok(text)["input_ids"][:128]
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0].float().numpy()
        dump(name, decoder_record(ids, logits, "gpt2-kjvwiki-6l", "transformers GPT2LMHeadModel, " + path.split("/")[-1]))


def numpy_llama_gguf(ids):
    """Independent check: llama.cpp layout (adjacent-pair RoPE) on raw dequantized GGUF weights."""
    from gguf import GGUFReader
    from gguf.quants import dequantize
    r = GGUFReader(SMOL)
    def field(k):
        f = r.fields[k]; v = f.parts[f.data[0]]
        return v.tolist()[0] if hasattr(v, "tolist") else v
    L = field("llama.block_count"); E = field("llama.embedding_length"); H = field("llama.attention.head_count")
    HK = field("llama.attention.head_count_kv"); base = field("llama.rope.freq_base")
    eps = field("llama.attention.layer_norm_rms_epsilon")
    W = {t.name: dequantize(t.data, t.tensor_type).astype(np.float32).reshape([int(x) for x in reversed(t.shape)])
         for t in r.tensors}
    D = E // H; inv = base ** (-np.arange(0, D, 2) / D); T = len(ids)
    def rms(x, g): return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * g
    def rope(x):
        ang = np.arange(T)[:, None] * inv[None, :]; c, s = np.cos(ang), np.sin(ang)
        x0, x1 = x[..., 0::2], x[..., 1::2]; out = np.empty_like(x)
        out[..., 0::2] = x0 * c - x1 * s; out[..., 1::2] = x0 * s + x1 * c; return out
    emb = W["token_embd.weight"]; head = W.get("output.weight", emb)
    h = emb[ids]; mask = np.triu(np.full((T, T), -np.inf, np.float32), 1)
    for l in range(L):
        p = f"blk.{l}."
        x = rms(h, W[p + "attn_norm.weight"])
        q = rope((x @ W[p + "attn_q.weight"].T).reshape(T, H, D).transpose(1, 0, 2))
        k = rope((x @ W[p + "attn_k.weight"].T).reshape(T, HK, D).transpose(1, 0, 2))
        v = (x @ W[p + "attn_v.weight"].T).reshape(T, HK, D).transpose(1, 0, 2)
        k = np.repeat(k, H // HK, 0); v = np.repeat(v, H // HK, 0)
        s = q @ k.transpose(0, 2, 1) / np.sqrt(D) + mask; s = np.exp(s - s.max(-1, keepdims=True)); s /= s.sum(-1, keepdims=True)
        h = h + (s @ v).transpose(1, 0, 2).reshape(T, E) @ W[p + "attn_output.weight"].T
        x = rms(h, W[p + "ffn_norm.weight"])
        g = x @ W[p + "ffn_gate.weight"].T; u = x @ W[p + "ffn_up.weight"].T
        h = h + ((g / (1 + np.exp(-g))) * u) @ W[p + "ffn_down.weight"].T
    return rms(h, W["output_norm.weight"]) @ head.T


def smollm2():
    from transformers import AutoModelForCausalLM, AutoTokenizer
    d, f = os.path.dirname(SMOL), os.path.basename(SMOL)
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    model = AutoModelForCausalLM.from_pretrained(d, gguf_file=f, dtype=torch.float32).eval()
    ids = tok(SMOL_TEXT, add_special_tokens=False)["input_ids"][:32]
    with torch.no_grad():
        logits = model(torch.tensor([ids])).logits[0].float().numpy()
    ref = numpy_llama_gguf(ids)
    diff = float(np.abs(ref - logits).max())
    print(f"smollm2: transformers vs numpy (GGUF layout) max |Δlogit| = {diff:.2e}, scale {np.abs(logits).max():.1f}")
    assert diff < 1e-2 * max(1.0, float(np.abs(logits).max())), "transformers and numpy disagree"
    assert (ref.argmax(-1) == logits.argmax(-1)).all()
    rec = decoder_record(ids, logits, "SmolLM2-135M-Instruct.Q4_1", "transformers LlamaForCausalLM from GGUF")
    rec["text"] = SMOL_TEXT
    dump("smollm2.json", rec)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    which = sys.argv[1:] or ["minilm", "gpt2", "smollm2"]
    for w in which:
        globals()[w]()
