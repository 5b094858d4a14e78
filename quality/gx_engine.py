"""Runs one expectation suite on one pandas frame with Great Expectations (GX Core 1.x).

GX is imported on first use (the import takes several seconds) and one ephemeral context is
shared by the whole process. Results come back as plain `ExpectationOutcome`s; failing rows
are attributed to the frame's index columns (e.g. city and delivery period) so that one
validation per city can block single periods.
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

from quality.suites import Suite, SuiteError

MAX_EXAMPLES = 5
_STATE: dict = {}


@dataclass
class ExpectationOutcome:
    check: str
    severity: str
    expectation: str
    outcome: str                     # passed | failed | error
    failed_rows: int | None = None
    observed: str | None = None
    details: str | None = None
    failures_by_key: Counter = field(default_factory=Counter)   # index tuple -> failing rows
    examples: list[dict] = field(default_factory=list)
    table_level: bool = False        # no per-row attribution (column set, row count, ...)


def _batch_definition():
    """The shared pandas batch definition; built once per process."""
    if "batch_definition" not in _STATE:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        asset = context.data_sources.add_pandas("quality").add_dataframe_asset("frame")
        _STATE["gx"] = gx
        _STATE["batch_definition"] = asset.add_batch_definition_whole_dataframe("whole_frame")
    return _STATE["gx"], _STATE["batch_definition"]


def _masked(example: dict) -> dict:
    """Pseudonyms never leave the city layer, not even as a failing example."""
    return {k: ("<masked>" if "pseudonym" in k or "pseudoniem" in k else _plain(v))
            for k, v in example.items()}


def _plain(value):
    if value is None:
        return None
    if hasattr(value, "item"):            # numpy scalar
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value if isinstance(value, (int, float, bool, str)) else str(value)


def validate(suite: Suite, frame, params: dict, index_columns: list[str]) -> list[ExpectationOutcome]:
    """Validate `frame` (pandas) against `suite`; one outcome per expectation.

    Raises SuiteError when GX cannot build the suite (unknown expectation type, bad kwargs):
    the caller turns that into failed checks, never into passes.
    """
    gx, batch_definition = _batch_definition()
    try:
        gx_suite = gx.ExpectationSuite(name=suite.name, expectations=[dict(e) for e in suite.expectations])
    except Exception as exc:  # GX raises many types for a bad configuration
        raise SuiteError(f"suite {suite.name}: GX rejected it: {exc}") from exc
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
    result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": index_columns,
                     "return_unexpected_index_query": False, "partial_unexpected_count": MAX_EXAMPLES}
    validation = batch.validate(gx_suite, expectation_parameters=params, result_format=result_format)
    by_check = {e["meta"]["check"]: e for e in suite.expectations}
    outcomes = []
    for res in validation.results:
        meta = res.expectation_config.meta or {}
        check = meta.get("check")
        if check not in by_check:
            raise SuiteError(f"suite {suite.name}: GX returned a result without meta.check")
        outcomes.append(_outcome(check, by_check[check], res, index_columns))
    if len(outcomes) != len(suite.expectations):
        raise SuiteError(f"suite {suite.name}: {len(suite.expectations)} expectations but "
                         f"{len(outcomes)} results")
    return outcomes


def _outcome(check: str, spec: dict, res, index_columns: list[str]) -> ExpectationOutcome:
    out = ExpectationOutcome(check=check, severity=spec["meta"]["severity"], expectation=spec["type"],
                             outcome="passed" if res.success else "failed")
    info = res.exception_info or {}
    if info.get("raised_exception"):
        out.outcome = "error"
        out.details = f"could not run: {info.get('exception_message')}"
        out.table_level = True
        return out
    result = res.result or {}
    if "unexpected_count" in result:
        out.failed_rows = int(result["unexpected_count"] or 0)
        out.observed = f"{out.failed_rows} of {result.get('element_count')} rows unexpected"
        for row in result.get("unexpected_index_list") or []:
            out.failures_by_key[tuple(_plain(row.get(c)) for c in index_columns)] += 1
        out.examples = [_masked(r) for r in (result.get("partial_unexpected_index_list") or [])[:MAX_EXAMPLES]]
        if out.outcome == "failed" and not out.failures_by_key:
            out.table_level = True    # e.g. `mostly` not met without an index list
    else:
        out.table_level = True
        out.observed = str(result.get("observed_value"))[:500]
    if out.outcome == "failed" and not out.details:
        out.details = spec["meta"].get("description") or spec["type"]
    return out
