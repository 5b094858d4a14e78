"""Build the official dbt models on the real files and query the marts (rates are read from the
marts, the expected values come from the published figures in shared/facts)."""

from pathlib import Path

import duckdb
import pytest

from ingest.schemas import create_raw_tables
from orchestration.dbt_project import run_dbt

# shared/facts/published_figures.md, 2015: population 31.12.2014 and 2015, Zuzüge, Fortzüge
PUBLISHED_2015 = {
    "05913000": (580_511, 586_181, 35_514, 29_001),  # Dortmund
    "05112000": (485_465, 491_231, 36_337, 29_570),  # Duisburg
    "05515000": (302_178, 310_039, 26_623, 19_508),  # Münster
}


def _dbt(args, warehouse: Path, target: Path) -> str:
    return run_dbt(args, warehouse=warehouse, target_path=target, log=lambda _line: None).stdout


@pytest.fixture(scope="module")
def marts(loaded, tmp_path_factory):
    _, warehouse, _ = loaded
    tmp = tmp_path_factory.mktemp("dbt")
    wh = tmp / "warehouse.duckdb"
    wh.write_bytes(Path(warehouse).read_bytes())  # own copy: the session warehouse stays read-only
    with duckdb.connect(str(wh)) as c:
        create_raw_tables(c)
        # a handful of register events of Dortmund in 2015 (synthetic), to compare against 35,514
        events = [
            ("ZU_INLAND", 3),
            ("ZU_AUSLAND", 1),
            ("STATUS_NW_HW", 1),
            ("UMZUG", 2),
            ("FO_AUSLAND", 1),
            ("AVA", 1),
            ("STATUS_HW_NW", 4),
        ]
        i = 0
        for kind, n in events:
            for _ in range(n):
                i += 1
                c.execute(
                    "insert into raw.meldewesen (ereignis_id, ereignis_datum, meldedatum, ereignis_art,"
                    " geburtsjahr, geschlecht, staatsangehoerigkeit, city, delivery_file, delivery_period,"
                    " delivery_version) values (?, '2015-03-02', '2015-03-03', ?, 1980, 'w', '000',"
                    " 'dortmund', 'dortmund/meldewesen/2015-03.csv', '2015-03', 1)",
                    [f"e{i}", kind],
                )
    # parents owned by the marts part (city register staging, dim_cities), on empty raw tables
    _dbt(["seed", "--select", "+stg_meldewesen__events", "+dim_cities"], wh, tmp / "target")
    _dbt(["run", "--select", "+stg_meldewesen__events", "+dim_cities"], wh, tmp / "target")
    out = _dbt(["build", "--select", "staging.official", "marts.official"], wh, tmp / "target")
    c = duckdb.connect(str(wh), read_only=True)
    yield c, out
    c.close()


@pytest.mark.slow
@pytest.mark.parametrize("city_key", sorted(PUBLISHED_2015))
def test_2015_rates_match_the_destatis_definition(marts, city_key):
    con, _ = marts
    p0, p1, z, f = PUBLISHED_2015[city_key]
    b = (p0 + p1) / 2
    row = con.execute(
        "select gross_rate_per_1000, net_rate_per_1000, in_rate_per_1000, out_rate_per_1000,"
        " zuzuege, fortzuege, average_population, population_basis_break"
        " from official.fct_official_migration_rates where city_key = ? and year = 2015",
        [city_key],
    ).fetchone()
    assert row is not None
    gross, net, rin, rout, zz, ff, avg, brk = row
    assert abs(gross - 1000 * (z + f) / b) < 0.01
    assert abs(net - 1000 * (z - f) / b) < 0.01
    assert abs(rin - 1000 * z / b) < 0.01 and abs(rout - 1000 * f / b) < 0.01
    assert (zz, ff, avg, brk) == (z, f, b, False)


@pytest.mark.slow
def test_2011_rate_is_flagged_as_mixing_bases(marts):
    con, _ = marts
    brk, notes, p0, p1 = con.execute(
        "select population_basis_break, rate_notes, population_start, population_end"
        " from official.fct_official_migration_rates where city_key = '05913000' and year = 2011"
    ).fetchone()
    assert (brk, p0, p1) == (True, 580_444, 571_403)
    assert "pre_zensus_2011 -> zensus_2011" in notes


@pytest.mark.slow
def test_essen_2014_carries_its_known_error(marts):
    con, _ = marts
    note = con.execute(
        "select known_issue_note from official.fct_official_migration"
        " where city_key = '05113000' and year = 2014 and nationality = 'insgesamt'"
        " and boundary = 'gemeinde'"
    ).fetchone()[0]
    assert "3.200 Fälle überhöht" in note
    assert (
        con.execute(
            "select count(*) from official.fct_official_migration where known_issue_note is not null"
            " and city_key = '05913000'"
        ).fetchone()[0]
        == 0
    )


@pytest.mark.slow
def test_population_marts_and_breaks(marts):
    con, _ = marts
    rows = dict(
        con.execute(
            "select year, series_break_before from official.fct_official_population"
            " where city_key = '05913000' and nationality = 'insgesamt' and basis like 'zensus_20%' or"
            " (city_key = '05913000' and nationality = 'insgesamt' and year = 2010)"
        ).fetchall()
    )
    assert rows[2011] is True and rows[2012] is False
    enschede = con.execute(
        "select population from official.fct_official_population where city_key = 'GM0153' and stichtag = '2024-12-31'"
    ).fetchone()[0]
    assert enschede == 162_337
    foreign = con.execute(
        "select population from official.fct_official_population where city_key = '05913000'"
        " and stichtag = '2015-12-31' and nationality = 'auslaendisch'"
    ).fetchone()[0]
    assert foreign == 91_972


@pytest.mark.slow
def test_comparison_mart_says_which_basis_exists(marts):
    con, out = marts
    statuses = dict(
        con.execute(
            "select comparison_status, count(*) from official.fct_register_vs_official_migration group by 1"
        ).fetchall()
    )
    # register events only for Dortmund 2015: four flows with both bases, the rest official only
    assert statuses["both"] == 4 and statuses["official_only"] > 100 and "register_only" not in statuses
    rows = {
        r[0]: r[1:]
        for r in con.execute(
            "select flow, register_value, official_value, difference, register_status_changes, register_year_complete,"
            " explanation from official.fct_register_vs_official_migration"
            " where city = 'dortmund' and year = 2015"
        ).fetchall()
    }
    # register definition: ZU_* (not the status change, not UMZUG); FO_* + AVA (not the status change)
    assert rows["zuzuege"][:5] == (4, 35_514, 4 - 35_514, 1, False)
    assert rows["fortzuege"][:5] == (2, 29_001, 2 - 29_001, 4, False)
    assert rows["zuzuege_ausland"][:2] == (1, 14_211)
    assert "Ortsumzüge" in rows["zuzuege"][5]
    assert (
        con.execute(
            "select count(*) from official.fct_register_vs_official_migration"
            " where comparison_status <> 'both' and difference is not null"
        ).fetchone()[0]
        == 0
    )
    assert "ERROR=0" in out
