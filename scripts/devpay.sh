#!/usr/bin/env bash
# Controls devpay, the local payment provider (a stand-in for Stripe, see devpay/src/lib.rs).
#   devpay.sh keys                      make devpay's keys once per checkout (.dev/devpay-keys.env)
#   devpay.sh start PORT WEBHOOK_URL    start it on 127.0.0.1:PORT unless it already runs (scripts/local-service.sh)
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

command=${1:-}
case "$command" in
  keys) ensure_keys ;;
  start)
    ensure_keys
    scripts/local-service.sh start devpay "${2:?usage: $0 start PORT WEBHOOK_URL}" \
      DEVPAY_WEBHOOK_URL="${3:?usage: $0 start PORT WEBHOOK_URL}"
    ;;
  stop) scripts/local-service.sh stop devpay "${2:?usage: $0 stop PORT}" ;;
  *) echo "usage: $0 keys | start PORT WEBHOOK_URL | stop PORT" >&2; exit 2 ;;
esac
