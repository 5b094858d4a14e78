"""Delivery rules: idempotence, versions, duplicates, in-place changes, pending, atomicity,
configuration-only cities, the command line."""

from __future__ import annotations

import shutil
import subprocess
import sys

import duckdb
import pytest
from ingest_helpers import EXAMPLES, snapshot

import ingest.load as load_module
from ingest.errors import WarehouseFailure
from ingest.load import load_landing

MONTH = "wuppertal/meldewesen/2024-10.csv"


def q(wh, sql, params=()):
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def status_of(wh, rel):
    return q(wh, "SELECT status, superseded_by FROM meta.delivery_registry WHERE delivery_file = ?", [rel])


def corrected_v2(landing, drop_last=1):
    """A `_v2` of the October file: the last record dropped, one sex code corrected."""
    lines = (landing / MONTH).read_text().splitlines(keepends=True)
    lines = lines[:-drop_last]
    lines[1] = lines[1].replace(";2011;w;", ";2011;m;")
    v2 = landing / "wuppertal/meldewesen/2024-10_v2.csv"
    v2.write_text("".join(lines))
    return v2, len(lines) - 1


def test_second_run_changes_nothing(world):
    landing, wh = world
    before = snapshot(wh)
    summary = load_landing(landing, wh)
    assert summary.unchanged == 54 and summary.outcomes == []
    assert snapshot(wh) == before
    assert q(wh, "SELECT count(*) FROM meta.load_runs") == [(2,)]  # the run itself is logged


def test_v2_replaces_the_period(world):
    landing, wh = world
    v2, records = corrected_v2(landing)
    summary = load_landing(landing, wh)
    assert [(o.file, o.status) for o in summary.outcomes] == [("wuppertal/meldewesen/2024-10_v2.csv", "loaded")]
    assert q(
        wh,
        "SELECT count(*), min(delivery_version), max(delivery_version) FROM raw.meldewesen "
        "WHERE city='wuppertal' AND delivery_period='2024-10'",
    ) == [(records, 2, 2)]
    assert q(wh, "SELECT geschlecht FROM raw.meldewesen WHERE ereignis_id='WUP000000000'") == [("m",)]
    assert status_of(wh, MONTH) == [("superseded", "wuppertal/meldewesen/2024-10_v2.csv")]
    assert status_of(wh, "wuppertal/meldewesen/2024-10_v2.csv") == [("loaded", None)]
    # other periods untouched
    assert q(wh, "SELECT count(*) FROM raw.meldewesen WHERE city='wuppertal'") == [(records + 5 + 9,)]


def test_older_version_arriving_later_is_superseded(tmp_path):
    landing = tmp_path / "landing"
    (landing / "wuppertal/meldewesen").mkdir(parents=True)
    (landing / "wuppertal/gebiete").mkdir(parents=True)
    shutil.copy(EXAMPLES / "wuppertal/gebiete/current.csv", landing / "wuppertal/gebiete/current.csv")
    shutil.copy(EXAMPLES / MONTH, landing / MONTH)
    v2, records = corrected_v2(landing)
    (landing / MONTH).unlink()  # v2 arrives first
    wh = tmp_path / "wh.duckdb"
    load_landing(landing, wh)
    shutil.copy(EXAMPLES / MONTH, landing / MONTH)  # then v1
    summary = load_landing(landing, wh)
    assert [(o.file, o.status) for o in summary.outcomes] == [(MONTH, "superseded")]
    assert status_of(wh, MONTH) == [("superseded", "wuppertal/meldewesen/2024-10_v2.csv")]
    assert q(wh, "SELECT count(*), max(delivery_version) FROM raw.meldewesen") == [(records, 2)]


