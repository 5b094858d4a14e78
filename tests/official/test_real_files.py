"""Hand-picked published values, checked against the real files after loading all of them."""

import pytest


def one(con, sql, *params):
    rows = con.execute(sql, list(params)).fetchall()
    assert len(rows) >= 1, sql
    assert len({r for r in rows}) == 1, rows  # copies in several files must agree
    return rows[0]


V = "select value, value_symbol, missing_reason, rounded, basis_note from raw_official.values where "


def test_every_real_file_loads(loaded):
    _, _, results = loaded
    assert len(results) == 49
    failed = [r for r in results if r.status == "failed"]
    assert failed == []
    assert all(r.value_rows > 0 for r in results if not r.file.endswith(".json"))


def test_registry_records_detected_encodings(con):
    enc = dict(con.execute("select file, encoding from raw_official.files").fetchall())
    assert enc["official/genesis/12411-01-01-4_2015.cp1252.csv"] == "cp1252"
    assert enc["official/genesis/12411-01-01-4_2015.csv"] == "utf-8"
    assert enc["official/genesis/12411-01-01-4_2024_de_flat.zip"] == "utf-8-sig"


@pytest.mark.parametrize(
    "table, region, date, expected",
    [
        ("12411-01-01-4", "05913", "2015-12-31", 586181),
        ("12411-01-01-4", "05913", "2014-12-31", 580511),
        ("12411-01-01-4", "05913", "2010-12-31", 580444),
        ("12411-01-01-4", "05913", "2011-12-31", 571403),
        ("12411-01-01-4", "05112", "2015-12-31", 491231),
        ("12411-01-01-4", "05515", "2014-12-31", 302178),
        ("12411-01-01-4", "05913", "2024-12-31", 603462),  # flat file 2024, Zensus 2022 basis
        ("1000A-0000", "05913000", "2022-05-15", None),  # 12-digit ARS normalised, value checked below
    ],
)
def test_population(con, table, region, date, expected):
    value, *_ = one(
        con,
        V + "table_code = ? and region_code = ? and period_date = ? and sex = 'insgesamt'"
        " and nationality = 'insgesamt' and age_group = 'insgesamt'",
        table,
        region,
        date,
    )
    if expected is not None:
        assert value == expected


def test_population_basis_notes_mark_the_zensus_breaks(con):
    notes = dict(
        con.execute(
            "select period_year, any_value(basis_note) from raw_official.values where table_code = '12411-01-01-4'"
            " and region_code = '05913' and period_year in (2010, 2011, 2024) group by 1"
        ).fetchall()
    )
    assert "vor Zensus 2011" in notes[2010]
    assert "Zensus 2011" in notes[2011] and "vor" not in notes[2011]
    assert "Zensus 2022" in notes[2024]


def test_population_by_nationality(con):
    value, *_ = one(
        con,
        V + "table_code = '12411-03-03-4' and region_code = '05913' and period_year = 2015"
        " and nationality = 'auslaendisch' and sex = 'insgesamt' and age_group = 'insgesamt'",
    )
    assert value == 91972


@pytest.mark.parametrize(
    "region, measure, expected",
    [
        ("05913", "Zuzüge über die Gemeindegrenzen", 35514),
        ("05913", "Fortzüge über die Gemeindegrenzen", 29001),
        ("05112", "Zuzüge über die Gemeindegrenzen", 36337),
        ("05515", "Fortzüge über die Gemeindegrenzen", 19508),
        ("05913", "Zuzüge aus dem  Ausland über die Gemeindegrenzen", 14211),
    ],
)
def test_migration_2015(con, region, measure, expected):
    value, *_ = one(
        con,
        V + "table_code = '12711-03-02-4' and region_code = ? and period_year = 2015"
        " and measure = ? and sex = 'insgesamt' and nationality = 'insgesamt'",
        region,
        measure,
    )
    assert value == expected


def test_dot_cells_of_12711_03_02_are_missing_not_zero(con):
    rows = con.execute(
        "select value, value_symbol, missing_reason from raw_official.values"
        " where file = 'official/genesis/12711-03-02-4_1995-2015.csv' and region_code in ('DG', '05')"
        " and period_year between 1995 and 2001 and sex <> 'insgesamt'"
    ).fetchall()
    assert len(rows) == 2 * 7 * 3 * 4 * 2  # regions x years x nationalities x measures x sexes
    assert set(rows) == {(None, ".", "unknown_or_secret")}
    value, *_ = one(
        con,
        V + "file = 'official/genesis/12711-03-02-4_1995-2015.csv' and region_code = '05'"
        " and period_year = 1995 and sex = 'insgesamt' and nationality = 'insgesamt'"
        " and measure = 'Zuzüge über die Gemeindegrenzen'",
    )
    assert value == 904263


