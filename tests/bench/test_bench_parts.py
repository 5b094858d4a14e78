"""The parts of `make bench` that are not a world: which sections run, the engine floor, the
planner percentiles, the profile read off the full pipeline's lines and the runs' materialisations."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from orchestration import bench_planner
from orchestration.bench import chosen_sections, full_over_floor
from orchestration.bench_floor import delivered_files, engine_floor
from orchestration.bench_increments import dbt_model_times, pipeline_profile, scale_for_events, world_scales


# ------------------------------------------------------------------ sections
def test_only_runs_the_named_sections_alone():
    assert chosen_sections("increments", "", 10e6, 0) == {"increments"}
    assert chosen_sections("planner,demo", "", 10e6, 0) == {"planner", "demo"}
    assert chosen_sections("generate", "", 10e6, 1e6) == {"generate"}
    assert chosen_sections("engines", "", 10e6, 0) == {"engines"}


def test_default_and_skip():
    default = chosen_sections("", "", 10e6, 0)
    assert default == {"ingest", "demo", "large", "chaos", "family", "increments", "engines"}
    assert "generate" in chosen_sections("", "", 10e6, 1e8)
    assert chosen_sections("", "chaos,family", 10e6, 0) == default - {"chaos", "family"}
    assert "large" not in chosen_sections("", "", 0, 0)  # --large-events 0 skips it
    assert chosen_sections("demo,chaos", "chaos", 10e6, 0) == {"demo"}


@pytest.mark.parametrize("only, skip, generate", [("incrments", "", 0), ("", "demo,nope", 0), ("generate", "", 0)])
def test_a_wrong_section_is_an_error_not_an_empty_run(only, skip, generate):
    with pytest.raises(ValueError):
        chosen_sections(only, skip, 10e6, generate)


def test_full_over_floor_needs_both_sides():
    fig = {"floor_s": 2.0, "load_run_s": 3.0, "checks_run_s": 1.0, "dbt_build_s": 4.0}
    full_over_floor(fig)
    assert fig["pipeline_s"] == 8.0 and fig["full_over_floor"] == 4.0
    no_floor = {"load_run_s": 3.0}
    full_over_floor(no_floor)
    assert "full_over_floor" not in no_floor


# ------------------------------------------------------------------ engine floor
def _landing(tmp_path):
    landing = tmp_path / "landing"
    (landing / "x" / "meldewesen").mkdir(parents=True)
    (landing / "x" / "bestand").mkdir(parents=True)
    (landing / "y" / "meldewesen").mkdir(parents=True)
    (landing / "official" / "genesis").mkdir(parents=True)
    (landing / "x" / "meldewesen" / "2024-01.csv").write_text("a;b\n1;2\n3;4\n5;6\n")
    (landing / "x" / "meldewesen" / "2024-02.csv").write_text("a;b\n7;8\n")
    pl.DataFrame({"p": [1, 2]}).write_parquet(landing / "x" / "bestand" / "2024-03-31.parquet")
    pl.DataFrame({"p": [3, 4, 5]}).write_parquet(landing / "x" / "bestand" / "2024-06-30.parquet")
    pl.DataFrame({"k": ["a", "b", "c", "d"]}).write_excel(landing / "y" / "meldewesen" / "2024-01.xlsx")
    # a Latin-1 table with a title line: DuckDB's sniffer alone does not read it
    (landing / "official" / "genesis" / "t.csv").write_bytes(
        "Tabelle: Wanderungen Münster\nx;y\n1;2\n".encode("latin-1")
    )
    (landing / "DEMO_SYNTHETIC_DATA.txt").write_text("synthetic")
    (landing / ".demo_files.json").write_text("{}")
    (landing / "x" / "gebiete").mkdir()
    (landing / "x" / "gebiete" / "current.geojson").write_text("{}")
    return landing


def test_floor_reads_every_delivered_file_into_tables(tmp_path):
    landing = _landing(tmp_path)
    groups = delivered_files(landing)
    assert set(groups) == {
        ("x", "meldewesen", ".csv"),
        ("x", "bestand", ".parquet"),
        ("y", "meldewesen", ".xlsx"),
        ("official", "genesis", ".csv"),
    }
    assert len(groups[("x", "meldewesen", ".csv")]) == 2
    db = tmp_path / "floor.duckdb"
    fig = engine_floor(landing, db, log=lambda _: None)
    assert fig["floor_files"] == 6
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*), sum(a) from x_meldewesen_csv").fetchone() == (4, 16)
        assert con.execute("select sum(p) from x_bestand_parquet").fetchone()[0] == 15
        assert con.execute("select count(*) from y_meldewesen_xlsx").fetchone()[0] == 4
    # 4 + 5 + 4 rows, and the official table's rows however DuckDB splits its title
    assert fig["floor_rows"] >= 13
    assert fig["floor_s"] >= 0 and set(fig["floor_per_source_s"]) == {
        "meldewesen.csv",
        "bestand.parquet",
        "meldewesen.xlsx",
        "genesis.csv",
    }


def test_floor_of_a_broken_file_fails_loudly(tmp_path):
    landing = tmp_path / "landing"
    (landing / "x" / "bestand").mkdir(parents=True)
    (landing / "x" / "bestand" / "2024-03-31.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(duckdb.Error):
        engine_floor(landing, tmp_path / "floor.duckdb", log=lambda _: None)


# ------------------------------------------------------------------ planner percentiles
def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 51)]
    assert bench_planner._percentile(values, 0.95) == 48.0
    assert bench_planner._percentile(values, 0.5) == 25.0
    assert bench_planner._percentile([7.0], 0.95) == 7.0


def test_planner_queries_are_timed_read_only(tmp_path, monkeypatch):
    db = tmp_path / "published.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create schema alliance")
        con.execute("create table alliance.t as select range as v from range(1000)")
    monkeypatch.setattr(
        bench_planner, "queries", lambda: ["select count(*) from alliance.t", "select v from alliance.t where v < 10"]
    )
    rows = bench_planner.time_planner_queries(db, runs=5)
    timed = [r for r in rows if "p95_ms" in r]
    assert [r["query"] for r in timed] == ["1:alliance.t", "2:alliance.t"]
    assert [r["rows"] for r in timed] == [1, 10]
    assert all(0 <= r["p50_ms"] <= r["p95_ms"] <= r["max_ms"] for r in timed)
    flat = bench_planner.planner_figures(rows)
    assert flat["planner_worst_p95_ms"] == max(r["p95_ms"] for r in timed)
    # a query that writes cannot run on the planners' read-only connection
    monkeypatch.setattr(bench_planner, "queries", lambda: ["drop table alliance.t"])
    with pytest.raises(duckdb.Error):
        bench_planner.time_planner_queries(db, runs=1)


# ------------------------------------------------------------------ profile and sizes
def test_profile_reads_steps_load_lines_and_long_dbt_models(tmp_path):
    progress = [
        "-- stage 1/2: 1 assets (raw_city_deliveries)",
        "   raw_city_deliveries: done (12.5 s)",
        "   warehouse_dbt_models: done (40.0 s)",
        "   warehouse_dbt_models: done (2.0 s)",
        "   warning: something",
    ]
    ingest = [
        "muenster     meldewesen                   92 files        4,175 rows     0.6 s",
        "enschede     bestand                      31 files       29,420 rows     0.2 s",
        "muenster/2024-01.csv replaces muenster/2024-01_v1.csv",
        "batch writes: 3 transactions      221,582 rows     2.4 s",
    ]
    runs = [_run({"fct_slow": 9.04, "stg_fast": 0.3, "raw__bestand_gx_suite": None}), _run({"fct_slow": 1.0})]
    profile = pipeline_profile(progress, ingest, dbt_model_times(runs))
    assert profile["steps"] == {"raw_city_deliveries": 12.5, "warehouse_dbt_models": 42.0}
    assert profile["load"]["muenster/meldewesen"] == {"files": 92, "rows": 4175, "s": 0.6}
    assert set(profile["load"]) == {"muenster/meldewesen", "enschede/bestand", "(batch writes)"}
    assert profile["load"]["(batch writes)"] == {"files": 3, "rows": 221_582, "s": 2.4}
    # a model built by two dbt ops of the run (or two runs) counts with both; a check has no duration
    assert profile["dbt_models"] == [("fct_slow", 10.0)]
    assert dbt_model_times(runs, 0.2) == [("fct_slow", 10.0), ("stg_fast", 0.3)]


def _run(durations: dict[str, float | None]):
    """A Dagster run's result as dbt_model_times reads it: materialisations with dagster-dbt's
    "Execution Duration" (none for a check's asset), and an event that is no materialisation."""
    from types import SimpleNamespace as NS

    def materialized(name, seconds):
        metadata = {} if seconds is None else {"Execution Duration": NS(value=seconds)}
        materialization = NS(asset_key=NS(path=["marts", name]), metadata=metadata)
        return NS(is_step_materialization=True, step_materialization_data=NS(materialization=materialization))

    events = [NS(is_step_materialization=False)] + [materialized(n, s) for n, s in durations.items()]
    return NS(all_events=events)


def test_sizes_in_events_follow_the_measured_relation():
    # measured: 0.1 of scale wrote 89,385 events, 0.75 about 645 k
    assert scale_for_events(89_385) == pytest.approx(0.1, abs=0.005)
    assert scale_for_events(645_000) == pytest.approx(0.75, abs=0.01)
    assert world_scales("0.005,0.02") == [0.005, 0.02]
    small, large = world_scales("0.005", "1e5,1e6")
    assert 0.1 < small < 0.12 and 1.1 < large < 1.2


def test_floor_phase_runs_in_its_own_process_like_the_pipeline_phases(tmp_path):
    """The demo and large worlds time their floor as a phase (own interpreter, own peak RSS)."""
    from orchestration.bench import run_phase

    figures: dict = {}
    floor = run_phase(figures, "floor", "orchestration.bench:phase_floor", landing=str(_landing(tmp_path)))
    assert floor["floor_files"] == 6 and floor["floor_s"] >= 0
    assert figures["floor_s"] > 0 and figures["floor_peak_rss_mb"] > 0
    figures.update({k: v for k, v in floor.items() if k != "floor_per_source_s"}, load_run_s=1.0, dbt_build_s=1.0)
    full_over_floor(figures)
    assert figures["full_over_floor"] == round(2.0 / figures["floor_s"], 1)


# ------------------------------------------------------------------ engines
def test_engines_comparison_names_every_difference(tmp_path):
    import duckdb

    from orchestration.bench_engines import served_differences

    for name, ddl in (
        ("a", "create table marts.t as select 1::bigint as n, 'x' as s; create table marts.only_a as select 1 as x"),
        ("b", "create table marts.t as select 1::hugeint as n, 'x' as s union all select 2, 'y'"),
    ):
        con = duckdb.connect(str(tmp_path / f"{name}.duckdb"))
        con.execute("create schema marts; create schema staging; create table staging.person as select 1 as id")
        con.execute(ddl)
        con.close()
    compared, problems = served_differences(tmp_path / "a.duckdb", tmp_path / "b.duckdb")
    assert compared == 1  # marts.t; staging is not a served schema
    assert problems == [
        "marts.only_a: only on DuckDB",
        "marts.t: columns ('n', 'BIGINT') vs ('n', 'HUGEINT')",
        "marts.t: 1 rows on DuckDB, 2 on Spark",
    ]
    same, none = served_differences(tmp_path / "a.duckdb", tmp_path / "a.duckdb")
    assert (same, none) == (2, [])
