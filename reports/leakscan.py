"""Leak scan over every artefact that leaves the city layer.

One scan for all of them, whatever wrote them: the published DuckDB file and its Parquet
files, Excel workbooks, the HTML and the PDF text of every report with its chart data and
its manifest JSON, the exchange packages (Parquet, manifest, signature) and the metadata
Dagster records for the alliance and exchange assets. It looks for three things:

- a pseudonym: 32 hexadecimal characters standing alone (reports.disclosure.PSEUDONYM);
- an unsuppressed count of 1 or 2, in count columns only, known from the tables' schemas:
  integer columns that count persons and the double columns that hold persons
  (orchestration.publish: NOT_PERSON_COUNTS, PERSON_COUNT_DOUBLES), `value` where the row's
  unit is a count, the exchange tables by their contracts (orchestration.exchange_tables) -
  never years, codes, ranks or shares; official tables are published by the office as they are;
- a person-level column: person ids, pseudonyms, birth dates, addresses (PERSON_COLUMN_RE).

It blocks publication: orchestration.publish scans the new version (DuckDB and Parquet) before
it becomes current, the exchange export scans a package before it appears in the outbox, the
report renderer scans HTML, chart data and PDF before it copies them out. Rendered HTML and
chart CSVs are read by reports.disclosure (scan_html, scan_chart_csv). The PDF is scanned for
pseudonyms anywhere and, in its tables, row by row for counts of 1 or 2 in the count columns
(reports.pdf_tables: the layout text keeps a row on a line and a cell under its header; prose,
page numbers and footnotes are outside the tables and not read for counts).

    python -m reports.leakscan data/published reports/output data/exchange/outbox x.xlsx [--dagster]

Exit status 1 when anything was found (each finding on a line), 0 when clean.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import duckdb

from reports.disclosure import PSEUDONYM, scan_output

# Column names that hold person-level content. Matched on the whole name or its parts, so that
# counts of persons (personen_in_bg, births) are not taken for persons.
PERSON_COLUMN_RE = re.compile(
    r"^(person|persoon|personen)_?(id|nr|nummer)$|pseudonym|pseudoniem|objekt_id|ereignis_id"
    r"|geburtsdatum|geburtstag|geburtsjahr|birth_?date|date_of_birth|birth_?year|geboortedatum|geboortejaar"
    r"|adress|adres|address|strasse|straße|street|hausnummer|huisnummer",
    re.I,
)
PSEUDONYM_SQL = r"\b[0-9a-fA-F]{32}\b"
# Keys of JSON (report manifests, Dagster metadata) whose number is a count of persons.
JSON_COUNT_KEYS = re.compile(r"^(numerator|denominator|register_value|registered|point|persons|n_persons|count)$")
INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
# Text columns that hold ids of the pipeline's own runs (uuid4 hex, 32 characters), not of
# persons: exempt from the pseudonym scan by their place, nowhere else.
NOT_PSEUDONYMS = {("publication", "load_runs", "run_id")}
# JSON keys (report manifests, Dagster metadata) whose strings are such run ids.
JSON_RUN_ID_KEYS = {"run_id", "last_load_run", "invocation_id"}
# Groups of the Dagster definitions whose recorded metadata leaves the city layer.
DAGSTER_GROUPS = ("alliance", "exchange")


class LeakFound(RuntimeError):
    """An artefact would publish a pseudonym, a small count or a person-level column."""


def _small(x) -> bool:
    """1 or 2 by magnitude, rounded either way (as orchestration.exchange_tables._small)."""
    return isinstance(x, int | float) and not isinstance(x, bool) and 0.5 <= abs(x) <= 2.5


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- DuckDB and Parquet -----------------------------------------------------------------------


def scan_connection(con: duckdb.DuckDBPyConnection, label: str) -> list[str]:
    """Every table and view of the connection's own database."""
    from orchestration.publish import OFFICIAL_SCHEMAS, columns_by_table, small_count_problems
    from reports.data import COUNT_UNITS

    tables = columns_by_table(con)
    problems = [
        f"{label}: {s}.{t}.{c}: person-level column"
        for (s, t), cols in tables.items()
        for c, _ in cols
        if PERSON_COLUMN_RE.search(c)
    ]
    problems += [f"{label}: {p}" for p in small_count_problems(con)]
    units = ", ".join(f"'{u}'" for u in sorted(COUNT_UNITS))
    queries, labels = [], []  # one aggregate row per table, all tables in one query (one pass each)
    for (schema, table), cols in tables.items():
        names = {c for c, _ in cols}
        checks = []  # (what, SQL count expression)
        if schema not in OFFICIAL_SCHEMAS and {"value", "unit"} <= names:
            open_rows = "not coalesce(is_suppressed, false) and " if "is_suppressed" in names else ""
            checks.append(
                (
                    "value: unsuppressed count(s) of 1 or 2 (unit a count) in {n} row(s)",
                    f"count(*) filter ({open_rows}lower(unit) in ({units}) and abs(round(value)) between 1 and 2)",
                )
            )
        # over the distinct values (most text columns hold a few codes), long enough ones only
        checks += [
            (
                f"{c}: pseudonym-like value(s), {{n}} distinct",
                f"len(list_filter(list(distinct {_q(c)}), x -> length(x) >= 32 and regexp_matches(x, '{PSEUDONYM_SQL}')))",
            )
            for c, t in cols
            if t == "VARCHAR" and (schema, table, c) not in NOT_PSEUDONYMS
        ]
        if checks:
            labels.append((f"{schema}.{table}", [what for what, _ in checks]))
            queries.append(
                f"select {len(queries)} as i, [{', '.join(sql for _, sql in checks)}]::bigint[] as n "
                f"from {_q(schema)}.{_q(table)}"
            )
    if queries:
        for i, counts in con.execute(" union all ".join(queries)).fetchall():
            rel, whats = labels[i]
            problems += [f"{label}: {rel}.{what.format(n=n)}" for what, n in zip(whats, counts) if n]
    return problems


