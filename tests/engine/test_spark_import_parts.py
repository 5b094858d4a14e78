"""Spark types -> DuckDB types of the import (warehouse.spark_import.duckdb_type), without Spark:
the types as Spark's JSON schema in a Parquet footer spells them."""

from __future__ import annotations

import pytest

from warehouse.spark_import import SparkImportError, duckdb_type


@pytest.mark.parametrize(
    "spark, duck",
    [
        ("string", "VARCHAR"),
        ("varchar(10)", "VARCHAR"),
        ("long", "BIGINT"),
        ("integer", "INTEGER"),
        ("double", "DOUBLE"),
        ("decimal(38,6)", "DECIMAL(38,6)"),
        ("date", "DATE"),
        ("timestamp_ntz", "TIMESTAMP"),
        ("timestamp", "TIMESTAMP WITH TIME ZONE"),
        ("boolean", "BOOLEAN"),
        ("binary", "BLOB"),
        ({"type": "array", "elementType": "string", "containsNull": True}, "VARCHAR[]"),
        (
            {"type": "struct", "fields": [{"name": "a", "type": "long"}, {"name": "b", "type": "date"}]},
            'STRUCT("a" BIGINT, "b" DATE)',
        ),
        ({"type": "map", "keyType": "string", "valueType": "double"}, "MAP(VARCHAR, DOUBLE)"),
    ],
)
def test_spark_types_map_to_duckdb_types(spark, duck):
    assert duckdb_type(spark) == duck


@pytest.mark.parametrize("spark", ["interval", "variant", {"type": "udt", "class": "x"}])
def test_an_unknown_type_fails_never_guessed(spark):
    with pytest.raises(SparkImportError, match="no DuckDB type"):
        duckdb_type(spark)


def _node(kind, schema, name, materialized, columns=None):
    return {
        "resource_type": kind,
        "schema": schema,
        "name": name,
        "alias": name,
        "config": {"materialized": materialized},
        "columns": columns or {},
    }


def test_what_an_invocation_built_is_imported_person_level_never(tmp_path):
    import json

    from warehouse.spark_import import built_tables, declared_types

    nodes = {
        "seed.p.sexes": _node("seed", "reference", "sexes", "seed"),
        "model.p.fct_a": _node("model", "marts", "fct_a", "table", {"n": {"name": "n", "data_type": "hugeint"}}),
        "model.p.fct_inc": _node("model", "marts", "fct_inc", "city_incremental"),
        "model.p.int_b": _node("model", "intermediate", "int_b", "table", {"x": {"name": "x", "data_type": "int"}}),
        # the one city-layer table imported: the disclosure repair's true cells
        "model.p.int_exchange__cells": _node("model", "intermediate", "int_exchange__cells", "table"),
        "model.p.stg_c": _node("model", "staging", "stg_c", "view"),
        "model.p.fct_failed": _node("model", "exchange", "fct_failed", "table"),
        "model.p.fct_view": _node("model", "alliance", "fct_view", "view"),
        "test.p.not_null": {"resource_type": "test", "schema": "marts", "name": "t", "config": {}},
    }
    status = {"model.p.fct_failed": "error", "test.p.not_null": "pass"}
    results = [{"unique_id": uid, "status": status.get(uid, "success")} for uid in nodes]
    # a model reading the estimates, a served table written outside dbt (a source); raw is no served schema
    nodes["model.p.fct_reads"] = _node("model", "marts", "fct_reads", "table")
    nodes["model.p.fct_reads"]["depends_on"] = {"nodes": ["source.p.marts.est", "source.p.raw.meldewesen"]}
    sources = {
        "source.p.marts.est": {"schema": "marts", "name": "est", "identifier": "fct_est"},
        "source.p.raw.meldewesen": {"schema": "raw", "name": "meldewesen", "identifier": "meldewesen"},
    }
    results.append({"unique_id": "model.p.fct_reads", "status": "success"})
    (tmp_path / "manifest.json").write_text(json.dumps({"nodes": nodes, "sources": sources}))
    (tmp_path / "run_results.json").write_text(json.dumps({"results": results}))
    assert built_tables(tmp_path) == [
        ("intermediate", "int_exchange__cells"),
        ("marts", "fct_a"),
        ("marts", "fct_est"),
        ("marts", "fct_inc"),
        ("marts", "fct_reads"),
        ("reference", "sexes"),
    ]
    assert declared_types(tmp_path) == {("marts", "fct_a"): {"n": "hugeint"}}
    (tmp_path / "run_results.json").unlink()  # dbt ended before its first node
    assert built_tables(tmp_path) == []
