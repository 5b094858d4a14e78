"""Calibration figures measured on a generated demo world: from the delivery FILES as a city
would send them (read with plain polars, not with the pipeline) and from the truth tables."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import polars as pl

EU2 = ("125", "154")


def read_ewo(path: Path) -> pl.DataFrame:
    lines = path.read_bytes().decode("cp1252").split("\r\n")
    assert lines[-1] == "" and lines[-2].startswith("Summe Datensaetze: ")
    body = "\n".join(lines[:-2])
    df = pl.read_csv(io.StringIO(body), separator=";", infer_schema=False)
    assert df.height == int(lines[-2].split(": ")[1])
    return df


def read_xlsx(path: Path) -> pl.DataFrame:
    return pl.read_excel(path, engine="calamine", read_options={"header_row": 3}, infer_schema_length=0)


def _year(s: str) -> int:
    return int(s[-4:]) if "." in s else int(s[:4])


def dortmund(landing: Path, year: int) -> dict[str, float]:
    d = landing / "dortmund"
    stock = read_ewo(d / "bestand" / f"{year}-12-31.csv")
    eu2 = stock.filter(pl.col("STAATSANG").is_in(["125", "154"]))
    stichtag = date(year, 12, 31)
    since = eu2["ZUZUG_DATUM"].fill_null("").to_list()
    long = sum(1 for s in since if s and (stichtag - date.fromisoformat(s)).days >= 3 * 365)
    ages = eu2.select((year - pl.col("GEBJ").cast(pl.Int32)).alias("a"))["a"]
    events = pl.concat([read_ewo(d / "meldewesen" / f"{year}-{m:02d}.csv") for m in range(1, 13)])
    inflow = events.filter(
        pl.col("ART").is_in(["10", "11", "12", "13"]) & pl.col("STAATSANG").is_in(EU2) & (pl.col("BEZ_NEU") == "02")
    )
    pupils = read_ewo(d / "schule" / f"{year}-10-15.csv")
    autumn = read_ewo(d / "bestand" / f"{year}-09-30.csv").filter(pl.col("STAATSANG").is_in(EU2))
    reg_6_14 = autumn.filter(
        ((year - pl.col("GEBJ").cast(pl.Int32)) >= 6) & ((year - pl.col("GEBJ").cast(pl.Int32)) <= 14)
    )
    eu2_pupils = pupils.filter(pl.col("STAATSANGEHOERIGKEIT_ISO3").is_in(["BGR", "ROU"]))
    props = read_ewo(d / "wohnen" / f"{year}-12-31_problemimmobilien.csv")
    return {
        "dortmund_eu2_registered": eu2.height,
        "dortmund_eu2_share_nordstadt": eu2.filter(pl.col("BEZIRK") == "02").height / eu2.height,
        "dortmund_eu2_registered_3y": long / eu2.height,
        "dortmund_eu2_age_15_44": ((ages >= 15) & (ages < 45)).mean(),
        "dortmund_nordstadt_eu2_inflow_to_stock": inflow.height / eu2.filter(pl.col("BEZIRK") == "02").height,
        "dortmund_eu2_pupils_to_registered_6_14": eu2_pupils.height / max(reg_6_14.height, 1),
        "dortmund_problem_properties": props.height,
        "dortmund_problem_properties_nordstadt_share": props.filter(pl.col("BEZIRK") == "02").height / props.height,
    }


def duisburg(landing: Path, year: int) -> dict[str, float]:
    d = landing / "duisburg"
    stock = read_xlsx(d / "bestand" / f"{year}-12-31.xlsx")
    eu2 = stock.filter(pl.col("staatsangehoerigkeit").is_in(EU2))
    gebiete = read_xlsx(d / "gebiete" / "current.xlsx")
    code = dict(zip(gebiete["bezirk_name"], gebiete["bezirk_code"]))
    share = lambda name: eu2.filter(pl.col("bezirk") == code[name]).height / eu2.height
    stichtag = date(year, 12, 31)
    since = eu2["zuzug_datum"].fill_null("").to_list()
    long = sum(1 for s in since if s and (stichtag - date.fromisoformat(s[:10])).days >= 3 * 365)
    ages = eu2.select((year - pl.col("geburtsjahr").cast(pl.Float64).cast(pl.Int32)).alias("a"))["a"]
    props = pl.concat([read_xlsx(d / "wohnen" / f"{y}-12-31_problemimmobilien.xlsx") for y in (year - 1, year)])
    checked = props.filter(pl.col("letzte_kontrolle").is_not_null()).unique(["letzte_kontrolle", "objekt_id"])
    num = lambda c: checked[c].cast(pl.Float64).sum()
    return {
        "duisburg_eu2_registered": eu2.height,
        "duisburg_eu2_share_hochfeld": share("Hochfeld"),
        "duisburg_eu2_share_marxloh": share("Marxloh"),
        "duisburg_eu2_share_bruckhausen": share("Bruckhausen"),
        "duisburg_eu2_registered_3y": long / eu2.height,
        "duisburg_eu2_age_15_44": ((ages >= 15) & (ages < 45)).mean(),
        "duisburg_eu2_bg_to_ro": eu2.filter(pl.col("staatsangehoerigkeit") == "125").height
        / max(eu2.filter(pl.col("staatsangehoerigkeit") == "154").height, 1),
        "duisburg_inspection_registered_not_found": 1 - num("angetroffen_gemeldet") / num("gemeldet_laut_register"),
        "duisburg_inspection_found_not_registered": num("angetroffen_nicht_gemeldet")
        / (num("angetroffen_gemeldet") + num("angetroffen_nicht_gemeldet")),
        "inspections": checked.height,
    }
