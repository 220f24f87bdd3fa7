#!/usr/bin/env python3
"""The quantization studies of docs/results.md, produced by calling the `lowbit` CLI.

    python3 scripts/study.py zeroquant      # ZeroQuant's table: SmolLM2, GPT-2 reference, MiniLM
    python3 scripts/study.py ptq-methods    # LQ vs ACIQ vs OCS at W8/6/4/3 x A8/float: MiniLM, GPT-2
    python3 scripts/study.py lkd --model gpt2      # RTN vs LKD at W4/8A16, W4/8A8, W4A8 (GPT-2 reference)
    python3 scripts/study.py lkd --model smollm2   # RTN vs LKD at W4/8A16, W4/8A8, W4A8 (SmolLM2, wiki-valid capped; ~1 h)
    python3 scripts/study.py lkd --model minilm    # RTN vs LKD (± trained scales) at W4/8A16, W4/8A8, W4A8 (MiniLM)

Run after `swift build -c release` from the repository root, with ../shared beside it and the
models fetched (scripts/fetch-models.sh). Each study rewrites its own section of
docs/results.md (between <!-- NAME:begin --> and <!-- NAME:end -->) with the command, date
and machine. Calibration always uses *-train text; evaluation uses *-valid and the labelled sets.
Options: --max-tokens N caps the tokens scored per text for the decoders (default: SmolLM2
16384 on wiki-valid, everything else in full); --quick scores 4096 tokens per text (smoke test).
The header records LOWBIT_THREADS (if set) and the 1-minute load average at the start and end,
so a run on a machine shared with other jobs says so.
"""
import argparse, datetime, json, os, platform, re, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "..", "shared")
LOWBIT = os.path.join(ROOT, ".build", "release", "lowbit")
TEXT = os.path.join(SHARED, "data", "text")
MODELS = {
    "SmolLM2-135M": os.path.join(ROOT, ".models", "SmolLM2-135M-Instruct.Q4_1.gguf"),
    "GPT-2 kjvwiki-6l": os.path.join(SHARED, "models", "gpt2-kjvwiki-6l"),
    "MiniLM-L6": os.path.join(ROOT, ".models", "all-MiniLM-L6-v2"),
}
CALIBRATION = {"SmolLM2-135M": "wiki-train.txt", "GPT-2 kjvwiki-6l": "wiki-train.txt", "MiniLM-L6": "news-train.txt"}


