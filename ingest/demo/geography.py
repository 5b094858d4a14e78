"""Districts of the demo world: codes, names, areas and where people live.

Persons live in *cells*. A cell is the finest area the world knows; the code a delivery shows
for a cell can depend on the date (Düsseldorf's district reform of 2024-01-01 splits and merges
districts: cells keep their people, only the published code changes).
Areas are approximate real values in hectares (integers, so merged and split areas add up
exactly); population weights are approximate real shares. Both are rounded, documented
inputs of a synthetic world, not official figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

REFORM_DATE = date(2024, 1, 1)  # Düsseldorf district reform of the demo world
REFORM_CITY = "duesseldorf"
VALID_FROM = date(2000, 1, 1)  # start of validity of all pre-reform codes


@dataclass(frozen=True)
class Cell:
    code: str  # code before the reform (the only code outside Düsseldorf)
    name: str
    area_ha: int
    pop: float  # population weight (thousands, approximate)
    eu2: float  # weight of EU-2 arrivals (Bulgaria/Romania), relative
    parent: str = ""  # stadtbezirk code when the cell is an ortsteil
    new_code: str = ""  # code from REFORM_DATE (Düsseldorf only)


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    level: str  # stadtbezirk | ortsteil | wijk
    parent: str
    valid_from: date
    valid_to: date | None
    area_ha: int


def _c(code, name, area, pop, eu2=1.0, parent="", new=""):
    return Cell(code, name, area, pop, eu2, parent, new)


# Dortmund: 12 Stadtbezirke; Innenstadt-Nord (Nordstadt) is the arrival district (> half of EU-2).
DORTMUND = [
    _c("01", "Innenstadt-West", 1380, 53, 6),
    _c("02", "Innenstadt-Nord", 1450, 59, 62),
    _c("03", "Innenstadt-Ost", 1350, 56, 5),
    _c("04", "Eving", 2280, 38, 7),
    _c("05", "Scharnhorst", 3040, 46, 6),
    _c("06", "Brackel", 3130, 56, 3),
    _c("07", "Aplerbeck", 2570, 56, 2),
    _c("08", "Hörde", 3060, 56, 4),
    _c("09", "Hombruch", 3480, 57, 1.5),
    _c("10", "Lütgendortmund", 2340, 49, 3),
    _c("11", "Huckarde", 1370, 36, 3),
    _c("12", "Mengede", 2620, 39, 3.5),
]

# Duisburg: 7 Stadtbezirke, 46 Ortsteile (cells). EU-2 shares 2012: Hochfeld 38 %,
# Marxloh 17.4 %, Bruckhausen 7.6 % (KOMM-IN Handlungsrahmen).
_DU_SB = [
    ("01", "Walsum"),
    ("02", "Hamborn"),
    ("03", "Meiderich/Beeck"),
    ("04", "Homberg/Ruhrort/Baerl"),
    ("05", "Mitte"),
    ("06", "Rheinhausen"),
    ("07", "Süd"),
]
_DU_OT = {
    "01": [
        ("Vierlinden", 10, 1),
        ("Overbruch", 6, 0.5),
        ("Alt-Walsum", 8, 0.3),
        ("Aldenrade", 14, 1),
        ("Wehofen", 7, 0.3),
        ("Fahrn", 5, 0.5),
    ],
    "02": [
        ("Röttgersbach", 13, 1),
        ("Marxloh", 18, 15.5),
        ("Obermarxloh", 12, 3),
        ("Neumühl", 17, 1.5),
        ("Alt-Hamborn", 13, 3),
    ],
    "03": [
        ("Bruckhausen", 5, 7.6),
        ("Beeck", 8, 2),
        ("Beeckerwerth", 4, 0.3),
        ("Laar", 6, 2),
        ("Untermeiderich", 11, 1.5),
        ("Mittelmeiderich", 18, 1.5),
        ("Obermeiderich", 17, 1),
    ],
    "04": [("Ruhrort", 5, 2), ("Alt-Homberg", 13, 0.5), ("Hochheide", 16, 1.5), ("Baerl", 5, 0.1)],
    "05": [
        ("Altstadt", 7, 1),
        ("Neuenkamp", 4, 0.5),
        ("Kaßlerfeld", 3, 0.5),
        ("Duissern", 13, 0.5),
        ("Neudorf-Nord", 14, 0.5),
        ("Neudorf-Süd", 11, 0.5),
        ("Dellviertel", 13, 1.5),
        ("Hochfeld", 17, 36),
        ("Wanheimerort", 15, 1),
    ],
    "06": [
        ("Rheinhausen-Mitte", 13, 2),
        ("Hochemmerich", 15, 2),
        ("Bergheim", 19, 1),
        ("Friemersheim", 12, 0.5),
        ("Rumeln-Kaldenhausen", 17, 0.3),
    ],
    "07": [
        ("Bissingheim", 3, 0.1),
        ("Wedau", 5, 0.1),
        ("Buchholz", 13, 0.2),
        ("Wanheim-Angerhausen", 11, 0.5),
        ("Großenbaum", 9, 0.2),
        ("Rahm", 6, 0.1),
        ("Huckingen", 10, 0.2),
        ("Hüttenheim", 3, 0.3),
        ("Ungelsheim", 3, 0.1),
        ("Mündelheim", 5, 0.1),
    ],
}
DU_STADTBEZIRK_AREA = {"01": 3640, "02": 2120, "03": 2570, "04": 3870, "05": 3400, "06": 3860, "07": 3860}


def _duisburg() -> list[Cell]:
    cells = []
    for sb, _ in _DU_SB:
        parts = _DU_OT[sb]
        total = DU_STADTBEZIRK_AREA[sb]
        pops = np.array([p for _, p, _ in parts], dtype=float)
        # ortsteil areas proportional to population, integer, summing exactly to the stadtbezirk
        areas = np.floor(total * pops / pops.sum()).astype(int)
        areas[-1] += total - areas.sum()
        for i, (name, pop, eu2) in enumerate(parts):
            cells.append(_c(f"{int(sb)}{i + 1:02d}", name, int(areas[i]), pop, eu2, parent=sb))
    return cells


# Düsseldorf: 10 Stadtbezirke (numbered, no names). INTESO 2019: Stadtbezirk 5 = 5,075 ha,
# Stadtbezirk 6 = 1,963 ha. Demo reform 2024-01-01: 03 is split into 11 (west) and 12 (east);
# 09 and 10 merge into 13. 03 = 760 + 930 ha; 13 = 2,635 + 1,700 ha.
DUESSELDORF = [
    _c("01", "Stadtbezirk 1", 1654, 80, 1, new="01"),
    _c("02", "Stadtbezirk 2", 727, 61, 1, new="02"),
    _c("03", "Stadtbezirk 3", 760, 60, 3, new="11"),
    _c("03", "Stadtbezirk 3", 930, 54, 2, new="12"),
    _c("04", "Stadtbezirk 4", 2040, 41, 0.5, new="04"),
    _c("05", "Stadtbezirk 5", 5075, 34.6, 0.5, new="05"),
    _c("06", "Stadtbezirk 6", 1963, 66.6, 2, new="06"),
    _c("07", "Stadtbezirk 7", 2685, 45, 0.5, new="07"),
    _c("08", "Stadtbezirk 8", 1560, 58, 1, new="08"),
    _c("09", "Stadtbezirk 9", 2635, 93, 1, new="13"),
    _c("10", "Stadtbezirk 10", 1700, 25, 1, new="13"),
]
DUESSELDORF_NEW_NAMES = {"11": "Stadtbezirk 3 West", "12": "Stadtbezirk 3 Ost", "13": "Stadtbezirk 9/10"}

MUENSTER = [
    _c("01", "Mitte", 2200, 110, 2),
    _c("02", "Nord", 3580, 23, 1),
    _c("03", "Ost", 5230, 22, 1),
    _c("04", "West", 7740, 63, 1),
    _c("05", "Süd-Ost", 6980, 33, 1),
    _c("06", "Hiltrup", 4290, 39, 1.5),
]
WUPPERTAL = [
    _c("01", "Elberfeld", 1640, 67, 35),
    _c("02", "Elberfeld-West", 1530, 28, 4),
    _c("03", "Uellendahl-Katernberg", 2550, 38, 2),
    _c("04", "Vohwinkel", 2410, 32, 3),
    _c("05", "Cronenberg", 2190, 22, 1),
    _c("06", "Barmen", 1960, 62, 15),
    _c("07", "Oberbarmen", 1410, 45, 30),
    _c("08", "Heckinghausen", 1120, 21, 8),
    _c("09", "Langerfeld-Beyenburg", 2470, 25, 1),
    _c("10", "Ronsdorf", 1560, 23, 1),
]
SOLINGEN = [
    _c("01", "Gräfrath", 1620, 26, 1),
    _c("02", "Wald", 1090, 24, 2),
    _c("03", "Mitte", 1190, 50, 5),
    _c("04", "Ohligs/Aufderhöhe/Merscheid", 2460, 45, 2),
    _c("05", "Burg/Höhscheid", 2490, 17, 0.5),
]
MUELHEIM = [
    _c("01", "Rechtsruhr-Süd", 3988, 71, 1),
    _c("02", "Rechtsruhr-Nord", 2740, 56, 6),
    _c("03", "Linksruhr", 2400, 44, 1),
]
ENSCHEDE = [
    _c("WK015301", "Centrum", 330, 14, 3),
    _c("WK015302", "Noord", 2240, 31, 1),
    _c("WK015303", "Oost", 1760, 37, 3),
    _c("WK015304", "Zuid", 2110, 30, 1),
    _c("WK015305", "West", 1420, 29, 1),
    _c("WK015306", "Glanerbrug", 1010, 15, 1),
    _c("WK015307", "Boekelo", 5200, 3, 0.3),
]

CELLS: dict[str, list[Cell]] = {
    "dortmund": DORTMUND,
    "duisburg": _duisburg(),
    "duesseldorf": DUESSELDORF,
    "muenster": MUENSTER,
    "wuppertal": WUPPERTAL,
    "solingen": SOLINGEN,
    "muelheim": MUELHEIM,
    "enschede": ENSCHEDE,
}
LEVEL = {"enschede": "wijk", "duisburg": "ortsteil"}  # finest level; default stadtbezirk


def cells(city: str) -> list[Cell]:
    if city not in CELLS:
        raise KeyError(f"the demo world has no districts for city {city!r}")
    return CELLS[city]


def cell_codes(city: str, on: date) -> np.ndarray:
    """Published code of every cell on a date (object array, index = cell)."""
    reformed = city == REFORM_CITY and on >= REFORM_DATE
    return np.array([c.new_code if reformed else c.code for c in cells(city)], dtype=object)


def sgb2_codes(city: str, on: date) -> np.ndarray:
    """District code used in SGB II aggregates: the stadtbezirk (coarser in Duisburg)."""
    if city == "duisburg":
        return np.array([c.parent for c in cells(city)], dtype=object)
    return cell_codes(city, on)


def areas(city: str) -> list[Area]:
    """Rows of the `gebiete` file, including ended codes (gueltig_bis) and their successors."""
    cs = cells(city)
    out: list[Area] = []
    if city == "duisburg":
        for sb, name in _DU_SB:
            out.append(Area(sb, name, "stadtbezirk", "", VALID_FROM, None, DU_STADTBEZIRK_AREA[sb]))
        out += [Area(c.code, c.name, "ortsteil", c.parent, VALID_FROM, None, c.area_ha) for c in cs]
        return out
    level = LEVEL.get(city, "stadtbezirk")
    if city != REFORM_CITY:
        return [Area(c.code, c.name, level, "", VALID_FROM, None, c.area_ha) for c in cs]
    from datetime import timedelta

    old: dict[str, list[Cell]] = {}
    new: dict[str, list[Cell]] = {}
    for c in cs:
        old.setdefault(c.code, []).append(c)
        new.setdefault(c.new_code, []).append(c)
    end = REFORM_DATE - timedelta(days=1)
    for code, group in old.items():
        changed = code not in new or [g.new_code for g in group] != [code] * len(group) or len(new[code]) != len(group)
        out.append(
            Area(code, group[0].name, level, "", VALID_FROM, end if changed else None, sum(g.area_ha for g in group))
        )
    for code, group in new.items():
        if code in old and [g.code for g in group] == [code] * len(group) and len(old[code]) == len(group):
            continue  # unchanged district keeps its row
        out.append(
            Area(
                code,
                DUESSELDORF_NEW_NAMES.get(code, group[0].name),
                level,
                "",
                REFORM_DATE,
                None,
                sum(g.area_ha for g in group),
            )
        )
    return out


def pre_reform_areas(city: str) -> list[Area]:
    """The gebiete content as delivered before the reform was decided (all codes open-ended)."""
    cs = cells(city)
    seen: dict[str, Area] = {}
    for c in cs:
        a = seen.get(c.code)
        seen[c.code] = Area(
            c.code,
            c.name,
            LEVEL.get(city, "stadtbezirk"),
            c.parent,
            VALID_FROM,
            None,
            c.area_ha + (a.area_ha if a else 0),
        )
    return list(seen.values())
