"""Equality is the contract of the nightly increments: after a sequence of increments, every
table of marts, exchange, alliance and official equals a full rebuild from the same raw layer
(order-independent fingerprints, warehouse/fingerprint.py).

The world: Münster + Enschede at scale 0.005 from 2024-07 (a short history keeps dbt quick; the
alliance tables need the two cities, the _v2 two years back needs 2024-09).
Held back at first and delivered in two increments, covering:
  1. months out of order (Münster 2026-09 in the first increment, 2026-08 in the second),
  2. a _v2 of a month two years back (Münster meldewesen 2024-09, one record less),
  3. a late bestand (Münster 2026-06-30, after the months up to 2026-09),
  4. a district reform (a new Münster gebiete: a district ends, a new code begins),
  5. a quarantined delivery later fixed (Münster beratung 2026-09: broken bytes, then a _v2),
  6. a plain new month (Enschede meldewesen 2026-09),
  7. a late stock near a census day (Münster bestand 2025-09-30, 15 days before the schools'
     census of 2025-10-15, which links to it instead of the stock of 2025-12-31),
plus a block of the quality gate (Enschede meldewesen 2025-03, in the second increment, which has
no Enschede file), which changes staging without any new file, and a change of the dbt code.

Few dbt invocations (the fixed cost of each is most of this test's time): the seeds and the first
build in one, one per increment, a single-model run that finds nothing new, the full rebuild (in
place, after the increments' fingerprints are taken), and a single-model run under another code
version. dbt runs in this process (`run_dbt_in_process`: no interpreter start, imports kept),
parsed once and the manifest reused (the project and the warehouse path do not change), without
dbt tests (tests/marts and the Dagster test run those); the load through the pipeline's raw asset.
The comparison must be able to fail: every case moves its rows of the compared tables, and
planted differences are caught.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from warehouse.db import connect
from warehouse.fingerprint import DEFAULT_SCHEMAS, table_fingerprints

CITIES = ["muenster", "enschede"]
SCALE, SEED, START = 0.005, 20190101, "2024-07"
CITY_INCREMENTAL = {
    "intermediate.int_registration_spells",
    "intermediate.int_fluctuation_monthly",
    "marts.fct_retention_km",
    "marts.fct_retention_km_median",
}
# per city and reference date (city_period_incremental); those reading `gebiete` (the district
# reform mapping, the pupils' districts) recompute the whole city when it changes
PERIOD_INCREMENTAL = {
    "intermediate.int_population_counts",
    "intermediate.int_dwell_time_counts",
    "marts.fct_dwell_time_stock",
    "marts.fct_segregation",
    "marts.fct_schools",
    "marts.fct_housing_problem_properties",
}
READS_GEBIETE = {"intermediate.int_population_counts", "marts.fct_segregation", "marts.fct_schools"}
INCREMENTAL = CITY_INCREMENTAL | PERIOD_INCREMENTAL
HELD_BACK = [
    "muenster/meldewesen/2026-08.parquet",
    "muenster/meldewesen/2026-09.parquet",
    "muenster/bestand/2026-06-30.parquet",
    "muenster/bestand/2025-09-30.parquet",
    "muenster/beratung/2026-09.parquet",
    "enschede/meldewesen/2026-09.csv",
]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    from ingest.demo.generate import generate

    root = tmp_path_factory.mktemp("increments_world")
    generate(
        scale=SCALE,
        seed=SEED,
        landing=root / "world",
        truth=root / "truth",
        cities=CITIES,
        start=START,
        overwrite=True,
        progress=lambda *_: None,
    )
    return root / "world"


class World:
    """A warehouse under `root` fed from a landing folder that the test fills step by step."""

    def __init__(self, root: Path, source: Path):
        from shared_demo_world import world_resources

        self.root, self.source, self.landing = root, source, root / "landing"
        self.warehouse = root / "warehouse.duckdb"
        self.resources = world_resources(root)
        self.target = root / "dbt_target"
        self.manifest = None  # parsed once (the project and the warehouse path stay), then reused

    def land(self, rel: str, data: bytes | None = None, as_name: str | None = None) -> None:
        dest = self.landing / (as_name or rel)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data if data is not None else (self.source / rel).read_bytes())

    def load(self, with_official: bool = False) -> None:
        import dagster as dg

        from orchestration.defs.ingest import raw_city_deliveries
        from orchestration.defs.official import raw_official_tables
        from orchestration.pipeline import run_pipeline

        assets = [raw_city_deliveries, raw_official_tables] if with_official else [raw_city_deliveries]
        run_pipeline(
            dg.AssetSelection.assets(*assets).without_checks(),
            cities=CITIES,
            resources=self.resources,
            log=lambda _: None,
        )

    def dbt(self, *args: str, seed: bool = False) -> list[dict]:
        """`dbt run ARGS` (with `seed`: the seeds and the models in one `dbt build` without tests);
        returns what the city_incremental models did in this run."""
        from orchestration.dbt_project import parse_in_process, run_models

        with connect(self.warehouse, read_only=True) as con:
            since = con.execute("select now()::timestamp").fetchone()[0]
        command = ["build", "--resource-type", "seed", "--resource-type", "model"] if seed else ["run"]
        if self.manifest is None:
            self.manifest = parse_in_process(warehouse=self.warehouse, target_path=self.target, log=lambda _: None)
        run_models(  # with the Dunkelziffer estimation between its two parts, as the graph runs it
            [*command, *args],
            warehouse=self.warehouse,
            target_path=self.target,
            log=lambda _: None,
            in_process=True,
            manifest=self.manifest,
        )
        from orchestration.increments import builds_since

        return builds_since(self.warehouse, since)


def _modes(builds: list[dict]) -> dict[str, tuple[str, list[str]]]:
    return {b["model"]: (b["mode"], sorted(b["cities"] or [])) for b in builds}


def _periods(builds: list[dict]) -> dict[str, list[str]]:
    """The city-periods each city_period_incremental model recomputed ("city YYYY-MM-DD")."""
    return {b["model"]: sorted(b["periods"] or []) for b in builds if b["model"] in PERIOD_INCREMENTAL}


def _fingerprints(warehouse: Path) -> dict:
    with connect(warehouse, read_only=True) as con:
        return table_fingerprints(con, DEFAULT_SCHEMAS)


# Where each case must show in the compared tables (table, rows of the case): each slice differs
# between the first build and the end of the sequence, so an increment that missed the case would
# leave the first build's rows there and differ from the full rebuild.
CASE_SLICES = {
    "months out of order": ("marts.fct_fluctuation", "city = 'muenster' and period_key in ('2026-08', '2026-09')"),
    "a _v2 two years back": ("marts.fct_fluctuation", "city = 'muenster' and period_key = '2024-09'"),
    "a late bestand": ("marts.fct_dwell_time_stock", "city = 'muenster' and stichtag = '2026-06-30'"),
    "a district reform": ("marts.dim_districts", "city = 'muenster'"),
    "a quarantined delivery fixed": ("marts.fct_counselling", "city = 'muenster' and month = '2026-09-01'"),
    "a plain new month": ("marts.fct_fluctuation", "city = 'enschede' and period_key = '2026-09'"),
    "a late stock near a census day": ("marts.fct_schools", "city = 'muenster' and stichtag = '2025-10-15'"),
    "a quality-gate block": ("marts.fct_fluctuation", "city = 'enschede' and period_key = '2025-03'"),
}


def _slice_prints(warehouse: Path) -> dict[str, tuple]:
    """(rows, order-independent hash) of every case's slice."""
    with connect(warehouse, read_only=True) as con:
        return {
            case: con.execute(
                f"select count(*), coalesce(sum(hash(t)::hugeint), 0) from {table} t where {where}"
            ).fetchone()
            for case, (table, where) in CASE_SLICES.items()
        }


