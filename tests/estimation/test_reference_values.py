"""Published reference values, not simulations: the UK 2013 modern-slavery data (multiple-systems
estimation), the textbook mark-recapture example (Lincoln-Petersen, Chapman 1951, Seber's
variance). The Kaplan-Meier reference (the 6-MP leukaemia data) is in tests/marts/test_retention_km.py."""

import numpy as np
import pytest

from estimation.dual_system import chapman, dual_system, lincoln_petersen
from estimation.loglinear import multiple_systems

# UK 2013 strategic assessment, six lists (LA local authorities, NG non-government organisations,
# PF police forces, GO government organisations, GP general public, NCA National Crime Agency):
# the table of Bales, Hesketh & Silverman (2015), as in the R package modslavmse (UKdat).
UK_LISTS = ["LA", "NG", "PF", "GO", "GP", "NCA"]
UK_2013 = [
    # LA NG PF GO GP NCA count
    (1, 0, 0, 0, 0, 0, 54),
    (0, 1, 0, 0, 0, 0, 463),
    (0, 0, 1, 0, 0, 0, 907),
    (0, 0, 0, 1, 0, 0, 695),
    (0, 0, 0, 0, 1, 0, 316),
    (0, 0, 0, 0, 0, 1, 57),
    (1, 1, 0, 0, 0, 0, 15),
    (1, 0, 1, 0, 0, 0, 19),
    (1, 0, 0, 1, 0, 0, 3),
    (0, 1, 1, 0, 0, 0, 56),
    (0, 1, 0, 1, 0, 0, 19),
    (0, 1, 0, 0, 1, 0, 1),
    (0, 1, 0, 0, 0, 1, 3),
    (0, 0, 1, 1, 0, 0, 69),
    (0, 0, 1, 0, 1, 0, 10),
    (0, 0, 1, 0, 0, 1, 31),
    (0, 0, 0, 1, 1, 0, 8),
    (0, 0, 0, 1, 0, 1, 6),
    (0, 0, 0, 0, 1, 1, 1),
    (1, 1, 1, 0, 0, 0, 1),
    (1, 1, 0, 1, 0, 0, 1),
    (0, 1, 1, 1, 0, 0, 4),
    (0, 1, 1, 0, 0, 1, 3),
    (0, 0, 1, 1, 0, 1, 1),
    (1, 1, 1, 1, 0, 0, 1),
]
# The published model: the stepwise choice of Bales, Hesketh & Silverman - seven interactions.
UK_MODEL = ["LA:NG", "LA:PF", "NG:GO", "NG:GP", "PF:GP", "PF:NCA", "GO:GP"]


def _uk():
    table = np.array(UK_2013)
    return table[:, :6], table[:, 6].astype(float)


def test_uk_2013_data_are_the_published_2744_cases():
    _, y = _uk()
    assert y.sum() == 2744


def test_uk_2013_stepwise_reproduces_the_published_model_estimate_and_range():
    """11,418 victims, 95 % profile interval about 9,980-13,180 (published: 10,000 to 13,000)."""
    H, y = _uk()
    e = multiple_systems(H, y, UK_LISTS, selection="stepwise")
    assert sorted(e.details["model"]) == sorted(UK_MODEL)
    assert e.point == pytest.approx(11418, abs=1)
    assert e.lower == pytest.approx(9982, abs=5) and e.upper == pytest.approx(13182, abs=5)
    assert round(e.lower, -3) == 10000 and round(e.upper, -3) == 13000


def test_uk_2013_the_same_model_forced_gives_the_same_figures():
    H, y = _uk()
    e = multiple_systems(H, y, UK_LISTS, force_interactions=[tuple(p.split(":")) for p in UK_MODEL])
    assert e.point == pytest.approx(11418, abs=1)


def test_textbook_mark_recapture_example():
    """10 animals marked, 15 caught later, 5 of them marked (the Lincoln-Petersen example of the
    textbooks, e.g. Seber 1982): N = 10 x 15 / 5 = 30; Chapman (1951) (11 x 16) / 6 - 1 = 28.33;
    Seber's variance 11 x 16 x 5 x 10 / (6^2 x 7) = 34.92."""
    n, var = lincoln_petersen(10, 15, 5)
    assert n == 30 and var == pytest.approx(10 * 15 * 5 * 10 / 5**3)
    n, var = chapman(10, 15, 5)
    assert n == pytest.approx(28 + 1 / 3) and var == pytest.approx(8800 / 252)
    e = dual_system(10, 15, 5)
    assert e.point == pytest.approx(28.3333, abs=1e-4) and e.lower >= 20  # never below the 20 seen
