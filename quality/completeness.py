"""Completeness: every expected (city, source, form, period) present in the raw layer.

Expected periods follow the delivery rules of the spec as the source registry declares them
(`ingest.sources`: `Source.expected`, `countries`, a form's `requires`), over the span the city
has delivered so far (first to last month of any monthly source), for every source the city's
configuration lists: e.g. every month for `meldewesen`, SGB II aggregates (German cities),
person-level SGB II (Optionskommunen) and `beratung`; every quarter end for `bestand`;
15 October for `schule`; `current` for `gebiete`. Housing files have no fixed rhythm in the spec
and are not expected.
A missing period cannot be blocked (there is nothing to block): it is a warning, and the
stock-flow reconciliation turns a missing movement month into an error for its quarter.
"""

from __future__ import annotations

import re

import pandas as pd

from ingest import sources
from ingest.config import load_cities
from quality import gx_engine
from quality.results import CheckResult
from quality.suites import SuiteError, load_suite

INDEX = ["city", "source", "form", "period"]
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}", re.ASCII)  # not \d: Arabic-Indic digits are digits too
MAX_MONTHS = 1200  # a century of months: a span beyond it is a broken period, not a delivery gap


def _months(first: str, last: str) -> list[str]:
    """Months from `first` to `last` (ASCII YYYY-MM), at most MAX_MONTHS: the loop once ran
    forever on a period written in other digits, which sorts after every ASCII month."""
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last and len(out) < MAX_MONTHS:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def expected_deliveries(cfg, first: str, last: str) -> list[tuple[str, str, str]]:
    """(source, form, period) the city `cfg` should have delivered from month `first` to `last`."""
    months = _months(first, last)
    exp = []
    for src in sources.all_sources():
        if src.name not in cfg.sources or cfg.country not in src.countries:
            continue
        periods = src.expected_periods(months)
        for t in src.tables:
            if t.requires is None or getattr(cfg, t.requires):
                exp += [(src.name, t.form, p) for p in periods]
    return exp


def _delivered(con) -> dict[str, set[tuple[str, str, str]]]:
    out: dict[str, set] = {}
    for t in sources.tables():
        for city, period in con.execute(f"SELECT DISTINCT city, delivery_period FROM raw.{t.name}").fetchall():
            out.setdefault(city, set()).add((t.source, t.form, period))
    return out


def _same_year(source: str) -> bool:
    """A yearly snapshot may be dated earlier than its file says (the Dutch school census day is
    1 October, the file is named after 15 October): any delivery of the year counts."""
    return sources.source(source).yearly_on is not None


def completeness_frame(con, cities: list[str] | None) -> pd.DataFrame:
    delivered = _delivered(con)
    rows = []
    for slug, cfg in sorted(load_cities().items()):
        if cities is not None and slug not in cities:
            continue
        have = delivered.get(slug, set())
        months = sorted(p for s, f, p in have if _MONTH.fullmatch(p))
        if not months:
            rows.append((slug, "*", "", "*", False, bool(have)))
            continue
        for source, form, period in expected_deliveries(cfg, months[0], months[-1]):
            present = (source, form, period) in have or (
                _same_year(source) and any(s == source and p[:4] == period[:4] for s, _, p in have)
            )
            rows.append((slug, source, form, period, present, True))
    return pd.DataFrame(rows, columns=[*INDEX, "present", "city_has_data"])


def run_completeness(con, cities: list[str] | None = None, suite_dir=None) -> list[CheckResult]:
    frame = completeness_frame(con, cities)
    if frame.empty:
        return []
    try:
        suite = load_suite("completeness", suite_dir)
        outcomes = gx_engine.validate(suite, frame, {}, INDEX)
    except (SuiteError, ImportError) as exc:
        return [
            CheckResult(
                city=c,
                asset="completeness",
                period=None,
                check_name="completeness.suite_could_not_run",
                severity="error",
                outcome="error",
                details=f"{type(exc).__name__}: {exc}",
            )
            for c in sorted(frame["city"].unique())
        ]
    results = []
    for o in outcomes:
        for city, group in frame.groupby("city"):
            missing = sorted(k for k in o.failures_by_key if k[0] == city) if o.outcome == "failed" else []
            failed = o.outcome == "error" or bool(missing)
            results.append(
                CheckResult(
                    city=city,
                    asset="completeness",
                    period=None,
                    check_name=f"completeness.{o.check}",
                    severity=o.severity,
                    outcome="error" if o.outcome == "error" else "failed" if failed else "passed",
                    failed_rows=len(missing),
                    observed=f"{len(missing)} of {len(group)} expected deliveries missing",
                    details=o.details if failed else None,
                    examples=[dict(zip(["source", "form", "period"], k[1:])) for k in missing[:10]],
                )
            )
    return results
