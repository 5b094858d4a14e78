"""The planners' copy: published marts and the indicator catalogue in a separate DuckDB file.

After every build the published schemas are copied into a NEW file next to the published one,
checked, and swapped in with os.replace: a planner who has the old file open keeps reading it,
a new reader sees the new file, nobody sees a half state, and a failed publish leaves the old
file untouched. Parquet files (one per table) are written beside it.

    python -m orchestration.publish                      # warehouse -> published copy
    python -m orchestration.publish excel --city dortmund --indicators inflow,ava_share --out x.xlsx

Plain functions, no Dagster import (see docs/architecture.md).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from ingest.config import published_path, warehouse_path

# Whole schemas that are published; everything else (raw, meta, staging, intermediate,
# exchange_import, ...) stays in the warehouse.
PUBLISHED_SCHEMAS = ("marts", "official", "alliance", "exchange")
# Single tables published from otherwise private schemas.
PUBLISHED_EXTRA = (("reference", "indicator_catalogue"),)
CATALOGUE = "reference.indicator_catalogue"
# A published column must never look like a pseudonym (or an address / record key).
FORBIDDEN_COLUMN_RE = re.compile(r"pseudonym|pseudoniem|adresse|adres_", re.I)
ABOUT_SCHEMA = "publication"


class PublishError(Exception):
    """Publishing stopped; the previously published file is unchanged."""


def _tables_to_publish(con) -> list[tuple[str, str]]:
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = 'wh' order by 1, 2").fetchall()
    wanted = [(s, t) for s, t in rows if s in PUBLISHED_SCHEMAS or (s, t) in PUBLISHED_EXTRA]
    missing = [f"{s}.{t}" for s, t in PUBLISHED_EXTRA if (s, t) not in rows]
    if missing:
        raise PublishError(f"missing in the warehouse: {', '.join(missing)} (run dbt seed/build first)")
    return wanted


def _forbidden_columns(con, catalog: str | None = None) -> list[str]:
    """Columns named like a pseudonym or address in `catalog` (default: the connection's own file)."""
    rows = con.execute(
        "select table_schema || '.' || table_name || '.' || column_name from information_schema.columns "
        "where table_catalog = coalesce(?, current_database())", [catalog]).fetchall()
    return [r[0] for r in rows if FORBIDDEN_COLUMN_RE.search(r[0].rsplit(".", 1)[1])]


def _synthetic(con) -> bool | None:
    try:
        return con.execute("select bool_or(synthetic) from wh.meta.load_runs").fetchone()[0]
    except duckdb.CatalogException:
        return None


def _build_copy(warehouse: Path, new_file: Path, published_at: datetime) -> dict:
    """Write every published table into `new_file` (a fresh DuckDB file); return the summary."""
    con = duckdb.connect(str(new_file))
    try:
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        tables = _tables_to_publish(con)
        leaky = [c for c in _forbidden_columns(con, "wh") if tuple(c.split(".")[:2]) in set(tables)]
        if leaky:
            raise PublishError(f"refusing to publish person-level columns: {', '.join(leaky)}")
        counts = {}
        for schema, table in tables:
            con.execute(f'create schema if not exists "{schema}"')
            con.execute(f'create table "{schema}"."{table}" as select * from wh."{schema}"."{table}"')
            counts[f"{schema}.{table}"] = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
        synthetic = _synthetic(con)
        con.execute("detach wh")
        con.execute(f"create schema {ABOUT_SCHEMA}")
        con.execute(f"""create table {ABOUT_SCHEMA}.about as select
            ?::timestamp as published_at, ?::varchar as source_warehouse, ?::boolean as synthetic,
            ?::varchar as note""",
                    [published_at.replace(tzinfo=None), str(warehouse), synthetic,
                     "SYNTHETIC DEMO DATA - not real figures." if synthetic else
                     "Aggregated, disclosure-controlled figures; basis register or official per row."])
        con.execute(f"create table {ABOUT_SCHEMA}.tables (table_name varchar, n_rows bigint)")
        con.executemany(f"insert into {ABOUT_SCHEMA}.tables values (?, ?)", list(counts.items()))
        # Check the copy itself, not only the source: nothing person-level may have slipped in.
        leaky = _forbidden_columns(con)
        if leaky:
            raise PublishError(f"person-level columns in the copy: {', '.join(leaky)}")
        con.execute("checkpoint")
    finally:
        con.close()
    return {"tables": counts, "synthetic": synthetic}


def _write_parquet(db_file: Path, parquet_dir: Path, tables) -> None:
    """One Parquet file per published table, swapped in as a folder (old folder removed after)."""
    staging = Path(tempfile.mkdtemp(prefix=".parquet.", dir=parquet_dir.parent))
    staging.chmod(0o755)   # mkdtemp makes it private; planners must be able to read it
    try:
        con = duckdb.connect(str(db_file), read_only=True)
        try:
            for name in tables:
                con.execute(f"copy (select * from {name}) to '{staging / (name + '.parquet')}' (format parquet)")
        finally:
            con.close()
        old = None
        if parquet_dir.exists():
            old = parquet_dir.with_name(f".{parquet_dir.name}.old.{os.getpid()}")
            os.replace(parquet_dir, old)
        os.replace(staging, parquet_dir)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def publish(warehouse: Path | None = None, target: Path | None = None) -> dict:
    """Copy the published schemas of `warehouse` into `target` atomically; return a summary.

    Summary: target path, published_at, synthetic flag, {table: rows}, parquet folder.
    """
    warehouse = Path(warehouse or warehouse_path())
    target = Path(target or published_path())
    if not warehouse.exists():
        raise PublishError(f"warehouse {warehouse} does not exist")
    target.parent.mkdir(parents=True, exist_ok=True)
    published_at = datetime.now(timezone.utc)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".duckdb.tmp", dir=target.parent)
    os.close(fd)
    new_file = Path(tmp_name)
    new_file.unlink()   # DuckDB wants to create the file itself
    try:
        summary = _build_copy(warehouse, new_file, published_at)
        os.replace(new_file, target)    # the atomic step: readers see old or new, never half
    except BaseException:
        for leftover in (new_file, new_file.with_name(new_file.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    parquet_dir = target.parent / "parquet"
    _write_parquet(target, parquet_dir, summary["tables"])
    return {"target": str(target), "published_at": published_at.isoformat(), "parquet_dir": str(parquet_dir),
            **summary}


# --- Excel extract for planners --------------------------------------------------------------

def _sheet_name(text: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "_", text)[:31]
    base, i = name, 2
    while name in used:
        name = f"{base[:28]}_{i}"
        i += 1
    used.add(name)
    return name


def write_excel(city: str, indicators: list[str], out: Path, published: Path | None = None) -> Path:
    """Workbook of chosen indicators for one city from the published copy:
    a sheet per indicator (all quarters and groups, with flags and ranks), a catalogue sheet,
    and a front sheet that labels synthetic data."""
    import xlsxwriter

    published = Path(published or published_path())
    con = duckdb.connect(str(published), read_only=True)
    try:
        catalogue = con.execute(f"select * from {CATALOGUE} where indicator_id in ?", [indicators]).pl()
        unknown = sorted(set(indicators) - set(catalogue.get_column("indicator_id").to_list()))
        if unknown:
            raise ValueError(f"unknown indicator(s) {unknown}; see {CATALOGUE}")
        cities = {r[0] for r in con.execute("select distinct city from alliance.fct_intercity_indicators").fetchall()}
        if city not in cities:
            raise ValueError(f"city {city!r} not in the published intercity table (known: {sorted(cities)})")
        sheets = {i: con.execute(
            "select * from alliance.fct_intercity_indicators where city = ? and indicator_id = ? "
            "order by period, breakdown, is_total desc, group_value", [city, i]).pl() for i in indicators}
        about = con.execute(f"select published_at, synthetic, note from {ABOUT_SCHEMA}.about").fetchone()
    finally:
        con.close()

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(out), {"remove_timezone": True})
    try:
        bold = wb.add_format({"bold": True})
        warn = wb.add_format({"bold": True, "font_color": "#B00020", "font_size": 14})
        used: set[str] = set()
        front = wb.add_worksheet(_sheet_name("Hinweise", used))
        row = 0
        if about[1]:
            front.write(row, 0, "SYNTHETISCHE DEMODATEN - keine realen Zahlen / SYNTHETIC DEMO DATA", warn)
            row += 2
        for label, value in [("Stadt", city), ("Indikatoren", ", ".join(indicators)),
                             ("Stand der Veröffentlichung", str(about[0])), ("Hinweis", about[2]),
                             ("Lesehilfe", "Unterdrückte Zellen (1 oder 2 Personen und Komplementzellen) sind leer; "
                                           "is_blocked = Qualitätsprüfung gesperrt; is_not_comparable = Indikator "
                                           "für dieses Land nicht definiert.")]:
            front.write(row, 0, label, bold)
            front.write(row, 1, value)
            row += 1
        for indicator, frame in sheets.items():
            frame.write_excel(workbook=wb, worksheet=_sheet_name(indicator, used), autofit=True)
        catalogue.write_excel(workbook=wb, worksheet=_sheet_name("Katalog", used))
    finally:
        wb.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.publish", description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, default=None)
    parser.add_argument("--target", type=Path, default=None)
    sub = parser.add_subparsers(dest="command")
    xl = sub.add_parser("excel", help="Excel workbook of chosen indicators for a city (from the published copy)")
    xl.add_argument("--city", required=True)
    xl.add_argument("--indicators", required=True, help="comma-separated indicator ids")
    xl.add_argument("--out", required=True, type=Path)
    xl.add_argument("--published", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        if args.command == "excel":
            ids = [i.strip() for i in args.indicators.split(",") if i.strip()]
            print(write_excel(args.city, ids, args.out, args.published))
        else:
            s = publish(args.warehouse, args.target)
            print(f"published {len(s['tables'])} tables to {s['target']} (synthetic={s['synthetic']})")
            for name, n in s["tables"].items():
                print(f"  {name}: {n} rows")
    except (PublishError, ValueError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
