"""The result of one check on one (city, asset, period): what goes into `meta.quality_results`."""

from __future__ import annotations

from dataclasses import dataclass, field

from ingest import sources

# raw table -> the (source, form) a failed check of it blocks
SOURCE_FORM_OF_TABLE = {t.name: (t.source, t.form) for t in sources.tables()}


@dataclass
class CheckResult:
    city: str | None
    asset: str  # raw table (e.g. "meldewesen") or mart model; "reconciliation", ...
    period: str | None
    check_name: str  # "<scope>.<asset>.<check>", e.g. "raw.meldewesen.ereignis_art_in_vocabulary"
    severity: str  # error | warning
    outcome: str  # passed | failed | error (could not run)
    failed_rows: int | None = None
    observed: str | None = None
    details: str | None = None
    examples: list[dict] = field(default_factory=list)
    # (source, form, period) this result blocks when it is a failed error-check.
    blocks: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def blocking(self) -> bool:
        return self.severity == "error" and self.outcome in ("failed", "error")

    @property
    def ok(self) -> bool:
        return self.outcome == "passed"


def summarise(results: list[CheckResult]) -> dict:
    """Counts by outcome and severity, for logs, Dagster metadata and the bench."""
    out = {"checks": len(results), "passed": 0, "failed_error": 0, "failed_warning": 0, "could_not_run": 0}
    for r in results:
        if r.outcome == "passed":
            out["passed"] += 1
        elif r.outcome == "error":
            out["could_not_run"] += 1
        elif r.severity == "error":
            out["failed_error"] += 1
        else:
            out["failed_warning"] += 1
    out["blocked_city_periods"] = len({(r.city, b) for r in results if r.blocking for b in r.blocks})
    return out
