#!/usr/bin/env python3
"""Fits the branch-free erf the GPU kernels' GELU uses (`erf_rational` in
Sources/LowBitCUDA/Kernels/KernelSources+Common.swift): erf(z) ≈ z·P(z²)/Q(z²) on |z| ≤ 4, P of
degree 5 and Q of degree 5 in z² (Q(0) = 1), near-minimax in absolute error by Lawson's iteratively
reweighted least squares against scipy's erf. Prints the coefficients (highest power first, as the
kernel's Horner chains take them) and the largest error of the f32 evaluation the kernel does.
Usage: python3 scripts/fit-erf.py"""
import numpy as np
from scipy.special import erf

C, NP, NQ = 4.0, 5, 5
z = np.linspace(0, C, 20001)
f, s = erf(z), z * z
A = np.concatenate([np.stack([z * s**k for k in range(NP + 1)], 1),
                    np.stack([-f * s**k for k in range(1, NQ + 1)], 1)], 1)
w = np.ones_like(z)
for _ in range(60):  # Lawson: weights grow where the error is largest
    sw = np.sqrt(w)
    c, *_ = np.linalg.lstsq(A * sw[:, None], f * sw, rcond=None)
    p, q = c[:NP + 1], np.concatenate([[1.0], c[NP + 1:]])
    err = np.abs(z * np.polyval(p[::-1], s) / np.polyval(q[::-1], s) - f)
    w = w * (err + 1e-18)
    w /= w.sum()
p32, q32 = p.astype(np.float32), q.astype(np.float32)

# The kernel's f32 evaluation: clamp, two Horner chains of FMAs, z·P / Q, clamp to ±1.
zf = np.linspace(-4.5, 4.5, 400001).astype(np.float32)
zc = np.clip(zf, -C, C).astype(np.float32)
sf = zc * zc
P, Q = p32[-1], q32[-1]
for k in range(NP - 1, -1, -1):
    P = (P.astype(np.float64) * sf + p32[k]).astype(np.float32)
for k in range(NQ - 1, -1, -1):
    Q = (Q.astype(np.float64) * sf + q32[k]).astype(np.float32)
r = np.clip((zc * P) / Q, -1, 1).astype(np.float32)
print("P (z^10 … z^0):", ", ".join(f"{v:.9e}f" for v in p32[::-1]))
print("Q (z^10 … z^0):", ", ".join(f"{v:.9e}f" for v in q32[::-1]))
print(f"max |error|: {err.max():.3g} (double), {np.abs(r.astype(np.float64) - erf(zf.astype(np.float64))).max():.3g} (f32)")
