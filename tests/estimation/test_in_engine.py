"""The estimation step outside dbt (estimation/in_engine.py): the rows it reads through an engine,
city by city, give exactly the estimates of `estimate_all` on the whole staging layer, and it
writes them back atomically. The Spark side of the same path is in tests/engine (parity)."""

from __future__ import annotations

from datetime import date

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from synthetic_staging import T, build

from estimation.in_engine import TABLE, duckdb_io, estimate_through
from estimation.warehouse import city_slices, estimate_all


def _second_city(con) -> None:
    """A copy of city `c` as `d`, with registers on other dates, SGB II months before and after t
    and counselling outside the window: rows the slices leave out, which must not matter."""
    for table in ("stg_bestand__persons", "stg_schule__pupils", "stg_sgb2__persons", "stg_beratung__contacts"):
        con.execute(f"insert into staging.{table} select * replace ('d' as city) from staging.{table} where city = 'c'")
    con.execute(
        "insert into staging.stg_meldewesen__events select * replace ('d' as city) from staging.stg_meldewesen__events"
    )
    # an earlier register (farther from the census): the reference date stays T
    con.execute(
        "insert into staging.stg_bestand__persons select * replace ('d' as city, date '2025-03-31' as stichtag) "
        "from staging.stg_bestand__persons where city = 'c'"
    )
    con.execute(
        "insert into staging.stg_sgb2__persons select * replace ('d' as city, date '2025-05-01' as monat) "
        "from staging.stg_sgb2__persons where city = 'c'"
    )
    con.execute(
        "insert into staging.stg_beratung__contacts select * replace ('d' as city, kontakt_datum - 400 as kontakt_datum) "
        "from staging.stg_beratung__contacts where city = 'c'"
    )


@pytest.fixture(scope="module")
def staging(tmp_path_factory):
    path = tmp_path_factory.mktemp("in_engine") / "w.duckdb"
    build(path)
    with duckdb.connect(str(path)) as con:
        _second_city(con)
    return path


def test_the_city_slices_give_the_estimates_of_the_whole_staging_layer(staging):
    with duckdb.connect(str(staging)) as con:
        direct = estimate_all(con)
        through = estimate_through(duckdb_io(con))
    assert set(direct["city"]) == {"c", "d"} and direct.height > 100
    assert_frame_equal(through, direct)  # the same rows in the same order, bit for bit
    # the rows left out changed nothing: city d's estimates are city c's
    c, d = (direct.filter(city=x).drop("city") for x in ("c", "d"))
    assert_frame_equal(c, d)


def test_the_slices_really_leave_rows_out(staging):
    """The condition per relation is applied (a slice that read everything would pass the test
    above too)."""
    slices = city_slices(T, date(2025, 10, 15))
    with duckdb.connect(str(staging)) as con:
        for key, relation in (("bestand", "stg_bestand__persons"), ("sgb2", "stg_sgb2__persons")):
            total = con.execute(f"select count(*) from staging.{relation} where city = 'd'").fetchone()[0]
            sliced = con.execute(
                f"select count(*) from staging.{relation} where city = 'd' and {slices[key]}"
            ).fetchone()[0]
            assert 0 < sliced < total, key


def test_write_replaces_the_table_and_a_failed_write_keeps_the_old_one(staging, tmp_path):
    path = tmp_path / "w.duckdb"
    path.write_bytes(staging.read_bytes())
    with duckdb.connect(str(path)) as con:
        io = duckdb_io(con)
        estimates = estimate_through(io)
        io.replace(TABLE, estimates.to_arrow())
        assert_frame_equal(con.execute(f"select * from {TABLE}").pl(), estimates)
        broken = pl.DataFrame({"city": ["x"]}).to_arrow()

        def failing(sql: str, *args):  # the create fails inside the transaction
            if sql.startswith("create or replace table"):
                raise duckdb.IOException("disk full")
            return con.execute(sql, *args)

        failing_io = duckdb_io(_Wrapped(con, failing))
        with pytest.raises(duckdb.IOException):
            failing_io.replace(TABLE, broken)
        assert con.execute(f"select count(*) from {TABLE}").fetchone()[0] == estimates.height


