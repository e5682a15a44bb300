#!/usr/bin/env bash
# Installs the local stack's pinned tools (moto server, cfn-lint, schemathesis, cargo-lambda) into .venv.
# Skips the work when the requirement files have not changed since the last install.
# With --build, also installs the zig linker needed for arm64 release builds.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
stamp=.venv/.installed
want=$(cat tools/requirements.lock tools/requirements-nodeps.txt | sha256sum | cut -d' ' -f1)

if [ ! -x .venv/bin/python ]; then
  echo "tools: creating .venv with $($python --version)"
  "$python" -m venv .venv
fi
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "tools: installing moto server, cfn-lint, aws-sam-translator, openapi-spec-validator, schemathesis and cargo-lambda into .venv"
  .venv/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.lock
  .venv/bin/pip install --quiet --disable-pip-version-check --no-deps -r tools/requirements-nodeps.txt
  echo "$want" > "$stamp"
fi
if [ "${1:-}" = "--build" ]; then
  .venv/bin/pip install --quiet --disable-pip-version-check -r tools/requirements-build.txt
  rustup target add aarch64-unknown-linux-gnu >/dev/null
fi
