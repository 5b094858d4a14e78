"""Runs one expectation suite on one pandas frame with Great Expectations (GX Core 1.x).

GX is imported on first use (the import takes several seconds) and one ephemeral context is
shared by the whole process. Results come back as plain `ExpectationOutcome`s; failing rows
are attributed to the frame's index columns (e.g. city and delivery period) so that one
validation per city can block single periods.

GX is chatty: at import and per context it logs hundreds of INFO lines ("Skipping registering
function ...", "Created temporary directory ... for ephemeral docs site", "Loading
'datasources' ...") that reach stdout whenever a command line configures the root logger at
INFO, and it warns about deprecations. `quiet()` keeps all of that out of our output; GX
errors (level ERROR) still go through.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import warnings
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from quality import gx_spark
from quality.suites import Suite, SuiteError

MAX_EXAMPLES = 5
_STATE: dict = {}


@dataclass
class ExpectationOutcome:
    check: str
    severity: str
    expectation: str
    outcome: str  # passed | failed | error
    failed_rows: int | None = None
    observed: str | None = None
    details: str | None = None
    failures_by_key: Counter = field(default_factory=Counter)  # index tuple -> failing rows
    examples: list[dict] = field(default_factory=list)
    table_level: bool = False  # no per-row attribution (column set, row count, ...)


GX_LOGGER = "great_expectations"


def _hush_gx_loggers() -> None:
    """ERROR and above only, for GX's root logger and every module logger GX set a level on
    itself (great_expectations.data_context.types.base sets INFO at import). Walks the loggers
    only when new ones appeared (setLevel clears logging's caches: not on every call)."""
    root = logging.getLogger(GX_LOGGER)
    known = len(logging.root.manager.loggerDict)
    if _STATE.get("hushed_loggers") == known and root.level == logging.ERROR:
        return
    root.setLevel(logging.ERROR)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if name.startswith(GX_LOGGER + ".") and isinstance(logger, logging.Logger) and logger.level != logging.ERROR:
            logger.setLevel(logging.ERROR)
    _STATE["hushed_loggers"] = known


@contextlib.contextmanager
def quiet():
    """Silence GX around a call: its loggers at ERROR, its prints and warnings dropped."""
    _hush_gx_loggers()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def _batch_definition():
    """The shared pandas batch definition; built once per process (GX import + context ~ seconds)."""
    if "batch_definition" not in _STATE:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        with quiet():
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig

            _hush_gx_loggers()  # the import just set some module loggers back to INFO
            context = gx.get_context(mode="ephemeral")
            context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            asset = context.data_sources.add_pandas("quality").add_dataframe_asset("frame")
            _STATE["gx"] = gx
            _STATE["context"] = context
            _STATE["batch_definition"] = asset.add_batch_definition_whole_dataframe("whole_frame")
    return _STATE["gx"], _STATE["batch_definition"]


def _spark_batch_definition():
    """The Spark batch definition, on the same context (quality.gx_spark)."""
    gx, _ = _batch_definition()
    if "spark_batch_definition" not in _STATE:
        with quiet():
            _STATE["spark_batch_definition"] = gx_spark.batch_definition(_STATE["context"])
    return gx, _STATE["spark_batch_definition"]


def gx_suite(suite: Suite):
    """The GX ExpectationSuite of a suite file, built once per file content and process."""
    gx, _ = _batch_definition()
    key = (suite.name, str(suite.path), repr(suite.expectations))
    cache = _STATE.setdefault("suites", {})
    if key not in cache:
        try:
            with quiet():
                cache[key] = gx.ExpectationSuite(name=suite.name, expectations=[dict(e) for e in suite.expectations])
        except Exception as exc:  # GX raises many types for a bad configuration
            raise SuiteError(f"suite {suite.name}: GX rejected it: {exc}") from exc
    return cache[key]


def with_parameters(suite: Suite, params: dict) -> Suite:
    """The suite with every `{"$PARAMETER": name}` kwarg that `params` knows replaced by its
    value - what GX would substitute itself, but GX parses each reference with pyparsing
    (~25 ms each, a fifth of a raw suite's GX time). Unknown names stay for GX to report."""

    def resolve(value):
        if isinstance(value, dict) and set(value) == {"$PARAMETER"} and value["$PARAMETER"] in params:
            return params[value["$PARAMETER"]]
        return value

    if not any(
        isinstance(v, dict) and "$PARAMETER" in v for e in suite.expectations for v in e.get("kwargs", {}).values()
    ):
        return suite
    expectations = tuple({**e, "kwargs": {k: resolve(v) for k, v in e["kwargs"].items()}} for e in suite.expectations)
    return Suite(name=suite.name, path=suite.path, meta=suite.meta, expectations=expectations)


def _masked(example: dict) -> dict:
    """Pseudonyms never leave the city layer, not even as a failing example."""
    return {k: ("<masked>" if "pseudonym" in k or "pseudoniem" in k else _plain(v)) for k, v in example.items()}


def _plain(value):
    if value is None:
        return None
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, Decimal):  # Spark hands DECIMAL over as is; DuckDB's frame as float
        value = float(value)
    if isinstance(value, float) and value != value:
        return None
    return value if isinstance(value, (int, float, bool, str)) else str(value)


