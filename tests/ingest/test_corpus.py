"""Corpus of broken deliveries: each is quarantined as a whole with its reason (and line where it
can be named), and the warehouse afterwards equals the warehouse before, apart from the registry
row that records the quarantine."""

from __future__ import annotations

import io

import duckdb
import openpyxl
import polars as pl
import pytest
from ingest_helpers import EXAMPLES, snapshot

from ingest.load import load_landing

PSEUDO = "18d78ce62fe0f3804cc8583c58fce924"


def edit_line(rel: str, line: int, old: str, new: str, encoding: str = "utf-8") -> bytes:
    """The example file with one replacement on one (1-based) line, line endings kept."""
    lines = (EXAMPLES / rel).read_bytes().splitlines(keepends=True)
    text = lines[line - 1].decode(encoding)
    assert old in text, (rel, line, old)
    lines[line - 1] = text.replace(old, new, 1).encode(encoding)
    return b"".join(lines)


def drop_lines(rel: str, *numbers: int) -> bytes:
    lines = (EXAMPLES / rel).read_bytes().splitlines(keepends=True)
    return b"".join(l for i, l in enumerate(lines, 1) if i not in numbers)


def raw(rel: str) -> bytes:
    return (EXAMPLES / rel).read_bytes()


def xlsx_with(rel: str, row: int, col: int, value) -> bytes:
    wb = openpyxl.load_workbook(EXAMPLES / rel)
    wb.worksheets[0].cell(row=row, column=col, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def parquet_with(rel: str, index: int, col: str, value) -> bytes:
    df = pl.read_parquet(EXAMPLES / rel)
    df = df.with_columns(pl.when(pl.int_range(pl.len()) == index).then(pl.lit(value)).otherwise(pl.col(col)).alias(col))
    buf = io.BytesIO()
    df.write_parquet(buf)
    return buf.getvalue()


W10 = "wuppertal/meldewesen/2024-10.csv"
D10 = "dortmund/meldewesen/2024-10.csv"
E10 = "enschede/meldewesen/2024-10.csv"

# id: (target file, content builder, reason fragment, line)
CASES = {
    "invalid-utf8": (
        "wuppertal/meldewesen/2024-10_v2.csv",
        lambda: raw(W10).replace(b"UMZUG", b"UMZ\xffUG", 1),
        "not valid UTF-8",
        3,
    ),
    "utf8-instead-of-cp1252": (
        "dortmund/gebiete/current_v2.csv",
        lambda: edit_line("dortmund/gebiete/current.csv", 3, "Innenstadt-Nord", "Hörde"),
        "(wrong encoding)",
        3,
    ),
    "utf8-file-for-cp1252-dialect": (
        "dortmund/meldewesen/2024-10_v2.csv",
        lambda: raw(D10).replace(b";10;08;", b";10;\xc3\xbc8;"),
        "file is UTF-8, expected Windows-1252",
        5,
    ),
    "wrong-separator": (
        "wuppertal/meldewesen/2024-10_v2.csv",
        lambda: raw(W10).replace(b";", b","),
        "wrong separator: expected ';', header looks ','-separated",
        1,
    ),
    "missing-column": (
        "wuppertal/meldewesen/2024-10_v2.csv",
        lambda: b"\n".join(l.rsplit(b";", 1)[0] for l in raw(W10).split(b"\n")),
        "missing column(s): herkunft_ziel",
        1,
    ),
    "trailer-count-mismatch": (
        "dortmund/meldewesen/2024-10_v2.csv",
        lambda: drop_lines(D10, 4),
        "trailer announces 8 records, file has 7",
        9,
    ),
    "trailer-missing-cut-off": (
        "dortmund/meldewesen/2024-10_v2.csv",
        lambda: raw(D10)[:400],
        "trailer line 'Summe Datensaetze: <n>' missing",
        4,
    ),
    "unknown-event-standard": (
        "wuppertal/meldewesen/2024-10_v2.csv",
        lambda: edit_line(W10, 3, ";UMZUG;", ";UMZIEHEN;"),
        "unknown event type in ereignis_art: 'UMZIEHEN'",
        3,
    ),
    "unknown-event-ewo": (
        "dortmund/meldewesen/2024-10_v2.csv",
        lambda: edit_line(D10, 3, ";30;", ";99;"),
        "unknown event type in ereignis_art: '99'",
        3,
    ),
    "unknown-event-brp": (
        "enschede/meldewesen/2024-10_v2.csv",
        lambda: edit_line(E10, 3, ",verhuizing,", ",verhuisd,"),
        "unknown event type in ereignis_art: 'verhuisd'",
        3,
    ),
    "unknown-sex": (
        "wuppertal/meldewesen/2024-10_v2.csv",
        lambda: edit_line(W10, 3, ";1970;m;", ";1970;f;"),
        "unknown sex code in geschlecht: 'f'",
        3,
    ),
    "unknown-district": (
        "wuppertal/meldewesen/2024-10_v2.csv",
        lambda: edit_line(W10, 3, ";02;04;", ";02;99;"),
        "unknown district code in bezirk_neu: '99'",
        3,
    ),
    "unknown-district-ewo": (
        "dortmund/meldewesen/2024-10_v2.csv",
        lambda: edit_line(D10, 3, ";03;07;", ";03;13;"),
        "unknown district code in bezirk_neu: '13'",
        3,
    ),
    "unknown-nationality": (
        "wuppertal/meldewesen/2024-10_v2.csv",
        lambda: edit_line(W10, 3, ";137;", ";777;"),
        "unknown nationality code in staatsangehoerigkeit: '777'",
        3,
    ),
    "unknown-nationality-iso": (
        "enschede/meldewesen/2024-10_v2.csv",
        lambda: edit_line(E10, 2, ",NLD,", ",QQQ,"),
        "unknown nationality code in staatsangehoerigkeit: 'QQQ'",
        2,
    ),
    "meldedatum-outside-month": (
        "wuppertal/meldewesen/2024-10_v2.csv",
        lambda: edit_line(W10, 3, ";2024-10-09;", ";2024-11-09;"),
        "date outside the delivery period 2024-10 (2024-10-01..2024-10-31) in meldedatum: '2024-11-09'",
        3,
    ),
    "meldedatum-outside-month-ewo": (
        "dortmund/meldewesen/2024-10_v2.csv",
        lambda: edit_line(D10, 4, ";14.10.2024;", ";14.09.2024;"),
        "in meldedatum: '2024-09-14'",
        4,
    ),
    "stichtag-not-file-date": (
        "wuppertal/bestand/2024-12-31_v2.csv",
        lambda: edit_line("wuppertal/bestand/2024-12-31.csv", 2, "2024-12-31;", "2024-12-30;"),
        "reference date differs from the file date 2024-12-31 in stichtag: '2024-12-30'",
        2,
    ),
    "peildatum-beyond-tolerance": (
        "enschede/schule/2024-10-15_v2.csv",
        lambda: edit_line("enschede/schule/2024-10-15.csv", 2, "2024-10-01,", "2024-09-01,"),
        "date outside the delivery period 2024-10-15 (2024-09-14..2024-10-15)",
        2,
    ),
    "sgb2-month": (
        "wuppertal/sgb2/2024-10_v2.csv",
        lambda: edit_line("wuppertal/sgb2/2024-10.csv", 2, "2024-10;", "2024-09;"),
        "date outside the delivery period 2024-10 (2024-10-01..2024-10-31) in monat",
        2,
    ),
    "sgb2-personen-month": (
        "wuppertal/sgb2/2024-10_personen_v2.csv",
        lambda: edit_line("wuppertal/sgb2/2024-10_personen.csv", 3, "2024-10;", "2024-11;"),
        "in monat: '2024-11-01'",
        3,
    ),
    "kontakt-outside-month": (
        "wuppertal/beratung/2024-11_v2.csv",
        lambda: edit_line("wuppertal/beratung/2024-11.csv", 2, "2024-11-04", "2024-12-04"),
        "in kontakt_datum: '2024-12-04'",
        2,
    ),
    "duplicate-id-in-file": (
        "wuppertal/meldewesen/2024-10_v2.csv",
        lambda: edit_line(W10, 3, "WUP000000001", "WUP000000000"),
        "duplicate ereignis_id within the file in ereignis_id: 'WUP000000000' (2 rows)",
        2,
    ),
    "duplicate-id-already-loaded": (
        "wuppertal/meldewesen/2024-11_v2.csv",
        lambda: edit_line("wuppertal/meldewesen/2024-11.csv", 2, "WUP000000008", "WUP000000000"),
        "duplicate ereignis_id 'WUP000000000': already loaded from wuppertal/meldewesen/2024-10.csv",
        2,
    ),
    "non-numeric-count": (
        "wuppertal/sgb2/2024-10_v2.csv",
        lambda: edit_line("wuppertal/sgb2/2024-10.csv", 3, "EU2;0;0;", "EU2;0;x;"),
        "non-numeric count (only digits or '*' allowed) in elb: 'x'",
        3,
    ),
    "non-numeric-count-ewo": (
        "dortmund/sgb2/2024-10_v2.csv",
        lambda: edit_line("dortmund/sgb2/2024-10.csv", 3, "EU2;0;0;", "EU2;-;0;"),
        "non-numeric count (only digits or '*' allowed) in bg: '-'",
        3,
    ),
    "non-numeric-year": (
        "wuppertal/meldewesen/2024-10_v2.csv",
        lambda: edit_line(W10, 2, ";2011;", ";20l1;"),
        "non-numeric value in geburtsjahr: '20l1'",
        2,
    ),
    "bad-pseudonym": (
        "wuppertal/meldewesen/2024-10_v2.csv",
        lambda: edit_line(W10, 3, PSEUDO, PSEUDO[:31] + "g"),
        "pseudonym is not 32 hex characters in person_pseudonym",
        3,
    ),
    "empty-file": ("wuppertal/meldewesen/2025-01.csv", lambda: b"", "empty file (0 bytes)", None),
    "blank-file": ("wuppertal/meldewesen/2025-01.csv", lambda: b"\n\n", "empty file (no header, no records)", None),
    "header-only": (
        "wuppertal/meldewesen/2025-01.csv",
        lambda: raw(W10).split(b"\n")[0] + b"\n",
        "empty file: header but no records",
        1,
    ),
    "unknown-city": ("koeln/meldewesen/2024-10.csv", lambda: raw(W10), "unknown city 'koeln'", None),
    "unknown-source": ("wuppertal/umzuege/2024-10.csv", lambda: raw(W10) + b"\n", "unknown source 'umzuege'", None),
    "source-not-delivered": (
        "enschede/sgb2/2024-10.csv",
        lambda: b"x",
        "enschede does not deliver source 'sgb2'",
        None,
    ),
    "personen-not-optionskommune": (
        "dortmund/sgb2/2024-10_personen.csv",
        lambda: b"x",
        "dortmund is no Optionskommune",
        None,
    ),
    "bad-month": ("wuppertal/meldewesen/2024-13.csv", lambda: b"x", "period '2024-13' is no month", None),
    "bad-date": ("wuppertal/bestand/2024-02-30.csv", lambda: b"x", "period '2024-02-30' is no date", None),
    "bad-extension": ("wuppertal/meldewesen/2024-10_v2.txt", lambda: b"x", "bad extension .txt", None),
    "wohnen-without-form": ("wuppertal/wohnen/2024-12-31.csv", lambda: b"x", "wohnen files must be named", None),
    "bad-version-suffix": ("wuppertal/meldewesen/2024-10_v0.csv", lambda: b"x", "does not fit", None),
    "too-deep": ("wuppertal/meldewesen/old/2024-10.csv", lambda: b"x", "path must be", None),
    "broken-xlsx": (
        "duisburg/meldewesen/2024-10_v2.xlsx",
        lambda: b"PK\x03\x04 no workbook",
        "not a readable xlsx workbook",
        None,
    ),
    "xlsx-unknown-event": (
        "duisburg/meldewesen/2024-10_v2.xlsx",
        lambda: xlsx_with("duisburg/meldewesen/2024-10.xlsx", 6, 4, "UMZUGG"),
        "unknown event type in ereignis_art: 'UMZUGG'",
        6,
    ),
    "broken-parquet": (
        "muenster/meldewesen/2024-10_v2.parquet",
        lambda: b"PAR1 truncated",
        "not a readable Parquet file",
        None,
    ),
    "parquet-unknown-district": (
        "muenster/meldewesen/2024-10_v2.parquet",
        lambda: parquet_with("muenster/meldewesen/2024-10.parquet", 2, "bezirk_neu", "77"),
        "unknown district code in bezirk_neu: '77'",
        3,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_broken_delivery_is_quarantined_whole(world, case):
    landing, wh = world
    rel, build, reason, line = CASES[case]
    before = snapshot(wh)
    target = landing / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(build())

    summary = load_landing(landing, wh)

    assert [(o.file, o.status) for o in summary.outcomes] == [(rel, "quarantined")]
    [o] = summary.outcomes
    assert reason in o.reason, o.reason
    assert o.line == line, (o.reason, o.line)
    assert snapshot(wh, {rel}) == before
    con = duckdb.connect(str(wh), read_only=True)
    rows = con.execute(
        "SELECT status, reason, line FROM meta.delivery_registry WHERE delivery_file = ?", [rel]
    ).fetchall()
    con.close()
    assert rows == [("quarantined", o.reason, line)]


def test_corrected_version_reusing_its_own_ids_loads(world):
    """Ids of the period being replaced do not count as duplicates."""
    landing, wh = world
    (landing / "wuppertal/meldewesen/2024-10_v2.csv").write_bytes(edit_line(W10, 2, ";2011;w;", ";2011;m;"))
    summary = load_landing(landing, wh)
    assert [o.status for o in summary.outcomes] == ["loaded"]
