#!/usr/bin/env bash
# Starts and stops one of our local stand-ins for an outside service (devpay, devauth) or for AWS's
# own plumbing (devpoll) in the background, the way `make dev` needs them: built first and started directly, so the PID file in .dev/
# holds the server's own PID, not cargo's; started only when it does not already run; ready when its
# port answers.
#   local-service.sh start NAME PORT [VAR=VALUE ...]   with .dev/NAME-keys.env (if any) and NAME_ADDR=127.0.0.1:PORT
#   local-service.sh stop NAME PORT
set -euo pipefail
cd "$(dirname "$0")/.."

usage="usage: $0 start NAME PORT [VAR=VALUE ...] | stop NAME PORT"
command=${1:?$usage}
name=${2:?$usage}
port=${3:?$usage}
shift 3
pidfile=.dev/$name-$port.pid

wait_ready() {
  local url=$1
  for _ in $(seq 1 100); do
    if .venv/bin/python -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1], timeout=1)" "$url" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "$name: nothing answers at $url after 10 s (log: .dev/$name-$port.log)" >&2
  return 1
}

case "$command" in
  start)
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "$name: already running on 127.0.0.1:$port (pid $(cat "$pidfile"))"
    else
      cargo build --quiet -p "$name"
      addr_var="$(echo "$name" | tr '[:lower:]' '[:upper:]')_ADDR"
      (
        if [ -f "./.dev/$name-keys.env" ]; then set -a && . "./.dev/$name-keys.env" && set +a; fi
        env "$addr_var=127.0.0.1:$port" "$@" nohup "target/debug/$name" > ".dev/$name-$port.log" 2>&1 &
        echo $! > "$pidfile"
      )
      echo "$name: started on 127.0.0.1:$port (pid $(cat "$pidfile"))"
    fi
    wait_ready "http://127.0.0.1:$port/"
    ;;
  stop)
    if [ -f "$pidfile" ]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile"
      echo "$name: stopped (127.0.0.1:$port)"
    else
      echo "$name: not running on 127.0.0.1:$port"
    fi
    ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
