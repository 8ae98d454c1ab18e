#!/usr/bin/env bash
# The test command (README.md): sets everything up on a fresh machine, then checks formatting,
# lints, and runs every test against the real parts (FFmpeg, Python `datasets`, ...).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

# Build outputs live outside the clone so that warm runs reuse them.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ppi/target}"
export PPI_PYTHON="$PWD/.venv/bin/python"
export CARGO_TERM_COLOR=never

cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo nextest run --locked --all-targets --no-fail-fast
cargo test --locked --doc
echo "test.sh: all checks passed"
