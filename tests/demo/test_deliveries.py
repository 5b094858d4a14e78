"""The demo world's files follow shared/spec/deliveries.md and the example files, and the world
behind them is consistent (register = stock + recorded events, truth identities)."""

from __future__ import annotations

import io
import re
from datetime import date, datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from ingest.config import iso3_codes, load_cities
from ingest.demo import generate
from ingest.demo.__main__ import main

EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "spec" / "examples" / "landing"
NOW = datetime(2026, 11, 1, 12, 0)
LAYOUT = re.compile(r"^(?P<period>\d{4}-\d{2}(-\d{2})?|current)(_(?P<form>[a-z]+))?(_v(?P<v>\d+))?\.(?P<ext>\w+)$")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """All eight cities, small, October 2023 - March 2024: census, year end, district reform."""
    root = tmp_path_factory.mktemp("demo")
    summary = generate(
        scale=0.01,
        seed=7,
        landing=root / "landing",
        truth=root / "truth",
        start="2023-10",
        end="2024-03",
        progress=lambda m: None,
        now=NOW,
    )
    return root / "landing", root / "truth", summary


def files(landing: Path, city: str, source: str) -> list[Path]:
    return sorted((landing / city / source).iterdir())


def current(paths: list[Path]) -> dict[str, Path]:
    """Highest version per (period, form)."""
    best: dict[tuple, tuple[int, Path]] = {}
    for p in paths:
        m = LAYOUT.match(p.name)
        key = (m["period"], m["form"])
        v = int(m["v"] or 1)
        if key not in best or v > best[key][0]:
            best[key] = (v, p)
    return {f"{k[0]}{'_' + k[1] if k[1] else ''}": v[1] for k, v in best.items()}


def read_std(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, separator=";", infer_schema=False)


def read_ewo(path: Path) -> pl.DataFrame:
    text = path.read_bytes().decode("cp1252")
    lines = text.split("\r\n")
    return pl.read_csv(io.StringIO("\n".join(lines[:-2])), separator=";", infer_schema=False)


def test_layout_marker_and_summary(world):
    landing, truth, summary = world
    assert "SYNTHETIC" in (landing / "DEMO_SYNTHETIC_DATA.txt").read_text()
    cities = load_cities()
    n = 0
    for city_dir in (p for p in landing.iterdir() if p.is_dir()):
        cfg = cities[city_dir.name]
        for source_dir in city_dir.iterdir():
            assert source_dir.name in cfg.sources
            for f in source_dir.iterdir():
                m = LAYOUT.match(f.name)
                assert m, f
                # boundaries (spec 3.8) are GeoJSON in every dialect
                assert m["ext"] == (
                    "geojson" if source_dir.name == "gebiete" and f.suffix == ".geojson" else cfg.extension
                )
                if m["form"] == "personen":
                    assert cfg.optionskommune
                n += 1
    assert n == summary.files > 0
    assert not (landing / "enschede" / "sgb2").exists()  # NL: no SGB II
    assert not (landing / "enschede" / "wohnen").exists()
    for name in ("truth.parquet", "truth_school.parquet", "truth_flows.parquet", "manifest.json"):
        assert (truth / name).exists()


def _header(path: Path) -> list[str]:
    if path.suffix == ".parquet":
        return (
            pl.read_parquet_schema(path).names()
            if hasattr(pl, "read_parquet_schema")
            else list(pl.read_parquet(path).columns)
        )
    if path.suffix == ".xlsx":
        ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
        return [c for c in next(ws.iter_rows(min_row=4, max_row=4, values_only=True)) if c is not None]
    raw = path.read_bytes()
    enc = "cp1252" if "dortmund" in path.parts else "utf-8-sig"
    first = raw.decode(enc).splitlines()[0]
    return first.split(";" if ";" in first else ",")


