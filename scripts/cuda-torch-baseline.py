#!/usr/bin/env python3
"""Baseline for `lowbit cuda bench gemm`: torch._int_mm (INT8, cuBLASLt underneath) and
bf16 matmul on the same BERT shapes, timed with CUDA events (median of 7 samples of >= 5 ms).
Runs on the device machine only (needs PyTorch with CUDA); prints one line per shape."""
import torch

from cuda_timing import median_ms


def bench(fn):
    """Median seconds per call."""
    return median_ms(fn, max_reps=65536) / 1000


print(f"## torch {torch.__version__} on {torch.cuda.get_device_name()}")
for m in (128, 2048, 16384, 32768):
    for n, k in ((2304, 768), (768, 768), (3072, 768), (768, 3072)):
        a = torch.randint(-127, 128, (m, k), dtype=torch.int8, device="cuda")
        b = torch.randint(-127, 128, (n, k), dtype=torch.int8, device="cuda")
        ab, bb = a.to(torch.bfloat16), b.to(torch.bfloat16)
        ops = 2 * m * n * k
        t_i8 = bench(lambda: torch._int_mm(a, b.t()))
        t_bf = bench(lambda: ab @ bb.t())
        print(f"torch M={m} N={n} K={k}: _int_mm {ops / t_i8 / 1e12:.1f} TOPS, bf16 {ops / t_bf / 1e12:.1f} TFLOP/s")