def scan_duckdb(path: Path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return scan_connection(con, Path(path).name)
    finally:
        con.close()


def scan_parquet(files: Iterable[Path], label: str) -> list[str]:
    """Parquet files named `<schema>.<table>.parquet` (the published copy's layout; other names
    go to schema `parquet`), scanned as views with the rules of their schema."""
    con = duckdb.connect()
    try:
        for f in sorted(files):
            parts = f.name.removesuffix(".parquet").split(".")
            schema, table = (parts[0], ".".join(parts[1:])) if len(parts) > 1 else ("parquet", parts[0])
            con.execute(f"create schema if not exists {_q(schema)}")
            path = str(f).replace("'", "''")
            con.execute(f"create view {_q(schema)}.{_q(table)} as select * from read_parquet('{path}')")
        return scan_connection(con, label)
    finally:
        con.close()


# --- exchange packages ------------------------------------------------------------------------


def frame_problems(name: str, frame) -> list[str]:
    """Pseudonyms and person-level columns in one Polars frame (the count rules of a package
    table are its contract's, orchestration.exchange_tables)."""
    import polars as pl

    problems = [f"{name}: column {c!r} is person-level" for c in frame.columns if PERSON_COLUMN_RE.search(c)]
    text = [c for c, t in frame.schema.items() if t == pl.String]
    if text and frame.height:
        hits = frame.select([pl.col(c).str.contains(PSEUDONYM.pattern).fill_null(False).sum() for c in text]).row(0)
        problems += [f"{name}: {c}: {n} pseudonym-like value(s)" for c, n in zip(text, hits) if n]
    return problems


def scan_package(package_dir: Path) -> list[str]:
    """An exchange package folder: every table by its contract's disclosure rules plus the
    scans above, the manifest and the signature as JSON."""
    import polars as pl

    from orchestration.exchange_tables import TABLES_BY_FILE

    package_dir = Path(package_dir)
    label = package_dir.name
    problems = []
    for path in sorted(package_dir.iterdir()):
        where = f"{label}/{path.name}"
        if path.suffix == ".parquet":
            frame = pl.read_parquet(path)
            table = TABLES_BY_FILE.get(path.name)
            if table is None:
                problems.append(f"{where}: not a table of the exchange contract")
            else:
                problems += [f"{where}: {p}" for p in table.check(frame)]
            problems += frame_problems(where, frame)
        elif path.suffix in (".json", ".sig"):
            problems += scan_json(path, where)
        else:
            problems.append(f"{where}: unexpected file in a package")
    return problems


# --- Excel, PDF, JSON -------------------------------------------------------------------------


def scan_excel(path: Path) -> list[str]:
    """Every sheet: header names, pseudonyms in any text cell, counts of 1 or 2 in the count
    columns (numerator, denominator and the other person-count columns; `value` where the row's
    unit is a count), rows marked is_suppressed exempt."""
    import openpyxl

    from orchestration.publish import NOT_PERSON_COUNTS, PERSON_COUNT_DOUBLES
    from reports.data import is_count_unit

    label = Path(path).name
    problems = []
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        for ws in wb.worksheets:
            header: list[str] | None = None
            for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
                for v in row:
                    if isinstance(v, str) and PSEUDONYM.search(v):
                        problems.append(f"{label}[{ws.title}]:{i}: pseudonym-like string")
                if header is None:
                    if row and all(isinstance(v, str) for v in row if v is not None) and any(row):
                        header = [str(v or "") for v in row]
                        problems += [
                            f"{label}[{ws.title}]: column {h!r} is person-level"
                            for h in header
                            if PERSON_COLUMN_RE.search(h)
                        ]
                    continue
                cells = dict(zip(header, row))
                if cells.get("is_suppressed") in (True, 1, "true", "TRUE", "True"):
                    continue
                counts = [h for h in header if PERSON_COUNT_DOUBLES.match(h) and not NOT_PERSON_COUNTS.match(h)]
                if "value" in cells and is_count_unit(str(cells.get("unit") or "")):
                    counts.append("value")
                problems += [
                    f"{label}[{ws.title}]:{i}: {h}={cells[h]} is a count of 1 or 2"
                    for h in counts
                    if _small(cells.get(h))
                ]
    finally:
        wb.close()
    return problems


def pdf_pages(path: Path, layout: bool = False) -> list[str]:
    """The text of every page; `layout`: with the cells of a table row at their x positions."""
    try:
        from pypdf import PdfReader
    except ImportError as exc:  # a scan that did not run must not pass
        raise LeakFound(f"{Path(path).name}: PDF not scanned, pypdf is not installed") from exc
    mode = {"extraction_mode": "layout"} if layout else {}
    return [page.extract_text(**mode) or "" for page in PdfReader(str(path)).pages]


def pdf_text(path: Path) -> str:
    return "\n".join(pdf_pages(path))


def scan_pdf(path: Path) -> list[str]:
    """Pseudonyms anywhere in the text, and bare counts of 1 or 2 in the count columns of the
    tables, row by row (reports.pdf_tables: the report's headers say which columns count)."""
    from reports.pdf_tables import small_counts

    text = pdf_text(path)
    label = Path(path).name
    if not text.strip():
        return [f"{label}: no text could be extracted (a PDF that cannot be scanned is not passed)"]
    problems = [f"{label}: pseudonym-like string {m!r}" for m in PSEUDONYM.findall(text)]
    problems += [
        f"{label}: page {t.page} line {line} ({t.caption or 'table'}): {column}={cell!r} is a count of 1 or 2"
        for t, line, column, cell in small_counts(pdf_pages(path, layout=True))
    ]
    return problems


def json_problems(obj, where: str, path: str = "", run_ids: bool = False) -> list[str]:
    """Pseudonyms in any string or key, person-level keys, counts of 1 or 2 under count keys
    (`run_ids`: strings under a JSON_RUN_ID_KEYS key, which are run ids and exempt)."""
    problems = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            key = str(k)
            sub = f"{path}.{key}" if path else key
            if PERSON_COLUMN_RE.search(key):
                problems.append(f"{where}: {sub}: person-level key")
            if PSEUDONYM.search(key):
                problems.append(f"{where}: {sub}: pseudonym-like key")
            if JSON_COUNT_KEYS.match(key) and _small(v):
                problems.append(f"{where}: {sub}={v} is a count of 1 or 2")
            if key == "columns" and isinstance(v, list):  # a column schema (Dagster, dbt)
                problems += [
                    f"{where}: {sub}: person-level column {c!r}"
                    for c in v
                    if isinstance(c, str) and PERSON_COLUMN_RE.search(c)
                ]
            problems += json_problems(v, where, sub, key in JSON_RUN_ID_KEYS)
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            problems += json_problems(v, where, f"{path}[{i}]", run_ids)
    elif isinstance(obj, str):
        if PSEUDONYM.search(obj) and not (run_ids and re.fullmatch(r"[0-9a-f]{32}|[0-9a-f-]{36}", obj)):
            problems.append(f"{where}: {path}: pseudonym-like string")
    return problems


def scan_json(path: Path, label: str | None = None) -> list[str]:
    label = label or Path(path).name
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError):
        text = Path(path).read_text(encoding="utf-8", errors="replace")
        return [f"{label}: pseudonym-like string {m!r}" for m in PSEUDONYM.findall(text)]
    return json_problems(obj, label)


