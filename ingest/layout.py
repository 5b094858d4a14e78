"""File-name layout of city deliveries: `<city>/<source>/<period>[_<form>][_v<N>].<ext>`.

Parsing a path gives the identity of a delivery (city, source, form, period, version). A path
that does not fit is a `LayoutError`; the loader quarantines such files with that message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import PurePosixPath

from ingest import sources
from ingest.config import CityConfig
from ingest.schemas import GEOMETRY_EXTENSION, GEOMETRY_FORM, GEOMETRY_TABLE

# Top-level entries of the landing directory that are not city deliveries.
NON_CITY_ENTRIES = {"official"}
MARKER_FILES = {"DEMO_SYNTHETIC_DATA.txt"}

# ASCII digits only: `\d` alone would also take Arabic-Indic or fullwidth digits, which int()
# reads as numbers, so `٢٠٢٦-٠٩.csv` would load as a second September.
_STEM = re.compile(
    r"^(?P<period>[0-9]{4}-[0-9]{2}(?:-[0-9]{2})?|current)"
    r"(?:_(?P<form>[a-z]+))?"
    r"(?:_v(?P<version>[1-9][0-9]*))?$",
    re.ASCII,
)
# The version is stored as INTEGER (registry, raw provenance): a larger one is a naming error.
MAX_VERSION = 2**31 - 1
FIRST_YEAR = 1900  # no register delivery is older; year 0000 is no date at all


class LayoutError(ValueError):
    """The path of a file does not fit the delivery layout."""


@dataclass(frozen=True)
class DeliveryName:
    rel_path: str  # path relative to the landing directory, with '/'
    city: str
    source: str
    form: str  # '' unless the source has two forms (ingest.sources)
    period: str  # YYYY-MM, YYYY-MM-DD or 'current'
    version: int
    ext: str

    @property
    def table(self) -> str:
        if self.form == GEOMETRY_FORM:
            return GEOMETRY_TABLE
        return sources.table_of(self.source, self.form).name

    @property
    def period_key(self) -> tuple[str, str, str, str]:
        """What a later version replaces: (city, source, form, period)."""
        return (self.city, self.source, self.form, self.period)


def _form_for(source: str, form: str | None, city: CityConfig) -> str:
    """The form a file name says (`<period>_<form>`), as the source registry declares its forms."""
    src = sources.source(source)
    table = src.table_for_file_form(form)
    if table is None:
        if src.table_for_file_form(None) is None:  # every form of the source is named
            names = " or ".join(f"<{sources.CADENCES[src.cadence]}>_{t.file_form}" for t in src.tables)
            raise LayoutError(f"{source} files must be named {names}")
        raise LayoutError(f"unknown file form {form!r} for source {source}")
    if table.requires == "optionskommune" and not city.optionskommune:
        raise LayoutError(f"{city.slug} is no Optionskommune and delivers no {source} {table.form} files")
    return table.form


def _check_period(source: str, period: str, today: date) -> None:
    cadence = sources.source(source).cadence
    if cadence == "monthly":
        m = re.fullmatch(r"([0-9]{4})-([0-9]{2})", period, re.ASCII)
        if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < FIRST_YEAR:
            raise LayoutError(f"period {period!r} is no month YYYY-MM (source {source})")
        first = date(int(m.group(1)), int(m.group(2)), 1)
    elif cadence == "snapshot":
        try:
            if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", period, re.ASCII):
                raise ValueError
            first = date.fromisoformat(period)
            if first.year < FIRST_YEAR:
                raise ValueError
        except ValueError:
            raise LayoutError(f"period {period!r} is no date YYYY-MM-DD (source {source})") from None
    else:
        if cadence == "reference" and period != "current":
            raise LayoutError(f"period of {source} must be 'current', not {period!r}")
        return
    # a month can be delivered once it has begun, a reference date once it has passed
    if first > today:
        raise LayoutError(f"period {period!r} lies in the future (today is {today.isoformat()})")


def parse_delivery_path(rel_path: str, cities: dict[str, CityConfig], today: date | None = None) -> DeliveryName:
    """Identity of a delivery from its path relative to the landing directory (`today`: the
    day against which a period in the future is refused; default the current date)."""
    parts = PurePosixPath(rel_path).parts
    if len(parts) != 3:
        raise LayoutError("path must be <city>/<source>/<period>[_vN].<ext>")
    city_slug, source, name = parts
    city = cities.get(city_slug)
    if city is None:
        raise LayoutError(f"unknown city {city_slug!r} (no configuration file)")
    if source not in sources.source_names():
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
    _check_period(source, period, today or date.today())
    if geometry and m.group("form") is not None:
        raise LayoutError(f"file name {name!r} does not fit current[_vN].{GEOMETRY_EXTENSION}")
    form = GEOMETRY_FORM if geometry else _form_for(source, m.group("form"), city)
    digits = m.group("version") or "1"
    if len(digits) > len(str(MAX_VERSION)) or int(digits) > MAX_VERSION:
        raise LayoutError(f"version _v{digits[:20]} out of range (1..{MAX_VERSION})")
    version = int(digits)
    return DeliveryName(rel_path, city_slug, source, form, period, version, ext)
