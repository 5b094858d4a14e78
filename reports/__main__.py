"""Command line: `python -m reports render --alliance alle --quarter 2026-Q3 --lang de [--formats html,pdf]`."""

from __future__ import annotations

import argparse
import logging
import sys

from reports import i18n
from reports.render import DOCUMENTS, render_report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports")
    sub = parser.add_subparsers(dest="command", required=True)
    r = sub.add_parser("render", help="render a report to HTML and/or PDF")
    r.add_argument("--alliance", default="alle")
    r.add_argument("--quarter", required=True, help="YYYY-Qn")
    r.add_argument("--lang", default=i18n.DEFAULT_LANGUAGE, choices=i18n.LANGUAGES)
    r.add_argument("--formats", default="html,pdf", help="comma-separated: html,pdf")
    r.add_argument("--document", default="quarterly", choices=sorted(DOCUMENTS))
    r.add_argument("--city", default="", help="city slug (city_profile only)")
    r.add_argument("--warehouse", default=None, help="DuckDB file (default: the published warehouse)")
    r.add_argument("--output-dir", default=None, help="default: REPORTS_OUTPUT_DIR")
    b = sub.add_parser("bench", help="time the render of the eight-city report (HTML + PDF)")
    b.add_argument("--warehouse", default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "bench":
        from reports.bench import bench_render

        bench_render(args.warehouse)
        return 0
    result = render_report(
        args.alliance,
        args.quarter,
        args.lang,
        args.formats.split(","),
        document=args.document,
        city=args.city,
        warehouse=args.warehouse,
        output_dir=args.output_dir,
    )
    print(f"engine: {result.engine}; {result.seconds:.1f} s")
    for fmt, path in result.outputs.items():
        print(f"{fmt}: {path}")
    print(f"manifest: {result.manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
