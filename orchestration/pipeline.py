"""Run the Dagster definitions in process: the one pipeline `make demo`, `make bench`, the
validation and the test worlds run, so that an asset added to the graph is in all of them.

The order is the asset graph's (load -> checks -> dbt incl. the Dunkelziffer estimates ->
exchange -> publish -> report); nothing here repeats it. A Dagster run holds assets of one
partitioning only, so a selection runs in stages: each stage is the largest set of ops (a
multi-asset counts as one) of one partitioning whose upstream assets are done, with the checks
of its assets. An unpartitioned stage is one run; a city-partitioned stage is one run per
contiguous range of the chosen cities when its assets load several partitions in one run
(BackfillPolicy.single_run, e.g. every city in one load), else one run per partition key.

A failed step, a skipped step or a failed blocking check stops the pipeline with PipelineError,
as Dagster would skip everything downstream of it; a failing check that only warns is printed.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import logging
import re
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import dagster as dg

RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"
# Steps whose run time is worth a line of its own (shorter ones are summed per stage).
STEP_SECONDS_SHOWN = 1.0
# dbt's line per node and state, which dagster-dbt echoes to stdout: left out of the progress
# (errors, failures, warnings and dbt's summary still show).
DBT_NODE_LINE = re.compile(r"^\d+ of \d+ (START|OK|PASS|SKIP)\b")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class PipelineError(RuntimeError):
    """A step of the pipeline failed or was skipped, or a blocking check failed."""


@dataclass
class Stage:
    """Ops of one partitioning that run together (one run, or one per partition key/range)."""

    partitions_def: dg.PartitionsDefinition | None
    asset_keys: set[dg.AssetKey] = field(default_factory=set)
    check_keys: set[dg.AssetCheckKey] = field(default_factory=set)
    assets_defs: list[dg.AssetsDefinition] = field(default_factory=list)

    @property
    def op_names(self) -> list[str]:
        return [ad.node_def.name for ad in self.assets_defs]

    def selection(self) -> dg.AssetSelection:
        assets = dg.AssetSelection.assets(*self.asset_keys).without_checks()
        return assets | dg.AssetSelection.checks(*self.check_keys) if self.check_keys else assets

    def describe(self) -> str:
        names = sorted({ad.node_def.name for ad in self.assets_defs if ad.keys})
        shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
        checks = f", {len(self.check_keys)} checks" if self.check_keys else ""
        return f"{len(self.asset_keys)} assets ({shown}){checks}"


def plan(defs: dg.Definitions, selection: dg.AssetSelection) -> list[Stage]:
    """The stages of `selection` in the order of the asset graph."""
    graph = defs.resolve_asset_graph()
    keys = {k for k in selection.resolve(graph) if graph.get(k).is_executable}
    checks = set(selection.resolve_checks(graph))
    order = {k: i for i, k in enumerate(graph.toposorted_asset_keys)}

    # units: one per op (AssetsDefinition), with its selected assets and checks
    units: dict[int, Stage] = {}
    for key in sorted(keys, key=order.__getitem__):
        ad = graph.assets_def_for_key(key)
        unit = units.setdefault(id(ad), Stage(ad.partitions_def, assets_defs=[ad]))
        unit.asset_keys.add(key)
    for check in checks:  # a check defined with its assets (dbt tests) joins their unit
        ad = graph.assets_def_for_key(check)
        node = graph.get(check)
        unit = units.setdefault(id(ad), Stage(node.partitions_def, assets_defs=[ad]))
        unit.check_keys.add(check)

    def parents(unit: Stage) -> set[dg.AssetKey]:
        ups = {p for k in unit.asset_keys for p in graph.get(k).parent_keys if p in keys}
        ups |= {c.asset_key for c in unit.check_keys if c.asset_key in keys}  # a check after its asset
        return ups - unit.asset_keys

    def first_index(unit: Stage) -> int:
        return min([order[k] for k in unit.asset_keys] or [order.get(c.asset_key, 0) for c in unit.check_keys])

    remaining = sorted(units.values(), key=first_index)
    done: set[dg.AssetKey] = set()
    stages: list[Stage] = []
    while remaining:
        ready = [u for u in remaining if parents(u) <= done]
        if not ready:
            raise PipelineError("the selection's ops depend on each other in a cycle")
        stage = Stage(ready[0].partitions_def)
        grew = True
        while grew:  # add every unit of the same partitioning whose upstream is done or in the stage
            grew = False
            for unit in list(remaining):
                if unit.partitions_def == stage.partitions_def and parents(unit) <= done | stage.asset_keys:
                    stage.asset_keys |= unit.asset_keys
                    stage.check_keys |= unit.check_keys
                    stage.assets_defs += unit.assets_defs
                    remaining.remove(unit)
                    grew = True
        done |= stage.asset_keys
        stages.append(stage)
    return stages


def partition_runs(stage: Stage, partitions: Mapping[str, Sequence[str]]) -> list[dict]:
    """execute_in_process arguments of the stage's runs: `partition_key` or a range in `tags`."""
    from orchestration.defs.partitions import dimensions

    dims = dimensions(stage.partitions_def)
    if not dims:
        return [{}]
    values: dict[str, list[str]] = {}
    for name, single in dims.items():
        known = single.get_partition_keys()
        chosen = list(partitions.get(name) or ())
        if not chosen:
            raise PipelineError(f"{stage.describe()} is partitioned by {name}: say which {name}(s) to run")
        unknown = sorted(set(chosen) - set(known))
        if unknown:
            raise PipelineError(f"unknown {name}: {unknown} (known: {', '.join(known)})")
        values[name] = sorted(set(chosen), key=known.index)
    if len(dims) > 1:
        names = sorted(dims)
        return [
            {"partition_key": dg.MultiPartitionKey(dict(zip(names, combo, strict=True)))}
            for combo in itertools.product(*(values[n] for n in names))
        ]
    ((name, single),) = dims.items()
    chosen = values[name]
    whole_ranges = all(
        ad.backfill_policy is not None and ad.backfill_policy.max_partitions_per_run is None
        for ad in stage.assets_defs
        if ad.keys  # checks alone may run over a range
    )
    if not whole_ranges:
        return [{"partition_key": key} for key in chosen]
    # Checks alone (no asset in the stage): Dagster cannot validate a partition key without assets
    # (partitioned checks are a preview), but takes a range by its tags, also a range of one.
    checks_only = not any(ad.keys for ad in stage.assets_defs)
    known = single.get_partition_keys()
    runs = []
    for _, run in itertools.groupby(enumerate(chosen), key=lambda ik: known.index(ik[1]) - ik[0]):
        keys = [k for _, k in run]
        if len(keys) == 1 and not checks_only:
            runs.append({"partition_key": keys[0]})
        else:
            runs.append({"tags": {RANGE_START: keys[0], RANGE_END: keys[-1]}})
    return runs


