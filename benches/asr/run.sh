#!/usr/bin/env bash
# Whisper benchmark: ppi transcribe against faster-whisper int8 (docs/benchmarks.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ppi/target}"
cargo build --release --locked
MODEL="${PPI_WHISPER_MODEL:-$PWD/../shared/models/ggml-base-q8_0.bin}"
if [ ! -x .venv-bench/bin/python ] || ! .venv-bench/bin/python -c "import faster_whisper, moviepy" 2>/dev/null; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q --disable-pip-version-check -r benches/requirements-bench.txt
fi
exec .venv-bench/bin/python benches/asr/bench.py --ppi "$CARGO_TARGET_DIR/release/ppi" --model "$MODEL" --python .venv-bench/bin/python "$@"
