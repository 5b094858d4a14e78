"""The source registry: one declaration per delivery source, read by every part that needs to know it.

A source is one folder of a city's landing directory (`<city>/<source>/<period>[_<form>][_vN].<ext>`,
shared/spec/deliveries.md). Its declaration (`Source`) says how its periods are written (cadence),
which deliveries completeness expects, whether a city may leave it out, and the raw table of each
of its forms (`RawTable`): columns and types, the key of a row, the period column, the columns that
must be filled, that carry district codes or codes of a code list, suppressed counts, and the column
names of the dialects that rename them per table.

Readers: `ingest.schemas` (raw-layer DDL), `ingest.layout` (forms and periods in file names),
`ingest.normalise` (typing, suppressed counts), `ingest.validate` (delivery rules),
`ingest.dialects` (column names), the demo writers; `quality.raw_frames`/`raw_suites` (suite frames,
code lists, suite files), `quality.completeness`, `quality.profile`, `quality.results` (gate keys);
`orchestration.defs` (one Dagster asset and check per raw table, through `ingest.schemas`).

A new source is a declaration here (added to `SOURCES`), its suite file, its cities' configuration
and its dbt models: docs/extending.md. Nothing in here is city-specific.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache

import polars as pl

from ingest.config import iso3_codes, nationality_keys

S, D, I = pl.String, pl.Date, pl.Int32

# cadence -> what the period of a file name is: a month YYYY-MM, a reference date YYYY-MM-DD, or
# 'current' (one current version, replaced by _vN)
CADENCES = {"monthly": "month", "snapshot": "date", "reference": "current"}
# What completeness expects of a source, over the months a city has delivered so far.
EVERY_MONTH, QUARTER_ENDS, CURRENT = "every month", "quarter ends", "current"
_YEARLY = "yearly "
QUARTER_MONTHS = ("03", "06", "09", "12")
MONTH_END = "__month_end"  # pseudo date column of a district check: last day of the row's month
DISTRICT_REFERENCE = "gebiete"  # the raw table every district code is checked against
REQUIREMENTS = {"optionskommune"}  # city properties a form may require (CityConfig attributes)


def yearly(month_day: str) -> str:
    """Completeness rhythm of a yearly snapshot named after `MM-DD` (e.g. the school census)."""
    return _YEARLY + month_day


@dataclass(frozen=True)
class CodeList:
    """Codes a column may hold: ingest rejects a delivery with another code (with `message`),
    the raw suites refer to the list as {"$PARAMETER": name}."""

    name: str
    message: str
    codes: frozenset[str] | None = None
    loader: Callable[[], set[str]] | None = None  # codes read when first needed (seeds)
    # codes that differ by the city's country; the first entry is the default for other countries
    by_country: Mapping[str, frozenset[str]] | None = None

    def values(self, country: str | None = None) -> frozenset[str]:
        if self.by_country is not None:
            return self.by_country.get(country, next(iter(self.by_country.values())))
        if self.loader is not None:
            return frozenset(self.loader())
        return self.codes


@dataclass(frozen=True)
class District:
    """A column with district codes of the city's own `gebiete`: ingest accepts a code valid on
    either date (register software may code a late-recorded event by either day), the raw suite's
    `_<column>_ok` judges the first; `any_level`: a code of any level, not only the finest (the
    Federal Employment Agency's tables may come by Stadtbezirk)."""

    column: str
    dates: tuple[str, str]
    any_level: bool = False


@dataclass(frozen=True)
class RawTable:
    """One raw table `raw.<name>`: what one form of a source delivers."""

    name: str
    description: str
    columns: Mapping[str, pl.DataType]  # delivered columns in the order of the standard dialect
    form: str = ""  # '' unless the source has two forms
    file_form: str | None = None  # the form part of the file name; None: the name has none
    requires: str | None = None  # city property the form needs (REQUIREMENTS)
    required: tuple[str, ...] = ()  # must be filled on every row
    keys: tuple[str, ...] = ()  # a row's identity within the city (checked by the raw suite)
    duplicate_keys_message: str | None = None  # set: ingest rejects a file that repeats a key
    period_column: str | None = None  # the date that must lie in the delivery period
    districts: tuple[District, ...] = ()
    codes: Mapping[str, str] = field(default_factory=dict)  # column -> code list name
    suppressed_counts: tuple[str, ...] = ()  # '*' = suppressed: NULL plus <col>_gesperrt = true
    month_columns: tuple[str, ...] = ()  # delivered as YYYY-MM, stored as the first day
    # dialect -> {delivered name: standard name} for dialects that rename per table
    dialect_columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # dialect -> standard columns the dialect does not deliver (added empty)
    absent_columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    suite: str = ""  # quality/suites/<suite>.json, default raw_<name>
    source: str = ""  # set by the Source

    @property
    def schema(self) -> dict[str, pl.DataType]:
        """Domain columns of the raw table: the delivered ones, then a flag per suppressed count."""
        return {**self.columns, **{f"{c}_gesperrt": pl.Boolean for c in self.suppressed_counts}}

    @property
    def pseudonym_columns(self) -> tuple[str, ...]:
        """Columns holding pseudonyms (named `*_pseudonym`): 32 hex characters, never shown."""
        return tuple(c for c in self.columns if c.endswith("_pseudonym"))

    def ordered(self, columns) -> list[str]:
        """`columns` in the table's column order (rules and messages follow it)."""
        position = {c: i for i, c in enumerate(self.schema)}
        return sorted(columns, key=position.__getitem__)


@dataclass(frozen=True)
class Source:
    """A delivery source: a folder of the landing layout and the raw table(s) of its forms."""

    name: str
    description: str
    cadence: str  # CADENCES
    tables: tuple[RawTable, ...]
    expected: str | None  # EVERY_MONTH, QUARTER_ENDS, yearly('MM-DD'), CURRENT; None: no rhythm
    optional: bool = False  # the spec lets a city leave it out
    countries: tuple[str, ...] = ("DE", "NL")  # countries whose cities deliver it
    code_lists: tuple[CodeList, ...] = ()  # code lists only this source uses

    def __post_init__(self):  # every table knows its source and suite file
        bound = tuple(replace(t, source=self.name, suite=t.suite or f"raw_{t.name}") for t in self.tables)
        object.__setattr__(self, "tables", bound)

    def table_for_file_form(self, file_form: str | None) -> RawTable | None:
        return next((t for t in self.tables if t.file_form == file_form), None)

    def expected_periods(self, months: list[str]) -> list[str]:
        """Periods completeness expects for months `YYYY-MM` (in order)."""
        if self.expected == EVERY_MONTH:
            return list(months)
        if self.expected == QUARTER_ENDS:
            ends = [m for m in months if m[5:] in QUARTER_MONTHS]
            return [f"{m}-{calendar.monthrange(int(m[:4]), int(m[5:]))[1]:02d}" for m in ends]
        if self.expected == CURRENT:
            return ["current"]
        if self.yearly_on:
            return [f"{m[:4]}-{self.yearly_on}" for m in months if m[5:] == self.yearly_on[:2]]
        return []

    @property
    def yearly_on(self) -> str | None:
        """'MM-DD' of a yearly snapshot (its reference date may lie before the day its file is
        named after: any delivery of the year counts for completeness), else None."""
        if self.expected and self.expected.startswith(_YEARLY):
            return self.expected.removeprefix(_YEARLY)
        return None


# -- the standard vocabularies (after dialect translation) -----------------------------------------
EVENT_TYPES = {
    "ZU_AUSLAND": "inflow",
    "ZU_INLAND": "inflow",
    "ZU_UNBEKANNT": "inflow",
    "STATUS_NW_HW": "inflow",
    "FO_AUSLAND": "outflow",
    "FO_INLAND": "outflow",
    "FO_UNBEKANNT": "outflow",
    "AVA": "outflow",
    "STATUS_HW_NW": "outflow",
    "UMZUG": "move",
    "GEBURT": "natural",
    "TOD": "natural",
}
SEXES = {"m", "w", "d", "x"}
SGB2_GROUPS = {"DE", "EU2", "EU_SONST", "ASYL8", "DRITT_SONST", "INSGESAMT"}
SCHOOL_FORMS_DE = {"GS", "HS", "RS", "GY", "GE", "SK", "FS", "BK"}
SCHOOL_FORMS_NL = {"PO", "VO", "SO", "MBO"}
CLASS_TYPES = {"REGEL", "ERSTFOERDERUNG"}
COUNSELLING_SERVICES = {"ORIENTIERUNG", "AUFSUCHEND", "GESUNDHEIT"}
STATED_REGISTRATION = {"ja", "nein", "unbekannt"}
HOUSING_STATUS = {"BEOBACHTET", "IN_BEARBEITUNG", "GERAEUMT", "SANIERT", "ABGESCHLOSSEN"}
AREA_LEVELS = {"stadtbezirk", "ortsteil", "wijk"}

# Code lists shared by several sources; a source's own lists are in its declaration.
SHARED_CODE_LISTS = (
    CodeList("sexes", "unknown sex code", frozenset(SEXES)),
    CodeList("nationality_keys", "unknown nationality code", loader=nationality_keys),
    CodeList("iso3_codes", "unknown nationality code (ISO alpha-3)", loader=iso3_codes),
)
PERSON = {"geschlecht": "sexes", "staatsangehoerigkeit": "nationality_keys"}

# Dutch column names of the brp-export dialect (Enschede); names not listed are the standard ones.
BRP = "brp-export"

MELDEWESEN = Source(
    name="meldewesen",
    description="Register movement events (one row per event), one file per month.",
    cadence="monthly",
    expected=EVERY_MONTH,
    code_lists=(CodeList("event_types", "unknown event type", frozenset(EVENT_TYPES)),),
    tables=(
        RawTable(
            name="meldewesen",
            description="Register movement events (one row per event), latest version of each delivery period.",
            columns={
                "ereignis_id": S,
                "ereignis_datum": D,
                "meldedatum": D,
                "ereignis_art": S,
                "person_pseudonym": S,
                "geburtsjahr": I,
                "geschlecht": S,
                "staatsangehoerigkeit": S,
                "staatsangehoerigkeit_2": S,
                "bezirk_alt": S,
                "bezirk_neu": S,
                "adresse_pseudonym": S,
                "herkunft_ziel": S,
            },
            required=(
                "ereignis_id",
                "ereignis_datum",
                "meldedatum",
                "ereignis_art",
                "person_pseudonym",
                "staatsangehoerigkeit",
            ),
            keys=("ereignis_id",),  # unique per city over all time (ingest.load checks across files)
            duplicate_keys_message="duplicate ereignis_id within the file",
            period_column="meldedatum",  # processing date, as the official statistics count
            districts=(
                District("bezirk_alt", ("ereignis_datum", "meldedatum")),
                District("bezirk_neu", ("ereignis_datum", "meldedatum")),
            ),
            codes={"ereignis_art": "event_types", **PERSON, "staatsangehoerigkeit_2": "nationality_keys"},
            dialect_columns={
                BRP: {
                    "mutatie_id": "ereignis_id",
                    "datum_mutatie": "ereignis_datum",
                    "datum_verwerking": "meldedatum",
                    "soort_mutatie": "ereignis_art",
                    "persoon_pseudoniem": "person_pseudonym",
                    "geboortejaar": "geburtsjahr",
                    "geslacht": "geschlecht",
                    "nationaliteit": "staatsangehoerigkeit",
                    "wijk_oud": "bezirk_alt",
                    "wijk_nieuw": "bezirk_neu",
                    "adres_pseudoniem": "adresse_pseudonym",
                    "land_of_gemeente": "herkunft_ziel",
                }
            },
            absent_columns={BRP: ("staatsangehoerigkeit_2",)},  # the BRP has no second nationality
        ),
    ),
)

BESTAND = Source(
    name="bestand",
    description="Registered population (main residence) on quarter-end reference dates.",
    cadence="snapshot",
    expected=QUARTER_ENDS,
    tables=(
        RawTable(
            name="bestand",
            description="Registered population (main residence) on quarter-end reference dates.",
            columns={
                "stichtag": D,
                "person_pseudonym": S,
                "geburtsjahr": I,
                "geschlecht": S,
                "staatsangehoerigkeit": S,
                "staatsangehoerigkeit_2": S,
                "bezirk": S,
                "adresse_pseudonym": S,
                "zuzug_datum": D,
                "einzug_datum": D,
            },
            required=("stichtag", "person_pseudonym", "staatsangehoerigkeit", "bezirk"),
            keys=("stichtag", "person_pseudonym"),
            period_column="stichtag",
            districts=(District("bezirk", ("stichtag", "stichtag")),),
            codes={**PERSON, "staatsangehoerigkeit_2": "nationality_keys"},
            dialect_columns={
                BRP: {
                    "peildatum": "stichtag",
                    "persoon_pseudoniem": "person_pseudonym",
                    "geboortejaar": "geburtsjahr",
                    "geslacht": "geschlecht",
                    "nationaliteit": "staatsangehoerigkeit",
                    "wijk": "bezirk",
                    "adres_pseudoniem": "adresse_pseudonym",
                    "datum_vestiging_gemeente": "zuzug_datum",
                    "datum_adres": "einzug_datum",
                }
            },
            absent_columns={BRP: ("staatsangehoerigkeit_2",)},
        ),
    ),
)

SCHULE = Source(
    name="schule",
    description="Pupils at the city's schools on the school census day (files named after 15 October).",
    cadence="snapshot",
    expected=yearly("10-15"),
    code_lists=(
        CodeList(
            "school_forms",
            "unknown school form",
            by_country={"DE": frozenset(SCHOOL_FORMS_DE), "NL": frozenset(SCHOOL_FORMS_NL)},
        ),
        CodeList("class_types", "unknown class type", frozenset(CLASS_TYPES)),
    ),
    tables=(
        RawTable(
            name="schule",
            description="Pupils at the city's schools on the school census day.",
            columns={
                "stichtag": D,
                "schueler_pseudonym": S,
                "geburtsjahr": I,
                "geschlecht": S,
                "staatsangehoerigkeit_iso3": S,  # pupils keep ISO alpha-3, as the standard school file
                "schulform": S,
                "klassenart": S,
                "wohnbezirk": S,  # not checked against gebiete: pupils may live outside the city
                "schule_id": S,
            },
            required=("stichtag", "schueler_pseudonym", "schulform", "klassenart"),
            keys=("stichtag", "schueler_pseudonym"),
            period_column="stichtag",
            codes={
                "geschlecht": "sexes",
                "staatsangehoerigkeit_iso3": "iso3_codes",
                "schulform": "school_forms",
                "klassenart": "class_types",
            },
            dialect_columns={
                BRP: {
                    "peildatum": "stichtag",
                    "leerling_pseudoniem": "schueler_pseudonym",
                    "geboortejaar": "geburtsjahr",
                    "geslacht": "geschlecht",
                    "nationaliteit": "staatsangehoerigkeit_iso3",
                    "onderwijssoort": "schulform",
                    "nieuwkomersklas": "klassenart",
                    "wijk": "wohnbezirk",
                }
            },
            absent_columns={BRP: ("schule_id",)},  # the Dutch school file has no school id
        ),
    ),
)

SGB2 = Source(
    name="sgb2",
    description="SGB II (basic income support for jobseekers): Federal Employment Agency aggregates, "
    "person-level data from the Optionskommunen. German law: Dutch cities do not deliver it.",
    cadence="monthly",
    expected=EVERY_MONTH,
    optional=True,
    countries=("DE",),
    code_lists=(
        CodeList("sgb2_groups", "unknown nationality group", frozenset(SGB2_GROUPS)),
        CodeList("erwerbsfaehig", "erwerbsfaehig must be J or N", frozenset({"J", "N"})),
    ),
    tables=(
        RawTable(
            name="sgb2_aggregat",
            description="SGB II aggregates by district and nationality group; suppressed cells are NULL "
            "with *_gesperrt = true.",
            columns={
                "monat": D,
                "bezirk": S,
                "staatsangehoerigkeit_gruppe": S,
                "bg": I,
                "elb": I,
                "nef": I,
                "personen_in_bg": I,
            },
            form="aggregat",
            required=("monat", "bezirk", "staatsangehoerigkeit_gruppe"),
            keys=("monat", "bezirk", "staatsangehoerigkeit_gruppe"),
            period_column="monat",
            districts=(District("bezirk", ("monat", MONTH_END), any_level=True),),
            codes={"staatsangehoerigkeit_gruppe": "sgb2_groups"},
            suppressed_counts=("bg", "elb", "nef", "personen_in_bg"),
            month_columns=("monat",),
        ),
        RawTable(
            name="sgb2_personen",
            description="Person-level SGB II of the Optionskommunen.",
            columns={
                "monat": D,
                "person_pseudonym": S,
                "geburtsjahr": I,
                "geschlecht": S,
                "staatsangehoerigkeit": S,
                "bezirk": S,
                "bg_pseudonym": S,
                "erwerbsfaehig": S,
            },
            form="personen",
            file_form="personen",
            requires="optionskommune",
            required=("monat", "person_pseudonym", "bezirk"),
            keys=("monat", "person_pseudonym"),
            period_column="monat",
            districts=(District("bezirk", ("monat", MONTH_END)),),
            codes={**PERSON, "erwerbsfaehig": "erwerbsfaehig"},
            month_columns=("monat",),
        ),
    ),
)

BERATUNG = Source(
    name="beratung",
    description="Contacts of counselling and outreach services (one row per contact), one file per month.",
    cadence="monthly",
    expected=EVERY_MONTH,
    optional=True,
    code_lists=(
        CodeList("services", "unknown counselling service", frozenset(COUNSELLING_SERVICES)),
        CodeList("stated_registration", "unknown gemeldet_angabe", frozenset(STATED_REGISTRATION)),
    ),
    tables=(
        RawTable(
            name="beratung",
            description="Contacts of counselling and outreach services (one row per contact).",
            columns={
                "kontakt_datum": D,
                "person_pseudonym": S,
                "geburtsjahr": I,
                "geschlecht": S,
                "staatsangehoerigkeit": S,
                "stelle": S,
                "gemeldet_angabe": S,
            },
            required=("kontakt_datum", "person_pseudonym", "stelle"),
            period_column="kontakt_datum",  # no key: a person can come many times
            codes={**PERSON, "stelle": "services", "gemeldet_angabe": "stated_registration"},
            dialect_columns={  # not fixed by the spec: Dutch names where the BRP has them
                BRP: {
                    "datum_contact": "kontakt_datum",
                    "persoon_pseudoniem": "person_pseudonym",
                    "geboortejaar": "geburtsjahr",
                    "geslacht": "geschlecht",
                    "nationaliteit": "staatsangehoerigkeit",
                }
            },
        ),
    ),
)

WOHNEN = Source(
    name="wohnen",
    description="Housing: problem properties under observation and the dwelling stock, two files per "
    "reference date told apart by name. No fixed rhythm.",
    cadence="snapshot",
    expected=None,
    optional=True,
    code_lists=(CodeList("housing_status", "unknown housing status", frozenset(HOUSING_STATUS)),),
    tables=(
        RawTable(
            name="wohnen_problemimmobilien",
            description="Problem properties under observation, with the latest inspection.",
            columns={
                "stichtag": D,
                "objekt_id": S,
                "adresse_pseudonym": S,
                "bezirk": S,
                "status": S,
                "wohneinheiten": I,
                "leerstand_we": I,
                "aufnahme_datum": D,
                "letzte_kontrolle": D,
                "gemeldet_laut_register": I,
                "angetroffen_gemeldet": I,
                "angetroffen_nicht_gemeldet": I,
            },
            form="problemimmobilien",
            file_form="problemimmobilien",
            required=("stichtag", "objekt_id", "bezirk", "status"),
            keys=("stichtag", "objekt_id"),
            period_column="stichtag",
            districts=(District("bezirk", ("stichtag", "stichtag")),),
            codes={"status": "housing_status"},
        ),
        RawTable(
            name="wohnen_wohnungsbestand",
            description="Dwelling stock per district.",
            columns={"stichtag": D, "bezirk": S, "wohneinheiten": I, "leerstand_we": I, "gefoerderte_we": I},
            form="wohnungsbestand",
            file_form="wohnungsbestand",
            required=("stichtag", "bezirk"),
            keys=("stichtag", "bezirk"),
            period_column="stichtag",
            districts=(District("bezirk", ("stichtag", "stichtag")),),
        ),
    ),
)

GEBIETE = Source(
    name="gebiete",
    description="The city's small-area reference with validity periods; every district code is checked against it.",
    cadence="reference",
    expected=CURRENT,
    code_lists=(CodeList("area_levels", "unknown area level", frozenset(AREA_LEVELS)),),
    tables=(
        RawTable(
            name="gebiete",
            description="The city's small-area reference with validity periods.",
            columns={
                "bezirk_code": S,
                "bezirk_name": S,
                "ebene": S,
                "uebergeordnet_code": S,
                "gueltig_ab": D,
                "gueltig_bis": D,
                "flaeche_ha": pl.Float64,
            },
            required=("bezirk_code", "ebene"),
            keys=("bezirk_code", "gueltig_ab"),
            duplicate_keys_message="district code listed twice with the same gueltig_ab",
            codes={"ebene": "area_levels"},
        ),
    ),
)

# Every source, in this order wherever sources are listed. A new source: declare it above, add it here.
SOURCES: tuple[Source, ...] = (
    MELDEWESEN,
    BESTAND,
    SCHULE,
    SGB2,
    BERATUNG,
    WOHNEN,
    GEBIETE,
)


# -- look-ups ------------------------------------------------------------------------------------
def all_sources() -> tuple[Source, ...]:
    return _index().sources


def source(name: str) -> Source:
    """The declaration of source `name` (KeyError for an unknown source)."""
    return _index().by_name[name]


def source_names() -> list[str]:
    return [s.name for s in all_sources()]


def tables() -> tuple[RawTable, ...]:
    """Every raw table, in source order."""
    return tuple(t for s in all_sources() for t in s.tables)


def table(name: str) -> RawTable:
    """The raw table `raw.<name>` (KeyError for an unknown table)."""
    return _index().by_table[name]


def table_of(source_name: str, form: str = "") -> RawTable:
    """The raw table of a (source, form)."""
    return _index().by_form[(source_name, form)]


def code_lists() -> dict[str, CodeList]:
    """Every code list by name: the shared ones and those the sources declare."""
    return _index().code_lists


@dataclass(frozen=True)
class _Index:
    sources: tuple[Source, ...]
    by_name: dict[str, Source]
    by_table: dict[str, RawTable]
    by_form: dict[tuple[str, str], RawTable]
    code_lists: dict[str, CodeList]


@cache
def _index() -> _Index:
    """Indexes over SOURCES, built on first use (after the whole module ran), declarations checked."""
    lists = {c.name: c for c in SHARED_CODE_LISTS}
    for s in SOURCES:
        for c in s.code_lists:
            if c.name in lists:
                raise ValueError(f"source {s.name}: code list {c.name!r} is declared twice")
            lists[c.name] = c
    index = _Index(tuple(SOURCES), {}, {}, {}, lists)
    for s in SOURCES:
        check_source(s, lists)
        if s.name in index.by_name:
            raise ValueError(f"source {s.name!r} is declared twice")
        index.by_name[s.name] = s
        for t in s.tables:
            if t.name in index.by_table:
                raise ValueError(f"raw table {t.name!r} is declared twice")
            index.by_table[t.name] = t
            index.by_form[(s.name, t.form)] = t
    return index


def check_source(s: Source, lists: Mapping[str, CodeList]) -> None:
    """A declaration that cannot work fails when the registry is first read, with its reasons."""
    for t in s.tables:
        _check_table(s, t, lists)


def _check_table(s: Source, t: RawTable, lists: Mapping[str, CodeList]) -> None:
    where = f"source {s.name}, table {t.name}"
    problems = []
    if s.cadence not in CADENCES:
        problems.append(f"cadence {s.cadence!r} is none of {sorted(CADENCES)}")
    if s.expected not in (EVERY_MONTH, QUARTER_ENDS, CURRENT, None) and not s.yearly_on:
        problems.append(f"expected {s.expected!r}: use EVERY_MONTH, QUARTER_ENDS, CURRENT, yearly('MM-DD') or None")
    if any(MONTH_END in d.dates for d in t.districts) and t.period_column not in t.month_columns:
        problems.append(f"{MONTH_END} needs a month column as period column")
    named = [t.period_column] if t.period_column else []
    named += [*t.required, *t.keys, *t.codes, *t.suppressed_counts, *t.month_columns]
    named += [d.column for d in t.districts] + [x for d in t.districts for x in d.dates if x != MONTH_END]
    named += [c for m in t.dialect_columns.values() for c in m.values()]
    named += [c for cols in t.absent_columns.values() for c in cols]
    problems += [f"column {c!r} is not declared" for c in dict.fromkeys(named) if c not in t.columns]
    problems += [f"code list {n!r} is not declared" for n in t.codes.values() if n not in lists]
    if t.requires is not None and t.requires not in REQUIREMENTS:
        problems.append(f"requires {t.requires!r}: known are {sorted(REQUIREMENTS)}")
    if (t.period_column is None) != (s.cadence == "reference"):
        problems.append("a period column is needed exactly when the cadence is not 'reference'")
    if t.duplicate_keys_message and not t.keys:
        problems.append("duplicate_keys_message without keys")
    if sum(x.file_form == t.file_form for x in s.tables) > 1:
        problems.append(f"two tables with file form {t.file_form!r}")
    if problems:
        raise ValueError(f"{where}: " + "; ".join(problems))