def _trouble(event, blocking: set) -> tuple[str, bool] | None:
    """What went wrong in a Dagster event, and whether it stops the pipeline: a failed or skipped
    step, a failed blocking check (fatal) or a check that only warns (not fatal)."""
    kind = event.event_type_value
    if kind == "STEP_FAILURE":
        error = event.event_specific_data.error
        messages = [error.message.strip()]
        while error.cause is not None:  # Dagster wraps the asset's own exception: show it too
            error = error.cause
            messages.append(error.message.strip())
        return f"{event.step_key} failed: {' <- '.join(messages)}", True
    if kind == "STEP_SKIPPED":
        return f"{event.step_key} was skipped (something upstream failed)", True
    if kind == "ASSET_CHECK_EVALUATION" and not event.event_specific_data.passed:
        ev = event.event_specific_data
        fatal = ev.severity == dg.AssetCheckSeverity.ERROR and dg.AssetCheckKey(ev.asset_key, ev.check_name) in blocking
        what = "blocking check" if fatal else "check"
        return f"{what} {ev.asset_key.to_user_string()}:{ev.check_name} failed ({ev.severity.value.lower()})", fatal
    return None


class _ProgressHandler(logging.Handler):
    """Prints what a reader of `make demo` wants from Dagster's events: each longer step with its
    time, what went wrong, and warnings and errors of the assets."""

    def __init__(self, log: Callable[[str], None]):
        super().__init__(level=logging.DEBUG)
        self.log = log
        self.blocking: set = set()
        self.materialized = 0
        self.short_steps = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        meta = getattr(record, "dagster_meta", None) or {}
        event = meta.get("dagster_event")
        if event is None:
            if record.levelno >= logging.WARNING:
                self.log(f"   {logging.getLevelName(record.levelno).lower()}: {meta.get('orig_message', record.msg)}")
            return
        if event.event_type_value == "ASSET_MATERIALIZATION":
            self.materialized += 1
        elif event.event_type_value == "STEP_SUCCESS":
            seconds = event.event_specific_data.duration_ms / 1000
            if seconds >= STEP_SECONDS_SHOWN:
                self.log(f"   {event.step_key}: done ({seconds:.1f} s)")
            else:
                self.short_steps += seconds
        elif trouble := _trouble(event, self.blocking):
            self.log(f"   {trouble[0]}")


