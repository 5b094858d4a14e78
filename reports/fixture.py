"""A small synthetic warehouse with the documented alliance-layer shapes (see reports/data.py).

Used by the tests and by `bench_render` when no published warehouse exists. Everything in it is
invented and it is marked synthetic (meta.load_runs.synthetic = true), so a report built from it
says so on its cover and in its footer.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import polars as pl

from ingest.schemas import create_raw_tables

# indicator_id, topic, unit, name de / en / nl, definition (en, used for all three here)
CATALOGUE = [
    ("stock", "stock", "persons", "Gemeldete Personen", "Registered persons", "Ingeschreven personen",
     "Persons with main residence in the register at the end of the quarter."),
    ("inflows", "flows", "count", "Zuzüge", "Inflows", "Vestigingen",
     "Moves into the city across its boundary during the quarter (cases)."),
    ("outflows", "flows", "count", "Fortzüge", "Outflows", "Vertrekken",
     "Moves out of the city across its boundary during the quarter, incl. ex-officio deregistrations."),
    ("fluctuation_rate", "flows", "per_1000", "Fluktuationsrate", "Fluctuation rate", "Verloopcijfer",
     "(Inflows + outflows) per 1,000 of the average registered population of the group."),
    ("dwell_share_3y", "dwell", "percent", "Anteil ≥ 3 Jahre gemeldet", "Share registered ≥ 3 years",
     "Aandeel ≥ 3 jaar ingeschreven", "Share of the stock registered in the city for three years or longer."),
    ("top_district_share", "concentration", "percent", "Anteil im Schwerpunktbezirk", "Share in top district",
     "Aandeel in grootste wijk", "Share of the group living in the district where most of them live."),
    ("segregation_index", "concentration", "index", "Segregationsindex", "Segregation index",
     "Segregatie-index", "Index of dissimilarity against all other residents over districts (0-1)."),
    ("pupils_newcomer_classes", "services", "count", "Schüler/-innen in Erstförderung",
     "Pupils in newcomer classes", "Leerlingen in nieuwkomersklassen", "Pupils in newcomer classes on census day."),
    ("sgb2_rate", "services", "percent", "SGB-II-Quote", "SGB II rate", "SGB II-quotum",
     "Persons in SGB II benefit units per registered persons of the group (German cities only)."),
]
GROUPS = {"stock": ["EU2", "ASYL8", "AUSL"], "inflows": ["AUSLAND", "INLAND"],
          "outflows": ["AUSLAND", "INLAND"], "fluctuation_rate": ["EU2", "ASYL8"],
          "dwell_share_3y": ["EU2", "ASYL8"], "top_district_share": ["EU2"], "segregation_index": ["EU2"],
          "pupils_newcomer_classes": ["EU2"], "sgb2_rate": ["EU2", "ASYL8"]}


def quarters_until(last: str, n: int) -> list[str]:
    year, q = int(last[:4]), int(last[-1])
    out = []
    for _ in range(n):
        out.append(f"{year}-Q{q}")
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    return out[::-1]


def _indicator_rows(cities: list[str], quarters: list[str], rng) -> list[dict]:
    rows = []
    for ci, city in enumerate(cities):
        size = 1.0 + ci * 0.4
        for qi, quarter in enumerate(quarters):
            growth = 1 + 0.02 * qi
            base = {"EU2": 3000, "ASYL8": 2200, "AUSL": 60000, "AUSLAND": 1500, "INLAND": 1100}
            for iid, _topic, unit, *_ in CATALOGUE:
                for g in GROUPS[iid]:
                    row = {"city": city, "indicator_id": iid, "period": quarter, "group_code": g,
                           "basis": "register", "is_suppressed": False, "is_provisional": qi == len(quarters) - 1,
                           "is_break": False, "is_not_comparable": False, "comparability_note": None,
                           "value": None, "numerator": None, "denominator": None, "ci_lower": None,
                           "ci_upper": None}
                    if unit in ("persons", "count") and iid != "pupils_newcomer_classes":
                        row["value"] = float(round(base[g] * size * growth * rng.uniform(0.95, 1.05)))
                    elif iid == "pupils_newcomer_classes":
                        v = int(rng.integers(0, 40))
                        row["value"] = float(v)
                        if v in (1, 2) or (city == cities[-1] and quarter == quarters[-1]):
                            # suppressed as the alliance layer delivers it
                            row.update(value=None, is_suppressed=True)
                    elif iid == "sgb2_rate" and city == "enschede":
                        row.update(is_not_comparable=True, comparability_note="no SGB II in NL")
                    else:
                        den = round(base.get(g, 3000) * size * growth)
                        val = {"percent": rng.uniform(5, 45), "per_1000": rng.uniform(150, 900),
                               "index": rng.uniform(0.2, 0.6)}[unit]
                        row.update(value=round(val, 3), denominator=float(den))
                        if unit == "percent":
                            row["numerator"] = float(round(den * val / 100))
                        half = 1.96 * np.sqrt(max(val * (100 - val), 1) / den) if unit == "percent" else val * 0.05
                        row.update(ci_lower=round(val - half, 3), ci_upper=round(val + half, 3))
                    rows.append(row)
    df = pl.DataFrame(rows, infer_schema_length=None)
    return df.with_columns(rank=pl.col("value").rank("min", descending=True)
                           .over("indicator_id", "period", "group_code").cast(pl.Int32)).to_dicts()


def build_fixture_warehouse(path: Path | str, cities: list[str], quarter: str = "2026-Q3", *,
                            blocked_city: str | None = None, n_quarters: int = 8, seed: int = 7) -> Path:
    """Write a synthetic warehouse for `cities` (slugs) with `n_quarters` up to `quarter`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    quarters = quarters_until(quarter, n_quarters)
    live = [c for c in cities if c != blocked_city]
    ind = pl.DataFrame(_indicator_rows(live, quarters, rng), infer_schema_length=None)
    if blocked_city:   # the blocked city has earlier quarters but not the report quarter
        ind = pl.concat([ind, pl.DataFrame(_indicator_rows([blocked_city], quarters[:-1], rng), infer_schema_length=None)], how="diagonal")
    cat = pl.DataFrame([{"indicator_id": i, "topic": t, "unit": u, "name_de": de, "name_en": en, "name_nl": nl,
                         "definition_de": d, "definition_en": d, "definition_nl": d}
                        for i, t, u, de, en, nl, d in CATALOGUE])
    ret = pl.DataFrame([{"city": c, "group_code": g, "months": m,
                         "retention": float(np.exp(-m / (20 + 6 * k))),
                         "ci_lower": float(np.exp(-m / (18 + 6 * k))), "ci_upper": float(np.exp(-m / (22 + 6 * k)))}
                        for k, c in enumerate(live) for g in ("EU2", "ASYL8") for m in range(0, 61, 3)])
    dz = pl.DataFrame([{"city": c, "period": quarter, "method": m, "estimate": float(400 + 90 * k + 50 * j),
                        "ci_lower": float(250 + 80 * k), "ci_upper": float(700 + 120 * k + 50 * j),
                        "assumptions": "independent capture in register and counselling contacts"}
                       for k, c in enumerate(live) for j, m in enumerate(("capture-recapture", "log-linear"))])
    off = pl.DataFrame([{"city": c, "period": "2025", "indicator_id": "inflows",
                         "register_value": float(30000 + 1000 * k), "official_value": float(29000 + 990 * k),
                         "official_rounding": None} for k, c in enumerate(live)]
                       + [{"city": live[0], "period": "2024-12-31", "indicator_id": "stock",
                           "register_value": 5012.0, "official_value": 4995.0, "official_rounding": "multiples of 5"}])
    now = dt.datetime(2026, 10, 20, 8, 0)
    months = ["2026-07", "2026-08", "2026-09"]
    with duckdb.connect(str(path)) as con:
        create_raw_tables(con)
        for schema in ("reference", "alliance"):
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for name, df in (("reference.indicator_catalogue", cat), ("alliance.fct_intercity_indicators", ind),
                         ("alliance.fct_retention_curves", ret), ("alliance.fct_dunkelziffer_estimates", dz),
                         ("alliance.fct_register_vs_official", off)):
            con.register("df_view", df.to_arrow())
            con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM df_view")
            con.unregister("df_view")
        con.execute("INSERT INTO meta.load_runs VALUES ('fixture-1', ?, ?, '/tmp/landing', true, 10, 1, 0, 1, 0)",
                    [now, now])
        for k, c in enumerate(cities):
            for m in months:
                late = dt.datetime(2026, 11, 20) if (k == 1 and m == "2026-07") else now
                con.execute("INSERT INTO meta.delivery_registry (delivery_file, city, source, form, period, version, "
                            "file_sha256, registered_at, received_at, status) VALUES (?, ?, 'meldewesen', '', ?, 1, ?, ?, ?, ?)",
                            [f"{c}/meldewesen/{m}.csv", c, m, f"{k}{m}".ljust(64, "0"), now, late,
                             "quarantined" if c == blocked_city else "loaded"])
                con.execute("INSERT INTO meta.quality_results VALUES ('q1', ?, ?, 'raw.meldewesen', ?, "
                            "'event_types_known', 'error', ?, 0, NULL, NULL)",
                            [now, c, m, "failed" if c == blocked_city else "passed"])
            con.execute("INSERT INTO meta.delivery_registry (delivery_file, city, source, form, period, version, "
                        "file_sha256, registered_at, received_at, status) VALUES (?, ?, 'meldewesen', '', '2026-04', 2, ?, ?, ?, 'loaded')",
                        [f"{c}/meldewesen/2026-04_v2.csv", c, f"v2{k}".ljust(64, "1"), now, now])
        if blocked_city:
            con.execute("INSERT INTO meta.quality_gate VALUES (?, 'meldewesen', '', '2026-08', 'event_types_known', "
                        "'unknown event type codes in 12 % of rows', ?)", [blocked_city, now])
    return path
