"""Quality gates as Dagster asset checks: thin wrappers around `quality.runner`.

Raw checks are partitioned by city like the raw assets; an error-check that fails writes the
gate rows (meta.quality_gate) that keep that city and period out of staging, and, being
`blocking`, stops the downstream dbt assets of the same run. Other cities' partitions go on.
A run over several cities (a partition range) checks them together, as `run_raw_checks` does.
Warnings are recorded and shown (severity WARN). A check that cannot run fails.
"""

import json
import warnings

import dagster as dg

from ingest import sources
from ingest.schemas import COLUMNS
from orchestration.defs.ingest import RAW_KEYS
from orchestration.defs.partitions import CITY_PARTITIONS, WRITER_POOL
from orchestration.resources import WarehouseResource

MAX_ROWS_SHOWN = 20
# Partitioned asset checks are a Dagster preview, used on purpose: a raw check judges the cities
# of its run, like the raw asset it checks.
warnings.filterwarnings(
    "ignore", category=dg.PreviewWarning, message="Specifying a partitions_def on an AssetCheckSpec"
)


def _nothing_to_check(cities: list[str], table: str | None) -> dg.AssetCheckResult:
    """No rows: fine for a source the cities do not deliver, a warning otherwise (never a silent pass)."""
    from ingest.config import load_cities

    configs = load_cities()
    raw = sources.table(table) if table else None

    def delivers(cfg) -> bool:
        return cfg is not None and (
            raw is None or (raw.source in cfg.sources and (raw.requires is None or getattr(cfg, raw.requires)))
        )

    missing = [c for c in cities if delivers(configs.get(c))]
    if missing:
        return dg.AssetCheckResult(
            passed=False,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"reason": f"no rows to check although {', '.join(missing)} deliver(s) this source"},
        )
    return dg.AssetCheckResult(passed=True, metadata={"reason": "the city does not deliver this source"})


def _check_result(results) -> dg.AssetCheckResult:
    from quality.results import summarise

    summary = summarise(results)
    failed = [r for r in results if r.outcome != "passed"]
    blocking = [r for r in failed if r.blocking]
    lines = ["| check | period | outcome | failed rows | observed |", "|---|---|---|---|---|"]
    for r in (blocking + [r for r in failed if not r.blocking])[:MAX_ROWS_SHOWN]:
        observed = (r.observed or r.details or "").replace("|", "/")[:120]
        lines.append(
            f"| {r.check_name} | {r.period or ''} | {r.outcome} ({r.severity}) | {r.failed_rows or ''} | {observed} |"
        )
    examples = [{"check": r.check_name, "period": r.period, **e} for r in failed for e in r.examples][:10]
    metadata = {
        **{k: dg.MetadataValue.int(v) for k, v in summary.items()},
        "failed_rows": dg.MetadataValue.int(sum(r.failed_rows or 0 for r in failed)),
        "blocked_periods": dg.MetadataValue.text(
            ", ".join(sorted({f"{s}{'/' + f if f else ''}:{p}" for r in blocking for s, f, p in r.blocks}))[:2000]
            or "none"
        ),
        "failures": dg.MetadataValue.md("\n".join(lines) if failed else "all checks passed"),
        # Examples are masked in quality.gx_engine: no pseudonym ever reaches the metadata.
        "examples": dg.MetadataValue.json(json.loads(json.dumps(examples, default=str))),
    }
    if not results:  # e.g. a mart without rows: not a silent pass
        return dg.AssetCheckResult(
            passed=False, severity=dg.AssetCheckSeverity.WARN, metadata={"reason": "no rows to check"}
        )
    return dg.AssetCheckResult(
        passed=not failed,
        metadata=metadata,
        severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
    )


