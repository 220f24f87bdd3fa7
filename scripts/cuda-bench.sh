#!/usr/bin/env bash
# One device run, one table: LowBit's GPU encoder (FP16, W8A8-INT8, W8A8-FP8, W4A8, autotuned)
# and HF transformers FP16 (eager, SDPA, torch.compile) on the ZeroQuant grid (BERT-base and
# BERT-large, random weights, batch 1…128 × seq 128, 256), the agreement checks on MiniLM's real
# weights, and the GEMM sweep; the table goes to OUT_DIR/benchmarks-gpu.md.
#
# Usage, on the device machine from the repository root:
#   scripts/cuda-bench.sh BIN PACK_DIR OUT_DIR [--quick] [--part lowbit|torch|all] [--models LIST]
#                         [--selftest PARTS]
# BIN: the statically linked `lowbit` (or BIN.xz); BIN and PACK_DIR are made here, on the CPU
# machine, by scripts/cuda-prepare.sh (.device/lowbit.xz, .device/minilm-pack: MiniLM quantized
# w8a8, packed by `lowbit cuda encoder-pack … --quantized Q`, so both sides run the same INT8
# weight codes). $LOWBIT_CUDA_CACHE may point at a kernel cache made by `lowbit cuda compile`
# (else NVRTC compiles on the device).
# The grid runs through `lowbit bench bert-base|bert-large --device cuda … --json` (the reports
# as one array in OUT_DIR/encoder.json, the progress lines in encoder.log), the rest through
# `lowbit cuda …` (the per-stage profile at 128 × 256 too, its lines in encoder.log). OUT_DIR gets 8 files: device.txt selftest.log agree.log encoder.log
# encoder.json gemm.log torch.log benchmarks-gpu.md.
# --quick: batch 1 and 8, seq 128 only (a smoke test). --part: LowBit only (self-test, agreement,
# encoder grid, GEMM sweeps), the PyTorch baselines only, or both (default); the table is made
# from whatever logs OUT_DIR holds, so two calls on the same warm machine can fill it.
# --models: comma list of bert-base, bert-large (default both) for the grid, the profile and the
# PyTorch rows (a short call). --selftest: only these self-test parts (`lowbit cuda selftest --only`;
# default: all but gemm-wgmma-ln, whose quick form runs next).
# GEMM backend: LowBit's own mma.sync kernels or cuBLASLt, chosen per shape (--backend auto).
set -u
BIN=$1 PACK=$2 OUT=$3
shift 3
# The self-test step runs every group but the layernorm GEMM's, whose quick checks follow it (its
# full group, ~350 checks, no longer fits the step's 175 s beside the others).
QUICK= PART=all MODELS=bert-base,bert-large SELFTEST=(--skip gemm-wgmma-ln)
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=--quick ;;
    --part) PART=$2; shift ;;
    --models) MODELS=$2; shift ;;
    --selftest) SELFTEST=(--only "$2"); shift ;;
  esac
  shift
done
mkdir -p "$OUT"
. "$(dirname "$0")/cuda-unpack.sh"
BIN=$(unpack_bin "$BIN" /tmp/lowbit)
export PYTHONUNBUFFERED=1
BATCHES=1,2,4,8,16,32,64,128 SEQS=128,256
[ "$QUICK" = --quick ] && BATCHES=1,8 SEQS=128

