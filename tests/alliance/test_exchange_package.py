"""Exchange packages: export/import round trip, rejection of tampered or leaky packages."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb
import polars as pl
import pytest

from orchestration import exchange
from orchestration.exchange import (
    REGISTER_VS_OFFICIAL_COLUMNS,
    PackageRejected,
    disclosure_problems,
    export_package,
    import_package,
    verify_package,
)

from .conftest import (
    CLEAN_CELLS,
    CLEAN_DISTRICT_CELLS,
    DUNKELZIFFER_ROWS,
    RETENTION_ROWS,
    RVO_ROWS,
    cell,
    dunkelziffer_row,
    make_exchange_warehouse,
    rvo_row,
    write_manifest,
)

ALL_FILES = {
    "cells.parquet",
    "quality_gate.parquet",
    "district_cells.parquet",
    "retention_curves.parquet",
    "dunkelziffer_estimates.parquet",
    "register_vs_official.parquet",
}
NEW_FILES = sorted(ALL_FILES - {"cells.parquet", "quality_gate.parquet"})


def _frame(rows):
    return pl.DataFrame(
        rows,
        schema={
            c: {"VARCHAR": pl.String, "BOOLEAN": pl.Boolean, "DOUBLE": pl.Float64}[t]
            for c, t in exchange.CELL_COLUMNS.items()
        },
    )


# --- Python side of the disclosure rules -------------------------------------------------


def test_clean_cells_pass():
    assert disclosure_problems(_frame(CLEAN_CELLS)) == []


def test_published_small_count_is_found():
    rows = CLEAN_CELLS + [cell(indicator_id="outflow", breakdown="total", numerator=2)]
    problems = disclosure_problems(_frame(rows))
    assert any("count of 1 or 2" in p for p in problems)


def test_small_denominator_is_found():
    rows = [cell(indicator_id="ava_share", breakdown="total", numerator=0, denominator=1, value=0.0)]
    assert any("count of 1 or 2" in p for p in disclosure_problems(_frame(rows)))


def test_official_small_count_is_allowed():
    rows = [cell(indicator_id="official_inflow", breakdown="total", basis="official", numerator=2)]
    assert disclosure_problems(_frame(rows)) == []


def test_single_hidden_cell_next_to_published_total_is_found():
    rows = [r for r in CLEAN_CELLS if r["group_value"] != "ASYL8"]  # the complement is missing
    problems = disclosure_problems(_frame(rows))
    assert any("recoverable by subtraction" in p for p in problems)


def test_suppressed_cell_with_number_is_found():
    rows = CLEAN_CELLS[:2] + [
        dict(cell(group_value="EU2", is_total=False, is_suppressed=True, suppression_reason="primary"), numerator=1.0),
        cell(group_value="ASYL8", is_total=False, is_suppressed=True, suppression_reason="secondary"),
    ]
    assert any("still carry numbers" in p for p in disclosure_problems(_frame(rows)))


def test_pseudonym_column_is_found():
    frame = _frame(CLEAN_CELLS).with_columns(pl.lit("ab" * 16).alias("person_pseudonym"))
    assert any("person-level" in p for p in disclosure_problems(frame))


# --- export / import -------------------------------------------------------------------------


def test_round_trip(tmp_path, exchange_warehouse):
    pkg = export_package("dortmund", "2026-Q3", tmp_path / "out", exchange_warehouse)
    manifest = json.loads((pkg / "manifest.json").read_text())
    assert manifest["city"] == "dortmund" and manifest["period"] == "2026-Q3"
    assert manifest["synthetic"] is True and manifest["basis"] == ["register"]
    assert manifest["schema_version"] == "2.1"
    assert set(manifest["files"]) == ALL_FILES == {p.name for p in pkg.iterdir()} - {"manifest.json", "manifest.sig"}
    rows = {name: f["rows"] for name, f in manifest["files"].items()}
    # only the city and quarter (snapshots: as of the quarter) travel
    assert rows == {
        "cells.parquet": 6,
        "quality_gate.parquet": 1,
        "district_cells.parquet": 16,
        "retention_curves.parquet": 3,
        "dunkelziffer_estimates.parquet": 4,
        "register_vs_official.parquet": 3,
    }
    assert all(len(f["sha256"]) == 64 and f["scope"] for f in manifest["files"].values())

    hub = tmp_path / "hub.duckdb"
    result = import_package(pkg, hub)
    assert result["status"] == "imported"
    con = duckdb.connect(str(hub), read_only=True)
    imported = con.execute("select * exclude (package_id, imported_at) from exchange_import.cells order by all").pl()
    gate = con.execute("select reason from exchange_import.quality_gate").fetchall()
    con.close()
    expected = pl.DataFrame(
        [r for r in CLEAN_CELLS if r["city"] == "dortmund" and r["period"] == "2026-Q3"], schema=imported.schema
    ).sort(imported.columns)
    assert imported.sort(imported.columns).equals(expected)
    assert gate == [("file cut off",)]
    expected_rows = {  # the rows of the fixture in the package's scope, per import table
        "district_cells": [r for r in CLEAN_DISTRICT_CELLS if r["period"] == "2026-Q3"],
        "retention_curves": [r for r in RETENTION_ROWS if r["city"] == "dortmund"],
        "dunkelziffer_estimates": [r for r in DUNKELZIFFER_ROWS if r["period"] == "2026-Q3"],
        "register_vs_official": [r for r in RVO_ROWS if r["period"] == "2026-Q3"],
    }
    con = duckdb.connect(str(hub), read_only=True)
    for table, rows in expected_rows.items():
        got = con.execute(f"select * exclude (package_id, imported_at) from exchange_import.{table}").pl()
        want = pl.DataFrame(rows, schema=got.schema)
        assert got.sort(got.columns).equals(want.sort(want.columns)), table
    con.close()


def test_reimport_is_idempotent_and_newer_package_replaces(tmp_path, exchange_warehouse):
    hub = tmp_path / "hub.duckdb"
    old = export_package(
        "dortmund", "2026-Q3", tmp_path / "a", exchange_warehouse, created_at=datetime(2026, 10, 1, tzinfo=UTC)
    )
    new = export_package(
        "dortmund", "2026-Q3", tmp_path / "b", exchange_warehouse, created_at=datetime(2026, 11, 1, tzinfo=UTC)
    )
    assert import_package(old, hub)["status"] == "imported"
    assert import_package(old, hub)["status"] == "already imported"
    assert import_package(new, hub)["status"] == "imported"
    with pytest.raises(PackageRejected, match="older"):
        import_package(old, hub)
    con = duckdb.connect(str(hub), read_only=True)
    counts = {
        t: con.execute(f"select count(*), count(distinct package_id) from exchange_import.{t}").fetchone()
        for t in ("cells", "district_cells", "retention_curves", "dunkelziffer_estimates", "register_vs_official")
    }
    statuses = con.execute("select status, count(*) from exchange_import.packages group by 1 order by 1").fetchall()
    con.close()
    assert counts == {
        "cells": (6, 1),
        "district_cells": (16, 1),
        "retention_curves": (3, 1),
        "dunkelziffer_estimates": (4, 1),
        "register_vs_official": (3, 1),
    }
    assert statuses == [("current", 1), ("replaced", 1)]


def test_export_refuses_leaky_cells(tmp_path):
    wh = make_exchange_warehouse(
        tmp_path / "leaky.duckdb", cells=[cell(numerator=5), cell(group_value="EU2", is_total=False, numerator=1)]
    )
    with pytest.raises(PackageRejected, match="count of 1 or 2"):
        export_package("dortmund", "2026-Q3", tmp_path / "out", wh)
    assert not any((tmp_path / "out").iterdir())  # nothing half-written left behind


def test_export_rejects_bad_quarter(tmp_path, exchange_warehouse):
    with pytest.raises(ValueError, match="quarter"):
        export_package("dortmund", "2026-07", tmp_path / "out", exchange_warehouse)


@pytest.fixture
def package(tmp_path, exchange_warehouse):
    return export_package("dortmund", "2026-Q3", tmp_path / "out", exchange_warehouse)


def test_tampered_parquet_rejected(package):
    path = package / "cells.parquet"
    frame = pl.read_parquet(path).with_columns(
        pl.when(pl.col("group_value") == "DE").then(31.0).otherwise(pl.col("numerator")).alias("numerator")
    )
    frame.write_parquet(path)
    with pytest.raises(PackageRejected, match="checksum mismatch"):
        verify_package(package)


def test_tampered_with_recomputed_checksum_still_rejected_for_disclosure(package):
    """Someone un-suppresses a cell and fixes the checksum: the disclosure check still catches it."""
    path = package / "cells.parquet"
    frame = pl.read_parquet(path).with_columns(
        pl.when(pl.col("group_value") == "EU2").then(False).otherwise(pl.col("is_suppressed")).alias("is_suppressed"),
        pl.when(pl.col("group_value") == "EU2").then(1.0).otherwise(pl.col("numerator")).alias("numerator"),
    )
    frame.write_parquet(path)
    manifest = json.loads((package / "manifest.json").read_text())
    manifest["files"]["cells.parquet"]["sha256"] = exchange._sha256(path)
    write_manifest(package, manifest)
    with pytest.raises(PackageRejected, match="disclosure"):
        verify_package(package)


@pytest.mark.parametrize(
    "mutation, reason",
    [
        (lambda m: m.update(schema_version="0.9"), "schema version"),
        (lambda m: m.update(period="2026-09"), "quarter"),
        (lambda m: m["files"].pop("quality_gate.parquet"), "manifest lists"),
        (lambda m: m.pop("created_at"), "created_at"),
    ],
)
def test_tampered_manifest_rejected(package, mutation, reason):
    manifest = json.loads((package / "manifest.json").read_text())
    mutation(manifest)
    write_manifest(package, manifest)
    with pytest.raises(PackageRejected, match=reason):
        verify_package(package)


def test_extra_or_missing_file_rejected(package):
    (package / "persons.parquet").write_bytes(b"PAR1")
    with pytest.raises(PackageRejected, match="differ from the manifest"):
        verify_package(package)
    (package / "persons.parquet").unlink()
    (package / "manifest.json").unlink()
    with pytest.raises(PackageRejected, match="no manifest"):
        verify_package(package)


def test_cli_reports_rejection(package, tmp_path, capsys):
    (package / "cells.parquet").write_bytes(b"garbage")
    code = exchange.main(["import", str(package), "--warehouse", str(tmp_path / "hub.duckdb")])
    assert code == 2
    assert "REJECTED" in capsys.readouterr().err
    assert not (tmp_path / "hub.duckdb").exists()  # nothing loaded, not even the import schema


# --- schema 2.0: the further tables ------------------------------------------------------------


@pytest.mark.parametrize("name", NEW_FILES)
def test_tampered_new_table_rejected(package, name):
    path = package / name
    frame = pl.read_parquet(path)
    assert frame.height > 0
    first = frame.columns[0]
    frame.with_columns(
        pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("elsewhere")).otherwise(pl.col(first)).alias(first)
    ).write_parquet(path)
    with pytest.raises(PackageRejected, match=f"{name}: checksum mismatch"):
        verify_package(package)


def _rewrite(package, name, frame):
    """Replace a file and fix its checksum and row count, as a careful forger would."""
    path = package / name
    frame.write_parquet(path)
    manifest = json.loads((package / "manifest.json").read_text())
    manifest["files"][name].update(sha256=exchange._sha256(path), rows=frame.height)
    write_manifest(package, manifest)


def _unsuppress_district_cell(frame, value=1.0):
    hit = (pl.col("district_code") == "01") & (pl.col("group_value") == "EU2")
    return frame.with_columns(
        pl.when(hit).then(False).otherwise(pl.col("is_suppressed")).alias("is_suppressed"),
        pl.when(hit).then(value).otherwise(pl.col("numerator")).alias("numerator"),
        pl.when(hit).then(value).otherwise(pl.col("value")).alias("value"),
    )


def test_export_refuses_small_count_in_district_cells(tmp_path):
    leaky = [
        dict(r, is_suppressed=False, numerator=1.0, value=1.0, suppression_reason=None)
        if (r["district_code"], r["group_value"]) == ("01", "EU2")
        else r
        for r in CLEAN_DISTRICT_CELLS
    ]
    wh = make_exchange_warehouse(tmp_path / "leaky.duckdb", district_cells=leaky)
    with pytest.raises(PackageRejected, match="district_cells.parquet: 1 published cell.*count of 1 or 2"):
        export_package("dortmund", "2026-Q3", tmp_path / "out", wh)
    assert not any((tmp_path / "out").iterdir())


def test_import_rejects_small_count_in_district_cells(package, tmp_path):
    _rewrite(
        package,
        "district_cells.parquet",
        _unsuppress_district_cell(pl.read_parquet(package / "district_cells.parquet")),
    )
    with pytest.raises(PackageRejected, match="district_cells.parquet: .*count of 1 or 2"):
        import_package(package, tmp_path / "hub.duckdb")
    assert not (tmp_path / "hub.duckdb").exists()


def test_import_rejects_lonely_hidden_district_cell(package):
    """Opening a hidden cell of 5 leaves its row with one hidden cell beside a published total."""
    frame = pl.read_parquet(package / "district_cells.parquet")
    hit = (pl.col("district_code") == "02") & (pl.col("group_value") == "EU2")
    _rewrite(
        package,
        "district_cells.parquet",
        frame.with_columns(
            pl.when(hit).then(False).otherwise(pl.col("is_suppressed")).alias("is_suppressed"),
            pl.when(hit).then(5.0).otherwise(pl.col("numerator")).alias("numerator"),
        ),
    )
    with pytest.raises(PackageRejected, match="hide a single cell"):
        verify_package(package)


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda f: f.with_columns(pl.lit(None, pl.String).alias("district_level")), "missing or wrong district_level"),
        (lambda f: f.with_columns(pl.lit("kreis").alias("district_level")), "missing or wrong district_level"),
        # the city total must be 'stadt' and nothing else may be
        (
            lambda f: f.with_columns(
                pl.when(pl.col("district_code") == "INSGESAMT")
                .then(pl.lit("stadtbezirk"))
                .otherwise(pl.col("district_level"))
                .alias("district_level")
            ),
            "'stadt' exactly for INSGESAMT",
        ),
        (lambda f: f.drop("district_level"), "columns"),
    ],
)
def test_import_rejects_district_cells_without_a_proper_level(package, tmp_path, mutate, reason):
    _rewrite(package, "district_cells.parquet", mutate(pl.read_parquet(package / "district_cells.parquet")))
    with pytest.raises(PackageRejected, match=reason):
        import_package(package, tmp_path / "hub.duckdb")


def test_district_level_check_passes_the_clean_table():
    from orchestration.exchange_tables import district_cell_problems

    frame = pl.DataFrame(CLEAN_DISTRICT_CELLS, infer_schema_length=None)
    assert district_cell_problems(frame) == []
    assert set(frame["district_level"]) == {"stadt", "stadtbezirk"}


@pytest.mark.parametrize(
    "name, mutate, reason",
    [
        (
            "dunkelziffer_estimates.parquet",
            lambda f: f.with_columns(pl.lit(None, pl.Float64).alias("lower")),
            "without an interval",
        ),
        (
            "dunkelziffer_estimates.parquet",
            lambda f: f.with_columns(pl.lit(2, pl.Int64).alias("registered")),
            "count of 1 or 2",
        ),
        ("dunkelziffer_estimates.parquet", lambda f: f.filter(pl.col("age_band") != "06-14"), "single age band"),
        (
            "retention_curves.parquet",
            lambda f: f.with_columns(pl.lit(2, pl.Int64).alias("n_at_risk")),
            "fewer than 3 at risk",
        ),
        (
            "retention_curves.parquet",
            lambda f: f.with_columns(pl.lit(None, pl.Float64).alias("ci_upper")),
            "without an interval",
        ),
        (
            "register_vs_official.parquet",
            lambda f: f.with_columns(pl.lit(2, pl.Int64).alias("register_value")),
            "register count of 1 or 2",
        ),
        (
            "register_vs_official.parquet",
            lambda f: f.with_columns(pl.lit(2026, pl.Int64).alias("year"), pl.lit("2026-Q2").alias("period")),
            "another city or period",
        ),
        ("retention_curves.parquet", lambda f: f.with_columns(pl.col("months").cast(pl.Float64)), "column types"),
        ("district_cells.parquet", lambda f: f.with_columns(pl.lit("x").alias("person_pseudonym")), "columns"),
    ],
)
def test_forged_new_tables_rejected(package, name, mutate, reason):
    _rewrite(package, name, mutate(pl.read_parquet(package / name)))
    with pytest.raises(PackageRejected, match=reason):
        verify_package(package)


def test_rules_of_the_new_tables_pass_clean_rows():
    from orchestration.exchange_tables import DUNKELZIFFER_COLUMNS, REGISTER_VS_OFFICIAL_COLUMNS, TABLES_BY_FILE

    assert (
        TABLES_BY_FILE["dunkelziffer_estimates.parquet"].check(
            pl.DataFrame([dunkelziffer_row("18-24", 40, 5.0, 3.0, 9.0)]).select(list(DUNKELZIFFER_COLUMNS))
        )
        == []
    )
    official_small = pl.DataFrame([rvo_row(2025, "zuzuege", 500, 2.0)]).select(list(REGISTER_VS_OFFICIAL_COLUMNS))
    assert TABLES_BY_FILE["register_vs_official.parquet"].check(official_small) == []


def _as_v1(package):
    """The same package as a schema 1.0 exporter wrote it: cells and quality gate only."""
    manifest = json.loads((package / "manifest.json").read_text())
    for name in NEW_FILES:
        (package / name).unlink()
        manifest["files"].pop(name)
    manifest["schema_version"] = "1.0"
    write_manifest(package, manifest)
    return package


def test_v1_package_is_imported_with_its_two_tables(package, tmp_path):
    hub = tmp_path / "hub.duckdb"
    assert import_package(_as_v1(package), hub)["rows"] == 7
    con = duckdb.connect(str(hub), read_only=True)
    counts = [
        con.execute(f"select count(*) from exchange_import.{t}").fetchone()[0]
        for t in ("cells", "quality_gate", "district_cells", "retention_curves")
    ]
    version = con.execute("select schema_version from exchange_import.packages").fetchone()[0]
    con.close()
    assert counts == [6, 1, 0, 0] and version == "1.0"


def _as_v2_0(package):
    """The same package as a schema 2.0 exporter wrote it: register_vs_official with the as-of
    quarter in `as_of_period` and the year as text in `period`."""
    rvo = pl.read_parquet(package / "register_vs_official.parquet")
    old = rvo.rename({"period": "as_of_period"}).with_columns(pl.col("year").cast(pl.String).alias("period"))
    cols = list(rvo.columns)
    cols[cols.index("period")] = "as_of_period"
    _rewrite(package, "register_vs_official.parquet", old.select([*cols[:4], "period", *cols[4:]]))
    manifest = json.loads((package / "manifest.json").read_text())
    manifest["schema_version"] = "2.0"
    write_manifest(package, manifest)
    return package


def test_v2_0_package_is_read_in_the_2_1_layout(package, tmp_path):
    want = pl.read_parquet(package / "register_vs_official.parquet")
    old = _as_v2_0(package)
    assert pl.read_parquet(old / "register_vs_official.parquet").columns[3:6] == ["year", "period", "as_of_period"]
    hub = tmp_path / "hub.duckdb"
    assert import_package(old, hub)["status"] == "imported"
    with duckdb.connect(str(hub), read_only=True) as con:
        got = con.execute("select * exclude (package_id, imported_at) from exchange_import.register_vs_official").pl()
    assert got.columns == want.columns
    assert got.sort(got.columns).equals(want.sort(want.columns))
    assert set(got["period"]) == {"2026-Q3"}


def test_v2_0_layout_under_a_2_1_manifest_rejected(package):
    _as_v2_0(package)
    manifest = json.loads((package / "manifest.json").read_text())
    manifest["schema_version"] = "2.1"
    write_manifest(package, manifest)
    with pytest.raises(PackageRejected, match="differ from the contract"):
        verify_package(package)


def test_hub_of_2_0_imports_moves_the_as_of_quarter_to_period(package, tmp_path):
    """A hub whose import table still has the 2.0 columns gets them migrated on the next import."""
    hub = tmp_path / "hub.duckdb"
    with duckdb.connect(str(hub)) as con:
        cols = ", ".join(f"{c} {t}" for c, t in REGISTER_VS_OFFICIAL_COLUMNS.items() if c != "period").replace(
            "year BIGINT", "year BIGINT, period VARCHAR, as_of_period VARCHAR"
        )
        con.execute("create schema exchange_import")
        con.execute(
            f"create table exchange_import.register_vs_official ({cols}, package_id VARCHAR, imported_at TIMESTAMP)"
        )
        con.execute(
            "insert into exchange_import.register_vs_official (city, year, period, as_of_period, flow, package_id) "
            "values ('duisburg', 2024, '2024', '2026-Q2', 'zuzuege', 'duisburg_2026-Q2_x')"
        )
    import_package(package, hub)
    with duckdb.connect(str(hub), read_only=True) as con:
        rows = con.execute(
            "select city, period, count(*) from exchange_import.register_vs_official group by all order by all"
        ).fetchall()
        columns = [r[0] for r in con.execute("describe exchange_import.register_vs_official").fetchall()]
    assert rows == [("dortmund", "2026-Q3", 3), ("duisburg", "2026-Q2", 1)]
    assert "as_of_period" not in columns


def test_v1_manifest_with_v2_files_rejected(package):
    manifest = json.loads((package / "manifest.json").read_text())
    manifest["schema_version"] = "1.0"
    write_manifest(package, manifest)
    with pytest.raises(PackageRejected, match="schema 1.0 expects"):
        verify_package(package)


def test_newer_v1_package_replaces_every_table_of_the_older_v2(tmp_path, exchange_warehouse):
    hub = tmp_path / "hub.duckdb"
    old = export_package(
        "dortmund", "2026-Q3", tmp_path / "a", exchange_warehouse, created_at=datetime(2026, 10, 1, tzinfo=UTC)
    )
    new = export_package(
        "dortmund", "2026-Q3", tmp_path / "b", exchange_warehouse, created_at=datetime(2026, 11, 1, tzinfo=UTC)
    )
    import_package(old, hub)
    import_package(_as_v1(new), hub)
    con = duckdb.connect(str(hub), read_only=True)
    left = con.execute("select count(*) from exchange_import.district_cells").fetchone()[0]
    con.close()
    assert left == 0


def test_snapshots_of_two_quarters_are_kept_apart(tmp_path):
    """Packages of two quarters both carry a register-vs-official snapshot: both stay in the import
    (the hub model picks the latest per city), and re-importing one replaces only its own rows."""
    wh = make_exchange_warehouse(tmp_path / "c.duckdb", cells=CLEAN_CELLS + [cell(period="2026-Q2", numerator=7)])
    hub = tmp_path / "hub.duckdb"
    for q in ("2026-Q2", "2026-Q3"):
        import_package(export_package("dortmund", q, tmp_path / "out", wh), hub)
    again = export_package("dortmund", "2026-Q2", tmp_path / "again", wh)
    import_package(again, hub)
    con = duckdb.connect(str(hub), read_only=True)
    rows = con.execute(
        "select period, count(*) from exchange_import.register_vs_official group by 1 order by 1"
    ).fetchall()
    con.close()
    assert rows == [("2026-Q2", 1), ("2026-Q3", 3)]
