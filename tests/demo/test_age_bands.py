"""The demo world speaks the standard age bands of the seed (warehouse.vocabulary), not a copy."""

from __future__ import annotations

import csv

import pytest

from ingest.demo import calibration as cal
from ingest.demo import truth
from warehouse import vocabulary


def test_calibration_bands_are_the_seed_bands():
    with (vocabulary.SEEDS_DIR / "age_bands.csv").open(encoding="utf-8") as fh:
        seed = sorted(
            (r for r in csv.DictReader(fh) if r["band_set"] == "standard"), key=lambda r: int(r["sort_order"])
        )
    assert cal.AGE_BANDS == tuple(r["age_band"] for r in seed)
    assert cal.AGE_BAND_EDGES[:-1] == tuple(int(r["age_from"]) for r in seed)
    assert cal.AGE_BAND_EDGES[-1] == cal.OLDEST_AGE_DRAWN + 1


@pytest.mark.parametrize(
    "shares",
    [*cal.AGE_SHARES.values(), cal.AGE_SHARES_EU2_DUISBURG, cal.AGE_SHARES_DE_ARRIVALS],
)
def test_one_age_share_per_band(shares):
    """A band added to the seed needs its share in the calibration (the generator would
    otherwise draw ages for the wrong bands)."""
    assert len(shares) == len(cal.AGE_BANDS)
    assert sum(shares) == pytest.approx(1.0)


def test_truth_bands_follow_the_age_of_the_marts():
    """The truth tables band ages as the marts do (vocabulary.age_band_of)."""
    ages = list(range(0, cal.OLDEST_AGE_DRAWN + 1))
    got = [cal.AGE_BANDS[i] for i in truth.age_band(ages)]
    assert got == [vocabulary.age_band_of(a) for a in ages]
