"""Truth tables of the demo world (what the pipeline can never see; it never reads them).

Columns are described in ingest/demo/README.md. Counts are of persons on a date.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from ingest.demo import calibration as cal
from ingest.demo.sources import _birth_year, _codes_on
from ingest.demo.world import CityWorld, to_date
from warehouse.vocabulary import WHOLE

BAND_EDGES = np.array(cal.AGE_BAND_EDGES[1:-1])
N_GROUPS, N_BANDS = len(cal.GROUPS), len(cal.AGE_BANDS)
CELLS_PER_CODE = N_GROUPS * N_BANDS


def age_band(age: np.ndarray) -> np.ndarray:
    return np.searchsorted(BAND_EDGES, age, side="right")


def _groups(w: CityWorld) -> tuple[str, ...]:
    return cal.GROUP_LABELS_NL if w.country == "NL" else cal.GROUPS


def _count(w: CityWorld, d: int, persons: np.ndarray, cells: np.ndarray, n_codes: int, codes_idx) -> np.ndarray:
    g = w.p.group[persons].astype(np.int64)
    b = age_band(w.age_at(persons, d)).astype(np.int64)
    key = (codes_idx[cells.astype(np.int64)] * N_GROUPS + g) * N_BANDS + b
    return np.bincount(key, minlength=n_codes * CELLS_PER_CODE)


def stock_snapshot(w: CityWorld, d: int, quarter: str) -> pl.DataFrame:
    """Per district, nationality group and age band on a quarter end."""
    p, h = w.p, w.h
    codes = _codes_on(w, np.arange(len(w.cells), dtype=np.int64), np.full(len(w.cells), d))
    uniq = list(dict.fromkeys(codes))
    codes_idx = np.array([uniq.index(c) for c in codes])
    n = len(uniq)
    present = np.flatnonzero(p.present)
    registered = np.flatnonzero(p.reg)
    reg_present = registered[p.present[registered]]
    reg_gone = registered[~p.present[registered]]
    unreg = present[~p.reg[present]]
    cols = {
        "residents": _count(w, d, present, h.cell[p.hh[present]], n, codes_idx),
        "registered": _count(w, d, registered, p.reg_cell[registered], n, codes_idx),
        "registered_present": _count(w, d, reg_present, p.reg_cell[reg_present], n, codes_idx),
        "registered_gone": _count(w, d, reg_gone, p.reg_cell[reg_gone], n, codes_idx),
        "resident_unregistered": _count(w, d, unreg, h.cell[p.hh[unreg]], n, codes_idx),
    }
    k = np.arange(n * CELLS_PER_CODE)
    df = pl.DataFrame(
        {
            "city": w.city,
            "quarter": quarter,
            "stichtag": to_date(d),
            "bezirk": [uniq[i] for i in k // CELLS_PER_CODE],
            "nationality_group": [_groups(w)[i] for i in (k // N_BANDS) % N_GROUPS],
            "age_band": [cal.AGE_BANDS[i] for i in k % N_BANDS],
            **{c: v.astype(np.int64) for c, v in cols.items()},
        }
    )
    return df.filter(pl.sum_horizontal(list(cols)) > 0)


def strata_snapshot(w: CityWorld, d: int) -> pl.DataFrame:
    """The truth in the generator-independent format of estimation.validate (METHODS.md,
    "Validation on any world"): one row per stratum as the warehouse defines it - the whole city
    (`district` INSGESAMT) per group x standard band with age = year(stichtag) - birth year, and
    per district x group (`age_band` INSGESAMT): residents, registered, registered_gone and
    unregistered. Registered and gone count where the register has them, residents and the
    unregistered where they live."""
    p, h = w.p, w.h
    codes = _codes_on(w, np.arange(len(w.cells), dtype=np.int64), np.full(len(w.cells), d))
    uniq = list(dict.fromkeys(codes))
    codes_idx = np.array([uniq.index(c) for c in codes])
    year = to_date(d).year
    present = np.flatnonzero(p.present)
    registered = np.flatnonzero(p.reg)
    parts = {
        "residents": (present, h.cell[p.hh[present]]),
        "registered": (registered, p.reg_cell[registered]),
        "registered_gone": (registered[~p.present[registered]], p.reg_cell[registered[~p.present[registered]]]),
        "unregistered": (present[~p.reg[present]], h.cell[p.hh[present[~p.reg[present]]]]),
    }
    n_groups, n_bands = len(cal.GROUPS), len(cal.AGE_BANDS)
    city, districts = {}, {}
    for name, (persons, cells) in parts.items():
        g = w.p.group[persons].astype(np.int64)
        b = age_band(year - _birth_year(w, persons)).astype(np.int64)
        city[name] = np.bincount(g * n_bands + b, minlength=n_groups * n_bands)
        districts[name] = np.bincount(codes_idx[cells.astype(np.int64)] * n_groups + g, minlength=len(uniq) * n_groups)
    labels = _groups(w)
    kc, kd = np.arange(n_groups * n_bands), np.arange(len(uniq) * n_groups)
    whole = pl.DataFrame(
        {
            "district": WHOLE,
            "nationality_group": [labels[i] for i in kc // n_bands],
            "age_band": [cal.AGE_BANDS[i] for i in kc % n_bands],
            **{c: v.astype(np.int64) for c, v in city.items()},
        }
    )
    by_district = pl.DataFrame(
        {
            "district": [uniq[i] for i in kd // n_groups],
            "nationality_group": [labels[i] for i in kd % n_groups],
            "age_band": WHOLE,
            **{c: v.astype(np.int64) for c, v in districts.items()},
        }
    )
    out = pl.concat([whole, by_district]).filter(pl.sum_horizontal(list(parts)) > 0)
    return out.select(pl.lit(w.city).alias("city"), pl.lit(to_date(d)).alias("stichtag"), pl.all())


def school_snapshot(w: CityWorld, d: int, truth: dict) -> pl.DataFrame:
    """Resident children 6-18 on the school census day and whether they attend."""
    kids, attends, reg = truth["children"], truth["attends"], truth["registered"]
    g = w.p.group[kids]
    band = age_band(truth["age"])
    code = _codes_on(w, w.h.cell[w.p.hh[kids]].astype(np.int64), np.full(kids.size, d))
    df = pl.DataFrame({"bezirk": code.tolist(), "g": g, "b": band, "attends": attends, "reg": reg})
    out = df.group_by("bezirk", "g", "b").agg(
        residents=pl.len(),
        residents_registered=pl.col("reg").sum(),
        attending=pl.col("attends").sum(),
        attending_registered=(pl.col("attends") & pl.col("reg")).sum(),
        attending_unregistered=(pl.col("attends") & ~pl.col("reg")).sum(),
    )
    labels = _groups(w)
    return out.select(
        pl.lit(w.city).alias("city"),
        pl.lit(to_date(d)).alias("stichtag"),
        "bezirk",
        pl.col("g").map_elements(lambda i: labels[i], return_dtype=pl.String).alias("nationality_group"),
        pl.col("b").map_elements(lambda i: cal.AGE_BANDS[i], return_dtype=pl.String).alias("age_band"),
        pl.col("residents", "residents_registered", "attending", "attending_registered", "attending_unregistered").cast(
            pl.Int64
        ),
        pl.lit(truth["non_resident_pupils"], dtype=pl.Int64).alias("non_resident_pupils_city"),
    ).sort("bezirk", "nationality_group", "age_band")


def flow_rows(w: CityWorld, month: str) -> list[dict]:
    labels = _groups(w)
    return [
        {"city": w.city, "month": month, "nationality_group": labels[g], **{k: int(v[g]) for k, v in w.flows.items()}}
        for g in range(5)
    ]
