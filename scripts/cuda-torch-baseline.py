#!/usr/bin/env python3
"""Baseline for `lowbit-cuda-check bench gemm`: torch._int_mm (INT8, cuBLASLt underneath) and
bf16 matmul on the same BERT shapes, timed with CUDA events (median of 7 samples of >= 5 ms).
Runs on the device machine only (needs PyTorch with CUDA); prints one line per shape."""
import torch


def bench(fn):
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    reps = 1
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    while True:
        s.record()
        for _ in range(reps):
            fn()
        e.record()
        e.synchronize()
        ms = s.elapsed_time(e)
        if ms >= 5 or reps >= 65536:
            break
        reps = min(reps * max(2, int(5 / max(ms, 1e-3))), 65536)
    samples = []
    for _ in range(7):
        s.record()
        for _ in range(reps):
            fn()
        e.record()
        e.synchronize()
        samples.append(s.elapsed_time(e) / 1000 / reps)
    return sorted(samples)[3]


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
