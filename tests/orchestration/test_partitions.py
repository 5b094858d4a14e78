"""The shared partitions: the quarter range is computed on quarters, so the definitions load on
every day of the year, 29 February included (`date.replace(year=+1)` raised there)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

from orchestration.defs.partitions import last_quarter, partition_quarters

# Runs in a fresh interpreter with the clock at 29 February 2028: the definitions are imported
# (and their partitions computed) at that date.
LEAP_DAY_IMPORT = """
import datetime, json, time_machine
with time_machine.travel(datetime.datetime(2028, 2, 29, 12, 0), tick=False):
    assert datetime.date.today() == datetime.date(2028, 2, 29)
    from orchestration.definitions import defs
    from orchestration.defs.partitions import EXCHANGE_PARTITIONS, REPORT_PARTITIONS
    defs.resolve_asset_graph()
    quarters = EXCHANGE_PARTITIONS.get_partitions_def_for_dimension("quarter").get_partition_keys()
    print(json.dumps({"first": quarters[0], "last": quarters[-1],
                      "report_last": REPORT_PARTITIONS.get_partitions_def_for_dimension("quarter").get_partition_keys()[-1]}))
"""


def test_definitions_load_on_29_february(dagster_home, dbt_manifest):
    proc = subprocess.run([sys.executable, "-c", LEAP_DAY_IMPORT], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    quarters = json.loads(proc.stdout.strip().splitlines()[-1])
    assert quarters == {"first": "2019-Q1", "last": "2029-Q1", "report_last": "2029-Q1"}


def test_quarter_range_runs_one_year_ahead():
    assert last_quarter(dt.date(2026, 12, 2)) == "2027-Q4"
    assert last_quarter(dt.date(2026, 1, 1)) == "2027-Q1"
    assert last_quarter(dt.date(2028, 2, 29)) == "2029-Q1"  # where date.replace(year=2029) raises
    quarters = partition_quarters(dt.date(2026, 7, 15))
    assert quarters[0] == "2019-Q1" and quarters[-1] == "2027-Q3"
    assert len(quarters) == len(set(quarters)) == 35
