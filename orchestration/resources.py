"""Dagster resources: the warehouse (in the style of dagster-duckdb's DuckDBResource) and dbt.

Assets ask the `warehouse` resource for a connection or a path instead of reading settings
themselves, so a test or the pipeline runner points a whole run at another warehouse by
injecting `WarehouseResource(database=...)`. Empty fields mean "what `warehouse.settings` says
when the run uses it", so the environment of the process still decides by default.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource

from warehouse import settings
from warehouse.db import connect


def _path(value: str, default) -> Path:
    return Path(value).expanduser().resolve() if value else default()


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse DuckDB file and the folders around it (empty: from warehouse.settings)."""

    database: str = ""  # WAREHOUSE_DUCKDB_PATH
    published_database: str = ""  # PUBLISHED_DUCKDB_PATH
    landing_dir: str = ""  # LANDING_DIR
    exchange_outbox_dir: str = ""  # EXCHANGE_OUTBOX_DIR
    reports_output_dir: str = ""  # REPORTS_OUTPUT_DIR
    dbt_target_path: str = ""  # DBT_TARGET_PATH: dbt's artefacts of the runs (one folder per run below)

    def warehouse_path(self) -> Path:
        return _path(self.database, settings.warehouse_path)

    def published_path(self) -> Path:
        return _path(self.published_database, settings.published_path)

    def landing_path(self) -> Path:
        return _path(self.landing_dir, settings.landing_dir)

    def outbox_path(self) -> Path:
        return _path(self.exchange_outbox_dir, settings.exchange_outbox_dir)

    def reports_path(self) -> Path:
        return _path(self.reports_output_dir, settings.reports_output_dir)

    def dbt_build_target(self) -> Path:
        """dbt's target folder of this warehouse's builds, kept between invocations so that dbt
        parses partially (its partial_parse.msgpack holds for one profile, i.e. one warehouse):
        `<dbt_target_path>/build` if set, else `<dbt target>/warehouses/<hash of the path>`."""
        if self.dbt_target_path:
            return Path(self.dbt_target_path).resolve() / "build"
        import hashlib

        digest = hashlib.sha256(str(self.warehouse_path()).encode()).hexdigest()[:12]
        return settings.dbt_target_path() / "warehouses" / digest

    @contextmanager
    def get_connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the warehouse (warehouse.db.connect), closed after the block."""
        con = connect(self.warehouse_path(), read_only=read_only)
        try:
            yield con
        finally:
            con.close()

    @contextmanager
    def dbt_environment(self) -> Iterator[None]:
        """The environment a dbt started in the block reads (profiles.yml): this warehouse and the
        DuckDB settings, and the target folder if given. Restored afterwards. On Spark
        (WAREHOUSE_ENGINE=spark) the raw layer is exported to Parquet first (warehouse.spark_raw)."""
        from orchestration.dbt_project import dbt_settings_env, prepare_engine

        prepare_engine(["build"], self.warehouse_path())
        wanted = dbt_settings_env(self.warehouse_path())
        if self.dbt_target_path:
            wanted["DBT_TARGET_PATH"] = str(Path(self.dbt_target_path).resolve())
        saved = {name: os.environ.get(name) for name in wanted}
        os.environ.update(wanted)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def dbt_resource() -> DbtCliResource:
    from orchestration.dbt_project import dbt_executable, dbt_project

    return DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable())


def default_resources() -> dict[str, object]:
    """The resources of the code location: the warehouse of the settings and dbt."""
    return {"warehouse": WarehouseResource(), "dbt": dbt_resource()}
