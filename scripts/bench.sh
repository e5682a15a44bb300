#!/usr/bin/env bash
# `make bench`: per function, the stripped release arm64 binary that Lambda runs (size) and the time
# from process start until it asks the runtime API for its first event (init), measured with a local
# stand-in of the Lambda runtime API on a native release build of the same code, next to the floor
# (the `floor` crate: the leanest Lambda doing a public read). RUNS=20 by default.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-20}
# Binaries are named after their directory; packages after their manifest (functions/orders is
# orders-function, as the domain crate is orders).
functions=$(for d in functions/*/; do basename "$d"; done)
packages=$(for d in functions/*/; do printf -- '-p %s ' "$(sed -n 's/^name = "\(.*\)"/\1/p' "$d/Cargo.toml" | head -n 1)"; done)

scripts/tools.sh --build
# shellcheck disable=SC2086
PATH="$PWD/.venv/bin:$PATH" cargo lambda build --release --arm64 $packages >/dev/null
PATH="$PWD/.venv/bin:$PATH" cargo lambda build --release --arm64 -p floor >/dev/null
# Built apart, as `make build` builds the functions: cargo unifies the features of the packages built
# together, and ops's (or the functions', for the floor) would change what is measured.
# shellcheck disable=SC2086
cargo build --release --quiet $packages
cargo build --release --quiet -p floor
cargo build --release --quiet -p ops

echo "## Binary size (release, arm64, stripped; budget 12 MB)"
echo
echo "| function | bytes | MB |"
echo "|---|---|---|"
for f in floor $functions; do
  bytes=$(stat -c %s "target/lambda/$f/bootstrap")
  awk -v f="$f" -v b="$bytes" 'BEGIN { printf "| %s | %d | %.2f |\n", f, b, b / 1048576 }'
done
echo
echo "## Init ($(uname -m) release build, $runs cold starts each, taking turns with the floor; runtime API stand-in on loopback)"
echo
# shellcheck disable=SC2046
scripts/with-emulator.sh target/release/ops bench-init --runs "$runs" --floor target/release/floor $(for f in $functions; do printf 'target/release/%s ' "$f"; done)

echo
echo "## GET /products/{id}: products against the floor (3 alternating rounds of 50 warm-up and 2,000 measured requests, medians)"
echo
scripts/with-emulator.sh target/release/ops bench-floor --floor target/release/floor --products-binary target/release/products

echo
echo "## Auth costs (release build, through the router, against a private emulator on loopback)"
echo
scripts/with-emulator.sh target/release/ops bench-auth --runs "$runs"

echo
echo "## A 5 MB upload through /upload/single (release upload binary, runtime API stand-in, private emulator)"
echo
scripts/with-emulator.sh target/release/ops bench-upload --runs 5 target/release/upload

echo
echo "## The catalogue read model at 5,000 and 50,000 products (release products router, private emulator)"
echo
scripts/with-emulator.sh target/release/ops bench-catalog --products "${CATALOG_PRODUCTS:-5000,50000}" --runs 1000

echo
echo "## Importing a Belta dump (ops import-belta) of 10,000 products into a private emulator"
echo
scripts/with-emulator.sh target/release/ops bench-import --products "${IMPORT_PRODUCTS:-10000}"
