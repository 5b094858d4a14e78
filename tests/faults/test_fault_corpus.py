"""The fault-injection corpus (tests/faults/fault_corpus.py) in one nightly load beside good
deliveries of every city and source: each case meets its fate with its reason, every good
delivery of the night is loaded, and the raw layer holds exactly the rows of the loaded files
(nothing of a rejected file, nothing of the earlier nights changed but what a loaded `_vN`
replaced)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))

import fault_corpus as fc  # noqa: E402
from ingest_helpers import EXAMPLES, copy_tree  # noqa: E402

from ingest.load import _registry_name, load_landing  # noqa: E402
from ingest.schemas import COLUMNS  # noqa: E402

CASES = fc.all_cases()


def _rows_by_file(wh: Path) -> dict[str, tuple[int, int]]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        out = {}
        for table in COLUMNS:
            for f, n, h in con.execute(
                f"SELECT delivery_file, count(*), sum(hash(t) // 2)::HUGEINT FROM "
                f"(SELECT * EXCLUDE (loaded_at) FROM raw.{table}) t GROUP BY 1"
            ).fetchall():
                out[f] = (n, h)
        return out
    finally:
        con.close()


def _registry(wh: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        out: dict[str, list[tuple]] = {}
        for f, status, reason, rows in con.execute(
            "SELECT delivery_file, status, reason, rows FROM meta.delivery_registry"
        ).fetchall():
            out.setdefault(f, []).append((status, reason, rows))
        return out
    finally:
        con.close()


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture(scope="module")
def night(tmp_path_factory):
    """Night 0: the examples; night 1: the versions in force that some cases replace;
    night 2: every case at once, with the corpus' lowered limits for a few (city, table)."""
    root = tmp_path_factory.mktemp("fault_corpus")
    landing, wh, outside = root / "landing", root / "wh.duckdb", root / "outside"
    copy_tree(EXAMPLES, landing)
    assert load_landing(landing, wh, log=lambda _m: None).quarantined == 0
    templates = fc.template_frames(wh)
    periods = {k: (rel.rsplit("/", 1)[1].split(".")[0].split("_")[0]) for k, rel in fc.TEMPLATES.items()}
    contents = {c.id: fc.build(c, templates, periods, i) for i, c in enumerate(CASES)}

    for i, c in enumerate(CASES):  # night 1: a good version 1 where a case is a later version
        if c.prior:
            v1 = fc.Case(c.id + "-v1", c.city, c.table, "loaded", period=c.period)
            _write(landing / v1.rel(), fc.build(v1, templates, periods, 500 + i))
    first = load_landing(landing, wh, log=lambda _m: None)
    assert first.quarantined == 0, [o for o in first.outcomes if o.status == "quarantined"]
    before = _rows_by_file(wh)

    outside.mkdir()
    by_id = {c.id: c for c in CASES}
    for c in CASES:
        target = landing / c.rel()
        target.parent.mkdir(parents=True, exist_ok=True)
        if c.special == "symlink-out":
            (outside / "secret.csv").write_bytes(contents[c.id])
            os.symlink(outside / "secret.csv", target)
        elif c.special == "symlink-dir":
            (outside / "folder").mkdir()
            (outside / "folder" / "2025-06.csv").write_bytes(contents[c.id])
            os.symlink(outside / "folder", target)
        elif c.special == "symlink-in":
            os.symlink(landing / by_id["same-bytes-original"].rel(), target)
        elif c.special == "same-bytes":
            target.write_bytes(contents["same-bytes-original"])
        elif c.special == "fifo":
            os.mkfifo(target)
        else:
            target.write_bytes(contents[c.id])
    limits = root / "limits.yaml"
    limits.write_text(fc.limits_override(), encoding="utf-8")
    os.environ["INGEST_LIMITS_FILE"] = str(limits)
    try:
        summary = load_landing(landing, wh, log=lambda _m: None)
    finally:
        del os.environ["INGEST_LIMITS_FILE"]
    yield {
        "summary": summary,
        "registry": _registry(wh),
        "before": before,
        "after": _rows_by_file(wh),
        "landing": landing,
    }
    shutil.rmtree(root, ignore_errors=True)


def test_corpus_size_covers_every_dialect_and_source():
    assert len(CASES) >= 100
    assert {c.dialect for c in CASES} == {"standard", "ewo", "xlsx", "parquet", "brp"}
    assert {c.table for c in CASES} == set(COLUMNS)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_meets_its_fate(night, case):
    rel = _registry_name(case.rel())
    rows = night["registry"].get(rel, [])
    if case.fate == "skipped":  # never a delivery (hidden file, FIFO): not registered, the run did not hang
        assert rows == []
        assert rel not in night["after"]
        return
    statuses = [r[0] for r in rows]
    assert case.fate in statuses, (case.id, rows)
    status, reason, n = next(r for r in rows if r[0] == case.fate)
    wanted = case.reason[case.dialect] if isinstance(case.reason, dict) else case.reason
    if wanted:
        options = wanted if isinstance(wanted, tuple) else (wanted,)
        assert any(w in (reason or "") for w in options), (case.id, reason)
    if case.fate == "loaded":
        assert night["after"][rel][0] == n > 0
    elif case.special != "changed-in-place":
        assert rel not in night["after"], f"{case.id}: rows of a {case.fate} file in the raw layer"
    # the good deliveries of the same night are all in
    assert all(
        ("loaded" in [r[0] for r in night["registry"].get(_registry_name(c.rel()), [])])
        for c in CASES
        if c.id.startswith("good-")
    )


def test_raw_layer_otherwise_unchanged(night):
    """Every file of the earlier nights keeps exactly its rows, except the versions a loaded
    case replaced; new rows come only from the cases that loaded."""
    loaded = {_registry_name(c.rel()) for c in CASES if c.fate == "loaded"}
    superseded = {f for f, rows in night["registry"].items() if any(r[0] == "superseded" for r in rows)}
    before, after = night["before"], night["after"]
    assert {f: v for f, v in before.items() if f not in superseded} == {
        f: v for f, v in after.items() if f in before and f not in superseded
    }
    assert set(after) - set(before) == loaded
    assert not (superseded & set(after))


def test_the_night_finishes_with_its_quarantines(night):
    s = night["summary"]
    assert s.quarantined == sum(c.fate == "quarantined" for c in CASES)
    assert s.loaded == sum(c.fate == "loaded" for c in CASES)
