"""python -m reports.dashboard [--alliance A] [--city C] [--published FILE] [--out DIR]"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from reports.dashboard import build_all, build_dashboard


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m reports.dashboard", description="Build the planners' dashboards.")
    ap.add_argument("--alliance", help="one alliance (default: every alliance and its cities)")
    ap.add_argument("--city", help="the dashboard of one city of --alliance")
    ap.add_argument("--published", type=Path, help="published copy (default: PUBLISHED_DUCKDB_PATH)")
    ap.add_argument("--out", type=Path, help="output folder (default: REPORTS_OUTPUT_DIR)")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    try:
        if a.city and not a.alliance:
            ap.error("--city needs --alliance")
        paths = (
            [build_dashboard(a.alliance, a.city, a.published, a.out)] if a.alliance else build_all(a.published, a.out)
        )
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for p in paths:
        print(f"{p}  ({p.stat().st_size / 1e6:.1f} MB)")
    print(f"{len(paths)} dashboard(s) in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
