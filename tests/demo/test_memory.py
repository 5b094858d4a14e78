"""Bounded memory of the demo world: the person store is compacted without changing any output."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pytest

import ingest.demo.world as world_mod
from ingest.config import load_cities
from ingest.demo import generate
from ingest.demo.world import CityWorld, Columns, uniform_by_id

NOW = datetime(2026, 11, 1, 12, 0)


def test_uniform_by_id_is_the_same_stream_as_one_draw():
    for buffered in (False, True):
        a, b = np.random.default_rng(11), np.random.default_rng(11)
        if buffered:  # a pending 32-bit half in the generator must survive as well
            a.integers(0, 10), b.integers(0, 10)
        ids = np.sort(np.random.default_rng(3).choice(1000, 137, replace=False))
        got = uniform_by_id(a, 1000, ids, chunk=64)
        assert np.array_equal(got, b.random(1000)[ids])
        assert a.integers(0, 1 << 30, 5).tolist() == b.integers(0, 1 << 30, 5).tolist()
        assert a.random() == b.random()


def test_uniform_by_id_edge_cases():
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    assert uniform_by_id(a, 300, np.array([], dtype=np.int64), chunk=64).size == 0  # nobody held
    assert a.random() == b.random(301)[-1]  # still 300 drawn
    a = np.random.default_rng(5)
    assert np.array_equal(
        uniform_by_id(a, 300, np.array([0, 63, 64, 299]), chunk=64),
        np.random.default_rng(5).random(300)[[0, 63, 64, 299]],
    )


def test_columns_keep_renumbers_rows_and_keeps_ids():
    c = Columns({"x": (np.int32, 0)})
    c.append({"x": np.arange(10)}, 10)
    remap = c.keep(np.arange(10) % 3 == 0)
    assert remap.tolist() == [0, -1, -1, 1, -1, -1, 2, -1, -1, 3]
    assert c.x.tolist() == [0, 3, 6, 9] and c.id.tolist() == [0, 3, 6, 9]
    c.append({"x": np.array([42])}, 1)
    assert c.id.tolist() == [0, 3, 6, 9, 10] and c.total == 11 and c.n == 5


@pytest.fixture(scope="module")
def stepped_world():
    cfg = load_cities()["dortmund"]
    w = CityWorld(
        "dortmund",
        cfg.country,
        cfg.official_key,
        0.004,
        np.random.default_rng([9, 9]),
        date(2016, 1, 1),
        frozenset({"meldewesen"}),
    )
    saved = world_mod.COMPACT_SHARE
    world_mod.COMPACT_SHARE = None  # no compaction while stepping: we call it ourselves
    try:
        for y in (2016, 2017, 2018):
            for m in range(1, 13):
                w.step_month(y, m)
    finally:
        world_mod.COMPACT_SHARE = saved
    return w


def test_droppable_rule_keeps_everyone_who_can_still_matter(stepped_world):
    w = stepped_world
    p = w.p
    drop = w.droppable()
    assert drop.any() and not drop.all()
    assert not (drop & p.present).any()  # residents stay
    assert not (drop & (p.reg | p.reg_f)).any()  # registered (now or once recorded) stay
    pending = np.concatenate([b["person"] for b in w.pending]) if w.pending else np.empty(0, np.int64)
    assert pending.size and not drop[pending].any()  # an event still to be recorded keeps its person
    # the bad cases one by one: a gone, unregistered person is kept while an event is pending
    gone = np.flatnonzero(drop)[0]
    p.cols["busy"][gone] = w.today + 5
    assert not w.droppable()[gone]
    p.cols["busy"][gone] = w.today
    assert w.droppable()[gone]


def test_compact_keeps_identity_links_and_pending_events(stepped_world):
    w = stepped_world
    p, h = w.p, w.h
    kept_ids = p.id[~w.droppable()].copy()
    hh_of = dict(zip(p.id.tolist(), h.id[p.hh].tolist()))
    pending_ids = sorted(p.id[np.concatenate([b["person"] for b in w.pending])].tolist())
    ever, hh_ever = p.total, h.total
    dropped = w.compact()
    assert dropped > 0 and p.n == kept_ids.size and p.n + dropped == ever
    assert np.array_equal(p.id, kept_ids) and (np.diff(p.id) > 0).all() and (np.diff(h.id) > 0).all()
    assert all(hh_of[i] == j for i, j in zip(p.id.tolist(), h.id[p.hh].tolist()))  # same household
    assert sorted(p.id[np.concatenate([b["person"] for b in w.pending])].tolist()) == pending_ids
    assert h.n < hh_ever and p.total == ever and h.total == hh_ever
    assert not w.droppable().any() and w.compact() == 0


def _digest(root: Path) -> dict[str, str]:
    out = {}
    for f in sorted(root.rglob("*")):
        if not f.is_file() or f.name in ("DEMO_SYNTHETIC_DATA.txt", "manifest.json"):
            continue
        out[str(f.relative_to(root))] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def test_compaction_changes_no_byte_of_the_output(tmp_path, monkeypatch):
    """Every source and the truth, with compaction before every month vs never: same bytes
    (Duisburg: xlsx, whose zip entries carry a fixed time, SGB II, problem properties;
    Duesseldorf: the reform)."""

    def run(share, name):
        monkeypatch.setattr(world_mod, "COMPACT_SHARE", share)
        s = generate(
            scale=0.003,
            seed=5,
            landing=tmp_path / name / "l",
            truth=tmp_path / name / "t",
            cities=["duisburg", "duesseldorf"],
            start="2023-09",
            end="2024-02",
            progress=lambda m: None,
            now=NOW,
        )
        return _digest(tmp_path / name), s

    never, s_never = run(None, "never")
    always, s_always = run(0.0, "always")
    assert len(never) > 50 and never == always
    for city, fig in s_always.per_city.items():
        assert fig["persons_held"] < fig["persons_ever"] == s_never.per_city[city]["persons_ever"]
        assert s_never.per_city[city]["persons_held"] == fig["persons_ever"]


def test_age_lookup_equals_calendar_arithmetic():
    """`age_on` (a lookup table, for speed) against numpy's calendar, leap days included."""
    from ingest.demo.world import age_on, days

    births = np.arange(days(date(1900, 1, 1)), days(date(2027, 1, 1)), dtype=np.int32)
    for d in (date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1), date(2023, 3, 1), date(2026, 12, 31)):
        bd = births.astype("datetime64[D]")
        dd = np.datetime64(d)
        years = dd.astype("datetime64[Y]").astype(int) - bd.astype("datetime64[Y]").astype(int)
        had_birthday = (dd - dd.astype("datetime64[Y]")) >= (bd - bd.astype("datetime64[Y]"))
        assert np.array_equal(age_on(births, days(d)), years - ~had_birthday)
    assert age_on(np.array([days(date(2000, 2, 29))]), days(date(2001, 2, 28)))[0] == 0
    assert age_on(np.array([days(date(2000, 2, 29))]), days(date(2001, 3, 1)))[0] == 1


def test_bench_phase_runs_apart_and_reports_memory_and_failures(tmp_path):
    """The bench attributes peak RSS per phase: each phase is its own process, and a failing
    phase is reported as failed, never as a figure."""
    from orchestration.bench import run_phase

    fig: dict = {}
    out = run_phase(fig, "probe", "ingest.demo.world:age_on", birth=np.array([0, 59]), d=365 + 58)
    assert out.tolist() == [1, 0]  # 1970-01-01 and 1970-03-01, on 1971-02-28
    assert fig["probe_peak_rss_mb"] > 0 and fig["probe_s"] >= 0
    with pytest.raises(RuntimeError, match="phase bad failed: ValueError"):
        run_phase(
            fig,
            "bad",
            "ingest.demo.generate:generate",
            cities=["koeln"],
            landing=str(tmp_path / "l"),
            truth=str(tmp_path / "t"),
        )
    assert not (tmp_path / "l").exists()
