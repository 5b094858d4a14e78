"""The per-city configuration files and the nationality code lists they are read with.

A city is one YAML file in `ingest/cities/` (or in CITY_CONFIG_DIR). A city that speaks an
existing dialect is added by a new file and nothing else. Paths and other settings are in
`warehouse.settings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from warehouse.settings import DBT_PROJECT_DIR, city_config_dirs

NATIONALITIES_CSV = DBT_PROJECT_DIR / "seeds" / "nationalities.csv"

DIALECTS = {"standard", "ewo-legacy", "xlsx-report", "brp-export"}


@dataclass(frozen=True)
class CityConfig:
    slug: str
    name: str
    country: str  # DE or NL
    official_key: str  # AGS (8 digits) or CBS gemeente code (GMxxxx)
    key_type: str  # AGS or CBS
    dialect: str  # standard | ewo-legacy | xlsx-report | brp-export
    file_format: str  # csv | parquet | xlsx
    sources: tuple[str, ...]  # sources the city delivers
    optionskommune: bool = False  # delivers person-level SGB II
    alliances: tuple[str, ...] = ()
    nationality_codes: str = "destatis"  # destatis | iso3 (code system of the deliveries)
    # Days a snapshot's reference date may lie before the period in the file name
    # (Dutch school census day is 1 October, the file is named after 15 October).
    snapshot_tolerance_days: dict[str, int] = field(default_factory=dict)
    notes: str = ""

    @property
    def extension(self) -> str:
        return {"csv": "csv", "parquet": "parquet", "xlsx": "xlsx"}[self.file_format]


def _load_city(path: Path) -> CityConfig:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: city configuration must be a mapping")
    data["sources"] = tuple(data.get("sources", ()))
    data["alliances"] = tuple(data.get("alliances", ()))
    data["official_key"] = str(data["official_key"])
    cfg = CityConfig(**data)
    if cfg.dialect not in DIALECTS:
        raise ValueError(f"{path}: unknown dialect {cfg.dialect!r}; known: {sorted(DIALECTS)}")
    if cfg.slug != path.stem:
        raise ValueError(f"{path}: slug {cfg.slug!r} must equal the file name")
    return cfg


def load_cities() -> dict[str, CityConfig]:
    """All configured cities by slug (later directories override earlier ones)."""
    cities: dict[str, CityConfig] = {}
    for d in city_config_dirs():
        if d.is_dir():
            for path in sorted(d.glob("*.yaml")):
                cfg = _load_city(path)
                cities[cfg.slug] = cfg
    return cities


@lru_cache(maxsize=1)
def _nationality_rows() -> tuple[dict, ...]:
    import csv

    with NATIONALITIES_CSV.open(encoding="utf-8") as fh:
        return tuple(csv.DictReader(fh))


def nationality_keys() -> set[str]:
    """Every Destatis nationality key, current and historical."""
    return {r["destatis_key"] for r in _nationality_rows()}


def iso3_to_destatis() -> dict[str, str]:
    """ISO alpha-3 -> currently valid Destatis key (historical keys lose to current ones)."""
    out: dict[str, str] = {}
    for r in _nationality_rows():
        if not r["valid_to"] or r["iso3"] not in out:
            out[r["iso3"]] = r["destatis_key"]
    return out


def iso3_codes() -> set[str]:
    return {r["iso3"] for r in _nationality_rows()}
