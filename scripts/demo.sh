#!/usr/bin/env bash
# The main job on the embedded defaults: set up, build ppi, and turn a sample lesson into a
# dataset folder (./huggingface_dataset). The sample (video, Label Studio export, patterns
# sheet) is generated into ./demo on first use; pass your own files to ppi the same way.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ppi/target}"
cargo build --release --locked
PPI="$CARGO_TARGET_DIR/release/ppi"

mkdir -p demo
if [ ! -f demo/lesson-001.mp4 ]; then
  echo "demo: generating a 60 s sample lesson" >&2
  ffmpeg -hide_banner -loglevel error -y \
    -f lavfi -i "testsrc2=s=1280x720:r=25:d=60" \
    -f lavfi -i "sine=frequency=220:sample_rate=48000:duration=60" \
    -c:v libx264 -preset veryfast -g 50 -pix_fmt yuv420p -c:a aac -shortest demo/lesson-001.mp4
fi
cp -n tests/fixtures/patterns.xlsx demo/patterns.xlsx 2>/dev/null || true
cp -n tests/fixtures/export_lesson-001.json demo/lesson-001.json 2>/dev/null || true

"$PPI" dataset build --video demo/lesson-001.mp4 --annotations demo/lesson-001.json \
  --patterns demo/patterns.xlsx --out huggingface_dataset "$@"
echo "demo: dataset written to ./huggingface_dataset (see its README.md)" >&2
