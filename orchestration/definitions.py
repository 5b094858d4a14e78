"""Root of the Dagster code location: the per-domain definitions merged into one.

Open it with `make dev` (dagster dev on 127.0.0.1).
"""
from __future__ import annotations

import dagster as dg

from orchestration.defs import dbt as dbt_defs
from orchestration.defs import ingest as ingest_defs

defs = dg.Definitions.merge(
    ingest_defs.defs,
    dbt_defs.defs,
)