class _Wrapped:
    """A connection whose `execute` goes through `execute` (to make one statement fail)."""

    def __init__(self, con, execute):
        self._con, self.execute = con, execute

    def __getattr__(self, name):
        return getattr(self._con, name)


def test_a_city_id_is_never_written_into_sql_unchecked(staging, tmp_path):
    path = tmp_path / "w.duckdb"
    path.write_bytes(staging.read_bytes())
    with duckdb.connect(str(path)) as con:
        con.execute("update staging.stg_bestand__persons set city = 'c''; drop table x; --' where city = 'd'")
        con.execute("update staging.stg_schule__pupils set city = 'c''; drop table x; --' where city = 'd'")
        with pytest.raises(ValueError, match="unexpected city id"):
            estimate_through(duckdb_io(con))


def test_no_register_no_estimates_but_the_mart_columns(tmp_path):
    with duckdb.connect(str(tmp_path / "empty.duckdb")) as con:
        out = estimate_through(duckdb_io(con))
    assert out.height == 0 and "recommended" in out.columns and out.schema["stichtag"] == pl.Date


def test_the_pipeline_writes_what_the_estimation_over_the_whole_staging_layer_gives(published_demo):
    """The table the Dagster asset wrote between the two dbt ops is, bit for bit, what the
    estimation over the warehouse's whole staging layer gives (what the dbt Python model wrote)."""
    from warehouse.db import connect

    with connect(published_demo[0], read_only=True) as con:
        written = con.execute(f"select * from {TABLE}").pl()
        direct = estimate_all(con)
    assert written.height > 50 and set(written["city"]) == {"muenster", "enschede"}
    assert_frame_equal(written, direct)


def test_only_the_cities_whose_inputs_changed_are_estimated_again(staging, tmp_path):
    from estimation.in_engine import _write_duckdb

    path = tmp_path / "w.duckdb"
    path.write_bytes(staging.read_bytes())
    key = ["city", "stichtag", "nationality_group", "age_band", "district", "method", "quantity"]
    with duckdb.connect(str(path)) as con:
        con.execute("create schema meta")
        con.execute(
            "create table meta.city_input_digests as select * from (values ('c', 'c1'), ('d', 'd1')) t(city, input_digest)"
        )
        first = _write_duckdb(con, "v1", full_refresh=False)
        assert (first.mode, first.reason, first.cities) == ("full", "no estimates table", ["c", "d"])
        again = _write_duckdb(con, "v1", full_refresh=False)
        assert (again.mode, again.cities, again.rows) == ("unchanged", [], first.rows)
        # d's inputs change (fewer registered persons); its digest says so
        con.execute("delete from staging.stg_bestand__persons where city = 'd' and person_pseudonym like '%0'")
        con.execute("update meta.city_input_digests set input_digest = 'd2' where city = 'd'")
        before_c = con.execute(f"select * from {TABLE} where city = 'c'").pl().sort(key)
        night = _write_duckdb(con, "v1", full_refresh=False)
        assert (night.mode, night.cities) == ("incremental", ["d"])
        table = con.execute(f"select * from {TABLE}").pl().sort(key)
        assert_frame_equal(table, estimate_through(duckdb_io(con)).sort(key))  # = estimating everything
        assert_frame_equal(table.filter(city="c"), before_c)
        assert not table.filter(city="d").equals(before_c.with_columns(city=pl.lit("d")))  # d really changed
        # a city no longer delivered loses its rows; new code and --full-refresh estimate everything
        con.execute("delete from meta.city_input_digests where city = 'd'")
        con.execute("delete from staging.stg_bestand__persons where city = 'd'")
        dropped = _write_duckdb(con, "v1", full_refresh=False)
        assert (dropped.mode, dropped.cities) == ("incremental", ["d"])
        assert set(con.execute(f"select distinct city from {TABLE}").pl()["city"]) == {"c"}
        assert _write_duckdb(con, "v2", full_refresh=False).reason == "the code changed"
        assert _write_duckdb(con, "v2", full_refresh=True).reason == "full refresh"
