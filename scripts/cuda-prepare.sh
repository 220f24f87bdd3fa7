#!/usr/bin/env bash
# Prepares, here on the CPU machine, what scripts/cuda-bench.sh needs on the device, in .device/
# (git-ignored; name it in the device call's carry, 64 MiB in all):
#   .device/lowbit.xz      the statically linked `lowbit` (release, --static-swift-stdlib), stripped
#   .device/minilm-pack    all-MiniLM-L6-v2 quantized w8a8 and packed with `lowbit cuda encoder-pack`
#                          (GPU weights with the W8A8 codes, CPU reference embeddings and states)
# then prints the device command.
# Usage, from the repository root: scripts/cuda-prepare.sh [--skip-build]
#   --skip-build: reuse .build-cuda-static's binary (the static build is slow).
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=.models/all-MiniLM-L6-v2
BIN=.build-cuda-static/release/lowbit
[ -d "$MODEL" ] || { echo "$MODEL missing (scripts/fetch-models.sh)" >&2; exit 1; }
git check-ignore -q .device/ || { echo ".device/ is not git-ignored; add it to .gitignore first" >&2; exit 1; }
if [ "${1:-}" != --skip-build ]; then
  swift build -c release --static-swift-stdlib --scratch-path .build-cuda-static --product lowbit
fi
mkdir -p .device
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
strip -o "$TMP/lowbit" "$BIN"
xz -T0 -c "$TMP/lowbit" > .device/lowbit.xz
"$BIN" quantize "$MODEL" --recipe w8a8 --out "$TMP/minilm-w8a8"
rm -rf .device/minilm-pack
"$BIN" cuda encoder-pack "$MODEL" .device/minilm-pack --quantized "$TMP/minilm-w8a8"
du -sh .device/lowbit.xz .device/minilm-pack
echo
echo "Device command (from the repository root, carry [\".device\"]):"
echo '  scripts/cuda-bench.sh .device/lowbit.xz .device/minilm-pack $OUT/gpu'
echo "  (--quick for a smoke test; --part lowbit / --part torch to split it over two calls)"
