#!/usr/bin/env bash
# Controls the local AWS emulator (moto server).
#   emulator.sh start [PORT]   start it on 127.0.0.1:PORT (default 4566) unless it already runs; PID in .dev/
#   emulator.sh stop [PORT]    stop it
#   emulator.sh wait URL       wait until an emulator answers at URL
set -euo pipefail
cd "$(dirname "$0")/.."

wait_ready() {
  local url=$1
  for _ in $(seq 1 100); do
    if .venv/bin/python -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + '/moto-api/data.json', timeout=1)" "$url" 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "emulator: nothing answers at $url after 10 s (log: .dev/moto-*.log)" >&2
  return 1
}

command=${1:-}
port=${2:-4566}
pidfile=.dev/moto-$port.pid
mkdir -p .dev
case "$command" in
  start)
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "emulator: already running on 127.0.0.1:$port (pid $(cat "$pidfile"))"
    else
      nohup .venv/bin/python tools/moto_server.py -H 127.0.0.1 -p "$port" > ".dev/moto-$port.log" 2>&1 &
      echo $! > "$pidfile"
      echo "emulator: started on 127.0.0.1:$port (pid $!)"
    fi
    wait_ready "http://127.0.0.1:$port"
    ;;
  stop)
    if [ -f "$pidfile" ]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile"
      echo "emulator: stopped (127.0.0.1:$port)"
    else
      echo "emulator: not running on 127.0.0.1:$port"
    fi
    ;;
  wait) wait_ready "$port" ;;
  *) echo "usage: $0 start|stop [PORT] | wait URL" >&2; exit 2 ;;
esac