def validate(
    suite: Suite, frame, params: dict, index_columns: list[str], total_rows: int | None = None
) -> list[ExpectationOutcome]:
    """Validate `frame` (pandas, or a Spark DataFrame) against `suite`; one outcome per expectation.

    Two GX validation runs at most: the whole suite with verdicts only (cheap), then the
    expectations that did not pass again with COMPLETE results (failing rows by index
    columns, examples). Collecting unexpected-row lists for expectations that pass was half
    of GX's time. `total_rows`: rows of the full frame when `frame` holds only the rows that
    could fail (quality.prefilter); used in the observed text. `params` are substituted into
    the suite before GX sees it (`with_parameters`). Raises SuiteError when GX
    cannot build the suite (unknown expectation type, bad kwargs): the caller turns that into
    failed checks, never into passes.
    """
    spark = gx_spark.is_spark_frame(frame)
    _, batch_definition = _spark_batch_definition() if spark else _batch_definition()
    suite = with_parameters(suite, params)
    suite_obj = gx_suite(suite)
    if spark:
        frame = gx_spark.averageable_booleans(frame, suite)
    try:
        outcomes = _validate(suite, suite_obj, batch_definition, frame, params, index_columns, total_rows)
    finally:
        if spark:
            frame.unpersist()  # GX's Spark datasource persisted it for its expectations
    if spark:
        for spec, out in zip(suite.expectations, outcomes):
            out.examples = [gx_spark.in_pandas_order(x, spec, index_columns) for x in out.examples]
    return outcomes


def _validate(suite, suite_obj, batch_definition, frame, params, index_columns, total_rows):
    with quiet():
        batch = batch_definition.get_batch(batch_parameters={"dataframe": frame})
        first = batch.validate(
            suite_obj, expectation_parameters=params, result_format={"result_format": "BOOLEAN_ONLY"}
        )
    verdicts = _by_check(suite, first.results, len(suite.expectations))
    not_passed = tuple(e for e in suite.expectations if not verdicts[e["meta"]["check"]].success)
    detailed = {}
    if not_passed:
        subset = Suite(name=suite.name, path=suite.path, meta=suite.meta, expectations=not_passed)
        result_format = {
            "result_format": "COMPLETE",
            "unexpected_index_column_names": index_columns,
            "return_unexpected_index_query": False,
            "partial_unexpected_count": MAX_EXAMPLES,
        }
        with quiet():
            second = batch.validate(gx_suite(subset), expectation_parameters=params, result_format=result_format)
        detailed = _by_check(subset, second.results, len(not_passed))
    return [
        _outcome(
            e["meta"]["check"],
            e,
            detailed.get(e["meta"]["check"]) or verdicts[e["meta"]["check"]],
            index_columns,
            total_rows,
        )
        for e in suite.expectations
    ]


def _by_check(suite: Suite, results, expected: int) -> dict:
    """GX results keyed by meta.check; every expectation must have come back exactly once."""
    checks = {e["meta"]["check"] for e in suite.expectations}
    out = {}
    for res in results:
        check = (res.expectation_config.meta or {}).get("check")
        if check not in checks:
            raise SuiteError(f"suite {suite.name}: GX returned a result without meta.check")
        out[check] = res
    if len(results) != expected or len(out) != expected:
        raise SuiteError(f"suite {suite.name}: {expected} expectations but {len(results)} results")
    return out


def _outcome(check: str, spec: dict, res, index_columns: list[str], total_rows: int | None) -> ExpectationOutcome:
    out = ExpectationOutcome(
        check=check,
        severity=spec["meta"]["severity"],
        expectation=spec["type"],
        outcome="passed" if res.success else "failed",
    )
    info = res.exception_info or {}
    if info.get("raised_exception"):
        out.outcome = "error"
        out.details = f"could not run: {info.get('exception_message')}"
        out.table_level = True
        return out
    result = res.result or {}
    if res.success and not result:  # verdict-only run: nothing more to report for a pass
        return out
    if "unexpected_count" in result:
        out.failed_rows = int(result["unexpected_count"] or 0)
        rows = total_rows if total_rows is not None else result.get("element_count")
        out.observed = f"{out.failed_rows} of {rows} rows unexpected"
        for row in result.get("unexpected_index_list") or []:
            out.failures_by_key[tuple(_plain(row.get(c)) for c in index_columns)] += 1
        out.examples = [_masked(r) for r in (result.get("partial_unexpected_index_list") or [])[:MAX_EXAMPLES]]
        if out.outcome == "failed" and not out.failures_by_key:
            out.table_level = True  # e.g. `mostly` not met without an index list
    else:
        out.table_level = True
        out.observed = str(result.get("observed_value"))[:500]
    if out.outcome == "failed" and not out.details:
        out.details = spec["meta"].get("description") or spec["type"]
    return out
