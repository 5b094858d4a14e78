"""The raw layer for Spark (warehouse.spark_raw): every dbt source table of a DuckDB warehouse
as Parquet, column for column (provenance columns, types, quotes, nulls, binary), tables the
warehouse lacks left out of the listing the dbt hook registers, stale folders removed. Read
back with DuckDB here; tests/engine/test_spark_parity.py reads it with Spark."""

from __future__ import annotations

import duckdb
import pytest

from warehouse.spark_raw import export_raw, exported_tables, source_tables


def _tiny_warehouse(path):
    con = duckdb.connect(str(path))
    con.execute("create schema raw; create schema meta; create schema raw_official")
    con.execute(
        """create table raw.beratung as select * from (values
            (date '2024-01-05', 'p1', 1990, 'w', '000', 'Stelle ''Nord''', true, 'muenster', 'f.csv', 'abc',
             '2024-01', 1, 7, timestamp '2024-02-01 10:00:00', timestamp '2024-02-02 11:30:00'),
            (null, 'p2', null, 'm', null, null, null, 'muenster', 'f.csv', 'abc', '2024-01', 1, 8, null, null)
        ) as t(kontakt_datum, person_pseudonym, geburtsjahr, geschlecht, staatsangehoerigkeit, stelle,
               gemeldet_angabe, city, delivery_file, file_sha256, delivery_period, delivery_version,
               source_line, received_at, loaded_at)"""
    )
    con.execute("create table raw.gebiete_geometrie as select 'muenster' as city, '\\x01\\x02'::blob as geometry_wkb")
    con.execute("create table meta.cities as select 'muenster' as slug, ['euregio'] as tags")
    con.execute("create table raw_official.values as select 1.5::double as value, 'x' as value_symbol")
    con.execute("create table raw.not_a_source as select 1 as x")
    con.close()


def test_sources_are_the_dbt_sources():
    tables = source_tables()
    assert ("raw", "meldewesen") in tables and ("raw_official", "values") in tables
    assert ("meta", "delivery_registry") in tables and ("meta", "quality_gate") in tables
    assert len(tables) == len(set(tables)) >= 16
    # the estimates are a source written on the engine itself, never a copy of DuckDB's
    assert ("marts", "fct_dunkelziffer_estimates") not in tables


def test_export_copies_the_source_tables_as_they_are(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    _tiny_warehouse(warehouse)
    spark_dir = tmp_path / "spark"
    (spark_dir / "raw" / "raw" / "gone").mkdir(parents=True)  # a table of an earlier export
    messages = []
    written = export_raw(warehouse, spark_dir, log=messages.append)

    assert {(s, t): n for s, t, n in written} == {
        ("raw", "beratung"): 2,
        ("raw", "gebiete_geometrie"): 1,
        ("meta", "cities"): 1,
        ("raw_official", "values"): 1,
    }
    # what the hook registers: exactly the written tables; a missing source is said, not faked
    assert exported_tables(spark_dir=spark_dir) == [
        "meta.cities",
        "raw.beratung",
        "raw.gebiete_geometrie",
        "raw_official.values",
    ]
    assert any("raw.meldewesen not in the warehouse" in m for m in messages)
    assert not (spark_dir / "raw" / "raw" / "gone").exists()
    assert not (spark_dir / "raw" / "raw" / "not_a_source").exists()

    con = duckdb.connect(str(warehouse), read_only=True)
    for schema, table, _ in written:
        folder = spark_dir / "raw" / schema / table
        original = con.execute(f'select * from "{schema}"."{table}" order by all').fetchall()
        parquet = con.execute(f"select * from read_parquet('{folder}/*.parquet') order by all").fetchall()
        assert parquet == original, f"{schema}.{table}"
        types = lambda sql: [(c[0], c[1]) for c in con.execute(f"describe {sql}").fetchall()]
        assert types(f"select * from read_parquet('{folder}/*.parquet')") == types(f'"{schema}"."{table}"')


def test_export_replaces_an_earlier_export(tmp_path):
    warehouse = tmp_path / "w.duckdb"
    _tiny_warehouse(warehouse)
    spark_dir = tmp_path / "spark"
    export_raw(warehouse, spark_dir, log=lambda _: None)
    con = duckdb.connect(str(warehouse))
    con.execute("delete from raw.beratung where person_pseudonym = 'p2'")
    con.execute("drop table raw.gebiete_geometrie")
    con.close()
    export_raw(warehouse, spark_dir, log=lambda _: None)
    assert "raw.gebiete_geometrie" not in exported_tables(spark_dir=spark_dir)
    assert not (spark_dir / "raw" / "raw" / "gebiete_geometrie").exists()
    rows = duckdb.sql(f"select count(*) from read_parquet('{spark_dir}/raw/raw/beratung/*.parquet')").fetchone()[0]
    assert rows == 1


def test_export_of_a_missing_warehouse_fails(tmp_path):
    with pytest.raises(duckdb.Error):
        export_raw(tmp_path / "absent.duckdb", tmp_path / "spark", log=lambda _: None)
