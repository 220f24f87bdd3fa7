# Sourced by the device scripts (cuda-bench.sh, cuda-attention-tiles.sh).
# unpack_bin BIN DEST: prints BIN, or where BIN is a .xz, unpacks it to DEST (xz, else Python's lzma
# where xz is missing) and prints DEST.
unpack_bin() {
  local bin=$1 dest=$2
  if [[ "$bin" == *.xz ]]; then
    xz -dc "$bin" > "$dest" 2>/dev/null \
      || python3 -c "import lzma,sys; sys.stdout.buffer.write(lzma.open(sys.argv[1]).read())" "$bin" > "$dest"
    chmod +x "$dest"; bin=$dest
  fi
  echo "$bin"
}
