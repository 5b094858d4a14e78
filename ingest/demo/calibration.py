"""Calibration of the demo world: every number that shapes it, with where it comes from.

Sources: /work/shared/facts/published_figures.md (KOMM-IN Handlungsrahmen 2013, G.I.B. 2016,
INTESO 2019, EUREGIO 2004, IT.NRW 2015), rounded official population figures (about 2019),
and plain assumptions (marked `assumption`). `TARGETS` states the published figures the
generated world is checked against (tests/demo/test_calibration.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from warehouse.vocabulary import age_band_labels, standard_age_bands

GROUPS = ("DE", "EU2", "EU_SONST", "ASYL8", "DRITT_SONST")  # index = group id in the world
DE, EU2, EU_SONST, ASYL8, DRITT = range(5)
# In a Dutch city the national group is the Dutch (`NL`); Germans fall into EU_SONST.
GROUP_LABELS_NL = ("NL", "EU2", "EU_SONST", "ASYL8", "DRITT_SONST")

# The standard age bands of the seed (warehouse.vocabulary), so the world speaks the marts' bands.
AGE_BANDS = age_band_labels()
OLDEST_AGE_DRAWN = 90
AGE_BAND_EDGES = (*(b.age_from for b in standard_age_bands()), OLDEST_AGE_DRAWN + 1)  # lower edges, then the end

# Nationalities inside each group: Destatis key -> weight (assumption, shaped on NRW registers).
NATIONALITIES = {
    EU2: {"125": 0.5, "154": 0.5},  # replaced per city
    EU_SONST: {
        "152": 0.30,
        "137": 0.18,
        "134": 0.17,
        "161": 0.07,
        "130": 0.08,
        "148": 0.05,
        "153": 0.04,
        "129": 0.03,
        "151": 0.03,
        "165": 0.05,
    },
    ASYL8: {"475": 0.45, "438": 0.15, "423": 0.15, "224": 0.07, "439": 0.07, "232": 0.04, "273": 0.04, "461": 0.03},
    DRITT: {
        "163": 0.38,
        "166": 0.08,
        "150": 0.07,
        "170": 0.06,
        "160": 0.05,
        "252": 0.05,
        "122": 0.04,
        "144": 0.04,
        "479": 0.03,
        "436": 0.03,
        "368": 0.02,
        "167": 0.02,
        "432": 0.02,
        "442": 0.02,
        "121": 0.02,
        "997": 0.01,
        "998": 0.01,
        "999": 0.01,
        "132": 0.005,
        "133": 0.005,
    },
}
# Enschede: other EU citizens are mostly Germans and Poles; no Dutch among foreigners.
NATIONALITIES_NL_EU = {
    "000": 0.45,
    "152": 0.25,
    "137": 0.05,
    "161": 0.05,
    "134": 0.05,
    "153": 0.05,
    "129": 0.05,
    "165": 0.05,
}
SECOND_NATIONALITY_DE = {"163": 0.4, "152": 0.3, "160": 0.2, "137": 0.1}  # of Germans with two
SHARE_SECOND_NATIONALITY = 0.08  # assumption

# Age shares by standard band (assumption; EU-2 shapes from KOMM-IN: Dortmund > 70 % aged
# 15-44, children 12-15 %; Duisburg a little over 60 % aged 15-44, under 15 about 26 %).
AGE_SHARES = {
    DE: (0.055, 0.080, 0.027, 0.080, 0.260, 0.280, 0.218),
    EU2: (0.050, 0.060, 0.020, 0.170, 0.560, 0.120, 0.020),
    EU_SONST: (0.050, 0.070, 0.020, 0.100, 0.450, 0.250, 0.060),
    ASYL8: (0.100, 0.150, 0.050, 0.200, 0.380, 0.100, 0.020),
    DRITT: (0.050, 0.080, 0.030, 0.100, 0.400, 0.240, 0.100),
}
AGE_SHARES_EU2_DUISBURG = (0.090, 0.120, 0.030, 0.130, 0.510, 0.100, 0.020)
AGE_SHARES_DE_ARRIVALS = (0.050, 0.050, 0.020, 0.250, 0.450, 0.130, 0.050)


@dataclass(frozen=True)
class Behaviour:
    """Yearly hazards and probabilities of one nationality group in one city."""

    leave: float  # true departures per person-year
    growth: float  # yearly growth of the group's true stock through migration
    register: float  # probability to register on arrival (the rest may register later)
    late_register: float  # yearly hazard of a late registration for the unregistered
    deregister: float  # probability to deregister when leaving
    ava: float  # probability the office removes a gone, non-deregistered person
    ava_delay_months: float  # mean delay of that removal (at least 3 months)
    move: float  # moves inside the city per person-year
    report_move: float  # probability a move inside the city is registered
    sgb2: float  # share of registered households on SGB II (steady state)
    counselling: float  # contacts per registered person-month (x3 when unregistered)
    school_unregistered: float  # school attendance of unregistered children 6-15
    abroad_in: float  # share of arrivals coming from abroad (rest inland/unknown)
    abroad_out: float  # share of deregistrations going abroad


# assumption, tuned to the targets below
BEHAVIOUR = {
    DE: Behaviour(0.045, 0.0, 0.99, 1.0, 0.96, 0.5, 9, 0.09, 0.95, 0.07, 0.0002, 0.8, 0.12, 0.10),
    EU2: Behaviour(0.94, 0.06, 0.80, 0.35, 0.35, 0.97, 5, 0.25, 0.60, 0.35, 0.015, 0.55, 0.75, 0.65),
    EU_SONST: Behaviour(0.15, 0.01, 0.93, 0.5, 0.75, 0.6, 9, 0.15, 0.85, 0.12, 0.002, 0.7, 0.6, 0.55),
    ASYL8: Behaviour(0.08, 0.04, 0.98, 1.0, 0.70, 0.6, 9, 0.15, 0.85, 0.55, 0.008, 0.8, 0.5, 0.3),
    DRITT: Behaviour(0.10, 0.02, 0.95, 0.6, 0.75, 0.6, 9, 0.12, 0.90, 0.15, 0.002, 0.7, 0.55, 0.45),
}


@dataclass(frozen=True)
class CityProfile:
    population: int  # real population about 2019 (rounded)
    shares: tuple[float, ...]  # nationality group shares of the register (GROUPS order)
    bg_share_eu2: float = 0.5  # Bulgarians among EU-2
    problem_properties: int = 20  # problem properties at real scale
    problem_cells: dict[str, float] = field(default_factory=dict)  # cell code -> weight
    problem_share_eu2: float = 0.25  # share of EU-2 arrivals housed at problem properties
    behaviour: dict[int, dict] = field(default_factory=dict)  # overrides per group
    counselling_from: str = "2019-01"  # first month of the optional counselling source


PROFILES: dict[str, CityProfile] = {
    # KOMM-IN: 108 problem properties under observation, 73 in the Nordstadt; EU-2 about half BG.
    # Zuzüge about equal to the year-end stock and only 6 % registered 3 years or more: the
    # register turns over about once a year, so the office removes people gone within about two
    # months (world: x6 at problem properties). With the default five months more than half of
    # the Nordstadt EU-2 register were people gone (truth 2024-12-31, scale 0.08, seed 11: 572
    # of 1,088; with two months 350 of 1,021) and Zuzüge/stock came out at 0.61-0.78 over seeds
    # (target 1.0 +- 0.35); with two 0.84-0.92 (seven seeds), pupils/registered 6-14 0.86-1.10,
    # registered 3 years or more 5-7 %.
    "dortmund": CityProfile(
        588_000,
        (0.80, 0.020, 0.045, 0.035, 0.100),
        0.5,
        108,
        {"02": 73, "01": 10, "03": 9, "04": 8, "05": 8},
        0.35,
        {EU2: dict(leave=1.1, ava_delay_months=2)},
    ),
    # KOMM-IN: registered > 3 years > 16 % (Dortmund 6 %): slower turnover; BG twice RO;
    # inspections: 58 % of registered not found, 27 % of found not registered.
    "duisburg": CityProfile(
        498_000,
        (0.77, 0.045, 0.040, 0.030, 0.115),
        0.67,
        90,
        {"508": 40, "202": 10, "301": 2, "203": 6, "205": 5, "601": 2},
        0.25,
        {EU2: dict(leave=0.5, deregister=0.45)},
    ),
    "duesseldorf": CityProfile(
        620_000,
        (0.79, 0.010, 0.080, 0.020, 0.100),
        0.4,
        25,
        {"03": 10, "06": 8, "08": 7},
        0.15,
        counselling_from="2021-01",
    ),
    "muenster": CityProfile(
        315_000, (0.90, 0.004, 0.030, 0.015, 0.051), 0.4, 6, {"01": 6}, 0.1, counselling_from="2021-01"
    ),
    # G.I.B. 2016: Wuppertal about 10,000 refugees, 4,000 in SGB II.
    "wuppertal": CityProfile(
        355_000, (0.79, 0.015, 0.050, 0.040, 0.105), 0.4, 30, {"01": 15, "07": 15}, 0.25, counselling_from="2020-01"
    ),
    "solingen": CityProfile(
        160_000, (0.82, 0.012, 0.050, 0.020, 0.098), 0.4, 8, {"03": 8}, 0.15, counselling_from="2021-01"
    ),
    "muelheim": CityProfile(
        171_000, (0.85, 0.015, 0.035, 0.030, 0.070), 0.4, 10, {"02": 10}, 0.2, counselling_from="2021-01"
    ),
    # EUREGIO: about 150,000 inhabitants. NL registers only stays of 4 months or more, so more
    # short-stay EU workers stay unregistered. No SGB II, no problem-property file.
    "enschede": CityProfile(
        159_000,
        (0.86, 0.005, 0.050, 0.030, 0.055),
        0.4,
        0,
        {},
        0.0,
        {EU2: dict(register=0.6), EU_SONST: dict(register=0.8)},
        counselling_from="2022-01",
    ),
}

# Residence status changes (assumption). Only Germans and other EU citizens are given a
# secondary residence in the world, so only they can turn it into the main one: 2 % of their
# registrations on arrival are STATUS_NW_HW (secondary -> main; a move into the city's main
# register that is no Zuzug), and 1.5 % of their deregistrations STATUS_HW_NW (main -> secondary).
# Order of magnitude of status changes beside Zuzüge in NRW city statistics; late registrants
# never had a registration, so they never change status. EU-2 inflows (the Nordstadt target)
# contain no status changes.
STATUS_NW_HW_SHARE = 0.02
STATUS_HW_NW_SHARE = 0.015

UKRAINE_WAVE = {"months": ("2022-03", "2022-04", "2022-05", "2022-06"), "share_of_population": 0.010}

# Published figures the generated world must reproduce (order of magnitude, with tolerance).
TARGETS = {
    "dortmund_eu2_share_nordstadt": dict(value=0.5, op=">", source="KOMM-IN: more than half in the Nordstadt"),
    "duisburg_eu2_share_hochfeld": dict(value=0.38, tol=0.10, source="KOMM-IN: about 38 %"),
    "duisburg_eu2_share_marxloh": dict(value=0.174, tol=0.07, source="KOMM-IN: about 17.4 %"),
    "duisburg_eu2_share_bruckhausen": dict(value=0.076, tol=0.05, source="KOMM-IN: about 7.6 %"),
    "dortmund_eu2_registered_3y": dict(value=0.06, tol=0.05, source="KOMM-IN: only about 6 %"),
    "duisburg_eu2_registered_3y": dict(value=0.16, op=">", source="KOMM-IN: more than 16 %"),
    "dortmund_nordstadt_eu2_inflow_to_stock": dict(
        value=1.0, tol=0.35, source="KOMM-IN: Zuzüge about equal to year-end stock"
    ),
    "dortmund_eu2_pupils_to_registered_6_14": dict(
        value=1.0, tol=0.3, source="KOMM-IN: pupils about equal to registered 6-14"
    ),
    "dortmund_problem_properties": dict(value=108, per_scale=True, tol=0.2, source="KOMM-IN: 108"),
    "dortmund_problem_properties_nordstadt_share": dict(value=73 / 108, tol=0.15, source="KOMM-IN: 73 of 108"),
    "duisburg_inspection_registered_not_found": dict(value=0.58, tol=0.15, source="Duisburg inspections: 58 %"),
    "duisburg_inspection_found_not_registered": dict(value=0.27, tol=0.12, source="Duisburg inspections: 27 %"),
    "dortmund_eu2_age_15_44": dict(value=0.70, tol=0.10, source="KOMM-IN: over 70 %"),
    "duisburg_eu2_age_15_44": dict(value=0.61, tol=0.10, source="KOMM-IN: a little over 60 %"),
    "duisburg_eu2_bg_to_ro": dict(value=2.0, tol=0.6, source="KOMM-IN: BG twice RO"),
}


def behaviour(city: str, group: int) -> Behaviour:
    base = BEHAVIOUR[group]
    over = PROFILES[city].behaviour.get(group)
    if not over:
        return base
    from dataclasses import replace

    return replace(base, **over)


def age_shares(city: str, group: int, arrivals: bool = False) -> tuple[float, ...]:
    if group == EU2 and city == "duisburg":
        return AGE_SHARES_EU2_DUISBURG
    if group == DE and arrivals:
        return AGE_SHARES_DE_ARRIVALS
    return AGE_SHARES[group]


def nationality_weights(city: str, group: int, country: str) -> dict[str, float]:
    """Destatis keys of a group in a city (the national group is 000, or 148 in NL)."""
    if group == DE:
        return {"148": 1.0} if country == "NL" else {"000": 1.0}
    if group == EU2:
        bg = PROFILES[city].bg_share_eu2
        return {"125": bg, "154": 1 - bg}
    if group == EU_SONST and country == "NL":
        return NATIONALITIES_NL_EU
    return NATIONALITIES[group]