def _progress_logger(handler: _ProgressHandler) -> dg.LoggerDefinition:
    @dg.logger
    def progress(_init_context) -> logging.Logger:
        logger = logging.getLogger("orchestration.pipeline.dagster")
        logger.propagate = False
        logger.handlers = [handler]
        logger.setLevel(logging.DEBUG)
        return logger

    return progress


def _blocking(stage: Stage) -> set[dg.AssetCheckKey]:
    return {spec.key for ad in stage.assets_defs for spec in ad.check_specs if spec.blocking}


def _problems(stage: Stage, result: dg.ExecuteInProcessResult, skipped_ok: bool = False) -> list[str]:
    """Why a run did not do all it was asked: failed or skipped steps, failed blocking checks.
    `skipped_ok`: a skipped step is no problem (a night without changes skips what follows dbt)."""
    blocking = _blocking(stage)
    problems = [
        t[0]
        for e in result.all_events
        if not (skipped_ok and e.event_type_value == "STEP_SKIPPED") and (t := _trouble(e, blocking)) and t[1]
    ]
    if not result.success and not problems:
        problems.append("the run failed")
    return problems


class _WithoutDbtNodeLines(io.TextIOBase):
    """A stdout that passes everything on but dbt's per-node progress lines."""

    def __init__(self, target):
        self.target, self.pending = target, ""

    def write(self, text: str) -> int:
        self.pending += text
        *lines, self.pending = self.pending.split("\n")
        for line in lines:
            if not DBT_NODE_LINE.match(ANSI.sub("", line)):
                self.target.write(line + "\n")
        return len(text)

    def flush(self) -> None:
        self.target.flush()

    def close_line(self) -> None:
        """Pass on a last line without its newline."""
        if self.pending:
            self.target.write(self.pending)
            self.pending = ""


@contextlib.contextmanager
def _quiet_progress():
    """dbt's node lines out of stdout; Dagster's own info logs (dagster.builtin) into the run's
    event log only, not also into the root logger's output."""
    builtin = logging.getLogger("dagster.builtin")
    propagate, builtin.propagate = builtin.propagate, False
    out = _WithoutDbtNodeLines(sys.stdout)
    try:
        with contextlib.redirect_stdout(out):
            yield
    finally:
        out.close_line()
        builtin.propagate = propagate


