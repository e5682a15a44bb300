#!/usr/bin/env bash
# Writes .dev/dev.env for `make dev`: local.env plus a JWT secret generated once per checkout and kept
# in .dev/ (ignored by git), so local tokens survive restarts and no secret is ever committed.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .dev
if [ ! -s .dev/jwt-secret ]; then
  .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(48))' > .dev/jwt-secret
fi
{ cat local.env; echo "JWT_SECRET=$(cat .dev/jwt-secret)"; } > .dev/dev.env
