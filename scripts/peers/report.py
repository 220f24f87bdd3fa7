"""Tables and goal ratios of scripts/bench_peers.py, and bits per weight of the linear layers."""
import json, os, re

LINEAR_GGUF = re.compile(r"^blk\.\d+\.(attn_q|attn_k|attn_v|attn_output|ffn_gate|ffn_up|ffn_down)\.weight$")


def gguf_linear_bits(path):
    """Bits per weight of the block linear layers of a GGUF, and their tensor types."""
    try:
        from gguf import GGUFReader
        r = GGUFReader(path)
        ts = [t for t in r.tensors if LINEAR_GGUF.match(t.name)]
        types = sorted({t.tensor_type.name for t in ts})
        return {"bits": 8 * sum(int(t.n_bytes) for t in ts) / sum(int(t.n_elements) for t in ts), "types": types}
    except Exception as e:  # noqa: BLE001
        return {"error": str(e)}


def lowbit_linear_bits(directory):
    """Bits per weight of the block linear sites of a quantized directory (codes + scales + zeros, bias left out)."""
    try:
        m = json.load(open(os.path.join(directory, "quantization.json")))
        sites = [s for s in m["sites"] if s["role"] != "head"]
        stored = sum(s["bytes"] - (4 * s["out_features"] if s.get("bias") else 0) for s in sites)
        return {"bits": 8 * stored / sum(s["out_features"] * s["in_features"] for s in sites),
                "types": sorted({s["storage"] for s in sites})}
    except Exception as e:  # noqa: BLE001
        return {"error": str(e)}


def _f(v, fmt):
    return "—" if v is None else format(v, fmt)


def _sites(s):
    return f"{s['integer']}/{s['total']} integer" if s else ""


def minilm_table(rows):
    head = ["engine"] + [f"{b}×{s} ms (p10–p90)" for b, s in [(1, 16), (1, 128), (32, 128)]] + \
           ["32×128 sentences/s", "32×128 tokens/s", "cosine to PyTorch FP32 (mean / min)", "linear sites", "peak RSS MiB", "note"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["name"]]
        for key in ["1x16", "1x128", "32x128"]:
            x = r["shapes"].get(key)
            if x is None:
                cells.append("—")
            elif "error" in x:
                cells.append("failed")
            else:
                l = x["latency"]
                cells.append(f"{l['median_ms']:.2f} ({l['p10_ms']:.2f}–{l['p90_ms']:.2f})")
        big = r["shapes"].get("32x128") or {}
        cos = r.get("cosine")
        cells += [_f(big.get("sentences_per_second"), ".1f"), _f(big.get("tokens_per_second"), ".0f"),
                  f"{cos['mean']:.5f} / {cos['min']:.5f}" if cos else "—", _sites(r.get("sites")),
                  _f(r["peak_rss_bytes"] / 2**20 if r.get("peak_rss_bytes") else None, ".0f")]
        errors = [r["error"]] if r.get("error") else [f"{k}: {v['error']}" for k, v in r["shapes"].items() if "error" in v]
        cells.append("; ".join([r.get("note") or ""] + [f"**{e}**" for e in errors]).strip("; "))
        out.append("| " + " | ".join(cells) + " |")
    return out


