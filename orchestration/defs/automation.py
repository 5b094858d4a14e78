"""Declarative automation, on by default: after a load, dbt, the published copy and the dashboard
follow by themselves.

Dagster creates `default_automation_condition_sensor` stopped; this one replaces it and runs from
the start (`make dev`, the daemon), so an office that starts Dagster and waits gets its marts,
published copy and dashboard refreshed after every load. The conditions are the assets' own
(orchestration/defs/dbt.py, publish.py, dashboard.py); the raw loads come from the delivery sensor
and the nightly schedule (ingest.py), the exchange packages and the reports from their schedules.
"""

import dagster as dg

automation_sensor = dg.AutomationConditionSensorDefinition(
    "default_automation_condition_sensor",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Evaluates the automation conditions of every asset and check (on by default).",
)

defs = dg.Definitions(sensors=[automation_sensor])