# Differences an increment could leave, planted one at a time into the compared tables (in a
# transaction rolled back): the comparison must name exactly the planted table.
PLANTED = {
    "marts.fct_dwell_time_stock": "update marts.fct_dwell_time_stock set persons = persons + 1 "
    "where rowid = (select min(rowid) from marts.fct_dwell_time_stock)",  # a stale value
    "marts.fct_segregation": "insert into marts.fct_segregation select * from marts.fct_segregation limit 1",  # twice
    "exchange.fct_exchange_cells": "delete from exchange.fct_exchange_cells "
    "where rowid = (select max(rowid) from exchange.fct_exchange_cells)",  # a row lost
    # two rows' values swapped: each column holds the same values (and sums), the rows differ
    "marts.fct_fluctuation": "update marts.fct_fluctuation f set inflows = if(f.inflows = e.lo, e.hi, e.lo) "
    "from (select min(inflows) as lo, max(inflows) as hi from marts.fct_fluctuation) e "
    "where f.rowid in ((select min(rowid) from marts.fct_fluctuation where inflows = e.lo), "
    "(select min(rowid) from marts.fct_fluctuation where inflows = e.hi))",
}


def _assert_planted_differences_caught(warehouse: Path, expected: dict) -> None:
    with connect(warehouse) as con:
        for table, plant in PLANTED.items():
            con.execute("begin")
            con.execute(plant)
            planted = table_fingerprints(con, DEFAULT_SCHEMAS)
            con.execute("rollback")
            assert sorted(t for t in expected if planted[t] != expected[t]) == [table], plant
        assert table_fingerprints(con, DEFAULT_SCHEMAS) == expected  # rolled back


