#!/usr/bin/env bash
# The main job on the embedded defaults: set up, build ppi, and run `ppi serve` with no other
# servers (SQLite database and queue, media in a local folder, one built-in worker), data in
# ./ppi-data. On first start it creates the admin user `admin` with a random password, kept in
# ./ppi-data/admin-password. Extra arguments go to `ppi serve` (e.g. --bind 0.0.0.0:8080).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ppi/target}"
cargo build --release --locked
PPI="$CARGO_TARGET_DIR/release/ppi"

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
echo "serve: log in as '$PPI_ADMIN_USER' with the password in $where (used only when the database is new)" >&2
exec "$PPI" serve "$@"
