#!/usr/bin/env bash
# Suggestions from evidence through the whole chain (docs/benchmarks.md, "Suggestions from
# evidence"): the held-out corpus of the test (tests/suggestions/make_corpus.py, ten lessons,
# seed 200, six English and four Russian) is transcribed by Whisper with its speakers
# (`ppi transcribe --speakers auto --format json`), drafted by activity and by sentence
# (`ppi draft`), and scored (tests/suggestions/score.py); the same with the oracle words
# (tests/suggestions/oracle.py), as the test does. Prints macro F1 per language and overall.
#   benches/suggestions/run.sh [--seed N]
set -euo pipefail
cd "$(dirname "$0")/../.."
SEED=200
[ "${1:-}" = --seed ] && SEED=$2
scripts/setup.sh >/dev/null
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ppi/target}"
cargo build --release --locked --bin ppi
PPI="$CARGO_TARGET_DIR/release/ppi"
PY=.venv/bin/python
SHEET=tests/fixtures/patterns.xlsx
CORPUS="$HOME/.cache/ppi/bench/suggestions-$SEED"
[ -s "$CORPUS/lesson-10/lesson.wav" ] || $PY tests/suggestions/make_corpus.py "$CORPUS" --seed "$SEED"
export PPI_WHISPER_MODEL="${PPI_WHISPER_MODEL:-$PWD/../shared/models/ggml-base-q8_0.bin}"
for d in "$CORPUS"/lesson-*; do
  [ -s "$d/whisper.json" ] || "$PPI" transcribe "$d/lesson.wav" --speakers auto --format json -o "$d/whisper.json"
  "$PPI" speakers "$d/lesson.wav" --format json -o "$d/turns.json"
  $PY tests/suggestions/oracle.py "$d/truth.json" "$d/turns.json" > "$d/oracle.json"
  for words in whisper oracle; do
    "$PPI" draft "$d/$words.json" --patterns "$SHEET" --format json > "$d/$words-activity.json"
    "$PPI" draft "$d/$words.json" --patterns "$SHEET" --format json --by-sentence > "$d/$words-sentence.json"
  done
  $PY tests/suggestions/score.py "$d/truth.json" "$d"/{whisper,oracle}-{activity,sentence}.json > "$d/score.json"
done
$PY - "$CORPUS" <<'PY'
import glob, json, os, sys
names = ["whisper, by activity", "whisper, by sentence", "oracle words, by activity", "oracle words, by sentence"]
def macro(t):
    f = [2 * c[0] / (2 * c[0] + c[1] + c[2]) if (2 * c[0] + c[1] + c[2]) else 0.0 for c in t.values()]
    return sum(f) / len(f)
for lang in ("en", "ru", "all"):
    sums = [dict() for _ in names]
    for d in sorted(glob.glob(os.path.join(sys.argv[1], "lesson-*"))):
        if lang != "all" and json.load(open(f"{d}/truth.json"))["lang"] != lang:
            continue
        for i, m in enumerate(json.load(open(f"{d}/score.json"))):
            for label, c in m.items():
                t = sums[i].setdefault(label, [0, 0, 0])
                t[0] += c["tp"]; t[1] += c["fp"]; t[2] += c["fn"]
    print(lang, " | ".join(f"{n}: {macro(s):.3f}" for n, s in zip(names, sums)))
PY
