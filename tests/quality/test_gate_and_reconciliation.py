"""Stock-flow reconciliation, the gate's effect downstream, and explained breaks."""

from __future__ import annotations

from qworld import gate_rows, sql

import quality

# The predicate of dbt_project/macros/city_layer.sql `not_blocked` (staging leaves these rows out).
STAGED_EVENTS = """
    SELECT r.city, r.delivery_period, count(*) FROM raw.meldewesen r
    WHERE NOT EXISTS (SELECT 1 FROM meta.quality_gate g WHERE g.city = r.city AND g.source = 'meldewesen'
                      AND coalesce(g.form, '') = '' AND g.period = r.delivery_period)
    GROUP BY ALL ORDER BY ALL"""


def _by(results, check, city, period):
    return next(r for r in results if r.check_name == check and r.city == city and r.period == period)


def test_missing_month_of_movements_fails_and_blocks_only_that_city_quarter(warehouse):
    sql(warehouse, "DELETE FROM raw.meldewesen WHERE city = 'wuppertal' AND delivery_period = '2024-02'")
    results = quality.run_raw_checks(warehouse, cities=["wuppertal", "enschede"], kinds=("reconciliation",))
    r = _by(results, "reconciliation.movement_months_complete", "wuppertal", "2024-Q1")
    assert (r.outcome, r.severity) == ("failed", "error")
    assert "1 movement month(s) missing" in r.details
    assert _by(results, "reconciliation.stock_flow_residual", "wuppertal", "2024-Q2").outcome == "passed"
    assert _by(results, "reconciliation.stock_flow_residual", "enschede", "2024-Q1").outcome == "passed"
    blocked = {g[:4] for g in gate_rows(warehouse)}
    assert blocked == {
        ("wuppertal", "bestand", "", "2024-03-31"),
        ("wuppertal", "meldewesen", "", "2024-01"),
        ("wuppertal", "meldewesen", "", "2024-02"),
        ("wuppertal", "meldewesen", "", "2024-03"),
    }
    staged = {(c, p) for c, p, _ in sql(warehouse, STAGED_EVENTS)}
    assert ("wuppertal", "2024-01") not in staged and ("wuppertal", "2024-03") not in staged
    assert ("wuppertal", "2024-04") in staged
    assert {p for c, p in staged if c == "enschede"} >= {"2024-01", "2024-02", "2024-03"}


def test_lost_movements_fail_the_residual_even_when_every_file_is_there(warehouse):
    sql(
        warehouse,
        """DELETE FROM raw.meldewesen WHERE city = 'enschede' AND delivery_period IN ('2024-02', '2024-03')
                      AND ereignis_art IN ('ZU_AUSLAND', 'ZU_INLAND', 'ZU_UNBEKANNT', 'GEBURT')""",
    )
    results = quality.run_raw_checks(warehouse, cities=["enschede"], kinds=("reconciliation",))
    r = _by(results, "reconciliation.stock_flow_residual", "enschede", "2024-Q1")
    assert (r.outcome, r.severity) == ("failed", "error")
    assert r.failed_rows > 10 and "known cause:" not in r.details
    assert _by(results, "reconciliation.movement_months_complete", "enschede", "2024-Q1").outcome == "passed"
    assert ("enschede", "bestand", "", "2024-03-31") in {g[:4] for g in gate_rows(warehouse)}


def test_corrected_delivery_lifts_the_block_on_the_next_run(warehouse):
    saved = sql(
        warehouse, "SELECT count(*) FROM raw.meldewesen WHERE city = 'wuppertal' AND delivery_period = '2024-02'"
    )[0][0]
    sql(
        warehouse,
        "CREATE TABLE keep AS SELECT * FROM raw.meldewesen WHERE city = 'wuppertal' AND delivery_period = '2024-02'",
    )
    sql(warehouse, "DELETE FROM raw.meldewesen WHERE city = 'wuppertal' AND delivery_period = '2024-02'")
    quality.run_raw_checks(warehouse, cities=["wuppertal"], kinds=("reconciliation",))
    assert gate_rows(warehouse)
    sql(warehouse, "INSERT INTO raw.meldewesen SELECT * FROM keep")
    quality.run_raw_checks(warehouse, cities=["wuppertal"], kinds=("reconciliation",))
    assert saved > 0 and gate_rows(warehouse) == []


