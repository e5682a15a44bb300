#!/usr/bin/env bash
# Runs a command against a private emulator on a free port, and stops the emulator afterwards whatever
# happened. The command sees AWS_ENDPOINT_URL and dummy credentials; its exit status is ours.
set -euo pipefail
cd "$(dirname "$0")/.."

port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p .dev
.venv/bin/python tools/moto_server.py -H 127.0.0.1 -p "$port" > ".dev/moto-private-$port.log" 2>&1 &
emulator=$!
trap 'kill $emulator 2>/dev/null || true; wait $emulator 2>/dev/null || true' EXIT
scripts/emulator.sh wait "http://127.0.0.1:$port"

export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
"$@"
