"""Every example delivery of the spec loads, with as many raw rows as the file holds records."""

from __future__ import annotations

import duckdb
import openpyxl
import pyarrow.parquet as pq
from ingest_helpers import EXAMPLES

from ingest.config import load_cities
from ingest.layout import parse_delivery_path
from ingest.load import load_landing


def records_in_file(path) -> int:
    """Record count read independently of the ingest code."""
    if path.suffix == ".parquet":
        return pq.ParquetFile(path).metadata.num_rows
    if path.suffix == ".xlsx":
        ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        return sum(1 for row in ws.iter_rows(min_row=5, values_only=True) if any(v is not None for v in row))
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    trailer = 1 if lines[-1].startswith(b"Summe Datensaetze") else 0
    return len(lines) - 1 - trailer


def test_every_example_loads_with_its_row_count(examples_landing, tmp_path):
    wh = tmp_path / "wh.duckdb"
    summary = load_landing(examples_landing, wh)
    files = sorted(p for p in EXAMPLES.rglob("*") if p.is_file())
    assert summary.loaded == len(files) > 50
    assert summary.quarantined == summary.pending == summary.duplicate == 0

    expected: dict[tuple[str, str], int] = {}
    cities = load_cities()
    for p in files:
        name = parse_delivery_path(p.relative_to(EXAMPLES).as_posix(), cities)
        expected[(name.city, name.table)] = expected.get((name.city, name.table), 0) + records_in_file(p)
    con = duckdb.connect(str(wh), read_only=True)
    got = {}
    for table in {t for _, t in expected}:
        for city, n in con.execute(f"SELECT city, count(*) FROM raw.{table} GROUP BY city").fetchall():
            got[(city, table)] = n
    registry = dict(con.execute("SELECT delivery_file, rows FROM meta.delivery_registry").fetchall())
    con.close()
    assert got == expected
    assert sum(registry.values()) == sum(expected.values())
    by_outcome = {o.file: o.rows for o in summary.outcomes}
    assert by_outcome == registry


def test_dialect_normalisation_of_the_examples(examples_landing, tmp_path):
    wh = tmp_path / "wh.duckdb"
    load_landing(examples_landing, wh)
    con = duckdb.connect(str(wh), read_only=True)
    q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
    # ewo-legacy: numeric codes translated, nationality 0 -> 000, both date formats
    row = q(
        "SELECT ereignis_art, geschlecht, staatsangehoerigkeit, herkunft_ziel, ereignis_datum::VARCHAR "
        "FROM raw.meldewesen WHERE ereignis_id='DOR000000000'"
    )
    assert row == [("ZU_AUSLAND", "m", "000", "475", "2024-09-02")]
    assert q(
        "SELECT zuzug_datum::VARCHAR, einzug_datum::VARCHAR FROM raw.bestand WHERE city='dortmund' AND source_line=2"
    ) == [("2024-09-09", "2024-09-09")]
    # brp-export: Dutch codes, ISO -> Destatis, newcomer class, census day 1 October
    assert q(
        "SELECT ereignis_art, geschlecht, staatsangehoerigkeit, herkunft_ziel FROM raw.meldewesen "
        "WHERE ereignis_id='ENS000000011'"
    ) == [("AVA", "m", "475", None)]
    assert q("SELECT herkunft_ziel FROM raw.meldewesen WHERE ereignis_id='ENS000000000'") == [("475",)]
    assert q("SELECT DISTINCT stichtag::VARCHAR, schule_id FROM raw.schule WHERE city='enschede'") == [
        ("2024-10-01", None)
    ]
    assert q(
        "SELECT klassenart, schulform, staatsangehoerigkeit_iso3 FROM raw.schule "
        "WHERE city='enschede' AND source_line=2"
    ) == [("ERSTFOERDERUNG", "VO", "UKR")]
    # sgb2 suppression: '*' is NULL plus a flag, never 0
    assert q(
        "SELECT bg, bg_gesperrt, nef, nef_gesperrt FROM raw.sgb2_aggregat "
        "WHERE city='wuppertal' AND source_line=2 AND monat='2024-10-01'"
    ) == [(None, True, 0, False)]
    assert q("SELECT count(*) FROM raw.sgb2_aggregat WHERE bg IS NULL AND NOT bg_gesperrt") == [(0,)]
    # xlsx: Excel dates and text dates both typed; data start in sheet row 5
    assert q(
        "SELECT ereignis_datum::VARCHAR, meldedatum::VARCHAR, source_line FROM raw.meldewesen "
        "WHERE ereignis_id='DUI000000000'"
    ) == [("2024-09-02", "2024-10-01", 5)]
    # Parquet with Null-typed and text-typed date columns
    assert q(
        "SELECT zuzug_datum::VARCHAR, staatsangehoerigkeit_2 FROM raw.bestand WHERE city='muenster' AND source_line=1"
    ) == [("2024-09-09", None)]
    assert q("SELECT gueltig_ab::VARCHAR, gueltig_bis FROM raw.gebiete WHERE city='muenster' AND source_line=1") == [
        ("2000-01-01", None)
    ]
    # provenance
    assert q(
        "SELECT DISTINCT delivery_file, delivery_period, delivery_version FROM raw.sgb2_personen "
        "WHERE monat='2024-11-01'"
    ) == [("wuppertal/sgb2/2024-11_personen.csv", "2024-11", 1)]
    con.close()
