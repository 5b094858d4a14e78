"""The planners' copy: disclosure-controlled tables and the indicator catalogue in a separate DuckDB file.

After every build the published schemas are copied into a NEW file in a new version folder,
checked, written as Parquet (one file per table) beside it, and the version is swapped in with
one atomic rename (orchestration/publication_files.py): a planner who has the old file open
keeps reading it, a new reader sees the new file and Parquet, nobody sees a half state, and a
failed or killed publish leaves the old copy current. Publishing refuses marts that a killed or
failed dbt build left, or that are older than the loaded deliveries (orchestration/build_state.py).

Text is published as delivered: DuckDB and Parquet are typed data and evaluate nothing, so
formula-like text (which ingest refuses in codes and ids, and may occur in names) is kept as
it is; only spreadsheet writers must keep it text (`write_excel` does).

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
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.build_state import stale_build_problem
from orchestration.publication_files import activate, new_version, publication_lock, remove_leftovers
from warehouse.db import connect
from warehouse.settings import published_path, warehouse_path

# Whole schemas that are published; everything else (raw, meta, staging, intermediate, marts,
# exchange_import, ...) stays in the warehouse. The city marts are NOT published: they hold
# unsuppressed counts of 1 or 2; planners get the disclosure-controlled exchange/alliance tables
# (with district breakdowns) instead. `official` holds the statistical offices' published tables.
PUBLISHED_SCHEMAS = ("official", "alliance", "exchange")
# Tables of published schemas that stay private: the official comparison mart carries the raw
# register counts (its disclosure-controlled copy is alliance.fct_register_vs_official).
PUBLISHED_EXCLUDE = (("official", "fct_register_vs_official_migration"),)
# Single tables published from otherwise private schemas.
PUBLISHED_EXTRA = (("reference", "indicator_catalogue"),)
# Counts that describe files, checks, cities or time, not persons: exempt from the small-count scan.
NOT_PERSON_COUNTS = re.compile(
    r"^(year|arrival_year|months|quarter|month|school_year_start|version|register_months|rank_among_cities|"
    r"n_cities_ranked|n_rows|loaded_files|n_files|n_results|n_cells|n_suppressed|n_indicators|n_blocked_sources|"
    r"loaded|superseded|duplicate|quarantined|pending|n_tables)$"
)
# Double-typed columns that hold counts of persons (integral values) or estimates of persons.
PERSON_COUNT_DOUBLES = re.compile(r"^(numerator|denominator|register_value|register_status_changes|registered|point)$")
# (doubles are rounded and taken by magnitude: an estimate of -1 is as precise as a count of 1)
# Schemas whose figures were published by a statistical office (not re-suppressed).
OFFICIAL_SCHEMAS = ("official",)
CATALOGUE = "reference.indicator_catalogue"
# A published column must never look like a pseudonym (or an address / record key).
FORBIDDEN_COLUMN_RE = re.compile(r"pseudonym|pseudoniem|adresse|adres_", re.I)
ABOUT_SCHEMA = "publication"


class PublishError(Exception):
    """Publishing stopped; the previously published file is unchanged."""


def _tables_to_publish(con) -> list[tuple[str, str]]:
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = 'publish_source' order by 1, 2"
    ).fetchall()
    wanted = [
        (s, t)
        for s, t in rows
        if (s in PUBLISHED_SCHEMAS and (s, t) not in PUBLISHED_EXCLUDE) or (s, t) in PUBLISHED_EXTRA
    ]
    missing = [f"{s}.{t}" for s, t in PUBLISHED_EXTRA if (s, t) not in rows]
    if missing:
        raise PublishError(f"missing in the warehouse: {', '.join(missing)} (run dbt seed/build first)")
    return wanted


def _forbidden_columns(con, catalog: str | None = None) -> list[str]:
    """Columns named like a pseudonym or address in `catalog` (default: the connection's own file)."""
    rows = con.execute(
        "select table_schema || '.' || table_name || '.' || column_name from information_schema.columns "
        "where table_catalog = coalesce(?, current_database())",
        [catalog],
    ).fetchall()
    return [r[0] for r in rows if FORBIDDEN_COLUMN_RE.search(r[0].rsplit(".", 1)[1])]


def columns_by_table(con) -> dict[tuple[str, str], list[tuple[str, str]]]:
    """{(schema, table): [(column, type), ...]} of every table and view of the connection's own
    database, columns in their order."""
    rows = con.execute(
        "select table_schema, table_name, column_name, data_type from information_schema.columns "
        "where table_catalog = current_database() order by table_schema, table_name, ordinal_position"
    ).fetchall()
    tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, dtype in rows:
        tables.setdefault((schema, table), []).append((column, dtype))
    return tables


def small_count_problems(con) -> list[str]:
    """Published cells with a count of 1 or 2 that are not flagged suppressed (empty = clean).

    Scans every table of the connection's file: integer columns (except NOT_PERSON_COUNTS) and
    the double columns that hold persons (PERSON_COUNT_DOUBLES, rounded); rows with
    `is_suppressed = true` are exempt. Official schemas hold published figures and are skipped,
    but must not carry register counts.
    """
    tables = columns_by_table(con)
    problems = []
    for (schema, table), columns in tables.items():
        names = {c for c, _ in columns}
        if schema in OFFICIAL_SCHEMAS:
            problems += [
                f"{schema}.{table}.{c}: register count in an official table" for c in names if c.startswith("register_")
            ]
            continue
        checked = [
            c
            for c, t in columns
            if (
                t
                in (
                    "TINYINT",
                    "SMALLINT",
                    "INTEGER",
                    "BIGINT",
                    "HUGEINT",
                    "UTINYINT",
                    "USMALLINT",
                    "UINTEGER",
                    "UBIGINT",
                )
                and not NOT_PERSON_COUNTS.match(c)
            )
            or ((t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL")) and PERSON_COUNT_DOUBLES.match(c))
        ]
        if not checked:
            continue
        unsuppressed = "not coalesce(is_suppressed, false)" if "is_suppressed" in names else "true"
        # one pass over the table for all its count columns
        found = con.execute(
            "select "
            + ", ".join(f'count(*) filter ({unsuppressed} and abs(round("{c}")) between 1 and 2)' for c in checked)
            + f' from "{schema}"."{table}"'
        ).fetchone()
        problems += [f"{schema}.{table}.{c}: {n} unsuppressed value(s) of 1 or 2" for c, n in zip(checked, found) if n]
    return problems


def _operational_tables(con) -> dict[str, str]:
    """Bookkeeping the report's quality section needs, aggregated: no file names, hashes,
    row counts of files, check details or observed values (source: the attached warehouse `publish_source`)."""
    present = {
        r[0]
        for r in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables where table_catalog = 'publish_source'"
        ).fetchall()
    }
    sql = {}
    if "meta.delivery_registry" in present:
        sql["delivery_counts"] = """
            select city, source, coalesce(form, '') as form, period, version, status,
                   count(*) as n_files, min(received_at) as first_received_at,
                   max(received_at) as last_received_at, max(registered_at) as last_registered_at
            from publish_source.meta.delivery_registry group by all"""
    if "meta.quality_results" in present:
        sql["quality_check_counts"] = """
            select city, asset, period, check_name, severity, outcome,
                   count(*) as n_results, max(checked_at) as last_checked_at
            from publish_source.meta.quality_results group by all"""
    if "meta.quality_gate" in present:
        sql["quality_gate"] = """
            select city, source, form, period, check_name, reason, blocked_at from publish_source.meta.quality_gate"""
    if "meta.gate_decisions" in present:  # who released or rejected a block, when and why
        sql["gate_decisions"] = """
            select city, source, form, period, decision, reason, decided_by, decided_at
            from publish_source.meta.gate_decisions"""
    if "meta.load_runs" in present:
        sql["load_runs"] = """
            select run_id, started_at, finished_at, synthetic, loaded, superseded, duplicate,
                   quarantined, pending from publish_source.meta.load_runs"""
    return sql


def _data_version(con) -> tuple[int | None, str | None]:
    """Number of loaded delivery files and a hash over their names and checksums (the data version)."""
    import hashlib

    try:
        rows = con.execute(
            "select delivery_file, file_sha256 from publish_source.meta.delivery_registry "
            "where status = 'loaded' order by delivery_file"
        ).fetchall()
    except duckdb.CatalogException:
        return None, None
    return len(rows), hashlib.sha256("".join(f"{f}{h}" for f, h in rows).encode()).hexdigest()


def _synthetic(con) -> bool | None:
    try:
        return con.execute("select bool_or(synthetic) from publish_source.meta.load_runs").fetchone()[0]
    except duckdb.CatalogException:
        return None


def _build_copy(warehouse: Path, new_file: Path, published_at: datetime) -> dict:
    """Write every published table into `new_file` (a fresh DuckDB file); return the summary."""
    from reports.leakscan import scan_connection

    con = connect(new_file)
    try:
        con.execute(f"attach '{warehouse}' as publish_source (read_only)")
        stale = stale_build_problem(con, _data_version(con)[1])
        if stale:
            raise PublishError(f"refusing to publish: {stale}")
        tables = _tables_to_publish(con)
        leaky = [c for c in _forbidden_columns(con, "publish_source") if tuple(c.split(".")[:2]) in set(tables)]
        if leaky:
            raise PublishError(f"refusing to publish person-level columns: {', '.join(leaky)}")
        counts = {}
        for schema, table in tables:
            con.execute(f'create schema if not exists "{schema}"')
            con.execute(f'create table "{schema}"."{table}" as select * from publish_source."{schema}"."{table}"')
            counts[f"{schema}.{table}"] = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
        disclosure = _audit_disclosure(con)
        synthetic = _synthetic(con)
        loaded_files, data_version = _data_version(con)
        con.execute(f"create schema {ABOUT_SCHEMA}")
        for name, query in _operational_tables(con).items():
            con.execute(f"create table {ABOUT_SCHEMA}.{name} as {query}")
            counts[f"{ABOUT_SCHEMA}.{name}"] = con.execute(f"select count(*) from {ABOUT_SCHEMA}.{name}").fetchone()[0]
        con.execute("detach publish_source")
        con.execute(
            f"""create table {ABOUT_SCHEMA}.about as select
            ?::timestamp as published_at, ?::varchar as source_warehouse, ?::boolean as synthetic,
            ?::varchar as note, ?::bigint as loaded_files, ?::varchar as data_version""",
            [
                published_at.replace(tzinfo=None),
                str(warehouse),
                synthetic,
                "SYNTHETIC DEMO DATA - not real figures."
                if synthetic
                else "Aggregated, disclosure-controlled figures; basis register or official per row.",
                loaded_files,
                data_version,
            ],
        )
        con.execute(f"create table {ABOUT_SCHEMA}.tables (table_name varchar, n_rows bigint)")
        con.executemany(f"insert into {ABOUT_SCHEMA}.tables values (?, ?)", list(counts.items()))
        # Check the copy itself, not only the source: nothing person-level may have slipped in.
        leaky = _forbidden_columns(con)
        if leaky:
            raise PublishError(f"person-level columns in the copy: {', '.join(leaky)}")
        _raise_on_leaks(scan_connection(con, new_file.name))  # small counts, pseudonyms, person columns
        con.execute("checkpoint")
    finally:
        con.close()
    return {"tables": counts, "synthetic": synthetic, "disclosure_audit": disclosure}


def _audit_disclosure(con) -> str:
    """The copy as an attacker holds it: no primary cell may be breakable from all its tables
    together (disclosure.audit; true values from the warehouse being copied, `publish_source`).

    The repair step's verdict stands when it judged exactly these cells, pattern and true values
    under the same rules (disclosure.verdict: the fingerprints match); otherwise - a pattern
    changed after the repair, or no repair recorded one - the copy is audited again. Returns how
    the copy was judged."""
    from disclosure.audit import BreakablePattern, require_safe
    from disclosure.lp import AuditError
    from disclosure.relations import TRUTH
    from disclosure.verdict import fingerprint, recorded, reusable

    truth = f"publish_source.{TRUTH}"
    fp = fingerprint(con, truth=truth)
    verdict = reusable(con, fp, catalog="publish_source")
    if verdict is not None:
        return f"verdict of the repair reused ({verdict.headline}; fingerprint {fp[:12]})"
    try:
        report = require_safe(con, "to publish", truth=truth)
    except BreakablePattern as exc:
        raise PublishError(str(exc)) from exc
    except AuditError as exc:
        raise PublishError(f"refusing to publish: the disclosure audit cannot judge the pattern ({exc})") from exc
    why = "no verdict of the repair recorded" if recorded(con, "publish_source") is None else "changed since the repair"
    return f"audited ({report.headline()}; {why}, fingerprint {fp[:12]})"


def _write_parquet(db_file: Path, parquet_dir: Path, tables) -> None:
    """One Parquet file per published table, into the version folder being built."""
    parquet_dir.mkdir()
    parquet_dir.chmod(0o755)
    con = connect(db_file, read_only=True)
    try:
        for name in tables:
            con.execute(f"copy (select * from {name}) to '{parquet_dir / (name + '.parquet')}' (format parquet)")
    finally:
        con.close()


def _raise_on_leaks(problems: list[str]) -> None:
    if problems:
        raise PublishError(
            f"refusing to publish, the leak scan found {len(problems)} problem(s): " + "; ".join(problems[:10])
        )


def _leak_scan(parquet_dir: Path) -> None:
    """The leak scan (reports.leakscan) over the new version's Parquet files, before the version
    is made current (its DuckDB file was scanned as it was built): a finding stops the publish,
    the old copy stays."""
    from reports.leakscan import scan_parquet

    _raise_on_leaks(scan_parquet(parquet_dir.glob("*.parquet"), "parquet"))


def publish(warehouse: Path | None = None, target: Path | None = None) -> dict:
    """Copy the published schemas of `warehouse` into `target` atomically; return a summary.

    Summary: target path, published_at, synthetic flag, {table: rows}, parquet folder. The
    DuckDB file and the Parquet folder are built in a new version folder and swapped in
    together (orchestration.publication_files); a killed publish leaves the old copy current
    and its leftovers are removed by the next publish.
    """
    warehouse = Path(warehouse or warehouse_path())
    target = Path(target or published_path())
    if not warehouse.exists():
        raise PublishError(f"warehouse {warehouse} does not exist")
    published_at = datetime.now(UTC)
    with publication_lock(target.parent):
        remove_leftovers(target)
        version = new_version(target)
        try:
            summary = _build_copy(warehouse, version / target.name, published_at)
            _write_parquet(version / target.name, version / "parquet", summary["tables"])
            _leak_scan(version / "parquet")  # blocking: nothing leaky becomes current
            activate(target, version)  # the atomic step: readers see old or new, never half
        except BaseException:
            shutil.rmtree(version, ignore_errors=True)
            raise
        remove_leftovers(target)  # now the new one is current: keep it and the one before
    parquet_dir = target.parent / "parquet"
    return {"target": str(target), "published_at": published_at.isoformat(), "parquet_dir": str(parquet_dir), **summary}


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
    con = connect(published, read_only=True)
    try:
        catalogue = con.execute(f"select * from {CATALOGUE} where indicator_id in ?", [indicators]).pl()
        unknown = sorted(set(indicators) - set(catalogue.get_column("indicator_id").to_list()))
        if unknown:
            raise ValueError(f"unknown indicator(s) {unknown}; see {CATALOGUE}")
        cities = {r[0] for r in con.execute("select distinct city from alliance.fct_intercity_indicators").fetchall()}
        if city not in cities:
            raise ValueError(f"city {city!r} not in the published intercity table (known: {sorted(cities)})")
        sheets = {
            i: con.execute(
                "select * from alliance.fct_intercity_indicators where city = ? and indicator_id = ? "
                "order by period, breakdown, is_total desc, group_value",
                [city, i],
            ).pl()
            for i in indicators
        }
        about = con.execute(f"select published_at, synthetic, note from {ABOUT_SCHEMA}.about").fetchone()
    finally:
        con.close()

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    final, out = out, out.with_name(f".{out.stem}.scanning{out.suffix}")  # renamed once scanned
    # Formula-like text (a district code '=1+2', a name '@x') must stay text: xlsxwriter would
    # otherwise write any string starting with '=' as a live formula, and numbers or URLs alike.
    wb = xlsxwriter.Workbook(
        str(out),
        {"remove_timezone": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False},
    )
    try:
        bold = wb.add_format({"bold": True})
        warn = wb.add_format({"bold": True, "font_color": "#B00020", "font_size": 14})
        used: set[str] = set()
        front = wb.add_worksheet(_sheet_name("Hinweise", used))
        row = 0
        if about[1]:
            front.write(row, 0, "SYNTHETISCHE DEMODATEN - keine realen Zahlen / SYNTHETIC DEMO DATA", warn)
            row += 2
        for label, value in [
            ("Stadt", city),
            ("Indikatoren", ", ".join(indicators)),
            ("Stand der Veröffentlichung", str(about[0])),
            ("Hinweis", about[2]),
            (
                "Lesehilfe",
                "Unterdrückte Zellen (1 oder 2 Personen und Komplementzellen) sind leer; "
                "is_blocked = Qualitätsprüfung gesperrt; is_not_comparable = Indikator "
                "für dieses Land nicht definiert.",
            ),
        ]:
            front.write(row, 0, label, bold)
            front.write(row, 1, value)
            row += 1
        for indicator, frame in sheets.items():
            frame.write_excel(workbook=wb, worksheet=_sheet_name(indicator, used), autofit=True)
        catalogue.write_excel(workbook=wb, worksheet=_sheet_name("Katalog", used))
    finally:
        wb.close()
    from reports.leakscan import scan_excel

    problems = scan_excel(out)
    if problems:
        out.unlink()
        raise PublishError(f"workbook not written, the leak scan found: {'; '.join(problems[:10])}")
    os.replace(out, final)
    return final


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
