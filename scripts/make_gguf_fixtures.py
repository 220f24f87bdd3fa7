#!/usr/bin/env python3
"""Golden data for LowBit's GGUF dequantization, from the `gguf` Python package (llama.cpp's own).

Writes Tests/LowBitIOTests/Fixtures/gguf_dequant.json with
  - `tensors`: for a few whole SmolLM2 tensors (Q8_0 embeddings, Q4_1 weights, F32 norms), the
    sha256 of the dequantized float32 values (little-endian, row-major) and their sum;
  - `blocks`: for every block type LowBit dequantizes, a few random blocks (scale fields set to
    finite, non-subnormal f16 values) as hex and the dequantized float32 bit patterns.

Usage: pip install gguf numpy && bash scripts/fetch-models.sh && python3 scripts/make_gguf_fixtures.py
"""
import hashlib, json, os, sys
import numpy as np
from gguf import GGUFReader, GGMLQuantizationType as T
from gguf.quants import dequantize

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
model = os.path.join(root, ".models", "SmolLM2-135M-Instruct.Q4_1.gguf")
out = os.path.join(root, "Tests", "LowBitIOTests", "Fixtures", "gguf_dequant.json")

reader = GGUFReader(model)
names = ["token_embd.weight", "blk.0.attn_q.weight", "blk.0.ffn_down.weight", "blk.29.ffn_up.weight",
         "blk.7.attn_k.weight", "output_norm.weight"]
tensors = {}
for t in reader.tensors:
    if t.name not in names:
        continue
    x = dequantize(t.data, t.tensor_type).astype("<f4")
    tensors[t.name] = {"type": t.tensor_type.name, "sha256": hashlib.sha256(x.tobytes()).hexdigest(),
                       "sum": float(x.astype(np.float64).sum()), "count": int(x.size)}

rng = np.random.default_rng(20261123)
def f16_bytes(n):
    # random finite normal halves with moderate magnitude
    v = (rng.uniform(0.5, 2.0, n) * 2.0 ** rng.integers(-12, 2, n) * rng.choice([-1, 1], n)).astype("<f2")
    return v.view(np.uint8).reshape(n, 2)

layouts = {  # type: (block bytes, offsets of f16 fields)
    T.Q4_0: (18, [0]), T.Q4_1: (20, [0, 2]), T.Q5_0: (22, [0]), T.Q5_1: (24, [0, 2]), T.Q8_0: (34, [0]),
    T.Q4_K: (144, [0, 2]), T.Q5_K: (176, [0, 2]), T.Q6_K: (210, [208]),
}
blocks = {}
for typ, (size, f16_at) in layouts.items():
    n = 6
    raw = rng.integers(0, 256, size=(n, size), dtype=np.uint8)
    for at in f16_at:
        raw[:, at:at + 2] = f16_bytes(n)
    y = dequantize(raw.reshape(-1), typ).astype("<f4")
    blocks[typ.name] = {"hex": raw.tobytes().hex(), "bits": y.view("<u4").tolist()}
for typ, dt in ((T.F16, "<f2"), (T.BF16, None)):
    vals = rng.standard_normal(64).astype("<f4")
    if dt:
        raw = vals.astype(dt).view(np.uint8)
    else:
        raw = (vals.view("<u4") >> 16).astype("<u2").view(np.uint8)
    y = dequantize(raw, typ).astype("<f4")
    blocks[typ.name] = {"hex": raw.tobytes().hex(), "bits": y.view("<u4").tolist()}

with open(out, "w") as f:
    json.dump({"source": "gguf " + getattr(sys.modules["gguf"], "__version__", "python package"),
               "model": os.path.basename(model), "tensors": tensors, "blocks": blocks}, f, indent=1)
print(out, os.path.getsize(out), "bytes")
