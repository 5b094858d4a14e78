"""The way out of a block: release or reject a blocked city-period, recorded and respected.

Wuppertal's February 2024 of movements goes missing, so the stock-flow reconciliation blocks
January to March 2024 (meta.quality_gate). The office releases January and rejects March;
later check runs keep both decisions; a corrected _v2 of March is judged by the checks afresh.
"""

from __future__ import annotations

from datetime import datetime

import dagster as dg
import duckdb
import pytest
from qworld import gate_rows, sql

import quality
from quality.decisions import REJECTED_CHECK, DecisionError, decide

STAGED = """
    SELECT DISTINCT r.delivery_period FROM raw.meldewesen r
    WHERE r.city = 'wuppertal' AND NOT EXISTS (
        SELECT 1 FROM meta.quality_gate g WHERE g.city = r.city AND g.source = 'meldewesen'
        AND coalesce(g.form, '') = '' AND g.period = r.delivery_period)"""


def _register(warehouse, period: str, version: int = 1, status: str = "loaded") -> None:
    suffix = f"_v{version}" if version > 1 else ""
    sql(
        warehouse,
        "INSERT INTO meta.delivery_registry (delivery_file, city, source, form, period, version, file_sha256, "
        "registered_at, status) VALUES (?, 'wuppertal', 'meldewesen', NULL, ?, ?, ?, ?, ?)",
        [
            f"wuppertal/meldewesen/{period}{suffix}.parquet",
            period,
            version,
            f"sha{version}{period}",
            datetime.now(),
            status,
        ],
    )


def _blocked_world(warehouse):
    sql(
        warehouse,
        "CREATE TABLE keep AS SELECT * FROM raw.meldewesen WHERE city = 'wuppertal' AND delivery_period = '2024-02'",
    )
    sql(warehouse, "DELETE FROM raw.meldewesen WHERE city = 'wuppertal' AND delivery_period = '2024-02'")
    _check(warehouse)
    for period in ("2024-01", "2024-02", "2024-03"):
        _register(warehouse, period)
    blocked = {(s, p) for _c, s, _f, p, _n in gate_rows(warehouse)}
    assert {("meldewesen", "2024-01"), ("meldewesen", "2024-03")} <= blocked


def _check(warehouse):
    quality.run_raw_checks(warehouse, cities=["wuppertal"], kinds=("reconciliation",), full=True)


def _blocked_periods(warehouse) -> set[str]:
    return {p for _c, s, _f, p, _n in gate_rows(warehouse) if s == "meldewesen"}


def test_release_lets_the_period_pass_and_later_checks_keep_it_released(warehouse):
    _blocked_world(warehouse)
    made = decide(
        "released",
        city="wuppertal",
        source="meldewesen",
        period="2024-01",
        reason="checked with the city: February follows",
        by="A. Planer",
        warehouse=warehouse,
    )
    assert made.delivery_file == "wuppertal/meldewesen/2024-01.parquet"
    assert "reconciliation" in made.blocked_by
    assert "2024-01" not in _blocked_periods(warehouse)
    assert "2024-01" in {r[0] for r in sql(warehouse, STAGED)}  # staging's gate lets it pass
    _check(warehouse)  # the check still fails, the release holds
    assert "2024-01" not in _blocked_periods(warehouse) and "2024-03" in _blocked_periods(warehouse)
    recorded = sql(warehouse, "SELECT decision, decided_by, reason, decided_at FROM meta.gate_decisions")
    assert recorded[0][:3] == ("released", "A. Planer", "checked with the city: February follows")
    assert isinstance(recorded[0][3], datetime)


def test_reject_blocks_for_good_and_a_corrected_version_is_judged_afresh(warehouse):
    _blocked_world(warehouse)
    decide(
        "rejected",
        city="wuppertal",
        source="meldewesen",
        period="2024-03",
        reason="unsuppressed small counts",
        by="B. Statistik",
        warehouse=warehouse,
    )
    rejection = [g for g in gate_rows(warehouse) if g[3] == "2024-03" and g[4] == REJECTED_CHECK]
    assert rejection
    with pytest.raises(DecisionError, match="rejected by B. Statistik"):
        decide("released", city="wuppertal", source="meldewesen", period="2024-03", reason="x", warehouse=warehouse)
    # the data are repaired but the same delivery is in force: still blocked
    sql(warehouse, "INSERT INTO raw.meldewesen SELECT * FROM keep")
    _check(warehouse)
    assert _blocked_periods(warehouse) == {"2024-03"}
    assert "2024-03" not in {r[0] for r in sql(warehouse, STAGED)}
    # a corrected _v2 replaces it (the loader marks v1 superseded): the checks decide, they pass
    sql(warehouse, "UPDATE meta.delivery_registry SET status = 'superseded' WHERE period = '2024-03'")
    _register(warehouse, "2024-03", version=2)
    _check(warehouse)
    assert _blocked_periods(warehouse) == set()


