# The single entry point. `make demo` and `make test` are the README's two commands.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
export WAREHOUSE_DUCKDB_PATH ?= $(CURDIR)/data/warehouse.duckdb
export LANDING_DIR ?= $(CURDIR)/data/landing
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export PYTHONUNBUFFERED := 1

.PHONY: setup manifest browser demo test lint bench dev clean

# Install exactly the locked dependencies, binary wheels only (see [tool.uv] no-build).
$(VENV)/.installed: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check "uv>=0.5"
	uv sync --frozen --python $(PYTHON)
	@touch $@

setup: $(VENV)/.installed
	@mkdir -p $(DAGSTER_HOME) data
	@cp -n dagster.yaml $(DAGSTER_HOME)/dagster.yaml 2>/dev/null || true

# Headless Chromium (Debian's chromium + chromium-driver) for the dashboard's browser tests and
# its opening time in `make bench`; installed here when missing and run as root (CI, these machines).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing chromium and chromium-driver (apt-get)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
		else echo "chromium missing: install chromium and chromium-driver (browser tests are skipped)"; fi; }

# dbt's manifest must exist before Dagster imports the dbt assets.
manifest: setup
	@dagster-dbt project prepare-and-package --file orchestration/dbt_project.py >/dev/null

demo: manifest
	python -m orchestration.demo

# Two workers for the two cores; a file's tests stay on one worker, expensive session fixtures
# are built once and shared (tests/shared_demo_world.py).
test: manifest browser
	python -m pytest -n 2 --dist loadfile

# ruff (lint and format) over the Python, sqlfluff (DuckDB dialect, configuration in .sqlfluff)
# over the dbt project.
lint: setup
	ruff check .
	ruff format --check .
	sqlfluff lint dbt_project

# `make bench BENCH_ARGS="--only increments --increment-events 1e5,1e6"`: options of orchestration.bench
BENCH_ARGS ?=
bench: manifest browser
	python -m orchestration.bench $(BENCH_ARGS)

dev: manifest
	dagster dev -m orchestration.definitions -h 127.0.0.1 -p 3000

clean:
	rm -rf data/warehouse.duckdb data/published reports/output dbt_project/target
