"""The engine switch without Spark: WAREHOUSE_ENGINE chooses dbt's target and the Spark folder,
the default stays DuckDB, a wrong value is refused, and the profile's Spark settings are the
ones warehouse.engine gives a session of its own."""

from __future__ import annotations

import pytest
import yaml

from orchestration.dbt_project import dbt_settings_env
from warehouse import engine, settings
from warehouse.settings import DBT_PROJECT_DIR


def test_default_engine_is_duckdb(monkeypatch, tmp_path):
    monkeypatch.delenv("WAREHOUSE_ENGINE", raising=False)
    env = dbt_settings_env(tmp_path / "w.duckdb")
    assert engine.engine() == "duckdb" and env["DBT_TARGET"] == "dev" and env["WAREHOUSE_ENGINE"] == "duckdb"
    assert not any(name.startswith("SPARK_") for name in env)


def test_spark_engine_sets_target_and_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("WAREHOUSE_ENGINE", "Spark")
    monkeypatch.delenv("SPARK_WAREHOUSE_DIR", raising=False)
    env = dbt_settings_env(tmp_path / "w.duckdb")
    assert env["DBT_TARGET"] == "spark"
    assert env["SPARK_WAREHOUSE_DIR"] == str(tmp_path / "w_spark")
    assert env["SPARK_RAW_DIR"] == str(tmp_path / "w_spark" / "raw")
    assert env["SPARK_RAW_TABLES"] == ""  # nothing exported yet: the hook registers nothing
    monkeypatch.setenv("SPARK_WAREHOUSE_DIR", str(tmp_path / "elsewhere"))
    assert dbt_settings_env(tmp_path / "w.duckdb")["SPARK_RAW_DIR"] == str(tmp_path / "elsewhere" / "raw")


def test_unknown_engine_is_refused(monkeypatch):
    monkeypatch.setenv("WAREHOUSE_ENGINE", "postgres")
    with pytest.raises(ValueError, match="WAREHOUSE_ENGINE"):
        settings.warehouse_engine()


def test_profile_spark_settings_match_the_session_settings(monkeypatch, tmp_path):
    """profiles.yml renders the same Spark settings as warehouse.engine.spark_conf (a reader's own
    session must see dbt's catalog): every key, with the values of the environment dbt gets."""
    monkeypatch.setenv("WAREHOUSE_ENGINE", "spark")
    import os

    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    env = dbt_settings_env(tmp_path / "w.duckdb")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    set_invocation_context(os.environ)  # env_var() reads the invocation's environment
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())["migration_warehouse"]
    spark = ProfileRenderer({}).render_data(profile["outputs"]["spark"])
    assert spark["type"] == "spark" and spark["method"] == "session"
    conf = engine.spark_conf(tmp_path / "w.duckdb")
    conf.pop("spark.sql.ansi.enabled")  # dbt-spark sets it itself
    assert spark["server_side_parameters"] == conf
