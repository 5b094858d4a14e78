"""disclosure.side: Dunkelziffer registered counts against the population; register vs official."""

from __future__ import annotations

import duckdb
from side_worlds import CITY, audit_file, audit_without_side_relations, cell, make_world, rows

from disclosure.side import DUNKELZIFFER_TABLES
from disclosure.warehouse import repair_warehouse

PERIOD = "2025-Q3"
BANDS = {"00-17": 12, "18-64": 17, "65+": 1}  # registered ASYL8 residents; population 30
DZ_COLUMNS = (
    "city varchar, period varchar, nationality_group varchar, age_band varchar, method varchar, quantity varchar, "
    "registered bigint, point double, lower double, upper double, se double, is_suppressed boolean, "
    "suppression_reason varchar, basis varchar"
)


def _cells(hidden: dict[str, str]):
    out = [cell(PERIOD, "population", "ASYL8", 30.0, total=False, family="stock")]
    for band, n in BANDS.items():
        out.append(
            cell(
                PERIOD,
                "unregistered_estimate",
                f"ASYL8 {band}",
                0.0,
                float(n),
                breakdown="nationality_group_age_band",
                total=False,
                family="dunkelziffer",
                reason=hidden.get(band),
                value=0.0,
            )
        )
    return out


def _estimates(hidden: dict[str, str], table: str = DUNKELZIFFER_TABLES[0]) -> tuple[str, ...]:
    """Two methods per band, the band withheld in both where `hidden` says so; the city layer's truth."""
    values = []
    for band, n in BANDS.items():
        for method in ("ratio_school", "lag_projection"):
            reason = hidden.get(band)
            shown = "null, null, null, null, null" if reason else f"{n}, 0.0, 0.0, 1.0, 0.5"
            r = f"'{reason}'" if reason else "null"
            values.append(
                f"('{CITY}', '{PERIOD}', 'ASYL8', '{band}', '{method}', 'unregistered', {shown}, "
                f"{'true' if reason else 'false'}, {r}, 'register')"
            )
    truth = ", ".join(f"('{CITY}', date '2025-09-30', 'INSGESAMT', 'ASYL8', '{b}', {n})" for b, n in BANDS.items())
    return (
        f"create table {table} ({DZ_COLUMNS})",
        f"insert into {table} values {', '.join(values)}",
        "create table marts.fct_dunkelziffer_estimates (city varchar, stichtag date, district varchar, "
        "nationality_group varchar, age_band varchar, registered bigint)",
        f"insert into marts.fct_dunkelziffer_estimates values {truth}",
    )


def test_the_population_reveals_the_one_hidden_age_band_and_the_repair_hides_another(tmp_path):
    path = make_world(tmp_path / "dz.duckdb", _cells({"65+": "primary"}), _estimates({"65+": "primary"}))
    assert audit_without_side_relations(path).ok  # bands have no total row: the old audit saw no relation
    report = audit_file(path)
    assert not report.ok
    keys = {(b.key[3], b.key[6], b.key[7]) for b in report.breakable}
    assert ("unregistered_estimate", "ASYL8 65+", "denominator") in keys
    assert any("population ASYL8 = registered of 3 age bands" in s for b in report.breakable for s in b.chain)

    summary = repair_warehouse(path)
    assert summary.after.ok
    hidden_cells = rows(path, "select group_value from exchange.fct_exchange_cells where is_suppressed order by 1")
    # the larger band (18-64: 17), not the smaller one (00-17: 12): fewer and larger complements
    assert hidden_cells == [("ASYL8 18-64",), ("ASYL8 65+",)]
    # the band hidden in the cells is withheld in the estimate table too (every method)
    withheld = rows(
        path,
        f"select distinct 'ASYL8 ' || age_band, registered from {DUNKELZIFFER_TABLES[0]} where is_suppressed order by 1",
    )
    assert {g for g, _ in withheld} == {g for (g,) in hidden_cells if g.startswith("ASYL8")}
    assert all(r is None for _, r in withheld)
    assert audit_file(path).ok


