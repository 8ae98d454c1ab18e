#!/usr/bin/env bash
# Installs everything PPI needs to build and test, idempotently, on a fresh Debian 12 machine:
# FFmpeg 5.1 development libraries, clang/cmake for whisper.cpp, test tools, and the Python
# test venv in .venv (ignored by git). Safe to run again: it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  pkg-config clang libclang-dev cmake g++ make
  libavcodec-dev libavformat-dev libavutil-dev libswscale-dev libswresample-dev libavfilter-dev libavdevice-dev
  ffmpeg espeak-ng sox wrk time python3-venv postgresql chromium
)
# Node.js drives the browser tests; use the machine's own when it has one.
command -v node >/dev/null 2>&1 || APT_PACKAGES+=(nodejs npm)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python test venv: rebuilt only when the requirements change.
VENV=.venv
REQ=scripts/requirements-test.txt
STAMP="$VENV/.requirements.sha256"
want=$(sha256sum "$REQ" | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$want" ]; then
  echo "setup: creating the Python test venv in $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check --upgrade pip
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$REQ"
  echo "$want" > "$STAMP"
fi

# A public-domain face for the key-frame tests: NASA's astronaut photo, as scikit-image's wheel
# ships it (skimage/data/astronaut.png), extracted once into the venv.
FACE="$VENV/fixtures/astronaut.png"
if [ ! -s "$FACE" ]; then
  echo "setup: fetching astronaut.png from the scikit-image wheel" >&2
  mkdir -p "$VENV/fixtures/wheel"
  "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps --only-binary=:all: \
    scikit-image==0.26.0 -d "$VENV/fixtures/wheel"
  "$VENV/bin/python" - "$VENV/fixtures" <<'PY'
import glob, sys, zipfile
d = sys.argv[1]
with zipfile.ZipFile(glob.glob(d + "/wheel/scikit_image-*.whl")[0]) as z:
    open(d + "/astronaut.png.part", "wb").write(z.read("skimage/data/astronaut.png"))
PY
  mv "$VENV/fixtures/astronaut.png.part" "$FACE"
  rm -rf "$VENV/fixtures/wheel"
fi

# The speaker models PPI runs (Silero VAD, Resemblyzer), fetched from their PyPI wheels and
# verified (pinned digests), where `ppi` looks for them by default.
SPEECH_MODELS="${PPI_SPEECH_MODELS:-${XDG_DATA_HOME:-$HOME/.local/share}/ppi/speech-models}"
python3 scripts/speech-models.py "$SPEECH_MODELS"

# The same models as their authors ship them, for the tests that check PPI's implementation
# against the reference one (torch and librosa in the venv): Silero's TorchScript file and
# Resemblyzer's PyTorch checkpoint, extracted from the same pinned wheels.
SPEECH_REF="$VENV/fixtures/speech"
if [ ! -s "$SPEECH_REF/silero_vad.jit" ] || [ ! -s "$SPEECH_REF/pretrained.pt" ]; then
  echo "setup: extracting the reference speaker models into $SPEECH_REF" >&2
  mkdir -p "$SPEECH_REF/wheel"
  "$VENV/bin/pip" download -q --disable-pip-version-check --no-deps --only-binary=:all: \
    --require-hashes -r scripts/requirements-speech-models.txt -d "$SPEECH_REF/wheel"
  "$VENV/bin/python" - "$SPEECH_REF" <<'PY'
import glob, sys, zipfile
d = sys.argv[1]
for wheel, member, name in [("silero_vad-*.whl", "silero_vad/data/silero_vad.jit", "silero_vad.jit"),
                            ("Resemblyzer-*.whl", "resemblyzer/pretrained.pt", "pretrained.pt")]:
    with zipfile.ZipFile(glob.glob(d + "/wheel/" + wheel)[0]) as z:
        open(d + "/" + name + ".part", "wb").write(z.read(member))
PY
  mv "$SPEECH_REF/silero_vad.jit.part" "$SPEECH_REF/silero_vad.jit"
  mv "$SPEECH_REF/pretrained.pt.part" "$SPEECH_REF/pretrained.pt"
  rm -rf "$SPEECH_REF/wheel"
fi

# Label Studio for the integration tests (a pip venv in .venv-ls).
scripts/label-studio.sh install

# Browser test driver: playwright-core (it drives Debian's Chromium; no browser download),
# axe-core (the accessibility checks of the UI's pages), and the MCP Inspector CLI for
# tests/mcp.rs.
if [ ! -d tests/e2e/node_modules/playwright-core ] || [ ! -d tests/e2e/node_modules/axe-core ] || [ ! -d tests/e2e/node_modules/@modelcontextprotocol/inspector ] || [ tests/e2e/package-lock.json -nt tests/e2e/node_modules/.package-lock.json ]; then
  echo "setup: installing playwright-core, axe-core and the MCP Inspector for the browser and MCP tests" >&2
  (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
fi

if ! command -v cargo-nextest >/dev/null 2>&1 && ! cargo nextest --version >/dev/null 2>&1; then
  echo "setup: installing cargo-nextest" >&2
  cargo install --locked cargo-nextest
fi
echo "setup: ok" >&2
