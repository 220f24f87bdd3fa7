#!/usr/bin/env python3
"""FP32 end-to-end comparison, LowBit vs PyTorch, same machine, same run, same threads:
all-MiniLM-L6-v2 sentence embedding at batch x tokens in {1x16, 1x128, 32x128}, plus the
SGEMM sweep of lowbit-bench (GFLOP/s and fraction of the measured FMA peak).
Writes the section between <!-- fp32:begin --> and <!-- fp32:end --> in docs/benchmarks.md.
Usage: python3 scripts/bench_fp32.py [--threads 2]   (after `swift build -c release`)
Needs torch (CPU) and transformers."""
import argparse, datetime, json, os, platform, re, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args()
env = dict(os.environ, LOWBIT_THREADS=str(a.threads), OMP_NUM_THREADS=str(a.threads))
bench = os.path.join(root, ".build/release/lowbit-bench")

def run(cmd):
    out = subprocess.run(cmd, cwd=root, env=env, check=True, capture_output=True, text=True).stdout
    text = out.strip()
    return json.loads(text[text.index("{"):])  # one JSON object (pretty-printed or not)

def cpu_name():
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()

rows = []
for batch, tokens in [(1, 16), (1, 128), (32, 128)]:
    lb = run([bench, "minilm", "--batch", str(batch), "--tokens", str(tokens), "--json"])
    pt = run([sys.executable, "scripts/bench_minilm_torch.py", "--batch", str(batch), "--tokens", str(tokens),
              "--threads", str(a.threads)])
    rows.append((batch, tokens, lb, pt))
    print(batch, tokens, lb["bestSeconds"], pt["bestSeconds"], file=sys.stderr)
gemm = run([bench, "--json"])

date = datetime.date.today().isoformat()
lines = [f"Measured {date} on {cpu_name()} ({os.cpu_count()} cores, ISA level `{gemm.get('isa', '?')}`), "
         f"{a.threads} threads for both (LOWBIT_THREADS / torch.set_num_threads), with "
         f"`python3 scripts/bench_fp32.py --threads {a.threads}` after `swift build -c release`. "
         f"PyTorch: {rows[0][3]['framework']} (transformers BertModel + mean pooling + normalize). "
         "Times are the best of ≥ 5 runs (median in brackets).", "",
         "| batch × tokens | LowBit FP32 | PyTorch FP32 | LowBit speedup | LowBit GFLOP/s |",
         "|---|---|---|---|---|"]
for batch, tokens, lb, pt in rows:
    lines.append(f"| {batch} × {tokens} | {lb['bestSeconds']*1e3:.2f} ms ({lb['medianSeconds']*1e3:.2f}) | "
                 f"{pt['bestSeconds']*1e3:.2f} ms ({pt['medianSeconds']*1e3:.2f}) | "
                 f"{pt['bestSeconds']/lb['bestSeconds']:.2f}× | {lb['gflopsBest']:.0f} |")
peak = gemm["peak"]
lines += ["", f"FMA peak (microbenchmark: {gemm['peakMethod']}): "
          f"{peak['gflopsOneThread']:.1f} GFLOP/s on 1 thread, {peak['gflopsAllThreads']:.1f} on {gemm['threads']}.", "",
          "| SGEMM M × N × K | 1 thread GFLOP/s | % peak | all threads GFLOP/s | % peak |", "|---|---|---|---|---|"]
for s in gemm["gemm"]:
    lines.append(f"| {s['m']} × {s['n']} × {s['k']} | {s['gflopsOneThread']:.1f} | {100*s['fractionOfPeakOneThread']:.0f}% | "
                 f"{s['gflopsAllThreads']:.1f} | {100*s['fractionOfPeakAllThreads']:.0f}% |")
section = "<!-- fp32:begin -->\n" + "\n".join(lines) + "\n<!-- fp32:end -->"

path = os.path.join(root, "docs", "benchmarks.md")
os.makedirs(os.path.dirname(path), exist_ok=True)
text = open(path).read() if os.path.exists(path) else "# Benchmarks\n\n## FP32 on the CPU\n\n<!-- fp32:begin -->\n<!-- fp32:end -->\n"
if "<!-- fp32:begin -->" in text:
    text = re.sub(r"<!-- fp32:begin -->.*?<!-- fp32:end -->", lambda _: section, text, flags=re.S)
else:
    text = text.rstrip() + "\n\n## FP32 on the CPU\n\n" + section + "\n"
open(path, "w").write(text)
print("\n".join(lines))
