# CMA — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test lint openapi clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

## run: everything a developer needs on http://127.0.0.1:8000 (Ctrl-C stops it all)
run: install
	$(BIN)/cma dev --host $(HOST) --port $(PORT)

## test: the whole suite against real PostgreSQL and a real SMTP server on loopback
test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check backend tests
	$(BIN)/ruff format --check backend tests
	$(BIN)/mypy

## openapi: regenerate openapi/openapi.json from the application
openapi: install
	$(BIN)/cma openapi --output openapi/openapi.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