def _raw_check(table: str, name: str, kinds: tuple[str, ...], blocking: bool, description: str):
    @dg.asset_check(
        asset=RAW_KEYS[table],
        name=name,
        blocking=blocking,
        description=description,
        partitions_def=CITY_PARTITIONS,
        pool=WRITER_POOL,
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        from quality.runner import run_raw_checks

        cities = list(context.partition_keys)
        tables = [table] if "suites" in kinds or "profile" in kinds else None
        # full: a check runs because its asset was materialised; it must give a verdict every time.
        results = run_raw_checks(warehouse.warehouse_path(), cities, kinds=kinds, tables=tables, full=True)
        if not results:
            return _nothing_to_check(cities, table if tables else None)
        return _check_result(results)

    return _check


RAW_CHECKS = [
    _raw_check(
        t,
        "gx_suite",
        ("suites", "profile"),
        True,
        f"Great Expectations suite quality/suites/{sources.table(t).suite}.json and the period profile "
        "(row count against the previous period, suppressed share).",
    )
    # every table of the source registry; the district boundaries (raw.gebiete_geometrie) have no
    # suite: ingest.geometry checks each feature and quarantines the delivery on any problem
    for t in RAW_KEYS
    if t in COLUMNS
] + [
    _raw_check(
        "bestand",
        "stock_flow_reconciliation",
        ("reconciliation",),
        True,
        "stock(t) = stock(t-1) + inflows - outflows + births - deaths per quarter (quality/reconciliation.py).",
    ),
    _raw_check(
        "meldewesen",
        "completeness",
        ("completeness",),
        False,
        "Every expected source and period of the city delivered (warning).",
    ),
    _raw_check(
        "schule",
        "cross_source_plausibility",
        ("plausibility",),
        False,
        "Pupils vs registered children, SGB II vs population, persons per dwelling (warnings).",
    ),
]


def _dbt_asset_key(model: str) -> dg.AssetKey | None:
    """The asset key Dagster gives the dbt model (schema folder and name, see
    orchestration/defs/dbt.py), None for a model the manifest does not hold."""
    from orchestration.defs.dbt import model_key

    return model_key(model)


def _mart_check(model: str, key: dg.AssetKey):
    from orchestration.defs.dbt import WITH_ITS_ASSET

    @dg.asset_check(
        asset=key,
        name="gx_suite",
        blocking=True,
        pool=WRITER_POOL,
        automation_condition=WITH_ITS_ASSET,
        description=f"Great Expectations suite quality/suites/mart_{model}.json",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        from quality.runner import run_mart_checks

        return _check_result(run_mart_checks(warehouse.warehouse_path(), [model]))

    return _check


def _mart_checks() -> list:
    """One GX check per mart suite, on the dbt asset of the model it guards. A suite whose model
    is not in the manifest is an error, not a check on an asset nobody defines."""
    from quality.marts import mart_names

    checks = []
    for model in mart_names():
        key = _dbt_asset_key(model)
        if key is None:
            raise ValueError(f"quality/suites/mart_{model}.json: no dbt model {model!r} in the manifest")
        checks.append(_mart_check(model, key))
    return checks


class GateDecisionConfig(dg.Config):
    """A decision on a blocked city-period (quality.decisions)."""

    decision: str  # release | reject
    city: str
    source: str
    period: str
    reason: str
    form: str = ""
    by: str = ""  # who decides; empty: the login name of the run's process


@dg.op(pool=WRITER_POOL, description="Release or reject a blocked city-period (quality.decisions), recorded.")
def gate_decision(context: dg.OpExecutionContext, config: GateDecisionConfig, warehouse: WarehouseResource):
    from quality.decisions import DecisionError, decide, describe

    wanted = {"release": "released", "reject": "rejected"}.get(config.decision)
    if wanted is None:
        raise dg.Failure(description=f"decision must be release or reject, got {config.decision!r}")
    try:
        made = decide(
            wanted,
            city=config.city,
            source=config.source,
            form=config.form,
            period=config.period,
            reason=config.reason,
            by=config.by or None,
            warehouse=warehouse.warehouse_path(),
        )
    except DecisionError as exc:
        raise dg.Failure(description=str(exc)) from exc
    context.log.info(describe(made))
    # The gate is a dbt source: its new state is an update, so automation rebuilds dbt, the
    # published copy and the dashboards (orchestration/defs/automation.py).
    context.log_event(
        dg.AssetMaterialization(
            asset_key=dg.AssetKey(["meta", "quality_gate"]),
            metadata={
                "decision": made.decision,
                "city_period": f"{made.city} {made.source} {made.period}",
                "decided_by": made.decided_by,
                "reason": made.reason,
            },
        )
    )


@dg.job(
    description="Release or reject a blocked city-period: config decision (release|reject), city, source, "
    "period, reason, [form], [by]. Recorded in meta.gate_decisions and shown in the report."
)
def gate_decision_job():
    gate_decision()


defs = dg.Definitions(asset_checks=[*RAW_CHECKS, *_mart_checks()], jobs=[gate_decision_job])
