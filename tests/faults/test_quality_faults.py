"""The quality gate against truncation it can see, and the completeness check against periods
written in other digits (which once made it loop forever)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))
from ingest_helpers import EXAMPLES, copy_tree  # noqa: E402

from ingest.load import load_landing  # noqa: E402
from quality.completeness import MAX_MONTHS, _months, completeness_frame  # noqa: E402


def test_month_span_is_bounded_for_periods_in_other_digits():
    t0 = time.perf_counter()
    assert len(_months("2026-09", "٢٠٢٦-٠٩")) == MAX_MONTHS  # sorts after every ASCII month
    assert time.perf_counter() - t0 < 5


def test_completeness_ignores_a_period_in_other_digits(tmp_path):
    landing = copy_tree(EXAMPLES, tmp_path / "landing")
    wh = tmp_path / "wh.duckdb"
    load_landing(landing, wh, log=lambda _m: None)
    con = duckdb.connect(str(wh))
    con.execute(  # as an old ingest let it in: a period in Arabic-Indic digits
        "insert into raw.beratung (kontakt_datum, person_pseudonym, stelle, city, delivery_period) "
        "values (date '2026-09-03', '18d78ce62fe0f3804cc8583c58fce924', 'GESUNDHEIT', 'wuppertal', '٢٠٢٦-٠٩')"
    )
    t0 = time.perf_counter()
    frame = completeness_frame(con, ["wuppertal"])
    con.close()
    assert time.perf_counter() - t0 < 30
    assert frame["period"].str.len().max() <= 10 and len(frame) < 200


def test_a_stock_cut_at_a_line_boundary_is_blocked_by_the_profile(tmp_path):
    """Nothing in a standard CSV shows a cut at a line boundary; the period profile does: far
    fewer rows than the city's previous stock block the period."""
    from quality import run_raw_checks

    landing = copy_tree(EXAMPLES, tmp_path / "landing")
    lines = (landing / "wuppertal/bestand/2024-12-31.csv").read_text().splitlines(keepends=True)
    cut = [lines[0]] + [l.replace("2024-12-31", "2025-03-31", 1) for l in lines[1:100]]
    (landing / "wuppertal/bestand/2025-03-31.csv").write_text("".join(cut))
    wh = tmp_path / "wh.duckdb"
    assert load_landing(landing, wh, log=lambda _m: None).quarantined == 0  # loads: the cut is invisible
    run_raw_checks(wh, ["wuppertal"], kinds=("profile",), tables=["bestand"], full=True)
    con = duckdb.connect(str(wh), read_only=True)
    gate = con.execute(
        "select source, period, check_name from meta.quality_gate where city = 'wuppertal' and source = 'bestand'"
    ).fetchall()
    con.close()
    assert ("bestand", "2025-03-31", "profile.bestand.row_count_drop") in gate
