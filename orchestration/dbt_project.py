"""The dbt project as Dagster sees it, and the one way to call dbt outside Dagster (`run_dbt`;
`run_models` for a whole build with the Dunkelziffer estimation between its two parts).

`dagster-dbt project prepare-and-package --file orchestration/dbt_project.py` (run by the
Makefile) parses the project so that the manifest exists before Dagster imports it.

dbt reads the warehouse, the memory limit, the threads and the spill folder from the
environment (dbt_project/profiles.yml); `dbt_env()` puts the values of `warehouse.settings`
there, for `run_dbt` and for the Dagster dbt asset alike. `python -m orchestration.dbt_project
ARGS` runs dbt by hand the same way.

WAREHOUSE_ENGINE (warehouse.engine) chooses the dbt target: `dev` (DuckDB, the default) or
`spark` (a Spark session, docs/engines.md). On Spark, `run_dbt` first exports the DuckDB raw
layer to Parquet (warehouse.spark_raw) and the profile's on-run-start hook registers it; after
dbt, `finish_engine` imports the served tables it built into DuckDB (warehouse.spark_import),
also after a failed build, as a DuckDB build leaves its finished models and a 'failed' record.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

from dagster_dbt import DbtProject

from warehouse import engine, settings
from warehouse.settings import DBT_PROJECT_DIR

ERROR_LINES_SHOWN = 40
ERROR_LINE_CHARS = 2000


class DbtError(RuntimeError):
    """A dbt command that did not succeed (its error lines are in the message)."""


def dbt_env(warehouse: str | Path | None = None, target_path: str | Path | None = None) -> dict[str, str]:
    """Environment for dbt: absolute warehouse path, DuckDB limits from the settings, offline and
    quiet; with `target_path` dbt's artefacts and logs go there (`<target>/logs`)."""
    env = dict(os.environ)
    env.update(dbt_settings_env(warehouse))
    if target_path is not None:
        env["DBT_TARGET_PATH"] = str(Path(target_path).resolve())
        env["DBT_LOG_PATH"] = str(Path(target_path).resolve() / "logs")
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    env.setdefault("DO_NOT_TRACK", "1")
    return env


# What of the dbt project decides a model's rows besides its own SQL: every model, macro and
# seed and the project file. Their hash is DBT_CODE_VERSION; a city_incremental model whose
# recorded version differs is rebuilt in full (dbt_project/macros/increments.sql).
CODE_PATHS = ("dbt_project.yml", "models", "macros", "seeds")


