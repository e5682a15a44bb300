#!/usr/bin/env bash
# Controls devpay, the local payment provider (a stand-in for Stripe, see devpay/src/lib.rs).
#   devpay.sh keys                      make devpay's keys once per checkout (.dev/devpay-keys.env)
#   devpay.sh start PORT WEBHOOK_URL    start it on 127.0.0.1:PORT unless it already runs; PID in .dev/
#   devpay.sh stop PORT                 stop it
# The keys are random and kept in .dev/ (ignored by git): `ops bootstrap --local-payment-keys` copies
# them into the emulator's Secrets Manager, where the functions read them as they read Stripe's in AWS.
set -euo pipefail
cd "$(dirname "$0")/.."

keys_file=.dev/devpay-keys.env

ensure_keys() {
  mkdir -p .dev
  if [ ! -s "$keys_file" ]; then
    .venv/bin/python -c 'import secrets
print("DEVPAY_SECRET_KEY=sk_test_" + secrets.token_hex(24))
print("DEVPAY_WEBHOOK_SECRET=whsec_" + secrets.token_hex(24))' > "$keys_file"
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
  echo "devpay: nothing answers at $url after 10 s (log: .dev/devpay-*.log)" >&2
  return 1
}

command=${1:-}
case "$command" in
  keys) ensure_keys ;;
  start)
    port=${2:?usage: $0 start PORT WEBHOOK_URL}
    webhook_url=${3:?usage: $0 start PORT WEBHOOK_URL}
    pidfile=.dev/devpay-$port.pid
    ensure_keys
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "devpay: already running on 127.0.0.1:$port (pid $(cat "$pidfile"))"
    else
      # Built first and started directly, so the PID file holds devpay's own PID, not cargo's.
      cargo build --quiet -p devpay
      (
        set -a && . "./$keys_file" && set +a
        DEVPAY_ADDR="127.0.0.1:$port" DEVPAY_WEBHOOK_URL="$webhook_url" \
          nohup target/debug/devpay > ".dev/devpay-$port.log" 2>&1 &
        echo $! > "$pidfile"
      )
      echo "devpay: started on 127.0.0.1:$port (pid $(cat "$pidfile")), webhooks to $webhook_url"
    fi
    wait_ready "http://127.0.0.1:$port/"
    ;;
  stop)
    port=${2:?usage: $0 stop PORT}
    pidfile=.dev/devpay-$port.pid
    if [ -f "$pidfile" ]; then
      kill "$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile"
      echo "devpay: stopped (127.0.0.1:$port)"
    else
      echo "devpay: not running on 127.0.0.1:$port"
    fi
    ;;
  *) echo "usage: $0 keys | start PORT WEBHOOK_URL | stop PORT" >&2; exit 2 ;;
esac
