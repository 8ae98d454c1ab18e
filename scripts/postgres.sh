#!/usr/bin/env bash
# A private Postgres cluster for the scale-out job queue tests.
#   scripts/postgres.sh start DIR   # initdb (once) and start on a free port; prints `export …`
#   scripts/postgres.sh stop DIR
# Uses Debian's postgresql packages (scripts/setup.sh installs them). As root, the cluster runs
# as the `postgres` user, since Postgres refuses to run as root.
set -euo pipefail
cmd=${1:?start|stop}; dir=$(realpath -m "${2:?directory}")
BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$BIN" ] || { echo "postgres.sh: no Postgres installed; run scripts/setup.sh" >&2; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    if [ -f "$dir/env" ] && [ -f "$dir/data/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      cat "$dir/env"; exit 0
    fi
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_pg "$BIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 >"$dir/initdb.log" 2>&1
    fi
    port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
    as_pg "$BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
    echo "export PPI_DATABASE_URL=postgres://postgres@127.0.0.1:$port/postgres" | tee "$dir/env"
    ;;
  stop)
    [ -f "$dir/data/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
