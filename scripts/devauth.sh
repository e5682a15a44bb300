#!/usr/bin/env bash
# Controls devauth, the local OAuth provider (a stand-in for GitHub and Google, see devauth/src/lib.rs).
#   devauth.sh keys          make devauth's client secret once per checkout (.dev/devauth-keys.env)
#   devauth.sh start PORT    start it on 127.0.0.1:PORT unless it already runs; PID in .dev/
#   devauth.sh stop PORT     stop it
# The secret is random and kept in .dev/ (ignored by git): `ops bootstrap --local-oauth-secret` copies
# it into the emulator's Secrets Manager, where the auth function reads it as it reads GitHub's in AWS.
set -euo pipefail
cd "$(dirname "$0")/.."

keys_file=.dev/devauth-keys.env

ensure_keys() {
  mkdir -p .dev
  if [ ! -s "$keys_file" ]; then
    .venv/bin/python -c 'import secrets
print("DEVAUTH_CLIENT_SECRET=" + secrets.token_hex(24))' > "$keys_file"
  fi
}

wait_ready() {
  local url=$1
  for _ in $(seq 1 100); do
    if .venv/bin/python -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$url" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "devauth: nothing answers at $url after 10 s (log: .dev/devauth-*.log)" >&2
  return 1
}

command=${1:-}
case "$command" in
  keys) ensure_keys ;;
  start)
    port=${2:?usage: $0 start PORT}
    pidfile=.dev/devauth-$port.pid
    ensure_keys
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "devauth: already running on 127.0.0.1:$port (pid $(cat "$pidfile"))"
    else
      # Built first and started directly, so the PID file holds devauth's own PID, not cargo's.
      cargo build --quiet -p devauth
      (
        set -a && . "./$keys_file" && set +a
        DEVAUTH_ADDR="127.0.0.1:$port" nohup target/debug/devauth > ".dev/devauth-$port.log" 2>&1 &
        echo $! > "$pidfile"
      )
      echo "devauth: started on 127.0.0.1:$port (pid $(cat "$pidfile"))"
    fi
    wait_ready "http://127.0.0.1:$port/"
    ;;
  stop)
    port=${2:?usage: $0 stop PORT}
    pidfile=.dev/devauth-$port.pid
    if [ -f "$pidfile" ]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile"
      echo "devauth: stopped (127.0.0.1:$port)"
    else
      echo "devauth: not running on 127.0.0.1:$port"
    fi
    ;;
  *) echo "usage: $0 keys | start PORT | stop PORT" >&2; exit 2 ;;
esac
