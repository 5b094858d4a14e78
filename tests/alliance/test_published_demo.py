"""The published copy of a real (small) demo warehouse: nothing person-level or small is in it,
the district breakdown and the report's tables are, and the planners' five queries run on it."""

from __future__ import annotations

import duckdb
import pytest

from orchestration import planner_queries
from orchestration.publish import small_count_problems

pytestmark = pytest.mark.slow


@pytest.fixture
def pub(published_demo):
    con = duckdb.connect(str(published_demo[1]), read_only=True)
    yield con
    con.close()


def _tables(con) -> set[str]:
    return {
        r[0] for r in con.execute("select table_schema || '.' || table_name from information_schema.tables").fetchall()
    }


def test_no_unsuppressed_count_of_one_or_two_in_any_published_table(pub):
    assert small_count_problems(pub) == []
    # the scan looked at the tables that hold counts (a scan of nothing would pass too)
    counted = pub.execute(
        "select count(*) from alliance.fct_intercity_indicators where not is_suppressed and numerator >= 3"
    ).fetchone()[0]
    hidden = pub.execute("select count(*) from alliance.fct_district_indicators where is_suppressed").fetchone()[0]
    assert counted > 100 and hidden > 0


def test_person_level_and_raw_marts_are_not_published(pub, published_demo):
    schemas = {t.split(".")[0] for t in _tables(pub)}
    assert schemas == {"alliance", "exchange", "official", "reference", "publication"}
    assert "official.fct_register_vs_official_migration" not in _tables(pub)  # raw register counts
    columns = {
        r[0]
        for r in pub.execute(
            "select column_name from information_schema.columns where table_schema = 'publication'"
        ).fetchall()
    }
    assert not columns & {"delivery_file", "file_sha256", "details", "observed", "failed_rows", "rows", "landing_dir"}
    # ...while the warehouse itself does have small counts in the marts (the scan can fail)
    with duckdb.connect(str(published_demo[0]), read_only=True) as wh:
        assert wh.execute("select count(*) from marts.fct_fluctuation where inflows between 1 and 2").fetchone()[0] > 0


def test_scan_finds_an_unsuppressed_small_count(tmp_path, published_demo):
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(published_demo[1].read_bytes())
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "update alliance.fct_district_indicators set numerator = 2, value = 2, is_suppressed = false "
            "where rowid = (select min(rowid) from alliance.fct_district_indicators where is_suppressed)"
        )
        assert any("fct_district_indicators.numerator" in p for p in small_count_problems(con))


def test_report_tables_and_district_breakdown_are_published(pub):
    tables = _tables(pub)
    for t in (
        "alliance.fct_intercity_indicators",
        "alliance.fct_retention_curves",
        "alliance.fct_dunkelziffer_estimates",
        "alliance.fct_register_vs_official",
        "alliance.fct_district_indicators",
        "reference.indicator_catalogue",
        "publication.delivery_counts",
        "publication.load_runs",
        "publication.about",
    ):
        assert t in tables, t
    ids = {r[0] for r in pub.execute("select distinct indicator_id from alliance.fct_district_indicators").fetchall()}
    assert ids == {
        "population",
        "inflow",
        "outflow",
        "net_migration",
        "moves_in",
        "moves_out",
        "dwell_3y_share",
        "sgb2_elb_rate",
    }
    districts = pub.execute(
        "select count(distinct district_code) from alliance.fct_district_indicators where city = 'muenster'"
    ).fetchone()[0]
    assert districts > 3
    ausl = pub.execute(
        "select count(*) from alliance.fct_intercity_indicators where group_value = 'AUSL' and not is_suppressed"
    ).fetchone()[0]
    assert ausl > 0
    dz_cols = {
        r[0]
        for r in pub.execute(
            "select column_name from information_schema.columns where table_name = 'fct_dunkelziffer_estimates'"
        ).fetchall()
    }
    assert {"method", "point", "ci_lower", "ci_upper", "assumptions", "warnings"} <= dz_cols
    assert not dz_cols & {"inputs", "alternatives"}


def test_ausl_is_total_minus_national_group(pub):
    rows = pub.execute("""
        select a.value, t.value - n.value
        from alliance.fct_intercity_indicators a
        join alliance.fct_intercity_indicators t using (city, period, indicator_id, basis)
        join alliance.fct_intercity_indicators n using (city, period, indicator_id, basis)
        where a.group_value = 'AUSL' and t.breakdown = 'nationality_group' and t.group_value = 'INSGESAMT'
          and n.breakdown = 'nationality_group' and n.group_value = case when a.country = 'NL' then 'NL' else 'DE' end
          and a.indicator_id in ('population', 'inflow', 'outflow') and not a.is_suppressed""").fetchall()
    assert rows and all(abs(a - b) < 1e-9 for a, b in rows)


def test_planner_queries_run_on_the_published_copy(pub):
    """The queries of docs/planner_queries.md (the README shows the same text) give rows."""
    queries = planner_queries.queries()
    assert len(queries) >= 6
    for q in queries:
        rows = pub.execute(q).fetchall()
        assert rows, f"no rows from planner query:\n{q}"


def test_planner_excel_command_runs_on_the_published_copy(published_demo, tmp_path):
    """The Excel extract's command as the page shows it, on the published copy."""
    import openpyxl

    from orchestration import publish

    commands = planner_queries.commands(prefix="python -m orchestration.publish excel")
    assert len(commands) == 1
    args = commands[0][3:]  # after `python -m orchestration.publish`
    out = tmp_path / args[args.index("--out") + 1]
    args[args.index("--out") + 1] = str(out)
    assert publish.main([*args, "--published", str(published_demo[1])]) == 0
    book = openpyxl.load_workbook(out, read_only=True)
    indicators = args[args.index("--indicators") + 1].split(",")
    assert book.sheetnames == ["Hinweise", *indicators, "Katalog"]
    assert all(book[i].max_row > 1 for i in indicators), "an indicator sheet without rows"
