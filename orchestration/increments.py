"""Nightly increments: what a load changed, which dbt models that touches, and the run of it.

The load writes `meta.raw_changes` (city, source, period, change kind, load id) in the
transaction of each delivery (ingest/batch.py). The heavy per-city dbt models are
`city_incremental` (dbt_project/macros/increments.sql): a dbt build recomputes only the cities
whose inputs (`meta.city_input_digests`) changed since the model's last build, and logs each
build in `meta.dbt_increment_runs`.

`run_increment` is the nightly path in process, the run a sensor's request starts: the load and
the checks of the requested cities, then the dbt models downstream of the raw tables that load
changed, the exchange packages of the changed city-quarters and the published copy - through
`orchestration.pipeline.run_pipeline`, i.e. the Dagster definitions, staged by partitioning (a
Dagster run holds one partitioning), all under one increment id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from warehouse.db import connect

PHASE_ORDER = ("load", "checks", "dbt", "estimates", "disclosure", "exchange", "publish")
CHANGE_COLUMNS = ("city", "source", "raw_table", "period", "version", "change_kind", "delivery_file", "load_id")


@dataclass
class Increment:
    """What one nightly increment did."""

    increment_id: str
    cities: list[str]
    changes: list[dict] = field(default_factory=list)  # rows of meta.raw_changes of its loads
    models: list[dict] = field(default_factory=list)  # rows of meta.dbt_increment_runs of its build
    quarters: list[str] = field(default_factory=list)  # exchange packages written (city-quarters' quarters)
    results: list = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)  # seconds per phase (nightly runs)
    seconds: float = 0.0  # wall time of the nightly runs
    tags: list[dict] = field(default_factory=list)  # tags of each nightly run at its end

    def timing(self) -> str:
        parts = [f"{name} {self.phases[name]:.1f} s" for name in PHASE_ORDER if name in self.phases]
        return ", ".join(parts + [f"wall {self.seconds:.1f} s"])

    @property
    def changed_tables(self) -> list[str]:
        return sorted({c["raw_table"] for c in self.changes})

    def describe(self) -> str:
        return _describe(self.changes) or "nothing changed"


def _rows(con, sql: str, params=()) -> list[dict]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def changes_of_loads(warehouse: Path, load_ids: Iterable[str]) -> list[dict]:
    """The rows of meta.raw_changes written by the given loads (ordered by city, source, period)."""
    ids = sorted(set(load_ids))
    if not ids:
        return []
    with connect(warehouse, read_only=True) as con:
        return _rows(
            con,
            f"select {', '.join(CHANGE_COLUMNS)} from meta.raw_changes where list_contains(?::varchar[], load_id) "
            "order by city, source, period, version",
            [ids],
        )


def load_ids_after(warehouse: Path, known: set[str]) -> set[str]:
    """Load runs recorded in meta.load_runs that are not in `known`."""
    with connect(warehouse, read_only=True) as con:
        return {r[0] for r in con.execute("select run_id from meta.load_runs").fetchall()} - known


def model_builds(warehouse: Path, invocation_ids: Iterable[str] | None = None) -> list[dict]:
    """meta.dbt_increment_runs rows (of the given dbt invocations, default: the latest one)."""
    with connect(warehouse, read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'meta' "
            "and table_name = 'dbt_increment_runs'"
        ).fetchone()[0]
        if not exists:
            return []
        if invocation_ids is None:
            latest = con.execute(
                "select invocation_id from meta.dbt_increment_runs order by built_at desc limit 1"
            ).fetchone()
            ids = [latest[0]] if latest else []
        else:
            ids = sorted(set(invocation_ids))
        return _rows(
            con,
            "select invocation_id, model, mode, reason, cities, periods, rows_inserted from meta.dbt_increment_runs "
            "where list_contains(?::varchar[], invocation_id) order by model",
            [ids],
        )


def builds_since(warehouse: Path, since) -> list[dict]:
    """meta.dbt_increment_runs rows built after `since` (a timestamp)."""
    with connect(warehouse, read_only=True) as con:
        return _rows(
            con,
            "select invocation_id, model, mode, reason, cities, periods, rows_inserted, built_at "
            "from meta.dbt_increment_runs where built_at > ? order by built_at, model",
            [since],
        )


def quarter_of_period(period: str) -> str | None:
    """The quarter a delivery period falls in: YYYY-MM or YYYY-MM-DD; None for `current` (gebiete)."""
    try:
        year, month = int(period[:4]), int(period[5:7])
    except ValueError:
        return None
    return f"{year}-Q{(month - 1) // 3 + 1}"


def affected_quarters(changes: list[dict], known: Iterable[str]) -> list[str]:
    """Quarters of the changed periods that are exchange partitions."""
    known = list(known)
    wanted = {q for c in changes if (q := quarter_of_period(c["period"])) is not None}
    return [q for q in known if q in wanted]


def dbt_selection_for(tables: Iterable[str]) -> dg.AssetSelection:
    """The dbt models (and their dbt tests) and the estimates downstream of the given raw tables."""
    from orchestration.defs.estimates import warehouse_models
    from orchestration.defs.ingest import RAW_KEYS

    keys = [RAW_KEYS[t] for t in tables if t in RAW_KEYS]
    if not keys:
        return dg.AssetSelection.assets()
    return dg.AssetSelection.assets(*keys).downstream(include_self=False) & warehouse_models()


TAG_LOADS = "increment/load_ids"  # the load runs (meta.load_runs) of a Dagster run, comma-separated
TAG_CHANGES = "increment/changed_partitions"  # what they changed, for the UI
TAG_COUNT = "increment/changed_count"
TAG_ONLY_QUARTERS = "increment/only_quarters"  # limits the exchange packages of a night
TAG_TEXT_MAX = 2000  # characters of the changed partitions shown in a tag (the count is complete)


def tag_run_changes(context, load_id: str, changes: list[dict]) -> None:
    """Record a load and what it changed in the tags of the Dagster run (a run over several
    partitions may load more than once: the tags accumulate)."""
    run = context.instance.get_run_by_id(context.run.run_id)
    loads = [x for x in run.tags.get(TAG_LOADS, "").split(",") if x] + [load_id]
    described = "; ".join(filter(None, [run.tags.get(TAG_CHANGES, ""), _describe(changes)]))
    count = int(run.tags.get(TAG_COUNT, "0")) + len(changes)
    if len(described) > TAG_TEXT_MAX:
        described = described[: TAG_TEXT_MAX - 3] + "..."
    context.instance.add_run_tags(
        context.run.run_id, {TAG_LOADS: ",".join(loads), TAG_CHANGES: described or "nothing", TAG_COUNT: str(count)}
    )


def _describe(changes: list[dict]) -> str:
    return "; ".join(f"{c['city']} {c['source']} {c['period']} ({c['change_kind']})" for c in changes)


def run_changes(context, warehouse: Path) -> list[dict]:
    """The meta.raw_changes rows of the loads of the current Dagster run (its TAG_LOADS)."""
    tags = context.instance.get_run_by_id(context.run.run_id).tags
    return changes_of_loads(warehouse, [x for x in tags.get(TAG_LOADS, "").split(",") if x])


def night_quarters(changes: list[dict], known: Iterable[str], tags: Mapping[str, str] | None = None):
    """(city, quarter) exchange packages a night writes: the changed cities x the exchange quarters of
    the changed periods (the disclosure repair may move any city's cells of such a quarter), limited
    by the run's TAG_ONLY_QUARTERS if set."""
    quarters = affected_quarters(changes, known)
    only = (tags or {}).get(TAG_ONLY_QUARTERS)
    if only is not None:
        quarters = [q for q in quarters if q in set(only.split(","))]
    return [(city, q) for city in sorted({c["city"] for c in changes}) for q in quarters]


# The phases of a night, by the op that runs them (a raw check is an op of its own).
PHASES = {
    "raw_city_deliveries": "load",
    "warehouse_dbt_models": "dbt",
    "marts__fct_dunkelziffer_estimates": "estimates",
    "estimate_dbt_models": "dbt",
    "disclosure_repair": "disclosure",
    "nightly_exchange_packages": "exchange",
    "published_warehouse": "publish",
}


def step_seconds(results) -> dict[str, float]:
    """Seconds per step of the runs (the step's own duration, summed over the runs)."""
    seconds: dict[str, float] = {}
    for result in results:
        for event in result.all_events:
            if event.event_type_value == "STEP_SUCCESS":
                seconds[event.step_key] = (
                    seconds.get(event.step_key, 0.0) + event.event_specific_data.duration_ms / 1000
                )
    return seconds


def phase_of(step_key: str) -> str:
    return PHASES.get(step_key.split("[")[0], "checks")


def phase_seconds(results) -> dict[str, float]:
    """Seconds per phase of the nightly runs (the steps' own durations; the rest is Dagster's)."""
    seconds: dict[str, float] = {}
    for step, s in step_seconds(results).items():
        seconds[phase_of(step)] = seconds.get(phase_of(step), 0.0) + s
    return seconds


def run_increment(
    cities: Iterable[str],
    *,
    resources: Mapping[str, object],
    warehouse: Path,
    with_checks: bool = True,
    exchange: bool = True,
    only_quarters: Iterable[str] | None = None,
    all_models: bool = False,
    log: Callable[[str], None] = print,
) -> Increment:
    """The nightly path for `cities` (e.g. the partition keys of the sensor's run requests): one
    run of the `nightly_increment` job per contiguous range of cities (one city: one run) - load,
    checks, the dbt models (the city_incremental ones recompute the changed cities only), the
    disclosure repair, the exchange packages of the changed city-quarters (`only_quarters` limits
    them) and the published copy. Nothing changed: nothing after the load. `all_models` (and a
    warehouse without a completed dbt build, or `with_checks`/`exchange` off) runs the staged
    pipeline instead, with every dbt model and the official tables."""
    cities = sorted(set(cities))
    if all_models or not with_checks or not exchange or not (warehouse.exists() and _has_complete_build(warehouse)):
        return _staged_increment(
            cities,
            resources=resources,
            warehouse=warehouse,
            with_checks=with_checks,
            exchange=exchange,
            only_quarters=only_quarters,
            all_models=all_models,
            log=log,
        )
    import time

    from orchestration.definitions import defs
    from orchestration.defs.ingest import raw_city_deliveries
    from orchestration.defs.nightly import NIGHTLY_JOB
    from orchestration.pipeline import (
        _blocking,
        _problems,
        _ProgressHandler,
        _quiet_progress,
        partition_runs,
        plan,
        run_definitions,
    )

    inc = Increment(uuid.uuid4().hex[:12], cities)
    tags = {"increment/id": inc.increment_id}
    if only_quarters is not None:
        tags[TAG_ONLY_QUARTERS] = ",".join(only_quarters)
    with connect(warehouse, read_only=True) as con:
        since = con.execute("select now()::timestamp").fetchone()[0]
    handler = _ProgressHandler(log)  # the pipeline's progress lines, not Dagster's console log
    job = run_definitions(defs, resources, handler, defs.jobs or []).resolve_job_def(NIGHTLY_JOB)

    stage = plan(defs, dg.AssetSelection.assets(raw_city_deliveries))[0]  # the load and its checks
    handler.blocking = _blocking(stage)
    instance = dg.DagsterInstance.ephemeral()
    t0 = time.perf_counter()
    for run in partition_runs(stage, {"city": cities}):
        run_tags = {**tags, **run.pop("tags", {})}
        with _quiet_progress():
            result = job.execute_in_process(
                instance=instance,
                raise_on_error=False,
                tags=run_tags,
                run_config={"loggers": {"progress": {}}},
                **run,
            )
        inc.results.append(result)
        problems = _problems(stage, result, skipped_ok=True)  # skipped: a night without changes
        if problems:
            raise RuntimeError(f"nightly run {result.run_id} failed: " + "; ".join(problems))
        run_record = instance.get_run_by_id(result.run_id)
        inc.tags.append(dict(run_record.tags))
        inc.changes += changes_of_loads(warehouse, [x for x in run_record.tags.get(TAG_LOADS, "").split(",") if x])
    wall = time.perf_counter() - t0
    inc.changes.sort(key=lambda c: (c["city"], c["source"], c["period"], c["version"] or 0))
    inc.quarters = sorted({q for _, q in night_quarters(inc.changes, _known_quarters(), tags)})
    inc.models = builds_since(warehouse, since) if inc.changes else []
    inc.phases = phase_seconds(inc.results)
    inc.seconds = wall
    log(f"increment {inc.increment_id}: {inc.describe()}")
    log(f"increment {inc.increment_id}: {len(inc.results)} run(s), {inc.timing()}")
    return inc


def _known_quarters() -> list[str]:
    from orchestration.defs.partitions import QUARTER_PARTITIONS

    return QUARTER_PARTITIONS.get_partition_keys()


def _staged_increment(
    cities: list[str],
    *,
    resources: Mapping[str, object],
    warehouse: Path,
    with_checks: bool,
    exchange: bool,
    only_quarters: Iterable[str] | None,
    all_models: bool,
    log: Callable[[str], None],
) -> Increment:
    """The increment through `run_pipeline`'s stages (several Dagster runs): a first build."""
    from orchestration.defs.disclosure import disclosure_repair
    from orchestration.defs.exchange import exchange_package
    from orchestration.defs.ingest import raw_city_deliveries
    from orchestration.defs.partitions import QUARTER_PARTITIONS
    from orchestration.defs.publish import published_warehouse
    from orchestration.pipeline import run_pipeline

    inc = Increment(uuid.uuid4().hex[:12], cities)
    before = load_ids_after(warehouse, set()) if warehouse.exists() else set()
    load = dg.AssetSelection.assets(raw_city_deliveries)
    if not with_checks:
        load = load.without_checks()
    inc.results += run_pipeline(load, cities=cities, resources=resources, log=log)
    inc.changes = changes_of_loads(warehouse, load_ids_after(warehouse, before))
    if not inc.changes:
        log(f"increment {inc.increment_id}: nothing changed")
        return inc
    log(f"increment {inc.increment_id}: {inc.describe()}")
    changed_cities = sorted({c["city"] for c in inc.changes})
    inc.quarters = affected_quarters(inc.changes, QUARTER_PARTITIONS.get_partition_keys())
    if only_quarters is not None:
        inc.quarters = [q for q in inc.quarters if q in set(only_quarters)]
    if all_models or not _has_complete_build(warehouse):
        from orchestration.defs.estimates import warehouse_models
        from orchestration.defs.official import raw_official_tables

        models = warehouse_models() | dg.AssetSelection.assets(raw_official_tables)
    else:
        models = dbt_selection_for(inc.changed_tables)
    # the disclosure repair judges the cells against everything published, so it runs whole
    selection = models | dg.AssetSelection.assets(disclosure_repair, published_warehouse)
    if exchange and inc.quarters:
        selection |= dg.AssetSelection.assets(exchange_package)
    with connect(warehouse, read_only=True) as con:
        since = con.execute("select now()::timestamp").fetchone()[0]
    inc.results += run_pipeline(
        selection.without_checks(), cities=changed_cities, quarters=inc.quarters, resources=resources, log=log
    )
    inc.models = builds_since(warehouse, since)
    return inc


def _has_complete_build(warehouse: Path) -> bool:
    """Whether a dbt build of this warehouse completed (meta.dbt_builds, macros/build_state.sql)."""
    with connect(warehouse, read_only=True) as con:
        exists = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'meta' and table_name = 'dbt_builds'"
        ).fetchone()[0]
        return bool(exists) and bool(
            con.execute("select count(*) from meta.dbt_builds where status = 'complete'").fetchone()[0]
        )


def increment_metadata(changes: list[dict]) -> dict:
    """Dagster metadata of what a load changed: a count and a Markdown table."""
    rows = ["| city | source | period | version | change |", "|---|---|---|---|---|"]
    rows += [
        f"| {c['city']} | {c['source']} | {c['period']} | {c.get('version') or ''} | {c['change_kind']} |"
        for c in changes
    ]
    return {
        "changed_partitions": len(changes),
        "changes": dg.MetadataValue.md("\n".join(rows)),
        "changed_cities": ", ".join(sorted({c["city"] for c in changes})),
    }
