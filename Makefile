# The local contract: `make dev` serves the gateway, `make test` runs every test.
# Both create .venv on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export PYTHONPATH := $(CURDIR)/functions/gateway:$(CURDIR)

.PHONY: dev test lint format openapi emulator clean

$(STAMP): requirements-dev.txt functions/gateway/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

dev: $(STAMP)
	$(BIN)/python scripts/dev.py

emulator: $(STAMP)
	$(BIN)/python -m emulator

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

openapi: $(STAMP)
	$(BIN)/python scripts/export_openapi.py > static/openapi.json

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .aws-sam artifacts