def test_late_registrations_are_an_explained_break(warehouse):
    # Inflows of Feb/March recorded only in April: the stock of 31 March has them already.
    sql(
        warehouse,
        """UPDATE raw.meldewesen SET meldedatum = DATE '2024-04-02', delivery_period = '2024-04'
                      WHERE city = 'wuppertal' AND delivery_period IN ('2024-02', '2024-03')
                        AND ereignis_art IN ('ZU_AUSLAND', 'ZU_INLAND', 'ZU_UNBEKANNT', 'GEBURT')""",
    )
    results = quality.run_raw_checks(warehouse, cities=["wuppertal"], kinds=("reconciliation",))
    warn = _by(results, "reconciliation.residual_within_tolerance", "wuppertal", "2024-Q1")
    assert warn.outcome == "failed" and "late registrations" in warn.details
    assert _by(results, "reconciliation.stock_flow_residual", "wuppertal", "2024-Q1").outcome == "passed"
    assert gate_rows(warehouse) == []


def test_correction_delivery_is_named_as_cause(warehouse):
    sql(
        warehouse,
        """DELETE FROM raw.meldewesen WHERE city = 'enschede' AND delivery_period IN ('2024-04', '2024-05')
                      AND ereignis_art IN ('ZU_AUSLAND', 'ZU_INLAND', 'ZU_UNBEKANNT', 'GEBURT')""",
    )
    sql(
        warehouse,
        "UPDATE raw.meldewesen SET delivery_version = 2 WHERE city = 'enschede' AND delivery_period IN ('2024-04', '2024-05')",
    )
    results = quality.run_raw_checks(warehouse, cities=["enschede"], kinds=("reconciliation",))
    warn = _by(results, "reconciliation.residual_within_tolerance", "enschede", "2024-Q2")
    assert warn.outcome == "failed" and "correction delivery of movements (_v2)" in warn.details
    assert _by(results, "reconciliation.stock_flow_residual", "enschede", "2024-Q2").outcome == "passed"


def test_row_count_drop_blocks_the_period(warehouse):
    sql(
        warehouse,
        "DELETE FROM raw.bestand WHERE city = 'enschede' AND stichtag = DATE '2024-03-31' AND source_line % 3 <> 0",
    )
    results = quality.run_raw_checks(
        warehouse, cities=["enschede", "wuppertal"], kinds=("profile",), tables=["bestand"]
    )
    assert _by(results, "profile.bestand.row_count_drop", "enschede", "2024-03-31").outcome == "failed"
    # The next quarter is a jump against the cut-off one: flagged too.
    assert _by(results, "profile.bestand.row_count_jump", "enschede", "2024-06-30").outcome == "failed"
    assert _by(results, "profile.bestand.row_count_drop", "wuppertal", "2024-03-31").outcome == "passed"
    assert ("enschede", "bestand", "", "2024-03-31") in {g[:4] for g in gate_rows(warehouse)}


def test_suppressed_share_and_missing_delivery_are_warnings(warehouse):
    sql(
        warehouse,
        """UPDATE raw.sgb2_aggregat SET bg = NULL, elb = NULL, personen_in_bg = NULL, bg_gesperrt = TRUE,
                      elb_gesperrt = TRUE, personen_in_bg_gesperrt = TRUE WHERE city = 'wuppertal' AND delivery_period = '2024-02'""",
    )
    sql(warehouse, "DELETE FROM raw.beratung WHERE city = 'wuppertal' AND delivery_period = '2024-01'")
    results = quality.run_raw_checks(
        warehouse, cities=["wuppertal"], kinds=("profile", "completeness"), tables=["sgb2_aggregat", "beratung"]
    )
    share = _by(results, "profile.sgb2_aggregat.suppressed_share_acceptable", "wuppertal", "2024-02")
    assert (share.outcome, share.severity) == ("failed", "warning")
    missing = _by(results, "completeness.delivery_present", "wuppertal", None)
    assert missing.outcome == "failed" and {"source": "beratung", "form": "", "period": "2024-01"} in missing.examples
    assert gate_rows(warehouse) == []


def test_cross_source_plausibility_flags_overcrowded_properties(warehouse):
    sql(
        warehouse,
        "UPDATE raw.wohnen_problemimmobilien SET gemeldet_laut_register = 400 WHERE city = 'wuppertal' AND objekt_id = 'O1'",
    )
    results = quality.run_raw_checks(warehouse, cities=["wuppertal"], kinds=("plausibility",))
    flagged = [
        r
        for r in results
        if r.check_name == "plausibility.persons_per_dwelling.ratio_not_above_range" and r.outcome == "failed"
    ]
    assert flagged and all(r.severity == "warning" for r in flagged)
    assert all("O1" not in str(r.examples) for r in flagged)  # districts, never objects or addresses
    passing = [r for r in results if r.check_name.startswith("plausibility.pupils_per_registered_child")]
    assert passing and all(r.outcome == "passed" for r in passing)
