#!/usr/bin/env bash
# Writes .dev/dev.env for `make dev`: local.env plus the public token key made once per checkout by
# scripts/token-keys.sh. The private key stays out of it: only auth reads it, from the emulator's
# Secrets Manager (TOKEN_SIGNING_SECRET_ID), as in AWS.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/token-keys.sh
{ cat local.env; grep '^TOKEN_PUBLIC_KEYS=' .dev/token-keys.env; } > .dev/dev.env
