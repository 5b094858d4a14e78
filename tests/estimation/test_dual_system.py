import math

import pytest

from estimation.dual_system import chapman, dual_system, lincoln_petersen, log_normal_interval


def test_lincoln_petersen_worked_values():
    n, var = lincoln_petersen(100, 100, 20)
    assert n == pytest.approx(500.0)
    assert var == pytest.approx(100 * 100 * 80 * 80 / 20**3)  # 8000


def test_chapman_worked_values_and_seber_variance():
    n, var = chapman(100, 100, 20)
    assert n == pytest.approx(484.76, abs=0.005)
    assert var == pytest.approx(6729.17, abs=0.005)


def test_interval_contains_point_and_never_below_persons_seen():
    e = dual_system(100, 100, 20)
    assert e.lower >= 100 + 100 - 20
    assert e.lower < e.point < e.upper
    assert e.se == pytest.approx(math.sqrt(6729.17), abs=0.01)
    assert e.valid


def test_small_overlap_is_flagged():
    e = dual_system(30, 20, 3)
    assert not e.valid
    assert any("n1*n2 < 4*N_hat" in w for w in e.warnings)
    assert any("overlap m=3" in w for w in e.warnings)


@pytest.mark.parametrize("method", ["lincoln_petersen", "chapman"])
def test_no_overlap_is_not_estimable_with_the_reason(method):
    # Lincoln-Petersen is infinite and Chapman a meaningless (n1+1)(n2+1)-1 without recaptures
    assert math.isinf(lincoln_petersen(50, 40, 0)[0])
    e = dual_system(50, 40, 0, method=method)
    assert not e.estimable and not e.valid
    assert math.isnan(e.point) and math.isnan(e.lower) and math.isnan(e.upper)
    assert e.warnings[0].startswith("not estimable: no overlap")


@pytest.mark.parametrize("args", [(10, 5, 6), (-1, 5, 0), (5, 10, 11)])
def test_impossible_counts_are_rejected(args):
    with pytest.raises(ValueError):
        chapman(*args)


def test_erroneous_inclusions_lower_the_estimate_and_widen_the_interval():
    plain = dual_system(1000, 500, 400)
    corrected = dual_system(1000, 500, 400, n1_gone=100, n1_gone_var=400)
    assert corrected.point == pytest.approx(chapman(900, 500, 400)[0])
    assert corrected.point < plain.point
    assert corrected.se > chapman(900, 500, 400)[1] ** 0.5


def test_unknown_method_rejected():
    with pytest.raises(ValueError):
        dual_system(10, 10, 5, method="petersen_typo")


def test_log_normal_interval_degenerate_cases():
    assert log_normal_interval(100, 100, 0.0) == (100, 100)
    lo, hi = log_normal_interval(100, math.inf, math.inf)
    assert lo == 100 and math.isinf(hi)


def test_chapman_coverage_in_seeded_simulation():
    """Independent lists, homogeneous catchability: the 95 % interval should cover ~95 %."""
    import numpy as np

    rng = np.random.default_rng(20240601)
    N, hits, reps = 1000, 0, 400
    for _ in range(reps):
        a = rng.random(N) < 0.3
        b = rng.random(N) < 0.2
        e = dual_system(a.sum(), b.sum(), (a & b).sum())
        hits += e.covers(N)
    assert 0.90 <= hits / reps <= 0.99
