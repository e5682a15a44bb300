# The two commands a new user needs: `make dev` runs the API locally, `make test` runs every test.
.PHONY: dev test fuzz tools emulator bootstrap stop lint openapi build bench

WATCH_PORT ?= 9000
# devpay, the local payment provider; local.env's PAYMENT_API_URL names the same port.
DEVPAY_PORT ?= 4243
# devauth, the local OAuth provider (GitHub and Google); local.env's GITHUB_*/GOOGLE_* URLs name this port.
DEVAUTH_PORT ?= 4244
# devpoll, which feeds the local queues to the queue functions (mailer, upload-check) as Lambda does in AWS.
DEVPOLL_PORT ?= 4245
# The local admin `make dev` creates; override both for your own (documented defaults, local only).
DEV_ADMIN_EMAIL ?= admin@belta.local
DEV_ADMIN_PASSWORD ?= belta-admin-local
VENV_PATH := $(CURDIR)/.venv/bin:$(PATH)

## Run the whole API on http://127.0.0.1:$(WATCH_PORT) against the local emulator.
dev: bootstrap
	scripts/dev-env.sh
	scripts/devpay.sh start $(DEVPAY_PORT) http://127.0.0.1:$(WATCH_PORT)/checkout/webhook
	scripts/devauth.sh start $(DEVAUTH_PORT)
	set -a && . ./local.env && set +a && scripts/local-service.sh start devpoll $(DEVPOLL_PORT)
	set -a && . ./local.env && set +a && ADMIN_PASSWORD='$(DEV_ADMIN_PASSWORD)' cargo run --quiet -p ops -- create-admin --email '$(DEV_ADMIN_EMAIL)'
	set -a && . ./local.env && set +a && cargo run --quiet -p ops -- load-demo
	@echo "Local admin: $(DEV_ADMIN_EMAIL) / $(DEV_ADMIN_PASSWORD)   API: http://127.0.0.1:$(WATCH_PORT)   mail: http://127.0.0.1:4566/moto-api/data.json   payments: http://127.0.0.1:$(DEVPAY_PORT)   sign-in: http://127.0.0.1:$(DEVAUTH_PORT)"
	PATH="$(VENV_PATH)" cargo lambda watch --invoke-address 127.0.0.1 --invoke-port $(WATCH_PORT) --env-file .dev/dev.env

## Run every test against a private emulator on a free port.
test:
	scripts/test.sh

## Fuzz the whole API (`ops serve`, private emulator) with Schemathesis against openapi.json: every
## check, unauthenticated, as an admin and as a client; FUZZ_SECONDS per identity (default 60),
## FUZZ_MAX_EXAMPLES per operation. What is excluded, and why, is listed in scripts/fuzz.sh.
fuzz:
	scripts/fuzz.sh

## Install the pinned tools (moto server, cfn-lint, schemathesis, cargo-lambda) into .venv.
tools:
	scripts/tools.sh

## Start the emulator on 127.0.0.1:4566 (idempotent); `make stop` stops it.
emulator: tools
	scripts/emulator.sh start 4566

## Create the table, bucket, mail queue, mail identity, payment and OAuth secrets (devpay's and devauth's
## keys) and the token signing key's secret in the emulator (idempotent).
bootstrap: emulator
	scripts/devpay.sh keys
	scripts/devauth.sh keys
	scripts/token-keys.sh
	set -a && . ./local.env && . .dev/devpay-keys.env && . .dev/devauth-keys.env && . .dev/token-keys.env && set +a && cargo run --quiet -p ops -- bootstrap --local-public-uploads --local-payment-keys --local-oauth-secret --local-token-key

## Stop the emulator, devpay, devauth and devpoll.
stop:
	scripts/devpay.sh stop $(DEVPAY_PORT)
	scripts/devauth.sh stop $(DEVAUTH_PORT)
	scripts/local-service.sh stop devpoll $(DEVPOLL_PORT)
	scripts/emulator.sh stop 4566

## Formatting, clippy with warnings as errors, cfn-lint, and the template as `sam deploy` sees it
## (tools/check_template.py: the SAM transform, offline, and no circular dependency).
lint: tools
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	.venv/bin/cfn-lint template.yaml
	.venv/bin/python tools/check_template.py template.yaml
	.venv/bin/openapi-spec-validator openapi.json

## Regenerate openapi.json from the code.
openapi:
	cargo run --quiet -p ops -- openapi --write openapi.json

## Release arm64 binaries for Lambda in target/lambda/<function>/bootstrap, stamped with the commit
## (BELTA_BUILD_ID: public catalogue ETags change with the code that renders them).
build:
	scripts/tools.sh --build
	BELTA_BUILD_ID="$$(git rev-parse HEAD)" PATH="$(VENV_PATH)" cargo lambda build --release --arm64 --workspace --exclude ops --exclude api-tests --exclude shared --exclude devpay --exclude devauth --exclude devpoll --exclude floor

## Binary sizes and cold-start init times per function.
bench:
	scripts/bench.sh
