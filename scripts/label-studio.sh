#!/usr/bin/env bash
# A real Label Studio 1.23.2 for tests and local runs (pip, in .venv-ls).
#   scripts/label-studio.sh install      # the venv (idempotent; scripts/setup.sh calls it)
#   scripts/label-studio.sh start DIR    # copies a migrated "golden" data dir into DIR, starts LS on
#                                        # a free port, prints `export …` lines for PPI
#   scripts/label-studio.sh stop DIR
#   scripts/label-studio.sh resume DIR   # starts a stopped test LS again on its data and port
#   scripts/label-studio.sh serve DIR [PORT]  # a persistent LS for people (scripts/serve.sh
#                                        # --with-label-studio): data in DIR/data, credentials
#                                        # generated once into DIR (0600), port 8081 by default
# The golden data dir is migrated once (70-120 s) under ~/.cache/ppi and reused (start ~11 s).
# The test user and its legacy token are fixed, throw-away values.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=1.23.2
VENV="$PWD/.venv-ls"
CACHE="${PPI_CACHE_DIR:-$HOME/.cache/ppi}"
GOLDEN="$CACHE/label-studio-$VERSION-golden"
LS_USER=admin@example.com
LS_PASSWORD=ppi-admin-12345
LS_TOKEN=ppitesttoken0123456789abcdef0123456789ab

