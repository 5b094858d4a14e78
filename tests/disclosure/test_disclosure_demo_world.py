"""The audit on the small demo world (tests/shared_demo_world.py), and a planted breakable pattern
that the publish step and the exchange export refuse."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from disclosure.audit import audit_connection
from disclosure.relations import CELL_TABLES, TRUTH

CELL_KEY = ["city", "period", "basis", "indicator_id", "breakdown", "group_value"]


def test_published_copy_has_no_breakable_cell(published_demo):
    warehouse, published = published_demo
    con = duckdb.connect(str(published), read_only=True)
    try:
        con.execute(f"attach '{warehouse}' as wh (read_only)")
        report = audit_connection(con, truth=f"wh.{TRUTH}")
    finally:
        con.close()
    assert report.total.checked > 1000 and report.total.suppressed > 100
    assert "exchange.fct_exchange_district_cells" in report.tables
    assert report.n_relations > 1000
    assert report.ok, "\n".join(report.lines())
    assert report.headline().startswith("0 breakable of ")


def test_every_city_quarter_passes_the_export_check(published_demo):
    """The export's audit of each city-quarter alone is judged and safe (with the kinds taken
    from the values a scope shows, Münster 2021-Q2 looked breakable through a balance taken as
    >= 0)."""
    warehouse, _ = published_demo
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        scopes = con.execute("select distinct city, period from exchange.fct_exchange_cells order by all").fetchall()
        broken = [s for s in scopes if not audit_connection(con, scope=s).ok]
    finally:
        con.close()
    assert len(scopes) > 50 and broken == []


def test_repair_step_recorded_its_verdict(published_demo):
    warehouse, _ = published_demo
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = {
            r[0]: r[1:]
            for r in con.execute(
                "select table_name, n_cells, n_suppressed_before, n_suppressed_after, n_breakable_after "
                "from meta.disclosure_audit_summary"
            ).fetchall()
        }
        repaired = con.execute("select count(*) from meta.disclosure_repair").fetchone()[0]
    finally:
        con.close()
    n, before, after, breakable = rows["total"]
    assert breakable == 0 and after >= before > 0 and n > after
    assert after - before <= repaired * 10  # a hidden position is a handful of indicator cells


def _plant_breakable(src, dst) -> tuple[str, str]:
    """Copy the warehouse and reopen every hidden cell but one primary of a breakdown whose total is
    published (values from the city layer): that primary is the total minus the rest."""
    shutil.copy(src, dst)
    con = duckdb.connect(str(dst))
    try:
        key = con.execute(
            f"""select {", ".join(CELL_KEY)} from exchange.fct_exchange_cells as c
            where suppression_reason = 'primary' and not is_total and breakdown = 'nationality_group'
              and exists (select 1 from exchange.fct_exchange_cells t where t.city = c.city and t.period = c.period
                  and t.indicator_id = c.indicator_id and t.breakdown = c.breakdown and t.is_total
                  and not t.is_suppressed)
              and (select count(*) filter (where suppression_reason = 'primary') from exchange.fct_exchange_cells o
                  where o.city = c.city and o.period = c.period and o.indicator_id = c.indicator_id
                  and o.breakdown = c.breakdown) = 1
            order by all limit 1"""
        ).fetchone()
        assert key is not None
        city, period, basis, indicator, breakdown, group = key
        for table, has_district in CELL_TABLES:
            district = "and t.district_code = 'INSGESAMT'" if has_district else ""
            con.execute(
                f"""update {table} as t set numerator = i.numerator, denominator = i.denominator, value = i.value,
                    is_suppressed = false, suppression_reason = null
                from {TRUTH} as i
                where t.city = ? and t.period = ? and t.indicator_id = ? and t.breakdown = ? and t.group_value <> ?
                  and i.city = t.city and i.period = t.period and i.indicator_id = t.indicator_id
                  and i.breakdown = t.breakdown and i.group_value = t.group_value and t.is_suppressed {district}""",
                [city, period, indicator, breakdown, group],
            )
    finally:
        con.close()
    return city, period


@pytest.fixture
def planted(published_demo, tmp_path):
    warehouse, _ = published_demo
    city, period = _plant_breakable(warehouse, tmp_path / "planted.duckdb")
    return tmp_path / "planted.duckdb", city, period


def test_planted_pattern_is_breakable(planted):
    path, city, period = planted
    con = duckdb.connect(str(path), read_only=True)
    try:
        report = audit_connection(con, scope=(city, period))
    finally:
        con.close()
    assert not report.ok
    b = report.breakable[0]
    assert b.key[0] == city and b.key[1] == period and b.chain  # the relation chain, no value
    kinds = ("groups:", "districts:", "identity:", "summary:", "year:", "stock-flow:", "curve:", "dunkelziffer:")
    assert all(any(k in step for k in kinds) for step in b.chain)


def test_publish_refuses_a_breakable_pattern(planted, tmp_path):
    """The pattern was tampered with after the repair: the repair's verdict (0 breakable) is in
    the file, but its fingerprint is not the copy's - publish audits again and refuses."""
    from disclosure.verdict import fingerprint, recorded
    from orchestration.publish import PublishError, publish

    path, _, _ = planted
    con = duckdb.connect(str(path), read_only=True)
    try:
        verdict = recorded(con)
        assert verdict is not None and verdict.ok and verdict.fingerprint != fingerprint(con)
    finally:
        con.close()
    target = tmp_path / "pub" / "warehouse.duckdb"
    with pytest.raises(PublishError, match="breakable"):
        publish(path, target)
    assert not target.exists()


