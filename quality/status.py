"""`python -m quality status`: the quality status of the last check per city and source."""

from __future__ import annotations

from pathlib import Path

from warehouse.db import connect
from warehouse.settings import warehouse_path

STATUS_SQL = """
WITH last AS (
    SELECT city, asset, max(checked_at) AS checked_at FROM meta.quality_results
    WHERE city IS NOT NULL GROUP BY ALL),
r AS (
    SELECT q.* FROM meta.quality_results q JOIN last l
      ON l.city = q.city AND l.asset = q.asset AND l.checked_at = q.checked_at)
SELECT city, asset, max(checked_at) AS checked_at,
       count(*) FILTER (outcome = 'passed') AS passed,
       count(*) FILTER (outcome = 'failed' AND severity = 'error') AS errors,
       count(*) FILTER (outcome = 'failed' AND severity = 'warning') AS warnings,
       count(*) FILTER (outcome = 'error') AS could_not_run,
       string_agg(DISTINCT CASE WHEN outcome <> 'passed' AND severity = 'error'
                  THEN check_name || coalesce(' @' || period, '') END, ', ') AS failing
FROM r GROUP BY ALL ORDER BY city, asset"""

GATE_SQL = """SELECT city, source, form, count(DISTINCT period) AS blocked_periods,
                     string_agg(DISTINCT period, ', ' ORDER BY period) AS periods
              FROM meta.quality_gate GROUP BY ALL ORDER BY ALL"""


def status_rows(warehouse: str | Path | None = None) -> tuple[list[tuple], list[tuple]]:
    path = Path(warehouse or warehouse_path())
    if not path.exists():
        raise FileNotFoundError(f"no warehouse at {path}")
    con = connect(path, read_only=True)
    try:
        have = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'meta'"
            ).fetchall()
        }
        if "quality_results" not in have:
            return [], []
        return con.execute(STATUS_SQL).fetchall(), con.execute(GATE_SQL).fetchall()
    finally:
        con.close()


def _short(text: str | None, width: int = 70) -> str:
    text = text or ""
    return text if len(text) <= width else text[: width - 1] + "…"


def format_status(rows: list[tuple], gate: list[tuple]) -> str:
    if not rows:
        return "No quality results recorded yet (run quality.run_raw_checks or the Dagster checks)."
    lines = [
        f"{'city':<12} {'source/check':<26} {'last checked':<19} {'state':<8} "
        f"{'pass':>6} {'err':>5} {'warn':>5} {'n/run':>5}  failing error checks"
    ]
    for city, asset, checked_at, passed, errors, warnings, not_run, failing in rows:
        state = "BLOCKED" if errors or not_run else "WARN" if warnings else "OK"
        lines.append(
            f"{city:<12} {asset:<26} {checked_at:%Y-%m-%d %H:%M:%S} {state:<8} "
            f"{passed:>6} {errors:>5} {warnings:>5} {not_run:>5}  {_short(failing)}"
        )
    if gate:
        lines += ["", "Blocked deliveries (meta.quality_gate; left out of staging, shown as blocked downstream):"]
        lines += [f"  {c:<12} {s}{'/' + f if f else ''}: {n} period(s): {_short(p, 90)}" for c, s, f, n, p in gate]
        lines += [
            "What to do: wait for a corrected delivery (<period>_vN: the next load and checks lift the block), or",
            '  warehouse release|reject --city C --source S [--form F] --period P --reason "..." [--by NAME]',
            "  (python -m quality release|reject; recorded in meta.gate_decisions, shown in the report).",
        ]
    else:
        lines += ["", "No delivery is blocked."]
    return "\n".join(lines)
