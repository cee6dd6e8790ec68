#!/usr/bin/env bash
# K `streamlit run dashboard/app.py` replicas behind Debian's nginx with sticky sessions, on this machine.
#
#   bash deploy/run_local.sh K [PORT]        # K replicas, nginx on PORT (default 8501); Ctrl-C stops all
#
# Replica i listens on 127.0.0.1:(RNN_LAB_REPLICA_PORT + i - 1), by default PORT+1 .. PORT+K. Each is a
# process with its own memory budget: the RNN_LAB_* variables of the README's "Memory and work per server"
# (RNN_LAB_CACHE_MB, RNN_LAB_WORK_BUDGET, ...) are passed to every replica, so K replicas hold at most about
# K x (RNN_LAB_CACHE_MB + what Streamlit itself takes). nginx listens on RNN_LAB_BIND (default 127.0.0.1;
# 0.0.0.0 lets students on the same network open http://<this machine's address>:PORT).
# No root needed: nginx runs in the foreground with its pid, logs and temp files in RNN_LAB_RUN_DIR (default
# a fresh temp dir, removed on exit; a given one is kept, with replica-<i>.log, access.log, error.log).
set -euo pipefail
cd "$(dirname "$0")/.."

K=${1:?usage: deploy/run_local.sh K [PORT]   (K replicas behind nginx on PORT, default 8501)}
PORT=${2:-8501}
BASE=${RNN_LAB_REPLICA_PORT:-$((PORT + 1))}
BIND=${RNN_LAB_BIND:-127.0.0.1}
case "$K$PORT$BASE" in *[!0-9]*) echo "K, PORT and RNN_LAB_REPLICA_PORT must be whole numbers" >&2; exit 2 ;; esac
[ "$K" -ge 1 ] || { echo "K must be at least 1" >&2; exit 2; }

NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$NGINX" ]; then
  echo "nginx is missing: sudo apt-get install nginx (Debian's package; only the binary is used)" >&2
  exit 1
fi

if [ -n "${RNN_LAB_RUN_DIR:-}" ]; then RUN=$RNN_LAB_RUN_DIR; KEEP=1; mkdir -p "$RUN"; else RUN=$(mktemp -d); KEEP=0; fi
# nginx's buffers for large request and response bodies: as root its workers run as nobody, so they get a
# directory of their own that nobody can reach (RUN's parents need not be).
BODIES=$(mktemp -d /tmp/rnn_lab_nginx.XXXXXX)
chmod 755 "$BODIES"

PIDS=()
cleanup() {
  trap - INT TERM EXIT
  echo "== stopping nginx and $K replica(s)"
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 150); do  # up to 15 s for a graceful stop (a busy replica finishes its runs), then KILL
    alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" = 1 ] || break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$BODIES"
  [ "$KEEP" = 1 ] || rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

SERVERS=""
for i in $(seq 1 "$K"); do
  p=$((BASE + i - 1))
  python3 -m streamlit run dashboard/app.py --server.port "$p" --server.address 127.0.0.1 \
    --server.headless true --browser.gatherUsageStats false --server.fileWatcherType none \
    >"$RUN/replica-$i.log" 2>&1 &
  PIDS+=($!)
  SERVERS+="    server 127.0.0.1:$p max_fails=1 fail_timeout=10s;"$'\n'
done

# Wait for every replica's own health check (200 once it accepts browser sessions).
for i in $(seq 1 "$K"); do
  p=$((BASE + i - 1))
  if ! python3 - "$p" "${PIDS[$((i - 1))]}" <<'PY'
import os, sys, time, urllib.request
port, pid = sys.argv[1], int(sys.argv[2])
deadline = time.time() + 120
while time.time() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(1)  # the replica exited
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            if r.status == 200:
                sys.exit(0)
    except OSError:
        time.sleep(0.3)
sys.exit(1)
PY
  then
    echo "replica $i (port $p) did not become healthy; its log:" >&2
    tail -n 30 "$RUN/replica-$i.log" >&2
    exit 1
  fi
done

sed -e "s|__LISTEN__|$BIND:$PORT|" -e "s|__ACCESS_LOG__|$RUN/access.log|" deploy/rnn_lab.conf.template |
  awk -v servers="$SERVERS" '$0 == "__SERVERS__" { printf "%s", servers; next } { print }' >"$RUN/rnn_lab.conf"
cat >"$RUN/nginx.conf" <<CONF
# Written by deploy/run_local.sh: a private nginx (foreground, own pid and temp files) for this run.
daemon off;
worker_processes 1;
pid $RUN/nginx.pid;
error_log $RUN/error.log warn;
events { worker_connections 4096; }
http {
    client_body_temp_path $BODIES/client_body;
    proxy_temp_path $BODIES/proxy;
    fastcgi_temp_path $BODIES/fastcgi;
    uwsgi_temp_path $BODIES/uwsgi;
    scgi_temp_path $BODIES/scgi;
    include $RUN/rnn_lab.conf;
}
CONF
"$NGINX" -t -q -p "$RUN" -e "$RUN/error.log" -c "$RUN/nginx.conf"
"$NGINX" -p "$RUN" -e "$RUN/error.log" -c "$RUN/nginx.conf" &
NGINX_PID=$!
PIDS+=("$NGINX_PID")

HOST=$BIND; [ "$HOST" = 0.0.0.0 ] && HOST=$(hostname -I 2>/dev/null | awk '{print $1}')
echo "== RNN Gradient Lab: $K replica(s) on 127.0.0.1:$BASE..$((BASE + K - 1)) behind nginx"
echo "   open http://${HOST:-127.0.0.1}:$PORT   (logs in $RUN; Ctrl-C stops everything)"
# Until Ctrl-C, TERM or nginx stops. A replica that dies is left out by nginx (its students get a fresh session
# on another replica when their page reconnects); its log says why.
rc=0
wait "$NGINX_PID" || rc=$?
if [ "$rc" != 0 ]; then echo "== nginx exited with status $rc:" >&2; tail -n 5 "$RUN/error.log" >&2; fi
exit "$rc"
