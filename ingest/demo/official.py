"""Official tables of the demo world: what its statistical offices publish about its own people.

A demo register of a few per cent of a real city must never be set beside the real official
figures of that city (222 register outflows against 8,766 official ones is no comparison). So the
demo world has official statistics of its own, produced from the same simulated registrations by
the rules of the official statistics and written in the real publication formats, which
`ingest.official` reads like the real files (those stay the parsers' tests in tests/official):

- German cities: GENESIS table 12711-03-02-4 (Zu- und Fortzüge nach Nationalität über die
  Gemeindegrenzen und Grenzen des Bundesgebietes, Jahressumme), classic CSV download as
  regionalstatistik.de delivers it (Windows-1252, `;`, period column, indented region names,
  footer with notes and `Stand:`).
- Enschede: CBS StatLine 37259eng (population dynamics) as a typed data set CSV.

How the official figures differ from the register counts (as they do in reality, for reasons
the report explains): the statistics count cases across the municipal boundary (no moves inside
the city, no status changes between secondary and main residence); ex-officio deregistrations
are departures; a case belongs to the year of the event if its notification reached the office by
the reporting deadline (31 January of the following year), otherwise to the year it arrived.
The register side counts by the year of the registration date. Persons of sex `d`/`x` are
assigned to male or female, as Destatis does (here by the parity of the event number, so that
the files are reproducible). Every file says in its notes that it is synthetic, and the
demo landing's DEMO_SYNTHETIC_DATA.txt covers it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from pathlib import Path

import polars as pl

GENESIS_TABLE = "12711-03-02-4"
CBS_TABLE = "37259eng"
OFFICIAL_DIR = "official"
DEMO_TAG = "demo_synthetic"  # in every file name: these are not real publications
DEADLINE_MONTH_DAY = (1, 31)  # notifications of year Y received by 31 Jan Y+1 count for Y
PUBLISHED_MONTH_DAY = (6, 30)  # the figures of year Y appear by 30 June Y+1

ARRIVALS = ("ZU_AUSLAND", "ZU_INLAND", "ZU_UNBEKANNT")
DEPARTURES = ("FO_AUSLAND", "FO_INLAND", "FO_UNBEKANNT", "AVA")
COUNTED = (*ARRIVALS, *DEPARTURES, "GEBURT", "TOD")
SYNTHETIC_NOTE_DE = (
    "SYNTHETISCHE DEMO-DATEN: von der Demo-Welt des Migrationsstatistik-Warehouse (python -m "
    "ingest.demo) aus ihren simulierten Meldefällen nach den Regeln der Wanderungsstatistik "
    "erzeugt; keine amtlichen Zahlen, keine Aussage über eine reale Stadt."
)


class OfficialTally:
    """Counts of one demo world's registrations by official year, as the generator steps months."""

    def __init__(self) -> None:
        # (city, year, event type, nationality 'deutsch'/'auslaendisch', sex 'maennlich'/'weiblich') -> n
        self.moves: dict[tuple, int] = defaultdict(int)
        self.register_stock: dict[tuple[str, int], int] = {}  # (city, year) -> registered on 31 Dec

    def add_events(self, city: str, events: pl.DataFrame) -> None:
        """One month's recorded events of a city (standard shape, complete version)."""
        if events.height == 0:
            return
        deadline = pl.date(pl.col("ereignis_datum").dt.year() + 1, *DEADLINE_MONTH_DAY)
        counted = events.filter(pl.col("ereignis_art").is_in(COUNTED)).select(
            pl.when(pl.col("meldedatum") <= deadline)
            .then(pl.col("ereignis_datum").dt.year())
            .otherwise(pl.col("meldedatum").dt.year())
            .alias("year"),
            pl.col("ereignis_art"),
            pl.when((pl.col("staatsangehoerigkeit") == "000") | (pl.col("staatsangehoerigkeit_2") == "000"))
            .then(pl.lit("deutsch"))
            .otherwise(pl.lit("auslaendisch"))
            .alias("nationality"),
            _official_sex(events).alias("sex"),
        )
        for year, kind, nat, sex, n in counted.group_by("year", "ereignis_art", "nationality", "sex").len().iter_rows():
            self.moves[(city, int(year), kind, nat, sex)] += int(n)

    def add_stock(self, city: str, year: int, registered: int) -> None:
        self.register_stock[(city, year)] = int(registered)

    def count(self, city: str, year: int, kinds, nationality: str | None = None, sex: str | None = None) -> int:
        return sum(
            n
            for (c, y, k, nat, s), n in self.moves.items()
            if c == city and y == year and k in kinds and nationality in (None, nat) and sex in (None, s)
        )


