#!/usr/bin/env bash
# `make test`: every test of the workspace against a private emulator on a free port, stopped afterwards
# whatever happened. Exits with cargo test's status.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/tools.sh
scripts/with-emulator.sh cargo test --workspace --locked "$@"