def test_bad_decisions_are_refused(warehouse):
    _blocked_world(warehouse)
    with pytest.raises(DecisionError, match="is not blocked"):
        decide("released", city="wuppertal", source="meldewesen", period="2023-07", reason="x", warehouse=warehouse)
    with pytest.raises(DecisionError, match="reason is required"):
        decide("released", city="wuppertal", source="meldewesen", period="2024-01", reason=" ", warehouse=warehouse)
    with pytest.raises(DecisionError, match="decision must be"):
        decide("maybe", city="wuppertal", source="meldewesen", period="2024-01", reason="x", warehouse=warehouse)
    assert sql(warehouse, "SELECT count(*) FROM meta.gate_decisions")[0][0] == 0
    assert "2024-01" in _blocked_periods(warehouse)


def test_command_line_release_and_its_bad_cases(warehouse, capsys):
    from quality.__main__ import main

    _blocked_world(warehouse)
    base = ["--warehouse", str(warehouse), "--city", "wuppertal", "--source", "meldewesen"]
    assert main(["release", *base, "--period", "2024-01", "--reason", "checked", "--by", "C. Amt"]) == 0
    assert "released by C. Amt" in capsys.readouterr().out
    assert main(["reject", *base, "--period", "2023-07", "--reason", "x"]) == 2
    assert "not blocked" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["reject", *base, "--period", "2024-03"])  # no reason
    assert exc.value.code == 2
    assert "--reason" in capsys.readouterr().err


def test_dagster_job_records_the_decision_and_updates_the_gate_asset(warehouse):
    from orchestration.definitions import defs as root_defs
    from orchestration.resources import WarehouseResource

    _blocked_world(warehouse)
    job = dg.Definitions(
        jobs=list(root_defs.jobs or []), resources={"warehouse": WarehouseResource(database=str(warehouse))}
    ).resolve_job_def("gate_decision_job")

    def config(**values):
        base = dict(decision="reject", city="wuppertal", source="meldewesen", period="2024-03", reason="small counts")
        return {"ops": {"gate_decision": {"config": {**base, **values}}}}

    result = job.execute_in_process(run_config=config(by="D. Nacht"))
    assert result.success
    keys = [m.asset_key for m in result.asset_materializations_for_node("gate_decision")]
    assert keys == [dg.AssetKey(["meta", "quality_gate"])]
    assert sql(warehouse, "SELECT decision, decided_by FROM meta.gate_decisions") == [("rejected", "D. Nacht")]
    for bad in (config(decision="maybe"), config(decision="release")):  # unknown; released after a rejection
        assert not job.execute_in_process(run_config=bad, raise_on_error=False).success


def test_decisions_are_published_and_shown_in_the_report(warehouse):
    from orchestration.publish import _operational_tables
    from reports.sections import gate_decisions_table

    _blocked_world(warehouse)
    decide(
        "released",
        city="wuppertal",
        source="meldewesen",
        period="2024-01",
        reason="real break",
        by="E. Amt",
        warehouse=warehouse,
    )
    con = duckdb.connect()
    con.execute(f"ATTACH '{warehouse}' AS publish_source (READ_ONLY)")
    published = con.sql(_operational_tables(con)["gate_decisions"]).pl()
    con.close()
    assert published.select("decision", "decided_by", "reason").rows() == [("released", "E. Amt", "real break")]

    class Data:
        members = {"wuppertal": "Wuppertal", "muenster": "Münster"}

        def frame(self, name):
            return published if name == "gate_decisions" else None

        def name(self, slug):
            return self.members[slug]

    texts = {lang: gate_decisions_table(Data(), lang) for lang in ("de", "en", "nl")}
    assert "freigegeben" in texts["de"] and "released" in texts["en"] and "vrijgegeven" in texts["nl"]
    for text in texts.values():
        assert "E. Amt" in text and "real break" in text and "meldewesen 2024-01" in text
    other = Data()
    other.members = {"muenster": "Münster"}  # a decision of another alliance's city is not shown
    assert gate_decisions_table(other, "de") is None