def _official_sex(events: pl.DataFrame) -> pl.Expr:
    """m/w as delivered; d/x assigned to male or female by the parity of the event number (the
    demo's event ids end in a running number), reproducibly."""
    parity = pl.col("ereignis_id").str.slice(-1).cast(pl.Int64) % 2
    return (
        pl.when(pl.col("geschlecht") == "m")
        .then(pl.lit("maennlich"))
        .when(pl.col("geschlecht") == "w")
        .then(pl.lit("weiblich"))
        .when(parity == 0)
        .then(pl.lit("maennlich"))
        .otherwise(pl.lit("weiblich"))
    )


def published_years(start: str, end: str, now: datetime) -> list[int]:
    """Years whose every case is known by `end` (January of the next year delivered) and whose
    figures would be published by `now`; the first year needs its January delivered."""
    first = int(start[:4]) + (start[5:7] != "01")
    last_known = int(end[:4]) - 1  # January of `end`'s year is delivered
    years = []
    for y in range(first, last_known + 1):
        if date(y + 1, *PUBLISHED_MONTH_DAY) <= now.date():
            years.append(y)
    return years


def _stand(years: list[int], now: datetime) -> datetime:
    published = datetime(years[-1] + 1, *PUBLISHED_MONTH_DAY, 10, 0, 0)
    return min(published, now.replace(microsecond=0))


def write_official_tables(
    landing: Path, tally: OfficialTally, cities: list, start: str, end: str, now: datetime, areas_ha: dict[str, float]
) -> list[Path]:
    """Write the demo world's official tables into `landing/official/<provider>/`; returns the paths.

    `cities`: the CityConfig of every simulated city; `areas_ha`: city -> area in hectares."""
    years = published_years(start, end, now)
    if not years:
        return []
    out = []
    german = [c for c in cities if c.country == "DE"]
    dutch = [c for c in cities if c.country == "NL"]
    if german:
        out.append(_write_genesis(landing, tally, german, years, now))
    if dutch:
        out.append(_write_cbs(landing, tally, dutch, years, areas_ha))
    return out


def _file(landing: Path, provider: str, name: str) -> Path:
    path = landing / OFFICIAL_DIR / provider / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


# GENESIS 12711-03-02-4 columns: (header of the column group, event types counted)
GENESIS_GROUPS = (
    ("Zuzüge über die Gemeindegrenzen", ARRIVALS),
    ("Zuzüge aus dem  Ausland über die Gemeindegrenzen", ("ZU_AUSLAND",)),
    ("Fortzüge über die Gemeindegrenzen", DEPARTURES),
    ("Fortzüge ins Ausland über Gemeindegrenzen", ("FO_AUSLAND",)),
)
NATIONALITY_ROWS = (("Deutsche", "deutsch"), ("Ausländer(innen)", "auslaendisch"), ("Insgesamt", None))


def _write_genesis(landing: Path, tally: OfficialTally, cities: list, years: list[int], now: datetime) -> Path:
    n = 4 + 3 * len(GENESIS_GROUPS)
    pad = ";" * (n - 1)
    lines = [
        f"GENESIS-Tabelle: {GENESIS_TABLE}",
        f"Zu- und Fortzüge nach Nationalität (über die{pad}",
        f"Gemeindegrenzen und Grenzen des Bundesgebietes){pad}",
        f"- Jahressumme - regionale Tiefe: Kreise und krfr. Städte{pad}",
        f"Wanderungsstatistik{pad}",
        ";;;;" + ";".join(g for g, _ in GENESIS_GROUPS for _ in range(3)),
        ";;;;" + ";".join(["Geschlecht"] * 3 * len(GENESIS_GROUPS)),
        ";;;;" + ";".join(["Insgesamt", "männlich", "weiblich"] * len(GENESIS_GROUPS)),
        ";;;;" + ";".join(["Anzahl"] * 3 * len(GENESIS_GROUPS)),
    ]
    for year in sorted(years, reverse=True):  # newest first, as the portal lists them
        for c in sorted(cities, key=lambda c: c.official_key):
            kreis = c.official_key[:5]
            for label, nat in NATIONALITY_ROWS:
                cells = []
                for _, kinds in GENESIS_GROUPS:
                    m = tally.count(c.slug, year, kinds, nat, "maennlich")
                    w = tally.count(c.slug, year, kinds, nat, "weiblich")
                    cells += [m + w, m, w]
                lines.append(
                    f"{year};{kreis};      {c.name}, Kreisfreie Stadt;{label};" + ";".join(str(v) for v in cells)
                )
    stand = _stand(years, now)
    lines += [
        "",
        "__________",
        '"zu ""gesamte Tabelle"":',
        _wrap(SYNTHETIC_NOTE_DE),
        "Zuordnung: ein Fall zählt im Jahr des Ereignisses, wenn seine Meldung bis zum 31.01. des",
        "Folgejahres vorlag, sonst im Jahr des Eingangs. Abmeldungen von Amts wegen zählen als",
        'Fortzüge; Umzüge innerhalb der Stadt und Statuswechsel Neben-/Hauptwohnung nicht."',
        f"Stand: {stand:%d.%m.%Y / %H:%M:%S}",
        "",
    ]
    path = _file(landing, "genesis", f"{GENESIS_TABLE}_{years[0]}-{years[-1]}_{DEMO_TAG}.csv")
    _write_atomic(path, "\n".join(lines).encode("cp1252"))
    return path


