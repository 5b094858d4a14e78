"""Root of the Dagster code location: the per-domain definitions merged into one.

Open it with `make dev` (dagster dev on 127.0.0.1). The same definitions are what `make demo`,
`make bench`, the validation and the test worlds run (orchestration/pipeline.py).
"""

import dagster as dg

from orchestration.defs import automation as automation_defs
from orchestration.defs import dashboard as dashboard_defs
from orchestration.defs import dbt as dbt_defs
from orchestration.defs import disclosure as disclosure_defs
from orchestration.defs import estimates as estimates_defs
from orchestration.defs import exchange as exchange_defs
from orchestration.defs import ingest as ingest_defs
from orchestration.defs import nightly as nightly_defs
from orchestration.defs import official as official_defs
from orchestration.defs import publish as publish_defs
from orchestration.defs import quality as quality_defs
from orchestration.defs import reports as reports_defs
from orchestration.resources import WarehouseResource

defs = dg.Definitions.merge(
    ingest_defs.defs,
    official_defs.defs,
    dbt_defs.defs,
    estimates_defs.defs,
    disclosure_defs.defs,
    quality_defs.defs,
    publish_defs.defs,
    exchange_defs.defs,
    nightly_defs.defs,
    reports_defs.defs,
    dashboard_defs.defs,
    automation_defs.defs,
    dg.Definitions(resources={"warehouse": WarehouseResource()}),
)
