"""Official statistics as Dagster assets: one multi-asset writing the `raw_official` tables.

A thin wrapper around `ingest.official.load_official`; the dbt models over `raw_official.*` are
picked up by orchestration/defs/dbt.py (source raw_official.X -> asset key ["raw_official", X]).
"""

import dagster as dg

from orchestration.defs.partitions import WRITER_POOL
from orchestration.resources import WarehouseResource

OFFICIAL_KEYS = {
    "values": "Every published cell of the loaded official tables (GENESIS, CBS, city open data).",
    "notes": "Footnotes, titles and metadata of the official files (breaks, known errors).",
    "files": "Registry of the official files: sha256, detected encoding, status and reason.",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(["raw_official", name], group_name="raw_official", kinds={"duckdb"}, description=desc)
        for name, desc in OFFICIAL_KEYS.items()
    ],
    pool=WRITER_POOL,
    can_subset=False,
    name="raw_official_tables",
)
def raw_official_tables(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Load new or changed files from LANDING_DIR/official/<provider>/ (unchanged files are skipped)."""
    from ingest.official import load_official  # keeps definition loading light

    results = load_official(warehouse.landing_path(), warehouse.warehouse_path())
    failed = [r for r in results if r.status == "failed"]
    for r in failed:
        context.log.error(f"official file {r.file} not loaded: {r.reason}")
    counts = {s: sum(r.status == s for r in results) for s in ("loaded", "replaced", "unchanged", "failed")}
    for name in OFFICIAL_KEYS:
        yield dg.MaterializeResult(
            asset_key=["raw_official", name],
            metadata={
                **{f"files_{k}": v for k, v in counts.items()},
                "value_rows_loaded": sum(r.value_rows for r in results if r.status in ("loaded", "replaced")),
            },
        )
    if failed:
        # the good files are loaded; the run still fails so nobody mistakes a partial load for a full one
        raise dg.Failure(
            f"{len(failed)} official file(s) failed to parse: " + "; ".join(f"{r.file}: {r.reason}" for r in failed[:5])
        )


official_load_job = dg.define_asset_job(
    "load_official_tables",
    selection=dg.AssetSelection.assets(raw_official_tables),
    description="Load the official published tables from the landing folder into raw_official.",
)

defs = dg.Definitions(assets=[raw_official_tables], jobs=[official_load_job])
