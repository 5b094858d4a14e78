"""Exchange packages: what a city hands to the alliance hub, and how the hub takes it in.

A package holds the disclosure-controlled tables of one city and one quarter as Parquet files
plus `manifest.json` (checksums, city, period, schema version, basis, created_at, synthetic).
Nothing person-level leaves the city layer: the export re-checks the disclosure rules and the
column names before it writes, the import checks them again before it loads (a hub must not
trust a package it did not build).

    python -m orchestration.exchange export --city dortmund --quarter 2026-Q3 --out DIR
    python -m orchestration.exchange verify DIR/dortmund_2026-Q3
    python -m orchestration.exchange import DIR/dortmund_2026-Q3

Plain functions, no Dagster import (see docs/architecture.md).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import polars as pl

from ingest.config import landing_dir, warehouse_path

SCHEMA_VERSION = "1.0"
MANIFEST = "manifest.json"
IMPORT_SCHEMA = "exchange_import"
QUARTER_RE = re.compile(r"^\d{4}-Q[1-4]$")
# Column names that would betray person-level content (pseudonyms, addresses, record ids).
FORBIDDEN_COLUMN_RE = re.compile(r"pseudonym|pseudoniem|adress|adres_|objekt_id|ereignis_id|person", re.I)

# Package file -> (warehouse relation, column -> DuckDB type). The column lists are the contract
# between exporting city and importing hub; a change needs a new SCHEMA_VERSION.
CELL_COLUMNS: dict[str, str] = {
    "city": "VARCHAR", "country": "VARCHAR", "period": "VARCHAR", "indicator_id": "VARCHAR",
    "breakdown": "VARCHAR", "group_value": "VARCHAR", "is_total": "BOOLEAN", "basis": "VARCHAR",
    "method": "VARCHAR", "is_provisional": "BOOLEAN", "is_break": "BOOLEAN",
    "numerator": "DOUBLE", "denominator": "DOUBLE", "value": "DOUBLE",
    "ci_lower": "DOUBLE", "ci_upper": "DOUBLE", "is_suppressed": "BOOLEAN",
    "suppression_reason": "VARCHAR",
}
GATE_COLUMNS: dict[str, str] = {
    "city": "VARCHAR", "period": "VARCHAR", "source": "VARCHAR", "form": "VARCHAR",
    "applies_to_all_periods": "BOOLEAN", "check_names": "VARCHAR", "reason": "VARCHAR",
    "first_blocked_delivery_period": "VARCHAR", "last_blocked_at": "TIMESTAMP",
}
PACKAGE_FILES: dict[str, tuple[str, dict[str, str]]] = {
    "cells.parquet": ("exchange.fct_exchange_cells", CELL_COLUMNS),
    "quality_gate.parquet": ("exchange.fct_exchange_quality_gate", GATE_COLUMNS),
}
IMPORT_TABLES = {"cells.parquet": "cells", "quality_gate.parquet": "quality_gate"}
SUPPRESSION_GROUP = ["city", "period", "indicator_id", "basis", "breakdown"]


class PackageRejected(Exception):
    """A package that must not be loaded; the message says why."""


# --- disclosure rules, re-checked on both sides --------------------------------------------

def disclosure_problems(cells: pl.DataFrame) -> list[str]:
    """Violations of the disclosure rules in a cell table (empty list = clean).

    Mirrors macros/disclosure_control.sql: no register count of 1 or 2 published, suppressed
    cells carry no numbers, and no group with a published total hides exactly one detail cell.
    """
    problems = [f"column {c!r} looks person-level" for c in cells.columns if FORBIDDEN_COLUMN_RE.search(c)]
    if cells.is_empty():
        return problems
    register = cells.filter(pl.col("basis").fill_null("register") == "register")
    small = register.filter(
        ~pl.col("is_suppressed")
        # by magnitude, rounded, as the macro does: an estimate of -1 or 1.4 is as telling as a count
        & (pl.col("numerator").round(0).abs().is_between(1, 2)
           | pl.col("denominator").round(0).abs().is_between(1, 2)).fill_null(False)
    )
    if small.height:
        problems.append(f"{small.height} published cell(s) with a count of 1 or 2, e.g. "
                        f"{small.select(SUPPRESSION_GROUP + ['group_value']).row(0)}")
    numbers = ["numerator", "denominator", "value", "ci_lower", "ci_upper"]
    leaky = cells.filter(pl.col("is_suppressed") & pl.any_horizontal([pl.col(c).is_not_null() for c in numbers]))
    if leaky.height:
        problems.append(f"{leaky.height} suppressed cell(s) still carry numbers")
    lonely = (
        cells.group_by(SUPPRESSION_GROUP)
        .agg((pl.col("is_total") & ~pl.col("is_suppressed")).sum().alias("open_totals"),
             (~pl.col("is_total") & pl.col("is_suppressed")).sum().alias("hidden_cells"))
        .filter((pl.col("open_totals") > 0) & (pl.col("hidden_cells") == 1))
    )
    if lonely.height:
        problems.append(f"{lonely.height} group(s) hide a single cell next to a published total "
                        f"(recoverable by subtraction), e.g. {lonely.row(0)[:len(SUPPRESSION_GROUP)]}")
    return problems


# --- export -------------------------------------------------------------------------------

def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _synthetic(con: duckdb.DuckDBPyConnection) -> bool:
    """True when anything in the warehouse came from the demo world (meta.load_runs), or,
    without a load log, when the landing folder carries the demo marker."""
    try:
        flag = con.execute("select bool_or(synthetic) from meta.load_runs").fetchone()[0]
    except duckdb.CatalogException:
        flag = None
    if flag is None:
        return (landing_dir() / "DEMO_SYNTHETIC_DATA.txt").exists()
    return bool(flag)


def _select(con, relation: str, columns: dict[str, str], city: str, quarter: str) -> pl.DataFrame:
    cols = ", ".join(f"cast({c} as {t}) as {c}" for c, t in columns.items())
    # A block of the area reference (period NULL) applies to every quarter: it travels along.
    return con.execute(
        f"select {cols} from {relation} where city = ? and (period = ? or period is null) "
        f"order by all", [city, quarter]).pl()


def export_package(city: str, quarter: str, out_dir: Path, warehouse: Path | None = None,
                   *, created_at: datetime | None = None) -> Path:
    """Write the package of one city and quarter to `out_dir/<city>_<quarter>/`; returns that folder.

    The folder appears complete or not at all (written beside it, then renamed).
    """
    if not QUARTER_RE.match(quarter):
        raise ValueError(f"quarter must look like 2026-Q3, got {quarter!r}")
    warehouse = Path(warehouse or warehouse_path())
    created_at = created_at or datetime.now(timezone.utc)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{city}_{quarter}"

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        frames = {name: _select(con, rel, cols, city, quarter) for name, (rel, cols) in PACKAGE_FILES.items()}
        synthetic = _synthetic(con)
    finally:
        con.close()

    cells = frames["cells.parquet"]
    if cells.is_empty() and frames["quality_gate.parquet"].is_empty():
        raise ValueError(f"nothing to export for {city} {quarter} in {warehouse}")
    problems = disclosure_problems(cells)
    if problems:
        raise PackageRejected(f"refusing to export {city} {quarter}: " + "; ".join(problems))

    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=out_dir))
    staging.chmod(0o755)   # mkdtemp makes it private; the package is meant to be handed on
    try:
        files = {}
        for name, frame in frames.items():
            path = staging / name
            frame.write_parquet(path)
            files[name] = {"sha256": _sha256(path), "rows": frame.height, "bytes": path.stat().st_size}
        countries = sorted({c for c in cells.get_column("country").to_list() if c}) if cells.height else []
        manifest = {
            "package_id": f"{city}_{quarter}_{created_at.strftime('%Y%m%dT%H%M%S%fZ')}",
            "schema_version": SCHEMA_VERSION,
            "city": city,
            "country": countries[0] if len(countries) == 1 else None,
            "period": quarter,
            "basis": sorted(set(cells.get_column("basis").drop_nulls().to_list())),
            "created_at": created_at.isoformat(),
            "synthetic": synthetic,
            "files": files,
            "note": ("SYNTHETIC DEMO DATA - not real figures. " if synthetic else "")
                    + "Aggregated, disclosure-controlled tables only (counts of 1 or 2 suppressed "
                      "with their complements); no person-level data.",
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)   # a re-export of the same quarter replaces the old folder
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


# --- verification and import --------------------------------------------------------------

@dataclass
class VerifiedPackage:
    manifest: dict
    frames: dict[str, pl.DataFrame]


def verify_package(package_dir: Path) -> VerifiedPackage:
    """Check a package completely; raise PackageRejected with the reason, else return its content."""
    package_dir = Path(package_dir)
    manifest_path = package_dir / MANIFEST
    if not manifest_path.is_file():
        raise PackageRejected(f"{package_dir}: no {MANIFEST}")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PackageRejected(f"{manifest_path}: not valid JSON ({exc})") from exc
    for key in ("schema_version", "city", "period", "created_at", "synthetic", "files", "basis", "package_id"):
        if key not in manifest:
            raise PackageRejected(f"{manifest_path}: field {key!r} missing")
    if manifest["schema_version"] != SCHEMA_VERSION:
        raise PackageRejected(f"schema version {manifest['schema_version']!r} not supported "
                              f"(this hub reads {SCHEMA_VERSION!r})")
    if not QUARTER_RE.match(str(manifest["period"])):
        raise PackageRejected(f"period {manifest['period']!r} is not a quarter YYYY-Qn")
    listed = set(manifest["files"])
    if listed != set(PACKAGE_FILES):
        raise PackageRejected(f"manifest lists {sorted(listed)}, expected {sorted(PACKAGE_FILES)}")
    present = {p.name for p in package_dir.iterdir()} - {MANIFEST}
    if present != listed:
        raise PackageRejected(f"files on disk {sorted(present)} differ from the manifest {sorted(listed)}")

    frames: dict[str, pl.DataFrame] = {}
    for name, (_, columns) in PACKAGE_FILES.items():
        path = package_dir / name
        digest = _sha256(path)
        if digest != manifest["files"][name].get("sha256"):
            raise PackageRejected(f"{name}: checksum mismatch (file changed after export): "
                                  f"manifest {manifest['files'][name].get('sha256')}, file {digest}")
        frame = pl.read_parquet(path)
        if frame.columns != list(columns):
            raise PackageRejected(f"{name}: columns {frame.columns} differ from schema {SCHEMA_VERSION} {list(columns)}")
        if frame.height != manifest["files"][name].get("rows"):
            raise PackageRejected(f"{name}: {frame.height} rows, manifest says {manifest['files'][name].get('rows')}")
        foreign = frame.filter((pl.col("city") != manifest["city"])
                               | (pl.col("period").is_not_null() & (pl.col("period") != manifest["period"])))
        if foreign.height:
            raise PackageRejected(f"{name}: {foreign.height} row(s) of another city or period than "
                                  f"{manifest['city']} {manifest['period']}")
        frames[name] = frame
    problems = disclosure_problems(frames["cells.parquet"])
    if problems:
        raise PackageRejected("disclosure rules violated: " + "; ".join(problems))
    return VerifiedPackage(manifest, frames)


def _create_import_tables(con) -> None:
    con.execute(f"create schema if not exists {IMPORT_SCHEMA}")
    for name, (_, columns) in PACKAGE_FILES.items():
        cols = ", ".join(f"{c} {t}" for c, t in columns.items())
        con.execute(f"create table if not exists {IMPORT_SCHEMA}.{IMPORT_TABLES[name]} "
                    f"({cols}, package_id VARCHAR, imported_at TIMESTAMP)")
    con.execute(f"""create table if not exists {IMPORT_SCHEMA}.packages (
        package_id VARCHAR PRIMARY KEY, city VARCHAR, period VARCHAR, country VARCHAR,
        schema_version VARCHAR, basis VARCHAR, created_at TIMESTAMPTZ, synthetic BOOLEAN,
        manifest_json VARCHAR, status VARCHAR, imported_at TIMESTAMP)""")


def import_package(package_dir: Path, warehouse: Path | None = None) -> dict:
    """Verify a package and load it into exchange_import.* (one transaction).

    The newest package of a (city, quarter) wins: an older one is rejected, the same one again
    is a no-op, a newer one replaces the rows of its predecessor.
    """
    pkg = verify_package(package_dir)
    m = pkg.manifest
    created_at = datetime.fromisoformat(m["created_at"])
    warehouse = Path(warehouse or warehouse_path())
    con = duckdb.connect(str(warehouse))
    con.execute("SET enable_progress_bar = false")  # no progress bars in logs
    try:
        _create_import_tables(con)
        current = con.execute(
            f"select package_id, created_at from {IMPORT_SCHEMA}.packages "
            f"where city = ? and period = ? and status = 'current'", [m["city"], m["period"]]).fetchone()
        if current and current[0] == m["package_id"]:
            return {"package_id": m["package_id"], "status": "already imported", "rows": 0}
        if current and current[1] is not None and current[1] > created_at:
            raise PackageRejected(f"package {m['package_id']} is older than the imported {current[0]}")
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        rows = 0
        con.execute("begin transaction")
        try:
            for name, frame in pkg.frames.items():
                table = f"{IMPORT_SCHEMA}.{IMPORT_TABLES[name]}"
                con.execute(f"delete from {table} where city = ? and period = ?", [m["city"], m["period"]])
                if name == "quality_gate.parquet":   # all-period blocks of this city: the newest package says
                    con.execute(f"delete from {table} where city = ? and period is null", [m["city"]])
                loaded = frame.with_columns(pl.lit(m["package_id"]).alias("package_id"),
                                            pl.lit(now).alias("imported_at"))
                con.register("incoming", loaded.to_arrow())
                con.execute(f"insert into {table} by name select * from incoming")
                con.unregister("incoming")
                rows += frame.height
            con.execute(f"update {IMPORT_SCHEMA}.packages set status = 'replaced' "
                        f"where city = ? and period = ? and status = 'current'", [m["city"], m["period"]])
            con.execute(f"insert into {IMPORT_SCHEMA}.packages values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'current', ?)",
                        [m["package_id"], m["city"], m["period"], m.get("country"), m["schema_version"],
                         ",".join(m["basis"]), created_at, bool(m["synthetic"]),
                         json.dumps(m, sort_keys=True), now])
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        con.close()
    return {"package_id": m["package_id"], "status": "imported", "rows": rows}


# --- command line -------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.exchange", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    exp = sub.add_parser("export", help="write the exchange package of one city and quarter")
    exp.add_argument("--city", required=True)
    exp.add_argument("--quarter", required=True, help="YYYY-Qn")
    exp.add_argument("--out", required=True, type=Path)
    exp.add_argument("--warehouse", type=Path, default=None)
    for name in ("import", "verify"):
        p = sub.add_parser(name, help=f"{name} a package folder")
        p.add_argument("package", type=Path)
        p.add_argument("--warehouse", type=Path, default=None)
    args = parser.parse_args(argv)
    try:
        if args.command == "export":
            print(export_package(args.city, args.quarter, args.out, args.warehouse))
        elif args.command == "verify":
            m = verify_package(args.package).manifest
            print(f"OK {m['package_id']} ({m['city']} {m['period']}, synthetic={m['synthetic']})")
        else:
            print(json.dumps(import_package(args.package, args.warehouse)))
    except PackageRejected as exc:
        print(f"REJECTED: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
