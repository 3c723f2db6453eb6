# boxoffice: two commands for a fresh machine.
#   make run   - serve on http://127.0.0.1:8000 (embedded SQLite, sandbox payments)
#   make test  - the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test bench demo migrate clean simulate

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

test: $(DEV_STAMP)
	$(BIN)/python -m pytest tests

demo: $(STAMP)
	$(BIN)/boxoffice demo

migrate: $(STAMP)
	$(BIN)/boxoffice migrate

simulate: $(DEV_STAMP)  # the money simulation for SEEDS seeds (default 20) on the local PostgreSQL
	$(BIN)/python -m tests.integration.simulate --seeds $(or $(SEEDS),20)

bench: $(DEV_STAMP)
	$(BIN)/python -m bench $(if $(FULL),--full,)

clean:
	rm -rf $(VENV) var .pytest_cache
