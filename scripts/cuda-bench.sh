#!/usr/bin/env bash
# One device run, one table: LowBit's GPU encoder (FP16, W8A8-INT8, W8A8-FP8, W4A8, autotuned)
# and HF transformers FP16 (eager, SDPA, torch.compile) on the ZeroQuant grid (BERT-base and
# BERT-large, random weights, batch 1…128 × seq 128, 256), the agreement checks on MiniLM's real
# weights, and the GEMM sweep; the table goes to OUT_DIR/benchmarks-gpu.md.
#
# Usage, on the device machine from the repository root:
#   scripts/cuda-bench.sh BIN PACK_DIR OUT_DIR [--quick]
# BIN: the statically linked lowbit-cuda-check (or BIN.xz); PACK_DIR: made here by
# `lowbit-cuda-check encoder-pack .models/all-MiniLM-L6-v2 PACK_DIR`. $LOWBIT_CUDA_CACHE may
# point at a kernel cache made by `lowbit-cuda-check compile` (else NVRTC compiles on the device).
# --quick: batch 1 and 8, seq 128 only (a smoke test).
set -u
BIN=$1 PACK=$2 OUT=$3 QUICK=${4:-}
mkdir -p "$OUT"
if [[ "$BIN" == *.xz ]]; then
  xz -dc "$BIN" > /tmp/lowbit-cuda-check 2>/dev/null \
    || python3 -c "import lzma,sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())" "$BIN" > /tmp/lowbit-cuda-check
  chmod +x /tmp/lowbit-cuda-check; BIN=/tmp/lowbit-cuda-check
fi
export PYTHONUNBUFFERED=1
GRID=(--batches 1,2,4,8,16,32,64,128 --seqs 128,256)
[ "$QUICK" = --quick ] && GRID=(--batches 1,8 --seqs 128)

{ date -u +"%Y-%m-%d %H:%M UTC"; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader
  "$BIN" info; } > "$OUT/device.txt" 2>&1
cat "$OUT/device.txt"
{ "$BIN" encoder-agree "$PACK"
  echo "## random-weights BERT (2 layers, MiniLM shape): pack made here on the CPU"
  "$BIN" encoder-pack --random /tmp/lowbit-random-pack && "$BIN" encoder-agree /tmp/lowbit-random-pack; } 2>&1 | tee "$OUT/agree.log"
"$BIN" encoder-bench "${GRID[@]}" --tune-floor int8 --tune-cache "$OUT/autotune.json" 2>&1 | tee "$OUT/encoder.log"
if [ "$QUICK" != --quick ]; then
  { "$BIN" bench-f16; "$BIN" bench gemm fp8 w4a8 large; } 2>&1 | tee "$OUT/gemm.log"
fi
python3 scripts/cuda-bench-torch.py "${GRID[@]}" 2>&1 | grep -v Warning | tee "$OUT/torch.log"
python3 scripts/cuda-bench-table.py "$OUT" > "$OUT/benchmarks-gpu.md"
cat "$OUT/benchmarks-gpu.md"
