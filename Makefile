# The two commands of the README: `make demo` and `make test`. Everything they need
# is installed by .ci/bootstrap.sh (Debian packages from .ci/apt-packages.txt, .venv).
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
BIN   := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: install demo test lint typecheck test-unit test-integration test-e2e test-security \
        bench bench-acd bench-sip bench-analytics bench-call bench-api soak clean

install:
	@bash .ci/bootstrap.sh

demo: install
	$(BIN)/callcenter demo

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest $(PYTEST_ARGS)

test-unit: install
	$(BIN)/pytest -m unit $(PYTEST_ARGS)

test-integration: install
	$(BIN)/pytest -m integration $(PYTEST_ARGS)

test-e2e: install
	$(BIN)/pytest -m e2e $(PYTEST_ARGS)

test-security: install
	$(BIN)/pytest -m security $(PYTEST_ARGS)

bench-acd: install
	$(PY) -m loadtests.bench_acd

bench-sip: install
	$(PY) -m loadtests.bench_sip

bench-analytics: install
	$(PY) -m loadtests.bench_analytics

bench-call: install
	$(PY) -m loadtests.bench_call

bench-api: install
	$(PY) -m loadtests.bench_api

# Every per-area target in one go, then loadtests/results/<stamp>.json and .md (the table).
bench: install
	$(PY) -m loadtests.bench_all

SOAK_MINUTES ?= 10
soak: install
	$(PY) -m loadtests.soak --minutes $(SOAK_MINUTES)

clean:
	rm -rf var .mypy_cache .ruff_cache .pytest_cache
