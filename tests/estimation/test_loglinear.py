import numpy as np
import pytest

from estimation.loglinear import capture_cells, multiple_systems
from estimation.simulate import simulate_stratum

SZ = [{"register": 0, "sgb2": 1}]


def test_two_lists_reproduce_lincoln_petersen():
    e = multiple_systems([[1, 0], [0, 1], [1, 1]], [80, 80, 20], ["a", "b"])
    assert e.point == pytest.approx(500.0, rel=1e-6)
    assert e.lower < 500 < e.upper


def test_zero_cells_are_included_and_all_zero_history_rejected():
    cells, y, dropped = capture_cells(np.array([[1, 0, 0]]), np.array([5]), 3)
    assert len(cells) == 7 and y.sum() == 5 and (y == 0).sum() == 6 and dropped == 0
    with pytest.raises(ValueError):
        capture_cells(np.array([[0, 0, 0]]), np.array([1]), 3)


def test_structural_zero_cells_are_left_out_and_reported():
    lists = ["register", "sgb2", "counselling"]
    h = [[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1], [0, 0, 1], [0, 1, 0]]
    e = multiple_systems(h, [500, 100, 30, 6, 60, 3], lists, structural_zeros=SZ)
    assert "010" not in e.inputs["cells"] and "011" not in e.inputs["cells"]
    assert any("3 persons" in w for w in e.warnings)
    # register:sgb2 is aliased with the sgb2 main effect once register=0&sgb2=1 cannot occur
    assert "register:sgb2" in e.details["not_estimable"]


def test_empty_list_is_rejected():
    with pytest.raises(ValueError, match="nobody"):
        multiple_systems([[1, 0, 0], [1, 0, 1]], [10, 5], ["a", "b", "c"])


def test_dependence_is_carried_by_an_interaction():
    """Counselling finds unregistered people far more often: register:counselling must be chosen,
    and the estimate must stay close to the truth (independence would be far off)."""
    rng = np.random.default_rng(7)
    s = simulate_stratum(
        rng, present=3000, unregistered=600, gone=0, p_school=0.7, p_sgb2=0.3, p_counsel_reg=0.05, p_counsel_unreg=0.4
    )
    e = multiple_systems(s.histories, np.ones(len(s.histories)), s.lists, structural_zeros=SZ)
    assert "register:counselling" in e.details["model"]
    assert abs(e.point / s.residents - 1) < 0.05
    indep = [a for a in e.details["alternatives"] if not a["interactions"]]
    assert not indep or indep[0]["delta_aic"] > 10


@pytest.mark.slow
def test_mse_coverage_in_seeded_simulation():
    """Known N, dependent lists with a structural zero: coverage of the profile interval."""
    rng = np.random.default_rng(11)
    reps, hits, rel = 40, 0, []
    for _ in range(reps):
        s = simulate_stratum(
            rng, present=800, unregistered=200, gone=0, p_school=0.8, p_counsel_reg=0.05, p_counsel_unreg=0.3
        )
        e = multiple_systems(s.histories, np.ones(len(s.histories)), s.lists, structural_zeros=SZ)
        hits += e.covers(s.residents)
        rel.append(e.point / s.residents - 1)
    print(f"MSE coverage {hits / reps:.2f}, mean relative error {np.mean(rel):+.4f}")
    assert hits / reps >= 0.85
    assert abs(np.mean(rel)) < 0.02


def test_erroneous_inclusions_bias_mse_upward():
    """Registered people who left sit in the register-only cell and inflate the estimate."""
    rng = np.random.default_rng(3)
    s = simulate_stratum(rng, present=2000, unregistered=300, gone=400, p_school=0.8)
    e = multiple_systems(s.histories, np.ones(len(s.histories)), s.lists, structural_zeros=SZ)
    assert e.point > s.residents * 1.1