SCRIPTS=$(dirname "$0")
# Time budget: each step runs under `timeout` within what is left of LOWBIT_BENCH_BUDGET seconds
# (default 560, under a 600 s device call), so that a slow step costs its own rows, never the
# table; each step's seconds and exit status go to the end of device.txt.
BUDGET=${LOWBIT_BENCH_BUDGET:-560} RESERVE=15
step() {   # step NAME MAX_SECONDS COMMAND…: runs COMMAND for at most MAX_SECONDS and what is left
  local name=$1 max=$2; shift 2
  local left=$(( BUDGET - SECONDS - RESERVE ))
  [ "$left" -lt "$max" ] && max=$left
  if [ "$max" -lt 5 ]; then echo "step $name: skipped (budget spent)" >> "$OUT/device.txt"; return; fi
  local t0=$SECONDS
  timeout --kill-after=5 "$max" bash -c '"$@"' step "$@"   # bash -c: COMMAND may be an exported function
  local rc=$?
  echo "step $name: $(( SECONDS - t0 )) s, exit $rc$([ $rc = 124 ] && echo " (stopped at its ${max} s limit)")" >> "$OUT/device.txt"
}
torch_bench() { python3 "$SCRIPTS/cuda-bench-torch.py" "$@" 2>&1 | grep -v Warning; }
export BIN PACK SCRIPTS
export -f torch_bench
WARM_PIDS=
if [ "$PART" != lowbit ] && [ "$QUICK" != --quick ]; then
  # torch.compile's compilation is CPU work: it runs beside the self-test and the agreement
  # checks (which time nothing), one process per model, and must end before anything is timed.
  for MODEL in ${MODELS//,/ }; do
    timeout 300 python3 "$SCRIPTS/cuda-bench-torch.py" --warm-up --models $MODEL --seqs "$SEQS" > /tmp/lowbit-warm-up-$MODEL.log 2>&1 &
    WARM_PIDS="$WARM_PIDS $!"
  done
fi
if [ "$PART" != torch ]; then
{ date -u +"%Y-%m-%d %H:%M UTC"; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader
  "$BIN" cuda info; } > "$OUT/device.txt" 2>&1
cat "$OUT/device.txt"
step selftest 175 "$BIN" cuda selftest "${SELFTEST[@]}" > "$OUT/selftest.log" 2>&1; grep -v '^PASS' "$OUT/selftest.log"
# The add + layernorm GEMM (LOWBIT_NORM=epilogue) is correct on the H100 but 1.3–2.9× slower than
# the GEMM + row kernel (docs/benchmarks.md, 2026-12-07 12:42 UTC), so the grid keeps the row
# kernels; its quick checks run here, and where they pass the stage profile times both placements.
PROFILE_NORMS=${LOWBIT_NORM:-rows}
if [ -z "${LOWBIT_NORM:-}" ]; then
  timeout 60 "$BIN" cuda selftest --only gemm-wgmma-ln --quick > /tmp/lowbit-selftest-ln.log 2>&1
  { echo "## lowbit cuda selftest --only gemm-wgmma-ln --quick"; cat /tmp/lowbit-selftest-ln.log; } >> "$OUT/selftest.log"
  if grep -q '^PASS gemm-wgmma-ln' /tmp/lowbit-selftest-ln.log && ! grep -q '^FAIL' /tmp/lowbit-selftest-ln.log; then
    PROFILE_NORMS=rows,epilogue
    echo "layernorm GEMM: checks passed; the stage profile times add + layernorm in the epilogue beside the row kernels" >> "$OUT/device.txt"
  else
    echo "layernorm GEMM: checks failed or did not run; the stage profile keeps the row kernels" >> "$OUT/device.txt"
  fi
fi
agree() {
  "$BIN" cuda encoder-agree "$PACK" --backend auto
  echo "## random-weights BERT (2 layers, MiniLM shape): pack made here on the CPU"
  "$BIN" cuda encoder-pack --random /tmp/lowbit-random-pack && "$BIN" cuda encoder-agree /tmp/lowbit-random-pack --backend auto
}
export -f agree
step agreement 90 agree 2>&1 | tee "$OUT/agree.log"
else
  date -u +"%Y-%m-%d %H:%M UTC" >> "$OUT/device.txt"
fi
if [ -n "$WARM_PIDS" ]; then
  t0=$SECONDS rc=0
  for PID in $WARM_PIDS; do wait "$PID" || rc=$?; done
  { grep -h '^# warm-up' /tmp/lowbit-warm-up-*.log; echo "step torch.compile warm-up (background): waited $(( SECONDS - t0 )) s more, exit $rc"; } >> "$OUT/device.txt"
  [ $rc = 0 ] || tail -n 5 /tmp/lowbit-warm-up-*.log
fi
if [ "$PART" != torch ]; then
: > "$OUT/encoder.log"
WORK=$(mktemp -d)
for MODEL in ${MODELS//,/ }; do
  step "grid $MODEL" 200 "$BIN" bench "$MODEL" --device cuda --batch "$BATCHES" --seq "$SEQS" --recipes fp16,int8,fp8,w4a8,tuned \
      --tune-floor int8 --backend auto --tune-cache "$WORK/autotune.json" --json > "$WORK/encoder-$MODEL.json" 2> >(tee -a "$OUT/encoder.log" >&2)
done
# Where the time goes at the largest shape: per-stage times of one eager pass (stage lines in encoder.log).
[ "$QUICK" = --quick ] || step "stage profile" 90 "$BIN" cuda encoder-profile --models "$MODELS" --batches 128 \
    --seqs 256 --recipes int8,fp8,fp16 --norm "$PROFILE_NORMS" 2>&1 | tee -a "$OUT/encoder.log"
# The reports as one JSON array (a report cut short is left out; its lines are in encoder.log).
python3 -c 'import json, sys
reports = []
for p in sys.argv[1:]:
    try: reports.append(json.load(open(p)))
    except ValueError: pass
print(json.dumps(reports, indent=1))' "$WORK"/encoder-*.json > "$OUT/encoder.json"
fi
if [ "$PART" != lowbit ]; then
  # HF eager and SDPA (one process: its imports cost ~30 s), then torch.compile (dynamic shapes,
  # compiled above; its own step, so that a slow compilation costs only its rows), on the whole grid.
  : > "$OUT/torch.log"
  step "torch eager+sdpa" 150 torch_bench --models "$MODELS" --batches "$BATCHES" --seqs "$SEQS" --impls eager,sdpa | tee -a "$OUT/torch.log"
  [ "$QUICK" = --quick ] || step "torch compile" 200 torch_bench --models "$MODELS" --batches "$BATCHES" --seqs "$SEQS" --impls compile | tee -a "$OUT/torch.log"
fi
if [ "$PART" != torch ] && [ "$QUICK" != --quick ]; then
  # GEMM sweep: the Hopper kernel (INT8, FP8 with fast accumulation, FP16: the kinds the encoder
  # runs) and cuBLASLt on BERT-base and BERT-large shapes, W4A8 (mma.sync, BERT-base shapes); then
  # attention and the row kernels, with 2 ms samples. (The promoted-FP8 Hopper tiles, the mma.sync
  # INT8/FP8/FP16 sweeps — parts gemm, fp8, large, f16 — and the layernorm GEMM's, ln, which the
  # encoder does not use, are left out to fit one device call: with all Hopper kinds and 5 ms
  # samples the sweep did not finish in 125 s.)
  step "gemm sweep" 200 env LOWBIT_BENCH_SAMPLE_MS=2 LOWBIT_WGMMA_KINDS=wg-int8,wg-fp8fast,wg-fp16 \
      "$BIN" cuda bench wgmma lt w4a8 attention rows 2>&1 | tee "$OUT/gemm.log"
fi
python3 "$SCRIPTS/cuda-bench-table.py" "$OUT" > "$OUT/benchmarks-gpu.md"
cat "$OUT/device.txt" "$OUT/benchmarks-gpu.md"
