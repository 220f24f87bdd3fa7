#!/usr/bin/env python3
"""Times all-MiniLM-L6-v2 sentence embedding in PyTorch FP32 (transformers BertModel + mean pooling +
L2 normalize, as sentence-transformers does) on the same synthetic batch as `lowbit-bench minilm`:
B sequences of T tokens, [CLS] + ids 1000 + (b*7919 + j*131) % 20000 + [SEP], no padding.
Usage: python3 scripts/bench_minilm_torch.py [MODEL_DIR] [--batch B] [--tokens T] [--threads N]"""
import argparse, json, os, statistics, time
import torch
from transformers import AutoModel

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ap = argparse.ArgumentParser()
ap.add_argument("model", nargs="?", default=os.path.join(root, ".models/all-MiniLM-L6-v2"))
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--tokens", type=int, default=128)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--min-time", type=float, default=3.0)
a = ap.parse_args()
torch.set_num_threads(a.threads)
model = AutoModel.from_pretrained(a.model, dtype=torch.float32).eval()
ids = torch.tensor([[101] + [1000 + (b * 7919 + j * 131) % 20000 for j in range(1, a.tokens - 1)] + [102]
                    for b in range(a.batch)])
mask = torch.ones_like(ids)


def embed():
    with torch.inference_mode():
        h = model(input_ids=ids, attention_mask=mask).last_hidden_state
        m = mask.unsqueeze(-1).float()
        v = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(v, p=2, dim=1)


embed()
times, start = [], time.perf_counter()
while len(times) < 5 or time.perf_counter() - start < a.min_time:
    t0 = time.perf_counter(); embed(); times.append(time.perf_counter() - t0)
times.sort()
print(json.dumps({"framework": f"torch {torch.__version__}", "threads": torch.get_num_threads(), "batch": a.batch,
                  "tokens": a.tokens, "bestSeconds": times[0], "medianSeconds": statistics.median(times), "runs": len(times),
                  "tokensPerSecond": a.batch * a.tokens / times[0]}))
