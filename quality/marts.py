"""Runs the mart suites (`quality/suites/mart_<model>.json`).

Suite meta names the relation (`schema.table`), the city and period columns to attribute
failures to, and optionally a `where` filter. A failed error-check writes a gate row with
source = the model name and the period of the failing rows (quarters `YYYY-Qn`, which the
exchange layer reads as they are); exchange, alliance and report show that city-period as
blocked. A mart that is missing or unreadable fails its checks (it never passes unseen).
"""

from __future__ import annotations

from collections import defaultdict

from quality import gx_engine
from quality.mart_sources import DuckDBMarts
from quality.results import CheckResult
from quality.suites import SuiteError, load_suite, suite_names


def mart_names(suite_dir=None) -> list[str]:
    return [n.removeprefix("mart_") for n in suite_names("mart_", suite_dir)]


def check_mart(con, model: str, suite_dir=None, source=None) -> list[CheckResult]:
    """`source` (quality.mart_sources): where the relation is read; default the DuckDB `con`."""
    name = f"mart.{model}"
    source = source or DuckDBMarts(con)
    try:
        suite = load_suite(f"mart_{model}", suite_dir)
        relation = suite.meta["relation"]
        city_col, period_col = suite.meta["city_column"], suite.meta["period_column"]
        if not source.exists(relation):
            raise SuiteError(f"relation {relation} does not exist{source.where} (mart not built?)")
        frame = source.frame(relation, suite.meta.get("where"))
        outcomes = gx_engine.validate(suite, frame, {}, [city_col, period_col])
        keys = sorted(source.keys(frame, city_col, period_col), key=str)
    except (SuiteError, KeyError, ImportError) as exc:
        return [
            CheckResult(
                city=None,
                asset=model,
                period=None,
                check_name=f"{name}.suite_could_not_run",
                severity="error",
                outcome="error",
                details=f"{type(exc).__name__}: {exc}",
            )
        ]
    results = []
    for o in outcomes:
        failing: dict[tuple, int] = defaultdict(int)
        for key, n in o.failures_by_key.items():
            failing[key] += n
        for city, period in keys:
            if o.outcome == "error" or (o.outcome == "failed" and o.table_level):
                outcome, n = o.outcome, None
            else:
                n = failing.get((city, period), 0) if o.outcome == "failed" else 0
                outcome = "failed" if n else "passed"
            examples = [e for e in o.examples if e.get(city_col) == city and e.get(period_col) == period]
            results.append(
                CheckResult(
                    city=city,
                    asset=model,
                    period=str(period),
                    check_name=f"{name}.{o.check}",
                    severity=o.severity,
                    outcome=outcome,
                    failed_rows=n,
                    observed=f"{n} rows unexpected" if n else (o.observed if outcome != "passed" else None),
                    details=o.details if outcome != "passed" else None,
                    examples=examples,
                    blocks=[(model, "", str(period))],
                )
            )
    return results


def run_mart_suites(
    con, marts: list[str] | None = None, suite_dir=None, source=None
) -> tuple[list[CheckResult], list[str]]:
    names = marts or mart_names(suite_dir)
    results: list[CheckResult] = []
    for model in names:
        results += check_mart(con, model, suite_dir, source)
    return results, names
