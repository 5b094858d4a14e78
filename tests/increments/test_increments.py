"""Equality is the contract of the nightly increments: after a sequence of increments, every
table of marts, exchange, alliance and official equals a full rebuild from the same raw layer
(order-independent fingerprints, warehouse/fingerprint.py).

The world: Münster + Enschede at scale 0.005 from 2024-01 (a short history keeps dbt quick).
Held back at first and delivered in two increments, covering:
  1. months out of order (Münster 2026-09 in the first increment, 2026-08 in the second),
  2. a _v2 of a month two years back (Münster meldewesen 2024-09, one record less),
  3. a late bestand (Münster 2026-06-30, after the months up to 2026-09),
  4. a district reform (a new Münster gebiete: a district ends, a new code begins),
  5. a quarantined delivery later fixed (Münster beratung 2026-09: broken bytes, then a _v2),
  6. a plain new month (Enschede meldewesen 2026-09),
plus a block of the quality gate (Enschede meldewesen 2025-03), which changes staging without
any new file.

dbt runs through `run_dbt` (no dbt tests: tests/marts and the Dagster test run those); the
load through the pipeline's raw asset.
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
SCALE, SEED, START = 0.005, 20190101, "2024-01"
INCREMENTAL = {
    "intermediate.int_registration_spells",
    "intermediate.int_population_counts",
    "intermediate.int_dwell_time_counts",
    "intermediate.int_fluctuation_monthly",
    "marts.fct_dwell_time_stock",
    "marts.fct_segregation",
}
HELD_BACK = [
    "muenster/meldewesen/2026-08.parquet",
    "muenster/meldewesen/2026-09.parquet",
    "muenster/bestand/2026-06-30.parquet",
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
        self.target = root / "dbt_target"  # one target folder: dbt parses partially after the first run

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

    def seed(self) -> None:
        from orchestration.dbt_project import run_dbt

        run_dbt(["seed"], warehouse=self.warehouse, target_path=self.target, log=lambda _: None)

    def dbt(self, *args: str) -> list[dict]:
        """`dbt run ARGS`; returns what the city_incremental models did in this run."""
        from orchestration.dbt_project import run_dbt

        with connect(self.warehouse, read_only=True) as con:
            since = con.execute("select now()::timestamp").fetchone()[0]
        run_dbt(["run", *args], warehouse=self.warehouse, target_path=self.target, log=lambda _: None)
        from orchestration.increments import builds_since

        return builds_since(self.warehouse, since)


def _modes(builds: list[dict]) -> dict[str, tuple[str, list[str]]]:
    return {b["model"]: (b["mode"], sorted(b["cities"] or [])) for b in builds}


def _fingerprints(warehouse: Path) -> dict:
    with connect(warehouse, read_only=True) as con:
        return table_fingerprints(con, DEFAULT_SCHEMAS)


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


def test_increments_equal_a_full_rebuild(world, tmp_path, dagster_home, dbt_manifest):
    w = World(tmp_path / "w", world)
    shutil.copytree(world, w.landing)
    for rel in HELD_BACK:
        (w.landing / rel).unlink()
    w.load(with_official=True)
    w.seed()
    first = _modes(w.dbt())
    assert {m for m, (mode, _) in first.items() if mode == "full"} == INCREMENTAL  # no table yet

    # increment 1: a month ahead of the one missing, a _v2 two years back, a broken delivery,
    # Enschede's new month
    w.land("muenster/meldewesen/2026-09.parquet")
    w.land(
        "", _v2_one_record_less(world / "muenster/meldewesen/2024-09.parquet"), "muenster/meldewesen/2024-09_v2.parquet"
    )
    w.land("", b"PAR1 this is not a parquet file PAR1", "muenster/beratung/2026-09.parquet")
    w.land("enschede/meldewesen/2026-09.csv")
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
    one = _modes(w.dbt())
    assert one == {m: ("incremental", CITIES[::-1]) for m in INCREMENTAL}  # both cities changed

    # increment 2, Münster only: the month left out, a late bestand, a district reform, the fixed
    # delivery; nothing new from Enschede
    w.land("muenster/meldewesen/2026-08.parquet")
    w.land("muenster/bestand/2026-06-30.parquet")
    w.land("", _district_reform(world / "muenster/gebiete/current.parquet"), "muenster/gebiete/current_v2.parquet")
    w.land("muenster/beratung/2026-09.parquet", as_name="muenster/beratung/2026-09_v2.parquet")
    w.load()
    with connect(w.warehouse, read_only=True) as con:
        kinds = {
            (s, p, k)
            for s, p, k in con.execute(
                "select source, period, change_kind from meta.raw_changes where city = 'muenster'"
            ).fetchall()
        }
    assert {("gebiete", "current", "replacement"), ("beratung", "2026-09", "new_period")} <= kinds
    two = _modes(w.dbt())
    assert two == {m: ("incremental", ["muenster"]) for m in INCREMENTAL}

    # increment 3: a quality-gate block of an Enschede month, no file at all
    with connect(w.warehouse) as con:
        con.execute(
            "insert into meta.quality_gate values ('enschede', 'meldewesen', '', '2025-03', 'test_block', 'test', ?)",
            [datetime(2026, 10, 1)],
        )
    three = _modes(w.dbt())
    assert three == {m: ("incremental", ["enschede"]) for m in INCREMENTAL}
    # and a run with nothing new recomputes nothing
    assert _modes(w.dbt("--select", "int_population_counts")) == {
        "intermediate.int_population_counts": ("unchanged", [])
    }

    incremental = _fingerprints(w.warehouse)
    rebuilt = tmp_path / "rebuilt.duckdb"
    shutil.copy(w.warehouse, rebuilt)
    full = World(tmp_path / "w", world)
    full.warehouse = rebuilt  # the same raw layer, every model rebuilt
    assert all(mode == "full" for mode, _ in _modes(full.dbt("--full-refresh")).values())
    expected = _fingerprints(rebuilt)

    assert set(incremental) == set(expected)
    differing = sorted(t for t in expected if incremental[t] != expected[t])
    assert differing == []
    # the increments did change what they should have (a test that cannot fail proves nothing)
    assert incremental["marts.fct_dwell_time_stock"]["rows"] > 0


def test_a_code_change_rebuilds_in_full(world, tmp_path, monkeypatch, dagster_home, dbt_manifest):
    import orchestration.dbt_project as dbt_project

    w = World(tmp_path / "w", world)
    shutil.copytree(world, w.landing)
    w.load()
    w.seed()
    select = ["--select", "+int_population_counts"]
    assert _modes(w.dbt(*select))["intermediate.int_population_counts"][0] == "full"
    assert _modes(w.dbt(*select))["intermediate.int_population_counts"] == ("unchanged", [])
    monkeypatch.setattr(dbt_project, "dbt_code_version", lambda *a: "another-code-version")
    changed = _modes(w.dbt(*select))["intermediate.int_population_counts"]
    assert changed == ("full", [])
    with connect(w.warehouse, read_only=True) as con:
        reason = con.execute(
            "select reason from meta.dbt_increment_runs where model = 'intermediate.int_population_counts' "
            "order by built_at desc limit 1"
        ).fetchone()[0]
    assert reason == "code changed"
