#!/usr/bin/env bash
# Runs the media benchmark: builds ppi (release), prepares the bench venv with moviepy, and
# measures PPI against the ffmpeg CLI and the old moviepy approach. Figures: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ppi/target}"
cargo build --release --locked
if [ ! -x .venv-bench/bin/python ]; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q --disable-pip-version-check -r benches/requirements-bench.txt
fi
exec .venv-bench/bin/python benches/media/bench.py --ppi "$CARGO_TARGET_DIR/release/ppi" --python .venv-bench/bin/python "$@"
