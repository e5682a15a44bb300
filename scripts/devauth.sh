#!/usr/bin/env bash
# Controls devauth, the local OAuth provider (a stand-in for GitHub and Google, see devauth/src/lib.rs).
#   devauth.sh keys          make devauth's client secret once per checkout (.dev/devauth-keys.env)
#   devauth.sh start PORT    start it on 127.0.0.1:PORT unless it already runs (scripts/local-service.sh)
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

command=${1:-}
case "$command" in
  keys) ensure_keys ;;
  start)
    ensure_keys
    scripts/local-service.sh start devauth "${2:?usage: $0 start PORT}"
    ;;
  stop) scripts/local-service.sh stop devauth "${2:?usage: $0 stop PORT}" ;;
  *) echo "usage: $0 keys | start PORT | stop PORT" >&2; exit 2 ;;
esac
