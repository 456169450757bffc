# TechX — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test browser lint types pytest pytest-sqlite pytest-postgres openapi bench bench-mixed migrate demo worker clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

## make run: install, migrate, seed demo data once, serve on http://127.0.0.1:8000 (SQLite)
run: $(STAMP)
	$(BIN)/techx db upgrade
	$(BIN)/techx demo
	$(BIN)/techx serve --host $(HOST) --port $(PORT) --no-migrate

## make test: format check, lint, types, then the suite on SQLite and on PostgreSQL if reachable
test: $(STAMP) lint types pytest

## make browser: Debian's Chromium for the browser test, installed when missing (needs root + apt)
browser:
	@if [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; then \
		echo "== chromium present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "== installing chromium"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium \
			>/dev/null) || echo "== chromium could not be installed: the browser test will skip"; \
	else \
		echo "== no chromium and no way to install it: the browser test will skip"; \
	fi

lint: $(STAMP)
	$(BIN)/ruff format --check app tests bench migrations
	$(BIN)/ruff check app tests bench migrations

types: $(STAMP)
	$(BIN)/mypy app

pytest: pytest-sqlite pytest-postgres

pytest-sqlite: $(STAMP)
	@echo "== test suite on SQLite"
	TECHX_TEST_DATABASE_URL= $(BIN)/python -m pytest -q -p no:cacheprovider

pytest-postgres: $(STAMP)
	@url=$$($(BIN)/python -m tests.pg_url); \
	if [ -n "$$url" ]; then \
		echo "== test suite on PostgreSQL ($$url)"; \
		TECHX_TEST_DATABASE_URL="$$url" $(BIN)/python -m pytest -q -p no:cacheprovider; \
	else \
		echo "== PostgreSQL not reachable: suite ran on SQLite only"; \
	fi

openapi: $(STAMP)
	$(BIN)/techx openapi --output openapi/openapi.json

bench: $(STAMP)
	$(BIN)/python -m bench

## make bench-mixed: scientists, exchanges and funds at once on PostgreSQL (see README)
bench-mixed: $(STAMP)
	$(BIN)/python -m bench.mixed

migrate: $(STAMP)
	$(BIN)/techx db upgrade

demo: $(STAMP)
	$(BIN)/techx demo

worker: $(STAMP)
	$(BIN)/techx worker

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
