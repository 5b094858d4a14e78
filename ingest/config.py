"""Settings (paths from the environment) and the per-city configuration files.

A city is one YAML file in `ingest/cities/` (or in CITY_CONFIG_DIR). A city that speaks an
existing dialect is added by a new file and nothing else.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
CITY_DIR_DEFAULT = Path(__file__).resolve().parent / "cities"
NATIONALITIES_CSV = REPO_ROOT / "dbt_project" / "seeds" / "nationalities.csv"

DIALECTS = {"standard", "ewo-legacy", "xlsx-report", "brp-export"}


def _path_from_env(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


def warehouse_path() -> Path:
    """The writable warehouse (WAREHOUSE_DUCKDB_PATH, default data/warehouse.duckdb)."""
    return _path_from_env("WAREHOUSE_DUCKDB_PATH", REPO_ROOT / "data" / "warehouse.duckdb")


def landing_dir() -> Path:
    """Where deliveries arrive (LANDING_DIR, default data/landing)."""
    return _path_from_env("LANDING_DIR", REPO_ROOT / "data" / "landing")


def published_path() -> Path:
    """The planners' read-only copy (PUBLISHED_DUCKDB_PATH, default data/published/warehouse.duckdb)."""
    return _path_from_env("PUBLISHED_DUCKDB_PATH", REPO_ROOT / "data" / "published" / "warehouse.duckdb")


def reports_output_dir() -> Path:
    return _path_from_env("REPORTS_OUTPUT_DIR", REPO_ROOT / "reports" / "output")


def exchange_outbox_dir() -> Path:
    """Where exchange packages for the alliance hub are written (EXCHANGE_OUTBOX_DIR, default data/exchange/outbox)."""
    return _path_from_env("EXCHANGE_OUTBOX_DIR", REPO_ROOT / "data" / "exchange" / "outbox")


def duckdb_memory_limit() -> str:
    """DuckDB's memory limit for the load, the quality checks and dbt (env `DUCKDB_MEMORY_LIMIT`,
    default 2GB). DuckDB's own default is 80 % of the machine; a nightly job beside planners and
    other jobs should not hold its buffer pool that large (pages are evicted or spilled to disk)."""
    return os.environ.get("DUCKDB_MEMORY_LIMIT", "2GB")


def city_config_dirs() -> list[Path]:
    """Built-in city files plus CITY_CONFIG_DIR (os.pathsep-separated) if set."""
    dirs = [CITY_DIR_DEFAULT]
    extra = os.environ.get("CITY_CONFIG_DIR")
    if extra:
        dirs += [Path(p).expanduser().resolve() for p in extra.split(os.pathsep) if p]
    return dirs


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
