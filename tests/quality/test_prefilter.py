"""The DuckDB pre-filter hands GX only rows that could fail: same verdicts as on the full frame.

The violating cases of test_raw_expectations.py run through the pre-filter too; here the
verdicts with and without it are compared outcome by outcome, and anything the pre-filter
does not understand must fall back to the full frame (never drop a check)."""

from __future__ import annotations

import duckdb
import pytest
from qworld import CITIES
from test_raw_expectations import _break_rows

from quality import gx_engine, prefilter, raw_suites
from quality.raw_frames import RAW_INDEX_COLUMNS
from quality.suites import load_suite

TYPES = {"a": "VARCHAR", "n": "BIGINT", "x": "DOUBLE", "d": "DATE", "b": "BOOLEAN"}


def _exp(kind: str, **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {"check": "c", "severity": "error"}}


@pytest.mark.parametrize(
    "expectation",
    [
        _exp("expect_column_values_to_be_in_set", column="a", value_set=["x"], mostly=0.9),  # ratio needs all rows
        _exp("expect_column_mean_to_be_between", column="x", max_value=1),  # aggregate
        _exp("expect_column_values_to_be_wonderful", column="a"),  # unknown type
        _exp("expect_column_values_to_be_in_set", column="n", value_set=["1", "2"]),  # str codes, int column
        _exp("expect_column_values_to_be_in_set", column="b", value_set=[1]),  # int code, bool column
        _exp("expect_column_values_to_be_between", column="d", min_value=0),  # number vs date
        _exp("expect_column_values_to_match_regex", column="a", regex="^(?=x)"),  # lookahead: Python only
        _exp("expect_column_values_to_match_regex", column="d", regex="^2024"),  # str(date) differs
        _exp("expect_column_pair_values_a_to_be_greater_than_b", column_A="d", column_B="a"),  # date vs text
        _exp("expect_column_values_to_be_in_set", column="a", value_set={"$PARAMETER": "nope"}),
        _exp("expect_column_values_to_not_be_null", column="missing_column"),
        _exp("expect_column_values_to_not_be_null", column="a", row_condition="n > 1"),
    ],
)
def test_anything_not_understood_means_the_full_frame(expectation):
    ok = _exp("expect_column_values_to_not_be_null", column="a")
    assert prefilter.suspect_sql("SELECT 1", [ok, expectation], {}, TYPES) is None
    assert prefilter.suspect_sql("SELECT 1", [ok], {}, TYPES) is not None


