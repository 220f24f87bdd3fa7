#!/usr/bin/env python3
"""Baselines for `lowbit bench bert-base|bert-large --device cuda` (`lowbit cuda encoder-bench`): HF transformers BertModel in FP16 (eager and
SDPA attention) and torch.compile (default mode, SDPA model, dynamic shapes: one compilation
per model covers the grid, plus the one batch 1 gets) on the same grid, random weights, random
token ids, full-length sequences (attention_mask all ones), no pooler. Timed with CUDA events
like LowBit's bench: median of 7 samples of >= 5 ms after warm-up.
Runs on the device machine only. Prints one line per measurement:
    torch model=bert-base batch=1 seq=128 impl=sdpa ms=1.234
Usage: cuda-bench-torch.py [--models bert-base,bert-large] [--batches 1,2,...] [--seqs 128,256]
                           [--impls eager,sdpa,compile] [--warm-up]
--warm-up: compile only (one forward per batch-1 / batch-2 shape of each model), filling
Inductor's on-disk cache so that a later run spends its time measuring; cuda-bench.sh runs it
in the background while the GPU self-test runs."""
import argparse
import time

import torch
import transformers
from transformers import BertConfig, BertModel

from cuda_timing import median_ms

CONFIGS = {
    "bert-base": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072),
    "bert-large": dict(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16, intermediate_size=4096),
}


def bench(fn):
    return median_ms(fn, max_reps=4096)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="bert-base,bert-large")
    ap.add_argument("--batches", default="1,2,4,8,16,32,64,128")
    ap.add_argument("--seqs", default="128,256")
    ap.add_argument("--impls", default="eager,sdpa,compile")
    ap.add_argument("--warm-up", action="store_true")
    a = ap.parse_args()
    if a.warm_up:
        warm_up(a.models.split(","), [int(x) for x in a.seqs.split(",")])
        return
    batches = [int(x) for x in a.batches.split(",")]
    seqs = [int(x) for x in a.seqs.split(",")]
    impls = a.impls.split(",")
    print(f"## torch {torch.__version__}, transformers {transformers.__version__}, {torch.cuda.get_device_name()}", flush=True)
    torch.manual_seed(0)
    for impl in impls:          # compile last: its compile time is the least predictable
        for name in a.models.split(","):
            cfg, model, run = make_model(name, impl)
            t0 = time.time()
            for seq in seqs:
                for batch in batches:
                    ids = torch.randint(1000, cfg.vocab_size, (batch, seq), device="cuda")
                    mask = torch.ones_like(ids)
                    with torch.inference_mode():
                        ms = bench(lambda: run(input_ids=ids, attention_mask=mask).last_hidden_state)
                    print(f"torch model={name} batch={batch} seq={seq} impl={impl} ms={ms:.3f}", flush=True)
            print(f"# {name} {impl}: {time.time() - t0:.1f} s", flush=True)
            del model, run
            torch.cuda.empty_cache()


def make_model(name, impl):
    """(config, FP16 model, what to call): eager or SDPA attention; compile: the SDPA model under
    torch.compile with dynamic shapes."""
    cfg = BertConfig(**CONFIGS[name], attn_implementation="eager" if impl == "eager" else "sdpa")
    model = BertModel(cfg, add_pooling_layer=False).half().cuda().eval()
    return cfg, model, torch.compile(model, dynamic=True) if impl == "compile" else model


def warm_up(models, seqs):
    """Compiles each model as the measuring run will (dynamic shapes; batch 1 is specialized)."""
    torch.manual_seed(0)
    for name in models:
        t0 = time.time()
        cfg, model, run = make_model(name, "compile")
        for batch in (1, 2):
            ids = torch.randint(1000, cfg.vocab_size, (batch, seqs[0]), device="cuda")
            with torch.inference_mode():
                run(input_ids=ids, attention_mask=torch.ones_like(ids))
        torch.cuda.synchronize()
        print(f"# warm-up {name} compile: {time.time() - t0:.1f} s", flush=True)
        del model, run
        torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
