"""Exchange packages: export/import round trip, rejection of tampered or leaky packages."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import duckdb
import polars as pl
import pytest

from orchestration import exchange
from orchestration.exchange import PackageRejected, disclosure_problems, export_package, import_package, verify_package

from .conftest import CLEAN_CELLS, cell, make_exchange_warehouse


def _frame(rows):
    return pl.DataFrame(rows, schema={c: {"VARCHAR": pl.String, "BOOLEAN": pl.Boolean, "DOUBLE": pl.Float64}[t]
                                      for c, t in exchange.CELL_COLUMNS.items()})


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
    rows = [r for r in CLEAN_CELLS if r["group_value"] != "ASYL8"]   # the complement is missing
    problems = disclosure_problems(_frame(rows))
    assert any("recoverable by subtraction" in p for p in problems)


def test_suppressed_cell_with_number_is_found():
    rows = CLEAN_CELLS[:2] + [dict(cell(group_value="EU2", is_total=False, is_suppressed=True,
                                        suppression_reason="primary"), numerator=1.0),
                              cell(group_value="ASYL8", is_total=False, is_suppressed=True,
                                   suppression_reason="secondary")]
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
    assert manifest["files"]["cells.parquet"]["rows"] == 6
    assert set(manifest["files"]) == {"cells.parquet", "quality_gate.parquet"}

    hub = tmp_path / "hub.duckdb"
    result = import_package(pkg, hub)
    assert result["status"] == "imported"
    con = duckdb.connect(str(hub), read_only=True)
    imported = con.execute("select * exclude (package_id, imported_at) from exchange_import.cells order by all").pl()
    gate = con.execute("select reason from exchange_import.quality_gate").fetchall()
    con.close()
    expected = pl.DataFrame([r for r in CLEAN_CELLS if r["city"] == "dortmund" and r["period"] == "2026-Q3"],
                            schema=imported.schema).sort(imported.columns)
    assert imported.sort(imported.columns).equals(expected)
    assert gate == [("file cut off",)]


def test_reimport_is_idempotent_and_newer_package_replaces(tmp_path, exchange_warehouse):
    hub = tmp_path / "hub.duckdb"
    old = export_package("dortmund", "2026-Q3", tmp_path / "a", exchange_warehouse,
                         created_at=datetime(2026, 10, 1, tzinfo=timezone.utc))
    new = export_package("dortmund", "2026-Q3", tmp_path / "b", exchange_warehouse,
                         created_at=datetime(2026, 11, 1, tzinfo=timezone.utc))
    assert import_package(old, hub)["status"] == "imported"
    assert import_package(old, hub)["status"] == "already imported"
    assert import_package(new, hub)["status"] == "imported"
    with pytest.raises(PackageRejected, match="older"):
        import_package(old, hub)
    con = duckdb.connect(str(hub), read_only=True)
    n, ids = con.execute("select count(*), count(distinct package_id) from exchange_import.cells").fetchone()
    statuses = con.execute("select status, count(*) from exchange_import.packages group by 1 order by 1").fetchall()
    con.close()
    assert (n, ids) == (6, 1)
    assert statuses == [("current", 1), ("replaced", 1)]


def test_export_refuses_leaky_cells(tmp_path):
    wh = make_exchange_warehouse(tmp_path / "leaky.duckdb",
                                 cells=[cell(numerator=5), cell(group_value="EU2", is_total=False, numerator=1)])
    with pytest.raises(PackageRejected, match="count of 1 or 2"):
        export_package("dortmund", "2026-Q3", tmp_path / "out", wh)
    assert not any((tmp_path / "out").iterdir())      # nothing half-written left behind


def test_export_rejects_bad_quarter(tmp_path, exchange_warehouse):
    with pytest.raises(ValueError, match="quarter"):
        export_package("dortmund", "2026-07", tmp_path / "out", exchange_warehouse)


@pytest.fixture
def package(tmp_path, exchange_warehouse):
    return export_package("dortmund", "2026-Q3", tmp_path / "out", exchange_warehouse)


def test_tampered_parquet_rejected(package):
    path = package / "cells.parquet"
    frame = pl.read_parquet(path).with_columns(
        pl.when(pl.col("group_value") == "DE").then(31.0).otherwise(pl.col("numerator")).alias("numerator"))
    frame.write_parquet(path)
    with pytest.raises(PackageRejected, match="checksum mismatch"):
        verify_package(package)


def test_tampered_with_recomputed_checksum_still_rejected_for_disclosure(package):
    """Someone un-suppresses a cell and fixes the checksum: the disclosure check still catches it."""
    path = package / "cells.parquet"
    frame = pl.read_parquet(path).with_columns(
        pl.when(pl.col("group_value") == "EU2").then(False).otherwise(pl.col("is_suppressed")).alias("is_suppressed"),
        pl.when(pl.col("group_value") == "EU2").then(1.0).otherwise(pl.col("numerator")).alias("numerator"))
    frame.write_parquet(path)
    manifest = json.loads((package / "manifest.json").read_text())
    manifest["files"]["cells.parquet"]["sha256"] = exchange._sha256(path)
    (package / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(PackageRejected, match="disclosure"):
        verify_package(package)


@pytest.mark.parametrize("mutation, reason", [
    (lambda m: m.update(schema_version="0.9"), "schema version"),
    (lambda m: m.update(period="2026-09"), "quarter"),
    (lambda m: m["files"].pop("quality_gate.parquet"), "manifest lists"),
    (lambda m: m.pop("created_at"), "created_at"),
])
def test_tampered_manifest_rejected(package, mutation, reason):
    manifest = json.loads((package / "manifest.json").read_text())
    mutation(manifest)
    (package / "manifest.json").write_text(json.dumps(manifest))
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
    assert not (tmp_path / "hub.duckdb").exists()     # nothing loaded, not even the import schema