# --- Dagster metadata -------------------------------------------------------------------------


def _plain(value):
    """A Dagster metadata value as plain JSON-like data (column schemas as their column names)."""
    import dagster as dg

    if isinstance(value, dg.TableSchemaMetadataValue):
        return {"columns": [c.name for c in value.schema.columns]}
    if isinstance(value, dg.TableSchema):
        return {"columns": [c.name for c in value.columns]}
    inner = getattr(value, "value", value)
    if isinstance(inner, dg.TableSchema):
        return {"columns": [c.name for c in inner.columns]}
    if isinstance(inner, dict | list | str | int | float | bool) or inner is None:
        return inner
    return str(inner)


def plain_metadata(metadata: dict) -> dict:
    return {k: _plain(v) for k, v in metadata.items()}


def dagster_records(materializations, defs=None, groups=DAGSTER_GROUPS) -> list[dict]:
    """[{asset, metadata}] of the materialisations (dg.AssetMaterialization) of assets in
    `groups` of the definitions (default: the project's)."""
    if defs is None:
        from orchestration.definitions import defs
    wanted = {s.key for s in defs.resolve_all_asset_specs() if s.group_name in groups}
    return [
        {"asset": m.asset_key.to_user_string(), "metadata": plain_metadata(m.metadata)}
        for m in materializations
        if m.asset_key in wanted
    ]