def dbt_code_version(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """A hash of the dbt project's code (names and bytes of CODE_PATHS)."""
    h = hashlib.sha256()
    for part in CODE_PATHS:
        base = project_dir / part
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in files:
            h.update(f"{path.relative_to(project_dir).as_posix()}\0".encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:16]


def estimates_code_version() -> str:
    """A hash of what the Dunkelziffer estimates are computed by: the estimation package and the
    dbt project (its staging models are what the estimation reads)."""
    h = hashlib.sha256(dbt_code_version().encode())
    for path in sorted((Path(__file__).resolve().parents[1] / "estimation").glob("*.py")):
        h.update(f"{path.name}\0".encode())
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()[:16]


def dbt_settings_env(warehouse: str | Path | None = None) -> dict[str, str]:
    """The variables profiles.yml reads, from `warehouse.settings` (warehouse given or the default),
    and DBT_CODE_VERSION, which the city_incremental models compare with their build record."""
    path = Path(warehouse).resolve() if warehouse else settings.warehouse_path()
    env = {
        "WAREHOUSE_DUCKDB_PATH": str(path),
        "DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit(),
        "DUCKDB_THREADS": str(settings.duckdb_threads()),
        "DBT_CODE_VERSION": dbt_code_version(),
    }
    spill = settings.duckdb_temp_directory(path)
    if spill is not None:
        env["DUCKDB_TEMP_DIRECTORY"] = str(spill)
    env["WAREHOUSE_ENGINE"] = engine.engine()
    env["DBT_TARGET"] = engine.dbt_target()  # dbt's own variable for --target
    if engine.is_spark():
        from warehouse.spark_raw import exported_tables

        env.update(engine.spark_env(path))
        env["SPARK_RAW_TABLES"] = ",".join(exported_tables(path))
    return env


# dbt commands that run models or tests (and so read the raw layer); parse, compile, ls do not.
_READING_COMMANDS = {"build", "run", "test", "seed", "snapshot", "show", "retry"}


def prepare_engine(args: list[str], warehouse: str | Path | None = None, log=print) -> None:
    """Before a dbt command on Spark that reads tables: the DuckDB raw layer as Parquet in the
    Spark warehouse folder (warehouse.spark_raw.export_raw). Nothing on DuckDB."""
    if not engine.is_spark() or not (set(args) & _READING_COMMANDS):
        return
    from warehouse.spark_raw import export_raw

    path = Path(warehouse).resolve() if warehouse else settings.warehouse_path()
    export_raw(path, log=log)


# dbt commands that write tables or build records (and so change what DuckDB serves on Spark)
_BUILDING_COMMANDS = {"build", "run", "seed", "snapshot", "retry"}


def finish_engine(args: list[str], warehouse: str | Path | None = None, target_path=None, log=print) -> None:
    """After a dbt command on Spark that built tables: the served tables it built and the build
    records imported into the DuckDB warehouse (warehouse.spark_import). Nothing on DuckDB.
    Every dbt invocation passes here: run_dbt, run_dbt_in_process and the Dagster dbt asset."""
    if not engine.is_spark() or not (set(args) & _BUILDING_COMMANDS):
        return
    from warehouse.spark_import import import_build

    path = Path(warehouse).resolve() if warehouse else settings.warehouse_path()
    import_build(path, Path(target_path) if target_path else settings.dbt_target_path(), log=log)


def _timed(fn, *args) -> float:
    """Seconds `fn(*args)` took (the Spark import's share of a dbt call: make bench)."""
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def finishing(events, args: list[str], warehouse: str | Path | None, target_path, log=print):
    """`events` (the Dagster dbt invocation's stream) passed on, then `finish_engine`, also when
    the stream raised for a failed dbt (the import runs before the error goes on)."""
    try:
        yield from events
    finally:
        finish_engine(args, warehouse, target_path, log)


# Defaults for a dbt started by Dagster's own machinery (the manifest's parse); the dbt asset sets
# the variables of its warehouse resource for each run. The spill folder is not set here: the
# profile derives it from the warehouse path unless DUCKDB_TEMP_DIRECTORY is set by the user.
os.environ.setdefault("WAREHOUSE_DUCKDB_PATH", str(settings.warehouse_path()))
os.environ.setdefault("DUCKDB_THREADS", str(settings.duckdb_threads()))
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")

dbt_project = DbtProject(
    project_dir=DBT_PROJECT_DIR,
    profiles_dir=DBT_PROJECT_DIR,
    target_path=settings.dbt_target_path(),
)
# Under `dagster dev` the manifest is re-parsed on every code-location load.
dbt_project.prepare_if_dev()


def dbt_executable() -> str:
    """The dbt of this virtualenv (not whatever is first on PATH)."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def error_lines(output: str) -> list[str]:
    """dbt's error and failure lines (without colour codes), or its last lines if none are marked."""
    # a line is cut at ERROR_LINE_CHARS: pyspark logs a whole Java stack trace as one JSON line
    lines = [ln[:ERROR_LINE_CHARS] for ln in re.sub(r"\x1b\[[0-9;]*m", "", output).splitlines()]
    marked = [ln for ln in lines if any(w in ln for w in ("ERROR", "FAIL ", "Error", "error:"))]
    return (marked or lines)[-ERROR_LINES_SHOWN:]


def run_dbt(
    args: list[str],
    *,
    warehouse: str | Path | None = None,
    target_path: str | Path | None = None,
    log=print,
    in_process: bool = False,
) -> subprocess.CompletedProcess:
    """Run `dbt ARGS` against `warehouse` (default: the settings' warehouse), streaming its log
    lines to `log`. A failing dbt always raises DbtError with dbt's error lines.

    By default dbt runs as its own process (the night, the CLI: its memory and DuckDB's go back
    to the system when it ends, and a crash of dbt cannot take the caller with it). With
    `in_process` it runs in this Python process (`run_dbt_in_process`): no interpreter start and
    no imports per call, which is most of a small world's dbt time (the tests)."""
    if in_process:
        return run_dbt_in_process(args, warehouse=warehouse, target_path=target_path, log=log)
    prepare_engine(args, warehouse, log)
    cmd = [dbt_executable(), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    proc = subprocess.Popen(
        cmd,
        env=dbt_env(warehouse, target_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=DBT_PROJECT_DIR,
    )
    lines: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line.rstrip())
        log(line.rstrip())
    proc.wait()
    imported = _timed(finish_engine, args, warehouse, target_path, log)
    result = subprocess.CompletedProcess(cmd, proc.returncode, "\n".join(lines), "")
    result.engine_import_s = imported
    if proc.returncode != 0:
        raise DbtError(
            f"dbt {' '.join(args)} failed (exit {proc.returncode}):\n" + "\n".join(error_lines(result.stdout))
        )
    return result


# dbt reads its settings from os.environ, which is the whole process's: one in-process dbt at a time.
_IN_PROCESS_LOCK = threading.Lock()


@contextlib.contextmanager
def _environment(env: dict[str, str]):
    """os.environ set to `env` for the block, restored after (also when dbt raised)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _close_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open in the process between invocations: the
    caller may open the warehouse next, with other settings (DuckDB refuses two configurations
    of one file in one process), or copy it."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager as manager

    with manager._LOCK:
        if manager._ENV is not None:
            manager._ENV.close()
            manager._ENV = None


def run_dbt_in_process(
    args: list[str],
    *,
    warehouse: str | Path | None = None,
    target_path: str | Path | None = None,
    log=print,
    manifest=None,
):
    """`run_dbt` in this process (dbt's programmatic `dbtRunner`), with the same environment,
    project and profile, the same log file (`<target>/logs`) and the same DbtError on failure;
    dbt's console output goes to `log` instead of stdout. With `manifest` (of `parse_in_process`
    for the same warehouse, while the project's files are unchanged) dbt does not parse at all.
    Returns a CompletedProcess (exit code, the console lines) whose `result` is dbt's."""
    from dbt.cli.main import dbtRunner

    lines: list[str] = []

    def on_event(event) -> None:
        if event.info.level in ("info", "warn", "error") and event.info.msg:
            lines.append(event.info.msg)
            log(event.info.msg)

    cmd = [
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--log-level",
        "none",
        "--log-level-file",
        "debug",
    ]
    with _IN_PROCESS_LOCK:
        prepare_engine(args, warehouse, log)
        with _environment(dbt_env(warehouse, target_path)):
            try:
                outcome = dbtRunner(manifest=manifest, callbacks=[on_event]).invoke(cmd)
            finally:
                _close_duckdb()
        imported = _timed(finish_engine, args, warehouse, target_path, log)
    result = subprocess.CompletedProcess(["dbt", *cmd], 0 if outcome.success else 1, "\n".join(lines), "")
    result.engine_import_s = imported
    if not outcome.success:
        if outcome.exception is not None:
            lines.append(f"{type(outcome.exception).__name__}: {outcome.exception}")
        raise DbtError(f"dbt {' '.join(args)} failed (in process):\n" + "\n".join(error_lines("\n".join(lines))))
    result.result = outcome.result
    return result


# The models downstream of the Dunkelziffer estimates, which the estimation step writes between
# two dbt steps (estimation/in_engine.py; the source's YAML says why).
ESTIMATES_DOWNSTREAM = "source:marts.fct_dunkelziffer_estimates+"
# a selection of the caller's own (an --exclude, e.g. of the unit tests, combines with the steps')
_SELECTING = {"--select", "-s", "--selector", "-m", "--models"}


def run_models(
    args: list[str],
    *,
    warehouse: str | Path | None = None,
    target_path: str | Path | None = None,
    log=print,
    in_process: bool = False,
    manifest=None,
) -> list:
    """`dbt run` / `dbt build` ARGS over the whole project with the Dunkelziffer estimation in
    its place, as the Dagster graph runs it: dbt on everything but what reads the estimates, the
    estimation on the engine of the switch, dbt on the rest. Returns both dbt results. ARGS with
    a selection of their own (--select, --selector) go to dbt as they are (`run_dbt`): the caller
    chose the models; an --exclude applies to both steps."""
    from estimation.in_engine import write_estimates

    def dbt(extra: list[str]):
        if in_process:
            return run_dbt_in_process(
                [*args, *extra], warehouse=warehouse, target_path=target_path, log=log, manifest=manifest
            )
        return run_dbt([*args, *extra], warehouse=warehouse, target_path=target_path, log=log)

    if _SELECTING & set(args):
        return [dbt([])]
    first = dbt(["--exclude", ESTIMATES_DOWNSTREAM])
    run = write_estimates(warehouse, estimates_code_version(), full_refresh="--full-refresh" in args)
    log(f"Dunkelziffer estimates on {engine.engine()}: {run.mode} ({run.reason}), {run.rows} rows")
    return [first, dbt(["--select", ESTIMATES_DOWNSTREAM])]


def parse_in_process(*, warehouse: str | Path | None = None, target_path: str | Path | None = None, log=print):
    """dbt's manifest of the project for `warehouse` (a `dbt parse` in this process, partial when
    `target_path` holds an earlier parse), for `run_dbt_in_process(manifest=...)`."""
    return run_dbt_in_process(["parse"], warehouse=warehouse, target_path=target_path, log=log).result


if __name__ == "__main__":
    try:
        if sys.argv[1:2] in (["run"], ["build"]):
            run_models(sys.argv[1:])
        else:
            run_dbt(sys.argv[1:])
    except DbtError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(1) from None
