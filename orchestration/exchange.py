"""Exchange packages: what a city hands to the alliance hub, and how the hub takes it in.

A package holds the disclosure-controlled tables of one city and one quarter as Parquet files
(schema 2.1: cells, quality gate, district cells, retention curves, Dunkelziffer estimates,
register vs official; contracts in orchestration/exchange_tables.py) plus `manifest.json`
(checksums and row counts of every file, city, period, schema version, basis, created_at,
synthetic, and per file what "the quarter" means for that table) plus `manifest.sig`, the
Ed25519 signature of the manifest's exact bytes by the city's own key (orchestration/signing.py).
The import believes nothing before the signature: unsigned, forged, signed by another city's key
or outside the key's quarters is refused, and so is an older package than the one the hub holds.
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
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from orchestration.exchange_tables import (  # noqa: F401  (the contract, re-exported for callers)
    CELL_COLUMNS,
    DISTRICT_CELL_COLUMNS,
    DUNKELZIFFER_COLUMNS,
    FORBIDDEN_COLUMN_RE,
    GATE_COLUMNS,
    LEGACY_READERS,
    POLARS_TYPES,
    REGISTER_VS_OFFICIAL_COLUMNS,
    RETENTION_COLUMNS,
    SUPPRESSION_GROUP,
    TABLES,
    TABLES_BY_FILE,
    PackageTable,
    cell_problems,
)
from orchestration.publication_files import publication_lock
from orchestration.signing import (
    SIGNATURE,
    SignatureRejected,
    SigningError,
    load_keyring,
    load_private_key,
    sign_package,
    verify_signature,
)
from warehouse.db import connect
from warehouse.settings import landing_dir, published_path, warehouse_path

SCHEMA_VERSION = "2.1"
# Files each readable schema version holds. 1.0 packages (cells and quality gate only) are still
# imported: the hub then simply has no district cells, curves, estimates or comparison for them.
# 2.0 differs from 2.1 in the columns of register_vs_official only (LEGACY_READERS).
SCHEMA_FILES: dict[str, tuple[str, ...]] = {
    "1.0": ("cells.parquet", "quality_gate.parquet"),
    "2.0": tuple(t.file for t in TABLES),
    "2.1": tuple(t.file for t in TABLES),
}
MANIFEST = "manifest.json"
IMPORT_SCHEMA = "exchange_import"
QUARTER_RE = re.compile(r"^\d{4}-Q[1-4]$")


class PackageRejected(Exception):
    """A package that must not be loaded; the message says why."""


def disclosure_problems(cells: pl.DataFrame) -> list[str]:
    """Violations of the disclosure rules in a table of exchange cells (empty list = clean)."""
    return cell_problems(cells)


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


def _select(con, table: PackageTable, city: str, quarter: str) -> pl.DataFrame:
    cols = ", ".join(f"cast({c} as {t}) as {c}" for c, t in table.columns.items())
    scope = f"{table.scope_column} = ?" + (f" or {table.scope_column} is null" if table.all_periods_rows else "")
    try:
        return con.execute(
            f"select {cols} from {table.relation} where city = ? and ({scope}) order by all", [city, quarter]
        ).pl()
    except duckdb.CatalogException as exc:
        raise ValueError(
            f"{table.relation} missing or not of schema {SCHEMA_VERSION} - build the exchange layer (dbt) first: {exc}"
        ) from exc


def package_problems(frames: dict[str, pl.DataFrame]) -> list[str]:
    """Disclosure problems of every table of a package, prefixed with the file name."""
    return [f"{name}: {p}" for name, frame in frames.items() for p in TABLES_BY_FILE[name].check(frame)]


def export_package(
    city: str, quarter: str, out_dir: Path, warehouse: Path | None = None, *, created_at: datetime | None = None
) -> Path:
    """Write the package of one city and quarter to `out_dir/<city>_<quarter>/`; returns that folder.

    The folder appears complete or not at all (written beside it, then renamed).
    """
    if not QUARTER_RE.match(quarter):
        raise ValueError(f"quarter must look like 2026-Q3, got {quarter!r}")
    warehouse = Path(warehouse or warehouse_path())
    created_at = created_at or datetime.now(UTC)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{city}_{quarter}"

    con = connect(warehouse, read_only=True)
    try:
        frames = {t.file: _select(con, t, city, quarter) for t in TABLES}
        synthetic = _synthetic(con)
        breakable = _breakable(con, city, quarter)
    finally:
        con.close()

    private = load_private_key(city)  # no key, no package: fail before anything is written
    cells = frames["cells.parquet"]
    if cells.is_empty() and frames["quality_gate.parquet"].is_empty():
        raise ValueError(f"nothing to export for {city} {quarter} in {warehouse}")
    problems = package_problems(frames)
    if problems:
        raise PackageRejected(f"refusing to export {city} {quarter}: " + "; ".join(problems))
    if breakable:  # every cell rule holds, but the cells together still reveal a small count
        raise PackageRejected(f"refusing to export {city} {quarter}: {breakable}")

    with publication_lock(out_dir, EXPORT_LOCK):
        _remove_unfinished(out_dir, target.name)
        return _write_package(frames, cells, synthetic, city, quarter, created_at, out_dir, target, private)


EXPORT_LOCK = ".export.lock"


def _breakable(con, city: str, quarter: str) -> str | None:
    """The disclosure audit of the city-quarter's cells against everything published beside
    them (disclosure.audit); the reason when a primary cell can be broken, or when the audit
    cannot judge (the cells contradict the relations: an infeasible LP, or relations that do
    not hold on the city layer's true values), else None. A verdict of another audit (the
    whole build's) does not stand in for this one: it judged other cells."""
    from disclosure.audit import BreakablePattern, require_safe
    from disclosure.lp import AuditError

    try:
        require_safe(con, "to export", scope=(city, quarter))
    except BreakablePattern as exc:
        return str(exc)
    except AuditError as exc:
        return f"the disclosure audit cannot judge the pattern ({exc})"
    return None


def _remove_unfinished(out_dir: Path, name: str) -> None:
    """Folders a killed export left (`.<package>.*`: being written, or the old one moved aside)."""
    for p in out_dir.glob(f".{name}.*"):
        shutil.rmtree(p, ignore_errors=True)


def _write_package(frames, cells, synthetic, city, quarter, created_at, out_dir: Path, target: Path, private) -> Path:
    """Write beside the outbox's packages under a hidden name, then rename: an importer only
    ever sees a complete package or none (a re-export moves the old one aside first, so at no
    moment is half a package under the real name)."""
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=out_dir))
    staging.chmod(0o755)  # mkdtemp makes it private; the package is meant to be handed on
    try:
        files = {}
        for name, frame in frames.items():
            path = staging / name
            frame.write_parquet(path)
            files[name] = {
                "sha256": _sha256(path),
                "rows": frame.height,
                "bytes": path.stat().st_size,
                "scope": TABLES_BY_FILE[name].scope,
            }
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
            "with their complements, estimates with intervals); no person-level data. "
            "Register vs official: the official values are as the statistical office published them.",
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
        sign_package(staging, city, private, MANIFEST)  # manifest.sig: the city's key over the manifest bytes
        from reports.leakscan import scan_package

        leaks = scan_package(staging)  # blocking: the package appears in the outbox only when clean
        if leaks:
            raise PackageRejected(f"refusing to export {city} {quarter}, the leak scan found: " + "; ".join(leaks[:10]))
        old = None
        if target.exists():  # a re-export of the same quarter replaces the old folder
            old = out_dir / f".{target.name}.replaced.{os.getpid()}"
            os.replace(target, old)
        os.replace(staging, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def package_summary(package_dir: Path) -> dict:
    """What a written package holds, for logs and run metadata: rows per file, the checksum of
    its manifest, and the blocks its quality gate reports. A blocked source is not left out of
    the package: its cells are absent (the city layer drops blocked deliveries, as in
    fct_exchange_cells) and the gate rows say why, so the hub shows it as blocked, not missing."""
    package_dir = Path(package_dir)
    manifest_path = package_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    gate = pl.read_parquet(package_dir / "quality_gate.parquet")
    blocked = sorted(
        {
            f"{r['source']}{'/' + r['form'] if r['form'] else ''}"
            f"{' (all periods)' if r['applies_to_all_periods'] else ''}: {r['reason']}"
            for r in gate.iter_rows(named=True)
        }
    )
    files = {name: info["rows"] for name, info in manifest["files"].items()}
    if files.get("cells.parquet", 0) == 0:
        status = "gate only"  # every source blocked (or none delivered): no cells
    elif blocked:
        status = "partly blocked"
    else:
        status = "complete"
    return {
        "package_id": manifest["package_id"],
        "path": str(package_dir),
        "manifest_sha256": _sha256(manifest_path),
        "files": files,
        "rows": sum(files.values()),
        "synthetic": bool(manifest["synthetic"]),
        "blocked": blocked,
        "status": status,
    }


def published_package_quarters(quarter: str, published: Path | None = None) -> tuple[list[str], str | None]:
    """Cities with something to exchange in `quarter` according to the planners' published copy
    (exchange.fct_exchange_packages), and its data version: what a schedule can read without
    waiting for the writer's lock. ([], None) before the first publication."""
    published = Path(published or published_path())
    if not published.exists():
        return [], None
    con = connect(published, read_only=True)
    try:
        cities = [
            r[0]
            for r in con.execute(
                "select distinct city from exchange.fct_exchange_packages where period = ? order by city", [quarter]
            ).fetchall()
        ]
        version = con.execute("select max(data_version) from publication.about").fetchone()[0]
    except duckdb.CatalogException:
        return [], None
    finally:
        con.close()
    return cities, version


# --- verification and import --------------------------------------------------------------


@dataclass
class VerifiedPackage:
    manifest: dict
    frames: dict[str, pl.DataFrame]
    key_id: str  # the keyring key that signed the manifest


def _read_table(package_dir: Path, manifest: dict, table: PackageTable) -> pl.DataFrame:
    name, listed = table.file, manifest["files"][table.file]
    path = package_dir / name
    digest = _sha256(path)
    if digest != listed.get("sha256"):
        raise PackageRejected(
            f"{name}: checksum mismatch (file changed after export): manifest {listed.get('sha256')}, file {digest}"
        )
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a rejected package
        raise PackageRejected(f"{name}: not a readable Parquet file ({exc})") from exc
    legacy = LEGACY_READERS.get((manifest["schema_version"], name))
    if legacy is not None:
        frame = legacy(frame)
    if frame.columns != list(table.columns):
        raise PackageRejected(f"{name}: columns {frame.columns} differ from the contract {list(table.columns)}")
    wrong = [
        f"{c} {frame.schema[c]} (contract {t})"
        for c, t in table.columns.items()
        if frame.schema[c] != pl.Null and frame.schema[c].base_type() != POLARS_TYPES[t]
    ]
    if wrong:
        raise PackageRejected(f"{name}: column types differ from the contract: {', '.join(wrong)}")
    if frame.height != listed.get("rows"):
        raise PackageRejected(f"{name}: {frame.height} rows, manifest says {listed.get('rows')}")
    scope = pl.col(table.scope_column)
    in_scope = (
        (scope.is_null() | (scope == manifest["period"]))
        if table.all_periods_rows
        else (scope == manifest["period"]).fill_null(False)
    )
    foreign = frame.filter((pl.col("city") != manifest["city"]) | ~in_scope)
    if foreign.height:
        raise PackageRejected(
            f"{name}: {foreign.height} row(s) of another city or period than "
            f"{manifest['city']} {manifest['period']} ({table.scope_column})"
        )
    return frame


def verify_package(package_dir: Path, keyring_dirs: list[Path] | None = None) -> VerifiedPackage:
    """Check a package completely; raise PackageRejected with the reason, else return its content.
    `keyring_dirs`: the alliance keyring's folders (default EXCHANGE_KEYRING_DIR, see signing)."""
    package_dir = Path(package_dir)
    manifest_path = package_dir / MANIFEST
    if package_dir.name.startswith("."):
        raise PackageRejected(f"{package_dir}: a hidden folder is an unfinished export, not a package")
    if not manifest_path.is_file():
        raise PackageRejected(f"{package_dir}: no {MANIFEST}")
    manifest_bytes = manifest_path.read_bytes()
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PackageRejected(f"{manifest_path}: not valid JSON ({exc})") from exc
    if not isinstance(manifest, dict) or not all(isinstance(manifest.get(k), str) for k in ("city", "period")):
        raise PackageRejected(f"{manifest_path}: no city and period")
    # Before anything else is believed: the city's own key signed exactly these manifest bytes
    # (which carry the checksum of every file) for this city and quarter.
    try:
        keyring = load_keyring(keyring_dirs)
        signer = verify_signature(
            manifest_bytes, package_dir / SIGNATURE, manifest["city"], manifest["period"], keyring
        )
    except SignatureRejected as exc:
        raise PackageRejected(f"{manifest['city']} {manifest['period']}: {exc}") from exc
    for key in ("schema_version", "city", "period", "created_at", "synthetic", "files", "basis", "package_id"):
        if key not in manifest:
            raise PackageRejected(f"{manifest_path}: field {key!r} missing")
    expected = SCHEMA_FILES.get(manifest["schema_version"])
    if expected is None:
        raise PackageRejected(
            f"schema version {manifest['schema_version']!r} not supported "
            f"(this hub reads {', '.join(sorted(SCHEMA_FILES))})"
        )
    if not QUARTER_RE.match(str(manifest["period"])):
        raise PackageRejected(f"period {manifest['period']!r} is not a quarter YYYY-Qn")
    listed = set(manifest["files"])
    if listed != set(expected):
        raise PackageRejected(
            f"manifest lists {sorted(listed)}, schema {manifest['schema_version']} expects {sorted(expected)}"
        )
    present = {p.name for p in package_dir.iterdir()} - {MANIFEST, SIGNATURE}
    if present != listed:
        raise PackageRejected(f"files on disk {sorted(present)} differ from the manifest {sorted(listed)}")

    frames = {name: _read_table(package_dir, manifest, TABLES_BY_FILE[name]) for name in expected}
    from reports.leakscan import frame_problems, json_problems

    problems = package_problems(frames) + json_problems(manifest, MANIFEST)
    problems += [p for name, frame in frames.items() for p in frame_problems(name, frame)]
    if problems:
        raise PackageRejected("disclosure rules violated: " + "; ".join(problems))
    return VerifiedPackage(manifest, frames, signer.key_id)


def create_import_tables(con) -> None:
    """The empty exchange_import.* tables (every table of the current schema, plus packages)."""
    con.execute(f"create schema if not exists {IMPORT_SCHEMA}")
    for table in TABLES:
        cols = ", ".join(f"{c} {t}" for c, t in table.columns.items())
        con.execute(
            f"create table if not exists {IMPORT_SCHEMA}.{table.import_table} "
            f"({cols}, package_id VARCHAR, imported_at TIMESTAMP)"
        )
        # a hub created before a column joined the (unreleased) contract gets it added
        for c, t in table.columns.items():
            con.execute(f"alter table {IMPORT_SCHEMA}.{table.import_table} add column if not exists {c} {t}")
    _migrate_register_vs_official_from_2_0(con)
    con.execute(f"""create table if not exists {IMPORT_SCHEMA}.packages (
        package_id VARCHAR PRIMARY KEY, city VARCHAR, period VARCHAR, country VARCHAR,
        schema_version VARCHAR, basis VARCHAR, created_at TIMESTAMPTZ, synthetic BOOLEAN,
        manifest_json VARCHAR, status VARCHAR, imported_at TIMESTAMP)""")


def _migrate_register_vs_official_from_2_0(con) -> None:
    """A hub that imported 2.0 packages kept the comparison's as-of quarter in `as_of_period`
    (and the year as text in `period`): the quarter moves to `period`, as in 2.1."""
    columns = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [IMPORT_SCHEMA, "register_vs_official"],
        ).fetchall()
    }
    if "as_of_period" in columns:
        con.execute(f"update {IMPORT_SCHEMA}.register_vs_official set period = as_of_period")
        con.execute(f"alter table {IMPORT_SCHEMA}.register_vs_official drop column as_of_period")


