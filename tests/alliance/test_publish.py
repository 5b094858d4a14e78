"""Publishing the planners' copy: only published schemas, no pseudonyms, atomic swap, Excel."""

from __future__ import annotations

import threading

import duckdb
import openpyxl
import pytest

from orchestration import publish as pub
from orchestration.publish import PublishError, publish, write_excel


def make_warehouse(path, *, dortmund_value=0.3, leak=False):
    con = duckdb.connect(str(path))
    con.execute("""
        create schema raw; create schema staging; create schema intermediate; create schema marts;
        create schema alliance; create schema exchange; create schema reference; create schema meta;
        create schema exchange_import;
        create table raw.meldewesen (person_pseudonym varchar, ereignis_art varchar);
        insert into raw.meldewesen values ('ab12', 'ZU_AUSLAND');
        create view staging.stg_meldewesen__events as select * from raw.meldewesen;
        create table intermediate.int_exchange__cells (city varchar, numerator double);
        create table exchange_import.cells (city varchar);
        create table marts.fct_fluctuation (city varchar, period varchar, inflow bigint);
        insert into marts.fct_fluctuation values ('dortmund', '2026-Q3', 40);
        create view marts.v_fluctuation_totals as select city, sum(inflow) as inflow from marts.fct_fluctuation group by 1;
        create table exchange.fct_exchange_cells (city varchar, numerator double);
        create table reference.nationalities (destatis_key varchar);
        create table reference.indicator_catalogue (indicator_id varchar, name_de varchar, name_en varchar,
            name_nl varchar, definition varchar, caveats varchar, reading_aid varchar);
        insert into reference.indicator_catalogue values
            ('ava_share', 'AVA-Anteil', 'AVA share', 'Aandeel vow', 'def', 'cav', 'read'),
            ('inflow', 'Zuzüge', 'In-migration', 'Vestigingen', 'def', 'cav', 'read');
        create table meta.load_runs (run_id varchar, started_at timestamp, finished_at timestamp, synthetic boolean,
            loaded integer, superseded integer, duplicate integer, quarantined integer, pending integer);
        insert into meta.load_runs values ('r1', null, null, true, 1, 0, 0, 0, 0);
        create table meta.delivery_registry (delivery_file varchar, city varchar, source varchar, form varchar,
            period varchar, version integer, file_sha256 varchar, received_at timestamp, registered_at timestamp,
            status varchar);
        insert into meta.delivery_registry values ('dortmund/meldewesen/2026-07.csv', 'dortmund', 'meldewesen', '',
            '2026-07', 1, 'abc', now(), now(), 'loaded');
        create schema official;
        create table official.fct_official_migration (city_key varchar, year integer, zuzuege bigint);
        insert into official.fct_official_migration values ('05913000', 2015, 2);
        create table official.fct_register_vs_official_migration (city_key varchar, year integer, register_value bigint);
        insert into official.fct_register_vs_official_migration values ('05913000', 2015, 2);
    """)
    con.execute(
        """create table alliance.fct_intercity_indicators as
        select * from (values ('dortmund', '2026-Q3', 'ava_share', 'total', 'INSGESAMT', true, ?::double, 1),
                              ('duisburg', '2026-Q3', 'ava_share', 'total', 'INSGESAMT', true, 0.5, 2))
        t(city, period, indicator_id, breakdown, group_value, is_total, value, rank_among_cities)""",
        [dortmund_value],
    )
    if leak:
        con.execute("alter table alliance.fct_intercity_indicators add column person_pseudonym varchar")
    con.close()
    return path


@pytest.fixture
def warehouse(tmp_path):
    return make_warehouse(tmp_path / "warehouse.duckdb")


def test_publish_copies_only_published_schemas(tmp_path, warehouse):
    target = tmp_path / "published" / "warehouse.duckdb"
    summary = publish(warehouse, target)
    assert set(summary["tables"]) == {
        "alliance.fct_intercity_indicators",
        "exchange.fct_exchange_cells",
        "official.fct_official_migration",
        "reference.indicator_catalogue",
        "publication.load_runs",
        "publication.delivery_counts",
    }
    assert summary["synthetic"] is True
    con = duckdb.connect(str(target), read_only=True)
    schemas = {r[0] for r in con.execute("select distinct table_schema from information_schema.tables").fetchall()}
    columns = [r[0] for r in con.execute("select column_name from information_schema.columns").fetchall()]
    assert con.execute("select synthetic, loaded_files from publication.about").fetchone() == (True, 1)
    # bookkeeping aggregated: counts per city/source/period/status, no file names or hashes
    assert con.execute("select city, source, period, status, n_files from publication.delivery_counts").fetchall() == [
        ("dortmund", "meldewesen", "2026-07", "loaded", 1)
    ]
    con.close()
    # the city marts (unsuppressed counts) and the official comparison (raw register counts) stay private
    assert schemas == {"alliance", "exchange", "official", "reference", "publication"}
    assert "delivery_file" not in columns and "file_sha256" not in columns
    assert not [c for c in columns if "pseudonym" in c.lower()]
    parquet = sorted(p.name for p in (target.parent / "parquet").iterdir())
    assert parquet == sorted(f"{t}.parquet" for t in summary["tables"])
    assert_no_leftovers(target)


def assert_no_leftovers(target):
    """No temp files: besides the published copy only its current version, the link to it and
    the publish lock."""
    hidden = {p.name for p in target.parent.iterdir() if p.name.startswith(".")}
    assert hidden == {f".{target.name}.current", f".{target.name}.versions", ".publish.lock"}
    assert len(list((target.parent / f".{target.name}.versions").iterdir())) == 1


