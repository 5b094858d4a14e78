"""Absent share (Beta update), the components method and the variance pieces of school_gone_dwell."""

from datetime import date

import numpy as np
import polars as pl
import pytest

from estimation.absent import GROUP_PRIOR_WEIGHT, PRIOR_A, PRIOR_B, absent_share, absent_shares
from estimation.components import components, unregistered_rate
from estimation.gone import design_effect, school_gone_dwell, sum_squared_cluster_sizes
from estimation.result import Estimate
from estimation.validate import consistency


def test_absent_share_is_the_evidence_with_a_weak_prior():
    """No evidence: the prior alone, mean 10 % and wide (the sensitivity range); much evidence:
    the data decide; clustered evidence (households) counts less."""
    none = absent_share(0, 0)
    assert none[0] == pytest.approx(PRIOR_A / (PRIOR_A + PRIOR_B)) and none[1] > 0.08
    much = absent_share(2000, 100)  # 5 % of 2,000 demonstrably present children missing
    assert much[0] == pytest.approx(101 / 2010) and much[1] < 0.006
    assert absent_share(200, 0)[0] < 0.006  # nobody missing: the share goes down to the data
    households = absent_share(200, 10, design_effect=3)
    assert households[1] > absent_share(200, 10)[1] * 1.4  # 200 children in 67 households
    with pytest.raises(ValueError):
        absent_share(5, 6)


def test_absent_shares_per_group_flag_groups_with_little_evidence():
    def kids(grp, n, evidence, missing):
        return [
            {
                "nationality_group": grp,
                "school": int(i >= missing),
                "present_evidence": i < evidence,
                "address": f"{grp}{i}",
            }
            for i in range(n)
        ]

    children = pl.DataFrame(kids("DE", 1000, 300, 6) + kids("EU2", 60, 8, 2))
    shares = absent_shares(children)
    city = (PRIOR_A + 8) / (PRIOR_A + PRIOR_B + 308)  # all 308 evidence children, 8 not at school
    w = GROUP_PRIOR_WEIGHT
    # each group: its own evidence, starting from the city's share worth w children
    assert shares["DE"][0] == pytest.approx((w * city + 6) / (w + 300))
    assert "absent_warning" not in shares["DE"][2]
    assert shares["EU2"][0] == pytest.approx((w * city + 2) / (w + 8))  # its own evidence, not DE's
    assert shares["EU2"][0] > 3 * shares["DE"][0]
    # the city share's uncertainty is carried: a group with little evidence keeps a wide sd
    assert shares["EU2"][1] > absent_share(8, 2, prior=(w * city, w * (1 - city)))[1]
    assert "barely identified" in shares["EU2"][2]["absent_warning"]


def test_cluster_sizes_and_design_effect():
    df = pl.DataFrame({"address": ["a", "a", "a", "b", None, None]})
    assert sum_squared_cluster_sizes(df) == 9 + 1 + 2  # persons without address count alone
    assert design_effect(df) == pytest.approx(12 / 6)
    assert sum_squared_cluster_sizes(pl.DataFrame({"x": [1, 2]})) == 2  # no address column: independent


def test_households_widen_the_gone_interval():
    rng = np.random.default_rng(1)
    kids = pl.DataFrame({"dwell_class": ["1-3"] * 200, "school": (rng.random(200) > 0.2).astype(int)})
    alone = pl.DataFrame({"dwell_class": ["1-3"] * 300, "address": [f"a{i}" for i in range(300)]})
    families = pl.DataFrame({"dwell_class": ["1-3"] * 300, "address": [f"a{i // 6}" for i in range(300)]})
    known = (0.015, 0.0075, {})  # an absent share as if well estimated: the household part shows
    e1, e2 = school_gone_dwell(alone, kids, known), school_gone_dwell(families, kids, known)
    assert e1.point == pytest.approx(e2.point)
    assert e2.se > e1.se * 1.2  # whole households are gone or not together


def test_components_add_up_and_carry_intervals():
    gone_kids = Estimate("school_gone_dwell", "registered_gone", 20, 10, 30, se=5)
    # 200 registered children, 20 gone; 180 present at school would be 177 with 1.5 % absent; 30 unregistered pupils
    rate = unregistered_rate(200, gone_kids, pupils=207, linked=177)
    assert rate.point > 0 and rate.lower <= rate.point <= rate.upper
    gone = Estimate("school_gone_dwell", "registered_gone", 50, 30, 70, se=10)
    unreg, total = components(1000, gone, rate)
    assert unreg.point == pytest.approx(rate.point * 1000)
    assert total.point == pytest.approx(1000 - 50 + unreg.point)
    assert total.lower < total.point < total.upper
    assert total.method == unreg.method == "components_school"


def test_consistency_detects_a_broken_decomposition():
    def row(q, point):
        return {
            "city": "c",
            "stichtag": date(2025, 9, 30),
            "nationality_group": "EU2",
            "age_band": "25-44",
            "district": "INSGESAMT",
            "registered": 100.0,
            "quantity": q,
            "point": point,
            "recommended": True,
        }

    good = pl.DataFrame([row("residents", 95.0), row("registered_gone", 10.0), row("unregistered", 5.0)])
    assert consistency(good) == {"strata": 1, "complete": 1, "max_abs_deviation": 0.0}
    bad = pl.DataFrame([row("residents", 99.0), row("registered_gone", 10.0), row("unregistered", 5.0)])
    assert consistency(bad)["max_abs_deviation"] == pytest.approx(4.0)
    partial = pl.DataFrame([row("residents", 95.0), row("registered_gone", 10.0)])
    assert consistency(partial)["complete"] == 0
