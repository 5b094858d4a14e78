"""Render-time benchmark (prints figures; not a pass/fail test). Target: < 60 s for HTML + PDF
of the eight-city report."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from reports.data import alliance_cities
from warehouse.settings import published_path

TARGET_SECONDS = 60.0


def bench_render(
    warehouse: str | Path | None = None, alliance: str = "alle", quarter: str = "2026-Q3", lang: str = "de"
) -> float:
    """Render HTML + PDF into a temporary folder and return the wall time in seconds.

    Needs a published warehouse (`python -m orchestration.publish` after a demo build); the
    report reads only the published copy, so there is no stand-in.
    """
    from reports.render import render_report

    db = Path(warehouse) if warehouse else published_path()
    if not db.exists():
        raise FileNotFoundError(f"no published warehouse at {db}: build the demo and publish first")
    alliance_cities(alliance)  # unknown alliance: fail before the clock starts
    with tempfile.TemporaryDirectory(prefix="bench_render_") as tmp:
        started = time.perf_counter()
        result = render_report(alliance, quarter, lang, ("html", "pdf"), warehouse=db, output_dir=Path(tmp) / "out")
        seconds = time.perf_counter() - started
    print(
        f"bench_render: {alliance} {quarter} {lang} html+pdf in {seconds:.1f} s "
        f"(document {result.seconds:.1f} s, engine {result.engine}, warehouse {db}; target < {TARGET_SECONDS:.0f} s)"
    )
    return seconds
