"""Only what changed is checked again; what did not change keeps its results and gate rows."""

from __future__ import annotations

from qworld import gate_rows, sql

import quality

BREAK = "UPDATE raw.meldewesen SET geschlecht = 'q' WHERE city = 'enschede' AND delivery_period = '2024-02' AND source_line = 3"
MEND = "UPDATE raw.meldewesen SET geschlecht = 'w' WHERE city = 'enschede' AND delivery_period = '2024-02' AND source_line = 3"


def _checked(results) -> set[tuple[str, str]]:
    return {(r.city, r.asset) for r in results}


def test_unchanged_world_is_not_checked_again_and_keeps_its_gate(warehouse):
    sql(
        warehouse,
        "UPDATE raw.bestand SET bezirk = '99' WHERE city = 'wuppertal' AND stichtag = DATE '2024-06-30' AND source_line = 2",
    )
    first = quality.run_raw_checks(warehouse, kinds=("suites", "profile"))
    blocked = gate_rows(warehouse)
    assert first and ("wuppertal", "bestand", "", "2024-06-30") in {g[:4] for g in blocked}
    again = quality.run_raw_checks(warehouse, kinds=("suites", "profile"))
    assert again == []
    assert gate_rows(warehouse) == blocked
    full = quality.run_raw_checks(warehouse, kinds=("suites", "profile"), full=True)
    assert len(full) == len(first) and gate_rows(warehouse) == blocked


def test_a_changed_delivery_is_checked_blocked_and_released(warehouse):
    quality.run_raw_checks(warehouse)
    assert gate_rows(warehouse) == []
    sql(warehouse, BREAK)
    broken = quality.run_raw_checks(warehouse)
    # Suites and profile of the changed table of that city, the per-city kinds of that city.
    assert {(c, a) for c, a in _checked(broken) if a in ("meldewesen", "bestand")} == {("enschede", "meldewesen")}
    assert {r.city for r in broken} == {"enschede"}
    assert {g[:4] for g in gate_rows(warehouse)} == {("enschede", "meldewesen", "", "2024-02")}
    sql(warehouse, MEND)
    mended = quality.run_raw_checks(warehouse)
    assert mended and gate_rows(warehouse) == []


def test_an_edited_row_changes_the_fingerprint_even_with_the_same_count(warehouse):
    quality.run_raw_checks(warehouse, kinds=("suites",), tables=["meldewesen"])
    sql(warehouse, BREAK)  # same row count, same loaded_at: only the content differs
    results = quality.run_raw_checks(warehouse, kinds=("suites",), tables=["meldewesen"])
    assert _checked(results) == {("enschede", "meldewesen")}
    assert any(r.outcome == "failed" for r in results)


def test_a_reloaded_period_changes_the_fingerprint(warehouse):
    quality.run_raw_checks(warehouse, kinds=("suites",), tables=["meldewesen"])
    # A new version re-stamps every row of the period with one value (an even number of rows).
    n = sql(warehouse, "SELECT count(*) FROM raw.meldewesen WHERE city = 'wuppertal' AND delivery_period = '2024-03'")[
        0
    ][0]
    sql(
        warehouse,
        "UPDATE raw.meldewesen SET loaded_at = loaded_at + INTERVAL 1 DAY, delivery_version = 2 "
        "WHERE city = 'wuppertal' AND delivery_period = '2024-03'",
    )
    results = quality.run_raw_checks(warehouse, kinds=("suites",), tables=["meldewesen"])
    assert n % 2 == 0 and _checked(results) == {("wuppertal", "meldewesen")}


def test_a_suite_that_could_not_run_is_retried(warehouse, monkeypatch):
    from quality import gx_engine

    def no_gx():
        raise ImportError("No module named 'great_expectations'")

    with monkeypatch.context() as m:
        m.setattr(gx_engine, "_batch_definition", no_gx)
        failed = quality.run_raw_checks(warehouse, cities=["enschede"], kinds=("suites",), tables=["gebiete"])
    assert failed and all(r.outcome == "error" for r in failed)
    retried = quality.run_raw_checks(warehouse, cities=["enschede"], kinds=("suites",), tables=["gebiete"])
    assert retried and all(r.outcome == "passed" for r in retried)
    assert gate_rows(warehouse) == []


def test_a_city_whose_rows_vanished_loses_its_gate_rows(warehouse):
    sql(warehouse, "UPDATE raw.gebiete SET ebene = 'quartier' WHERE city = 'wuppertal' AND bezirk_code = '01'")
    quality.run_raw_checks(warehouse, kinds=("suites",), tables=["gebiete"])
    assert {g[:4] for g in gate_rows(warehouse)} == {("wuppertal", "gebiete", "", "current")}
    sql(warehouse, "DELETE FROM raw.gebiete WHERE city = 'wuppertal'")
    assert quality.run_raw_checks(warehouse, kinds=("suites",), tables=["gebiete"]) == []
    assert gate_rows(warehouse) == []