def test_both_versions_in_one_run_load_only_the_highest(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(EXAMPLES / "wuppertal", landing / "wuppertal")
    for p in landing.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    corrected_v2(landing)
    summary = load_landing(landing, tmp_path / "wh.duckdb")
    statuses = {o.file: o.status for o in summary.outcomes}
    assert statuses[MONTH] == "superseded"
    assert statuses["wuppertal/meldewesen/2024-10_v2.csv"] == "loaded"


def test_same_bytes_under_another_name_is_duplicate(world):
    landing, wh = world
    before = snapshot(wh)
    shutil.copy(landing / MONTH, landing / "wuppertal/meldewesen/2025-01.csv")
    summary = load_landing(landing, wh)
    assert [(o.status, o.reason) for o in summary.outcomes] == [("duplicate", f"same bytes as {MONTH}")]
    assert snapshot(wh, {"wuppertal/meldewesen/2025-01.csv"}) == before


def test_file_changed_in_place_is_quarantined(world):
    landing, wh = world
    before = snapshot(wh)
    path = landing / MONTH
    path.write_text(path.read_text().replace(";2011;w;", ";2011;m;"))
    summary = load_landing(landing, wh)
    [o] = summary.outcomes
    assert o.status == "quarantined" and "changed in place" in o.reason
    after = snapshot(wh)
    assert after["raw.meldewesen"] == before["raw.meldewesen"]
    assert sorted(status_of(wh, MONTH)) == [("loaded", None), ("quarantined", None)]


def test_waits_for_gebiete_then_loads(tmp_path):
    landing = tmp_path / "landing"
    (landing / "wuppertal/meldewesen").mkdir(parents=True)
    shutil.copy(EXAMPLES / MONTH, landing / MONTH)
    wh = tmp_path / "wh.duckdb"
    first = load_landing(landing, wh)
    assert [(o.status, o.reason) for o in first.outcomes] == [
        ("pending", "waiting for the gebiete reference of wuppertal")
    ]
    before = snapshot(wh)
    again = load_landing(landing, wh)
    assert again.pending == 1 and snapshot(wh) == before
    (landing / "wuppertal/gebiete").mkdir()
    shutil.copy(EXAMPLES / "wuppertal/gebiete/current.csv", landing / "wuppertal/gebiete/current.csv")
    third = load_landing(landing, wh)
    assert third.loaded == 2
    assert q(wh, "SELECT status, rows FROM meta.delivery_registry WHERE delivery_file = ?", [MONTH]) == [("loaded", 8)]


def test_failure_mid_load_leaves_previous_state(world, monkeypatch):
    landing, wh = world
    corrected_v2(landing)
    before = snapshot(wh)
    real_insert = load_module._insert_frame

    def insert_then_fail(con, table, frame):
        real_insert(con, table, frame)  # rows are in, old ones deleted ...
        raise RuntimeError("disk full (injected)")  # ... then the load breaks

    monkeypatch.setattr(load_module, "_insert_frame", insert_then_fail)
    with pytest.raises(WarehouseFailure, match="injected"):  # the warehouse's failure, not the file's
        load_landing(landing, wh)
    assert snapshot(wh) == before  # nothing half-done, nothing registered
    monkeypatch.setattr(load_module, "_insert_frame", real_insert)
    assert load_landing(landing, wh).loaded == 1  # the next run picks it up


def test_ninth_city_by_configuration_only(tmp_path, monkeypatch):
    cfg_dir = tmp_path / "cities"
    cfg_dir.mkdir()
    (cfg_dir / "essen.yaml").write_text(
        "slug: essen\nname: Essen\ncountry: DE\nofficial_key: '05113000'\nkey_type: AGS\n"
        "dialect: standard\nfile_format: csv\nsources: [meldewesen, gebiete]\nalliances: [alle]\n"
    )
    monkeypatch.setenv("CITY_CONFIG_DIR", str(cfg_dir))
    landing = tmp_path / "landing"
    (landing / "essen/gebiete").mkdir(parents=True)
    (landing / "essen/meldewesen").mkdir(parents=True)
    # district reform on 2024-01-01: 01 ends, 11 and 12 begin
    (landing / "essen/gebiete/current.csv").write_text(
        "bezirk_code;bezirk_name;ebene;uebergeordnet_code;gueltig_ab;gueltig_bis;flaeche_ha\n"
        "01;Alt;stadtbezirk;;2000-01-01;2023-12-31;500\n"
        "02;Bleibt;stadtbezirk;;2000-01-01;;300\n"
        "11;Neu-Nord;stadtbezirk;;2024-01-01;;200\n"
        "12;Neu-Sued;stadtbezirk;;2024-01-01;;300\n"
    )
    header = (
        "ereignis_id;ereignis_datum;meldedatum;ereignis_art;person_pseudonym;geburtsjahr;geschlecht;"
        "staatsangehoerigkeit;staatsangehoerigkeit_2;bezirk_alt;bezirk_neu;adresse_pseudonym;herkunft_ziel\n"
    )
    p = "0123456789abcdef0123456789abcdef"
    (landing / "essen/meldewesen/2024-01.csv").write_text(
        header
        + f"ESS1;2023-12-20;2024-01-03;UMZUG;{p};1980;w;000;;01;02;{p};\n"  # old code, old date
        + f"ESS2;2024-01-05;2024-01-08;ZU_AUSLAND;{p};1990;m;475;;;11;{p};475\n"
    )
    (landing / "essen/meldewesen/2024-02.csv").write_text(
        header + f"ESS3;2024-02-05;2024-02-08;UMZUG;{p};1980;w;000;;02;01;{p};\n"
    )  # 01 has ended
    wh = tmp_path / "wh.duckdb"
    summary = load_landing(landing, wh)
    got = {o.file: (o.status, o.reason, o.line) for o in summary.outcomes}
    assert got["essen/gebiete/current.csv"][0] == "loaded"
    assert got["essen/meldewesen/2024-01.csv"][0] == "loaded"
    assert got["essen/meldewesen/2024-02.csv"] == (
        "quarantined",
        "district code not valid on 2024-02-05 in bezirk_neu: '01'",
        2,
    )
    assert q(wh, "SELECT city, count(*) FROM raw.meldewesen GROUP BY city") == [("essen", 2)]


def test_synthetic_marker_is_recorded(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "DEMO_SYNTHETIC_DATA.txt").write_text("synthetic")
    wh = tmp_path / "wh.duckdb"
    assert load_landing(landing, wh).synthetic
    assert q(wh, "SELECT synthetic FROM meta.load_runs") == [(True,)]


def test_city_filter_and_log_hook(world):
    landing, wh = world
    corrected_v2(landing)
    shutil.copy(EXAMPLES / "dortmund/meldewesen/2024-10.csv", landing / "dortmund/meldewesen/2024-10_v2.csv")
    messages = []
    summary = load_landing(landing, wh, cities=["dortmund"], log=messages.append)
    # only Dortmund is looked at: its v2 has the bytes of v1 (duplicate); Wuppertal's v2 waits
    assert [(o.file, o.status) for o in summary.outcomes] == [("dortmund/meldewesen/2024-10_v2.csv", "duplicate")]
    assert status_of(wh, "wuppertal/meldewesen/2024-10_v2.csv") == []
    assert any(m.startswith("deliveries: 0 loaded, 0 superseded, 1 duplicate") for m in messages)


def test_command_line_exit_code_and_report(world):
    landing, wh = world
    (landing / "wuppertal/meldewesen/2025-01.csv").write_text("ereignis_id,ereignis_datum\nX,2025-01-01\n")
    res = subprocess.run(
        [sys.executable, "-m", "ingest", "load", "--landing", str(landing), "--warehouse", str(wh)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 3, res.stderr  # finished with quarantines: not 0, not a failure (1)
    assert "0 loaded, 0 superseded, 0 duplicate, 1 quarantined, 0 pending" in res.stdout
    assert res.stdout.rstrip().endswith("finished with 1 quarantined")
    assert "wuppertal/meldewesen/2025-01.csv (line 1): wrong separator" in res.stdout
