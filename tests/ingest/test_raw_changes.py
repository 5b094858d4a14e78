"""meta.raw_changes: what a load changed, in the transaction of the delivery; the per-city input
digests the city_incremental dbt models compare (meta.city_input_digests)."""

from __future__ import annotations

import duckdb
import pytest
from test_rules import MONTH, corrected_v2

import ingest.load as load_module
from ingest.errors import WarehouseFailure
from ingest.load import load_landing


def q(wh, sql, params=()):
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def digests(wh) -> dict[str, str]:
    return dict(q(wh, "SELECT city, input_digest FROM meta.city_input_digests"))


def test_first_load_records_new_periods_and_gebiete(world):
    _, wh = world
    kinds = dict(q(wh, "SELECT change_kind, count(*) FROM meta.raw_changes GROUP BY 1"))
    loaded = q(wh, "SELECT count(*) FROM meta.delivery_registry WHERE status IN ('loaded', 'superseded')")[0][0]
    assert kinds.get("new_period", 0) > 0 and kinds.get("new_gebiete", 0) > 0
    assert sum(kinds.values()) == loaded  # one change per delivery that went in, none for the rejected
    assert q(wh, "SELECT count(*) FROM meta.raw_changes WHERE load_id IS NULL") == [(0,)]


def test_a_v2_is_a_replacement_of_its_city_only(world):
    landing, wh = world
    before = digests(wh)
    corrected_v2(landing)
    summary = load_landing(landing, wh)
    rows = q(
        wh,
        "SELECT city, source, period, version, change_kind, replaced_file FROM meta.raw_changes WHERE load_id = ?",
        [summary.run_id],
    )
    assert rows == [("wuppertal", "meldewesen", "2024-10", 2, "replacement", MONTH)]
    after = digests(wh)
    assert {c for c in after if after[c] != before.get(c)} == {"wuppertal"}
    assert load_landing(landing, wh).outcomes == []  # nothing new: no change, the same digests
    assert digests(wh) == after


def test_a_failed_batch_records_no_change(world, monkeypatch):
    landing, wh = world
    corrected_v2(landing)
    before = q(wh, "SELECT count(*) FROM meta.raw_changes")
    real_insert = load_module._insert_frame

    def insert_then_fail(con, table, frame):
        real_insert(con, table, frame)
        raise RuntimeError("disk full (injected)")

    monkeypatch.setattr(load_module, "_insert_frame", insert_then_fail)
    with pytest.raises(WarehouseFailure):
        load_landing(landing, wh)
    assert q(wh, "SELECT count(*) FROM meta.raw_changes") == before


def test_a_quality_gate_block_changes_the_citys_digest(world):
    _, wh = world
    before = digests(wh)
    con = duckdb.connect(str(wh))
    try:
        con.execute("INSERT INTO meta.quality_gate VALUES ('wuppertal', 'meldewesen', '', '2024-10', 'c', 'r', now())")
    finally:
        con.close()
    after = digests(wh)
    assert {c for c in after if after[c] != before.get(c)} == {"wuppertal"}
