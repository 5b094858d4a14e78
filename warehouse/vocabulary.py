"""Words and code lists shared by every layer, read from their one source (the dbt seeds).

The standard age bands live in `dbt_project/seeds/age_bands.csv` (band_set `standard`); dbt
builds its CASE expression from the seed, Python code (estimation, demo calibration) reads the
same file here, so a new band is one row in the seed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"
# The whole city (as a district) and everybody (as a group): one word in every table.
WHOLE = "INSGESAMT"
UNKNOWN_AGE_BAND = "unbekannt"


@dataclass(frozen=True)
class AgeBand:
    label: str
    age_from: int
    age_to: int  # inclusive


@lru_cache(maxsize=1)
def standard_age_bands() -> tuple[AgeBand, ...]:
    """The standard bands in their sort order (0-5, 6-14, ..., 65+)."""
    with (SEEDS_DIR / "age_bands.csv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["band_set"] == "standard"]
    rows.sort(key=lambda r: int(r["sort_order"]))
    return tuple(AgeBand(r["age_band"], int(r["age_from"]), int(r["age_to"])) for r in rows)


def age_band_labels() -> tuple[str, ...]:
    return tuple(b.label for b in standard_age_bands())


def age_band_sql(age_expr: str) -> str:
    """SQL CASE giving the standard band of `age_expr` (NULL age: 'unbekannt'); the same
    expression the dbt macro `standard_age_band` renders from the seed."""
    bands = standard_age_bands()
    whens = " ".join(f"when {age_expr} < {b.age_to + 1} then '{b.label}'" for b in bands[:-1])
    return f"(case when {age_expr} is null then '{UNKNOWN_AGE_BAND}' {whens} else '{bands[-1].label}' end)"


def age_band_of(age: int | None) -> str:
    if age is None:
        return UNKNOWN_AGE_BAND
    for band in standard_age_bands():
        if age <= band.age_to:
            return band.label
    return standard_age_bands()[-1].label
