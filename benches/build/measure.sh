#!/usr/bin/env bash
# Build figures on this machine (issue 24), for one commit: a cold `scripts/test.sh`, the number
# of test binaries, a warm release build, then incremental release builds after a one-line
# change in the CLI, in a job and in the media code, and an incremental `cargo nextest run`
# (its build: `--no-run`) after a one-line change in the CLI. Run it on a quiet machine, once
# for the commit before and once after, and compare in docs/benchmarks.md:
#
#   benches/build/measure.sh 66d2342 before      # the single crate
#   benches/build/measure.sh HEAD after          # the workspace
#
# PPI_BUILD_STEPS=builds measures only the builds (steps 2-4, about 25 minutes), =cold only the
# cold test command (step 1, about 30 minutes); the default is both.
#
# The commit is checked out beside this clone (../ppi-build-<label>, so that its tests find
# ../shared as CI's clone does) with its own empty target folder; the Python venvs of this
# checkout are linked in (setup is not what is measured). Node modules are not linked: npm in
# the worktree wrote through the link, and removing the worktree emptied this checkout's.
# Cargo's registry stays warm: downloads are not part of the figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
REV=$1
LABEL=$2
WT=$(dirname "$ROOT")/ppi-build-$LABEL
OUT=${PPI_BUILD_FIGURES:-/tmp/ppi-build-figures}/$LABEL
mkdir -p "$OUT"
rm -rf "$WT"
git worktree prune
git worktree add --detach "$WT" "$REV" >/dev/null
for l in .venv .venv-ls; do
  [ -e "$ROOT/$l" ] && ln -sfn "$(readlink -f "$ROOT/$l")" "$WT/$l"
done
export CARGO_TARGET_DIR=/tmp/ppi-build-target-$LABEL
rm -rf "$CARGO_TARGET_DIR"
# A cold target is 5-26 GB: it goes when the figures are taken (it once filled the disk).
trap 'rm -rf "$CARGO_TARGET_DIR"' EXIT
cd "$WT"
secs() { local s; s=$(date +%s.%N); "$@" >>"$OUT/log" 2>&1; echo "$(date +%s.%N) - $s" | bc; }

STEPS=${PPI_BUILD_STEPS:-all}
: >>"$OUT/figures"

# 1. Cold test command (setup is already done on this machine, so it only checks).
if [ "$STEPS" != builds ]; then
  t=$(secs scripts/test.sh </dev/null || true)
  echo "cold scripts/test.sh: $t s" | tee -a "$OUT/figures"
  grep -E "Starting [0-9]+ tests across [0-9]+ binar|Summary" "$OUT/log" | tail -2 | tee -a "$OUT/figures"
  if [ "$STEPS" = cold ]; then
    cd "$ROOT"
    git worktree remove --force "$WT"
    exit 0
  fi
fi

# 2. The files a one-line change touches, as each layout names them.
if [ -d crates/ppi-jobs ]; then
  CLI=src/cli/mod.rs; JOB=crates/ppi-jobs/src/extract_audio.rs; MEDIA=crates/ppi-media/src/probe.rs
else
  CLI=src/cli/mod.rs; JOB=src/jobs/extract_audio.rs; MEDIA=src/media/probe.rs
fi
change() { sed -i "$2" "$1"; grep -q "$3" "$1" || { echo "no change made in $1" >&2; exit 1; }; }

# 3. Release builds: warm, then one line changed in each place.
t=$(secs cargo build --release --locked)
echo "release build, cold: $t s" | tee -a "$OUT/figures"
change "$CLI" 's/cannot start the async runtime: {e}/cannot start the async runtime (tokio): {e}/' 'runtime (tokio)'
t=$(secs cargo build --release --locked)
echo "release build after a CLI line: $t s" | tee -a "$OUT/figures"
change "$JOB" 's/"fetching source"/"fetching the source"/' '"fetching the source"'
t=$(secs cargo build --release --locked)
echo "release build after a job line: $t s" | tee -a "$OUT/figures"
change "$MEDIA" 's/"is a folder, not a video file"/"is a folder, not a video"/' '"is a folder, not a video"'
t=$(secs cargo build --release --locked)
echo "release build after a media line: $t s" | tee -a "$OUT/figures"

# 4. The test build after one CLI line (the tests' own run time does not change with layout).
cargo nextest run --locked --workspace --all-targets --no-run >>"$OUT/log" 2>&1 || cargo nextest run --locked --all-targets --no-run >>"$OUT/log" 2>&1
change "$CLI" 's/cannot start the async runtime (tokio): {e}/cannot start the tokio runtime: {e}/' 'the tokio runtime'
if [ -d crates ]; then
  t=$(secs cargo nextest run --locked --workspace --all-targets --no-run)
else
  t=$(secs cargo nextest run --locked --all-targets --no-run)
fi
echo "test build after a CLI line: $t s" | tee -a "$OUT/figures"
echo "test binaries: $(find "$CARGO_TARGET_DIR/debug/deps" -maxdepth 1 -type f -perm -u+x ! -name '*.so' ! -name '*.d' -newer "$OUT/figures" | wc -l) rebuilt; $(cargo nextest list --workspace --all-targets --message-format json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["rust-suites"]))' 2>/dev/null || echo ?) in all" | tee -a "$OUT/figures"
cd "$ROOT"
git worktree remove --force "$WT"
