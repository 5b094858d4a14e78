"""Rules every simulated person and event must keep (regression tests for generator bugs):
status changes only where a secondary residence can exist, no event before a person's birth,
and tiny worlds (a handful of people per month and city) generate without error."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import polars as pl
import pytest

from ingest.config import load_cities
from ingest.demo import calibration as cal
from ingest.demo import generate
from ingest.demo import geography as geo
from ingest.demo.world import EV, CityWorld, days
from ingest.dialects import read_delivery
from ingest.layout import parse_delivery_path
from ingest.normalise import to_canonical

START = date(2016, 1, 1)


def make_world(city: str, scale: float, seed: int = 3, sources=("meldewesen",)) -> CityWorld:
    cfg = load_cities()[city]
    return CityWorld(city, cfg.country, cfg.official_key, scale, np.random.default_rng(seed), START, frozenset(sources))


# ------------------------------------------------------------------ status changes (bug 1)
def test_single_registrations_never_crash_and_status_changes_keep_their_share():
    """A batch of one used to index `et[1]` (the mask was integers: `... & ~late` with a bool)."""
    w = make_world("solingen", 0.003)
    de = np.flatnonzero(w.p.group == cal.DE)
    types = [int(w._inflow_types(de[i % de.size : i % de.size + 1], late=False)[0][0]) for i in range(400)]
    assert len(types) == 400
    # a large batch of Germans: the documented share, not one or two people per batch
    persons = np.resize(de, 40_000)
    et, _ = w._inflow_types(persons, late=False)
    share = float((et == EV["STATUS_NW_HW"]).mean())
    sigma = (cal.STATUS_NW_HW_SHARE * (1 - cal.STATUS_NW_HW_SHARE) / persons.size) ** 0.5
    assert abs(share - cal.STATUS_NW_HW_SHARE) < 5 * sigma, share


@pytest.mark.parametrize("group, late", [(cal.EU2, False), (cal.ASYL8, False), (cal.DE, True), (cal.EU_SONST, True)])
def test_no_status_change_without_a_secondary_residence(group, late):
    """EU-2/asylum arrivals had no secondary residence; late registrants had no registration."""
    w = make_world("dortmund", 0.01)
    persons = np.resize(np.flatnonzero(w.p.group == group), 5_000)
    for batch in (persons[:1], persons[:2], persons):  # the old bug hit the first of a batch
        et, _ = w._inflow_types(batch, late=late)
        assert not (et == EV["STATUS_NW_HW"]).any()


def test_no_status_change_in_the_netherlands():
    w = make_world("enschede", 0.01)
    persons = np.resize(np.flatnonzero(w.p.group == cal.DE), 5_000)
    et, _ = w._inflow_types(persons, late=False)
    assert not np.isin(et, [EV["STATUS_NW_HW"], EV["ZU_UNBEKANNT"]]).any()


# ------------------------------------------------------------------ events before birth (bug 2)
def test_late_registration_of_a_child_born_here_is_not_dated_before_birth():
    """Late registrants not recently arrived were dated up to 29 days before the decision: a
    child born to unregistered parents in early January got a December date (birth year after
    the event's year, `geburtsjahr_not_in_future` failed at 10 M events)."""
    w = make_world("dortmund", 0.01)
    d0 = days(date(2024, 1, 1))
    kids = np.flatnonzero(~w.p.reg_f & w.p.present)[:40]
    assert kids.size == 40
    w.p.cols["birth"][kids] = d0 + 2  # born on 3 January here
    w.p.cols["arrival"][kids] = -1
    w.month_start = d0
    w._register(kids, np.full(kids.size, d0 + 4, dtype=np.int32), late=True)
    ev = w.pending[-1]
    assert np.array_equal(np.sort(ev["person"]), np.sort(kids))
    assert (ev["edate"] >= d0 + 2).all(), ev["edate"] - d0
    assert (ev["mdate"] >= ev["edate"]).all()


def test_no_event_before_the_birth_of_its_person():
    """Every simulated event (late registrations, office removals, December evacuations) of a
    stepped world is dated on or after the person's birth and recorded on or after it happens."""
    w = make_world("dortmund", 0.05, seed=5, sources=("meldewesen", "wohnen"))
    n = 0
    for y in range(2016, 2027):
        for m in range(1, 13):
            ev = w.step_month(y, m)["events"]
            birth = w.p.birth[ev["person"]]
            bad = ev["edate"] < birth
            assert not bad.any(), (y, m, ev["etype"][bad], ev["edate"][bad] - birth[bad])
            assert (ev["mdate"] >= ev["edate"]).all()
            n += ev["person"].size
    assert n > 50_000  # the world did produce events


# ------------------------------------------------------------------ tiny world, all sources
@pytest.fixture(scope="module")
def tiny_world(tmp_path_factory):
    """Scale 0.003 (Solingen: about 480 people): single-person batches occur every month."""
    root = tmp_path_factory.mktemp("tiny")
    summary = generate(
        scale=0.003,
        landing=root / "landing",
        truth=root / "truth",
        progress=lambda m: None,
        now=datetime(2026, 11, 1, 12, 0),
    )
    return root / "landing", summary


def test_tiny_world_generates_every_city_and_source(tiny_world):
    """Every city the generator simulates (its geography, not the checkout's city set: a further
    city file without demo geography is configured but not simulated)."""
    landing, summary = tiny_world
    cities = load_cities()
    assert summary.events > 10_000
    simulated = sorted(geo.CELLS)
    assert sorted(summary.per_city) == simulated
    for slug in simulated:
        cfg = cities[slug]
        for source in cfg.sources:
            folder = landing / slug / source
            assert folder.is_dir() and any(folder.iterdir()), f"{slug}/{source} missing"


def test_movement_rows_never_have_a_birth_year_after_the_event(tiny_world):
    """The rule of quality check `raw.meldewesen.geburtsjahr_not_in_future`, on every movement
    file of every city, read by the pipeline's own dialect readers."""
    landing, _ = tiny_world
    cities = load_cities()
    frames = []
    for path in sorted(landing.glob("*/meldewesen/*")):
        rel = path.relative_to(landing).as_posix()
        name = parse_delivery_path(rel, cities)
        df = to_canonical(read_delivery(path.read_bytes(), name, cities[name.city]), "meldewesen")
        frames.append(df.select("ereignis_datum", "geburtsjahr").with_columns(pl.lit(rel).alias("file")))
    rows = pl.concat(frames)
    assert len(frames) > 500 and rows.height > 10_000
    bad = rows.filter(pl.col("geburtsjahr") > pl.col("ereignis_datum").dt.year())
    assert bad.height == 0, bad.head(5)