def test_publish_refuses_pseudonym_column_and_keeps_old_file(tmp_path, warehouse):
    target = tmp_path / "pub.duckdb"
    publish(warehouse, target)
    before = target.read_bytes()
    leaky = make_warehouse(tmp_path / "leaky.duckdb", leak=True)
    with pytest.raises(PublishError, match="pseudonym"):
        publish(leaky, target)
    assert target.read_bytes() == before
    assert_no_leftovers(target)


def test_failed_publish_leaves_old_file(tmp_path, warehouse, monkeypatch):
    target = tmp_path / "pub.duckdb"
    publish(warehouse, target)
    before = target.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pub, "_forbidden_columns", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        publish(warehouse, target)
    assert target.read_bytes() == before
    assert_no_leftovers(target)


def test_missing_catalogue_is_an_error(tmp_path, warehouse):
    con = duckdb.connect(str(warehouse))
    con.execute("drop table reference.indicator_catalogue")
    con.close()
    with pytest.raises(PublishError, match="indicator_catalogue"):
        publish(warehouse, tmp_path / "pub.duckdb")
    assert not (tmp_path / "pub.duckdb").exists()


def test_reader_of_old_file_keeps_reading_during_swap(tmp_path):
    target = tmp_path / "pub.duckdb"
    publish(make_warehouse(tmp_path / "v1.duckdb", dortmund_value=0.3), target)
    reader = duckdb.connect(str(target), read_only=True)
    query = "select value from alliance.fct_intercity_indicators where city = 'dortmund'"
    assert reader.execute(query).fetchone() == (0.3,)

    # publish v2 from another thread while the reader holds the old file open
    errors = []
    t = threading.Thread(
        target=lambda: _try(errors, publish, make_warehouse(tmp_path / "v2.duckdb", dortmund_value=0.7), target)
    )
    t.start()
    t.join(60)
    assert not errors
    assert reader.execute(query).fetchone() == (0.3,)  # the old snapshot, still whole
    reader.close()
    fresh = duckdb.connect(str(target), read_only=True)
    assert fresh.execute(query).fetchone() == (0.7,)  # new readers see the new file
    fresh.close()


def _try(errors, fn, *args):
    try:
        fn(*args)
    except Exception as exc:  # pragma: no cover - reported by the assertion
        errors.append(exc)


def test_excel_extract(tmp_path, warehouse):
    target = tmp_path / "pub.duckdb"
    publish(warehouse, target)
    out = write_excel("dortmund", ["ava_share", "inflow"], tmp_path / "x.xlsx", target)
    wb = openpyxl.load_workbook(out, read_only=True)
    assert wb.sheetnames == ["Hinweise", "ava_share", "inflow", "Katalog"]
    assert "SYNTHETISCHE DEMODATEN" in wb["Hinweise"]["A1"].value
    rows = list(wb["ava_share"].values)
    assert rows[0][:3] == ("city", "period", "indicator_id") and rows[1][6] == 0.3 and len(rows) == 2
    assert len(list(wb["inflow"].values)) == 1  # header only: no rows for this indicator
    catalogue = list(wb["Katalog"].values)
    assert {r[0] for r in catalogue[1:]} == {"ava_share", "inflow"} and "name_nl" in catalogue[0]


def test_excel_rejects_unknown_indicator_and_city(tmp_path, warehouse):
    target = tmp_path / "pub.duckdb"
    publish(warehouse, target)
    with pytest.raises(ValueError, match="unknown indicator"):
        write_excel("dortmund", ["nope"], tmp_path / "x.xlsx", target)
    with pytest.raises(ValueError, match="not in the published"):
        write_excel("atlantis", ["inflow"], tmp_path / "x.xlsx", target)


def test_publish_refuses_unsuppressed_small_count_and_keeps_old_file(tmp_path, warehouse):
    target = tmp_path / "pub.duckdb"
    publish(warehouse, target)
    before = target.read_bytes()
    small = make_warehouse(tmp_path / "small.duckdb")
    con = duckdb.connect(str(small))
    con.execute(
        "create table exchange.fct_exchange_district_cells (city varchar, numerator double, is_suppressed boolean)"
    )
    con.execute(
        "insert into exchange.fct_exchange_district_cells values ('dortmund', 2, false), ('dortmund', null, true)"
    )
    con.close()
    with pytest.raises(PublishError, match="fct_exchange_district_cells.numerator"):
        publish(small, target)
    assert target.read_bytes() == before


def test_publish_refuses_register_counts_in_official_schema(tmp_path):
    wh = make_warehouse(tmp_path / "w.duckdb")
    con = duckdb.connect(str(wh))
    con.execute("create table official.fct_other (year integer, register_value bigint)")
    con.close()
    with pytest.raises(PublishError, match="register count in an official table"):
        publish(wh, tmp_path / "pub.duckdb")


def test_small_count_scan_exempts_suppressed_rows_and_operational_counts(tmp_path):
    con = duckdb.connect(str(tmp_path / "x.duckdb"))
    con.execute("create schema alliance; create schema publication")
    con.execute(
        "create table alliance.t (numerator double, value double, n_cities_ranked bigint, is_suppressed boolean)"
    )
    con.execute("insert into alliance.t values (null, null, 2, true), (5, 1.0, 2, false)")  # share 1.0 is no count
    con.execute("create table publication.delivery_counts (version integer, n_files bigint)")
    con.execute("insert into publication.delivery_counts values (2, 1)")
    assert pub.small_count_problems(con) == []
    con.execute("create table alliance.curves (months integer, n_at_risk bigint)")
    con.execute("insert into alliance.curves values (3, 1)")
    assert pub.small_count_problems(con) == ["alliance.curves.n_at_risk: 1 unsuppressed value(s) of 1 or 2"]
    con.close()