@pytest.mark.parametrize("city", ["dortmund", "duisburg", "muenster", "enschede", "wuppertal"])
def test_headers_equal_the_example_files(world, city):
    landing = world[0]
    checked = 0
    for example in (EXAMPLES / city).rglob("*.*"):
        m = LAYOUT.match(example.name)
        source = example.parent.name
        ours = [
            p
            for p in sorted((landing / city / source).iterdir())
            if LAYOUT.match(p.name)["form"] == m["form"] and p.suffix != ".geojson"
        ]
        assert ours, f"no {source} {m['form']} delivery for {city}"
        assert _header(ours[0]) == _header(example), (city, source, m["form"])
        checked += 1
    assert checked >= 4


def test_ewo_legacy_bytes(world):
    landing = world[0]
    for f in files(landing, "dortmund", "meldewesen") + files(landing, "dortmund", "bestand"):
        raw = f.read_bytes()
        text = raw.decode("cp1252")
        assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF"
        lines = text.split("\r\n")
        assert lines[-1] == ""
        trailer = re.fullmatch(r"Summe Datensaetze: (\d+)", lines[-2])
        assert trailer and int(trailer[1]) == len(lines) - 3
    ev = read_ewo(files(landing, "dortmund", "meldewesen")[0])
    assert set(ev["ART"]) <= {"10", "11", "12", "13", "20", "21", "22", "23", "24", "30", "40", "50"}
    assert set(ev["GESCHL"]) <= {"1", "2", "3", "4"}
    assert "0" in set(ev["STAATSANG"]) and not any(s.startswith("0") and s != "0" for s in ev["STAATSANG"])
    assert ev["DATUM_EREIGNIS"].str.contains(r"^\d\d\.\d\d\.\d{4}$").all()
    gebiete = (landing / "dortmund" / "gebiete" / "current.csv").read_bytes().decode("cp1252")
    assert "Hörde" in gebiete and "Innenstadt-Nord" in gebiete


def test_xlsx_report_layout(world):
    landing = world[0]
    ws = openpyxl.load_workbook(landing / "duisburg" / "meldewesen" / "2024-01.xlsx").worksheets[0]
    rows = list(ws.iter_rows(min_row=1, max_row=5))
    assert rows[0][0].value.startswith("Stadt Duisburg - Amt für Statistik")
    assert re.fullmatch(r"Abzug vom \d\d\.\d\d\.\d{4} \d\d:\d\d", rows[1][0].value)
    assert all(c.value is None for c in rows[2])
    assert rows[3][0].value == "ereignis_id"
    assert isinstance(rows[4][1].value, datetime) and rows[4][1].number_format == "yyyy-mm-dd"
    assert isinstance(rows[4][5].value, int)  # geburtsjahr as a number
    sgb2 = pl.read_excel(
        landing / "duisburg" / "sgb2" / "2024-01.xlsx",
        engine="calamine",
        read_options={"header_row": 3},
        infer_schema_length=0,
    )
    assert set(sgb2["bezirk"]) == {f"0{i}" for i in range(1, 8)}  # SGB II by Stadtbezirk


def test_parquet_types(world):
    landing = world[0]
    df = pl.read_parquet(landing / "muenster" / "meldewesen" / "2024-01.parquet")
    assert df.schema["ereignis_datum"] == pl.Date and df.schema["geburtsjahr"].is_integer()
    assert df["staatsangehoerigkeit"].str.len_chars().eq(3).all()


