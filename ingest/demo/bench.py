"""Timings and peak memory of the demo generator (prints figures; never a pass/fail test).

python -m ingest.demo.bench [--scale 0.02] [--cities dortmund] [--sources meldewesen]
"""

from __future__ import annotations

import argparse
import tempfile
import time

from ingest.demo.generate import DEFAULT_SCALE, generate, peak_rss_mb


def bench(scale: float = DEFAULT_SCALE, cities=None, sources=None, start="2019-01", end="2026-09") -> dict:
    with tempfile.TemporaryDirectory(prefix="demo-bench-") as tmp:
        t = time.perf_counter()
        s = generate(
            scale=scale,
            landing=f"{tmp}/landing",
            truth=f"{tmp}/truth",
            cities=cities,
            sources=sources,
            start=start,
            end=end,
            progress=lambda m: None,
        )
        dt = time.perf_counter() - t
    figures = {
        "scale": scale,
        "files": s.files,
        "rows": s.rows,
        "events": s.events,
        "mb": round(s.bytes / 1e6, 1),
        "seconds": round(dt, 1),
        "events_per_second": round(s.events / dt),
        "per_city_seconds": {c: v["seconds"] for c, v in s.per_city.items()},
        "persons_held_of_ever": {c: (v["persons_held"], v["persons_ever"]) for c, v in s.per_city.items()},
        "peak_rss_mb": peak_rss_mb(),
    }
    print(figures)
    return figures


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=float, default=DEFAULT_SCALE)
    ap.add_argument("--cities")
    ap.add_argument("--sources")
    a = ap.parse_args()
    split = lambda v: v.split(",") if v else None
    bench(a.scale, split(a.cities), split(a.sources))