install() {
  if [ -x "$VENV/bin/label-studio" ] && [ "$(cat "$VENV/.ppi-stamp" 2>/dev/null)" = "$VERSION" ]; then
    return
  fi
  echo "label-studio.sh: installing label-studio==$VERSION into $VENV (about 75 s)" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "label-studio==$VERSION"
  echo "$VERSION" > "$VENV/.ppi-stamp"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Starts LS on data dir $1 and port $2 in the background; writes $1/../pid.
launch() {
  local data=$1 port=$2 log=$3
  mkdir -p "$data/files"
  # LS reads bare names as fallbacks for its settings (USERNAME, PORT, HOST…): keep them out.
  env -u USERNAME -u PASSWORD -u PORT -u HOST -u DEBUG \
    LABEL_STUDIO_BASE_DATA_DIR="$data" \
    LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true \
    LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK=true \
    LABEL_STUDIO_ML_BLOCK_LOCAL_IP=false \
    LABEL_STUDIO_SSRF_PROTECTION_ENABLED=false \
    LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED=true \
    LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT="$data/files" \
    LABEL_STUDIO_HOST="http://127.0.0.1:$port" \
    LABEL_STUDIO_COLLECT_ANALYTICS=false \
    LABEL_STUDIO_LATEST_VERSION_CHECK=false \
    LABEL_STUDIO_SENTRY_DSN= LABEL_STUDIO_FRONTEND_SENTRY_DSN= \
    ${LS_EXTRA_ENV:-} \
    setsid "$VENV/bin/label-studio" start --port "$port" --internal-host 127.0.0.1 --no-browser \
      --username "$LS_USER" --password "$LS_PASSWORD" --user-token "$LS_TOKEN" \
      --enable-legacy-api-token >"$log" 2>&1 </dev/null &
  echo $!
}

wait_ready() {
  local port=$1 pid=$2 log=$3 secs=$4
  for _ in $(seq 1 $((secs * 2))); do
    if curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 &&
       curl -sf -H "Authorization: Token $LS_TOKEN" "http://127.0.0.1:$port/api/current-user/whoami" >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || { echo "label-studio.sh: LS exited; see $log" >&2; tail -20 "$log" >&2; return 1; }
    sleep 0.5
  done
  echo "label-studio.sh: LS not ready after $secs s; see $log" >&2
  return 1
}

golden() {
  [ -f "$GOLDEN/.ready" ] && return
  mkdir -p "$CACHE"
  exec 9>"$CACHE/label-studio-golden.lock"
  flock 9
  [ -f "$GOLDEN/.ready" ] && return
  echo "label-studio.sh: migrating a golden data dir (once, 70-120 s)" >&2
  rm -rf "$GOLDEN.tmp"; mkdir -p "$GOLDEN.tmp"
  local port pid
  port=$(free_port)
  pid=$(launch "$GOLDEN.tmp/data" "$port" "$GOLDEN.tmp/ls.log")
  if ! wait_ready "$port" "$pid" "$GOLDEN.tmp/ls.log" 400; then kill "$pid" 2>/dev/null || true; exit 1; fi
  kill "$pid"; for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -9 "$pid" 2>/dev/null || true
  rm -rf "$GOLDEN"; mv "$GOLDEN.tmp" "$GOLDEN"; touch "$GOLDEN/.ready"
}

cmd=${1:?install|start|stop}
case "$cmd" in
  install) install ;;
  start)
    dir=$(realpath -m "${2:?directory}")
    if [ -f "$dir/env" ] && [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      cat "$dir/env"; exit 0
    fi
    install; golden
    mkdir -p "$dir"; rm -rf "$dir/data"; cp -a "$GOLDEN/data" "$dir/data"
    port=$(free_port)
    echo "$port" >"$dir/port"
    pid=$(launch "$dir/data" "$port" "$dir/ls.log")
    echo "$pid" >"$dir/pid"
    wait_ready "$port" "$pid" "$dir/ls.log" 180
    echo "export LABEL_STUDIO_URL=http://127.0.0.1:$port LABEL_STUDIO_API_KEY=$LS_TOKEN LS_EMAIL=$LS_USER LS_PASSWORD=$LS_PASSWORD LS_PID=$pid" | tee "$dir/env"
    ;;
  resume)
    dir=$(realpath -m "${2:?directory}")
    [ -f "$dir/port" ] && [ -d "$dir/data" ] || { echo "label-studio.sh: nothing to resume in $dir" >&2; exit 1; }
    port=$(cat "$dir/port")
    pid=$(launch "$dir/data" "$port" "$dir/ls.log.resumed")
    echo "$pid" >"$dir/pid"
    wait_ready "$port" "$pid" "$dir/ls.log.resumed" 180
    echo "export LABEL_STUDIO_URL=http://127.0.0.1:$port LABEL_STUDIO_API_KEY=$LS_TOKEN LS_EMAIL=$LS_USER LS_PASSWORD=$LS_PASSWORD LS_PID=$pid" | tee "$dir/env"
    ;;
  serve)
    dir=$(realpath -m "${2:?directory}"); port=${3:-8081}
    if [ -f "$dir/env" ] && [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      cat "$dir/env"; exit 0
    fi
    install
    mkdir -p "$dir"
    [ -s "$dir/password" ] || (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$dir/password")
    [ -s "$dir/token" ] || (umask 077 && head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/token")
    LS_USER=${LS_USER:-admin@ppi.local}
    LS_PASSWORD=$(cat "$dir/password")
    LS_TOKEN=$(cat "$dir/token")
    # LS silently moves to the next port when its own is taken: refuse instead.
    # (SO_REUSEADDR: connections of a just-stopped LS in TIME_WAIT do not hold the port.)
    if ! python3 -c "import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', int(sys.argv[1])))" "$port" 2>/dev/null; then
      echo "label-studio.sh: port $port is in use; pick another with PPI_LS_PORT" >&2; exit 1
    fi
    [ -f "$dir/data/label_studio.sqlite3" ] || echo "label-studio.sh: first start: migrating a new Label Studio data dir (70-120 s)" >&2
    pid=$(launch "$dir/data" "$port" "$dir/ls.log")
    echo "$pid" >"$dir/pid"
    if ! wait_ready "$port" "$pid" "$dir/ls.log" 400; then kill "$pid" 2>/dev/null || true; rm -f "$dir/pid"; exit 1; fi
    echo "export LABEL_STUDIO_URL=http://127.0.0.1:$port LABEL_STUDIO_API_KEY=$LS_TOKEN LS_EMAIL=$LS_USER LS_PID=$pid" | tee "$dir/env"
    ;;
  stop)
    dir=$(realpath -m "${2:?directory}")
    if [ -f "$dir/pid" ]; then
      pid=$(cat "$dir/pid")
      # LS runs in its own session (setsid): stop the whole group (its uwsgi/django children).
      kill -TERM -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -KILL -- "-$pid" 2>/dev/null || kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/pid" "$dir/env"
    fi
    ;;
  *) echo "usage: $0 install|start DIR|stop DIR|resume DIR|serve DIR [PORT]" >&2; exit 2 ;;
esac
