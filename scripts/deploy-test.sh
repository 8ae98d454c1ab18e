#!/usr/bin/env bash
# The docker deployment, built and run here (issue 11): installs docker if missing, starts
# dockerd, builds the local base images from Debian's packages (no registry is reachable),
# builds PPI's image from the real docker/Dockerfile, brings docker/compose.yaml up with the
# docker/compose.test.yaml override, runs the end-to-end check (docker/test/e2e.py) and tears
# everything down, also on failure. Idempotent: images and caches are reused on the next run.
#
#   scripts/deploy-test.sh            # all of it
#   scripts/deploy-test.sh images     # only the local base images
#   scripts/deploy-test.sh build      # base images and PPI's image
#   scripts/deploy-test.sh stack      # only the stack and its check (images already built)
#   KEEP=1 scripts/deploy-test.sh     # leave the stack running after the check (for a look)
#
# Figures (times, image size, latencies) go to stderr and to $PPI_DOCKER_CACHE/last-run.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CACHE=${PPI_DOCKER_CACHE:-$HOME/.cache/ppi/docker}
PROJECT=${PPI_DEPLOY_PROJECT:-ppideploytest}
PPI_IMAGE=${PPI_IMAGE:-ppi:deploy-test}
RUST_IMAGE=ppi-local/rust:1.95-bookworm
mkdir -p "$CACHE"
FIGURES="$CACHE/last-run.txt"
: > "$FIGURES"

log() { echo "deploy-test: $*" >&2; }
figure() { echo "$*" | tee -a "$FIGURES" >&2; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }'; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Debian's docker.io client (20.10) drives BuildKit with DOCKER_BUILDKIT=1; a newer client
# without the buildx plugin falls back to the legacy builder, which cannot do `RUN --mount`.
ensure_docker() {
  local missing=()
  for p in docker.io docker-compose debootstrap; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  DOCKER=/usr/bin/docker
  [ -x "$DOCKER" ] || DOCKER=$(command -v docker)
  export DOCKER_BUILDKIT=1
  if ! $SUDO "$DOCKER" info >/dev/null 2>&1; then
    log "starting dockerd"
    $SUDO setsid nohup /usr/sbin/dockerd >"$CACHE/dockerd.log" 2>&1 < /dev/null &
    for _ in $(seq 1 60); do
      $SUDO "$DOCKER" info >/dev/null 2>&1 && break
      sleep 1
    done
    $SUDO "$DOCKER" info >/dev/null 2>&1 || { log "dockerd did not start: $CACHE/dockerd.log"; exit 1; }
  fi
  docker() { $SUDO "$DOCKER" "$@"; }
  compose() {
    $SUDO env DOCKER_BUILDKIT=1 docker-compose -p "$PROJECT" -f docker/compose.yaml \
      -f docker/compose.test.yaml --env-file "$ENV_FILE" --compatibility "$@"
  }
}

has_image() { docker image inspect "$1" >/dev/null 2>&1; }

