"""Write batches and the duplicate-id check: results do not depend on how deliveries are
grouped into transactions; a failure rolls back whole deliveries; the loaded-id range prunes
the table lookup only when no duplicate is possible."""

from __future__ import annotations

import duckdb
import pytest
from ingest_helpers import EXAMPLES, copy_tree

import ingest.batch as batch_module
import ingest.load as load_module
from ingest.errors import WarehouseFailure
from ingest.load import load_landing

W10, W11 = "wuppertal/meldewesen/2024-10.csv", "wuppertal/meldewesen/2024-11.csv"


def q(wh, sql, params=()):
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def wuppertal_landing(tmp_path):
    landing = tmp_path / "landing"
    copy_tree(EXAMPLES / "wuppertal", landing / "wuppertal")
    return landing


def content(wh):
    """Raw rows without load timestamps, and the registry's verdicts."""
    out = {}
    for (table,) in q(wh, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"):
        out[table] = sorted(q(wh, f"SELECT * EXCLUDE (loaded_at) FROM raw.{table}"), key=repr)
    out["registry"] = sorted(
        q(
            wh,
            "SELECT delivery_file, file_sha256, status, reason, line, rows, superseded_by FROM meta.delivery_registry",
        ),
        key=repr,
    )
    return out


@pytest.mark.parametrize("max_rows", [1, 10**6])
def test_duplicate_id_across_files_of_one_run(tmp_path, monkeypatch, max_rows):
    """The second file repeats an id of the first; both arrive in one run. With max_rows=1 the
    first is already in the table, otherwise it still waits in the batch: same verdict."""
    monkeypatch.setattr(batch_module, "MAX_BATCH_ROWS", max_rows)
    landing = wuppertal_landing(tmp_path)
    path = landing / W11
    path.write_text(path.read_text().replace("WUP000000008", "WUP000000003"))
    summary = load_landing(landing, tmp_path / "wh.duckdb")
    got = {o.file: (o.status, o.reason, o.line) for o in summary.outcomes}
    assert got[W10][0] == "loaded"
    assert got[W11] == ("quarantined", f"duplicate ereignis_id 'WUP000000003': already loaded from {W10}", 2)
    assert q(tmp_path / "wh.duckdb", "SELECT count(*) FROM raw.meldewesen WHERE delivery_period = '2024-11'") == [(0,)]


def test_batch_size_does_not_change_the_result(tmp_path, monkeypatch):
    landing = copy_tree(EXAMPLES, tmp_path / "landing")
    (landing / "wuppertal/meldewesen/2024-10_v2.csv").write_text(
        (landing / W10).read_text().replace(";2011;w;", ";2011;m;")
    )
    big = load_landing(landing, tmp_path / "big.duckdb")
    monkeypatch.setattr(batch_module, "MAX_BATCH_ROWS", 1)
    small = load_landing(landing, tmp_path / "small.duckdb")
    assert big.loaded == small.loaded > 50 and big.superseded == small.superseded == 1
    assert content(tmp_path / "big.duckdb") == content(tmp_path / "small.duckdb")


def test_failure_in_a_batch_rolls_back_every_delivery_of_it(tmp_path, monkeypatch):
    landing = copy_tree(EXAMPLES, tmp_path / "landing")
    wh = tmp_path / "wh.duckdb"
    real_insert = load_module._insert_frame
    calls = []

    def fail_on_third_table(con, table, frame):
        calls.append(table)
        real_insert(con, table, frame)
        if len(calls) == 3:
            raise RuntimeError("disk full (injected)")

    monkeypatch.setattr(load_module, "_insert_frame", fail_on_third_table)
    with pytest.raises(WarehouseFailure, match="injected"):
        load_landing(landing, wh)
    assert len(calls) == 3
    assert q(wh, "SELECT count(*) FROM meta.delivery_registry") == [(0,)]
    assert q(wh, "SELECT count(*) FROM raw.meldewesen") == [(0,)]
    assert q(wh, "SELECT count(*) FROM raw.gebiete") == [(0,)]
    monkeypatch.setattr(load_module, "_insert_frame", real_insert)
    assert load_landing(landing, wh).loaded == 54


def _next_month(landing, ids_from: str) -> str:
    """A 2025-01 file made of the December file: dates moved on by a month, ids renumbered."""
    text = (landing / "wuppertal/meldewesen/2024-12.csv").read_text()
    text = text.replace("2024-12-", "2025-01-").replace("2024-11-", "2024-12-").replace("2024-10-", "2024-11-")
    rel = "wuppertal/meldewesen/2025-01.csv"
    (landing / rel).write_text(text.replace("WUP0000000", ids_from))
    return rel


def test_new_ids_beyond_the_loaded_range_skip_the_table_lookup(world, monkeypatch):
    landing, wh = world
    rel = _next_month(landing, "WUP0000001")  # WUP00000001xx > every loaded id

    def must_not_run(*args):
        raise AssertionError("table lookup although the id ranges cannot overlap")

    monkeypatch.setattr(load_module, "_ids_in_table", must_not_run)
    summary = load_landing(landing, wh)
    assert [(o.file, o.status) for o in summary.outcomes] == [(rel, "loaded")]


def test_overlapping_id_range_looks_into_the_table(world, monkeypatch):
    """Ids inside the loaded range: the table is read, and a new id there is no duplicate."""
    landing, wh = world
    rel = _next_month(landing, "WUP00000000A")  # sorts between loaded ids, none equal
    real, calls = load_module._ids_in_table, []
    monkeypatch.setattr(load_module, "_ids_in_table", lambda *a: calls.append(1) or real(*a))
    summary = load_landing(landing, wh)
    assert [(o.file, o.status) for o in summary.outcomes] == [(rel, "loaded")]
    assert calls == [1]