def test_the_estimate_table_reopens_a_complement_the_cells_hid(tmp_path):
    """The cells hide 65+ and (secondary) 18-64; the estimate table hid 65+ and 00-17 instead, so it
    publishes 18-64's registered count: 65+ = 30 - 12 - 17."""
    path = make_world(
        tmp_path / "dz2.duckdb",
        _cells({"65+": "primary", "18-64": "secondary"}),
        _estimates({"65+": "primary", "00-17": "secondary"}),
    )
    assert audit_without_side_relations(path).ok
    report = audit_file(path)
    assert not report.ok
    assert {b.key[6] for b in report.breakable} == {"ASYL8 65+"}
    assert any("population ASYL8" in s for b in report.breakable for s in b.chain)
    assert repair_warehouse(path).after.ok
    assert audit_file(path).ok
    # the same cells beside an estimate table with the same pattern: safe (the break was the table's)
    same = make_world(
        tmp_path / "dz3.duckdb",
        _cells({"65+": "primary", "18-64": "secondary"}),
        _estimates({"65+": "primary", "18-64": "secondary"}),
    )
    assert audit_file(same).ok


REGISTER_COLUMNS = (
    "city varchar, city_key varchar, year integer, period varchar, flow varchar, register_value bigint, "
    "register_months integer, register_status_changes bigint, official_value double, difference double, "
    "ratio_register_to_official double, is_suppressed boolean, suppression_reason varchar"
)


def _register_world(tmp_path, rounded: bool):
    """A register count of 2 hidden, its difference to the official 40 left published (a table
    written by hand: the dbt model withholds both): register = official + difference."""
    return make_world(
        tmp_path / f"rvo{rounded}.duckdb",
        [],
        (
            f"create table exchange.fct_exchange_register_vs_official ({REGISTER_COLUMNS})",
            f"insert into exchange.fct_exchange_register_vs_official values ('{CITY}', 'K1', 2024, '2024-Q4', "
            "'fortzuege_ausland', null, 12, 0, 40.0, -38.0, null, true, 'primary')",
            "create table official.fct_official_migration (city_key varchar, year integer, nationality varchar, "
            "boundary varchar, rounded boolean)",
            f"insert into official.fct_official_migration values ('K1', 2024, 'insgesamt', 'gemeinde', {rounded})",
            "create table official.fct_register_vs_official_migration (city varchar, year integer, flow varchar, "
            "register_value bigint, difference double)",
            f"insert into official.fct_register_vs_official_migration values ('{CITY}', 2024, 'fortzuege_ausland', "
            "2, -38.0)",
        ),
    )


def test_an_exact_official_figure_and_the_difference_pin_the_register_count(tmp_path):
    path = _register_world(tmp_path, rounded=False)
    assert audit_without_side_relations(path).ok
    report = audit_file(path)
    (b,) = report.breakable
    assert (b.key[3], b.lo, b.hi) == ("register_year_fortzuege_ausland", 2, 2)
    assert any(s.startswith("register vs official: ") for s in b.chain)


def test_a_rounded_official_figure_is_an_interval_not_a_point(tmp_path):
    """Rounded to 5: official in [37.5, 42.5], so the register count lies in [0, 4]: protected."""
    path = _register_world(tmp_path, rounded=True)
    con = duckdb.connect(str(path), read_only=True)
    try:
        from disclosure.lp import bounds_of
        from disclosure.relations import load

        world = load(con)
        official = next(k for k in world.problem.cells if k[2] == "official")
        cell = world.problem.cells[official]
        assert (cell.lo, cell.hi) == (37.5, 42.5) and not cell.suppressed
        register = next(k for k in world.problem.cells if k[3] == "register_year_fortzuege_ausland")
        assert bounds_of(world.problem, register) == (0, 4)
    finally:
        con.close()
    assert audit_file(path).ok


def test_the_repair_keeps_the_band_the_estimate_table_still_publishes(tmp_path):
    """The estimate table withholds 65+ and 18-64 and publishes 00-17; the cells publish every band
    but 65+. The repair hides the cells' larger band (18-64, already withheld in the table), not
    00-17 - the one band the table's readers (the report's Dunkelziffer chart) still see."""
    path = make_world(
        tmp_path / "dz4.duckdb", _cells({"65+": "primary"}), _estimates({"65+": "primary", "18-64": "secondary"})
    )
    assert not audit_file(path).ok
    assert repair_warehouse(path).after.ok
    published = rows(path, f"select distinct age_band from {DUNKELZIFFER_TABLES[0]} where not is_suppressed")
    assert published == [("00-17",)]