# ppi-local/debian:minbase (debootstrap) → ppi-local/debian:bookworm (CA roots, security
# updates) → postgres, seaweedfs, label-studio and the builder image from the Rust toolchain.
images() {
  local t
  if ! has_image ppi-local/debian:minbase; then
    t=$(now)
    log "debootstrap bookworm (minbase)"
    local rootfs="$CACHE/rootfs.tmp"
    $SUDO rm -rf "$rootfs"
    $SUDO debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian >"$CACHE/debootstrap.log" 2>&1 \
      || { log "debootstrap failed: $CACHE/debootstrap.log"; exit 1; }
    $SUDO tar -C "$rootfs" -c . | docker import - ppi-local/debian:minbase >/dev/null
    $SUDO rm -rf "$rootfs"
    figure "image ppi-local/debian:minbase (debootstrap + import): $(since "$t") s"
  fi
  # The base carries the machine's extra CA roots (apt, pip and cargo go through a
  # TLS-inspecting proxy here); the context is a folder holding only them.
  local ctx="$CACHE/base-ctx"
  rm -rf "$ctx" && mkdir -p "$ctx/ca"
  cp /usr/local/share/ca-certificates/*.crt "$ctx/ca/" 2>/dev/null || true
  build_image ppi-local/debian:bookworm docker/test/base.Dockerfile "$ctx"
  build_image ppi-local/postgres:15 docker/test/postgres.Dockerfile docker/test
  build_image ppi-local/seaweedfs:latest docker/test/seaweedfs.Dockerfile docker/test
  build_image ppi-local/label-studio:1.23.2 docker/test/label-studio.Dockerfile docker/test
  # The builder image: the toolchain's bin, lib and libexec (its sources and docs left out),
  # staged once per toolchain version.
  local tc
  tc=$(dirname "$(dirname "$(rustup which cargo)")")
  local stage="$CACHE/rust-ctx" want
  want=$(rustc --version)
  if [ "$(cat "$stage.stamp" 2>/dev/null)" != "$want" ]; then
    rm -rf "$stage" && mkdir -p "$stage"
    for d in bin lib libexec etc; do
      [ -d "$tc/$d" ] && cp -a "$tc/$d" "$stage/"
    done
    rm -rf "$stage/lib/rustlib/src"
    echo "$want" > "$stage.stamp"
  fi
  build_image "$RUST_IMAGE" docker/test/rust.Dockerfile "$stage"
}

build_image() {
  local tag=$1 file=$2 ctx=$3 t
  t=$(now)
  docker build --network host -q -t "$tag" -f "$ROOT/$file" "$ctx" >/dev/null \
    || { log "building $tag failed"; docker build --network host -t "$tag" -f "$ROOT/$file" "$ctx" >&2; exit 1; }
  figure "image $tag: $(since "$t") s, $(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}')"
}

# PPI's own image from docker/Dockerfile, with the local builder and runtime images as its
# build args (the production defaults are the official images).
build_ppi() {
  local t
  t=$(now)
  log "building $PPI_IMAGE from docker/Dockerfile (a cold build compiles every crate: 10 min measured here on a quiet 2-core machine, 59 min beside another build)"
  docker build --network host -f docker/Dockerfile -t "$PPI_IMAGE" \
    --build-arg BUILDER_IMAGE="$RUST_IMAGE" \
    --build-arg RUNTIME_IMAGE=ppi-local/debian:bookworm . >"$CACHE/ppi-build.log" 2>&1 \
    || { tail -40 "$CACHE/ppi-build.log" >&2; log "building $PPI_IMAGE failed: $CACHE/ppi-build.log"; exit 1; }
  figure "image $PPI_IMAGE: built in $(since "$t") s, $(docker image inspect -f '{{.Size}}' "$PPI_IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"
}


free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])'; }
secret() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# A fresh env file: random secrets, free host ports, and the host's address as the S3 public
# endpoint (presigned URLs must work from the host's browser *and* from inside LS's container).
write_env() {
  local host ppi_port ls_port s3_port console_port
  host=$(hostname -I | awk '{print $1}')
  ppi_port=$(free_port) ls_port=$(free_port) s3_port=$(free_port) console_port=$(free_port)
  umask 077
  cat > "$ENV_FILE" <<ENV
POSTGRES_PASSWORD=$(secret 16)
MINIO_ROOT_USER=ppi-deploy-test
MINIO_ROOT_PASSWORD=$(secret 16)
PPI_JWT_SECRET=$(secret 32)
PPI_LS_WEBHOOK_SECRET=$(secret 32)
PPI_ADMIN_USER=admin
PPI_ADMIN_PASSWORD=$(secret 12)
PPI_PUBLIC_URL=http://$host:$ppi_port
PPI_S3_PUBLIC_ENDPOINT=http://$host:$s3_port
PPI_S3_BUCKET=ppi
LABEL_STUDIO_HOST=http://$host:$ls_port
LABEL_STUDIO_USERNAME=admin@example.org
LABEL_STUDIO_PASSWORD=$(secret 12)
LABEL_STUDIO_USER_TOKEN=$(secret 20)
PPI_PATTERNS_DIR=./patterns
PPI_PATTERNS_FILE=patterns.xlsx
PPI_LS_ANNOTATORS=1
PPI_WORKERS=2
PPI_PORT=$ppi_port
LS_PORT=$ls_port
S3_PORT=$s3_port
MINIO_CONSOLE_PORT=$console_port
PPI_IMAGE=$PPI_IMAGE
PPI_WHISPER_DIR=$WHISPER_DIR
ENV
  umask 022
}

envvar() { sed -n "s/^$1=//p" "$ENV_FILE"; }

teardown() {
  local rc=$?
  if [ "${KEEP:-0}" = 1 ] && [ $rc -eq 0 ]; then
    log "KEEP=1: the stack is left running (env file $ENV_FILE); stop it with:"
    log "  docker-compose -p $PROJECT -f docker/compose.yaml -f docker/compose.test.yaml --env-file $ENV_FILE down -v"
    return
  fi
  if [ $rc -ne 0 ]; then
    log "failed (exit $rc); the services' last log lines:"
    compose logs --no-color --tail 30 >&2 2>&1 || true
  fi
  log "tearing the stack down (containers, network, volumes)"
  compose down -v --remove-orphans >/dev/null 2>&1 || true
  rm -rf "$CACHE/e2e"
  exit $rc
}

stack_test() {
  WHISPER_DIR=${PPI_WHISPER_DIR:-$(cd "$ROOT/../shared/models" 2>/dev/null && pwd)}
  [ -s "$WHISPER_DIR/ggml-base-q8_0.bin" ] || { log "no Whisper model in ${WHISPER_DIR:-../shared/models}"; exit 1; }
  for tool in espeak-ng ffmpeg; do
    command -v "$tool" >/dev/null || { log "$tool is missing (scripts/setup.sh installs it)"; exit 1; }
  done
  # A leftover of an interrupted run goes first (same project name).
  [ -s "$ENV_FILE" ] && compose down -v --remove-orphans >/dev/null 2>&1 || true
  write_env
  trap teardown EXIT
  local t bootstrap
  t=$(now)
  log "compose up (postgres, s3, label-studio, models, ppi, 2 workers, bootstrap)"
  compose up -d --no-build >"$CACHE/compose-up.log" 2>&1 || { cat "$CACHE/compose-up.log" >&2; exit 1; }
  bootstrap=$(compose ps -q bootstrap)
  for _ in $(seq 1 300); do
    [ "$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$bootstrap")" = "exited 0" ] && break
    sleep 1
  done
  [ "$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$bootstrap")" = "exited 0" ] \
    || { log "bootstrap did not finish"; docker logs "$bootstrap" >&2; exit 1; }
  figure "compose up -> bootstrap done: $(since "$t") s (restarts: $(docker inspect -f '{{.RestartCount}}' "$bootstrap"))"
  docker logs "$bootstrap" 2>&1 | tail -12 >&2
  PROJECT=$PROJECT PPI_URL="http://127.0.0.1:$(envvar PPI_PORT)" LS_URL="http://127.0.0.1:$(envvar LS_PORT)" \
    LS_TOKEN=$(envvar LABEL_STUDIO_USER_TOKEN) PPI_ADMIN_USER=admin PPI_ADMIN_PASSWORD=$(envvar PPI_ADMIN_PASSWORD) \
    COMPOSE="$SUDO env docker-compose -p $PROJECT -f docker/compose.yaml -f docker/compose.test.yaml --env-file $ENV_FILE --compatibility" \
    DOCKER="$SUDO $DOCKER" WORK="$CACHE/e2e" FIGURES="$FIGURES" python3 docker/test/e2e.py
  figure "deploy test total (stack part): $(since "$t") s"
}

ENV_FILE="$CACHE/stack.env"
ensure_docker
case "${1:-all}" in
  images) images ;;
  build) images; build_ppi ;;
  all) images; build_ppi; stack_test ;;
  stack) stack_test ;;
  *) echo "usage: scripts/deploy-test.sh [all|images|build|stack]" >&2; exit 2 ;;
esac
