"""Reads `quality/tolerances.yaml` with per-city overrides."""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path

import yaml

TOLERANCES_FILE = Path(__file__).resolve().parent / "tolerances.yaml"


@lru_cache(maxsize=4)
def _load(path: str) -> dict:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: tolerances must be a mapping")
    return data


def _merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in (extra or {}).items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def tolerances(city: str | None = None, path: Path | None = None) -> dict:
    """The settings for `city` (read-only: the dict is shared, profile asks once per row)."""
    return _merged(city, str(path or TOLERANCES_FILE))


@lru_cache(maxsize=64)
def _merged(city: str | None, path: str) -> dict:
    data = _load(path)
    base = {k: v for k, v in data.items() if k != "cities"}
    return _merge(base, (data.get("cities") or {}).get(city, {})) if city else base


def row_count_band(city: str, table: str, level: str) -> tuple[float, float]:
    bands = tolerances(city)["row_count_change"]
    lo, hi = (bands.get(table) or bands["default"])[level]
    return float(lo), float(hi)
