"""Quality gates: Great Expectations suites, stock-flow reconciliation, plausibility, the record.

Plain functions (no Dagster). Great Expectations is imported only when a check runs.

    run_raw_checks(warehouse, cities=None) -> list[CheckResult]
    run_mart_checks(warehouse) -> list[CheckResult]
    bench_checks(warehouse) -> dict
    python -m quality status
"""

from __future__ import annotations


def run_raw_checks(warehouse=None, cities=None, **kwargs):
    from quality.runner import run_raw_checks as _run

    return _run(warehouse, cities, **kwargs)


def run_mart_checks(warehouse=None, marts=None, **kwargs):
    from quality.runner import run_mart_checks as _run

    return _run(warehouse, marts, **kwargs)


def bench_checks(warehouse=None, load_seconds=None):
    from quality.bench import bench_checks as _bench

    return _bench(warehouse, load_seconds)


__all__ = ["run_raw_checks", "run_mart_checks", "bench_checks"]
