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
# duckdb (the embedded default) or spark (dbt on a Spark session, docs/engines.md)
export WAREHOUSE_ENGINE ?= duckdb

.PHONY: setup manifest browser spark java demo test lint bench dev clean

# Install exactly the locked dependencies, binary wheels only (see [tool.uv] no-build). The
# Spark extra (pyspark's jars, ~450 MB) only once `make spark` asked for it; a later sync keeps it.
$(VENV)/.installed: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet --disable-pip-version-check "uv>=0.5"
	uv sync --frozen --python $(PYTHON) $(if $(wildcard $(VENV)/.installed-spark),--extra spark)
	@touch $@

# The Spark engine: the `spark` extra (pyspark, dbt-spark[session]) and Java 17. Needed by
# WAREHOUSE_ENGINE=spark and by the tests (the DuckDB/Spark parity tests run in `make test`).
$(VENV)/.installed-spark: $(VENV)/.installed
	uv sync --frozen --python $(PYTHON) --extra spark
	@touch $@

spark: $(VENV)/.installed-spark java

# Java 17 (Debian's openjdk-17-jre-headless) for Spark; installed here when missing and run as root.
java:
	@command -v java >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing openjdk-17-jre-headless (apt-get)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
		else echo "java missing: install Java 17 (openjdk-17-jre-headless) for the Spark engine (the Spark tests fail without it)"; fi; }

setup: $(VENV)/.installed $(if $(filter spark,$(WAREHOUSE_ENGINE)),spark)
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
test: manifest browser spark
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
