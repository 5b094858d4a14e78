"""On a consistent world every error-check passes, nothing is blocked, the record is written."""
from __future__ import annotations

import quality
from quality.results import summarise
from qworld import gate_rows, sql
from qworld import CITIES


def test_clean_world_passes_and_is_recorded(warehouse):
    results = quality.run_raw_checks(warehouse, cities=list(CITIES))
    bad = [r for r in results if r.outcome != "passed" and r.severity == "error"]
    assert bad == []
    assert summarise(results)["checks"] > 500
    assert gate_rows(warehouse) == []
    recorded = sql(warehouse, "SELECT count(*), count(DISTINCT run_id) FROM meta.quality_results")[0]
    assert recorded == (len(results), 1)
    kinds = {r.check_name.split(".")[0] for r in results}
    assert kinds == {"raw", "profile", "completeness", "reconciliation", "plausibility"}


def test_reconciliation_closes_exactly_on_the_clean_world(warehouse):
    from quality.reconciliation import reconciliation_frame
    import duckdb
    con = duckdb.connect(str(warehouse))
    try:
        frame = reconciliation_frame(con)
    finally:
        con.close()
    assert set(frame["city"]) == set(CITIES)
    assert len(frame[frame["nationality_group"] == "INSGESAMT"]) == 2 * 3   # 2 cities x 3 quarters
    totals = frame[frame["nationality_group"] == "INSGESAMT"]
    groups = frame[frame["nationality_group"] != "INSGESAMT"]
    assert (totals["residual"] == 0).all()
    # Naturalisations move people between groups without an event: counted by following each
    # person, the groups close (up to someone who arrives and naturalises in one quarter) ...
    assert (groups["abs_residual"] <= groups["allowed_residual"]).all()
    assert groups["abs_residual"].sum() <= 3
    # ... and without that term they would not.
    assert (groups["residual"] + groups["group_change_net"]).abs().sum() > 10
