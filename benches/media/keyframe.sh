#!/usr/bin/env bash
# The key-frame benchmark: builds ppi (release) and runs benches/media/keyframe.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ppi/target}"
cargo build --release --locked
exec python3 benches/media/keyframe.py --ppi "$CARGO_TARGET_DIR/release/ppi" "$@"
