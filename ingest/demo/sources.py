"""Delivery contents in the `standard` shape, built from a city's world state.

Every function returns a Polars frame with the standard column names of
shared/spec/deliveries.md (dates as Date, counts as integers, SGB II aggregate counts as text
so that `*` can stand in a cell). The dialect writers only change the shape.
"""

from __future__ import annotations

import zlib
from datetime import date

import numpy as np
import polars as pl

from ingest.demo import geography as geo
from ingest.demo.assumptions import DEMO_ABSENT_SHARE, scale_odds
from ingest.demo.pseudonyms import pseudonymise
from ingest.demo.world import EVENT_TYPES, PROBLEM_STATUS, SEXES, CityWorld, days, to_date

SGB2_MEASURES = ("bg", "elb", "nef", "personen_in_bg")
SGB2_GROUP_ROWS = ("DE", "EU2", "EU_SONST", "ASYL8", "DRITT_SONST", "INSGESAMT")


def _dates(a: np.ndarray) -> pl.Series:
    a = np.asarray(a, dtype=np.int64)
    s = pl.Series(a)
    return s.set(s < 0, None).cast(pl.Int32).cast(pl.Date)


def _str(a) -> pl.Series:
    return pl.Series(np.asarray(a, dtype=object).tolist(), dtype=pl.String)


def _pseudo(a: np.ndarray, keys) -> pl.Series:
    return pl.Series(pseudonymise(np.asarray(a, dtype=np.int64), keys)).cast(pl.String)


def _codes_on(w: CityWorld, cells: np.ndarray, on_days: np.ndarray) -> np.ndarray:
    """Published district code of cells on given days (reform-aware); '' for no cell."""
    old = geo.cell_codes(w.city, date(2000, 1, 1))
    out = np.where(cells >= 0, old[np.maximum(cells, 0)], None)
    if w.reform_day is not None:
        new = geo.cell_codes(w.city, geo.REFORM_DATE)
        late = (on_days >= w.reform_day) & (cells >= 0)
        out[late] = new[cells[late]]
    return out