def _wrap(text: str, width: int = 60) -> str:
    """Footnote text wrapped like the portal's (lines of about 60 characters)."""
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return "\n".join([*lines, line])


CBS_HEADER = (
    "ID,Sex,Sex Label,Regions,Regions Label,Periods,Periods Label,PopulationOn1January_1,"
    "PopulationDensity_2,LiveBornChildren_3,LiveBornChildrenRatio_4,Deaths_5,DeathsRatio_6,"
    "NaturalIncrease_7,TotalArrivals_8,TotalArrivalsRatio_9,DueToImmigration_10,"
    "DueToIntermunicipalMoves_11,TotalDeparturesIncludingAdministra_12,"
    "TotalDeparturesIncludingAdmRatio_13,DueToEmigrationIncludingAdministr_14,"
    "NetAdministrativeCorrections_15,DueToIntermunicipalMoves_16,"
    "NetMigrationIncludingAdministrative_17,PopulationGrowth_18,PopulationGrowthRatio_19,"
    "PopulationOn31December_20"
)


def _write_cbs(landing: Path, tally: OfficialTally, cities: list, years: list[int], areas_ha: dict) -> Path:
    """CBS 37259: arrivals = immigration (ZU_AUSLAND) + moves from other municipalities (ZU_INLAND,
    ZU_UNBEKANNT); departures including administrative removals (vow = AVA) = emigration incl.
    removals (FO_AUSLAND, FO_UNBEKANNT, AVA) + moves to other municipalities (FO_INLAND)."""
    rows = [CBS_HEADER]
    for c in sorted(cities, key=lambda c: c.official_key):
        for year in years:
            cells = _cbs_cells(tally, c, year, areas_ha.get(c.slug))
            if cells:
                rows.append(",".join(str(v) for v in [len(rows), *cells]))
    path = _file(landing, "cbs", f"{CBS_TABLE}_{years[0]}-{years[-1]}_{DEMO_TAG}.csv")
    _write_atomic(path, ("\n".join(rows) + "\n").encode("utf-8"))
    return path


def _cbs_cells(tally: OfficialTally, c, year: int, area_ha: float | None) -> list | None:
    """One row of 37259 (after its ID) for a city and year; None without both year-end stocks."""
    pop1 = tally.register_stock.get((c.slug, year - 1))
    pop31 = tally.register_stock.get((c.slug, year))
    if pop1 is None or pop31 is None:
        return None
    avg = (pop1 + pop31) / 2

    def count(kinds) -> int:
        return tally.count(c.slug, year, kinds)

    def ratio(v: int) -> str:
        return f"{1000 * v / avg:.1f}" if avg else ""

    births, deaths = count(("GEBURT",)), count(("TOD",))
    immigration, inter_in = count(("ZU_AUSLAND",)), count(("ZU_INLAND", "ZU_UNBEKANNT"))
    emigration, inter_out = count(("FO_AUSLAND", "FO_UNBEKANNT", "AVA")), count(("FO_INLAND",))
    arrivals, departures = immigration + inter_in, emigration + inter_out
    density = round(pop1 / (area_ha / 100)) if area_ha else ""
    return [
        "T001038",
        "Total male and female",
        f"{c.official_key:<6}",
        c.name,
        f"{year}JJ00",
        year,
        pop1,
        density,
        births,
        ratio(births),
        deaths,
        ratio(deaths),
        births - deaths,
        arrivals,
        ratio(arrivals),
        immigration,
        inter_in,
        departures,
        ratio(departures),
        emigration,
        -count(("AVA",)),
        inter_out,
        arrivals - departures,
        pop31 - pop1,
        ratio(pop31 - pop1),
        pop31,
    ]


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def clear_official(landing: Path) -> list[Path]:
    """Remove every file under `landing/official/` of a demo landing (the real tables do not belong
    beside a synthetic register); returns what was removed. Refuses a landing without the marker."""
    from ingest.demo.generate import MARKER

    if not (landing / MARKER).exists():
        raise FileNotFoundError(f"{landing} is not a demo landing ({MARKER} missing); nothing removed")
    removed = []
    root = landing / OFFICIAL_DIR
    if root.is_dir():
        for p in sorted(root.rglob("*")):
            if p.is_file():
                p.unlink()
                removed.append(p)
    return removed


def has_demo_tables(landing: Path) -> bool:
    root = landing / OFFICIAL_DIR
    return root.is_dir() and any(DEMO_TAG in p.name for p in root.rglob("*") if p.is_file())