def test_brp_export(world):
    landing = world[0]
    for f in files(landing, "enschede", "meldewesen"):
        raw = f.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
    ev = pl.concat(
        [
            pl.read_csv(f, separator=",", infer_schema=False, encoding="utf8")
            for f in files(landing, "enschede", "meldewesen")
        ]
    )
    ev = ev.rename({ev.columns[0]: ev.columns[0].lstrip("\ufeff")})
    assert set(ev["soort_mutatie"]) <= {
        "vestiging_buitenland",
        "vestiging_binnenland",
        "vertrek_buitenland",
        "vertrek_binnenland",
        "vow",
        "verhuizing",
        "geboorte",
        "overlijden",
    }
    assert "vow" in set(ev["soort_mutatie"])
    assert set(ev["geslacht"]) <= {"M", "V", "O"}
    assert set(ev["nationaliteit"]) <= iso3_codes() and "NLD" in set(ev["nationaliteit"])
    binnen = ev.filter(pl.col("soort_mutatie").str.ends_with("binnenland"))["land_of_gemeente"]
    assert binnen.str.contains(r"^GM\d{4}$").all()
    wijk = pl.concat([ev["wijk_oud"], ev["wijk_nieuw"]]).drop_nulls()
    assert wijk.str.contains(r"^WK0153\d\d$").all()
    pupils = pl.read_csv(landing / "enschede" / "schule" / "2023-10-15.csv", infer_schema=False, encoding="utf8-lossy")
    assert set(pupils[pupils.columns[0]]) == {"2023-10-01"}  # census day 1 October
    assert set(pupils["nieuwkomersklas"]) <= {"J", "N"} and set(pupils["onderwijssoort"]) <= {"PO", "VO", "SO", "MBO"}


