#!/usr/bin/env python3
"""Builds the markdown tables of docs/benchmarks.md's GPU section from the logs that
scripts/cuda-bench.sh leaves in OUT_DIR: encoder.json (an array of `lowbit bench MODEL --device
cuda --json` reports; for a model without a complete report — a run cut short, or an older run —
the `encoder model=…` lines of encoder.log; its `stage …`/`total …` lines, from `lowbit cuda
encoder-profile`, give the per-stage table), torch.log, gemm.log, agree.log, device.txt.
Usage: cuda-bench-table.py OUT_DIR > table.md"""
import json
import os
import re
import sys

out = sys.argv[1]


def read(name):
    p = os.path.join(out, name)
    return open(p).read() if os.path.exists(p) else ""


def fields(line):
    return dict(re.findall(r"(\w+)=(\S+)", line))


enc, tuned, torch_ms = {}, {}, {}
from_json = set()  # models whose rows came from a complete JSON report
try:
    reports = json.loads(read("encoder.json") or "[]")
except ValueError:
    reports = []
for report in reports:
    model = report["model"].rstrip("/").split("/")[-1]
    from_json.add(model)
    for r in report["rows"]:
        key = (model, r["seq"], r["batch"])
        if r["tuned"]:
            tuned[key] = (r["median_ms"], r["recipe"])
        else:
            enc[key + (r["recipe"],)] = r["median_ms"]
for line in read("encoder.log").splitlines():
    if line.startswith("encoder "):
        f = fields(line)
        if f["model"] not in from_json:
            key = (f["model"], int(f["seq"]), int(f["batch"]))
            if f["recipe"] == "tuned":
                tuned[key] = (float(f["ms"]), f["best"])
            else:
                enc[key + (f["recipe"],)] = float(f["ms"])
for line in read("torch.log").splitlines():
    if line.startswith("torch "):
        f = fields(line)
        torch_ms[(f["model"], int(f["seq"]), int(f["batch"]), f["impl"])] = float(f["ms"])

print("Device:\n```\n" + read("device.txt").strip() + "\n```\n")
agree = [l for l in read("agree.log").splitlines() if l.startswith(("PASS", "FAIL", "INFO", "encoder-agree", "GPU encoder", "## random"))]
if agree:
    print("Agreement (`lowbit cuda encoder-agree`): all-MiniLM-L6-v2's real weights, then a random-weights BERT:\n```\n" + "\n".join(agree) + "\n```\n")

keys = sorted({k[:3] for k in enc} | {k[:3] for k in torch_ms})
recipes = ["fp16", "int8", "fp8", "w4a8"]
print("Forward pass, ms per batch (median; LowBit as one CUDA graph replay; HF `BertModel` FP16 without pooler). "
      "`tuned`: fastest recipe with every GEMM at ≥ 8 weight bits (autotuner), its choice q1/q2/q3/q4 in the last column.\n")
hdr = ["model", "seq", "batch", "HF eager", "HF SDPA", "torch.compile"] + [f"LowBit {r}" for r in recipes] + \
      ["LowBit tuned", "tuned vs eager", "tuned vs SDPA", "tuned vs compile", "tuned recipe"]
print("| " + " | ".join(hdr) + " |")
print("|" + "---|" * len(hdr))


def fmt(v):
    return "–" if v is None else (f"{v:.2f}" if v < 100 else f"{v:.1f}")


for k in keys:
    row = [k[0], str(k[1]), str(k[2])]
    row += [fmt(torch_ms.get(k + (i,))) for i in ("eager", "sdpa", "compile")]
    row += [fmt(enc.get(k + (r,))) for r in recipes]
    t = tuned.get(k)
    row += [fmt(t[0]) if t else "–"]
    for impl in ("eager", "sdpa", "compile"):
        ref = torch_ms.get(k + (impl,))
        row.append(f"{ref / t[0]:.2f}×" if t and ref else "–")
    row.append(t[1] if t else "–")
    print("| " + " | ".join(row) + " |")

stages = [fields(l) for l in read("encoder.log").splitlines() if l.startswith("stage ")]
totals = {(f["model"], f["recipe"], f.get("gelu", "rows"), f.get("norm", "rows")): f
          for f in map(fields, read("encoder.log").splitlines()) if "eager_sum_ms" in f}
if stages:
    print("\nWhere the time goes (`lowbit cuda encoder-profile`: one eager pass with an event after each stage, "
          "each stage summed over the layers, median of 5 passes; rates: TOPS for GEMMs and attention, GB/s for "
          "row kernels; add + LN in `epilogue`: attn-out and mlp-out include their add + layernorm):\n")
    print("| model | batch × seq | recipe | GELU in | add + LN in | stage | ms | share | rate | % of tensor peak |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for f in stages:
        print(f"| {f['model']} | {f['batch']} × {f['seq']} | {f['recipe']} | {f.get('gelu', 'rows')} | {f.get('norm', 'rows')} | "
              f"{f['stage']} | {f['ms']} | {float(f['share_pct']):.1f} % | {f['rate']} {f['unit']} | {f.get('peak_pct', '–')} |")
    for (model, recipe, gelu, norm), f in totals.items():
        print(f"\n{model} {recipe} (GELU in {gelu}, add + LN in {norm}): stages sum to {f['eager_sum_ms']} ms eager; "
              f"the same pass as a graph replay takes {f['graph_ms']} ms.", end="")
    print()

gl = [l for l in read("gemm.log").splitlines() if l.startswith("gemm ")]
if gl:
    print("\nGEMM sweep (BERT-base and BERT-large linear shapes; best tile configuration; % of the dense "
          "tensor-core peak: 1979 TOPS 8-bit, 989 TFLOP/s fp16):\n")
    print("| kind | M (tokens) | N | K | TOPS | % peak | µs | tile |")
    print("|---|---|---|---|---|---|---|---|")
    for l in gl:
        m = re.match(r"gemm (\S+) M=(\d+) N=(\d+) K=(\d+): ([\d.]+) T\w+(?: \(([\d.]+)% of peak\))?, ([\d.]+) µs(?:, best (\S+))?", l)
        if m:
            print("| " + " | ".join(m.group(i) or "–" for i in range(1, 9)) + " |")
