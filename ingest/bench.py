"""Benchmark of the ingest (prints figures; not a test).

`python -m ingest.bench --events N [--months M] [--xlsx-events K] [--repeats R] [--workdir DIR]`
writes synthetic movement files valid under the ingest rules for each dialect (standard CSV,
Parquet, ewo-legacy, brp-export, xlsx-report), loads each into a fresh warehouse with
`load_landing`, and compares the standard CSV with DuckDB's bare `read_csv` of the same file
into a table (R interleaved pairs, median ratio: the shared machine makes single runs vary by
2-3x). Every measured step runs in its own spawned process, so its peak memory (max RSS,
getrusage) is its own. Scale mode: `--events 10000000 --months 93` ingests monthly standard
files and times the duplicate-id check against the loaded table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from pathlib import Path

from warehouse.db import connect

EXAMPLES = Path(__file__).resolve().parents[2] / "shared" / "spec" / "examples" / "landing"
# dialect label -> (city, extension)
DIALECT_CITIES = {
    "standard-csv": ("wuppertal", "csv"),
    "parquet": ("muenster", "parquet"),
    "ewo-legacy": ("dortmund", "csv"),
    "brp-export": ("enschede", "csv"),
    "xlsx-report": ("duisburg", "xlsx"),
}
STANDARD_HEADER = (
    "ereignis_id",
    "ereignis_datum",
    "meldedatum",
    "ereignis_art",
    "person_pseudonym",
    "geburtsjahr",
    "geschlecht",
    "staatsangehoerigkeit",
    "staatsangehoerigkeit_2",
    "bezirk_alt",
    "bezirk_neu",
    "adresse_pseudonym",
    "herkunft_ziel",
)
GEBIETE = "bezirk_code;bezirk_name;ebene;uebergeordnet_code;gueltig_ab;gueltig_bis;flaeche_ha\n" + "".join(
    f"0{i};Bezirk {i};stadtbezirk;;2000-01-01;;{i * 100}\n" for i in range(1, 6)
)


def _events_sql(first: int, n: int, month: date, dialect: str) -> str:
    """One month of synthetic events as a DuckDB query (vectorised; md5 gives 32-hex pseudonyms)."""
    days = 28
    art_std = "['ZU_AUSLAND','ZU_INLAND','FO_INLAND','FO_AUSLAND','UMZUG','UMZUG','GEBURT','AVA'][1 + i % 8]"
    base = f"""
        SELECT i, {art_std} AS art, DATE '{month}' + (i % {days})::INT AS melde,
               DATE '{month}' + (i % {days})::INT - (i % 19)::INT AS ereignis,
               '0' || (1 + i % 5)::VARCHAR AS b1, '0' || (1 + (i // 5) % 5)::VARCHAR AS b2
        FROM range({first}, {first + n}) t(i)"""
    alt = "CASE WHEN art IN ('FO_INLAND','FO_AUSLAND','UMZUG','AVA') THEN {b1} END"
    neu = "CASE WHEN art IN ('ZU_AUSLAND','ZU_INLAND','UMZUG','GEBURT') THEN {b2} END"
    if dialect == "brp-export":
        codes = {
            "ZU_AUSLAND": "vestiging_buitenland",
            "ZU_INLAND": "vestiging_binnenland",
            "FO_INLAND": "vertrek_binnenland",
            "FO_AUSLAND": "vertrek_buitenland",
            "UMZUG": "verhuizing",
            "GEBURT": "geboorte",
            "AVA": "vow",
        }
        soort = "CASE art " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in codes.items()) + " END"
        wijk = "'WK01530' || substr({b}, 2)"
        return f"""SELECT printf('BEN%010d', i) AS mutatie_id, strftime(ereignis, '%Y-%m-%d') AS datum_mutatie,
            strftime(melde, '%Y-%m-%d') AS datum_verwerking, {soort} AS soort_mutatie,
            md5(i::VARCHAR) AS persoon_pseudoniem, 1940 + i % 80 AS geboortejaar,
            ['M','V'][1 + i % 2] AS geslacht, ['NLD','SYR','TUR','BGR'][1 + i % 4] AS nationaliteit,
            {alt.format(b1=wijk.format(b="b1"))} AS wijk_oud, {neu.format(b2=wijk.format(b="b2"))} AS wijk_nieuw,
            md5('a' || i::VARCHAR) AS adres_pseudoniem,
            CASE WHEN art LIKE '%_AUSLAND' THEN 'SYR' WHEN art LIKE '%_INLAND' THEN 'GM0164' END AS land_of_gemeente
            FROM ({base})"""
    if dialect == "ewo-legacy":
        num = {
            "ZU_AUSLAND": "10",
            "ZU_INLAND": "11",
            "FO_AUSLAND": "20",
            "FO_INLAND": "21",
            "AVA": "23",
            "UMZUG": "30",
            "GEBURT": "40",
        }
        art = "CASE art " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in num.items()) + " END"
        return f"""SELECT printf('DOR%010d', i) AS EREIGNIS_NR, strftime(ereignis, '%d.%m.%Y') AS DATUM_EREIGNIS,
            strftime(melde, '%d.%m.%Y') AS DATUM_MELDUNG, {art} AS ART, md5(i::VARCHAR) AS PERS_PSEUDO,
            1940 + i % 80 AS GEBJ, 1 + i % 2 AS GESCHL, ['0','475','163','125'][1 + i % 4] AS STAATSANG,
            NULL AS STAATSANG2, {alt.format(b1="b1")} AS BEZ_ALT, {neu.format(b2="b2")} AS BEZ_NEU,
            md5('a' || i::VARCHAR) AS ADR_PSEUDO,
            CASE WHEN art LIKE '%_AUSLAND' THEN '475' WHEN art LIKE '%_INLAND' THEN '05315000' END AS HERK_ZIEL
            FROM ({base})"""
    return f"""SELECT printf('BEN%010d', i) AS ereignis_id, ereignis AS ereignis_datum, melde AS meldedatum,
        art AS ereignis_art, md5(i::VARCHAR) AS person_pseudonym, 1940 + i % 80 AS geburtsjahr,
        ['m','w'][1 + i % 2] AS geschlecht, ['000','475','163','125'][1 + i % 4] AS staatsangehoerigkeit,
        NULL::VARCHAR AS staatsangehoerigkeit_2, {alt.format(b1="b1")} AS bezirk_alt,
        {neu.format(b2="b2")} AS bezirk_neu, md5('a' || i::VARCHAR) AS adresse_pseudonym,
        CASE WHEN art LIKE '%_AUSLAND' THEN '475' WHEN art LIKE '%_INLAND' THEN '05315000' END AS herkunft_ziel
        FROM ({base})"""


def _month(k: int) -> date:
    return date(2019 + k // 12, 1 + k % 12, 1)


def write_movement_file(path: Path, dialect: str, first: int, n: int, month: date) -> None:
    """A valid monthly movement file of `n` events in the shape of `dialect`."""
    con = connect(":memory:")
    query = _events_sql(first, n, month, dialect)
    path.parent.mkdir(parents=True, exist_ok=True)
    if dialect == "parquet":
        con.execute(f"COPY ({query}) TO '{path}' (FORMAT parquet)")
    elif dialect == "xlsx-report":
        _write_xlsx(path, con.execute(query).fetchall())
    else:
        sep = "," if dialect == "brp-export" else ";"
        con.execute(f"COPY ({query}) TO '{path}' (FORMAT csv, DELIMITER '{sep}', HEADER)")
        if dialect == "ewo-legacy":  # CRLF and trailer; content is ASCII, so cp1252 as well
            data = path.read_bytes().replace(b"\n", b"\r\n") + f"Summe Datensaetze: {n}\r\n".encode()
            path.write_bytes(data)
        elif dialect == "brp-export":
            path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    con.close()


def _write_xlsx(path: Path, rows: list[tuple]) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet()
    datefmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write(0, 0, "Stadt Duisburg - Amt für Statistik, Stadtforschung und Europaangelegenheiten")
    ws.write(1, 0, "Abzug vom 06.01.2025 07:30")
    for c, name in enumerate(STANDARD_HEADER):
        ws.write(3, c, name)
    for r, row in enumerate(rows, start=4):
        for c, v in enumerate(row):
            if isinstance(v, date):
                ws.write_datetime(r, c, v, datefmt)
            elif v is not None:
                ws.write(r, c, v)
    wb.close()


def _gebiete(landing: Path, city: str, ext: str) -> None:
    """The city's district reference in its own dialect (codes 01-05, or WK015301-05)."""
    folder = landing / city / "gebiete"
    folder.mkdir(parents=True)
    if city == "enschede":
        lines = ["bezirk_code,bezirk_name,ebene,uebergeordnet_code,gueltig_ab,gueltig_bis,flaeche_ha"]
        lines += [f"WK01530{i},Wijk {i},wijk,,2000-01-01,,{i * 100}" for i in range(1, 6)]
        (folder / "current.csv").write_bytes(b"\xef\xbb\xbf" + ("\n".join(lines) + "\n").encode())
    elif city == "dortmund":
        body = GEBIETE.upper().replace("STADTBEZIRK", "stadtbezirk").replace("\n", "\r\n")
        (folder / "current.csv").write_bytes((body + "Summe Datensaetze: 5\r\n").encode("cp1252"))
    elif ext == "csv":
        (folder / "current.csv").write_text(GEBIETE)
    else:
        import polars as pl

        df = pl.read_csv(GEBIETE.encode(), separator=";", infer_schema=False)
        if ext == "parquet":
            df.write_parquet(folder / "current.parquet")
        else:
            wb_rows = df.rows()
            import xlsxwriter

            wb = xlsxwriter.Workbook(str(folder / "current.xlsx"))
            ws = wb.add_worksheet()
            ws.write(0, 0, "Stadt Duisburg")
            for c, name in enumerate(df.columns):
                ws.write(3, c, name)
            for r, row in enumerate(wb_rows, start=4):
                for c, v in enumerate(row):
                    if v is not None:
                        ws.write(r, c, v)
            wb.close()


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _in_child(fn, *args):
    """Run a measurement in a fresh process: its peak RSS is the measured step's own (not the
    file generator's), and nothing is cached from an earlier measurement."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(fn, *args).result()


def _ingest_child(landing: str, wh: str) -> dict:
    from ingest.load import load_landing

    load_landing(landing, wh, sources=["gebiete"])  # reference data first, not timed
    t0, c0 = time.perf_counter(), _cpu_s()
    summary = load_landing(landing, wh)
    secs, cpu = time.perf_counter() - t0, _cpu_s() - c0
    bad = [(o.file, o.reason) for o in summary.outcomes if o.status != "loaded"]
    return {"seconds": secs, "cpu_s": cpu, "loaded": summary.loaded, "not_loaded": bad, "peak_rss_mb": _peak_mb()}


def _bare_child(path: str, wh: str) -> dict:
    con = connect(wh)
    t0, c0 = time.perf_counter(), _cpu_s()
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}', delim=';', header=true)")
    secs, cpu = time.perf_counter() - t0, _cpu_s() - c0
    n = con.execute("SELECT count(*) FROM t").fetchone()[0]
    con.close()
    return {"events": n, "seconds": secs, "cpu_s": cpu, "peak_rss_mb": _peak_mb()}


def _id_check_child(wh: str, city: str) -> dict:
    """Cost of the duplicate-ereignis_id check against everything loaded (see ingest.load)."""
    import polars as pl

    from ingest.batch import WriteBatch
    from ingest.layout import DeliveryName
    from ingest.load import _ids_in_table

    con = connect(wh)
    out: dict = {"loaded_rows": con.execute("SELECT count(*) FROM raw.meldewesen").fetchone()[0]}
    t0 = time.perf_counter()
    con.execute("SELECT min(ereignis_id), max(ereignis_id) FROM raw.meldewesen WHERE city = ?", [city]).fetchone()
    out["range_query_s"] = time.perf_counter() - t0
    newest = con.execute("SELECT max(delivery_period) FROM raw.meldewesen").fetchone()[0]
    ids = {
        # a corrected newest month: its ids sit at the top of the range (zone maps prune)
        "lookup_newest_month_s": con.execute(
            "SELECT ereignis_id, source_line FROM raw.meldewesen WHERE delivery_period = ?", [newest]
        ).pl(),
        # as many ids spread over the whole history and absent: nothing can be pruned
        "lookup_spread_absent_s": con.execute(
            "SELECT ereignis_id || 'x' AS ereignis_id, source_line FROM raw.meldewesen USING SAMPLE 1 PERCENT "
            "(reservoir, 7) LIMIT (SELECT count(*) FROM raw.meldewesen WHERE delivery_period = ?)",
            [newest],
        ).pl(),
    }
    name = DeliveryName("bench", city, "meldewesen", "", "2099-01", 1, "csv")
    for key, frame in ids.items():
        t0 = time.perf_counter()
        _ids_in_table(con, frame.with_columns(pl.col("source_line").cast(pl.Int32)), name, WriteBatch())
        out[key] = time.perf_counter() - t0
    out["ids_per_lookup"] = ids["lookup_newest_month_s"].height
    con.close()
    return out


def _write_files(landing: Path, label: str, events: int, months: int) -> list[Path]:
    city, ext = DIALECT_CITIES[label]
    _gebiete(landing, city, ext)
    per_month = -(-events // months)
    files = []
    for k in range(months):
        n = min(per_month, events - k * per_month)
        if n <= 0:
            break
        path = landing / city / "meldewesen" / f"{_month(k):%Y-%m}.{ext}"
        write_movement_file(path, label, k * per_month, n, _month(k))
        files.append(path)
    return files


def bench_dialect(
    workdir: Path, label: str, events: int, months: int = 1, run: int = 0, files: list[Path] | None = None
) -> dict:
    landing, wh = workdir / label / "landing", workdir / label / f"wh{run}.duckdb"
    if files is None:
        files = _write_files(landing, label, events, months)
    size = sum(p.stat().st_size for p in files)
    res = _in_child(_ingest_child, str(landing), str(wh))
    if res["loaded"] != len(files) or res["not_loaded"]:
        raise RuntimeError(f"{label}: not every file loaded: {res['not_loaded']}")
    return {
        "dialect": label,
        "events": events,
        "files": len(files),
        "bytes": size,
        "seconds": res["seconds"],
        "cpu_s": res["cpu_s"],
        "rows_per_s": events / res["seconds"],
        "mb_per_s": size / 1e6 / res["seconds"],
        "peak_rss_mb": res["peak_rss_mb"],
        "files_list": files,
        "warehouse": wh,
    }


def bench_duckdb_read_csv(path: Path, workdir: Path) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    wh = workdir / "bare.duckdb"
    for old in workdir.glob("bare.duckdb*"):
        old.unlink()
    res = _in_child(_bare_child, str(path), str(wh))
    res.update(rows_per_s=res["events"] / res["seconds"], mb_per_s=path.stat().st_size / 1e6 / res["seconds"])
    return res


def _compare_standard(workdir: Path, events: int, repeats: int) -> dict:
    """Ingest of one standard CSV against DuckDB's bare read_csv of the same file, interleaved
    `repeats` times (the machine is shared: single runs vary by 2-3x); medians of the pairs."""
    pairs = []
    files = None
    for r in range(repeats):
        bare = bench_duckdb_read_csv(files[0], workdir / f"bare{r}") if files else None
        ing = bench_dialect(workdir, "standard-csv", events, 1, r, files)
        files = ing["files_list"]
        if bare is None:
            bare = bench_duckdb_read_csv(files[0], workdir / f"bare{r}")
        pairs.append((ing, bare))
    ratio = statistics.median(b["seconds"] / i["seconds"] for i, b in pairs)
    cpu_ratio = statistics.median(b["cpu_s"] / i["cpu_s"] for i, b in pairs)
    ing = min((i for i, _ in pairs), key=lambda i: i["seconds"])
    bare = min((b for _, b in pairs), key=lambda b: b["seconds"])
    return {
        "ingest": ing,
        "bare": bare,
        "ratio_wall": ratio,
        "ratio_cpu": cpu_ratio,
        "pairs": [(round(i["seconds"], 2), round(b["seconds"], 2)) for i, b in pairs],
    }


def bench_ingest(
    scale_events: int,
    workdir: Path,
    months: int = 1,
    xlsx_events: int | None = None,
    dialects: tuple[str, ...] = tuple(DIALECT_CITIES),
    repeats: int = 3,
) -> dict:
    """Figures per dialect, DuckDB's bare read_csv of the same standard file (`ratio_vs_duckdb`,
    median over `repeats` interleaved pairs, wall clock; `ratio_vs_duckdb_cpu` in CPU seconds),
    peak RSS of each ingest process. With `months` > 1 the standard CSV is split into monthly
    files (the scale mode) and the duplicate-id check is timed against the loaded table."""
    workdir.mkdir(parents=True, exist_ok=True)
    results: dict = {"dialects": {}}
    for label in dialects:
        n = min(scale_events, xlsx_events or 20_000) if label == "xlsx-report" else scale_events
        if label == "standard-csv" and months == 1:
            cmp = _compare_standard(workdir, n, repeats)
            res, results["duckdb_read_csv"] = cmp["ingest"], cmp["bare"]
            results["ratio_vs_duckdb"], results["ratio_vs_duckdb_cpu"] = cmp["ratio_wall"], cmp["ratio_cpu"]
            results["pairs_ingest_bare_s"] = cmp["pairs"]
        else:
            res = bench_dialect(workdir, label, n, months if label == "standard-csv" else 1)
            if label == "standard-csv":
                results["id_check"] = _in_child(_id_check_child, str(res["warehouse"]), DIALECT_CITIES[label][0])
        res.pop("files_list")
        res.pop("warehouse")
        results["dialects"][label] = res
    results["peak_rss_mb"] = max(r["peak_rss_mb"] for r in results["dialects"].values())
    return results


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(prog="python -m ingest.bench")
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument(
        "--months",
        type=int,
        default=1,
        help="split the standard CSV into monthly files (scale mode, e.g. --events 10000000 --months 93)",
    )
    ap.add_argument("--xlsx-events", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=3, help="interleaved ingest/bare pairs of the standard CSV")
    ap.add_argument("--dialect", action="append", choices=list(DIALECT_CITIES))
    ap.add_argument("--workdir", type=Path)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ingest_bench_"))
    dialects = tuple(args.dialect or (("standard-csv",) if args.months > 1 else DIALECT_CITIES))
    try:
        res = bench_ingest(args.events, workdir, args.months, args.xlsx_events, dialects, args.repeats)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(res, default=str, indent=1))
        return
    print(
        f"{'dialect':<14} {'events':>11} {'files':>5} {'MB':>8} {'s':>7} {'cpu s':>7} {'rows/s':>11} {'MB/s':>7} {'peak MB':>8}"
    )
    for r in res["dialects"].values():
        print(
            f"{r['dialect']:<14} {r['events']:>11,} {r['files']:>5} {r['bytes'] / 1e6:>8.1f} {r['seconds']:>7.2f} "
            f"{r['cpu_s']:>7.2f} {r['rows_per_s']:>11,.0f} {r['mb_per_s']:>7.1f} {r['peak_rss_mb']:>8.0f}"
        )
    if "duckdb_read_csv" in res:
        b = res["duckdb_read_csv"]
        print(
            f"{'duckdb bare':<14} {b['events']:>11,} {1:>5} {'':>8} {b['seconds']:>7.2f} {b['cpu_s']:>7.2f} "
            f"{b['rows_per_s']:>11,.0f} {b['mb_per_s']:>7.1f} {b['peak_rss_mb']:>8.0f}"
        )
        print(
            f"ingest of the standard CSV runs at {res['ratio_vs_duckdb']:.0%} of bare DuckDB read_csv "
            f"(wall clock, median of {len(res['pairs_ingest_bare_s'])} interleaved pairs "
            f"{res['pairs_ingest_bare_s']}; target >= 50%); in CPU seconds {res['ratio_vs_duckdb_cpu']:.0%}"
        )
    if "id_check" in res:
        c = res["id_check"]
        print(
            f"duplicate-id check against {c['loaded_rows']:,} loaded rows ({c['ids_per_lookup']:,} new ids): "
            f"range query {c['range_query_s']:.3f} s, lookup newest month {c['lookup_newest_month_s']:.3f} s, "
            f"lookup of ids spread over the history {c['lookup_spread_absent_s']:.3f} s "
            f"(a new month beyond the loaded range needs no lookup)"
        )
    print(f"peak memory (max RSS of one ingest process): {res['peak_rss_mb']:.0f} MB")


if __name__ == "__main__":
    main()