def result_materializations(results) -> list:
    """The materialisations of in-process run results (orchestration.pipeline.run_pipeline)."""
    return [e.event_specific_data.materialization for r in results for e in r.get_asset_materialization_events()]


def instance_materializations(instance=None, defs=None, groups=DAGSTER_GROUPS) -> list:
    """The latest materialisation of every alliance and exchange asset the instance recorded
    (default: the DAGSTER_HOME instance)."""
    import dagster as dg

    if defs is None:
        from orchestration.definitions import defs
    instance = instance or dg.DagsterInstance.get()
    out = []
    for spec in defs.resolve_all_asset_specs():
        if spec.group_name in groups:
            event = instance.get_latest_materialization_event(spec.key)
            if event is not None and event.asset_materialization is not None:
                out.append(event.asset_materialization)
    return out


def scan_dagster(records: list[dict]) -> list[str]:
    return [p for r in records for p in json_problems(r["metadata"], f"dagster {r['asset']}")]


# --- any path ---------------------------------------------------------------------------------


def scan_path(path: Path) -> list[str]:
    """One artefact or a folder of them (a folder holding manifest.json is an exchange package,
    one named parquet the published Parquet files)."""
    path = Path(path)
    if not path.exists():
        raise LeakFound(f"{path}: does not exist (a scan of nothing must not pass)")
    if path.is_dir():
        if (path / "manifest.json").exists() and any(path.glob("*.parquet")):
            return scan_package(path)
        problems = []
        parquet = sorted(path.glob("*.parquet"))
        if parquet:
            problems += scan_parquet(parquet, path.name)
        for child in sorted(path.iterdir()):
            if child.name.startswith("."):
                continue  # unfinished exports and version folders behind a link
            if child.is_dir() or child.suffix != ".parquet":
                problems += scan_path(child)
        return problems
    suffix = path.suffix.lower()
    if suffix == ".duckdb":
        return scan_duckdb(path)
    if suffix == ".parquet":
        return scan_parquet([path], path.name)
    if suffix == ".xlsx":
        return scan_excel(path)
    if suffix == ".pdf":
        return scan_pdf(path)
    if suffix == ".json":
        return scan_json(path)
    if suffix in (".html", ".csv"):
        return scan_output([path])
    return []  # other files (the .lock files, images) carry no tables


def scan(paths: Iterable[Path], dagster: list[dict] | None = None) -> list[str]:
    problems = [p for path in paths for p in scan_path(Path(path))]
    return problems + scan_dagster(dagster or [])


def require_clean(paths: Iterable[Path], what: str, dagster: list[dict] | None = None) -> None:
    """Raise LeakFound naming every finding (at most 20) when the scan finds anything."""
    problems = scan(paths, dagster)
    if problems:
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise LeakFound(f"{what}: leak scan found {len(problems)} problem(s):\n" + "\n".join(problems[:20]) + more)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.leakscan", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "paths", nargs="*", type=Path, help="files or folders (published copy, outbox, reports, workbooks)"
    )
    parser.add_argument("--dagster", action="store_true", help="also the metadata of the DAGSTER_HOME instance")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    records = dagster_records(instance_materializations()) if args.dagster else []
    problems = scan(args.paths, records)
    for p in problems:
        print(p)
    seconds = time.perf_counter() - started
    print(
        f"leak scan: {len(problems)} problem(s) in {len(args.paths)} path(s), {len(records)} Dagster record(s), {seconds:.2f} s"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