def import_package(package_dir: Path, warehouse: Path | None = None) -> dict:
    """Verify a package and load it into exchange_import.* (one transaction).

    The newest package of a (city, quarter) wins: an older one is rejected, the same one again
    is a no-op, a newer one replaces every row of its predecessor (in all tables, also those a
    1.0 package does not carry).
    """
    pkg = verify_package(package_dir)
    m = pkg.manifest
    created_at = datetime.fromisoformat(m["created_at"])
    warehouse = Path(warehouse or warehouse_path())
    con = connect(warehouse)
    try:
        create_import_tables(con)
        current = con.execute(
            f"select package_id, created_at from {IMPORT_SCHEMA}.packages "
            f"where city = ? and period = ? and status = 'current'",
            [m["city"], m["period"]],
        ).fetchone()
        if current and current[0] == m["package_id"]:
            return {"package_id": m["package_id"], "status": "already imported", "rows": 0}
        if current and current[1] is not None and current[1] >= created_at:
            raise PackageRejected(
                f"replayed older package: {m['package_id']} (created {created_at.isoformat()}) is older than "
                f"{current[0]} (created {current[1].isoformat()}), which the hub already holds for "
                f"{m['city']} {m['period']}; a signed package stays valid, so only the newest one is taken"
            )
        now = datetime.now(UTC).replace(tzinfo=None)
        rows = 0
        con.execute("begin transaction")
        try:
            for table in TABLES:
                target = f"{IMPORT_SCHEMA}.{table.import_table}"
                # rows of earlier packages of this city-quarter (snapshot tables carry other
                # periods in their rows, so by package, not by period)
                con.execute(
                    f"delete from {target} where package_id in (select package_id from "
                    f"{IMPORT_SCHEMA}.packages where city = ? and period = ?)",
                    [m["city"], m["period"]],
                )
                if table.all_periods_rows:  # all-period blocks of this city: the newest package says
                    con.execute(f"delete from {target} where city = ? and {table.scope_column} is null", [m["city"]])
                frame = pkg.frames.get(table.file)
                if frame is None or frame.is_empty():
                    continue
                loaded = frame.with_columns(
                    pl.lit(m["package_id"]).alias("package_id"), pl.lit(now).alias("imported_at")
                )
                con.register("incoming", loaded.to_arrow())
                con.execute(f"insert into {target} by name select * from incoming")
                con.unregister("incoming")
                rows += frame.height
            con.execute(
                f"update {IMPORT_SCHEMA}.packages set status = 'replaced' "
                f"where city = ? and period = ? and status = 'current'",
                [m["city"], m["period"]],
            )
            con.execute(
                f"insert into {IMPORT_SCHEMA}.packages values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'current', ?)",
                [
                    m["package_id"],
                    m["city"],
                    m["period"],
                    m.get("country"),
                    m["schema_version"],
                    ",".join(m["basis"]),
                    created_at,
                    bool(m["synthetic"]),
                    json.dumps(m, sort_keys=True),
                    now,
                ],
            )
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
    except SigningError as exc:  # no key to sign with, or an unusable keyring
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
