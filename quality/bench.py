"""`bench_checks(warehouse)`: how much time the checks add to a load (figures, never pass/fail)."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

from quality.results import summarise
from warehouse.db import connect
from warehouse.settings import warehouse_path


def _last_load_seconds(warehouse: Path) -> float | None:
    con = connect(warehouse, read_only=True)
    try:
        row = con.execute(
            "SELECT sum(epoch(finished_at) - epoch(started_at)) FROM meta.load_runs WHERE finished_at IS NOT NULL"
        ).fetchone()
        return float(row[0]) if row and row[0] is not None else None
    except duckdb.Error:
        return None
    finally:
        con.close()


def bench_checks(warehouse: str | Path | None = None, load_seconds: float | None = None) -> dict:
    """Run all raw checks once (full, in one run as after a load) and print their time, also as
    a share of the load time (from meta.load_runs unless `load_seconds` is given; target: under
    25 %), the time of each step, then the time of an incremental run with nothing changed."""
    from quality import runner

    path = Path(warehouse or warehouse_path())
    load_s = load_seconds if load_seconds is not None else _last_load_seconds(path)
    t0 = time.perf_counter()
    from quality import gx_engine

    gx_engine._batch_definition()  # GX import + context: paid once per process
    t_gx = time.perf_counter() - t0
    steps: dict[str, float] = {}
    t = time.perf_counter()
    results = runner.run_raw_checks(path, full=True, timings=steps)
    checks_s = time.perf_counter() - t
    by_kind = {k: summarise([r for r in results if _kind_of(r) == k]) for k in runner.RAW_KINDS}
    t = time.perf_counter()
    runner.run_raw_checks(path)  # incremental: nothing changed since the run above
    unchanged_s = time.perf_counter() - t
    out = {
        "gx_import_s": round(t_gx, 2),
        "checks_s": round(checks_s, 2),
        "load_s": round(load_s, 2) if load_s else None,
        "share_of_load": round(checks_s / load_s, 3) if load_s else None,
        "share_incl_gx_import": round((checks_s + t_gx) / load_s, 3) if load_s else None,
        "by_kind_s": {k: round(steps.get(k, 0.0), 2) for k in runner.RAW_KINDS},
        "plan_s": round(steps.get("plan", 0.0), 2),
        "record_s": round(steps.get("record", 0.0), 2),
        "unchanged_recheck_s": round(unchanged_s, 2),
        "results": by_kind,
    }
    print(f"quality checks: {checks_s:.1f} s (+ {t_gx:.1f} s GX import once per process)")
    print(f"  {'plan':<15} {steps.get('plan', 0):6.2f} s  fingerprints of every (city, table), what to check")
    for k in runner.RAW_KINDS:
        s = by_kind[k]
        print(
            f"  {k:<15} {steps.get(k, 0):6.2f} s  {s['checks']} results, {s['failed_error']} error, "
            f"{s['failed_warning']} warning, {s['could_not_run']} could not run"
        )
    print(f"  {'record':<15} {steps.get('record', 0):6.2f} s  meta.quality_results, meta.quality_gate, fingerprints")
    print(f"  re-check with nothing changed (incremental): {unchanged_s:.2f} s")
    if load_s:
        print(
            f"load time {load_s:.1f} s -> checks add {100 * out['share_of_load']:.1f} % "
            f"({100 * out['share_incl_gx_import']:.1f} % incl. GX import); target < 25 %"
        )
    else:
        print("no load time known (meta.load_runs empty and none given): share not computed")
    return out


def _kind_of(result) -> str:
    scope = result.check_name.split(".")[0]
    return "suites" if scope == "raw" else scope