def run_pipeline(
    selection: dg.AssetSelection | None = None,
    *,
    cities: Iterable[str] | None = None,
    quarters: Iterable[str] = (),
    alliances: Iterable[str] = (),
    resources: Mapping[str, object] | None = None,
    op_config: Mapping[str, Mapping] | None = None,
    defs: dg.Definitions | None = None,
    log: Callable[[str], None] = print,
) -> list[dg.ExecuteInProcessResult]:
    """Materialise `selection` (default: every asset and check of the definitions) in process,
    stage by stage; `cities` default to every configured city; `quarters` and `alliances` are
    needed when the selection holds assets partitioned by them. `resources` replace the
    definitions' ones (e.g. a WarehouseResource of a test warehouse); `op_config` maps an op
    name to its config (used only in the runs that hold that op). Returns the runs' results."""
    if defs is None:
        from orchestration.definitions import defs
    from orchestration.defs.partitions import CITY_PARTITIONS

    logging.getLogger("alembic").setLevel(logging.WARNING)  # the ephemeral instance's set-up
    selection = dg.AssetSelection.all() if selection is None else selection
    partitions = {
        "city": list(cities) if cities is not None else CITY_PARTITIONS.get_partition_keys(),
        "quarter": list(quarters),
        "alliance": list(alliances),
    }
    stages = plan(defs, selection)
    planned = [(stage, partition_runs(stage, partitions)) for stage in stages]  # fails before any run
    handler = _ProgressHandler(log)
    jobs = [
        # the partitions are given explicitly: a job of checks alone cannot infer them from assets
        dg.define_asset_job(f"pipeline_stage_{i + 1}", selection=s.selection(), partitions_def=s.partitions_def)
        for i, s in enumerate(stages)
    ]
    run_defs = run_definitions(defs, resources, handler, jobs)
    instance = dg.DagsterInstance.ephemeral()
    results: list[dg.ExecuteInProcessResult] = []
    with _quiet_progress():
        for i, (stage, runs) in enumerate(planned):
            title = f"stage {i + 1}/{len(stages)}"
            job = run_defs.resolve_job_def(jobs[i].name)
            results += _run_stage(title, stage, runs, job, instance, handler, op_config or {}, log)
    return results


def run_definitions(defs: dg.Definitions, resources, handler: _ProgressHandler, jobs) -> dg.Definitions:
    """The definitions a run in process executes: the assets and checks of `defs`, its resources
    with `resources` in their place, `jobs`, and the progress logger instead of Dagster's console."""
    return dg.Definitions(
        assets=list(defs.assets or []),
        asset_checks=list(defs.asset_checks or []),
        resources={**(defs.resources or {}), **(resources or {})},
        jobs=list(jobs),
        loggers={"progress": _progress_logger(handler)},
    )


def _run_stage(title, stage, runs, job, instance, handler, op_config, log) -> list[dg.ExecuteInProcessResult]:
    where = "" if runs == [{}] else f", {len(runs)} run(s) over {_partitions_text(runs)}"
    log(f"-- {title}: {stage.describe()}{where}")
    t0 = time.perf_counter()
    handler.materialized, handler.short_steps, handler.blocking = 0, 0.0, _blocking(stage)
    config = {
        # only the progress logger: Dagster's console logger would print every event
        "loggers": {"progress": {}},
        "ops": {op: {"config": dict(c)} for op, c in op_config.items() if op in stage.op_names},
    }
    results = []
    for run in runs:
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=config, **run)
        results.append(result)
        problems = _problems(stage, result)
        if problems:
            raise PipelineError(f"{title} ({stage.describe()}): " + "; ".join(problems))
    rest = f", short steps {handler.short_steps:.1f} s" if handler.short_steps else ""
    log(f"   {handler.materialized} materialisations{rest}; {title} took {time.perf_counter() - t0:.1f} s")
    return results


def _partitions_text(runs: list[dict]) -> str:
    shown = [
        str(r["partition_key"]) if "partition_key" in r else f"{r['tags'][RANGE_START]}...{r['tags'][RANGE_END]}"
        for r in runs
    ]
    return ", ".join(shown[:4]) + (f" and {len(shown) - 4} more" if len(shown) > 4 else "")
