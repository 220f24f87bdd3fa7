#!/usr/bin/env bash
# Nsight Compute profiles of the Hopper GEMM (`lb_wgmma`) on the device machine: for each
# SHAPE:KIND:TILE, one launch of `lowbit cuda bench wgmma` narrowed to it by the bench's
# LOWBIT_WGMMA_* variables, profiled with `ncu --set full` (clocks left alone), then the
# bench's own timing line of that tile with the SM clocks and power seen meanwhile.
# Everything goes to OUT_DIR/ncu.txt.
#
# Usage, on the device machine from the repository root:
#   scripts/cuda-profile-wgmma.sh BIN OUT_DIR SHAPE:KIND:TILE ...
#   e.g. 32768x2304x768:wg-int8:128x128-s5-tma
# BIN: the statically linked `lowbit` (or BIN.xz, from scripts/cuda-prepare.sh).
set -u
BIN=$1 OUT=$2
shift 2
mkdir -p "$OUT"
if [[ "$BIN" == *.xz ]]; then
  xz -dc "$BIN" > /tmp/lowbit && chmod +x /tmp/lowbit && BIN=/tmp/lowbit
fi
NCU=$(command -v ncu || ls /usr/local/cuda*/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1)
LOG="$OUT/ncu.txt"
nvidia-smi --query-gpu=name,clocks.sm,clocks.max.sm,power.draw,power.limit --format=csv >> "$LOG" 2>&1
"$BIN" cuda compile >> "$LOG" 2>&1   # NVRTC outside the profiled launches
for spec in "$@"; do
  IFS=: read -r shape kind tile <<< "$spec"
  echo "=== $shape $kind $tile" >> "$LOG"
  export LOWBIT_WGMMA_SHAPES=$shape LOWBIT_WGMMA_KINDS=$kind LOWBIT_WGMMA_TILES=$tile
  if [ -n "$NCU" ]; then
    "$NCU" --clock-control none --set full -k regex:lb_wgmma --launch-skip 3 --launch-count 1 \
      "$BIN" cuda bench wgmma >> "$LOG" 2>&1 || echo "ncu failed: $?" >> "$LOG"
  else
    echo "no ncu on this machine" >> "$LOG"
  fi
  # The bench's own timing of the tile, with the SM clock and power sampled every 100 ms meanwhile.
  nvidia-smi --query-gpu=clocks.sm,power.draw --format=csv,noheader -lms 100 > /tmp/clocks.txt 2>&1 &
  SMI=$!
  "$BIN" cuda bench wgmma 2>&1 | grep '^gemm' >> "$LOG"
  kill $SMI 2>/dev/null; wait $SMI 2>/dev/null
  echo "SM clock / power while timing: $(sort /tmp/clocks.txt | uniq -c | sort -rn | head -4 | tr '\n' ';')" >> "$LOG"
done
nvidia-smi --query-gpu=clocks.sm,power.draw --format=csv >> "$LOG" 2>&1
