#!/usr/bin/env bash
# Checks and times the fused attention's tiles on the device, in one call: the attention self-test
# (every tile, K/V rings of 2 and 4 stages), `lowbit cuda bench attention`, then the BERT-base and
# BERT-large FP8 passes at 128 × 256 with each tile named (stage times by `encoder-profile`), and
# Nsight Compute's summary of one launch of the last tile where `ncu` is found.
# Usage, on the device machine from the repository root:
#   scripts/cuda-attention-tiles.sh BIN OUT_DIR [TILES]
# BIN: the statically linked `lowbit` (or BIN.xz, from scripts/cuda-prepare.sh); TILES: comma list
# (default wg64,wg128). Logs go to OUT_DIR; the lines that matter are printed.
set -u
BIN=$1 OUT=$2 TILES=${3:-wg64,wg128}
mkdir -p "$OUT"
. "$(dirname "$0")/cuda-unpack.sh"
BIN=$(unpack_bin "$BIN" /tmp/lowbit-tiles)
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
for n in 2 4; do
  LOWBIT_ATTENTION_STAGES=$n timeout 100 "$BIN" cuda selftest --only attention > "$OUT/selftest-s$n.log" 2>&1
  echo "selftest attention, $n stages: exit $? ($SECONDS s)"; grep FAIL "$OUT/selftest-s$n.log" | head -8 | cut -c1-300; tail -1 "$OUT/selftest-s$n.log"
done
for n in 2 4; do
  LOWBIT_ATTENTION_STAGES=$n timeout 100 "$BIN" cuda bench attention > "$OUT/bench-s$n.log" 2>&1
  echo "bench attention, $n stages: exit $? ($SECONDS s)"
  grep '^attention' "$OUT/bench-s$n.log" | grep -E "B=128 S=256|B=32 S=128:|B=128 S=128|B=64 S=512|B=8 S=256" | cut -c1-1000
done
for model in bert-base bert-large; do
  for tile in ${TILES//,/ }; do
    for n in 2 4; do
      LOG="$OUT/profile-$model-$tile-s$n.log"
      LOWBIT_ATTENTION_STAGES=$n timeout 50 "$BIN" cuda encoder-profile --models $model --batches 128 --seqs 256 --recipes fp8 \
        --attention-tile "$tile" > "$LOG" 2>&1
      echo "profile $model $tile $n stages: exit $? ($SECONDS s) $(grep -oE "stage=attention runs=[0-9]+ ms=[0-9.]+|graph_ms=[0-9.]+" "$LOG" | sed -E 's/stage=attention runs=[0-9]+ /attention_/' | tr '\n' ' ')"
    done
  done
done
NCU=$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu /usr/local/cuda*/bin/ncu 2>/dev/null | head -1)
if [ -n "$NCU" ]; then
  LAST=${TILES##*,}
  timeout 90 "$NCU" --clock-control none -k regex:lb_attention -s 30 -c 1 --section SpeedOfLight --section Occupancy \
    --section WarpStateStats --section LaunchStats "$BIN" cuda encoder-profile --models bert-base --batches 128 --seqs 256 \
    --recipes fp8 --attention-tile "$LAST" > "$OUT/ncu-$LAST.log" 2>&1
  echo "ncu $LAST: exit $? ($SECONDS s)"
  grep -iE 'duration|throughput|issued ipc|eligible|registers|occupancy|block limit|grid size' "$OUT/ncu-$LAST.log" | head -30
fi
