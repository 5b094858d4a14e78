"""Quarterly intercity reports: one asset partitioned by alliance x quarter, and its schedule.

Thin: the work is `reports.render.render_report`. The schedule checks every weekday morning
whether today is the due date of the quarter just ended (`reports.schedule.report_due_date`:
first working day after the quarter plus REPORT_DELAY_WORKING_DAYS) and requests one run per
alliance. The report reads the published warehouse read-only, so it needs no writer slot.
"""

import dagster as dg

from orchestration.defs.partitions import ALLIANCES, REPORT_PARTITIONS
from orchestration.resources import WarehouseResource
from reports.schedule import quarter_due_on

# The report reads the published copy only.
UPSTREAM = [dg.AssetKey("published_warehouse")]
LANGUAGES = ["de", "nl", "en"]


class ReportConfig(dg.Config):
    languages: list[str] = LANGUAGES  # `make demo` renders German only


@dg.asset(
    partitions_def=REPORT_PARTITIONS,
    deps=UPSTREAM,
    group_name="reports",
    kinds={"python", "html", "pdf"},
    description="Quarterly intercity report (de/nl/en, HTML + PDF) with a JSON of what it was built from.",
)
def quarterly_report(
    context: dg.AssetExecutionContext, config: ReportConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    from reports.render import render_report

    keys = context.partition_key.keys_by_dimension
    alliance, quarter = keys["alliance"], keys["quarter"]
    meta: dict[str, dg.MetadataValue] = {}
    missing: list = []
    for lang in config.languages:
        result = render_report(
            alliance,
            quarter,
            lang,
            ("html", "pdf"),
            warehouse=warehouse.published_path(),
            output_dir=warehouse.reports_path(),
        )
        context.log.info(f"{lang}: {result.engine}, {result.seconds:.1f} s -> {result.manifest}")
        meta[f"manifest_{lang}"] = dg.MetadataValue.path(str(result.manifest))
        missing = result.build_info.get("missing_cities", [])
    for city, reason in missing:  # shown in the report too; repeated here so the run says it
        context.log.warning(f"{alliance} {quarter}: {city} missing from the report: {reason}")
    meta["missing_cities"] = dg.MetadataValue.json(missing)
    return dg.MaterializeResult(metadata=meta)


quarterly_report_job = dg.define_asset_job("quarterly_report_job", selection=[quarterly_report])


@dg.schedule(
    job=quarterly_report_job,
    cron_schedule="0 7 * * 1-5",
    execution_timezone="Europe/Berlin",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def quarterly_report_schedule(context: dg.ScheduleEvaluationContext):
    day = context.scheduled_execution_time.date()
    quarter = quarter_due_on(day)
    if quarter is None:
        return dg.SkipReason(f"{day}: no quarterly report due")
    return [
        dg.RunRequest(
            run_key=f"{alliance}|{quarter}",
            partition_key=dg.MultiPartitionKey({"alliance": alliance, "quarter": quarter}),
        )
        for alliance in ALLIANCES
    ]


defs = dg.Definitions(assets=[quarterly_report], jobs=[quarterly_report_job], schedules=[quarterly_report_schedule])
