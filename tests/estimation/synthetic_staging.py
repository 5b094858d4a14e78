"""A tiny synthetic city layer (staging tables with the columns estimation reads) with known truth."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

T, CENSUS = date(2025, 9, 30), date(2025, 10, 15)


def build(path, seed: int = 1, sizes=(("DE", 3000, 30, 60), ("EU2", 1500, 400, 300))) -> dict:
    """sizes: (group, registered present, unregistered, registered gone). Returns the truth."""
    rng = np.random.default_rng(seed)
    bestand, schule, sgb2, beratung, events, truth = [], [], [], [], [], {}
    pid = 0
    for grp, present, unreg, gone in sizes:
        for status, n in (("present", present), ("unreg", unreg), ("gone", gone)):
            for _ in range(n):
                pid += 1
                p = f"{pid:032x}"
                born = 2025 - int(
                    rng.choice([3, 10, 12, 20, 30, 40, 50, 70], p=[0.1, 0.15, 0.1, 0.1, 0.2, 0.2, 0.1, 0.05])
                )
                band = _band(2025 - born)
                key = (grp, band)
                t_ = truth.setdefault(key, {"residents": 0, "unregistered": 0, "registered_gone": 0})
                t_["residents"] += status != "gone"
                t_["unregistered"] += status == "unreg"
                t_["registered_gone"] += status == "gone"
                district = "01" if rng.random() < 0.6 else "02"
                # time in the city: the gone left a while ago, so they tend to be registered longer
                years = float(rng.exponential(6 if status == "gone" else 4))
                zuzug = None if rng.random() < 0.3 and grp == "DE" else T - timedelta(int(years * 365))
                if status != "unreg":
                    bestand.append(("c", T, p, born, grp, district, zuzug, f"a{pid % 400:031x}"))
                if status != "gone" and band == "06-14" and rng.random() < (0.98 if status == "present" else 0.7):
                    schule.append(("c", CENSUS, p, born, grp, district))
                if status == "present" and rng.random() < 0.2:
                    sgb2.append(("c", date(2025, 9, 1), p, born, grp))
                if status != "gone" and rng.random() < (0.05 if status == "present" else 0.3):
                    beratung.append(("c", T - timedelta(int(rng.integers(0, 80))), p, born, grp))
                if status == "gone":  # left before T, removed ex officio after T
                    left = T - timedelta(int(rng.integers(1, 200)))
                    events.append(("c", left, T + timedelta(int(rng.integers(1, 150))), "AVA", born, grp, p))
    for _ in range(3000):  # older, complete outflows teach the lag distribution
        left = date(2021, 1, 1) + timedelta(int(rng.integers(0, 900)))
        events.append(("c", left, left + timedelta(int(rng.integers(90, 350))), "AVA", 1990, "DE", "x"))
    # The deliveries run a year past T, so every removal of a person gone by T is recorded.
    events.append(("c", T + timedelta(10), T + timedelta(400), "AVA", 1990, "DE", "y"))
    con = duckdb.connect(str(path))
    con.execute("create schema staging")
    frames = {
        "stg_bestand__persons": pl.DataFrame(
            bestand,
            schema=[
                "city",
                "stichtag",
                "person_pseudonym",
                "geburtsjahr",
                "nationality_group",
                "bezirk",
                "zuzug_datum",
                "adresse_pseudonym",
            ],
            orient="row",
        ),
        "stg_schule__pupils": pl.DataFrame(
            schule,
            schema=["city", "stichtag", "schueler_pseudonym", "geburtsjahr", "nationality_group", "residence_district"],
            orient="row",
        ),
        "stg_sgb2__persons": pl.DataFrame(
            sgb2, schema=["city", "monat", "person_pseudonym", "geburtsjahr", "nationality_group"], orient="row"
        ),
        "stg_beratung__contacts": pl.DataFrame(
            beratung,
            schema=["city", "kontakt_datum", "person_pseudonym", "geburtsjahr", "nationality_group"],
            orient="row",
        ),
        "stg_meldewesen__events": pl.DataFrame(
            events,
            schema=[
                "city",
                "ereignis_datum",
                "meldedatum",
                "ereignis_art",
                "geburtsjahr",
                "nationality_group",
                "person_pseudonym",
            ],
            orient="row",
        ),
    }
    for name, df in frames.items():
        con.register("tmp_df", df.to_arrow())
        con.execute(f"create table staging.{name} as select * from tmp_df")
        con.unregister("tmp_df")
    con.close()
    return truth


def _band(age: int) -> str:
    for edge, label in ((6, "00-05"), (15, "06-14"), (18, "15-17"), (25, "18-24"), (45, "25-44"), (65, "45-64")):
        if age < edge:
            return label
    return "65+"
