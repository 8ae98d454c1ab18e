#!/usr/bin/env bash
# The main job on the embedded defaults: set up, build ppi, and run `ppi serve` with no other
# servers (SQLite database and queue, media in a local folder, one built-in worker), data in
# ./ppi-data. On first start it creates the admin user `admin` with a random password, kept in
# ./ppi-data/admin-password. Extra arguments go to `ppi serve` (e.g. --bind 0.0.0.0:8080).
#
#   scripts/serve.sh --with-label-studio [ppi serve args]
#
# also runs a real Label Studio beside it (installed from PyPI into .venv-ls if missing, data in
# ./ppi-data/label-studio, port PPI_LS_PORT or 8081, login and token generated once) with the
# settings PPI needs, and `ppi serve` wires the two together at start: projects from the
# patterns sheet (PPI_PATTERNS, default the sample tests/fixtures/patterns.xlsx), PPI as the ML
# backend, webhooks. Run it again any time: everything found in place is reused. Ctrl-C stops
# both. PPI_BIN=/path/to/ppi skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."

with_ls=0
args=()
for a in "$@"; do
  case "$a" in
    --with-label-studio) with_ls=1 ;;
    *) args+=("$a") ;;
  esac
done

scripts/setup.sh
if [ -n "${PPI_BIN:-}" ]; then
  PPI="$PPI_BIN"
else
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ppi/target}"
  cargo build --release --locked
  PPI="$CARGO_TARGET_DIR/release/ppi"
fi

export PPI_DATA_DIR="${PPI_DATA_DIR:-$PWD/ppi-data}"
mkdir -p "$PPI_DATA_DIR"
secret="$PPI_DATA_DIR/admin-password"
where="PPI_ADMIN_PASSWORD"
if [ -z "${PPI_ADMIN_PASSWORD:-}" ]; then
  where="$secret"
  if [ ! -s "$secret" ]; then
    (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' > "$secret")
  fi
  PPI_ADMIN_PASSWORD="$(cat "$secret")"
fi
export PPI_ADMIN_USER="${PPI_ADMIN_USER:-admin}" PPI_ADMIN_PASSWORD

if [ "$with_ls" = 0 ]; then
  echo "serve: log in as '$PPI_ADMIN_USER' with the password in $where (used only when the database is new)" >&2
  exec "$PPI" serve "${args[@]}"
fi

# Label Studio beside PPI, on this machine.
ls_dir="$PPI_DATA_DIR/label-studio"
ls_port="${PPI_LS_PORT:-8081}"
started_ls=0
if ! { [ -f "$ls_dir/pid" ] && kill -0 "$(cat "$ls_dir/pid")" 2>/dev/null; }; then started_ls=1; fi
ls_env=$(scripts/label-studio.sh serve "$ls_dir" "$ls_port") || exit 1
eval "$ls_env"
stop_ls() { if [ "$started_ls" = 1 ]; then scripts/label-studio.sh stop "$ls_dir"; fi; }
trap stop_ls EXIT
export LABEL_STUDIO_URL LABEL_STUDIO_API_KEY
export PPI_PATTERNS="${PPI_PATTERNS:-$PWD/tests/fixtures/patterns.xlsx}"
bind="${PPI_BIND:-127.0.0.1:8080}"
for ((i = 0; i < ${#args[@]}; i++)); do
  if [ "${args[$i]}" = --bind ] && [ $((i + 1)) -lt ${#args[@]} ]; then bind="${args[$((i + 1))]}"; fi
done
cat >&2 <<EOF
serve: Label Studio  $LABEL_STUDIO_URL  (log in as $LS_EMAIL, password in $ls_dir/password)
serve: PPI           http://${bind/0.0.0.0/127.0.0.1}  (log in as '$PPI_ADMIN_USER', password in $where)
serve: patterns      $PPI_PATTERNS
serve: ppi serve wires Label Studio at start (projects, ML backend, webhooks); see its log
EOF
# Not exec: the trap stops Label Studio when ppi stops (Ctrl-C, SIGTERM).
"$PPI" serve "${args[@]}" &
ppi_pid=$!
trap 'kill -TERM "$ppi_pid" 2>/dev/null || true' INT TERM
status=0
wait "$ppi_pid" || status=$?
# A signal interrupted the first wait: wait for ppi to finish stopping.
wait "$ppi_pid" 2>/dev/null || true
exit "$status"