def test_dash_is_zero_and_x_is_blocked(con):
    value, symbol, *_ = one(
        con,
        V + "table_code = '12511-01-01-4' and region_code = '05111' and period_year = 2016"
        ' and dims = \'{"Kontinent": "Australien und Ozeanien"}\'',
    )
    assert (value, symbol) == (0.0, "-")
    value, symbol, reason, *_ = one(
        con,
        V + "table_code = '21111-01-03-4' and region_code = '05913'"
        " and dims = '{\"Schulart\": \"Schulartunabhängige Orientierungsstufe\"}' and sex = 'insgesamt'"
        " and nationality = 'auslaendisch'",
    )
    assert (value, symbol, reason) == (None, "x", "blocked")


def test_pupils_and_sgb2_foreigners(con):
    value, *_ = one(
        con,
        V + "table_code = '21111-01-03-4' and region_code = '05913'"
        " and dims = '{\"Schulart\": \"Grundschulen\"}' and nationality = 'auslaendisch'",
    )
    assert value == 3121
    value, *_ = one(
        con,
        V + "table_code = '22811-02-02-4' and region_code = '05913' and period_year = 2016"
        " and nationality = 'auslaendisch'",
    )
    assert value == 31614


def test_births_dortmund_2015(con):
    value, *_ = one(
        con, V + "table_code = '12612-01-01-4' and region_code = '05913' and period_year = 2015 and sex = 'insgesamt'"
    )
    assert value == 5481


def test_protection_seekers_are_flagged_rounded(con):
    flags = con.execute("select distinct rounded from raw_official.values where statistic_code = '12531'").fetchall()
    assert flags == [(True,)]
    not_multiple = con.execute(
        "select count(*) from raw_official.values where statistic_code = '12531' and value % 5 <> 0"
    ).fetchone()[0]
    assert not_multiple == 0
    assert (
        con.execute("select bool_or(rounded) from raw_official.values where statistic_code = '12411'").fetchone()[0]
        is False
    )


def test_enschede_from_cbs(con):
    value, *_ = one(con, V + "table_code = '37230ned' and region_code = 'GM0153' and period_year = 2024")
    assert value == 162337
    # cross-check from the README: end of 2012 equals 37259ENG PopulationOn31December
    a, *_ = one(con, V + "table_code = '37230ned' and region_code = 'GM0153' and period_year = 2012")
    b, *_ = one(
        con,
        V + "table_code = '37259eng' and region_code = 'GM0153' and period_year = 2012"
        " and measure = 'PopulationOn31December' and sex = 'insgesamt'",
    )
    assert a == b == 158627
    # padded keys are trimmed
    assert con.execute("select count(*) from raw_official.values where region_code like '% '").fetchone()[0] == 0


def test_both_encodings_give_identical_values(con):
    diff = con.execute("""
        with u as (select replace(file, '.cp1252', '') as f, source_line, measure, sex, nationality, age_group,
                          dims, region_code, region_name, period_date, period_year, value, value_symbol
                   from raw_official.values where file like '%.cp1252.csv'),
             v as (select file as f, source_line, measure, sex, nationality, age_group,
                          dims, region_code, region_name, period_date, period_year, value, value_symbol
                   from raw_official.values
                   where source = 'genesis-classic' and file not like '%.cp1252.csv')
        select (select count(*) from (select * from u except select * from v)),
               (select count(*) from (select * from v except select * from u)),
               (select count(*) from u)""").fetchone()
    assert diff[0] == 0 and diff[1] == 0 and diff[2] > 10000


def test_footnotes_are_kept_and_linked(con):
    essen = con.execute(
        "select count(distinct table_code) from raw_official.notes where kind = 'footnote'"
        " and subject = 'Nordrhein-Westfalen (2014)' and note_text like '%Essen%3.200 Fälle überhöht%'"
    ).fetchone()[0]
    assert essen == 5  # 12711-01-03-4, -02-02-4, -03-02-4, -04-02-4, -05-02-4
    zensus = con.execute(
        "select count(*) from raw_official.notes where table_code = '12411-01-01-4'"
        " and note_text like '%nach dem Zensus 2011%'"
    ).fetchone()[0]
    assert zensus >= 1
    stand = con.execute("select stand from raw_official.files where file like '%12411-01-01-4_2015.csv'").fetchone()[0]
    assert stand == "14.12.2017 / 15:51:18"