def smollm2_table(rows, ppl_tokens):
    head = ["engine", "linear bits/weight", "weights MiB", "prompt tok/s", "generation tok/s", f"ppl ({ppl_tokens} tokens)",
            "linear sites", "note"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        sp, pp, bits = r.get("speed") or {}, r.get("ppl") or {}, r.get("bits") or {}
        if r["kind"] == "lowbit":
            dec = sp.get("decoder", {})
            prompt, gen = dec.get("prefill_tokens_per_second"), dec.get("generation_tokens_per_second")
            size, sites = (sp.get("memory") or {}).get("weight_file_bytes"), _sites(sp.get("linear_sites"))
            note = f"--engine {r['engine']}"
        else:
            prompt, gen = sp.get("prefill_tokens_per_second"), sp.get("generation_tokens_per_second")
            size, sites = os.path.getsize(r["path"]) if os.path.exists(r["path"]) else None, ""
            note = sp.get("framework", "")
        bits_cell = f"{bits['bits']:.2f} ({'/'.join(bits['types'])})" if "bits" in bits else "—"
        errors = [e for e in [r.get("error"), sp.get("error") and "speed: " + sp["error"], pp.get("error") and "ppl: " + pp["error"]] if e]
        cells = [r["name"], bits_cell, _f(size / 2**20 if size else None, ".1f"), _f(prompt, ".1f"), _f(gen, ".1f"),
                 _f(pp.get("ppl"), ".3f"), sites, "; ".join([note] + [f"**{e}**" for e in errors]).strip("; ")]
        out.append("| " + " | ".join(cells) + " |")
    return out


def markdown(res):
    m, v, cfg = res["machine"], res["versions"], res["config"]
    lines = [f"Measured {m['date']} on {m['cpu']} ({m['cores']} cores; flags {', '.join(m['flags'])}), load average "
             f"(1, 5, 15 min) {m['load']} at the start and {m.get('load_end', '?')} at the end, commit {m['commit']}{' (uncommitted changes)' if m['dirty'] else ''}; "
             f"{cfg['threads']} threads for every engine (LowBit `--threads`, ONNX Runtime intra-op threads, "
             f"torch.set_num_threads, llama.cpp n_threads / n_threads_batch).",
             f"Command: `{res['command']}` (builds `lowbit`, installs missing peers with pip). Versions: "
             + ", ".join(f"{k} {x}" for k, x in v.items()) + ".",
             ""]
    if cfg["quick"]:
        lines += ["**--quick run: few repeats and small caps, to check the script — not numbers to quote.**", ""]
    if "minilm" in res:
        lines += ["### all-MiniLM-L6-v2 sentence embedding",
                  "",
                  f"B sequences of exactly S tokens ([CLS], S−2 consecutive WordPiece tokens of the Lee-50 news documents, [SEP]; "
                  f"no padding), embedded (encoder + mean pooling + L2 norm) per batch; median latency of {cfg['repeats']} runs "
                  f"after {cfg['warmup']} warm-up runs, p10–p90 in brackets. Every engine in its own process. Cosine: each of the 50 "
                  f"Lee-50 documents embedded alone (truncated at 256 tokens) by the engine and by PyTorch FP32.", ""]
        lines += minilm_table(res["minilm"]) + [""]
    if "smollm2" in res:
        lines += ["### SmolLM2-135M-Instruct",
                  "",
                  f"Prompt: {cfg['prompt']} tokens of the Lee-50 text into an empty KV cache; generation: {cfg['gen']} greedy "
                  f"one-token steps after it (no stop at end-of-text); median of {cfg['repeats_dec']} runs after "
                  f"{cfg['warmup_dec']} warm-up. Perplexity: wiki-valid, the first {cfg['ppl_tokens']} tokens (documents "
                  f"split on blank lines, end-of-text after each, LowBit's token ids for every engine — "
                  f"{res.get('tokenizer_note', '')}), non-overlapping windows of {cfg['ctx']} whose first token is context "
                  "only (`lowbit eval --task ppl`; llama.cpp from logits_all=True logits in the same windows). The Q8_0 "
                  "GGUF and the LowBit directories are made from the Q4_1 GGUF (dequantized, quantized again), so all start "
                  "from the same weights. Bits/weight: stored bytes of the block linear weights (codes, scales, zero points) "
                  "per weight; weights MiB: the GGUF file or the directory's safetensors (LowBit keeps the embedding in FP32).",
                  ""]
        lines += smollm2_table(res["smollm2"], cfg["ppl_tokens"])
        info = next((r["speed"].get("system_info") for r in res["smollm2"] if r["kind"] == "llama" and r.get("speed")), None)
        if info:
            lines += ["", f"llama.cpp system info: `{info.strip()}`"]
    return "\n".join(lines)


def _enc(rows, name, shape):
    r = next((r for r in rows if r["name"] == name), None)
    x = (r or {}).get("shapes", {}).get(shape) or {}
    return x.get("sentences_per_second")


def goals(res):
    out = ["Goals of issue 5 (ratio ≥ goal is met):"]

    def line(what, num, den, goal):
        if num is None or den is None:
            out.append(f"  {what}: not measured (a run failed)")
        else:
            ratio = num / den
            out.append(f"  {what}: {ratio:.2f}× (goal ≥ {goal}×) {'MET' if ratio >= goal else 'NOT MET'}")
    if "minilm" in res:
        rows = res["minilm"]
        for shape, goal in [("32x128", 1.3), ("1x128", 1.0), ("1x16", 1.0)]:
            line(f"MiniLM {shape.replace('x', '×')} LowBit W8A8 / ONNX Runtime INT8 throughput",
                 _enc(rows, "LowBit W8A8", shape), _enc(rows, "ONNX Runtime INT8 (dynamic)", shape), goal)
    if "smollm2" in res:
        rows = {r["name"]: r for r in res["smollm2"]}

        def gen(r):
            sp = r.get("speed") or {}
            return (sp.get("decoder") or {}).get("generation_tokens_per_second") if r["kind"] == "lowbit" else sp.get("generation_tokens_per_second")
        for mine, theirs in [("LowBit W8A8", "llama.cpp Q8_0"), ("LowBit W4A8", "llama.cpp Q4_1"), ("LowBit W4A16", "llama.cpp Q4_1")]:
            a, b = rows.get(mine, {}), rows.get(theirs, {})
            line(f"SmolLM2 generation {mine} / {theirs}", gen(a) if a else None, gen(b) if b else None, 1.0)
            pa, pb = (a.get("ppl") or {}).get("ppl"), (b.get("ppl") or {}).get("ppl")
            if pa is not None and pb is not None:
                out.append(f"  SmolLM2 ppl {mine} {pa:.3f} vs {theirs} {pb:.3f}: {'MET (≤)' if pa <= pb else 'NOT MET (higher)'}")
            else:
                out.append(f"  SmolLM2 ppl {mine} vs {theirs}: not measured")
    return out
