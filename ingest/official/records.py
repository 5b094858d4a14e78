"""Shared pieces of the parsers: the parsed-file container, region codes, dimension vocabulary,
and the series/rounding rules that are attached to values at load time."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field


class ParseError(ValueError):
    """A file that does not fit its format; it loads nothing and the reason is registered."""


@dataclass
class ParsedFile:
    source: str  # genesis-flat | genesis-classic | genesis-metadata | cbs | city
    table_code: str
    encoding: str
    values: list[dict] = field(default_factory=list)
    notes: list[dict] = field(default_factory=list)
    stand: str | None = None


# --- regions -------------------------------------------------------------------------------
def normalise_region(code: str) -> tuple[str, str]:
    """(normalised code, level). 12-digit ARS become 8-digit AGS (Land, RB, Kreis + Gemeinde)."""
    c = (code or "").strip()
    if c == "DG" or c == "NL01":
        return c, "country"
    if re.fullmatch(r"PV\d{2}", c):
        return c, "province"
    if re.fullmatch(r"GM\d{4}", c):
        return c, "gemeinde"
    if re.fullmatch(r"\d{2}", c):
        return c, "land"
    if re.fullmatch(r"\d{3}", c):
        return c, "regierungsbezirk"
    if re.fullmatch(r"\d{5}", c):
        return c, "kreis"
    if re.fullmatch(r"\d{8}", c):
        return c, "gemeinde"
    if re.fullmatch(r"\d{12}", c):
        return c[:5] + c[9:], "gemeinde"
    raise ParseError(f"unknown region code {code!r}")


# --- dimensions ----------------------------------------------------------------------------
SEX_LABELS = {"männlich": "maennlich", "weiblich": "weiblich", "male": "maennlich", "female": "weiblich"}
NATIONALITY_LABELS = {
    "deutsche": "deutsch",
    "deutsch": "deutsch",
    "ausländer(innen)": "auslaendisch",
    "ausländer": "auslaendisch",
    "ausländisch": "auslaendisch",
    "german": "deutsch",
    "foreign": "auslaendisch",
}
TOTAL_LABELS = {"insgesamt", "zusammen", "total"}
# Header cells that only name a dimension (the next header row holds its category).
DIMENSION_NAMES = {
    "geschlecht": "sex",
    "nationalität": "nationality",
    "altersgruppen": "age",
    "kontinente (einschl. staatenlos etc.)": "Kontinent",
    "klassenstufe / jahrgangsstufe / schulbesuchsjahr": "Klassenstufe",
}
FILLER_LABELS = {"davon", "dar.", "darunter"}
_AGE = re.compile(r"(^unter \d+ Jahre$|^\d+ bis unter \d+ Jahre$|^\d+ Jahre und mehr$|^\d+ Jahre und älter$)")
UNITS = {"anzahl", "prozent", "%", "tsd.", "eur", "1000", "je 1000"}


def classify_label(label: str) -> tuple[str, str] | None:
    """(kind, value) for a header/row label that belongs to a known dimension, else None."""
    low = label.strip().lower()
    if low in SEX_LABELS:
        return "sex", SEX_LABELS[low]
    if low in NATIONALITY_LABELS:
        return "nationality", NATIONALITY_LABELS[low]
    if _AGE.match(label.strip()):
        return "age", label.strip()
    return None


def dims_json(d: dict[str, str]) -> str:
    return json.dumps(d, ensure_ascii=False, sort_keys=True)


# --- series and rounding rules ---------------------------------------------------------------
def basis_note(statistic: str, year: int | None, period_type: str) -> str | None:
    """Population basis / series a value stands on, so breaks are never bridged silently."""
    if year is None:
        return None
    if statistic == "12411" or statistic.startswith("124"):
        if year < 2011:
            return "Fortschreibung auf Basis früherer Zählungen (vor Zensus 2011)"
        if year < 2022:
            return "Fortschreibung auf Grundlage des Zensus 2011"
        return "Fortschreibung auf Grundlage des Zensus 2022"
    if statistic == "1000A":
        return "Zensus 2022 (Stichtag 15.05.2022)"
    if statistic == "12711":
        if year < 2016:
            return "Wanderungsstatistik bis 2015"
        return "Wanderungsstatistik ab 2016 (neue Aufbereitung der Meldungen, Bruch 2016/17)"
    return None


def is_rounded(statistic: str, year: int | None, region_code: str) -> bool:
    """Sources rounded to multiples of 5 (0-2 -> 0, 3-7 -> 5, ...): their sums are not exact."""
    if statistic == "12531":  # protection seekers: always
        return True
    if statistic == "21111" and year is not None and year >= 2019 and region_code[:2] in ("05", "DG"):
        # IT.NRW school counts from school year 2019/20 on (DG sums include rounded NRW parts)
        return True
    return False


def value_row(**kw) -> dict:
    """A values row with defaults for the optional dimensions."""
    row = {
        "sex": "insgesamt",
        "nationality": "insgesamt",
        "age_group": "insgesamt",
        "dims": "{}",
        "column_label": None,
        "measure_code": None,
        "value_symbol": None,
        "missing_reason": None,
        "quality_flag": None,
        "unit": None,
    }
    row.update(kw)
    return row
