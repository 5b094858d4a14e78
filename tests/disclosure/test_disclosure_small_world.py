"""A small world at scale 0.003 (the shared demo world, tests/shared_demo_world.py, is the 0.005
one: tests/disclosure/test_disclosure_demo_world.py): generated, loaded and built through the
pipeline up to the disclosure repair. At this scale most cells are small, so the repair works
hardest; after it the audit finds 0 breakable cells, and the export check judges every
city-quarter on its own (no infeasible LP: the bug of a balance taken as a count)."""

from __future__ import annotations

import duckdb
import pytest
from shared_demo_world import world_resources

from disclosure.audit import audit_connection

SCALE, SEED = 0.003, 20190101
# Solingen: the city-quarter whose export LP was infeasible on the 8-city world; Duisburg: a
# second German city with another district grid. Two years keep the build under two minutes.
CITIES = ["solingen", "duisburg"]
START, END = "2025-01", "2026-09"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_world(tmp_path_factory):
    import dagster as dg

    from ingest.demo.generate import generate
    from orchestration.defs.disclosure import disclosure_repair
    from orchestration.pipeline import run_pipeline

    root = tmp_path_factory.mktemp("small_world_0003")
    generate(
        scale=SCALE,
        seed=SEED,
        landing=root / "landing",
        truth=root / "truth",
        cities=CITIES,
        start=START,
        end=END,
        overwrite=True,
        progress=lambda *_: None,
    )
    selection = dg.AssetSelection.assets(disclosure_repair).upstream().without_checks()
    run_pipeline(selection, cities=CITIES, resources=world_resources(root), log=lambda _msg: None)
    return root / "warehouse.duckdb"


def test_repair_leaves_no_breakable_cell(small_world):
    from disclosure.verdict import fingerprint, recorded

    con = duckdb.connect(str(small_world), read_only=True)
    try:
        before, after, suppressed_before, suppressed_after = con.execute(
            "select n_breakable_before, n_breakable_after, n_suppressed_before, n_suppressed_after "
            "from meta.disclosure_audit_summary where table_name = 'total'"
        ).fetchone()
        report = audit_connection(con)  # judged afresh from the tables as written
        verdict, fp = recorded(con), fingerprint(con)
    finally:
        con.close()
    assert before > 0 and suppressed_after > suppressed_before  # the tiny world needs the repair
    assert after == 0
    assert report.ok, "\n".join(report.lines())
    assert report.total.suppressed == suppressed_after and report.n_relations > 500
    assert verdict.ok and verdict.fingerprint == fp  # what publish may reuse


def test_every_city_quarter_passes_the_export_check(small_world):
    """The export's audit of each city-quarter alone: judged (no AuditError) and safe."""
    con = duckdb.connect(str(small_world), read_only=True)
    try:
        scopes = con.execute("select distinct city, period from exchange.fct_exchange_cells order by all").fetchall()
        verdicts = {scope: audit_connection(con, scope=scope) for scope in scopes}
    finally:
        con.close()
    assert {c for c, _ in scopes} == set(CITIES) and len(scopes) >= 2 * 7
    assert [s for s, r in verdicts.items() if not r.ok] == []


def test_the_measure_kinds_hold_on_every_value_of_the_world(small_world):
    """The definition (disclosure.relations.measure_kind) agrees with every published and true
    value: no count is negative or fractional, only balances have a sign."""
    from disclosure.relations import CELL_TABLES, MEASURES, TRUTH, VALUE_MEASURE, measure_kind

    con = duckdb.connect(str(small_world), read_only=True)
    try:
        wrong = []
        for table in [t for t, _ in CELL_TABLES] + [TRUTH]:
            for m in MEASURES:
                rows = con.execute(
                    f"""select indicator_id, bool_and({m} >= 0), bool_and({m} = round({m}))
                    from {table} where {m} is not null group by 1"""
                ).fetchall()
                for ind, nonneg, integral in rows:
                    if m == "value" and ind not in VALUE_MEASURE:
                        continue  # a rate's value is no cell of the audit
                    integer, nonnegative = measure_kind(ind, m)
                    if (nonnegative and not nonneg) or (integer and not integral):
                        wrong.append((table, ind, m))
    finally:
        con.close()
    assert wrong == []