def _v2_one_record_less(path: Path) -> bytes:
    frame = pl.read_parquet(path)
    out = path.with_name("v2.tmp.parquet")
    frame.head(frame.height - 1).write_parquet(out)
    data = out.read_bytes()
    out.unlink()
    return data


def _district_reform(path: Path) -> bytes:
    """The gebiete of `path` with its last district ending 2026-09-30 and a new code from 2026-10-01."""
    frame = pl.read_parquet(path)
    last = frame.tail(1)
    ended = frame.with_columns(
        pl.when(pl.col("bezirk_code") == last["bezirk_code"][0])
        .then(pl.lit("2026-09-30"))
        .otherwise(pl.col("gueltig_bis"))
        .alias("gueltig_bis")
    )
    new = last.with_columns(
        pl.lit("07").alias("bezirk_code"),
        pl.lit("Hiltrup-Süd").alias("bezirk_name"),
        pl.lit("2026-10-01").alias("gueltig_ab"),
        pl.lit(None, pl.String).alias("gueltig_bis"),
    )
    out = path.with_name("reform.tmp.parquet")
    pl.concat([ended, new]).write_parquet(out)
    data = out.read_bytes()
    out.unlink()
    return data


def test_increments_equal_a_full_rebuild(world, tmp_path, monkeypatch, dagster_home, dbt_manifest):
    w = World(tmp_path / "w", world)
    shutil.copytree(world, w.landing)
    for rel in HELD_BACK:
        (w.landing / rel).unlink()
    w.load(with_official=True)
    first = _modes(w.dbt(seed=True))
    assert {m for m, (mode, _) in first.items() if mode == "full"} == INCREMENTAL  # no table yet
    first_slices = _slice_prints(w.warehouse)

    # increment 1: a month ahead of the one missing, a _v2 two years back, a broken delivery,
    # Enschede's new month
    w.land("muenster/meldewesen/2026-09.parquet")
    w.land(
        "", _v2_one_record_less(world / "muenster/meldewesen/2024-09.parquet"), "muenster/meldewesen/2024-09_v2.parquet"
    )
    w.land("", b"PAR1 this is not a parquet file PAR1", "muenster/beratung/2026-09.parquet")
    w.land("enschede/meldewesen/2026-09.csv")
    w.land("muenster/bestand/2025-09-30.parquet")
    w.load()
    with connect(w.warehouse, read_only=True) as con:
        status = dict(
            con.execute(
                "select delivery_file, status from meta.delivery_registry where delivery_file like 'muenster/beratung/2026-09%'"
            ).fetchall()
        )
        kinds = {
            (c, s, p, k)
            for c, s, p, k in con.execute("select city, source, period, change_kind from meta.raw_changes").fetchall()
        }
    assert status == {"muenster/beratung/2026-09.parquet": "quarantined"}
    assert ("muenster", "meldewesen", "2024-09", "replacement") in kinds
    assert ("enschede", "meldewesen", "2026-09", "new_period") in kinds
    builds = w.dbt()
    one = _modes(builds)
    assert {m: one[m] for m in CITY_INCREMENTAL} == {m: ("incremental", CITIES[::-1]) for m in CITY_INCREMENTAL}
    # of the stock-driven models' inputs only Münster's stock of 2025-09-30 came: that reference
    # date is recomputed, and in fct_schools every period within its 92 days' reach
    assert {m: one[m] for m in PERIOD_INCREMENTAL} == {m: ("incremental", ["muenster"]) for m in PERIOD_INCREMENTAL}
    reach = ["muenster 2025-06-30", "muenster 2025-09-30", "muenster 2025-10-15", "muenster 2025-12-31"]
    assert _periods(builds) == {
        m: reach if m == "marts.fct_schools" else ["muenster 2025-09-30"] for m in PERIOD_INCREMENTAL
    }

    # increment 2, Münster's files: the month left out, a late bestand, a district reform, the
    # fixed delivery; nothing new from Enschede but a quality-gate block of one of its months,
    # which changes its staging without any file (batched: one dbt run for both)
    w.land("muenster/meldewesen/2026-08.parquet")
    w.land("muenster/bestand/2026-06-30.parquet")
    w.land("", _district_reform(world / "muenster/gebiete/current.parquet"), "muenster/gebiete/current_v2.parquet")
    w.land("muenster/beratung/2026-09.parquet", as_name="muenster/beratung/2026-09_v2.parquet")
    w.load()
    with connect(w.warehouse) as con:
        kinds = {
            (c, s, p, k)
            for c, s, p, k in con.execute(
                "select city, source, period, change_kind from meta.raw_changes where load_id = "
                "(select run_id from meta.load_runs order by started_at desc limit 1)"
            ).fetchall()
        }
        con.execute(
            "insert into meta.quality_gate values ('enschede', 'meldewesen', '', '2025-03', 'test_block', 'test', ?)",
            [datetime(2026, 10, 1)],
        )
    assert {
        ("muenster", "gebiete", "current", "replacement"),
        ("muenster", "beratung", "2026-09", "new_period"),
        ("muenster", "bestand", "2026-06-30", "new_period"),
        ("muenster", "meldewesen", "2026-08", "new_period"),
    } <= kinds
    assert not any(c == "enschede" for c, *_ in kinds)  # Enschede's recompute is the gate block's
    builds = w.dbt()
    two = _modes(builds)
    assert {m: two[m] for m in CITY_INCREMENTAL} == {m: ("incremental", CITIES[::-1]) for m in CITY_INCREMENTAL}
    # the stock-driven models: only Münster (Enschede's gate block is of its movements), and there
    # only the late stock's reference date - or the whole city where the district reform reaches
    assert {m: two[m] for m in PERIOD_INCREMENTAL} == {m: ("incremental", ["muenster"]) for m in PERIOD_INCREMENTAL}
    assert _periods(builds) == {m: [] if m in READS_GEBIETE else ["muenster 2026-06-30"] for m in PERIOD_INCREMENTAL}
    # and a run with nothing new recomputes nothing
    assert _modes(w.dbt("--select", "int_population_counts")) == {
        "intermediate.int_population_counts": ("unchanged", [])
    }

    incremental = _fingerprints(w.warehouse)
    # the same raw layer, every model rebuilt: in place (the same profile, so dbt parses partially)
    assert all(mode == "full" for mode, _ in _modes(w.dbt("--full-refresh")).values())
    expected = _fingerprints(w.warehouse)

    assert set(incremental) == set(expected)
    differing = sorted(t for t in expected if incremental[t] != expected[t])
    assert differing == []
    # a test that cannot fail proves nothing: every case moved its rows of the compared tables
    # (an increment that missed one would differ from the rebuild there), and a planted
    # difference of each kind is caught in the table it was planted in
    final_slices = _slice_prints(w.warehouse)
    assert [case for case in CASE_SLICES if final_slices[case] == first_slices[case]] == []
    gate = final_slices.pop("a quality-gate block")
    assert gate[0] == 0 and all(rows > 0 for rows, _ in final_slices.values()), final_slices  # blocked: gone
    _assert_planted_differences_caught(w.warehouse, expected)

    # a change of the dbt code rebuilds in full (without --full-refresh), and says why
    import orchestration.dbt_project as dbt_project

    monkeypatch.setattr(dbt_project, "dbt_code_version", lambda *a: "another-code-version")
    changed = _modes(w.dbt("--select", "int_population_counts"))["intermediate.int_population_counts"]
    assert changed == ("full", [])
    with connect(w.warehouse, read_only=True) as con:
        reason = con.execute(
            "select reason from meta.dbt_increment_runs where model = 'intermediate.int_population_counts' "
            "order by built_at desc limit 1"
        ).fetchone()[0]
    assert reason == "code changed"
