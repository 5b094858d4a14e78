"""What the per-domain definitions share: the partitions (cities, quarters, alliances) and the
writer pool.

DuckDB admits one writer process: every asset or check that writes the warehouse runs in the
`duckdb_writer` pool (limit 1 in dagster.yaml). The quarters run from the first delivered
quarter to one year ahead of today (a demo world or a provisional quarter may lie ahead).
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from ingest.config import load_cities
from reports.schedule import quarter_of, quarters_between

WRITER_POOL = "duckdb_writer"
FIRST_QUARTER = "2019-Q1"
QUARTERS_AHEAD_YEARS = 1


def last_quarter(today: dt.date | None = None) -> str:
    """The last partition quarter: today's quarter one year on. Computed on the quarter, not with
    `today.replace(year=...)`, which raises on 29 February."""
    year, q = quarter_of(today or dt.date.today()).split("-Q")
    return f"{int(year) + QUARTERS_AHEAD_YEARS}-Q{q}"


def partition_quarters(today: dt.date | None = None) -> list[str]:
    return quarters_between(FIRST_QUARTER, last_quarter(today))


_CITIES = load_cities()
CITY_PARTITIONS = dg.StaticPartitionsDefinition(sorted(_CITIES))
ALLIANCES = sorted({a for c in _CITIES.values() for a in c.alliances})
ALLIANCE_PARTITIONS = dg.StaticPartitionsDefinition(ALLIANCES)
QUARTER_PARTITIONS = dg.StaticPartitionsDefinition(partition_quarters())

EXCHANGE_PARTITIONS = dg.MultiPartitionsDefinition({"city": CITY_PARTITIONS, "quarter": QUARTER_PARTITIONS})
REPORT_PARTITIONS = dg.MultiPartitionsDefinition({"alliance": ALLIANCE_PARTITIONS, "quarter": QUARTER_PARTITIONS})


def dimensions(partitions_def: dg.PartitionsDefinition | None) -> dict[str, dg.PartitionsDefinition]:
    """The named dimensions of one of the project's partitions definitions ({} unpartitioned):
    the pipeline runner picks partition keys by dimension name (city, quarter, alliance)."""
    if partitions_def is None:
        return {}
    if isinstance(partitions_def, dg.MultiPartitionsDefinition):
        return {d.name: d.partitions_def for d in partitions_def.partitions_defs}
    for name, single in (("city", CITY_PARTITIONS), ("alliance", ALLIANCE_PARTITIONS), ("quarter", QUARTER_PARTITIONS)):
        if partitions_def == single:
            return {name: single}
    raise ValueError(f"partitions of unknown dimension: {partitions_def}")