def test_standard_csv_bytes(world):
    raw = (world[0] / "wuppertal" / "bestand" / "2023-12-31.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
    assert raw.split(b"\n")[0].startswith(b"stichtag;person_pseudonym;")


def test_pseudonyms_link_within_a_city_and_never_across(world):
    landing = world[0]
    stock_w = read_std(landing / "wuppertal" / "bestand" / "2023-12-31.csv")
    pupils_w = read_std(landing / "wuppertal" / "schule" / "2023-10-15.csv")
    stock_s = read_std(landing / "solingen" / "bestand" / "2023-12-31.csv")
    assert stock_w["person_pseudonym"].str.contains(r"^[0-9a-f]{32}$").all()
    assert stock_w["person_pseudonym"].is_unique().all()
    linked = pupils_w["schueler_pseudonym"].is_in(stock_w["person_pseudonym"].implode()).mean()
    assert 0.7 < linked < 1.0  # most pupils are registered, not all
    assert not set(stock_w["person_pseudonym"]) & set(stock_s["person_pseudonym"])
    assert not set(stock_w["adresse_pseudonym"]) & set(stock_s["adresse_pseudonym"])


def _events(landing: Path, city: str) -> dict[str, pl.DataFrame]:
    return {period: read_std(p) for period, p in current(files(landing, city, "meldewesen")).items()}


def test_event_ids_unique_and_recorded_in_their_month(world):
    events = _events(world[0], "wuppertal")
    all_ev = pl.concat(events.values())
    assert all_ev["ereignis_id"].is_unique().all()
    for period, df in events.items():
        assert df["meldedatum"].str.starts_with(period).all(), period
        assert (df["meldedatum"] >= df["ereignis_datum"]).all()
        inflow = df.filter(pl.col("ereignis_art").is_in(["ZU_AUSLAND", "ZU_INLAND", "ZU_UNBEKANNT", "GEBURT"]))
        assert inflow["bezirk_alt"].is_null().all() and inflow["bezirk_neu"].is_not_null().all()
        abroad = df.filter(pl.col("ereignis_art").str.ends_with("_AUSLAND"))["herkunft_ziel"]
        assert abroad.str.contains(r"^\d{3}$").all()


INFLOW = ["ZU_AUSLAND", "ZU_INLAND", "ZU_UNBEKANNT", "STATUS_NW_HW", "GEBURT"]
OUTFLOW = ["FO_AUSLAND", "FO_INLAND", "FO_UNBEKANNT", "AVA", "STATUS_HW_NW", "TOD"]


@pytest.mark.parametrize("city", ["wuppertal", "duesseldorf", "solingen"])
def test_register_changes_exactly_by_recorded_events(world, city):
    landing = world[0]
    before = set(read_std(landing / city / "bestand" / "2023-12-31.csv")["person_pseudonym"])
    after = set(read_std(landing / city / "bestand" / "2024-03-31.csv")["person_pseudonym"])
    ev = pl.concat([df for p, df in _events(landing, city).items() if p >= "2024-01"])
    ins = ev.filter(pl.col("ereignis_art").is_in(INFLOW)).height
    outs = ev.filter(pl.col("ereignis_art").is_in(OUTFLOW)).height
    assert ins > 0 and outs > 0
    assert len(after) == len(before) + ins - outs
    gone = before - after
    assert gone <= set(ev.filter(pl.col("ereignis_art").is_in(OUTFLOW))["person_pseudonym"])


def test_truth_matches_the_register(world):
    landing, truth = world[0], world[1]
    t = pl.read_parquet(truth / "truth.parquet")
    assert (t["registered"] == t["registered_present"] + t["registered_gone"]).all()
    for city in ("wuppertal", "enschede"):
        stock = landing / city / "bestand" / "2024-03-31.csv"
        n = stock.read_bytes().count(b"\n") - 1
        reg = t.filter(pl.col("city") == city, pl.col("quarter") == "2024-Q1")["registered"].sum()
        assert reg == n
    q = (
        t.filter(pl.col("quarter") == "2024-Q1")
        .group_by("city")
        .agg(pl.col("*").exclude("city", "quarter", "stichtag", "bezirk", "nationality_group", "age_band").sum())
    )
    assert (q["residents"] == q["registered_present"] + q["resident_unregistered"]).all()
    assert (q["registered_gone"] > 0).all() and (q["resident_unregistered"] > 0).all()
    assert set(t.filter(pl.col("city") == "enschede")["nationality_group"]) >= {"NL", "EU_SONST"}


def test_sgb2_suppression_reveals_no_small_count(world):
    landing = world[0]
    n = 0
    for city in ("wuppertal", "duesseldorf", "muelheim"):
        for f in files(landing, city, "sgb2"):
            if "personen" in f.name:
                continue
            df = read_std(f)
            cells = df.select("bg", "elb", "nef", "personen_in_bg")
            assert not cells.select(pl.any_horizontal(pl.all().is_in(["1", "2"]))).to_series().any(), f
            for _, block in df.group_by("bezirk"):
                assert block.height == 6
                for col in ("bg", "elb", "nef", "personen_in_bg"):
                    hidden = (block[col] == "*").sum()
                    assert hidden != 1, (f, col)
                    if hidden == 0:
                        total = block.filter(pl.col("staatsangehoerigkeit_gruppe") == "INSGESAMT")[col].cast(int)[0]
                        assert (
                            total
                            == block.filter(pl.col("staatsangehoerigkeit_gruppe") != "INSGESAMT")[col].cast(int).sum()
                        )
            row_hidden = df.select(sum((pl.col(c) == "*").cast(int) for c in ("elb", "nef", "personen_in_bg")))
            assert not (row_hidden.to_series() == 1).any(), f
            n += 1
    assert n > 10
    names = {p.name for p in files(landing, "wuppertal", "sgb2")}
    assert {"2023-10_v2.csv", "2023-10_personen_v2.csv"} <= names  # final figures
    assert "2024-03_v2.csv" not in names  # not final yet


def test_sgb2_persons_match_the_aggregate(world):
    landing = world[0]
    persons = read_std(landing / "wuppertal" / "sgb2" / "2024-02_personen.csv")
    agg = read_std(landing / "wuppertal" / "sgb2" / "2024-02.csv")
    total = agg.filter(pl.col("staatsangehoerigkeit_gruppe") == "INSGESAMT")
    shown = total.filter(pl.col("personen_in_bg") != "*")["personen_in_bg"].cast(int).sum()
    hidden_districts = set(total.filter(pl.col("personen_in_bg") == "*")["bezirk"])
    assert shown == persons.filter(~pl.col("bezirk").is_in(hidden_districts)).height
    assert set(persons["erwerbsfaehig"]) <= {"J", "N"}
    stock = read_std(landing / "wuppertal" / "bestand" / "2024-03-31.csv")
    assert persons["person_pseudonym"].is_in(stock["person_pseudonym"].implode()).mean() > 0.9


def test_duesseldorf_district_reform(world):
    landing = world[0]
    g = read_std(landing / "duesseldorf" / "gebiete" / "current_v2.csv").with_columns(pl.col("flaeche_ha").cast(int))
    area = dict(zip(g["bezirk_code"], g["flaeche_ha"]))
    ended = set(g.filter(pl.col("gueltig_bis") == "2023-12-31")["bezirk_code"])
    new = set(g.filter(pl.col("gueltig_ab") == "2024-01-01")["bezirk_code"])
    assert ended == {"03", "09", "10"} and new == {"11", "12", "13"}
    assert area["03"] == area["11"] + area["12"] and area["13"] == area["09"] + area["10"]
    old_stock = set(read_std(landing / "duesseldorf" / "bestand" / "2023-12-31.csv")["bezirk"])
    new_stock = set(read_std(landing / "duesseldorf" / "bestand" / "2024-03-31.csv")["bezirk"])
    assert {"03", "09", "10"} <= old_stock and not old_stock & new
    assert new <= new_stock and not new_stock & ended
    ev = pl.concat([df for p, df in _events(landing, "duesseldorf").items()])
    after = ev.filter(pl.col("ereignis_datum") >= "2024-01-01")
    used = set(after["bezirk_alt"].drop_nulls()) | set(after["bezirk_neu"].drop_nulls())
    assert used and not used & ended
    first = read_std(landing / "duesseldorf" / "gebiete" / "current.csv")
    assert first["gueltig_bis"].is_null().all()  # before the reform


def test_delivery_times(world):
    landing = world[0]
    for f in files(landing, "wuppertal", "meldewesen"):
        m = LAYOUT.match(f.name)
        y, mo = map(int, m["period"].split("-"))
        received = datetime.fromtimestamp(f.stat().st_mtime)
        assert received.date() > date(y, mo, 28) and received <= NOW


def test_same_seed_same_bytes_other_seed_other_world(tmp_path):
    def run(seed, name):
        generate(
            scale=0.005,
            seed=seed,
            landing=tmp_path / name,
            truth=tmp_path / f"t{name}",
            cities=["solingen"],
            start="2024-01",
            end="2024-03",
            progress=lambda m: None,
            now=NOW,
        )
        return (tmp_path / name / "solingen" / "bestand" / "2024-03-31.csv").read_bytes()

    assert run(1, "a") == run(1, "b")
    assert run(1, "a2") != run(2, "c")


def test_guards(tmp_path):
    kw = dict(
        scale=0.002,
        landing=tmp_path / "l",
        truth=tmp_path / "t",
        cities=["muelheim"],
        start="2024-01",
        end="2024-01",
        progress=lambda m: None,
        now=NOW,
    )
    generate(**kw)
    with pytest.raises(FileExistsError):
        generate(**kw)  # deliveries are immutable
    generate(**kw, overwrite=True)
    with pytest.raises(ValueError):
        generate(**{**kw, "cities": ["koeln"]})
    with pytest.raises(ValueError):
        generate(**{**kw, "sources": ["meldungen"]})


def test_cli_and_sources_filter(tmp_path, capsys):
    code = main(
        [
            "--scale",
            "0.002",
            "--cities",
            "muelheim",
            "--sources",
            "meldewesen",
            "--start",
            "2024-01",
            "--end",
            "2024-02",
            "--landing",
            str(tmp_path / "l"),
            "--truth",
            str(tmp_path / "t"),
        ]
    )
    assert code == 0
    assert "files" in capsys.readouterr().out
    assert [p.name for p in (tmp_path / "l" / "muelheim").iterdir()] == ["meldewesen"]
    assert main(["--cities", "nowhere", "--landing", str(tmp_path / "x")]) == 2


def test_ingest_loads_every_file(world, tmp_path):
    """The pipeline's own loader accepts the whole small world (nothing quarantined)."""
    from ingest.load import load_landing

    result = load_landing(world[0], tmp_path / "wh.duckdb", log=lambda m: None)
    assert result.synthetic
    assert result.count("quarantined") == 0, [o for o in result.outcomes if o.status == "quarantined"][:3]
    accepted = sum(result.count(s) for s in ("loaded", "superseded", "duplicate"))
    assert accepted == world[2].files and result.count("loaded") > 100
