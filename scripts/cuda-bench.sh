#!/usr/bin/env bash
# One device run, one table: LowBit's GPU encoder (FP16, W8A8-INT8, W8A8-FP8, W4A8, autotuned)
# and HF transformers FP16 (eager, SDPA, torch.compile) on the ZeroQuant grid (BERT-base and
# BERT-large, random weights, batch 1…128 × seq 128, 256), the agreement checks on MiniLM's real
# weights, and the GEMM sweep; the table goes to OUT_DIR/benchmarks-gpu.md.
#
# Usage, on the device machine from the repository root:
#   scripts/cuda-bench.sh BIN PACK_DIR OUT_DIR [--quick] [--part lowbit|torch|all]
# BIN: the statically linked lowbit-cuda-check (or BIN.xz); PACK_DIR: made here by
# `lowbit quantize .models/all-MiniLM-L6-v2 --recipe w8a8 --out Q` and
# `lowbit-cuda-check encoder-pack .models/all-MiniLM-L6-v2 PACK_DIR --quantized Q` (both sides then
# run the same INT8 weight codes). $LOWBIT_CUDA_CACHE may point at a kernel cache made by
# `lowbit-cuda-check compile` (else NVRTC compiles on the device).
# --quick: batch 1 and 8, seq 128 only (a smoke test). --part: LowBit only (self-test, agreement,
# encoder grid, GEMM sweeps), the PyTorch baselines only, or both (default); the table is made
# from whatever logs OUT_DIR holds, so two calls on the same warm machine can fill it.
# GEMM backend: LowBit's own mma.sync kernels or cuBLASLt, chosen per shape (--backend auto).
set -u
BIN=$1 PACK=$2 OUT=$3
shift 3
QUICK= PART=all
while [ $# -gt 0 ]; do
  case "$1" in --quick) QUICK=--quick ;; --part) PART=$2; shift ;; esac
  shift
done
mkdir -p "$OUT"
if [[ "$BIN" == *.xz ]]; then
  xz -dc "$BIN" > /tmp/lowbit-cuda-check 2>/dev/null \
    || python3 -c "import lzma,sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())" "$BIN" > /tmp/lowbit-cuda-check
  chmod +x /tmp/lowbit-cuda-check; BIN=/tmp/lowbit-cuda-check
fi
export PYTHONUNBUFFERED=1
GRID=(--batches 1,2,4,8,16,32,64,128 --seqs 128,256)
[ "$QUICK" = --quick ] && GRID=(--batches 1,8 --seqs 128)

SCRIPTS=$(dirname "$0")
if [ "$PART" != torch ]; then
{ date -u +"%Y-%m-%d %H:%M UTC"; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader
  "$BIN" info; } > "$OUT/device.txt" 2>&1
cat "$OUT/device.txt"
"$BIN" selftest > "$OUT/selftest.log" 2>&1; grep -v '^PASS' "$OUT/selftest.log"
{ "$BIN" encoder-agree "$PACK" --backend auto
  echo "## random-weights BERT (2 layers, MiniLM shape): pack made here on the CPU"
  "$BIN" encoder-pack --random /tmp/lowbit-random-pack && "$BIN" encoder-agree /tmp/lowbit-random-pack --backend auto; } 2>&1 | tee "$OUT/agree.log"
"$BIN" encoder-bench "${GRID[@]}" --backend auto --tune-floor int8 --tune-cache "$OUT/autotune.json" 2>&1 | tee "$OUT/encoder.log"
if [ "$QUICK" != --quick ]; then
  { "$BIN" bench-f16; "$BIN" bench gemm fp8 w4a8 large lt attention rows; } 2>&1 | tee "$OUT/gemm.log"
fi
fi
if [ "$PART" != lowbit ]; then
  python3 "$SCRIPTS/cuda-bench-torch.py" "${GRID[@]}" 2>&1 | grep -v Warning | tee "$OUT/torch.log"
fi
python3 "$SCRIPTS/cuda-bench-table.py" "$OUT" > "$OUT/benchmarks-gpu.md"
cat "$OUT/benchmarks-gpu.md"
