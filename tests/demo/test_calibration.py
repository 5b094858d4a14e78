"""The generated world reproduces the published figures (calibration.TARGETS), measured on the
delivery FILES (as a city sends them) of a Dortmund + Duisburg world, 2023-2024, scale 0.08."""

from __future__ import annotations

import pytest
from demo_measure import dortmund, duisburg

from ingest.demo import generate
from ingest.demo.calibration import TARGETS

SCALE = 0.08


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    root = tmp_path_factory.mktemp("calibration")
    generate(
        scale=SCALE,
        seed=11,
        landing=root / "landing",
        truth=root / "truth",
        cities=["dortmund", "duisburg"],
        start="2023-01",
        end="2024-12",
        progress=lambda m: None,
    )
    figs = {**dortmund(root / "landing", 2024), **duisburg(root / "landing", 2024)}
    figs["dortmund_problem_properties"] /= SCALE  # back to real scale
    return figs


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_target(figures, name):
    target = TARGETS[name]
    value = figures[name]
    if target.get("op") == ">":
        assert value > target["value"], f"{name}: {value:.3f} not > {target['value']} ({target['source']})"
    else:
        tol = target["tol"] * (target["value"] if target.get("per_scale") else 1)
        assert abs(value - target["value"]) <= tol, (
            f"{name}: {value:.3f} vs {target['value']} +- {tol} ({target['source']})"
        )


def test_enough_people_for_stable_figures(figures):
    assert figures["dortmund_eu2_registered"] > 500 and figures["duisburg_eu2_registered"] > 1000
    assert figures["inspections"] >= 5
