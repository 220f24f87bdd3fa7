"""CUDA-event timing shared by the device baselines (cuda-bench-torch.py, cuda-torch-baseline.py),
the same protocol as LowBit's own GPU benches: 3 warm-up calls, then enough repetitions per
sample to last >= 5 ms (at most `max_reps`), median of 7 samples."""
import torch


def median_ms(fn, max_reps=4096):
    """Median milliseconds per call of `fn` over 7 samples of >= 5 ms each."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    reps = 1
    while True:
        s.record()
        for _ in range(reps):
            fn()
        e.record()
        e.synchronize()
        ms = s.elapsed_time(e)
        if ms >= 5 or reps >= max_reps:
            break
        reps = min(reps * max(2, int(5 / max(ms, 1e-3))), max_reps)
    samples = []
    for _ in range(7):
        s.record()
        for _ in range(reps):
            fn()
        e.record()
        e.synchronize()
        samples.append(s.elapsed_time(e) / reps)
    return sorted(samples)[3]
