#!/usr/bin/env bash
# The test command (README.md): sets everything up on a fresh machine, then checks formatting,
# lints, and runs every test against the real parts (FFmpeg, Python `datasets`, ...). At the
# end, no process the tests started may still be running.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

# Build outputs live outside the clone so that warm runs reuse them.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ppi/target}"
export PPI_PYTHON="$PWD/.venv/bin/python"
export CARGO_TERM_COLOR=never

# Builds from many clones share the target folder, and each leaves ~700 MB test binaries:
# drop binaries untouched for a day and incremental caches (cargo rebuilds what it needs).
if [ -d "$CARGO_TARGET_DIR/debug/deps" ]; then
  find "$CARGO_TARGET_DIR/debug/deps" -maxdepth 1 -type f -perm -u+x ! -name '*.so' -mtime +0 -delete
  rm -rf "$CARGO_TARGET_DIR/debug/incremental"
fi

# Servers the tests start: SeaweedFS, Label Studio, Postgres clusters, ppi, Chromium.
servers() {
  pgrep -f -a 'weed mini|label-studio start|postgres -D .*ppi-svc|/ppi (serve|worker)|chromium.*--headless' || true
}
before=$(servers | awk '{print $1}')

cargo fmt --all --check
# No module imports another that imports it back (Cargo refuses cycles between crates; this
# checks inside each crate).
python3 scripts/module-cycles.py
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo nextest run --locked --workspace --all-targets --no-fail-fast
cargo test --locked --workspace --doc

sleep 2
leaked=$(servers | awk -v before="$before" 'BEGIN { n = split(before, b, "\n"); for (i = 1; i <= n; i++) seen[b[i]] = 1 } !($1 in seen)')
if [ -n "$leaked" ]; then
  echo "test.sh: processes the tests started are still running:" >&2
  echo "$leaked" >&2
  echo "$leaked" | awk '{print $1}' | xargs -r kill -9 2>/dev/null || true
  exit 1
fi
echo "test.sh: all checks passed"
