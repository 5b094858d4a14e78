"""Release or reject a blocked city-period: the way out of a block, recorded (who, when, why).

A blocking check writes gate rows (meta.quality_gate) that keep a (city, source, form, period)
out of staging and mark it blocked in the exchange and alliance layers. The office then decides:

- release: the block was checked by a person and the data may pass (e.g. a break that is
  real). The gate rows of that city-period are removed and are not written again by later check
  runs as long as the same delivery is in force.
- reject: the delivery stays blocked for good; a release is refused. A gate row
  `gate_decision.rejected` says who rejected it and why, and stays whatever the checks say later.

Both hold for the delivery in force when the decision was taken (the loaded file of the period
in meta.delivery_registry). A corrected `_vN` replaces it and is judged by the checks afresh, the
normal path: the rejection no longer applies, a release does not carry over to it.

Decisions are rows of meta.gate_decisions, never deleted. `apply(con)` makes the gate agree with
them; `quality.record.write` calls it after every check run, `decide` after every decision.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ingest.schemas import create_meta_tables

DECISIONS = ("released", "rejected")
REJECTED_CHECK = "gate_decision.rejected"


class DecisionError(ValueError):
    """A decision that cannot be taken (nothing blocked, already rejected, no reason ...)."""


@dataclass
class Decision:
    city: str
    source: str
    form: str
    period: str
    decision: str
    delivery_file: str | None
    reason: str
    decided_by: str
    decided_at: datetime
    blocked_by: str


# The delivery in force per (city, source, form, period): the loaded file of the registry.
IN_FORCE_SQL = """
    SELECT city, source, coalesce(form, '') AS form, period, max_by(delivery_file, version) AS delivery_file
    FROM meta.delivery_registry WHERE status = 'loaded' GROUP BY ALL"""

# Decisions that still hold: the latest per city-period, taken on the delivery now in force.
IN_EFFECT_SQL = f"""
    WITH latest AS (
        SELECT * FROM meta.gate_decisions
        QUALIFY row_number() OVER (PARTITION BY city, source, form, period ORDER BY decided_at DESC) = 1
    ), in_force AS ({IN_FORCE_SQL})
    SELECT d.city, d.source, d.form, d.period, d.decision, d.reason, d.decided_by, d.decided_at
    FROM latest d LEFT JOIN in_force f USING (city, source, form, period)
    WHERE d.delivery_file IS NOT DISTINCT FROM f.delivery_file"""


def default_decider() -> str:
    """Who decides when `--by` is not given: the login name of the process."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return os.environ.get("USER") or "unknown"


def apply(con) -> None:
    """Make meta.quality_gate agree with the decisions in effect: released city-periods lose their
    gate rows, rejected ones carry a `gate_decision.rejected` row. Runs inside the caller's
    transaction if there is one."""
    create_meta_tables(con)
    con.execute(f"DELETE FROM meta.quality_gate WHERE check_name = '{REJECTED_CHECK}'")
    con.execute(
        f"""DELETE FROM meta.quality_gate g USING ({IN_EFFECT_SQL}) d
            WHERE d.decision = 'released' AND g.city = d.city AND g.source = d.source
              AND g.form = d.form AND g.period = d.period"""
    )
    con.execute(
        f"""INSERT INTO meta.quality_gate (city, source, form, period, check_name, reason, blocked_at)
            SELECT city, source, form, period, '{REJECTED_CHECK}',
                   'rejected by ' || decided_by || ' on ' || strftime(decided_at, '%Y-%m-%d') || ': ' || reason,
                   decided_at
            FROM ({IN_EFFECT_SQL}) WHERE decision = 'rejected'"""
    )


def _has_registry(con) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'meta' AND table_name = 'delivery_registry'"
        ).fetchone()[0]
    )


def decide(
    decision: str,
    *,
    city: str,
    source: str,
    period: str,
    reason: str,
    by: str | None = None,
    form: str = "",
    warehouse: str | Path | None = None,
    now: datetime | None = None,
) -> Decision:
    """Release or reject the block of (city, source, form, period) in `warehouse` and record it."""
    from warehouse.db import connect

    if decision not in DECISIONS:
        raise DecisionError(f"decision must be one of {DECISIONS}, got {decision!r}")
    if not (reason or "").strip():
        raise DecisionError("a reason is required (it is shown in the report's data-quality section)")
    by = (by or "").strip() or default_decider()
    con = connect(warehouse)
    try:
        create_meta_tables(con)
        key = [city, source, form or "", period]
        blocks = con.execute(
            "SELECT string_agg(DISTINCT check_name, ', ' ORDER BY check_name) FROM meta.quality_gate "
            "WHERE city = ? AND source = ? AND form = ? AND period = ? AND check_name <> ?",
            [*key, REJECTED_CHECK],
        ).fetchone()[0]
        effect = con.execute(
            f"SELECT decision, decided_by, decided_at FROM ({IN_EFFECT_SQL}) "
            "WHERE city = ? AND source = ? AND form = ? AND period = ?",
            key,
        ).fetchone()
        what = f"{city} {source}{'/' + form if form else ''} {period}"
        if effect is not None and effect[0] == "rejected":
            raise DecisionError(
                f"{what} was rejected by {effect[1]} on {effect[2]:%Y-%m-%d}: it stays blocked; "
                "a corrected delivery (_vN) is judged afresh by the checks"
            )
        if not blocks:
            known = con.execute(
                "SELECT string_agg(DISTINCT city || ' ' || source || ' ' || period, '; ') FROM "
                "(SELECT * FROM meta.quality_gate WHERE city = ? ORDER BY period LIMIT 20)",
                [city],
            ).fetchone()[0]
            raise DecisionError(f"{what} is not blocked" + (f" (blocked in {city}: {known})" if known else ""))
        delivery = None
        if _has_registry(con):
            row = con.execute(
                f"SELECT delivery_file FROM ({IN_FORCE_SQL}) WHERE city = ? AND source = ? AND form = ? AND period = ?",
                key,
            ).fetchone()
            delivery = row[0] if row else None
        made = Decision(*key, decision, delivery, reason.strip(), by, now or datetime.now(), blocks)
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                "INSERT INTO meta.gate_decisions (city, source, form, period, decision, delivery_file, reason, "
                "decided_by, decided_at, blocked_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [*key, decision, delivery, made.reason, by, made.decided_at, blocks],
            )
            apply(con)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        return made
    finally:
        con.close()


def describe(d: Decision) -> str:
    verb = "released" if d.decision == "released" else "rejected for good"
    then = (
        "its data pass the gate at the next dbt build"
        if d.decision == "released"
        else "it stays out of staging and shows as blocked; ask the city for a corrected _vN"
    )
    return (
        f"{d.city} {d.source}{'/' + d.form if d.form else ''} {d.period} {verb} by {d.decided_by} "
        f"at {d.decided_at:%Y-%m-%d %H:%M} ({d.reason}); blocked by {d.blocked_by}; {then}."
    )
