"""Every check kind runs once over all cities checked (one frame, one query, one GX validation):
a violation in one city is attributed to that city only, the other city passes."""

from __future__ import annotations

import duckdb
from qworld import CITIES, gate_rows, sql

import quality
from quality.reconciliation import GROUP_JOINS, GROUP_OF_ROW, _nationality_groups, city_nationals, reconciliation_frame


def _failed(results, check: str) -> dict[tuple[str, str], int]:
    return {(r.city, r.period): r.failed_rows for r in results if r.check_name == check and r.outcome == "failed"}


def test_district_code_of_the_other_city_fails_only_where_it_is_unknown(warehouse):
    # '01' is a Wuppertal district; Enschede has only wijken (WK...): valid there, unknown here.
    sql(
        warehouse,
        """UPDATE raw.bestand SET bezirk = '01' WHERE city = 'enschede'
                      AND stichtag = DATE '2024-03-31' AND source_line IN (2, 3)""",
    )
    results = quality.run_raw_checks(warehouse, cities=list(CITIES), kinds=("suites",), tables=["bestand"])
    assert _failed(results, "raw.bestand.bezirk_valid_on_stichtag") == {("enschede", "2024-03-31"): 2}
    assert {r.outcome for r in results if r.city == "wuppertal"} == {"passed"}
    assert {g[:4] for g in gate_rows(warehouse)} == {("enschede", "bestand", "", "2024-03-31")}


def test_a_district_without_a_date_is_not_valid(warehouse):
    # No district is valid on no date: the row fails the district check too, not only the date one.
    line = sql(
        warehouse,
        """SELECT min(source_line) FROM raw.meldewesen WHERE city = 'wuppertal'
                             AND delivery_period = '2024-02' AND bezirk_neu IS NOT NULL""",
    )[0][0]
    sql(
        warehouse,
        """UPDATE raw.meldewesen SET ereignis_datum = NULL WHERE city = 'wuppertal'
                      AND delivery_period = '2024-02' AND source_line = ?""",
        [line],
    )
    results = quality.run_raw_checks(warehouse, cities=list(CITIES), kinds=("suites",), tables=["meldewesen"])
    assert _failed(results, "raw.meldewesen.ereignis_datum_present") == {("wuppertal", "2024-02"): 1}
    assert _failed(results, "raw.meldewesen.bezirk_neu_valid_on_event_date") == {("wuppertal", "2024-02"): 1}
    assert {r.outcome for r in results if r.city == "enschede"} == {"passed"}


def test_plausibility_break_in_one_city_leaves_the_other_passing(warehouse):
    sql(
        warehouse,
        "UPDATE raw.wohnen_problemimmobilien SET gemeldet_laut_register = 400 "
        "WHERE city = 'wuppertal' AND objekt_id = 'O1'",
    )
    results = quality.run_raw_checks(warehouse, cities=list(CITIES), kinds=("plausibility",))
    dwelling = [r for r in results if r.check_name == "plausibility.persons_per_dwelling.ratio_not_above_range"]
    assert {r.city for r in dwelling} == set(CITIES)
    assert {r.city for r in dwelling if r.outcome == "failed"} == {"wuppertal"}
    assert all(r.outcome == "passed" for r in results if r.city == "enschede")


def _group_changes_by_naive_join(con) -> dict[tuple[str, str], int]:
    """Net group changes per (city, quarter end, group) by joining every person of consecutive
    stocks (what the reconciliation computed city by city before it ran on movers only)."""
    found = [r[0] for r in con.execute("SELECT DISTINCT city FROM raw.bestand").fetchall()]
    con.register("_nat_groups", _nationality_groups())
    con.register("_city_nat", city_nationals(found))
    rows = con.execute(f"""
        WITH s AS (SELECT b.city, b.stichtag, b.person_pseudonym, {GROUP_OF_ROW.format(t="b")} AS grp
                   FROM raw.bestand b {GROUP_JOINS.format(t="b")}),
        d AS (SELECT DISTINCT city, stichtag FROM s),
        p AS (SELECT city, stichtag AS t, lag(stichtag) OVER (PARTITION BY city ORDER BY stichtag) AS t_prev FROM d)
        SELECT p.city, CAST(p.t AS VARCHAR), a.grp, b.grp, count(*) FROM p
        JOIN s a ON a.city = p.city AND a.stichtag = p.t_prev
        JOIN s b ON b.city = p.city AND b.stichtag = p.t AND b.person_pseudonym = a.person_pseudonym
        WHERE a.grp <> b.grp GROUP BY ALL""").fetchall()
    net: dict[tuple[str, str], int] = {}
    for city, t, old, new, n in rows:
        net[(city, t, new)] = net.get((city, t, new), 0) + n
        net[(city, t, old)] = net.get((city, t, old), 0) - n
    return {k: v for k, v in net.items() if v}


def test_group_changes_follow_persons_within_their_own_city(warehouse):
    # A Wuppertal pseudonym that turns up in Enschede with another nationality is a different
    # person: it must not count as a naturalisation in either city.
    person, day = sql(
        warehouse,
        """SELECT person_pseudonym, stichtag FROM raw.bestand
                                    WHERE city = 'wuppertal' AND stichtag = DATE '2024-03-31'
                                      AND staatsangehoerigkeit = '000' ORDER BY source_line LIMIT 1""",
    )[0]
    sql(
        warehouse,
        """UPDATE raw.bestand SET person_pseudonym = ?, staatsangehoerigkeit = '475',
                      staatsangehoerigkeit_2 = NULL
                      WHERE city = 'enschede' AND stichtag = DATE '2024-06-30' AND source_line = 2""",
        [person],
    )
    con = duckdb.connect(str(warehouse))
    try:
        frame = reconciliation_frame(con)
        expected = _group_changes_by_naive_join(con)
    finally:
        con.close()
    groups = frame[frame["nationality_group"] != "INSGESAMT"]
    got = {
        (r.city, r.stichtag, r.nationality_group): r.group_change_net for r in groups.itertuples() if r.group_change_net
    }
    assert got == expected
    assert {c for c, _, _ in got} == set(CITIES)  # both cities have naturalisations
