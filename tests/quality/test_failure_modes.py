"""A check that cannot run fails (and blocks); marts; the status command; the bench."""

from __future__ import annotations

import json
import shutil

import pytest
from qworld import gate_rows, sql

import quality
from quality import gx_engine
from quality.suites import SUITE_DIR, SuiteError, load_suite


@pytest.fixture
def suite_dir(tmp_path):
    target = tmp_path / "suites"
    shutil.copytree(SUITE_DIR, target)
    return target


@pytest.mark.parametrize("breakage", ["not json", "unknown type", "no severity", "no expectations"])
def test_broken_suite_file_fails_and_blocks(warehouse, suite_dir, breakage):
    path = suite_dir / "raw_gebiete.json"
    data = json.loads(path.read_text())
    if breakage == "not json":
        path.write_text(path.read_text()[:-20])
    else:
        if breakage == "unknown type":
            data["expectations"][0]["type"] = "expect_column_values_to_be_wonderful"
        elif breakage == "no severity":
            del data["expectations"][0]["meta"]["severity"]
        else:
            data["expectations"] = []
        path.write_text(json.dumps(data))
    results = quality.run_raw_checks(warehouse, kinds=("suites",), tables=["gebiete"], suite_dir=suite_dir)
    assert results and all(r.outcome == "error" and r.severity == "error" for r in results)
    assert {g[:4] for g in gate_rows(warehouse)} == {
        ("wuppertal", "gebiete", "", "current"),
        ("enschede", "gebiete", "", "current"),
    }


def test_load_suite_rejects_duplicate_check_names(suite_dir):
    path = suite_dir / "raw_gebiete.json"
    data = json.loads(path.read_text())
    data["expectations"][1]["meta"]["check"] = data["expectations"][0]["meta"]["check"]
    path.write_text(json.dumps(data))
    with pytest.raises(SuiteError, match="duplicate"):
        load_suite("raw_gebiete", suite_dir)


def test_missing_great_expectations_fails_the_check(warehouse, monkeypatch):
    def no_gx():
        raise ImportError("No module named 'great_expectations'")

    monkeypatch.setattr(gx_engine, "_batch_definition", no_gx)
    results = quality.run_raw_checks(
        warehouse, cities=["enschede"], kinds=("suites", "reconciliation"), tables=["bestand"]
    )
    assert results and all(r.outcome == "error" for r in results)
    assert ("enschede", "bestand", "", "2024-03-31") in {g[:4] for g in gate_rows(warehouse)}


def _fluctuation(path, inflows_q1: int):
    sql(path, "CREATE SCHEMA IF NOT EXISTS marts")
    sql(
        path,
        f"""CREATE OR REPLACE TABLE marts.fct_fluctuation AS SELECT * FROM (VALUES
        ('wuppertal', 'quarter', '2024-Q1', 'INSGESAMT', 'INSGESAMT', 30, 20, 5, 4, 9, 'register', 12.0),
        ('wuppertal', 'quarter', '2024-Q2', 'INSGESAMT', 'INSGESAMT', 31, 21, 5, 4, 9, 'register', 12.0),
        ('enschede', 'quarter', '2024-Q1', 'INSGESAMT', 'INSGESAMT', {inflows_q1}, 20, 5, 4, 9, 'register', 12.0))
        v(city, period_type, period_key, district_code, nationality_group, inflows, outflows, births, deaths,
          moves_within, basis, rate_gross_per_1000)""",
    )


def test_mart_check_blocks_the_failing_city_period_and_missing_marts_fail(warehouse):
    _fluctuation(warehouse, inflows_q1=-4)
    results = quality.run_mart_checks(warehouse, ["fct_fluctuation", "fct_exchange_cells"])
    bad = [r for r in results if r.outcome != "passed"]
    assert {(r.check_name, r.city, r.period) for r in bad if r.asset == "fct_fluctuation"} == {
        ("mart.fct_fluctuation.inflows_not_negative", "enschede", "2024-Q1")
    }
    missing = [r for r in results if r.asset == "fct_exchange_cells"]
    assert len(missing) == 1 and missing[0].outcome == "error" and "does not exist" in missing[0].details
    assert {g[:4] for g in gate_rows(warehouse)} == {("enschede", "fct_fluctuation", "", "2024-Q1")}
    _fluctuation(warehouse, inflows_q1=30)  # fixed mart: block lifted
    quality.run_mart_checks(warehouse, ["fct_fluctuation"])
    assert gate_rows(warehouse) == []


def test_status_command_shows_blocked_cities_without_pseudonyms(warehouse, capsys):
    from quality.__main__ import main

    sql(
        warehouse,
        "UPDATE raw.bestand SET bezirk = '99' WHERE city = 'enschede' AND stichtag = DATE '2024-06-30' AND source_line = 2",
    )
    quality.run_raw_checks(warehouse, kinds=("suites",), tables=["bestand"])
    code = main(["status", "--warehouse", str(warehouse)])
    out = capsys.readouterr().out
    assert code == 1
    assert "enschede" in out and "BLOCKED" in out and "bezirk_valid_on_stichtag" in out
    assert "wuppertal" in out and "2024-06-30" in out
    pseudonyms = {r[0] for r in sql(warehouse, "SELECT person_pseudonym FROM raw.bestand")}
    assert not any(p in out for p in pseudonyms)
    recorded = " ".join(
        str(r) for r in sql(warehouse, "SELECT details FROM meta.quality_results WHERE details IS NOT NULL")
    )
    assert "<masked>" in recorded or "source_line" in recorded
    assert not any(p in recorded for p in pseudonyms)


def test_bench_reports_figures(tmp_path, capsys):
    from qworld import build, write

    small = {
        t: (f.filter(f["city"] == "enschede") if t in ("gebiete", "wohnen_wohnungsbestand") else f.head(0))
        for t, f in build(persons=20).items()
    }
    path = tmp_path / "bench.duckdb"
    write(small, path)
    figures = quality.bench_checks(path, load_seconds=10.0)
    assert set(figures["by_kind_s"]) == {"suites", "profile", "completeness", "reconciliation", "plausibility"}
    assert figures["share_of_load"] == pytest.approx(figures["checks_s"] / 10.0, abs=0.01)
    assert "checks add" in capsys.readouterr().out
