#!/usr/bin/env bash
# Service benchmark: builds ppi (release), starts `ppi serve` on the embedded defaults in a scratch
# data dir, then measures /health and an authenticated GET /api/lessons with wrk at a paced
# 500 req/s, and the server's peak RSS during a 1 GB upload. Figures: docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ppi/target}"
cargo build --release --locked
exec python3 benches/service/bench.py --ppi "$CARGO_TARGET_DIR/release/ppi" "$@"
