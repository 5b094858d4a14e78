"""`python -m ingest release FILE`: someone acts on a quarantined delivery.

The quarantine row of the file's current bytes is removed and a release recorded in
`meta.delivery_releases`, in one transaction. The next load reads the file again with every
check, except that a corrected version much shorter than the version in force (held back as
"cut off?") is now accepted.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ingest.schemas import create_meta_tables
from warehouse import settings
from warehouse.db import connect


def release_delivery(delivery_file: str, warehouse=None, note: str | None = None) -> str:
    wh = Path(warehouse) if warehouse else settings.warehouse_path()
    con = connect(wh)
    try:
        create_meta_tables(con)
        row = con.execute(
            "SELECT file_sha256, reason FROM meta.delivery_registry WHERE delivery_file = ? AND status = 'quarantined' "
            "ORDER BY registered_at DESC LIMIT 1",
            [delivery_file],
        ).fetchone()
        if row is None:
            raise LookupError(f"{delivery_file} is not quarantined (see meta.delivery_registry)")
        sha, reason = row
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                "DELETE FROM meta.delivery_registry WHERE delivery_file = ? AND file_sha256 = ?", [delivery_file, sha]
            )
            con.execute(
                "INSERT OR REPLACE INTO meta.delivery_releases VALUES (?, ?, ?, ?, ?)",
                [delivery_file, sha, datetime.now(), reason, note],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()
    return f"released {delivery_file} (was: {reason}); the next load reads it again"
