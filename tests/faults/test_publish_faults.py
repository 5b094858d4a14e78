"""The published copy and the exchange outbox under faults: stale marts of a killed or failed
dbt build are never published, a publish killed at any moment leaves the old copy whole and
its leftovers are removed by the next one, readers never fail during swaps, formula-like text
stays text in Excel, and a killed export never leaves half a package under a package's name."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "alliance"))
from test_publish import make_warehouse  # noqa: E402

from orchestration.exchange import PackageRejected, export_package, verify_package  # noqa: E402
from orchestration.publish import PublishError, publish, write_excel  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def _record_build(wh: Path, status: str, data_version_of_now: bool = True) -> None:
    con = duckdb.connect(str(wh))
    try:
        con.execute(
            "create table if not exists meta.dbt_builds (invocation_id varchar, command varchar, started_at timestamp, "
            "finished_at timestamp, status varchar, data_version varchar, loaded_files bigint)"
        )
        version = (
            "(select sha256(coalesce(string_agg(delivery_file || file_sha256, '' order by delivery_file), '')) "
            "from meta.delivery_registry where status = 'loaded')"
            if data_version_of_now
            else "'an older version'"
        )
        con.execute(
            f"insert into meta.dbt_builds select ?, 'build', now(), null, ?, {version}, 1",
            [f"inv-{status}-{time.time()}", status],
        )
    finally:
        con.close()


def test_killed_dbt_build_is_not_published(tmp_path):
    wh = make_warehouse(tmp_path / "wh.duckdb")
    target = tmp_path / "pub" / "warehouse.duckdb"
    _record_build(wh, "complete")
    publish(wh, target)
    before = (
        duckdb.connect(str(target), read_only=True).execute("select data_version from publication.about").fetchone()
    )
    time.sleep(0.01)
    _record_build(wh, "running")  # dbt build started and was killed: never set to complete
    with pytest.raises(PublishError, match="did not finish"):
        publish(wh, target)
    _record_build(wh, "failed")
    with pytest.raises(PublishError, match="failed"):
        publish(wh, target)
    con = duckdb.connect(str(target), read_only=True)
    assert con.execute("select data_version from publication.about").fetchone() == before  # the old copy stays
    con.close()


def test_deliveries_loaded_after_the_build_are_not_published_as_built(tmp_path):
    wh = make_warehouse(tmp_path / "wh.duckdb")
    _record_build(wh, "complete")
    con = duckdb.connect(str(wh))
    con.execute(
        "insert into meta.delivery_registry values ('dortmund/meldewesen/2026-08.csv', 'dortmund', 'meldewesen', '', "
        "'2026-08', 1, 'def', now(), now(), 'loaded')"
    )
    con.close()
    with pytest.raises(PublishError, match="deliveries changed since the last dbt build"):
        publish(wh, tmp_path / "pub.duckdb")
    time.sleep(0.01)
    _record_build(wh, "complete")  # built again from what is loaded now
    assert publish(wh, tmp_path / "pub.duckdb")["tables"]


def test_dbt_records_its_build_and_publish_reports_that_version(published_demo):
    warehouse, published = published_demo
    con = duckdb.connect(str(warehouse), read_only=True)
    status, built_from = con.execute(
        "select status, data_version from meta.dbt_builds order by started_at desc limit 1"
    ).fetchone()
    con.close()
    pub = duckdb.connect(str(published), read_only=True)
    assert (status, built_from) == ("complete", pub.execute("select data_version from publication.about").fetchone()[0])
    pub.close()


KILL_PUBLISH = [sys.executable, "-m", "orchestration.publish", "--warehouse", "{wh}", "--target", "{target}"]


def test_publish_killed_at_random_moments_leaves_a_whole_copy_and_the_next_cleans_up(tmp_path):
    wh = make_warehouse(tmp_path / "wh.duckdb")
    target = tmp_path / "pub" / "warehouse.duckdb"
    publish(wh, target)
    rng = random.Random(19)
    cmd = [c.format(wh=wh, target=target) for c in KILL_PUBLISH]
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=REPO, check=True, capture_output=True)
    duration = time.perf_counter() - t0
    kills = 0
    for _ in range(6):
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.0) * duration)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        con = duckdb.connect(str(target), read_only=True)  # old or new, whole either way
        assert con.execute("select count(*) from alliance.fct_intercity_indicators").fetchone() == (2,)
        con.close()
        assert duckdb.sql(
            f"select count(*) from read_parquet('{target.parent}/parquet/alliance.fct_intercity_indicators.parquet')"
        ).fetchone() == (2,)
    assert kills >= 2
    publish(wh, target)  # not blocked by the stale lock; removes what the killed ones left
    versions = list((target.parent / f".{target.name}.versions").iterdir())
    assert len(versions) <= 2 and all((v / target.name).exists() for v in versions)
    assert not list(target.parent.glob(".*.link.*"))


def test_leftovers_of_the_old_publish_code_are_removed(tmp_path, warehouse=None):
    wh = make_warehouse(tmp_path / "wh.duckdb")
    target = tmp_path / "pub.duckdb"
    for name in (".pub.x1.duckdb.tmp", ".pub.x1.duckdb.tmp.wal"):
        (tmp_path / name).write_bytes(b"half")
    (tmp_path / ".parquet.abc").mkdir()
    (tmp_path / ".parquet.old.123").mkdir()
    publish(wh, target)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith((".pub.x1", ".parquet."))]


def test_readers_never_fail_during_publishes(tmp_path):
    wh_a = make_warehouse(tmp_path / "a.duckdb", dortmund_value=0.3)
    wh_b = make_warehouse(tmp_path / "b.duckdb", dortmund_value=0.7)
    target = tmp_path / "pub" / "warehouse.duckdb"
    publish(wh_a, target)
    stop, errors, queries = threading.Event(), [], [0]

    def read():
        parquet = target.parent / "parquet" / "alliance.fct_intercity_indicators.parquet"
        while not stop.is_set():
            try:
                con = duckdb.connect(str(target), read_only=True)
                value = con.execute(
                    "select value from alliance.fct_intercity_indicators where city = 'dortmund'"
                ).fetchone()
                con.close()
                assert value in ((0.3,), (0.7,))
                assert duckdb.connect().execute(f"select count(*) from read_parquet('{parquet}')").fetchone() == (2,)
                queries[0] += 2
            except Exception as exc:  # noqa: BLE001 - counted
                errors.append(repr(exc))

    threads = [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    for i in range(8):
        publish(wh_b if i % 2 == 0 else wh_a, target)
    stop.set()
    for t in threads:
        t.join()
    assert errors == [] and queries[0] > 20


def test_formula_like_text_stays_text_in_excel(tmp_path):
    wh = make_warehouse(tmp_path / "wh.duckdb")
    con = duckdb.connect(str(wh))
    con.execute("update alliance.fct_intercity_indicators set group_value = '=1+2' where city = 'dortmund'")
    con.execute(
        "update reference.indicator_catalogue set name_de = '@SUMME(A1)', definition = '+49 1' where indicator_id = 'ava_share'"
    )
    con.close()
    target = tmp_path / "pub.duckdb"
    publish(wh, target)
    out = write_excel("dortmund", ["ava_share"], tmp_path / "x.xlsx", target)
    wb = openpyxl.load_workbook(out)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    formula_like = [c for c in cells if c.value[:1] in "=+@"]
    assert {c.value for c in formula_like} >= {"=1+2", "@SUMME(A1)", "+49 1"}
    assert all(c.data_type == "s" for c in formula_like), [(c.value, c.data_type) for c in formula_like]
    assert not [c for c in cells if c.data_type == "f"]


def test_export_killed_at_random_moments_never_leaves_half_a_package(tmp_path, published_demo):
    warehouse, _ = published_demo
    outbox = tmp_path / "outbox"
    t0 = time.perf_counter()
    first = export_package("muenster", "2026-Q3", outbox, warehouse)
    duration = time.perf_counter() - t0
    verify_package(first)
    code = (
        "import sys; from orchestration.exchange import export_package; "
        "export_package('muenster', '2026-Q3', sys.argv[1], sys.argv[2])"
    )
    rng = random.Random(7)
    for _ in range(5):
        proc = subprocess.Popen([sys.executable, "-c", code, str(outbox), str(warehouse)], cwd=REPO)
        time.sleep(rng.uniform(0.5, 1.5) * duration)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        for pkg in (p for p in outbox.iterdir() if p.is_dir()):
            if pkg.name.startswith("."):  # unfinished: never taken by an importer
                with pytest.raises(PackageRejected, match="unfinished export"):
                    verify_package(pkg)
            else:
                verify_package(pkg)
    export_package("muenster", "2026-Q3", outbox, warehouse)
    assert sorted(p.name for p in outbox.iterdir() if p.is_dir()) == ["muenster_2026-Q3"]
    shutil.rmtree(outbox)
