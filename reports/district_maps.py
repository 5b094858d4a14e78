"""What a district map shows, shared by the report's maps (`reports.maps`) and the dashboard.

A map is a table: every value drawn comes from the published, disclosure-controlled district
table `alliance.fct_district_indicators` (never from the city marts), and a district whose cell
is withheld there is drawn as withheld. Two map indicators are ratios of published cells:

- `eu2_population_share`: registered EU-2 nationals / all registered persons of the district at
  the quarter's end (`population`, groups EU2 and INSGESAMT);
- `migration_volume_rate` per district: 1,000 x (inflow + outflow across the city boundary) /
  average population ((previous quarter end + quarter end) / 2), the catalogue's city definition
  applied to the district; moves inside the city are not counted, as at city level.

A ratio is withheld when any cell it is made of is withheld, and has no value when a cell is
missing (e.g. no previous quarter after a district reform) or its denominator is below 3 persons. Built from published cells only, a
ratio reveals nothing the table does not (its numerator is a sum of published counts, each 0 or
at least 3).

Boundaries come from `alliance.dim_district_geometry` (EPSG:3035), the version valid on the
quarter's last day, at the level the indicator's rows have (Duisburg: Ortsteile for flows and
stock, Stadtbezirke for SGB II).

Classes: quantiles (quintiles) of the published district values of one map - 5 classes, fewer
where a map has fewer distinct values; withheld districts and districts without a value are not
classed. `quantile_edges` uses numpy's default (linear) quantiles; the dashboard's JavaScript
computes the same edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from warehouse.db import connect

N_CLASSES = 5
MIN_DENOMINATOR = 3  # persons: below it a derived ratio has no value
DISTRICT_TABLE = "alliance.fct_district_indicators"
GEOMETRY_TABLE = "alliance.dim_district_geometry"
REPORT_MAP_INDICATORS = ("eu2_population_share", "migration_volume_rate", "dwell_3y_share")
DERIVED = ("eu2_population_share", "migration_volume_rate")
WHOLE = "INSGESAMT"
# Colours of the five classes (ColorBrewer YlGnBu, colour-blind safe, prints in grey); withheld
# districts grey with hatching, districts without a value white.
CLASS_COLOURS = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
WITHHELD_COLOUR, WITHHELD_HATCH, NO_VALUE_COLOUR, EDGE_COLOUR = "#d4d4d4", "////", "#ffffff", "#555555"

# Texts of maps in the three report languages (the catalogue has no entry for the derived ratios).
TEXTS: dict[str, dict[str, str]] = {
    "withheld": {
        "de": "gesperrt (Geheimhaltung)",
        "en": "withheld (disclosure control)",
        "nl": "niet gepubliceerd (geheimhouding)",
    },
    "no_value": {"de": "kein Wert", "en": "no value", "nl": "geen waarde"},
    "classes": {
        "de": "Klassen: Quintile der veröffentlichten Bezirkswerte der Karte (5 Klassen, weniger bei weniger "
        "verschiedenen Werten); gesperrte Bezirke schraffiert.",
        "en": "Classes: quintiles of the map's published district values (5 classes, fewer where there are fewer "
        "distinct values); withheld districts hatched.",
        "nl": "Klassen: kwintielen van de gepubliceerde wijkwaarden van de kaart (5 klassen, minder bij minder "
        "verschillende waarden); niet gepubliceerde wijken gearceerd.",
    },
    "source": {
        "de": "Quelle: Melderegister der Städte (Registerbasis), geheimhaltungsgeprüfte Bezirkstabelle der Allianz; "
        "Grenzen: Gebietslieferung der Stadt",
        "en": "Source: the cities' population registers (register basis), disclosure-controlled district table of "
        "the alliance; boundaries: the city's area delivery",
        "nl": "Bron: bevolkingsregisters van de steden (registerbasis), op geheimhouding gecontroleerde wijktabel "
        "van het samenwerkingsverband; grenzen: gebiedslevering van de stad",
    },
    "synthetic": {
        "de": "SYNTHETISCHE DATEN (Demo-Welt): erfundene Bezirksgrenzen und Werte",
        "en": "SYNTHETIC DATA (demo world): invented district boundaries and figures",
        "nl": "SYNTHETISCHE GEGEVENS (demowereld): verzonnen wijkgrenzen en cijfers",
    },
    "section": {"de": "Bezirkskarten", "en": "District maps", "nl": "Wijkkaarten"},
    "intro": {
        "de": "Drei Kennzahlen je Bezirk für jede Stadt, die Bezirksgrenzen liefert, im Quartal {quarter}: "
        "EU-2-Anteil an der Bevölkerung, Wanderungsvolumen je 1.000 Einwohner und Anteil seit 3+ Jahren "
        "gemeldet. Jede Karte zeigt nur Werte der geheimhaltungsgeprüften Bezirkstabelle.",
        "en": "Three indicators per district for every city that delivers district boundaries, quarter {quarter}: "
        "EU-2 share of the population, migration volume per 1,000 inhabitants and share registered 3+ years. "
        "Every map shows only values of the disclosure-controlled district table.",
        "nl": "Drie kengetallen per wijk voor elke stad die wijkgrenzen levert, kwartaal {quarter}: aandeel EU-2 "
        "in de bevolking, bruto migratie per 1.000 inwoners en aandeel 3+ jaar ingeschreven. Elke kaart toont "
        "alleen waarden uit de op geheimhouding gecontroleerde wijktabel.",
    },
    "no_geometry": {
        "de": "{city}: keine Bezirksgrenzen geliefert (keine Karte).",
        "en": "{city}: no district boundaries delivered (no map).",
        "nl": "{city}: geen wijkgrenzen geleverd (geen kaart).",
    },
    "no_values": {
        "de": "{city}: keine veröffentlichten Bezirkswerte für {quarter} (keine Karte).",
        "en": "{city}: no published district values for {quarter} (no map).",
        "nl": "{city}: geen gepubliceerde wijkwaarden voor {quarter} (geen kaart).",
    },
    "all_withheld": {
        "de": "alle Bezirke gesperrt (Geheimhaltung)",
        "en": "all districts withheld (disclosure control)",
        "nl": "alle wijken niet gepubliceerd (geheimhouding)",
    },
    "level_stadtbezirk": {"de": "Stadtbezirke", "en": "city districts", "nl": "stadsdelen"},
    "level_ortsteil": {"de": "Ortsteile", "en": "neighbourhoods (Ortsteile)", "nl": "buurten (Ortsteile)"},
    "level_wijk": {"de": "Wijken", "en": "wijken (districts)", "nl": "wijken"},
    "percent": {"de": "%", "en": "%", "nl": "%"},
}

# The derived map indicators, described like catalogue entries.
DERIVED_ENTRIES: dict[str, dict[str, dict[str, str]]] = {
    "eu2_population_share": {
        "name": {
            "de": "EU-2-Anteil an der Bevölkerung",
            "en": "EU-2 share of the population",
            "nl": "Aandeel EU-2 in de bevolking",
        },
        "unit": {"de": "Anteil (0-1)", "en": "share (0-1)", "nl": "aandeel (0-1)"},
        "definition": {
            "de": "Gemeldete Personen mit bulgarischer oder rumänischer Staatsangehörigkeit (EU-2) je gemeldeter "
            "Person des Bezirks am Quartalsende; Zähler und Nenner sind Zellen der Bezirkstabelle (Einwohner).",
            "en": "Registered persons with Bulgarian or Romanian nationality (EU-2) per registered person of the "
            "district at the quarter's end; numerator and denominator are cells of the district table (population).",
            "nl": "Ingeschreven personen met de Bulgaarse of Roemeense nationaliteit (EU-2) per ingeschreven persoon "
            "van de wijk aan het eind van het kwartaal; teller en noemer zijn cellen van de wijktabel (bevolking).",
        },
        "reading_aid": {
            "de": "0,12 (12 %) bedeutet: 12 von 100 Gemeldeten des Bezirks sind EU-2-Staatsangehörige. Gesperrt, "
            "wenn Zähler oder Nenner gesperrt ist.",
            "en": "0.12 (12 %) means: 12 in 100 registered residents of the district are EU-2 nationals. Withheld "
            "when numerator or denominator is withheld.",
            "nl": "0,12 (12%) betekent: 12 van de 100 ingeschrevenen van de wijk hebben de EU-2-nationaliteit. "
            "Niet gepubliceerd als teller of noemer niet gepubliceerd is.",
        },
    },
    "migration_volume_rate": {
        "definition": {
            "de": "Je Bezirk: Zu- plus Fortzüge über die Stadtgrenze je 1.000 Einwohner des Bezirks (Mittel aus "
            "dem Bestand am Ende des Vor- und des Berichtsquartals); innerstädtische Umzüge zählen nicht mit.",
            "en": "Per district: in- plus out-migration across the city boundary per 1,000 of the district's "
            "population (mean of the previous and the current quarter's end); moves inside the city are not counted.",
            "nl": "Per wijk: vestigingen plus vertrekken over de gemeentegrens per 1.000 inwoners van de wijk "
            "(gemiddelde van het eind van het vorige en het huidige kwartaal); verhuizingen binnen de gemeente "
            "tellen niet mee.",
        },
    },
}


def text(key: str, lang: str, **fields) -> str:
    value = TEXTS[key][lang]
    return value.format(**fields) if fields else value


def quarter_end(period: str) -> date:
    year, q = int(period[:4]), int(period[-1])
    month = 3 * q
    return date(year, month, 31 if month in (3, 12) else 30)


def previous_quarter(period: str) -> str:
    year, q = int(period[:4]), int(period[-1])
    return f"{year - 1}-Q4" if q == 1 else f"{year}-Q{q - 1}"


# -- reading the published copy ---------------------------------------------------------------
def read_published(db_path, cities: list[str] | None = None) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """(district cells, boundaries) of the published copy, None where a table is missing.
    (Filtered in Polars: a bound DuckDB parameter would import pandas, seconds per process.)"""
    with connect(db_path, read_only=True) as con:
        present = {
            f"{s}.{t}" for s, t in con.sql("select table_schema, table_name from information_schema.tables").fetchall()
        }
        cells = (
            con.sql(
                "select city, period, district_code, district_level, indicator_id, group_value, numerator, "
                f"denominator, value, is_suppressed, is_provisional, is_break from {DISTRICT_TABLE}"
            ).pl()
            if DISTRICT_TABLE in present
            else None
        )
        geometry = (
            con.sql(
                "select city, district_code, district_name, district_level, valid_from, valid_to, geometry_wkb "
                f"from {GEOMETRY_TABLE}"
            ).pl()
            if GEOMETRY_TABLE in present
            else None
        )
    if cities:
        cells = cells.filter(pl.col("city").is_in(cities)) if cells is not None else None
        geometry = geometry.filter(pl.col("city").is_in(cities)) if geometry is not None else None
    return cells, geometry


# -- values -----------------------------------------------------------------------------------
VALUE_COLUMNS = ["numerator", "denominator", "value", "is_suppressed", "is_provisional"]


def with_derived(cells: pl.DataFrame) -> pl.DataFrame:
    """The district cells plus the derived map indicators (see module docstring)."""
    keys = ["city", "period", "district_code"]
    pop = cells.filter(pl.col("indicator_id") == "population")

    def part(frame: pl.DataFrame, name: str, extra_keys: list[str]) -> pl.DataFrame:
        return frame.select(
            *keys,
            *extra_keys,
            pl.col("district_level"),
            pl.col("value").alias(f"{name}_value"),
            pl.col("is_suppressed").fill_null(False).alias(f"{name}_withheld"),
            pl.col("is_provisional").fill_null(False).alias(f"{name}_provisional"),
        )

    # EU-2 share: population EU2 / population INSGESAMT of the same district; a district without
    # an EU2 row has no EU-2 nationals (a withheld cell is present, flagged), so its share is 0
    eu2 = (
        part(pop.filter(pl.col("group_value") == WHOLE), "d", [])
        .join(part(pop.filter(pl.col("group_value") == "EU2"), "n", []).drop("district_level"), on=keys, how="left")
        .with_columns(
            pl.when(pl.col("n_withheld").is_null() & ~pl.col("d_withheld") & pl.col("d_value").is_not_null())
            .then(0.0)
            .otherwise(pl.col("n_value"))
            .alias("n_value")
        )
    )
    share = _ratio(eu2, pl.col("n_value"), pl.col("d_value"), 1.0, ["n", "d"]).with_columns(
        indicator_id=pl.lit("eu2_population_share"), group_value=pl.lit(WHOLE)
    )
    # migration volume per 1,000 average population, per group
    g = ["group_value"]
    inflow = part(cells.filter(pl.col("indicator_id") == "inflow"), "i", g)
    outflow = part(cells.filter(pl.col("indicator_id") == "outflow"), "o", g).drop("district_level")
    now = part(pop, "p1", g).drop("district_level")
    before = part(pop, "p0", g).drop("district_level").rename({"period": "previous"})
    vol = (
        inflow.join(outflow, on=[*keys, *g], how="inner")
        .join(now, on=[*keys, *g], how="left")
        .with_columns(previous=pl.col("period").map_elements(previous_quarter, return_dtype=pl.String))
        .join(before, on=["city", "previous", "district_code", *g], how="left")
        .drop("previous")
    )
    rate = _ratio(
        vol,
        pl.col("i_value") + pl.col("o_value"),
        (pl.col("p0_value") + pl.col("p1_value")) / 2,
        1000.0,
        ["i", "o", "p0", "p1"],
    ).with_columns(indicator_id=pl.lit("migration_volume_rate"))
    # the city-level rows of a district table are its INSGESAMT district; keep the schema of `cells`
    derived = pl.concat([share, rate], how="diagonal_relaxed").with_columns(is_break=pl.lit(None, pl.Boolean))
    return pl.concat([cells, derived.select(cells.columns)], how="diagonal_relaxed")


def _ratio(frame: pl.DataFrame, numerator: pl.Expr, denominator: pl.Expr, factor: float, parts: list[str]):
    withheld = pl.any_horizontal([pl.col(f"{p}_withheld").fill_null(False) for p in parts])
    provisional = pl.any_horizontal([pl.col(f"{p}_provisional").fill_null(False) for p in parts])
    # a ratio on fewer than 3 persons says nothing (and such a denominator would read as a small count)
    usable = ~withheld & numerator.is_not_null() & denominator.is_not_null() & (denominator >= MIN_DENOMINATOR)
    return frame.select(
        "city",
        "period",
        "district_code",
        "district_level",
        *(["group_value"] if "group_value" in frame.columns else []),
        pl.when(usable).then(numerator).otherwise(None).cast(pl.Float64).alias("numerator"),
        pl.when(usable).then(denominator).otherwise(None).cast(pl.Float64).alias("denominator"),
        pl.when(usable).then(factor * numerator / denominator).otherwise(None).cast(pl.Float64).alias("value"),
        withheld.alias("is_suppressed"),
        provisional.alias("is_provisional"),
    )


@dataclass
class DistrictMap:
    """One map: the districts (geometry in EPSG:3035) with their values, classes and flags."""

    city: str
    period: str
    indicator_id: str
    group: str
    level: str
    districts: pl.DataFrame  # district_code, district_name, geometry_wkb, value, numerator, denominator,
    # is_suppressed, is_provisional, class (0..k-1, NULL when withheld or without value)
    edges: list[float]  # class edges (k+1 values, or [] without a classed value)

    @property
    def n_withheld(self) -> int:
        return int(self.districts["is_suppressed"].sum())

    @property
    def n_values(self) -> int:
        return int(self.districts["class"].is_not_null().sum())


def boundaries_on(geometry: pl.DataFrame, city: str, period: str, level: str | None = None) -> pl.DataFrame:
    """The city's boundaries valid on the quarter's last day (at `level` if given)."""
    day = quarter_end(period)
    sel = geometry.filter(
        (pl.col("city") == city)
        & (pl.col("valid_from").is_null() | (pl.col("valid_from") <= day))
        & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= day))
    )
    return sel.filter(pl.col("district_level") == level) if level else sel


def district_map(
    cells: pl.DataFrame, geometry: pl.DataFrame, city: str, period: str, indicator_id: str, group: str = WHOLE
) -> DistrictMap | None:
    """The map of one city, quarter, indicator and group; None without boundaries or values.
    `cells` must hold the derived indicators (`with_derived`) where they are asked for."""
    rows = cells.filter(
        (pl.col("city") == city)
        & (pl.col("period") == period)
        & (pl.col("indicator_id") == indicator_id)
        & (pl.col("group_value") == group)
        & ~pl.col("district_level").is_in(["stadt", "unbekannt"])
    )
    if rows.is_empty():
        return None
    level = rows["district_level"].mode().sort().first()
    shapes = boundaries_on(geometry, city, period, level)
    if shapes.is_empty():
        return None
    joined = shapes.select("district_code", "district_name", "geometry_wkb").join(
        rows.select("district_code", *VALUE_COLUMNS), on="district_code", how="left"
    )
    joined = joined.with_columns(
        pl.col("is_suppressed").fill_null(False),
        pl.col("is_provisional").fill_null(False),
        # a withheld cell never shows a value, whatever arrived
        pl.when(pl.col("is_suppressed").fill_null(False)).then(None).otherwise(pl.col("value")).alias("value"),
    ).sort("district_code")
    values = joined.filter(pl.col("value").is_not_null())["value"].to_numpy()
    edges = quantile_edges(values)
    return DistrictMap(
        city,
        period,
        indicator_id,
        group,
        level,
        joined.with_columns(pl.Series("class", classify(joined["value"].to_list(), edges), dtype=pl.Int32)),
        edges,
    )


def quantile_edges(values, k: int = N_CLASSES) -> list[float]:
    """Class edges: the 0, 1/k, ..., 1 quantiles (numpy linear) of the values, with k at most the
    number of distinct values (3 districts give 3 classes), equal edges merged."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    if v.size == 0:
        return []
    k = min(k, len(np.unique(v)))
    if k <= 1:
        return [float(v.min()), float(v.max())]
    edges = np.unique(np.quantile(v, np.linspace(0, 1, k + 1)))
    return [float(e) for e in edges]


def classify(values: list, edges: list[float]) -> list[int | None]:
    """Class of each value: i for edges[i] < v <= edges[i+1], the lowest class including its
    lower edge; None for a missing value. Equal values (edges [v, v]): class 0."""
    out: list[int | None] = []
    inner = edges[1:-1]
    for v in values:
        if v is None or not edges:
            out.append(None)
        else:
            out.append(int(np.searchsorted(inner, v, side="left")))
    return out
