"""Helpers of the ingest tests: example landing copies and warehouse snapshots."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

EXAMPLES = Path("/work/shared/spec/examples/landing")
if not EXAMPLES.is_dir():  # same tree relative to the repository
    EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "spec" / "examples" / "landing"


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    for p in dst.rglob("*"):  # the shared examples are read-only
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dst


def snapshot(warehouse: Path, ignore_files: set[str] = frozenset()) -> dict[str, list]:
    """Contents of every raw and meta table (sorted rows), without meta.load_runs and without the
    registry rows of `ignore_files` - what must stay equal when a delivery is rejected."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema IN ('raw', 'meta') AND table_name <> 'load_runs' ORDER BY 1"
        ).fetchall()
        out = {}
        for (t,) in tables:
            where = ""
            if t == "meta.delivery_registry" and ignore_files:
                files = ", ".join("'" + f.replace("'", "''") + "'" for f in ignore_files)
                where = f" WHERE delivery_file NOT IN ({files})"
            rows = con.execute(f"SELECT * FROM {t}{where}").fetchall()
            out[t] = sorted(rows, key=repr)
        return out
    finally:
        con.close()