def _birth_year(w: CityWorld, persons: np.ndarray) -> np.ndarray:
    return np.array(w.p.birth[persons], dtype="datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _nat(w: CityWorld, idx: np.ndarray) -> np.ndarray:
    out = np.full(idx.size, None, dtype=object)
    ok = idx >= 0
    out[ok] = w.nat_keys[idx[ok]]
    return out


def meldewesen(w: CityWorld, ev: dict, first_id: int, prefix: str, keys: dict) -> pl.DataFrame:
    person = ev["person"].astype(np.int64)
    n = person.size
    et = ev["etype"].astype(np.int64)
    herk = ev["herkunft"].astype(np.int64)
    herk_s = np.where(herk >= 0, w.herkunft_codes[np.maximum(herk, 0)], None)
    ids = pl.select(
        (pl.lit(prefix) + pl.int_range(first_id, first_id + n, dtype=pl.Int64).cast(pl.String).str.zfill(9)).alias("x")
    )["x"]
    return pl.DataFrame(
        {
            "ereignis_id": ids,
            "ereignis_datum": _dates(ev["edate"]),
            "meldedatum": _dates(ev["mdate"]),
            "ereignis_art": _str(np.array(EVENT_TYPES, dtype=object)[et]),
            "person_pseudonym": _pseudo(w.p.id[person], keys["person"]),
            "geburtsjahr": _birth_year(w, person),
            "geschlecht": _str(SEXES[w.p.sex[person]]),
            "staatsangehoerigkeit": _str(_nat(w, w.p.nat[person].astype(np.int64))),
            "staatsangehoerigkeit_2": _str(_nat(w, w.p.nat2[person].astype(np.int64))),
            "bezirk_alt": _str(_codes_on(w, ev["cell_alt"].astype(np.int64), ev["edate"])),
            "bezirk_neu": _str(_codes_on(w, ev["cell_neu"].astype(np.int64), ev["edate"])),
            "adresse_pseudonym": _pseudo(np.maximum(ev["addr"], 0), keys["address"]),
            "herkunft_ziel": _str(herk_s),
        }
    )


def bestand(w: CityWorld, d: int, keys: dict) -> pl.DataFrame:
    p = w.p
    r = np.flatnonzero(p.reg)
    zuzug = p.reg_zuzug[r].astype(np.int64)
    censored = days(date(1990, 1, 1))
    zuzug = np.where((zuzug >= 0) & (zuzug < censored), censored, zuzug)  # left-censored
    return pl.DataFrame(
        {
            "stichtag": _dates(np.full(r.size, d)),
            "person_pseudonym": _pseudo(p.id[r], keys["person"]),
            "geburtsjahr": _birth_year(w, r),
            "geschlecht": _str(SEXES[p.sex[r]]),
            "staatsangehoerigkeit": _str(_nat(w, p.nat[r].astype(np.int64))),
            "staatsangehoerigkeit_2": _str(_nat(w, p.nat2[r].astype(np.int64))),
            "bezirk": _str(_codes_on(w, p.reg_cell[r].astype(np.int64), np.full(r.size, d))),
            "adresse_pseudonym": _pseudo(p.reg_addr[r], keys["address"]),
            "zuzug_datum": _dates(zuzug),
            "einzug_datum": _dates(p.reg_einzug[r]),
        }
    )


def _school_form(age: np.ndarray, rng, dutch: bool) -> np.ndarray:
    n = age.size
    u = rng.random(n)
    if dutch:
        form = np.where(age < 12, "PO", np.where(age < 16, "VO", np.where(u < 0.5, "VO", "MBO")))
        form = np.where(u < 0.03, "SO", form)
        return form.astype(object)
    sec = np.array(["HS", "RS", "GY", "GE", "SK"], dtype=object)[
        np.searchsorted([0.1, 0.3, 0.65, 0.9], u, side="right")
    ]
    upper = np.where(u < 0.45, "GY", np.where(u < 0.65, "GE", "BK"))
    form = np.where(age < 10, "GS", np.where(age < 16, sec, upper)).astype(object)
    form[rng.random(n) < 0.04] = "FS"
    return form


def schule(w: CityWorld, stichtag: date, keys: dict, iso3: dict[str, str]) -> tuple[pl.DataFrame, dict]:
    """Pupils on the census day: resident children 6-18 who attend school, registered or not,
    plus a few pupils from outside the city. Returns the frame and the attendance truth."""
    p, h, rng = w.p, w.h, w.rng
    d = days(stichtag)
    kids = np.flatnonzero(p.present)
    age = w.age_at(kids, d)
    sel = (age >= 6) & (age <= 18)
    kids, age = kids[sel], age[sel]
    registered = p.reg[kids]
    compulsory = age < 16
    knobs = w.assumptions
    attend_unreg = np.array([b.school_unregistered for b in w.behaviour])[p.group[kids]]
    if knobs.unregistered_school_factor != 1.0:
        attend_unreg = np.minimum(attend_unreg * knobs.unregistered_school_factor, 1.0)
    # registered resident children of compulsory age not on the list: the absent share
    attend_reg = 0.985 if knobs.absent_share == DEMO_ABSENT_SHARE else 1 - knobs.absent_by_group()[p.group[kids]]
    prob = np.where(registered, np.where(compulsory, attend_reg, 0.75), np.where(compulsory, attend_unreg, 0.3))
    z = w.hh_frailty()
    if z is not None:  # heterogeneous catchability: the same households miss school and counselling
        prob = scale_odds(prob, z[p.hh[kids]])
    recent = (p.arrival[kids] >= 0) & (d - p.arrival[kids] < 183)
    if w.city == "duisburg":  # not every newly arrived child gets a school place
        prob = np.where(recent, prob * 0.6, prob)
    attends = rng.random(kids.size) < prob
    pupils = kids[attends]
    page = age[attends]
    n_out = rng.binomial(pupils.size, 0.015)  # pupils living outside the city
    dutch = w.country == "NL"
    nat_keys = w.nat_keys[p.nat[pupils]]
    iso = np.array([iso3.get(k, "XXC") for k in nat_keys], dtype=object)
    since = d - p.arrival[pupils]
    foreign = ~np.isin(nat_keys, ["000", "148"])
    newcomer = foreign & (p.arrival[pupils] >= 0) & (since < (365 if dutch else 730)) & (rng.random(pupils.size) < 0.8)
    klass = np.where(newcomer, "ERSTFOERDERUNG", "REGEL").astype(object)
    cell = h.cell[p.hh[pupils]]
    # the school knows the address the family gave: the true one, or the registered one
    wb = _codes_on(w, cell.astype(np.int64), np.full(cell.size, d))
    wb[rng.random(wb.size) < 0.02] = None
    school = np.array([f"S{c:03d}" for c in range(len(w.cells) * 3)], dtype=object)
    sid = school[cell * 3 + rng.integers(0, 3, cell.size)]
    out_age = rng.integers(6, 19, n_out)
    out_ids = (np.int64(1) << 50) + np.arange(n_out) + d * 10_000  # non-residents: own id range
    frame = pl.DataFrame(
        {
            "stichtag": _dates(np.full(pupils.size + n_out, d)),
            "schueler_pseudonym": pl.concat([_pseudo(p.id[pupils], keys["person"]), _pseudo(out_ids, keys["person"])]),
            "geburtsjahr": np.concatenate([_birth_year(w, pupils), stichtag.year - out_age - 1]),
            "geschlecht": _str(np.concatenate([SEXES[p.sex[pupils]], SEXES[rng.integers(0, 2, n_out)]])),
            "staatsangehoerigkeit_iso3": _str(np.concatenate([iso, np.full(n_out, "NLD" if dutch else "DEU", object)])),
            "schulform": _str(np.concatenate([_school_form(page, rng, dutch), _school_form(out_age, rng, dutch)])),
            "klassenart": _str(np.concatenate([klass, np.full(n_out, "REGEL", object)])),
            "wohnbezirk": _str(np.concatenate([wb, np.full(n_out, None, object)])),
            "schule_id": _str(
                np.concatenate([sid, school[rng.integers(0, school.size, n_out)]])
                if not dutch
                else np.full(pupils.size + n_out, None, object)
            ),
        }
    )
    truth = {"children": kids, "age": age, "attends": attends, "registered": registered, "non_resident_pupils": n_out}
    return frame, truth


def sgb2_units(w: CityWorld, d: int) -> dict[str, np.ndarray]:
    """Members of Bedarfsgemeinschaften on day d (person-level)."""
    m = w.sgb2_members(d)
    age = w.age_at(m, d)
    return {"person": m, "hh": w.p.hh[m], "able": (age >= 15) & (age < 65)}


def drop_late_cases(units: dict, rng, share: float) -> dict:
    """Provisional figures: the cases processed late are not in yet."""
    hh = np.unique(units["hh"])
    late = hh[rng.random(hh.size) < share]
    keep = ~np.isin(units["hh"], late)
    return {k: v[keep] for k, v in units.items()}


def sgb2_aggregate(w: CityWorld, units: dict, month: str, d: int) -> pl.DataFrame:
    codes = geo.sgb2_codes(w.city, to_date(d))
    districts = list(dict.fromkeys(codes))
    dist_idx = np.array([districts.index(c) for c in codes])
    person, able = units["person"], units["able"]
    # the Jobcenter counts a person where the register has them
    di = dist_idx[w.p.reg_cell_f[person].clip(0)] if person.size else np.empty(0, np.int64)
    g = w.p.group[person].astype(np.int64)
    nd = len(districts)
    counts = np.zeros((nd, 6, 4), dtype=np.int64)
    for k, sel in ((1, able), (2, ~able)):
        np.add.at(counts[:, :, k], (di[sel], g[sel]), 1)
    counts[:, :, 3] = counts[:, :, 1] + counts[:, :, 2]
    # a BG counts where its members live, in the group of its first member
    hh = units["hh"]
    if hh.size:
        _, first = np.unique(hh, return_index=True)
        np.add.at(counts[:, :, 0], (di[first], g[first]), 1)
    counts[:, 5, :] = counts[:, :5, :].sum(axis=1)
    shown = suppress(counts)
    rows = []
    for i, code in enumerate(districts):
        for j, grp in enumerate(SGB2_GROUP_ROWS):
            rows.append([month, code, grp, *shown[i, j]])
    return pl.DataFrame(rows, schema=["monat", "bezirk", "staatsangehoerigkeit_gruppe", *SGB2_MEASURES], orient="row")


def suppress(counts: np.ndarray) -> np.ndarray:
    """Cells as text with `*` for 1 and 2 and for every cell that would reveal one.

    counts[district, group(5)+total, measure]; linear relations: the five groups add up to
    INSGESAMT (per district and measure), and elb + nef = personen_in_bg (per row). A relation
    with exactly one hidden cell would reveal it, so a second cell of that relation is hidden
    (the smallest one shown, preferring non-zero cells), until no relation has exactly one.
    """
    hidden = (counts == 1) | (counts == 2)
    nd = counts.shape[0]
    relations = []
    for i in range(nd):
        for m in range(4):
            relations.append([(i, j, m) for j in range(6)])
        for j in range(6):
            relations.append([(i, j, 1), (i, j, 2), (i, j, 3)])
    changed = True
    while changed:
        changed = False
        for rel in relations:
            if sum(hidden[c] for c in rel) != 1:
                continue
            shown = [c for c in rel if not hidden[c]]
            shown.sort(key=lambda c: (counts[c] == 0, counts[c]))
            hidden[shown[0]] = True
            changed = True
    out = counts.astype(str).astype(object)
    out[hidden] = "*"
    return out


def sgb2_persons(w: CityWorld, units: dict, month: str, d: int, keys: dict) -> pl.DataFrame:
    person = units["person"]
    cell = w.p.reg_cell_f[person].astype(np.int64)
    return pl.DataFrame(
        {
            "monat": [month] * person.size,
            "person_pseudonym": _pseudo(w.p.id[person], keys["person"]),
            "geburtsjahr": _birth_year(w, person),
            "geschlecht": _str(SEXES[w.p.sex[person]]),
            "staatsangehoerigkeit": _str(_nat(w, w.p.nat[person].astype(np.int64))),
            "bezirk": _str(_codes_on(w, cell, np.full(person.size, d))),
            "bg_pseudonym": _pseudo(w.h.id[units["hh"]], keys["bg"]),
            "erwerbsfaehig": _str(np.where(units["able"], "J", "N").astype(object)),
        },
        schema_overrides={"monat": pl.String},
    )


def beratung(w: CityWorld, contacts: dict, keys: dict) -> pl.DataFrame:
    person = contacts["person"]
    order = np.argsort(contacts["date"], kind="stable")
    person = person[order]
    return pl.DataFrame(
        {
            "kontakt_datum": _dates(contacts["date"][order]),
            "person_pseudonym": _pseudo(w.p.id[person], keys["person"]),
            "geburtsjahr": _birth_year(w, person),
            "geschlecht": _str(SEXES[w.p.sex[person]]),
            "staatsangehoerigkeit": _str(_nat(w, w.p.nat[person].astype(np.int64))),
            "stelle": _str(
                np.array(["ORIENTIERUNG", "AUFSUCHEND", "GESUNDHEIT"], dtype=object)[contacts["stelle"][order]]
            ),
            "gemeldet_angabe": _str(np.array(["ja", "nein", "unbekannt"], dtype=object)[contacts["said"][order]]),
        }
    )


def problem_properties(w: CityWorld, d: int, keys: dict) -> pl.DataFrame:
    props = w.properties
    idx = np.arange(len(props))
    checked = np.array([pr.last_check >= 0 for pr in props], dtype=bool)

    def col(attr):
        return pl.Series([getattr(pr, attr) if pr.last_check >= 0 else None for pr in props], dtype=pl.Int64)

    return pl.DataFrame(
        {
            "stichtag": _dates(np.full(len(props), d)),
            "objekt_id": [f"OBJ{i:05d}" for i in idx],
            "adresse_pseudonym": _pseudo(w._problem_addr(idx), keys["address"]),
            "bezirk": _str(_codes_on(w, np.array([pr.cell for pr in props], dtype=np.int64), np.full(len(props), d))),
            "status": [PROBLEM_STATUS[pr.status] for pr in props],
            "wohneinheiten": pl.Series([pr.units for pr in props], dtype=pl.Int64),
            "leerstand_we": pl.Series([pr.vacancy for pr in props], dtype=pl.Int64),
            "aufnahme_datum": _dates(np.array([pr.since for pr in props])),
            "letzte_kontrolle": _dates(np.where(checked, [pr.last_check for pr in props], -1)),
            "gemeldet_laut_register": col("registered"),
            "angetroffen_gemeldet": col("found_registered"),
            "angetroffen_nicht_gemeldet": col("found_unregistered"),
        }
    )


def dwelling_stock(w: CityWorld, d: int, year_index: int) -> pl.DataFrame:
    codes = _codes_on(w, np.arange(len(w.cells), dtype=np.int64), np.full(len(w.cells), d))
    pop = np.bincount(w.h.cell[w.p.hh[w.p.present]], minlength=len(w.cells))
    rng = np.random.default_rng(zlib.crc32(f"{w.city}:{year_index}".encode()))
    units = np.maximum(5, np.round(pop / 1.9 * (1 + 0.004 * year_index))).astype(np.int64)
    df = pl.DataFrame(
        {
            "stichtag": _dates(np.full(len(codes), d)),
            "bezirk": _str(codes),
            "wohneinheiten": units,
            "leerstand_we": np.round(units * rng.uniform(0.02, 0.08, len(codes))).astype(np.int64),
            "gefoerderte_we": np.round(units * rng.uniform(0.03, 0.12, len(codes))).astype(np.int64),
        }
    )
    # merged districts (reform) appear once with their summed stock
    return df.group_by("stichtag", "bezirk", maintain_order=True).agg(pl.all().sum())


def gebiete(areas: list[geo.Area]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "bezirk_code": [a.code for a in areas],
            "bezirk_name": [a.name for a in areas],
            "ebene": [a.level for a in areas],
            "uebergeordnet_code": pl.Series([a.parent or None for a in areas], dtype=pl.String),
            "gueltig_ab": pl.Series([a.valid_from for a in areas], dtype=pl.Date),
            "gueltig_bis": pl.Series([a.valid_to for a in areas], dtype=pl.Date),
            "flaeche_ha": pl.Series([a.area_ha for a in areas], dtype=pl.Int64),
        }
    )
