"""python -m ingest.official load [--landing DIR] [--warehouse FILE]
python -m ingest.official seed-landing [--landing DIR]
python -m ingest.official download-genesis --table CODE [--token T] [--landing DIR]
python -m ingest.official download-cbs --table ID [--landing DIR]"""

from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path

from warehouse.settings import genesis_token, landing_dir, warehouse_path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ingest.official")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p_load = sub.add_parser("load", help="load LANDING/official/* into raw_official")
    p_seed = sub.add_parser("seed-landing", help="copy the real published files into the landing layout")
    p_gen = sub.add_parser("download-genesis", help="download a GENESIS table (flat ZIP) into landing")
    p_gen.add_argument("--table", required=True)
    p_gen.add_argument("--token", default=genesis_token())
    p_gen.add_argument("--base-url", default=None)
    p_cbs = sub.add_parser("download-cbs", help="download a CBS table (OData) as CSV into landing")
    p_cbs.add_argument("--table", required=True)
    p_cbs.add_argument("--filter", default=None, help="OData $filter, e.g. \"startswith(RegioS,'GM0153')\"")
    for p in (p_load, p_seed, p_gen, p_cbs):
        p.add_argument("--landing", type=Path, default=None)
    p_load.add_argument("--warehouse", type=Path, default=None)
    p_load.add_argument("--force", action="store_true", help="parse files again even if unchanged")
    args = ap.parse_args(argv)
    landing = (args.landing or landing_dir()).resolve()

    if args.cmd == "seed-landing":
        from ingest.official.seed import seed_landing

        written = seed_landing(landing)
        print(f"copied {len(written)} files into {landing / 'official'}")
        return 0
    if args.cmd == "load":
        from ingest.official.load import load_official

        results = load_official(landing, args.warehouse or warehouse_path(), force=args.force)
        for r in results:
            if r.status == "failed":
                print(f"FAILED {r.file}: {r.reason}", file=sys.stderr)
            else:
                print(f"{r.status:9} {r.value_rows:8} {r.file}")
        print(dict(collections.Counter(r.status for r in results)))
        return 1 if any(r.status == "failed" for r in results) else 0
    if args.cmd == "download-genesis":
        from ingest.official.download import GENESIS_URL, download_genesis_table

        if not args.token:
            print("a GENESIS token is needed (--token or GENESIS_TOKEN)", file=sys.stderr)
            return 2
        path = download_genesis_table(args.table, args.token, landing, base_url=args.base_url or GENESIS_URL)
        print(f"wrote {path}")
        return 0
    if args.cmd == "download-cbs":
        from ingest.official.download import download_cbs_table

        path = download_cbs_table(args.table, landing, odata_filter=args.filter)
        print(f"wrote {path}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
