"""On a consistent world every error-check passes, nothing is blocked, the record is written,
and the command line shows only our own lines (no GX chatter, even with INFO logging on)."""

from __future__ import annotations

import logging
import re
import sys

from qworld import CITIES, gate_rows, sql

# Lines `python -m quality raw` may print: one progress line per kind and the summary.
OUR_LINES = re.compile(
    r"(suites|profile|completeness|reconciliation|plausibility)\s+\d+ results, .*|"
    r"\d+ results: \d+ passed, .* blocked deliveries; 0 blocked in meta.quality_gate in total"
)


def test_clean_world_passes_is_recorded_and_the_command_line_is_quiet(warehouse, capsys):
    from quality.__main__ import main

    # As orchestration/demo.py and ingest's command line do: everything at INFO to stdout.
    root = logging.getLogger()
    handler, level = logging.StreamHandler(sys.stdout), root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        code = main(["raw", "--warehouse", str(warehouse)] + [a for c in CITIES for a in ("--city", c)])
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out and all(OUR_LINES.fullmatch(line) for line in out), [l for l in out if not OUR_LINES.fullmatch(l)][:5]
    assert len(out) == 6
    outcomes = sql(warehouse, "SELECT severity, outcome, count(*) FROM meta.quality_results GROUP BY ALL")
    assert not [o for o in outcomes if o[0] == "error" and o[1] != "passed"]
    assert sum(n for *_, n in outcomes) > 500
    assert gate_rows(warehouse) == []
    assert sql(warehouse, "SELECT count(DISTINCT run_id) FROM meta.quality_results")[0][0] == 1
    kinds = {r[0] for r in sql(warehouse, "SELECT DISTINCT split_part(check_name, '.', 1) FROM meta.quality_results")}
    assert kinds == {"raw", "profile", "completeness", "reconciliation", "plausibility"}


def test_reconciliation_closes_exactly_on_the_clean_world(warehouse):
    import duckdb

    from quality.reconciliation import reconciliation_frame

    con = duckdb.connect(str(warehouse))
    try:
        frame = reconciliation_frame(con)
    finally:
        con.close()
    assert set(frame["city"]) == set(CITIES)
    assert len(frame[frame["nationality_group"] == "INSGESAMT"]) == 2 * 3  # 2 cities x 3 quarters
    totals = frame[frame["nationality_group"] == "INSGESAMT"]
    groups = frame[frame["nationality_group"] != "INSGESAMT"]
    assert (totals["residual"] == 0).all()
    # Naturalisations move people between groups without an event: counted by following each
    # person, the groups close (up to someone who arrives and naturalises in one quarter) ...
    assert (groups["abs_residual"] <= groups["allowed_residual"]).all()
    assert groups["abs_residual"].sum() <= 3
    # ... and without that term they would not.
    assert (groups["residual"] + groups["group_change_net"]).abs().sum() > 10


def test_gx_import_and_context_print_nothing_at_info():
    # GX logs hundreds of lines at import and context creation ("Skipping registering function
    # ...", "Created temporary directory ..."); a fresh process is the only place to see them.
    import subprocess

    code = (
        "import logging, sys; logging.basicConfig(level=logging.INFO, stream=sys.stdout); "
        "from quality import gx_engine; gx_engine._batch_definition(); print('done')"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]),
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.splitlines() == ["done"], run.stdout[:2000]
