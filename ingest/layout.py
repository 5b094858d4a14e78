"""File-name layout of city deliveries: `<city>/<source>/<period>[_<form>][_v<N>].<ext>`.

Parsing a path gives the identity of a delivery (city, source, form, period, version). A path
that does not fit is a `LayoutError`; the loader quarantines such files with that message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath

from ingest.config import CityConfig
from ingest.schemas import (
    GEOMETRY_EXTENSION,
    GEOMETRY_FORM,
    GEOMETRY_TABLE,
    MONTHLY_SOURCES,
    REFERENCE_SOURCES,
    SNAPSHOT_SOURCES,
    SOURCES,
    TABLES,
)

# Top-level entries of the landing directory that are not city deliveries.
NON_CITY_ENTRIES = {"official"}
MARKER_FILES = {"DEMO_SYNTHETIC_DATA.txt"}

_STEM = re.compile(
    r"^(?P<period>\d{4}-\d{2}(?:-\d{2})?|current)"
    r"(?:_(?P<form>[a-z]+))?"
    r"(?:_v(?P<version>[1-9]\d*))?$"
)


class LayoutError(ValueError):
    """The path of a file does not fit the delivery layout."""


@dataclass(frozen=True)
class DeliveryName:
    rel_path: str  # path relative to the landing directory, with '/'
    city: str
    source: str
    form: str  # '' unless the source has two forms (sgb2, wohnen)
    period: str  # YYYY-MM, YYYY-MM-DD or 'current'
    version: int
    ext: str

    @property
    def table(self) -> str:
        if self.form == GEOMETRY_FORM:
            return GEOMETRY_TABLE
        return TABLES[(self.source, self.form)]

    @property
    def period_key(self) -> tuple[str, str, str, str]:
        """What a later version replaces: (city, source, form, period)."""
        return (self.city, self.source, self.form, self.period)


def _form_for(source: str, form: str | None, city: CityConfig) -> str:
    if source == "sgb2":
        if form is None:
            return "aggregat"
        if form == "personen":
            if not city.optionskommune:
                raise LayoutError(f"{city.slug} is no Optionskommune and delivers no sgb2 personen files")
            return "personen"
    elif source == "wohnen":
        if form in ("problemimmobilien", "wohnungsbestand"):
            return form
        raise LayoutError("wohnen files must be named <date>_problemimmobilien or <date>_wohnungsbestand")
    elif form is None:
        return ""
    raise LayoutError(f"unknown file form {form!r} for source {source}")


def _check_period(source: str, period: str) -> None:
    if source in MONTHLY_SOURCES:
        m = re.fullmatch(r"(\d{4})-(\d{2})", period)
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise LayoutError(f"period {period!r} is no month YYYY-MM (source {source})")
    elif source in SNAPSHOT_SOURCES:
        try:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", period):
                raise ValueError
            date.fromisoformat(period)
        except ValueError:
            raise LayoutError(f"period {period!r} is no date YYYY-MM-DD (source {source})") from None
    elif source in REFERENCE_SOURCES and period != "current":
        raise LayoutError(f"period of {source} must be 'current', not {period!r}")


def parse_delivery_path(rel_path: str, cities: dict[str, CityConfig]) -> DeliveryName:
    """Identity of a delivery from its path relative to the landing directory."""
    parts = PurePosixPath(rel_path).parts
    if len(parts) != 3:
        raise LayoutError("path must be <city>/<source>/<period>[_vN].<ext>")
    city_slug, source, name = parts
    city = cities.get(city_slug)
    if city is None:
        raise LayoutError(f"unknown city {city_slug!r} (no configuration file)")
    if source not in SOURCES:
        raise LayoutError(f"unknown source {source!r}")
    if source not in city.sources:
        raise LayoutError(f"{city_slug} does not deliver source {source!r}")
    stem, dot, ext = name.rpartition(".")
    if not dot:
        raise LayoutError("file name has no extension")
    geometry = source == "gebiete" and ext == GEOMETRY_EXTENSION  # boundaries: GeoJSON in every dialect
    if ext != city.extension and not geometry:
        raise LayoutError(f"bad extension .{ext}: {city_slug} delivers .{city.extension}")
    m = _STEM.fullmatch(stem)
    if not m:
        raise LayoutError(f"file name {name!r} does not fit <period>[_form][_vN].{ext}")
    period = m.group("period")
    _check_period(source, period)
    if geometry and m.group("form") is not None:
        raise LayoutError(f"file name {name!r} does not fit current[_vN].{GEOMETRY_EXTENSION}")
    form = GEOMETRY_FORM if geometry else _form_for(source, m.group("form"), city)
    version = int(m.group("version") or 1)
    return DeliveryName(rel_path, city_slug, source, form, period, version, ext)
