# boxoffice: two commands for a fresh machine.
#   make run   - serve on http://127.0.0.1:8000 (embedded SQLite, sandbox payments)
#   make test  - the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint-imports test-unit test-properties test-integration test-api test-e2e bench demo migrate clean simulate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/boxoffice migrate
	$(BIN)/boxoffice serve --host 127.0.0.1 --port 8000 --no-migrate

# JOBS: pytest-xdist processes; a module's tests stay together in one process (--dist loadfile). JOBS=0 runs serially.
JOBS ?= 3

test: $(DEV_STAMP)  # the import contracts (pyproject.toml), then everything below in one run (what .ci/run calls)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest tests -n $(JOBS) --dist loadfile

lint-imports: $(DEV_STAMP)  # the import contracts alone (floors, migrations, the domain's imports and contexts, no cycles)
	$(BIN)/lint-imports

# The suite by what it needs (README, Tests): pick the floor you are working on.
test-unit: $(DEV_STAMP)  # the domain on the in-memory store; no I/O: no sockets, no SQLite files, no alembic (a few seconds)
	$(BIN)/python -m pytest tests/unit

test-properties: $(DEV_STAMP)  # hypothesis against a reference (PyJWT, the library's transcoder); no I/O, CPU-bound
	$(BIN)/python -m pytest tests/properties

test-integration: $(DEV_STAMP)  # SQLite and PostgreSQL, the Stripe and LiveKit stand-ins, the money simulation
	$(BIN)/python -m pytest tests/integration

test-api: $(DEV_STAMP)  # every route through HTTP, in process (TestClient) on a temporary SQLite store
	$(BIN)/python -m pytest tests/api

test-e2e: $(DEV_STAMP)  # a running server: uvicorn worker processes, headless Chromium
	$(BIN)/python -m pytest tests/e2e

demo: $(STAMP)
	$(BIN)/boxoffice demo

migrate: $(STAMP)
	$(BIN)/boxoffice migrate

simulate: $(DEV_STAMP)  # the money simulation for SEEDS seeds (default 20) on the local PostgreSQL
	$(BIN)/python -m tests.integration.simulate --seeds $(or $(SEEDS),20)

# DRIVER=python|wrk|both (default both): the HTTP sales' load driver, bench/loadgen.py and/or wrk (installed
# here with apt-get where it is missing and apt-get is available; without wrk its rows are skipped).
bench: $(DEV_STAMP)
	@command -v wrk >/dev/null 2>&1 || [ "$(DRIVER)" = python ] || { command -v apt-get >/dev/null 2>&1 \
	  && DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } \
	  || echo "wrk is not installed (and apt-get could not install it): the wrk rows are skipped"
	$(BIN)/python -m bench $(if $(FULL),--full,) $(if $(DRIVER),--driver $(DRIVER),)

clean:
	rm -rf $(VENV) var .pytest_cache
