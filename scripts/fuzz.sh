#!/usr/bin/env bash
# `make fuzz`: Schemathesis (tools/requirements.txt) with every check against openapi.json and the
# whole API served by `ops serve`, on a private emulator and table, three times: unauthenticated, as
# an admin and as a confirmed client (both made with ops, signed in through the real /auth/login).
# Bounded in time: FUZZ_SECONDS per identity (default 60), FUZZ_MAX_EXAMPLES cases per operation and
# phase (default 30), FUZZ_WORKERS (default 1: with several threads, CPython 3.11 can fail its own AST
# check, "SystemError: AST constructor recursion depth mismatch" (python/cpython#106905), and only
# one worker makes a seeded run repeatable), FUZZ_SEED for a reproducible run, FUZZ_OPENAPI to try
# another description (default openapi.json), FUZZ_AS for some of the identities (default
# "unauthenticated admin client"); further arguments go to every `schemathesis run`
# (`scripts/fuzz.sh --include-path-regex '^/brands' --phases stateful`; a run narrowed to operations
# without links needs `--phases coverage,fuzzing`, or the stateful phase reports an error). Reports (JUnit, and
# the NDJSON event stream with every request) go to .dev/fuzz/. Exits non-zero on any failure of any
# of the three runs; the emulator and the server are stopped whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${FUZZ_IN_EMULATOR:-}" ]; then
  scripts/tools.sh
  cargo build --quiet --locked -p ops
  exec scripts/with-emulator.sh env FUZZ_IN_EMULATOR=1 "$0" "$@"
fi

seconds=${FUZZ_SECONDS:-60}
max_examples=${FUZZ_MAX_EXAMPLES:-30}
workers=${FUZZ_WORKERS:-1}
out=.dev/fuzz
rm -rf "$out" && mkdir -p "$out"

# local.env describes the local stack; this run gets its own names on the private emulator that
# scripts/with-emulator.sh started (AWS_ENDPOINT_URL), so it never touches `make dev`'s data.
emulator=$AWS_ENDPOINT_URL
scripts/devpay.sh keys
scripts/devauth.sh keys
scripts/token-keys.sh
set -a
. ./local.env
. .dev/devpay-keys.env
. .dev/devauth-keys.env
. .dev/token-keys.env
AWS_ENDPOINT_URL=$emulator
TABLE_NAME=belta-fuzz
UPLOAD_BUCKET=belta-fuzz-uploads
CATALOG_SNAPSHOT_BUCKET=belta-fuzz-catalog
PUBLIC_BASE_URL=$emulator/belta-fuzz-uploads
MAIL_QUEUE_URL=$emulator/123456789012/belta-fuzz-mail
UPLOAD_CHECK_QUEUE_URL=$emulator/123456789012/belta-fuzz-upload-check
# Long enough that the tokens made below outlive the run.
ACCESS_TOKEN_TTL_SECS=3600
RUST_LOG=warn
set +a

ops=target/debug/ops
$ops bootstrap --local-public-uploads --local-payment-keys --local-oauth-secret --local-token-key > "$out/bootstrap.log"
admin_email=fuzz-admin@belta.local
client_email=fuzz-client@belta.local
password=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(18))')
ADMIN_PASSWORD=$password $ops create-admin --email "$admin_email" --name "Fuzz Admin"
ACCOUNT_PASSWORD=$password $ops create-account --role client --email "$client_email" --name "Fuzz Client"
# Something to read: the lists' links lead the stateful phase to real records, and the responses
# checked against their schemas are not only empty pages.
$ops load-demo

$ops serve --port 0 --url-file "$out/url" > "$out/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
  [ -s "$out/url" ] && break
  kill -0 $server 2>/dev/null || { echo "fuzz: ops serve stopped (log: $out/server.log)" >&2; cat "$out/server.log" >&2; exit 1; }
  sleep 0.1
done
base=$(cat "$out/url")
echo "fuzz: API on $base (log: $out/server.log)"

# An access token through the real login route.
token_of() {
  .venv/bin/python - "$base" "$1" "$password" <<'EOF'
import json, sys, urllib.request
base, email, password = sys.argv[1:]
request = urllib.request.Request(base + "/auth/login", method="POST",
    data=json.dumps({"email": email, "password": password}).encode(),
    headers={"content-type": "application/json"})
print(json.load(urllib.request.urlopen(request, timeout=10))["accessToken"])
EOF
}
admin_token=$(token_of "$admin_email")
client_token=$(token_of "$client_email")

# What is left out, and why (each is a limit of fuzzing one account or of what a description can
# say, not a finding we ignore); tools/schemathesis.toml lists the answers accepted per operation
# for values no schema can describe (signed OAuth state, image bytes, allowed origins):
common=(
  # The server's own description, read by the fuzzer from openapi.json: nothing to generate.
  --exclude-path /openapi.json
)
# Signed in, the fuzzer must keep its account and its session for the whole run: these end the
# session (logout, logout-all, deleting a session), delete the account itself (DELETE /auth/me) or
# replace its password (reset-password ends every session). The unauthenticated run still fuzzes
# them, and the API tests cover what they do.
signed_in=(
  --exclude-operation-id logout          # POST /auth/logout
  --exclude-operation-id logout_all      # POST /auth/logout-all
  --exclude-operation-id end_one         # DELETE /auth/sessions/{id}
  --exclude-operation-id delete_me       # DELETE /auth/me
  --exclude-operation-id reset_password  # POST /auth/reset-password
)

extra=("$@")
status=0
run() {
  local name=$1
  shift
  echo "== fuzz: $name (${seconds}s, up to $max_examples examples per operation)"
  if ! .venv/bin/schemathesis --config-file tools/schemathesis.toml run "${FUZZ_OPENAPI:-openapi.json}" \
    --url "$base" \
    --checks all \
    --max-time "$seconds" \
    --max-examples "$max_examples" \
    --workers "$workers" \
    --request-timeout 30 \
    --generation-database none \
    ${FUZZ_SEED:+--seed "$FUZZ_SEED"} \
    --report junit,ndjson \
    --report-junit-path "$out/$name.xml" \
    --report-ndjson-path "$out/$name.ndjson" \
    --no-color \
    "${common[@]}" "$@" "${extra[@]}" 2>&1 | tee "$out/$name.log"; then
    status=1
  fi
}
for identity in ${FUZZ_AS:-unauthenticated admin client}; do
  case $identity in
    unauthenticated) run unauthenticated ;;
    admin) run admin -H "Authorization: Bearer $admin_token" "${signed_in[@]}" ;;
    client) run client -H "Authorization: Bearer $client_token" "${signed_in[@]}" ;;
    *) echo "fuzz: FUZZ_AS names unauthenticated, admin or client, not $identity" >&2; exit 2 ;;
  esac
done

echo "== fuzz: totals"
.venv/bin/python tools/fuzz_totals.py "$out"/*.ndjson
if [ $status -ne 0 ]; then
  echo "fuzz: FAILED (reports in $out/)" >&2
fi
exit $status
