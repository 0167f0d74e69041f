# lrs: `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test test-fast migrate lint format pg pg-stop clean conformance bench soak

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install lrs (editable) with the test extra

run: $(STAMP) ## serve on LRS_HOST:LRS_PORT (memory store unless LRS_DATABASE_URL is set)
	$(BIN)/lrs serve

test: $(STAMP) ## run every test, against the in-memory store and a throwaway PostgreSQL
	$(BIN)/pytest

test-fast: $(STAMP) ## run the tests without PostgreSQL and without the gunicorn server tests
	$(BIN)/pytest -m "not postgres and not server"

migrate: $(STAMP) ## bring the LRS_DATABASE_URL database to the newest schema
	$(BIN)/lrs migrate

lint: $(STAMP) ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP) ## benchmark statements POST/GET on a throwaway PostgreSQL and in memory (BENCH_* vars)
	$(BIN)/python -m tests.bench.run

soak: $(STAMP) ## mixed load on a throwaway PostgreSQL for SOAK_SECONDS (120): errors and server RSS over time
	$(BIN)/python -m tests.soak.run

pg: $(STAMP) ## start a throwaway PostgreSQL in .pg/ on port 5433 and print its URL
	$(BIN)/lrs pg --dir .pg --port 5433

pg-stop: $(STAMP) ## stop the PostgreSQL that `make pg` started
	$(BIN)/lrs pg --dir .pg --port 5433 --stop

clean: ## remove the virtualenv, caches and the throwaway PostgreSQL data
	-$(BIN)/lrs pg --dir .pg --port 5433 --stop 2>/dev/null
	rm -rf $(VENV) .pg .pytest_cache .ruff_cache .hypothesis *.egg-info

conformance: $(STAMP) ## run the ADL conformance suites (xAPI 1.0.3 and 2.0.0): make conformance CTS=/path/to/suite [XAPI=2.0.0]
	$(BIN)/python -m tests.conformance.run_cts $(CTS) $(XAPI)
