"""`warehouse`: one command for the night, installed by the project (`.venv/bin/warehouse`).

Each subcommand hands its arguments to the module that does the work; nothing is done here:

| subcommand | runs | what |
|---|---|---|
| load | `python -m ingest load` | register and load every new delivery (exit 3: some quarantined) |
| load-official | `python -m ingest.official load` | official tables under LANDING_DIR/official |
| check | `python -m quality raw` (`--marts`: `marts`) | quality checks; writes the gate (exit 1: something blocked) |
| build | `python -m orchestration.dbt_project build` | dbt: staging, marts, estimates, exchange and alliance layers |
| publish | `python -m orchestration.publish` | the planners' read-only copy |
| excel | `python -m orchestration.publish excel` | Excel workbook of indicators for a city |
| report | `python -m reports render` | quarterly report (HTML, PDF) from the published copy |
| release | `python -m quality release` | release a blocked city-period (recorded, shown in the report) |
| reject | `python -m quality reject` | reject a blocked city-period for good |
| status | `python -m quality status` | last checks per city and source, and what is blocked |
| night | the Dagster definitions in process | load, checks, dbt, publish and dashboards of every city, as Dagster runs them |

`warehouse SUBCOMMAND --help` shows the options of each.
"""

from __future__ import annotations

import sys
from collections.abc import Callable


def _ingest(args: list[str]) -> int:
    from ingest.__main__ import main

    return main(["load", *args])


def _official(args: list[str]) -> int:
    from ingest.official.__main__ import main

    return main(["load", *args])


def _quality(command: str) -> Callable[[list[str]], int]:
    def run(args: list[str]) -> int:
        from quality.__main__ import main

        return main([command, *args])

    return run


def _check(args: list[str]) -> int:
    """Raw checks (`python -m quality raw`), or with --marts the mart suites (`python -m quality marts`)."""
    from quality.__main__ import main

    if "--marts" in args:
        return main(["marts", *[a for a in args if a != "--marts"]])
    if args in (["-h"], ["--help"]):
        print("warehouse check [--marts]: --marts runs the mart suites (python -m quality marts) instead.\n")
    return main(["raw", *args])


def _build(args: list[str]) -> int:
    from orchestration.dbt_project import DbtError, run_models

    try:
        run_models(["build", *args])
    except DbtError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def _publish(args: list[str]) -> int:
    from orchestration.publish import main

    return main(args)


def _excel(args: list[str]) -> int:
    from orchestration.publish import main

    return main(["excel", *args])


def _report(args: list[str]) -> int:
    from reports.__main__ import main

    return main(["render", *args])


def _night(args: list[str]) -> int:
    """Everything of a night that is not partitioned by quarter, through the Dagster definitions."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="warehouse night",
        description="Load, checks, dbt (with its tests and the mart checks), published copy and dashboards of "
        "the given cities (default: all), run in process as the Dagster definitions (orchestration.pipeline); "
        "exchange packages and reports have their own schedules and subcommands.",
    )
    parser.add_argument("--city", action="append", help="only this city (repeatable)")
    opts = parser.parse_args(args)
    import dagster as dg

    from orchestration.defs.exchange import exchange_package
    from orchestration.defs.reports import quarterly_report
    from orchestration.pipeline import PipelineError, run_pipeline

    try:
        run_pipeline(
            dg.AssetSelection.all() - dg.AssetSelection.assets(exchange_package, quarterly_report), cities=opts.city
        )
    except PipelineError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


COMMANDS: dict[str, tuple[Callable[[list[str]], int], str]] = {
    "load": (_ingest, "load every new delivery of the landing folder (python -m ingest load)"),
    "load-official": (_official, "load the official tables of LANDING_DIR/official (python -m ingest.official load)"),
    "check": (_check, "quality checks of the raw layer, --marts: of the marts (python -m quality raw|marts)"),
    "build": (_build, "dbt build of every model and test (python -m orchestration.dbt_project build)"),
    "publish": (_publish, "the planners' read-only copy (python -m orchestration.publish)"),
    "excel": (_excel, "Excel workbook of indicators for a city (python -m orchestration.publish excel)"),
    "report": (_report, "quarterly report from the published copy (python -m reports render)"),
    "release": (_quality("release"), "release a blocked city-period (python -m quality release)"),
    "reject": (_quality("reject"), "reject a blocked city-period for good (python -m quality reject)"),
    "status": (_quality("status"), "quality status and blocked deliveries (python -m quality status)"),
    "night": (_night, "load, checks, dbt, publish and dashboards as Dagster runs them"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: warehouse SUBCOMMAND [options]   (warehouse SUBCOMMAND --help for its options)", ""]
    lines += [f"  {name:<{width}}  {text}" for name, (_run, text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"warehouse: unknown subcommand {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    if name == "build" and rest in (["-h"], ["--help"]):
        print(
            "usage: warehouse build [dbt build options, e.g. --select path:models/alliance]\n\n"
            "Runs `dbt build` on the warehouse of WAREHOUSE_DUCKDB_PATH with the Dunkelziffer estimation between its two parts (orchestration.dbt_project.run_models)."
        )
        return 0
    try:
        return COMMANDS[name][0](rest)
    except SystemExit as exc:  # argparse's --help and usage errors
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)


if __name__ == "__main__":
    raise SystemExit(main())