def test_predicates_keep_every_row_gx_could_fail_on():
    con = duckdb.connect()
    con.execute("""CREATE TABLE t AS SELECT * FROM (VALUES
        ('k1', 'J', 5, 1.0, DATE '2024-01-02', DATE '2024-01-01'),
        ('k2', 'X', 0, 'NaN'::DOUBLE, DATE '2024-01-01', DATE '2024-01-01'),
        ('k2', NULL, NULL, NULL, NULL, DATE '2024-01-01'),
        ('k4', 'N', -1, 2.0, DATE '2023-12-31', DATE '2024-01-01')) v(a, code, n, x, d1, d2)""")
    suite = [
        _exp("expect_column_values_to_be_in_set", column="code", value_set=["J", "N"]),
        _exp("expect_column_values_to_be_between", column="n", min_value=0, strict_min=True),
        _exp("expect_column_values_to_not_be_null", column="x"),
        _exp(
            "expect_column_pair_values_a_to_be_greater_than_b",
            column_A="d1",
            column_B="d2",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        _exp("expect_compound_columns_to_be_unique", column_list=["a"]),
    ]
    types = prefilter.column_types(con, "SELECT * FROM t", {})
    one = {e["type"]: prefilter.suspect_sql("SELECT * FROM t", [e], {}, types) for e in suite}
    rows = lambda sql: sorted(con.execute(sql).fetchall(), key=str)  # noqa: E731
    assert [r[1] for r in rows(one["expect_column_values_to_be_in_set"])] == ["X"]  # NULL is GX's "missing"
    assert sorted(r[2] for r in rows(one["expect_column_values_to_be_between"])) == [-1, 0]  # strict: 0 fails
    assert len(rows(one["expect_column_values_to_not_be_null"])) == 2  # NULL and NaN
    assert [r[0] for r in rows(one["expect_column_pair_values_a_to_be_greater_than_b"])] == ["k4"]
    assert [r[0] for r in rows(one["expect_compound_columns_to_be_unique"])] == ["k2", "k2"]
    everything = prefilter.suspect_sql("SELECT * FROM t", suite, {}, types)
    assert {r[0] for r in rows(everything)} == {"k2", "k4"}


def _outcomes(con, table: str, narrowed: bool):
    suite = load_suite(f"raw_{table}")
    sql = raw_suites.frame_sql(table)
    sql_params, params = raw_suites._sql_params(sql, list(CITIES)), raw_suites.expectation_params()
    if narrowed:
        frame, was_narrowed = prefilter.suspect_frame(con, sql, sql_params, suite.expectations, params)
        assert was_narrowed
    else:
        frame = con.execute(sql, sql_params).df()
    total = con.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0]
    out = gx_engine.validate(suite, frame, params, RAW_INDEX_COLUMNS, total_rows=total)
    return len(frame), {o.check: (o.outcome, o.failed_rows, dict(o.failures_by_key), o.table_level) for o in out}


@pytest.mark.parametrize("table", ["meldewesen", "sgb2_aggregat"])  # between them every translated type
def test_narrowed_frame_gives_the_verdicts_of_the_full_frame(warehouse, table):
    broken = _break_rows(warehouse, table)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        n_small, small = _outcomes(con, table, narrowed=True)
        n_full, full = _outcomes(con, table, narrowed=False)
    finally:
        con.close()
    assert small == full
    assert {c for c, v in small.items() if v[0] == "failed"} >= set(broken)
    assert n_small < n_full  # and it did narrow


def test_a_predicate_duckdb_rejects_falls_back_to_the_full_frame(warehouse, monkeypatch):
    real = prefilter.suspect_sql
    monkeypatch.setattr(prefilter, "suspect_sql", lambda *a, **k: real(*a, **k) + " OR no_such_function(1)")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        sql = raw_suites.frame_sql("gebiete")
        frame, narrowed = prefilter.suspect_frame(
            con,
            sql,
            raw_suites._sql_params(sql, list(CITIES)),
            load_suite("raw_gebiete").expectations,
            raw_suites.expectation_params(),
        )
    finally:
        con.close()
    assert not narrowed and len(frame) == 11


def test_duplicate_keys_are_found_on_the_key_relation_only_when_it_has_every_key_column():
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES ('k3', 4), ('k2', 3), ('k1', 1), ('k2', 2)) v(a, n)")
    frame = "SELECT t.*, n % 2 AS odd FROM t"
    types = prefilter.column_types(con, frame, {})
    keys = prefilter.KeyRelation("SELECT * FROM t", ["a", "n"])
    on_keys = prefilter.suspect_sql(
        frame,
        [_exp("expect_compound_columns_to_be_unique", column_list=["a"])],
        {},
        types,
        keys,
        order_by=["n", "not_a_column"],
    )
    assert "FROM (SELECT * FROM t) AS _keys" in on_keys
    assert con.execute(on_keys).fetchall() == [("k2", 2, 0), ("k2", 3, 1)]  # both members, ordered
    # `odd` exists only in the frame: duplicates of (a, odd) must be looked for there.
    on_frame = prefilter.suspect_sql(
        frame, [_exp("expect_compound_columns_to_be_unique", column_list=["a", "odd"])], {}, types, keys
    )
    assert f"FROM ({frame}) AS _keys" in on_frame
    assert con.execute(on_frame).fetchall() == []
