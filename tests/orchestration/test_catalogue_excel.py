"""The published catalogue and the planners' Excel extract carry the German and Dutch catalogue
texts (definition_de/_nl, unit_de/_nl, caveats_de/_nl, reading_aid_de/_nl)."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import openpyxl

from orchestration.publish import publish, write_excel

SEED = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "indicator_catalogue.csv"
NEW_COLUMNS = [
    "definition_de",
    "definition_nl",
    "unit_de",
    "unit_nl",
    "caveats_de",
    "caveats_nl",
    "reading_aid_de",
    "reading_aid_nl",
]


def _warehouse(path: Path) -> Path:
    """The real catalogue seed plus one published intercity row (a share, no small count)."""
    con = duckdb.connect(str(path))
    con.execute("create schema reference; create schema alliance")
    con.execute(f"create table reference.indicator_catalogue as select * from read_csv('{SEED}', all_varchar = true)")
    con.execute("""create table alliance.fct_intercity_indicators as
        select 'dortmund' as city, '2026-Q3' as period, 'ava_share' as indicator_id, 'total' as breakdown,
               'INSGESAMT' as group_value, true as is_total, 0.3::double as value""")
    con.close()
    return path


def test_published_catalogue_and_excel_sheet_carry_the_translations(tmp_path):
    published = tmp_path / "published.duckdb"
    publish(_warehouse(tmp_path / "warehouse.duckdb"), published)
    with duckdb.connect(str(published), read_only=True) as con:
        columns = [r[0] for r in con.execute("describe reference.indicator_catalogue").fetchall()]
        caveat_nl = con.execute(
            "select caveats_nl from reference.indicator_catalogue where indicator_id = 'sgb2_elb_rate'"
        ).fetchone()[0]
    assert [c for c in NEW_COLUMNS if c not in columns] == []
    assert "Participatiewet" in caveat_nl

    out = write_excel("dortmund", ["ava_share", "inflow"], tmp_path / "x.xlsx", published)
    sheet = list(openpyxl.load_workbook(out, read_only=True)["Katalog"].values)
    header, rows = sheet[0], {r[0]: dict(zip(sheet[0], r)) for r in sheet[1:]}
    assert [c for c in NEW_COLUMNS if c not in header] == []
    with SEED.open(encoding="utf-8", newline="") as fh:
        seed = {r["indicator_id"]: r for r in csv.DictReader(fh)}
    for indicator in ("ava_share", "inflow"):
        for column in NEW_COLUMNS:
            assert rows[indicator][column] == seed[indicator][column], (indicator, column)