@pytest.fixture
def audit_calls(monkeypatch):
    """Counts the publish step's own audits (disclosure.audit.require_safe)."""
    import disclosure.audit

    calls = []
    real = disclosure.audit.require_safe

    def counted(*args, **kwargs):
        calls.append(args[1:])
        return real(*args, **kwargs)

    monkeypatch.setattr(disclosure.audit, "require_safe", counted)
    return calls


def test_publish_reuses_the_repair_verdict(published_demo, tmp_path, audit_calls):
    from disclosure.verdict import fingerprint, recorded
    from orchestration.publish import publish

    warehouse, _ = published_demo
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy), read_only=True)
    try:
        assert recorded(con).fingerprint == fingerprint(con)  # what the repair judged is what is there
    finally:
        con.close()
    summary = publish(copy, tmp_path / "pub" / "warehouse.duckdb")
    assert summary["disclosure_audit"].startswith("verdict of the repair reused (0 breakable of ")
    assert audit_calls == []


def test_publish_audits_a_pattern_changed_after_the_repair(published_demo, tmp_path, audit_calls):
    """One more cell hidden after the repair (safe: hiding only widens the attacker's
    intervals): another fingerprint, so the copy is audited again - and published."""
    from orchestration.publish import publish

    warehouse, _ = published_demo
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        key = con.execute(
            f"""select {", ".join(CELL_KEY)} from exchange.fct_exchange_cells
            where not is_suppressed and not is_total and numerator >= 10 order by all limit 1"""
        ).fetchone()
        for table, _ in CELL_TABLES:
            con.execute(
                f"""update {table} set numerator = null, denominator = null, value = null, is_suppressed = true,
                    suppression_reason = 'secondary'
                where {" and ".join(f"{c} = ?" for c in CELL_KEY)}""",
                list(key),
            )
    finally:
        con.close()
    summary = publish(copy, tmp_path / "pub" / "warehouse.duckdb")
    assert summary["disclosure_audit"].startswith("audited (0 breakable of ")
    assert "changed since the repair" in summary["disclosure_audit"]
    assert len(audit_calls) == 1


def test_export_refuses_the_planted_pattern(planted, tmp_path):
    """The planted lonely cell: the package's own cell rules already see it."""
    from orchestration.exchange import PackageRejected, export_package

    path, city, period = planted
    with pytest.raises(PackageRejected, match="recoverable by subtraction|breakable"):
        export_package(city, period, tmp_path / "outbox", path)
    assert not (tmp_path / "outbox" / f"{city}_{period}").exists()


def test_export_refuses_a_pattern_only_the_audit_sees(tmp_path):
    """Two primaries on the diagonal of a hidden 2x2 block: no row or column hides a lonely cell
    (the package's cell rules pass), but they move together, so one is proven non-zero."""
    from alliance.conftest import district_cell, make_exchange_warehouse

    from orchestration.exchange import PackageRejected, export_package

    counts = {("01", "DE"): 20, ("01", "EU2"): 1, ("01", "ASYL8"): 4, ("02", "DE"): 15, ("02", "EU2"): 5}
    counts |= {("02", "ASYL8"): 2, ("03", "DE"): 30, ("03", "EU2"): 6, ("03", "ASYL8"): 7}
    hidden = {("01", "EU2"): "primary", ("01", "ASYL8"): "secondary", ("02", "EU2"): "secondary"}
    hidden[("02", "ASYL8")] = "primary"
    rows = []
    for d in ("01", "02", "03", "INSGESAMT"):
        for g in ("DE", "EU2", "ASYL8", "INSGESAMT"):
            n = sum(v for (dd, gg), v in counts.items() if d in (dd, "INSGESAMT") and g in (gg, "INSGESAMT"))
            reason = hidden.get((d, g))
            rows.append(
                district_cell(d, g, None if reason else float(n), is_suppressed=bool(reason), suppression_reason=reason)
            )
    wh = make_exchange_warehouse(tmp_path / "diagonal.duckdb", district_cells=rows)
    with pytest.raises(PackageRejected, match="breakable.*district 02 group ASYL8"):
        export_package("dortmund", "2026-Q3", tmp_path / "out", wh)


def test_export_of_the_repaired_world_passes_the_audit(published_demo, tmp_path):
    from orchestration.exchange import export_package

    warehouse, _ = published_demo
    folder = export_package("muenster", "2026-Q3", tmp_path / "outbox", warehouse)
    assert (folder / "manifest.json").exists()


def test_command_prints_the_verdict(published_demo, planted, capsys):
    from disclosure.__main__ import main

    warehouse, _ = published_demo
    assert main(["audit", "--warehouse", str(warehouse)]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].startswith("0 breakable of ")
    assert main(["audit", "--warehouse", str(planted[0])]) == 1
    out = capsys.readouterr().out
    assert "BREAKABLE" in out and "via " in out
