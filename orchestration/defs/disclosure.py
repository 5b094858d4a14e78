"""The disclosure audit and repair after the dbt build, before the exchange export and the publish step.

Thin: the work is `disclosure.warehouse.repair_warehouse` (audit every cell table against all
published relations, hide the further cells the audit needs in every table that carries them,
re-audit; in the nightly run only the city-periods whose cells changed since the last repair). A pattern the repair cannot make safe fails the step, and nothing downstream runs.
"""

import dagster as dg

from orchestration.defs.dbt import AFTER_UPSTREAM_UPDATE, DBT_MODEL_ASSETS
from orchestration.defs.partitions import WRITER_POOL
from orchestration.resources import WarehouseResource


@dg.asset(
    deps=list(DBT_MODEL_ASSETS),
    group_name="exchange",
    pool=WRITER_POOL,
    kinds={"python", "duckdb"},
    automation_condition=AFTER_UPSTREAM_UPDATE,
    description="Final suppression flags of the exchange and alliance cell tables: the attacker's LP bounds "
    "of every primary cell over all published tables (python -m disclosure audit) and the secondary "
    "suppression that leaves no cell breakable. Records in meta.disclosure_audit_summary / meta.disclosure_repair.",
)
def disclosure_repair(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from disclosure.audit import BreakablePattern
    from disclosure.lp import AuditError
    from disclosure.warehouse import repair_warehouse
    from orchestration.defs.dbt import NIGHTLY_JOB

    # a night audits the city-periods whose cells changed since the last repair (same result)
    incremental = context.job_name == NIGHTLY_JOB
    try:
        summary = repair_warehouse(warehouse.warehouse_path(), incremental=incremental)
    except BreakablePattern as exc:
        raise dg.Failure(description=f"disclosure audit: {exc}") from exc
    except AuditError as exc:  # the audit cannot judge (e.g. a relation that does not hold on the truth)
        raise dg.Failure(description=f"disclosure audit cannot judge the pattern: {exc}") from exc
    from disclosure.price import price_of_safety
    from warehouse.db import connect

    with connect(warehouse.warehouse_path()) as con:  # as recorded in meta (the writer pool holds the file)
        price = price_of_safety(con)
    for line in [*summary.lines(), *price]:
        context.log.info(line)
    return dg.MaterializeResult(
        metadata={
            "audit": summary.after.headline(),
            "breakable_before": summary.before.total.breakable,
            "cells_hidden_by_repair": summary.added_cells,
            "audited_scopes": f"{summary.audited_scopes} of {summary.scopes}",  # scopes: linked city-periods
            "suppressed_after": summary.after.total.suppressed,
            "share_suppressed": dg.MetadataValue.json(
                {t: {"before": b / n, "after": a / n} for t, (b, a, n) in summary.shares.items() if n}
            ),
        }
    )


defs = dg.Definitions(assets=[disclosure_repair])
