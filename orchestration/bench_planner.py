"""Planner queries on a published copy (figure 5 of issue 13): p50 and p95 over N runs each.

The queries are docs/planner_queries.md's (the README's five and the district query, via
orchestration.planner_queries), run as a planner runs them: a read-only connection to the
published file, the whole result fetched. One connection for all runs (a planner's session);
its opening is timed apart. Every query runs once unmeasured first (DuckDB's first touch of a
table reads its blocks from disk; that figure is `first_ms`).

    python -m orchestration.bench_planner PUBLISHED.duckdb [--runs 50]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from pathlib import Path

import duckdb

from orchestration.planner_queries import queries


def _label(sql: str) -> str:
    """A short name of a query: its first table."""
    found = re.search(r"\bfrom\s+([\w.]+)", sql, re.I)
    return found.group(1) if found else sql.split()[1]


def _percentile(sorted_values: list[float], share: float) -> float:
    """Nearest-rank percentile (p95 of 50 runs is the 48th value)."""
    rank = max(1, -(-len(sorted_values) * share // 1))
    return sorted_values[int(rank) - 1]


def time_planner_queries(published: Path, runs: int = 50) -> list[dict]:
    t0 = time.perf_counter()
    con = duckdb.connect(str(published), read_only=True)
    open_ms = (time.perf_counter() - t0) * 1000
    out = []
    try:
        for i, sql in enumerate(queries(), start=1):
            t1 = time.perf_counter()
            n_rows = len(con.execute(sql).fetchall())
            first_ms = (time.perf_counter() - t1) * 1000
            times = []
            for _ in range(runs):
                t1 = time.perf_counter()
                con.execute(sql).fetchall()
                times.append((time.perf_counter() - t1) * 1000)
            times.sort()
            out.append(
                {
                    "query": f"{i}:{_label(sql)}",
                    "rows": n_rows,
                    "first_ms": round(first_ms, 2),
                    "p50_ms": round(statistics.median(times), 2),
                    "p95_ms": round(_percentile(times, 0.95), 2),
                    "max_ms": round(times[-1], 2),
                }
            )
    finally:
        con.close()
    out.append({"query": "open (read-only connect)", "rows": 0, "first_ms": round(open_ms, 2)})
    return out


def print_planner(rows: list[dict], runs: int, log=print) -> None:
    log(f"   planner queries on the published copy, {runs} runs each (ms):")
    log(f"     {'query':<40} {'rows':>6} {'first':>7} {'p50':>7} {'p95':>7}")
    for r in rows:
        if "p50_ms" in r:
            log(f"     {r['query']:<40} {r['rows']:>6} {r['first_ms']:>7.1f} {r['p50_ms']:>7.2f} {r['p95_ms']:>7.2f}")
        else:
            log(f"     {r['query']:<40} {'':>6} {r['first_ms']:>7.1f}")
    worst = max((r["p95_ms"] for r in rows if "p95_ms" in r), default=None)
    if worst is not None:
        log(f"   slowest p95 {worst:.2f} ms (target p95 <= 50 ms)")


def planner_figures(rows: list[dict]) -> dict:
    flat = {}
    for r in rows:
        if "p50_ms" in r:
            key = r["query"].split(":")[0]
            flat[f"planner_q{key}_p50_ms"], flat[f"planner_q{key}_p95_ms"] = r["p50_ms"], r["p95_ms"]
    flat["planner_worst_p95_ms"] = max((r["p95_ms"] for r in rows if "p95_ms" in r), default=None)
    return flat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("published", type=Path)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)
    print_planner(time_planner_queries(args.published, args.runs), args.runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