def lowbit(*args):
    out = subprocess.run([LOWBIT, *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def recipe_file(tmp, name, recipe):
    path = os.path.join(tmp, name.replace("/", "_") + ".json")
    with open(path, "w") as f:
        json.dump(recipe, f)
    return path


def quantize(model_name, recipe, tmp, tag, lkd=None):
    """lkd: None, or {"sequences", "steps", "lr", "batch", "seed", "train", "scale_lr"} for --method lkd."""
    out = os.path.join(tmp, tag)
    start = time.time()
    extra = ["--calibration-sequences", "32"]
    if lkd:
        extra = ["--method", "lkd", "--calibration-sequences", str(lkd["sequences"]), "--steps", str(lkd["steps"]),
                 "--lr", str(lkd["lr"]), "--batch", str(lkd["batch"]), "--seed", str(lkd.get("seed", 0)),
                 "--train", lkd.get("train", "weights+biases"), "--scale-lr", str(lkd.get("scale_lr", 1e-3))]
    # --head float: the studies compare body quantization with the head in FP32, as their earlier rows did.
    lowbit("quantize", MODELS[model_name], "--recipe", recipe, "--out", out, "--overwrite", "--json", "--head", "float",
           "--calibration", os.path.join(TEXT, CALIBRATION[model_name]), "--calibration-length", "128", *extra)
    return out, time.time() - start


def decoder_metrics(path, reference, caps):
    row = {}
    for text in ["kjv-valid", "wiki-valid"]:
        args = ["eval", path, "--task", "ppl", "--text", os.path.join(TEXT, text + ".txt"), "--json"]
        if caps.get(text):
            args += ["--max-tokens", str(caps[text])]
        if reference:
            args += ["--reference", reference]
        r = lowbit(*args)
        row[text] = r
    return row


def encoder_metrics(path, reference):
    row = {t: lowbit("eval", path, "--task", t, "--json") for t in ["sts-lee50", "sentiment", "wordsim", "simlex"]}
    if reference:
        row["fidelity"] = lowbit("eval", path, "--task", "embed-fidelity", "--reference", reference, "--sentences",
                                 os.path.join(SHARED, "data", "labelled", "lee50-docs.txt"), "--json")
    return row


def fmt_decoder(label, m, secs):
    k, w = m["kjv-valid"], m["wiki-valid"]
    kl = lambda r: f"{r['kl_mean']:.4f}" if "kl_mean" in r else "—"
    top = lambda r: f"{100 * r['top1_agreement']:.1f}%" if "top1_agreement" in r else "—"
    return (f"| {label} | {k['ppl']:.2f} | {w['ppl']:.2f} | {kl(k)} / {kl(w)} | {top(k)} / {top(w)} | "
            f"{secs:.1f} |" if secs is not None else
            f"| {label} | {k['ppl']:.2f} | {w['ppl']:.2f} | — | — | — |")


def fmt_encoder(label, m, secs):
    f = m.get("fidelity")
    cos = f"{f['cosine_mean']:.5f} / {f['cosine_min']:.5f}" if f else "1 / 1"
    return (f"| {label} | {m['sts-lee50']['pearson']:.4f} / {m['sts-lee50']['spearman']:.4f} | "
            f"{m['sentiment']['accuracy']:.3f} | {m['wordsim']['spearman']:.4f} | {m['simlex']['spearman']:.4f} | "
            f"{cos} | {'—' if secs is None else f'{secs:.1f}'} |")


DEC_HEADER = ["| recipe | ppl kjv-valid | ppl wiki-valid | KL mean (kjv / wiki) | top-1 vs float (kjv / wiki) | quantize s |",
              "|---|---|---|---|---|---|"]
ENC_HEADER = ["| recipe | Lee-50 Pearson / Spearman | Pang-Lee acc | WordSim ρ | SimLex ρ | cosine vs float mean / min | quantize s |",
              "|---|---|---|---|---|---|---|"]


def run_rows(model_name, rows, tmp, caps):
    """rows: [(label, recipe or None for float[, lkd settings])] → markdown lines."""
    src = MODELS[model_name]
    encoder = model_name == "MiniLM-L6"
    lines = list(ENC_HEADER if encoder else DEC_HEADER)
    for i, (label, recipe, *lkd) in enumerate(rows):
        print(f"[{model_name}] {label}", file=sys.stderr, flush=True)
        if recipe is None:
            m = encoder_metrics(src, None) if encoder else decoder_metrics(src, None, caps)
            secs = None
        else:
            path, secs = quantize(model_name, recipe, tmp, f"{model_name.split()[0]}-{i}", lkd[0] if lkd else None)
            m = encoder_metrics(path, src) if encoder else decoder_metrics(path, src, caps)
        lines.append((fmt_encoder if encoder else fmt_decoder)(label, m, secs))
        print(lines[-1], file=sys.stderr, flush=True)
    return lines


def zeroquant(tmp, caps):
    ptq48 = recipe_file(tmp, "w48a16-ptq", {"name": "w4/8a16-ptq", "weights": {"bits": 8, "granularity": "per_channel"},
                                             "overrides": [{"pattern": "layers.*.mlp_*", "bits": 4, "granularity": "per_channel"}]})
    rows = [("W16/32 float", None), ("W8A8 PTQ (per-channel W, static per-tensor A)", "w8a8-static"),
            ("W8A8 ZeroQuant (W per-channel, A per-token)", "w8a8"),
            ("W4/8A16 PTQ (per-channel)", ptq48), ("W4/8A16 ZeroQuant (group 128)", "w4/8a16"),
            ("W4/8A8 ZeroQuant", "w4/8a8"), ("W4A4 simulated (group 128, per-token INT4)", "w4a4")]
    out = []
    for model in ["SmolLM2-135M", "GPT-2 kjvwiki-6l", "MiniLM-L6"]:
        model_caps = dict(caps)
        if model == "SmolLM2-135M" and "wiki-valid" not in model_caps:
            model_caps["wiki-valid"] = 16384
        note = ", ".join(f"{t}: first {n} tokens" for t, n in model_caps.items() if n) or "full texts"
        out += [f"### {model}" + ("" if model == "MiniLM-L6" else f" ({note})"), ""] + run_rows(model, rows, tmp, model_caps) + [""]
    return out


def ptq_methods(tmp, caps):
    out = []
    for model in ["MiniLM-L6", "GPT-2 kjvwiki-6l"]:
        rows = [("float", None)]
        for act in ["A8", "A32"]:
            for bits in [8, 6, 4, 3]:
                for method in ["lq", "aciq", "ocs"]:
                    r = {"name": f"{method}-w{bits}{act.lower()}",
                         "weights": {"bits": bits, "granularity": "per_channel"},
                         "method": {"name": method, "expand_ratio": 0.05, "split": "weight", "distribution": "laplace"}}
                    if act == "A8":
                        r["activations"] = {"mode": "static_per_tensor", "bits": 8, "observer": "minmax"}
                    rows.append((f"{method.upper()} W{bits}{act}", recipe_file(tmp, r["name"], r)))
        note = ", ".join(f"{t}: first {n} tokens" for t, n in caps.items() if n) or "full texts"
        out += [f"### {model}" + ("" if model == "MiniLM-L6" else f" ({note})"), ""] + run_rows(model, rows, tmp, caps) + [""]
    return out


# LKD settings per model (tuned on GPT-2 first; see docs/results.md, LKD). SmolLM2: the run that
# closed 53 % of the wiki-valid gap (150 steps, lr 5e-5, 48 sequences; ~20 min per recipe on both cores).
LKD = {
    "GPT-2 kjvwiki-6l": {"sequences": 64, "steps": 100, "lr": 2e-5, "batch": 4},
    "SmolLM2-135M": {"sequences": 48, "steps": 150, "lr": 5e-5, "batch": 4},
    "MiniLM-L6": {"sequences": 64, "steps": 50, "lr": 2e-5, "batch": 4},
}
LKD_RECIPES = {"gpt2": ["w4/8a16", "w4/8a8", "w4a8"], "smollm2": ["w4/8a16", "w4/8a8", "w4a8"], "minilm": ["w4/8a16", "w4/8a8", "w4a8"]}
# Recipes that also get an LKD row with trained weight scales (--train weights+biases+scales).
LKD_SCALES = {"gpt2": ["w4/8a8"], "smollm2": [], "minilm": ["w4/8a16", "w4/8a8", "w4a8"]}
SCALE_LR = 1e-3
LKD_MODELS = {"gpt2": "GPT-2 kjvwiki-6l", "smollm2": "SmolLM2-135M", "minilm": "MiniLM-L6"}


def lkd(tmp, caps, key):
    model = LKD_MODELS[key]
    s = LKD[model]
    rows = [("float", None)]
    for r in LKD_RECIPES[key]:
        rows += [(f"{r} RTN", r), (f"{r} LKD", r, s)]
        if r in LKD_SCALES[key]:
            rows.append((f"{r} LKD + scales", r, dict(s, train="weights+biases+scales", scale_lr=SCALE_LR)))
    model_caps = dict(caps)
    if model == "SmolLM2-135M" and "wiki-valid" not in model_caps:
        model_caps["wiki-valid"] = 16384
    note = ", ".join(f"{t}: first {n} tokens" for t, n in model_caps.items() if n) or "full texts"
    settings = (f"LKD: {s['sequences']} sequences × 128 tokens of {CALIBRATION[model]}, {s['steps']} Adam steps per block, "
                f"lr {s['lr']}, batch {s['batch']}, seed 0, weights+biases trained (\"+ scales\": weights, biases and "
                f"the weight quantization scales, --scale-lr {SCALE_LR}); the last column includes LKD's time.")
    return [f"### {model}" + ("" if model == "MiniLM-L6" else f" ({note})"), "", settings, ""] + run_rows(model, rows, tmp, model_caps) + [""]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("study", choices=["zeroquant", "ptq-methods", "lkd"])
    ap.add_argument("--model", choices=sorted(LKD_MODELS), default="gpt2", help="lkd: which model's table")
    ap.add_argument("--max-tokens", type=int)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    cap = 4096 if a.quick else a.max_tokens
    caps = {"kjv-valid": cap, "wiki-valid": cap} if cap else {}
    started = time.time()
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="lowbit-study-") as tmp:
        if a.study == "lkd":
            body = lkd(tmp, caps, a.model)
        else:
            body = zeroquant(tmp, caps) if a.study == "zeroquant" else ptq_methods(tmp, caps)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    cmd = "python3 scripts/study.py " + " ".join(sys.argv[1:])
    head = [f"Produced by `{cmd}` on {datetime.date.today().isoformat()}, {cpu} ({os.cpu_count()} cores), "
            f"in {(time.time() - started) / 60:.1f} min"
            + (f", LOWBIT_THREADS={os.environ['LOWBIT_THREADS']}" if os.environ.get("LOWBIT_THREADS") else "")
            + f", 1-min load average {load0:.1f} at the start and {os.getloadavg()[0]:.1f} at the end"
            + (" (machine shared with other jobs: times are indicative)" if max(load0, os.getloadavg()[0]) > 1.5 else "")
            + ". Simulated quantization (quantize → dequantize in float); "
            "PTQ calibration: 32 sequences × 128 tokens of *-train text.", ""]
    key = f"lkd-{a.model}" if a.study == "lkd" else a.study
    section = f"<!-- {key}:begin -->\n" + "\n".join(head + body).rstrip() + f"\n<!-- {key}:end -->"
    path = os.path.join(ROOT, "docs", "results.md")
    text = open(path).read() if os.path.exists(path) else "# Results\n"
    if f"<!-- {key}:begin -->" in text:
        text = re.sub(rf"<!-- {key}:begin -->.*?<!-- {key}:end -->", lambda _: section, text, flags=re.S)
    else:
        title = {"zeroquant": "## ZeroQuant table", "ptq-methods": "## PTQ methods: LQ vs ACIQ vs OCS",
                 "lkd": f"## LKD: {LKD_MODELS[a.model]}"}[a.study]
        text = text.rstrip() + f"\n\n{title}\n\n{section}\n"
    with open(path, "w") as f:
        f.write(text)
    print("\n".join(head + body))


if __name__ == "__main__":
    main()
