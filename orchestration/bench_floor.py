"""The engine's floor of a world (figure 3 of issue 13): the delivered files read by DuckDB's bare
readers into tables, with nothing of the pipeline (no dialect, no checks, no dbt, no publish).

Per city, source and format one `CREATE TABLE ... AS SELECT * FROM read_csv([...])` (or
`read_parquet`) over all its files - the least the engine itself must do to hold the deliveries
in tables; xlsx through fastexcel (calamine, the fastest reader here, also the load's). A group
whose files DuckDB cannot read together (different headers, a Latin-1 official table) is read
file by file. Timed in the process that calls it, into a fresh database file beside the world,
with the warehouse's memory limit and threads.

    python -m orchestration.bench_floor LANDING_DIR
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

READERS = {".csv": "read_csv", ".parquet": "read_parquet"}
# what the bare readers are given for a file DuckDB cannot sniff alone (the official tables)
CSV_FALLBACK = "encoding = 'latin-1', all_varchar = true, null_padding = true, ignore_errors = true"


def delivered_files(landing: Path) -> dict[tuple[str, str, str], list[Path]]:
    """Data files of a landing folder per (city or `official`, source, suffix); bookkeeping
    (dot files, the synthetic-data note) and the boundaries' GeoJSON are not deliveries of rows."""
    groups: dict[tuple[str, str, str], list[Path]] = defaultdict(list)
    for path in sorted(landing.rglob("*")):
        rel = path.relative_to(landing)
        if not path.is_file() or any(part.startswith(".") for part in rel.parts) or len(rel.parts) < 3:
            continue
        suffix = path.suffix.lower()
        if suffix in READERS or suffix == ".xlsx":
            groups[(rel.parts[0], rel.parts[1], suffix)].append(path)
    return groups


def _sql_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def _read_group(con, table: str, suffix: str, paths: list[Path]) -> tuple[int, int]:
    """Read one group into `table`; returns (rows, files read one by one)."""
    if suffix == ".xlsx":
        import fastexcel

        for i, path in enumerate(paths):
            con.register("sheet", fastexcel.read_excel(path.read_bytes()).load_sheet(0, dtypes="string").to_arrow())
            con.execute(f"{'INSERT INTO' if i else 'CREATE TABLE'} {table} {'' if i else 'AS '}SELECT * FROM sheet")
            con.unregister("sheet")
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0], 0
    reader = READERS[suffix]
    union = ", union_by_name = true" if len(paths) > 1 else ""
    try:
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM {reader}({_sql_list(paths)}{union})")
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0], 0
    except Exception:  # noqa: BLE001 - read together failed: file by file, the slower way
        con.execute(f"DROP TABLE IF EXISTS {table}")
    rows = 0
    for i, path in enumerate(paths):
        name = f"{table}_{i}"
        try:
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM {reader}({_sql_list([path])})")
        except Exception:  # noqa: BLE001
            if suffix != ".csv":
                raise
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_csv({_sql_list([path])}, {CSV_FALLBACK})")
        rows += con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    return rows, len(paths)


def engine_floor(landing: Path, database: Path | None = None, log=print) -> dict:
    """Seconds to read every delivered file of `landing` into tables, and per source."""
    from warehouse.db import connect

    landing = Path(landing)
    tmp = None
    if database is None:
        tmp = tempfile.TemporaryDirectory(prefix="floor_", dir=landing.parent)
        database = Path(tmp.name) / "floor.duckdb"
    groups = delivered_files(landing)
    per_source: dict[str, float] = defaultdict(float)
    rows = files = one_by_one = 0
    t0 = time.perf_counter()
    with connect(database) as con:
        for (city, source, suffix), paths in groups.items():
            t1 = time.perf_counter()
            table = f"{city}_{source}_{suffix[1:]}".replace("-", "_")
            n, single = _read_group(con, table, suffix, paths)
            per_source[f"{source}{suffix}"] += time.perf_counter() - t1
            rows, files, one_by_one = rows + n, files + len(paths), one_by_one + single
    seconds = time.perf_counter() - t0
    size = database.stat().st_size
    if tmp is not None:
        tmp.cleanup()
    out = {
        "floor_s": round(seconds, 1),
        "floor_rows": rows,
        "floor_files": files,
        "floor_files_one_by_one": one_by_one,
        "floor_db_mb": round(size / 1e6),
        "floor_per_source_s": {k: round(v, 2) for k, v in sorted(per_source.items(), key=lambda kv: -kv[1])},
    }
    log(
        f"   engine floor: {files:,} files ({one_by_one} read one by one), {rows:,} rows into tables in "
        f"{seconds:.1f} s; per source: {out['floor_per_source_s']}"
    )
    return out


if __name__ == "__main__":
    engine_floor(Path(sys.argv[1]))
