#!/usr/bin/env bash
# Makes the local stack's token signing key once per checkout: .dev/token-keys.env holds the signing-key
# secret's value (TOKEN_SIGNING_KEY, which `ops bootstrap --local-token-key` writes into the emulator's
# Secrets Manager, where auth reads it as it does in AWS) and its public entry (TOKEN_PUBLIC_KEYS, which
# scripts/dev-env.sh gives every function). Kept in .dev/ (ignored by git); delete the file for a new key.
set -euo pipefail
cd "$(dirname "$0")/.."
keys_file=.dev/token-keys.env
mkdir -p .dev
if [ ! -s "$keys_file" ]; then
  cargo run --quiet -p ops -- keys new --kid local-1 --env > "$keys_file.tmp"
  mv "$keys_file.tmp" "$keys_file"
fi
