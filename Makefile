# CMA — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

FRONTEND_STAMP := frontend/node_modules/.installed
FRONTEND_BUILD := frontend/dist/index.html
FRONTEND_SOURCES := $(shell find frontend/src frontend/public -type f 2>/dev/null) frontend/index.html frontend/vite.config.ts

.PHONY: wheel install run test test-backend test-frontend test-hostile fuzz audit browser lint openapi bench-catalogue bench-legacy bench-allocation bench-rush bench-captcha clean

## install: the venv in .venv, the npm packages, the built SPA
install: $(STAMP) $(FRONTEND_BUILD)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

$(FRONTEND_STAMP): frontend/package.json frontend/package-lock.json
	@node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
		|| (echo "Node 20.19 or newer is needed" && exit 1)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(FRONTEND_BUILD): $(FRONTEND_STAMP) $(FRONTEND_SOURCES)
	cd frontend && npm run build --silent

## run: everything a developer needs on http://127.0.0.1:8000 (Ctrl-C stops it all)
run: install
	$(BIN)/cma dev --host $(HOST) --port $(PORT)

## wheel: dist/cma-*.whl, with the migrations and the built SPA inside (what an operator installs)
wheel: install
	rm -rf backend/cma/web && cp -r frontend/dist backend/cma/web
	$(BIN)/pip wheel --quiet --no-deps --no-build-isolation -w dist . ; status=$$?; rm -rf backend/cma/web build; exit $$status

## test: the whole suite: unit tests of the SPA, then the API and the browser journeys against
## real PostgreSQL, a real SMTP server on loopback and headless Chromium
test: install browser test-frontend test-backend

test-frontend: $(FRONTEND_STAMP)
	cd frontend && npm test --silent

test-backend: install
	$(BIN)/pytest

## test-hostile: the slow hostile tests (faults injected, concurrency at scale)
test-hostile: install
	$(BIN)/pytest -m hostile

## fuzz: schemathesis with many more examples per operation than make test's
fuzz: install
	FUZZ_EXAMPLES=200 $(BIN)/pytest tests/hostile/test_fuzz.py

## audit: known vulnerabilities of the pinned Python and npm dependencies (high and critical)
audit: install
	$(BIN)/pip-audit --skip-editable --progress-spinner off
	cd frontend && npm audit --audit-level=high --omit=dev
	cd frontend && npm audit --audit-level=high

## browser: Debian's Chromium for the browser tests (installed when missing and possible)
browser:
	@scripts/ensure-chromium.sh

lint: install
	$(BIN)/ruff check backend tests bench
	$(BIN)/ruff format --check backend tests bench
	$(BIN)/mypy
	cd backend && ../$(BIN)/lint-imports --no-cache ../pyproject.toml
	cd frontend && npm run typecheck --silent

## openapi: regenerate openapi/openapi.json and the SPA's typed client from the application
openapi: $(STAMP) $(FRONTEND_STAMP)
	$(BIN)/cma openapi --output openapi/openapi.json
	cd frontend && npm run generate-client --silent

## bench-catalogue: catalogue reads against a bare FastAPI baseline (wrk, same run)
bench-catalogue: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python bench/catalogue.py

## bench-legacy: import 100,000 generated old accounts with their history
bench-legacy: install
	$(BIN)/python bench/legacy_import.py

## bench-rush: the opening rush at half and twice the measured login capacity and at the
## specified rate, quiet then beside a busy neighbour; then two servers round-robin
bench-rush: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python bench/rush.py
	$(BIN)/python bench/rush.py --noisy 1 --no-overload
	$(BIN)/python bench/rush.py --scale-out --learners 1000 --ramp 60 --no-overload

## bench-captcha: the login and a course page, quiet and while 16 clients fetch captcha audio
bench-captcha: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python bench/captcha_rendering.py

## bench-allocation: allocate 50,000 learners' 150,000 applications to 1,200 courses
bench-allocation: install
	$(BIN)/python bench/allocation.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache frontend/node_modules frontend/dist test-artifacts
