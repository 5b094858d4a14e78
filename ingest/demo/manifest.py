"""What the demo wrote into a landing folder, so that it never writes into anything else.

The generator records every file of the landing folder after it wrote its world in
`.demo_files.json` (relative path -> size). Before it writes, and before `make demo` runs the
pipeline on a landing folder, `refuse_foreign` checks that the folder is empty or holds only files
of that list: an office that exported its real LANDING_DIR and then ran the demo would otherwise
mix synthetic deliveries into its real ones (and load them). Names and sizes, not contents: a
real delivery never has the name and the size of a demo file it replaced by chance.
"""

from __future__ import annotations

import json
from pathlib import Path

MANIFEST = ".demo_files.json"
SHOWN = 5


class ForeignLandingError(FileExistsError):
    """The landing folder holds files the demo did not write."""


def _files(landing: Path) -> dict[str, int]:
    return {
        p.relative_to(landing).as_posix(): p.lstat().st_size
        for p in sorted(landing.rglob("*"))
        if (p.is_file() or p.is_symlink()) and p.name != MANIFEST
    }


def recorded(landing: Path) -> dict[str, int] | None:
    """The files the demo recorded as its own, None without a (readable) manifest."""
    try:
        data = json.loads((landing / MANIFEST).read_text(encoding="utf-8"))
        return {str(k): int(v) for k, v in data["files"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def foreign_files(landing: Path) -> list[str]:
    """Files below `landing` the demo did not write (all of them without a manifest)."""
    landing = Path(landing)
    if not landing.is_dir():
        return []
    own = recorded(landing) or {}
    return [rel for rel, size in _files(landing).items() if own.get(rel) != size]


def refuse_foreign(landing: Path) -> None:
    """Raise ForeignLandingError if `landing` holds anything the demo did not write."""
    foreign = foreign_files(landing)
    if not foreign:
        return
    shown = ", ".join(foreign[:SHOWN]) + (f" and {len(foreign) - SHOWN} more" if len(foreign) > SHOWN else "")
    raise ForeignLandingError(
        f"The demo refuses the landing folder {landing}: it holds {len(foreign)} file(s) the demo did not "
        f"write ({shown}). The demo writes synthetic deliveries, which must never mix with real ones. "
        "Point LANDING_DIR (and WAREHOUSE_DUCKDB_PATH, PUBLISHED_DUCKDB_PATH) to an empty folder for the demo, "
        f"e.g. `LANDING_DIR=/tmp/demo/landing make demo`, or remove the folder if it is an old demo's ({MANIFEST} "
        "missing)."
    )


def record(landing: Path) -> None:
    """Record every file now below `landing` as the demo's (call after writing, having refused
    a foreign folder before)."""
    landing = Path(landing)
    (landing / MANIFEST).write_text(
        json.dumps({"written_by": "python -m ingest.demo", "files": _files(landing)}, indent=0, sort_keys=True),
        encoding="utf-8",
    )
