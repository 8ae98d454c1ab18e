#!/usr/bin/env bash
# Speaker turns on a 45-minute lesson (docs/benchmarks.md, "Who speaks"): `ppi speakers` beside
# `ppi transcribe` (Whisper) on the same audio, time and peak RSS per lesson minute, and the
# turns scored against the lesson's truth. The lesson is synthetic (tests/speakers/
# make_lesson.py: a teacher and four students, espeak-ng voices, noise at 15 dB SNR), made once
# and kept in ~/.cache/ppi/bench.
#   benches/speakers/run.sh [--runs N] [--lang en|ru] [--no-whisper]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=3 LANG_=en WHISPER=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --lang) LANG_=$2; shift 2 ;;
    --no-whisper) WHISPER=0; shift ;;
    *) echo "usage: $0 [--runs N] [--lang en|ru] [--no-whisper]" >&2; exit 2 ;;
  esac
done
scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ppi/target}"
cargo build --release --locked --bin ppi
PPI="$CARGO_TARGET_DIR/release/ppi"
PY=.venv/bin/python
LESSON="$HOME/.cache/ppi/bench/lesson45-$LANG_"
if [ ! -s "$LESSON/lesson.wav" ]; then
  $PY tests/speakers/make_lesson.py "$LESSON" --lang "$LANG_" --seconds 2700 --snr 15 --seed 45
fi
minutes=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['duration'] / 60)" "$LESSON/truth.json")
measure() { # label, command...: wall seconds and peak RSS (MB) from GNU time
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$LESSON/time.txt" "$@" >/dev/null
  read -r wall rss < "$LESSON/time.txt"
  echo "$label $wall $((rss / 1024))"
}
{
  for i in $(seq 1 "$RUNS"); do
    measure speakers "$PPI" speakers "$LESSON/lesson.wav" --format json -o "$LESSON/ppi.json"
  done
  if [ "$WHISPER" = 1 ]; then
    measure whisper env PPI_WHISPER_MODEL="${PPI_WHISPER_MODEL:-$PWD/../shared/models/ggml-base-q8_0.bin}" \
      "$PPI" transcribe "$LESSON/lesson.wav" --format json -o "$LESSON/transcript.json"
  fi
} | tee "$LESSON/runs.txt"
score=$($PY tests/speakers/score.py "$LESSON/truth.json" "$LESSON/ppi.json")
$PY - "$LESSON/runs.txt" "$minutes" "$score" <<'PY'
import json, statistics, sys
runs, minutes, score = sys.argv[1], float(sys.argv[2]), json.loads(sys.argv[3])
rows = {}
for line in open(runs):
    label, wall, rss = line.split()
    rows.setdefault(label, []).append((float(wall), int(rss)))
print(f"lesson: {minutes:.1f} min")
print("| step | median wall | per lesson minute | × lesson length | peak RSS |")
print("|---|---:|---:|---:|---:|")
for label, r in rows.items():
    wall = statistics.median(w for w, _ in r)
    print(f"| {label} ({len(r)} runs) | {wall:.1f} s | {wall / minutes:.2f} s | {wall / (minutes * 60):.4f} | {max(m for _, m in r)} MB |")
if "whisper" in rows and "speakers" in rows:
    print(f"speakers / whisper: {statistics.median(w for w, _ in rows['speakers']) / statistics.median(w for w, _ in rows['whisper']):.3f}")
print("turns against the truth: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in score.items()))
PY
