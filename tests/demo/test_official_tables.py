"""The demo world's own official tables (ingest/demo/official.py): counted by the rules of the
official statistics from the world's registrations, written in the real formats and read by the
real parsers; never real figures beside the synthetic register."""

from __future__ import annotations

from datetime import date, datetime

import polars as pl
import pytest

from ingest.config import load_cities
from ingest.demo import official as off
from ingest.official import load_official
from ingest.official.load import parse_file

NOW = datetime(2026, 10, 20, 12, 0)


def events(*rows) -> pl.DataFrame:
    cols = ["ereignis_id", "ereignis_datum", "meldedatum", "ereignis_art", "geschlecht", "staatsangehoerigkeit"]
    df = pl.DataFrame([dict(zip(cols, r)) for r in rows])
    return df.with_columns(staatsangehoerigkeit_2=pl.lit(None, dtype=pl.String))


@pytest.fixture
def tally() -> off.OfficialTally:
    t = off.OfficialTally()
    t.add_events(
        "muenster",
        events(
            ("MUE000000001", date(2024, 5, 3), date(2024, 5, 10), "ZU_AUSLAND", "w", "166"),
            ("MUE000000002", date(2024, 12, 28), date(2025, 1, 20), "ZU_INLAND", "m", "000"),  # by the deadline: 2024
            ("MUE000000003", date(2024, 11, 2), date(2025, 3, 1), "ZU_INLAND", "x", "000"),  # late: counts in 2025
            ("MUE000000004", date(2024, 7, 1), date(2024, 7, 2), "AVA", "m", "166"),  # ex officio = departure
            ("MUE000000005", date(2024, 7, 1), date(2024, 7, 2), "UMZUG", "m", "166"),  # inside the city: not counted
            ("MUE000000006", date(2024, 7, 1), date(2024, 7, 2), "STATUS_NW_HW", "w", "000"),  # no boundary crossed
        ),
    )
    t.add_events(
        "enschede",
        events(
            ("ENS000000001", date(2024, 2, 1), date(2024, 2, 3), "ZU_AUSLAND", "m", "148"),
            ("ENS000000002", date(2024, 3, 1), date(2024, 3, 3), "FO_INLAND", "w", "148"),
            ("ENS000000003", date(2024, 4, 1), date(2024, 4, 3), "AVA", "w", "148"),
            ("ENS000000004", date(2024, 4, 1), date(2024, 4, 3), "GEBURT", "w", "148"),
        ),
    )
    for city, stock in (("enschede", {2023: 1000, 2024: 1010}), ("muenster", {2023: 5000, 2024: 5050})):
        for year, n in stock.items():
            t.add_stock(city, year, n)
    return t


def _write(tmp_path, tally):
    cities = load_cities()
    areas = {"enschede": 14000.0, "muenster": 30000.0}
    landing = tmp_path / "landing"
    landing.mkdir()
    paths = off.write_official_tables(
        landing, tally, [cities["muenster"], cities["enschede"]], "2019-01", "2026-09", NOW, areas
    )
    return landing, paths


def _values(path) -> pl.DataFrame:
    provider = path.parent.name
    parsed = parse_file(provider, path.name, path.read_bytes(), f"official/{provider}/{path.name}")
    return pl.DataFrame(parsed.values), parsed


def test_published_years_are_complete_and_already_out():
    assert off.published_years("2019-01", "2026-09", NOW) == list(range(2019, 2026))
    assert off.published_years("2019-01", "2026-09", datetime(2026, 3, 1)) == list(range(2019, 2025))
    assert off.published_years("2019-03", "2020-06", NOW) == []  # 2019 lacks January, 2020 its deadline


def test_genesis_table_counts_by_the_official_rules_and_parses(tmp_path, tally):
    _landing, paths = _write(tmp_path, tally)
    genesis = next(p for p in paths if p.parent.name == "genesis")
    assert off.DEMO_TAG in genesis.name and genesis.read_bytes().decode("cp1252").startswith("GENESIS-Tabelle: 12711")
    values, parsed = _values(genesis)
    assert parsed.table_code == "12711-03-02-4"

    def cell(year, measure, nationality="insgesamt", sex="insgesamt"):
        sel = values.filter(
            (pl.col("period_year") == year)
            & (pl.col("region_code") == "05515")
            & (pl.col("measure") == measure)
            & (pl.col("nationality") == nationality)
            & (pl.col("sex") == sex)
        )
        assert sel.height == 1, (year, measure, nationality, sex)
        return sel["value"][0]

    assert cell(2024, "Zuzüge über die Gemeindegrenzen") == 2  # the May arrival and the December one
    assert cell(2025, "Zuzüge über die Gemeindegrenzen") == 1  # notified after the deadline
    assert cell(2024, "Zuzüge aus dem  Ausland über die Gemeindegrenzen") == 1
    assert cell(2024, "Fortzüge über die Gemeindegrenzen") == 1  # AVA; no move inside, no status change
    assert cell(2024, "Zuzüge über die Gemeindegrenzen", "deutsch") == 1
    assert (
        cell(2024, "Zuzüge über die Gemeindegrenzen", sex="maennlich")
        + cell(2024, "Zuzüge über die Gemeindegrenzen", sex="weiblich")
        == 2
    )
    notes = " ".join(n["note_text"] for n in parsed.notes)
    assert "SYNTHETISCHE DEMO-DATEN" in notes and "©" not in notes  # no claim to be the offices' work


def test_cbs_table_parses_and_adds_up(tmp_path, tally):
    _landing, paths = _write(tmp_path, tally)
    cbs = next(p for p in paths if p.parent.name == "cbs")
    values, parsed = _values(cbs)
    assert parsed.table_code == "37259eng"
    y2024 = {r["measure"]: r["value"] for r in values.filter(pl.col("period_year") == 2024).iter_rows(named=True)}
    assert y2024["PopulationOn1January"] == 1000 and y2024["PopulationOn31December"] == 1010
    assert y2024["TotalArrivals"] == 1 and y2024["DueToImmigration"] == 1
    assert y2024["TotalDeparturesIncludingAdministra"] == 2  # the move to another municipality and the removal
    assert y2024["DueToEmigrationIncludingAdministr"] == 1 and y2024["NetAdministrativeCorrections"] == -1
    assert y2024["LiveBornChildren"] == 1 and y2024["PopulationGrowth"] == 10


def test_the_official_loader_reads_them(tmp_path, tally):
    landing, _paths = _write(tmp_path, tally)
    results = load_official(landing, tmp_path / "warehouse.duckdb")
    assert sorted(r.status for r in results) == ["loaded", "loaded"], results


def test_clear_official_only_in_a_demo_landing(tmp_path):
    landing = tmp_path / "landing"
    (landing / "official" / "cbs").mkdir(parents=True)
    real = landing / "official" / "cbs" / "37259eng_2012-2023_NL01_PV23_GM0153.csv"
    real.write_text("x")
    with pytest.raises(FileNotFoundError):
        off.clear_official(landing)  # a real landing: never touched
    assert real.exists()
    (landing / "DEMO_SYNTHETIC_DATA.txt").write_text("synthetic")
    assert off.clear_official(landing) == [real] and not real.exists()
