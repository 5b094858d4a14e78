"""A small, internally consistent raw layer for the quality tests (two cities, 2023-09 .. 2024-06).

Built directly as raw rows (ingest's contract, ingest/schemas.py) so that these tests do not
depend on the loader: every stock equals the previous stock plus the quarter's recorded
movements, with a few naturalisations (nationality changes without a movement event).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import polars as pl

from ingest.schemas import COLUMNS, table_schema

CITIES = {"wuppertal": ("DE", ["01", "02", "03"]), "enschede": ("NL", ["WK015301", "WK015302"])}
MONTHS = [f"2023-{m:02d}" for m in (10, 11, 12)] + [f"2024-{m:02d}" for m in range(1, 7)]
STOCK_DAYS = ["2023-09-30", "2023-12-31", "2024-03-31", "2024-06-30"]
NATS_DE = ["000"] * 6 + ["125", "154", "163", "475", "152"]
NATS_NL = ["148"] * 6 + ["000", "125", "154", "475"]
INFLOW, OUTFLOW = ["ZU_AUSLAND", "ZU_INLAND", "ZU_UNBEKANNT"], ["FO_AUSLAND", "FO_INLAND", "AVA"]
LOADED = datetime(2024, 7, 15, 2, 0)


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _month_days(month: str) -> list[date]:
    first = date.fromisoformat(month + "-01")
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return [first + timedelta(days=i) for i in range((nxt - first).days)]


def _prov(rows: list[dict], city: str, source_dir: str, period: str) -> list[dict]:
    for i, r in enumerate(rows):
        r.update(
            city=city,
            delivery_file=f"{city}/{source_dir}/{period}.csv",
            file_sha256="0" * 64,
            delivery_period=period,
            delivery_version=1,
            source_line=i + 2,
            received_at=LOADED,
            loaded_at=LOADED,
        )
    return rows


def build(seed: int = 7, persons: int = 500) -> dict[str, pl.DataFrame]:
    rng = random.Random(seed)
    rows: dict[str, list[dict]] = {t: [] for t in COLUMNS}
    for city, (country, districts) in CITIES.items():
        nats = NATS_NL if country == "NL" else NATS_DE
        pop = {}
        for _ in range(persons):
            pop[_hex(rng)] = {
                "geburtsjahr": rng.randint(1940, 2020),
                "geschlecht": rng.choice("mw"),
                "staatsangehoerigkeit": rng.choice(nats),
                "bezirk": rng.choice(districts),
                "adresse_pseudonym": _hex(rng),
                "zuzug_datum": date(2015, 1, 1),
            }
        rows["gebiete"] += _prov(
            [
                {
                    "bezirk_code": d,
                    "bezirk_name": f"Bezirk {d}",
                    "ebene": "wijk" if country == "NL" else "stadtbezirk",
                    "uebergeordnet_code": None,
                    "gueltig_ab": date(2000, 1, 1),
                    "gueltig_bis": None,
                    "flaeche_ha": 500.0,
                }
                for d in districts
            ]
            # Codes of an old reform, long expired (they must not count as valid now).
            + [
                {
                    "bezirk_code": f"A{i}",
                    "bezirk_name": f"Alt {i}",
                    "ebene": "stadtbezirk",
                    "uebergeordnet_code": None,
                    "gueltig_ab": date(1990, 1, 1),
                    "gueltig_bis": date(1999, 12, 31),
                    "flaeche_ha": 300.0,
                }
                for i in range(6 if country == "DE" else 0)
            ],
            city,
            "gebiete",
            "current",
        )

        def snapshot(day: str, pop=pop, city=city):  # bound now: called inside this iteration
            rows["bestand"] += _prov(
                [
                    {
                        "stichtag": date.fromisoformat(day),
                        "person_pseudonym": p,
                        "staatsangehoerigkeit_2": None,
                        "einzug_datum": a["zuzug_datum"],
                        **a,
                    }
                    for p, a in pop.items()
                ],
                city,
                "bestand",
                day,
            )

        snapshot(STOCK_DAYS[0])
        event_no = 0
        for month in MONTHS:
            days = _month_days(month)
            events = []
            for kind in rng.choices(["in", "out", "birth", "death", "move"], weights=[8, 6, 2, 2, 4], k=22):
                day = rng.choice(days[3:])
                ev = {
                    "ereignis_datum": day - timedelta(days=rng.randint(0, 3)),
                    "meldedatum": day,
                    "herkunft_ziel": None,
                    "bezirk_alt": None,
                    "bezirk_neu": None,
                    "staatsangehoerigkeit_2": None,
                }
                if kind in ("in", "birth"):
                    p = _hex(rng)
                    a = {
                        "geburtsjahr": day.year if kind == "birth" else rng.randint(1950, 2010),
                        "geschlecht": rng.choice("mw"),
                        "staatsangehoerigkeit": rng.choice(nats),
                        "bezirk": rng.choice(districts),
                        "adresse_pseudonym": _hex(rng),
                        "zuzug_datum": None if kind == "birth" else day,
                    }
                    art = "GEBURT" if kind == "birth" else rng.choice(INFLOW)
                    pop[p] = a
                    ev.update(ereignis_art=art, bezirk_neu=a["bezirk"])
                    if art == "ZU_AUSLAND":
                        ev["herkunft_ziel"] = (
                            a["staatsangehoerigkeit"] if a["staatsangehoerigkeit"] not in ("000", "148") else "163"
                        )
                    elif art == "ZU_INLAND":
                        ev["herkunft_ziel"] = "GM0363" if country == "NL" else "05315000"
                else:
                    p = rng.choice(sorted(pop))
                    a = pop[p]
                    if kind == "move":
                        new = rng.choice([d for d in districts if d != a["bezirk"]])
                        ev.update(ereignis_art="UMZUG", bezirk_alt=a["bezirk"], bezirk_neu=new)
                        a["bezirk"] = new
                    else:
                        art = "TOD" if kind == "death" else rng.choice(OUTFLOW)
                        ev.update(ereignis_art=art, bezirk_alt=a["bezirk"])
                        if art == "FO_AUSLAND":
                            ev["herkunft_ziel"] = "163"
                        elif art == "FO_INLAND":
                            ev["herkunft_ziel"] = "GM0363" if country == "NL" else "05913000"
                        del pop[p]
                event_no += 1
                events.append(
                    {
                        "ereignis_id": f"{city[:3].upper()}{event_no:08d}",
                        "person_pseudonym": p,
                        "geburtsjahr": a["geburtsjahr"],
                        "geschlecht": a["geschlecht"],
                        "staatsangehoerigkeit": a["staatsangehoerigkeit"],
                        "adresse_pseudonym": a["adresse_pseudonym"],
                        **ev,
                    }
                )
            rows["meldewesen"] += _prov(events, city, "meldewesen", month)
            # Two naturalisations a month: nationality changes, no movement event.
            for p in rng.sample(
                sorted(q for q, a in pop.items() if a["staatsangehoerigkeit"] not in ("000", "148")), 2
            ):
                pop[p]["staatsangehoerigkeit"] = "148" if country == "NL" else "000"
            if month[5:] in ("03", "06", "12"):
                snapshot(f"{month}-{'31' if month[5:] in ('03', '12') else '30'}")
            if country == "DE":
                agg = []
                for d in districts:
                    for grp in ["DE", "EU2", "EU_SONST", "ASYL8", "DRITT_SONST", "INSGESAMT"]:
                        n = rng.randint(3, 5)
                        agg.append(
                            {
                                "monat": days[0],
                                "bezirk": d,
                                "staatsangehoerigkeit_gruppe": grp,
                                "bg": n,
                                "elb": n,
                                "nef": None,
                                "personen_in_bg": n + 1,
                                "bg_gesperrt": False,
                                "elb_gesperrt": False,
                                "nef_gesperrt": True,
                                "personen_in_bg_gesperrt": False,
                            }
                        )
                rows["sgb2_aggregat"] += _prov(agg, city, "sgb2", month)
                members = rng.sample(sorted(pop), 12)
                rows["sgb2_personen"] += _prov(
                    [
                        {
                            "monat": days[0],
                            "person_pseudonym": p,
                            "geburtsjahr": pop[p]["geburtsjahr"],
                            "geschlecht": pop[p]["geschlecht"],
                            "staatsangehoerigkeit": pop[p]["staatsangehoerigkeit"],
                            "bezirk": pop[p]["bezirk"],
                            "bg_pseudonym": _hex(rng),
                            "erwerbsfaehig": "J",
                        }
                        for p in members
                    ],
                    city,
                    "sgb2",
                    f"{month}_personen",
                )
                for r in rows["sgb2_personen"][-12:]:
                    r["delivery_period"] = month
            rows["beratung"] += _prov(
                [
                    {
                        "kontakt_datum": rng.choice(days),
                        "person_pseudonym": _hex(rng),
                        "geburtsjahr": 1990,
                        "geschlecht": "w",
                        "staatsangehoerigkeit": "125",
                        "stelle": "AUFSUCHEND",
                        "gemeldet_angabe": "nein",
                    }
                    for _ in range(6)
                ],
                city,
                "beratung",
                month,
            )
            if month == "2023-10":
                census = date(2023, 10, 1 if country == "NL" else 15)
                kids = [(p, a) for p, a in pop.items() if 7 <= 2023 - a["geburtsjahr"] <= 17]
                forms = ["PO", "VO"] if country == "NL" else ["GS", "GY"]
                rows["schule"] += _prov(
                    [
                        {
                            "stichtag": census,
                            "schueler_pseudonym": p,
                            "geburtsjahr": a["geburtsjahr"],
                            "geschlecht": a["geschlecht"],
                            "staatsangehoerigkeit_iso3": "DEU" if country == "DE" else "NLD",
                            "schulform": rng.choice(forms),
                            "klassenart": "REGEL",
                            "wohnbezirk": a["bezirk"],
                            "schule_id": None if country == "NL" else "S1",
                        }
                        for p, a in kids
                    ],
                    city,
                    "schule",
                    "2023-10-15",
                )
        for day in STOCK_DAYS:
            d0 = date.fromisoformat(day)
            rows["wohnen_problemimmobilien"] += _prov(
                [
                    {
                        "stichtag": d0,
                        "objekt_id": f"O{i}",
                        "adresse_pseudonym": _hex(rng),
                        "bezirk": districts[0],
                        "status": "BEOBACHTET",
                        "wohneinheiten": 10,
                        "leerstand_we": 2,
                        "aufnahme_datum": date(2022, 1, 1),
                        "letzte_kontrolle": d0 - timedelta(days=30),
                        "gemeldet_laut_register": 30,
                        "angetroffen_gemeldet": 20,
                        "angetroffen_nicht_gemeldet": 4,
                    }
                    for i in range(4)
                ],
                city,
                "wohnen",
                f"{day}_problemimmobilien",
            )
            rows["wohnen_wohnungsbestand"] += _prov(
                [
                    {"stichtag": d0, "bezirk": d, "wohneinheiten": 1000, "leerstand_we": 30, "gefoerderte_we": 100}
                    for d in districts
                ],
                city,
                "wohnen",
                f"{day}_wohnungsbestand",
            )
    for table in ("wohnen_problemimmobilien", "wohnen_wohnungsbestand"):
        for r in rows[table]:
            r["delivery_period"] = r["delivery_period"][:10]
    return {
        t: pl.DataFrame(r, schema=table_schema(t)) if r else pl.DataFrame(schema=table_schema(t))
        for t, r in rows.items()
    }


def write(world: dict[str, pl.DataFrame], warehouse) -> None:
    import duckdb

    from ingest.schemas import create_raw_tables

    con = duckdb.connect(str(warehouse))
    try:
        create_raw_tables(con)
        for table, frame in world.items():
            con.register("_rows", frame.to_arrow())
            con.execute(f"INSERT INTO raw.{table} SELECT * FROM _rows")
            con.unregister("_rows")
    finally:
        con.close()


def sql(path, statement: str, params=None):
    import duckdb

    con = duckdb.connect(str(path))
    try:
        return con.execute(statement, params or []).fetchall()
    finally:
        con.close()


def gate_rows(path) -> list[tuple]:
    return sql(path, "SELECT city, source, form, period, check_name FROM meta.quality_gate ORDER BY ALL")
