"""The leak scan over every artefact that leaves the city layer (reports/leakscan.py): planted
leaks of each kind in each kind of artefact are caught, what is no count (years, codes, ranks,
shares) is not flagged, the blocking steps (publish, export, workbook) refuse, and the small
demo build passes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest

from orchestration.exchange import PackageRejected, export_package, verify_package
from orchestration.publish import PublishError, publish
from reports import leakscan
from reports.leakscan import LeakFound, scan, scan_path

from .conftest import GATE_ROWS, make_exchange_warehouse
from .test_publish import make_warehouse

HEX = "0123456789abcdef0123456789abcdef"  # 32 hex characters: a pseudonym


def _published(tmp_path: Path, sql: str) -> Path:
    """A tiny published-looking DuckDB file with one table made by `sql`."""
    path = tmp_path / "pub.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists alliance; create schema if not exists official")
        con.execute(sql)
    return path


CLEAN_TABLE = """create table alliance.t as select * from (values
    ('dortmund', 2026, 'ava_share', 'percent', 1.0, 5.0, 30.0, 1, 2, false, '05913000'),
    ('dortmund', 2026, 'inflow', 'count', 40.0, 40.0, null, 2, 2, false, '01'),
    ('duisburg', 2025, 'inflow', 'count', null, null, null, null, 2, true, '02'))
    t(city, year, indicator_id, unit, value, numerator, denominator, rank_among_cities, n_cities_ranked,
      is_suppressed, district_code)"""


def test_clean_table_with_years_codes_ranks_and_shares_passes(tmp_path):
    assert scan_path(_published(tmp_path, CLEAN_TABLE)) == []


@pytest.mark.parametrize(
    "sql, finding",
    [
        (
            "insert into alliance.t values ('x', 2026, 'inflow', 'count', 7.0, 7.0, 1.0, 1, 2, false, '03')",
            "t.denominator",
        ),
        ("insert into alliance.t values ('x', 2026, 'inflow', 'count', 2.0, null, null, 1, 2, false, '03')", "t.value"),
        (
            f"insert into alliance.t values ('{HEX}', 2026, 'a', 'percent', 0.5, 9, 9, 1, 2, false, '03')",
            "t.city: pseudonym",
        ),
        ("alter table alliance.t add column birth_date date", "t.birth_date: person-level"),
        ("alter table alliance.t add column person_id varchar", "t.person_id: person-level"),
        ("alter table alliance.t add column strasse varchar", "t.strasse: person-level"),
        ("create table alliance.curves as select 2::bigint as n_at_risk, 2024 as arrival_year", "curves.n_at_risk"),
    ],
)
def test_planted_leak_in_the_published_duckdb_is_found(tmp_path, sql, finding):
    path = _published(tmp_path, CLEAN_TABLE)
    with duckdb.connect(str(path)) as con:
        con.execute(sql)
    problems = scan_path(path)
    assert any(finding in p for p in problems), problems


def test_official_tables_keep_their_small_figures_but_not_pseudonyms(tmp_path):
    path = _published(tmp_path, "create table official.m as select 2.0 as zuzuege, 2015 as year, 'x' as note")
    assert scan_path(path) == []
    with duckdb.connect(str(path)) as con:
        con.execute(f"update official.m set note = 'row {HEX}'")
    assert any("official.m.note: pseudonym" in p for p in scan_path(path))


def test_planted_leak_in_parquet_is_found(tmp_path):
    folder = tmp_path / "parquet"
    folder.mkdir()
    pl.DataFrame(
        {"city": ["a", "b"], "numerator": [5.0, 2.0], "year": [2, 2], "is_suppressed": [False, False]}
    ).write_parquet(folder / "alliance.fct_x.parquet")
    problems = scan_path(folder)
    assert problems == ["parquet: alliance.fct_x.numerator: 1 unsuppressed value(s) of 1 or 2"]
    pl.DataFrame({"geburtsdatum": ["2001-01-01"]}).write_parquet(folder / "exchange.fct_y.parquet")
    assert any("geburtsdatum: person-level" in p for p in scan_path(folder))


def _workbook(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return path


def test_planted_leak_in_excel_is_found(tmp_path):
    header = ["city", "year", "indicator_id", "unit", "numerator", "value", "rank_among_cities", "is_suppressed"]
    clean = [
        header,
        ["dortmund", 2026, "ava_share", "percent", 40, 1.0, 1, False],
        ["x", 2025, "inflow", "count", None, None, 2, True],
    ]
    assert scan_path(_workbook(tmp_path / "clean.xlsx", clean)) == []
    cases = {
        "numerator=2": [["dortmund", 2026, "ava_share", "percent", 2, 0.1, 3, False]],
        "value=1": [["dortmund", 2026, "inflow", "count", None, 1, 3, False]],
        "pseudonym": [[HEX, 2026, "inflow", "count", 40, 40, 3, False]],
    }
    for finding, rows in cases.items():
        problems = scan_path(_workbook(tmp_path / "leak.xlsx", clean + rows))
        assert any(finding in p for p in problems), (finding, problems)
    problems = scan_path(_workbook(tmp_path / "person.xlsx", [["Adresse", "n"], ["Hauptstr. 1", 40]]))
    assert any("'Adresse' is person-level" in p for p in problems)


def test_planted_leak_in_report_html_and_pdf_is_found(tmp_path):
    import typst

    html = tmp_path / "r.html"
    html.write_text("<table><tr><th>Zuzüge</th></tr><tr><td>2</td></tr></table>", encoding="utf-8")
    assert any("count of 1 or 2" in p for p in scan_path(html))
    html.write_text(f"<p>id {HEX}</p><table><tr><td>1.234</td></tr></table>", encoding="utf-8")
    assert any("pseudonym" in p for p in scan_path(html))

    source = tmp_path / "r.typ"
    source.write_text("= Bericht 2026-Q3\nZuzüge insgesamt: 1.234\n", encoding="utf-8")
    typst.compile(str(source), output=str(tmp_path / "clean.pdf"))
    assert scan_path(tmp_path / "clean.pdf") == []
    source.write_text(f"= Bericht\nPerson {HEX} zog zu.\n", encoding="utf-8")
    typst.compile(str(source), output=str(tmp_path / "leak.pdf"))
    assert any("pseudonym" in p for p in scan_path(tmp_path / "leak.pdf"))


def test_planted_leak_in_a_report_manifest_is_found(tmp_path):
    record = {
        "quarter": "2026-Q3",
        "report_suppressed_cells": 2,
        "missing_cities": [],
        "outputs": {"html": {"sha256": "f" * 64}},
        "sources": {"last_load_run": ["2b05fc7f4c81457aa6a6ec350a068951", "2026-12-03 10:03:01"]},  # a run id
    }
    path = tmp_path / "report.json"
    path.write_text(json.dumps(record))
    assert scan_path(path) == []  # a number of suppressed cells, a SHA-256 and a run id are no leak
    for planted, finding in [
        ({"missing_cities": [["dortmund", f"file of {HEX}"]]}, "pseudonym"),
        ({"charts": [{"numerator": 2}]}, "numerator=2 is a count"),
        ({"person_id": None}, "person-level key"),
        ({"sources": {"last_load_run": [f"of {HEX}"]}}, "pseudonym"),  # only a bare run id is exempt
    ]:
        path.write_text(json.dumps({**record, **planted}))
        assert any(finding in p for p in scan_path(path)), planted


def test_planted_leak_in_dagster_metadata_is_found():
    import dagster as dg

    clean = {
        "rows": 2,
        "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn("city"), dg.TableColumn("numerator")]),
    }
    record = {"asset": "alliance/fct_x", "metadata": leakscan.plain_metadata(clean)}
    assert leakscan.scan_dagster([record]) == []  # a row count of 2 counts rows, not persons
    leaky = dict(clean, **{"dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn("person_id")]), "note": HEX})
    problems = leakscan.scan_dagster([{"asset": "alliance/fct_x", "metadata": leakscan.plain_metadata(leaky)}])
    assert any("person-level column 'person_id'" in p for p in problems)
    assert any("note: pseudonym" in p for p in problems)


def test_planted_pseudonym_in_recorded_materialization_metadata_is_found():
    """Through Dagster itself: assets of the alliance and exchange groups record metadata in a run
    and in an instance; the scan reads the materialisations of those groups (the run's results as
    the demo does, the instance's latest as `--dagster` does) and finds a planted pseudonym and a
    count of 1 or 2; an asset of the city layer (group marts) is not read."""
    import dagster as dg

    def leaky(name: str, group: str, metadata: dict):
        @dg.asset(name=name, group_name=group)
        def _asset():  # no annotation: the module has postponed annotations, dg is local
            return dg.MaterializeResult(metadata=metadata)

        return _asset

    assets = [
        leaky("fct_clean", "alliance", {"rows": 2, "note": "built from 2 cities"}),
        leaky("fct_x", "alliance", {"note": dg.MetadataValue.text(f"row of {HEX}")}),
        leaky("package", "exchange", {"summary": dg.MetadataValue.json({"cells": [{"numerator": 2}]})}),
        leaky("fct_city", "marts", {"note": f"row of {HEX}"}),  # the city layer's own metadata stays inside
    ]
    defs = dg.Definitions(assets=assets)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(assets, instance=instance)
    from_run = leakscan.dagster_records(leakscan.result_materializations([result]), defs=defs)
    from_instance = leakscan.dagster_records(leakscan.instance_materializations(instance, defs=defs), defs=defs)
    for records in (from_run, from_instance):
        assert {r["asset"] for r in records} == {"fct_clean", "fct_x", "package"}
        problems = leakscan.scan_dagster(records)
        assert sorted(problems) == [
            "dagster fct_x: note: pseudonym-like string",
            "dagster package: summary.cells[0].numerator=2 is a count of 1 or 2",
        ], problems


def test_scan_of_a_missing_path_fails():
    with pytest.raises(LeakFound, match="does not exist"):
        scan([Path("/nonexistent/published")])


# --- the blocking steps -------------------------------------------------------------------------


def test_publish_stops_on_a_pseudonym_in_a_text_column(tmp_path):
    wh = make_warehouse(tmp_path / "w.duckdb")
    target = tmp_path / "pub" / "warehouse.duckdb"
    publish(wh, target)
    before = target.read_bytes()
    with duckdb.connect(str(wh)) as con:
        con.execute(f"update alliance.fct_intercity_indicators set group_value = '{HEX}' where city = 'duisburg'")
    with pytest.raises(
        PublishError,
        match="leak scan found 1 problem.*duckdb: alliance.fct_intercity_indicators.group_value: pseudonym",
    ):
        publish(wh, target)
    assert target.read_bytes() == before  # the old copy stays current


def test_publish_stops_on_a_leak_in_the_parquet_files(tmp_path, monkeypatch):
    """The Parquet files are scanned as written, not taken for copies of the scanned DuckDB file."""
    from orchestration import publish as pub

    wh = make_warehouse(tmp_path / "w.duckdb")
    target = tmp_path / "pub" / "warehouse.duckdb"
    publish(wh, target)
    before = target.read_bytes()
    write = pub._write_parquet

    def leaky_write(db_file, parquet_dir, tables):
        write(db_file, parquet_dir, tables)
        pl.DataFrame({"numerator": [2.0]}).write_parquet(parquet_dir / "alliance.fct_intercity_indicators.parquet")

    monkeypatch.setattr(pub, "_write_parquet", leaky_write)
    with pytest.raises(PublishError, match="parquet: alliance.fct_intercity_indicators.numerator: 1 unsuppressed"):
        publish(wh, target)
    assert target.read_bytes() == before


def test_export_stops_on_a_pseudonym_and_writes_nothing(tmp_path):
    wh = make_exchange_warehouse(tmp_path / "c.duckdb", gate=[dict(GATE_ROWS[0], reason=f"file of {HEX} cut off")])
    with pytest.raises(PackageRejected, match="leak scan found.*quality_gate.parquet: reason: 1 pseudonym"):
        export_package("dortmund", "2026-Q3", tmp_path / "out", wh)
    assert [p for p in (tmp_path / "out").iterdir() if not p.name.startswith(".export")] == []


def test_import_refuses_a_signed_package_with_a_pseudonym(tmp_path):
    from .conftest import resign

    pkg = export_package("dortmund", "2026-Q3", tmp_path / "out", make_exchange_warehouse(tmp_path / "c.duckdb"))
    manifest = json.loads((pkg / "manifest.json").read_text())
    manifest["note"] = f"made from {HEX}"
    (pkg / "manifest.json").write_text(json.dumps(manifest))
    resign(pkg)
    with pytest.raises(PackageRejected, match="manifest.json: note: pseudonym"):
        verify_package(pkg)


def test_workbook_with_a_leak_is_not_written(tmp_path):
    from orchestration import publish as pub

    wh = make_warehouse(tmp_path / "w.duckdb")
    target = tmp_path / "pub" / "warehouse.duckdb"
    publish(wh, target)
    with duckdb.connect(str(target)) as con:
        # a leak after publication (by hand): the workbook writer scans what it writes
        con.execute(f"update reference.indicator_catalogue set caveats = 'see {HEX}'")
    with pytest.raises(PublishError, match="workbook not written.*pseudonym"):
        pub.write_excel("dortmund", ["ava_share"], tmp_path / "x.xlsx", target)
    assert not list(tmp_path.glob("*.xlsx")) and not list(tmp_path.glob(".x.*"))


# --- the small demo build ------------------------------------------------------------------------


@pytest.mark.slow
def test_the_demo_build_passes_the_scan(published_demo, tmp_path):
    """The published copy and Parquet, the exchange packages of both cities, a workbook and the
    metadata Dagster recorded for the alliance and exchange assets of the build: clean."""
    import time

    import dagster as dg
    from shared_demo_world import DAGSTER_METADATA

    from orchestration.defs.exchange import exchange_package
    from orchestration.publish import write_excel
    from orchestration.resources import WarehouseResource

    warehouse, published = published_demo
    outbox = tmp_path / "outbox"
    resource = WarehouseResource(database=str(warehouse), exchange_outbox_dir=str(outbox))
    records = json.loads((warehouse.parent / DAGSTER_METADATA).read_text())
    for city in ("muenster", "enschede"):
        result = dg.materialize(
            [exchange_package],
            partition_key=dg.MultiPartitionKey({"city": city, "quarter": "2026-Q3"}),
            resources={"warehouse": resource},
        )
        records += leakscan.dagster_records(result.asset_materializations_for_node("exchange_package"))
    workbook = write_excel("muenster", ["inflow", "ava_share"], tmp_path / "muenster.xlsx", published)
    assert {r["asset"] for r in records} >= {"alliance/fct_intercity_indicators", "exchange_package"}
    started = time.perf_counter()
    problems = scan([published.parent, outbox, workbook], records)
    seconds = time.perf_counter() - started
    print(f"leak scan of the small demo build: {seconds:.2f} s")  # a figure, not a limit
    assert problems == []
    # and the same build with one leak planted in a package copy is caught
    leaky = tmp_path / "leaky" / "muenster_2026-Q3"
    shutil.copytree(outbox / "muenster_2026-Q3", leaky)
    gate = pl.read_parquet(leaky / "cells.parquet")
    gate.with_columns(pl.lit(HEX).alias("method")).write_parquet(leaky / "cells.parquet")
    assert any("cells.parquet: method: " in p for p in scan([leaky]))
