"""Small and odd strata never end the estimation: a method that is not defined for the counts
gives a not-estimable result (NaN here, NULL in the mart) with the reason, and everything else
goes on (METHODS.md, "Degenerate strata")."""

import math

import duckdb
import numpy as np
import polars as pl
import pytest
from synthetic_staging import build

import estimation.warehouse as wh
from estimation.components import components, unregistered_rate
from estimation.dual_system import dual_system
from estimation.gone import dwell_class, school_gone_dwell
from estimation.loglinear import _log_normal_fallback, multiple_systems
from estimation.overcount import inspection_ratio
from estimation.ratio import ratio_estimate
from estimation.result import Estimate, guarded, not_estimable


def _is_not_estimable(e: Estimate, reason_part: str) -> bool:
    return (
        not e.estimable
        and not e.valid
        and math.isnan(e.point)
        and math.isnan(e.lower)
        and math.isnan(e.upper)
        and e.warnings[0].startswith("not estimable:")
        and reason_part in e.warnings[0]
    )


# --- single methods -------------------------------------------------------------------------


def test_dual_system_with_an_empty_list_is_not_estimable():
    assert _is_not_estimable(dual_system(40, 0, 0), "one list is empty")
    assert _is_not_estimable(dual_system(0, 12, 0), "one list is empty")


def test_dual_system_with_a_gone_correction_without_number_is_not_estimable():
    assert _is_not_estimable(dual_system(40, 30, 20, n1_gone=math.nan), "gone correction")


def test_dual_system_still_rejects_contradicting_counts():
    with pytest.raises(ValueError):  # broken linkage is an error, not a small stratum
        dual_system(10, 5, 6)


def test_one_inspected_address_with_more_unregistered_than_registered():
    # the domain error of the demo world at scale 0.01: p(1-p) < 0 for a share above 1
    p = pl.DataFrame({"gemeldet_laut_register": [2], "angetroffen_gemeldet": [1], "angetroffen_nicht_gemeldet": [5]})
    out = inspection_ratio(p, registered_at_problem_properties=10)
    unreg = out["unregistered"]
    assert unreg.estimable and unreg.inputs["share"] == pytest.approx(2.5)
    assert unreg.inputs["share_se"] == pytest.approx(math.sqrt(5) / 2)  # Poisson: sqrt(U)/R
    assert unreg.lower <= unreg.point <= unreg.upper
    assert any("one inspected address" in w for w in unreg.warnings)
    gone = out["registered_gone"]
    assert gone.inputs["share_se"] == pytest.approx(math.sqrt(0.5 * 0.5 / 2))  # binomial


def test_inspection_without_registered_persons_is_not_estimable():
    p = pl.DataFrame(
        {"gemeldet_laut_register": [0, 0], "angetroffen_gemeldet": [0, 0], "angetroffen_nicht_gemeldet": [3, 1]}
    )
    for e in inspection_ratio(p).values():
        assert _is_not_estimable(e, "nobody registered")


@pytest.mark.parametrize("pupils, children", [(0, 0), (0, 12), (9, 0)])
def test_ratio_with_zero_counts_is_not_estimable(pupils, children):
    assert _is_not_estimable(ratio_estimate(pupils, children, 100), "ratio is not defined")


def _children(n: int, at_school: int) -> pl.DataFrame:
    return pl.DataFrame(
        {"dwell": [2.0] * n, "school": [1] * at_school + [0] * (n - at_school), "address": [f"a{i}" for i in range(n)]}
    ).with_columns(dwell_class=dwell_class(pl.col("dwell")))


def test_gone_without_children_is_not_estimable():
    band = _children(5, 0).drop("school")
    assert _is_not_estimable(school_gone_dwell(band, _children(0, 0)), "no registered children")
    assert _is_not_estimable(school_gone_dwell(band.head(0), _children(30, 28)), "nobody registered")


def test_unregistered_rate_without_any_child_at_school_is_not_estimable_and_components_follow():
    kids = _children(25, 0)
    gone_kids = school_gone_dwell(kids, kids)
    rate = unregistered_rate(25, gone_kids, pupils=0, linked=0)
    assert _is_not_estimable(rate, "register x school")
    unreg, total = components(300, school_gone_dwell(kids, kids), rate)
    assert _is_not_estimable(unreg, "unregistered rate") and _is_not_estimable(total, "unregistered rate")
    assert (unreg.quantity, total.quantity) == ("unregistered", "residents")


def test_multiple_systems_on_a_single_list_or_a_single_cell_raises_a_clear_error():
    with pytest.raises(ValueError, match="at least two lists"):
        multiple_systems(np.array([[1]]), np.array([10.0]), ["register"])
    with pytest.raises(ValueError, match="nobody"):  # everybody in one cell: register only
        multiple_systems(np.array([[1, 0]]), np.array([50.0]), ["register", "school"])


def test_mse_in_the_warehouse_turns_those_into_a_not_estimable_row():
    part = pl.DataFrame({"register": [1] * 30, "counselling": [0] * 29 + [1]})
    gone = Estimate("school_gone_dwell", "registered_gone", 2.0, 1.0, 3.0, se=0.5)
    e = wh._mse_gone_corrected(part, ["register", "counselling"], gone)
    assert _is_not_estimable(e, "log-linear model") or e.estimable  # never an exception
    one_cell = pl.DataFrame({"register": [1] * 30, "counselling": [0] * 30})
    assert _is_not_estimable(wh._mse_gone_corrected(one_cell, ["register", "counselling"], gone), "nobody")
    no_gone = not_estimable("school_gone_dwell", "registered_gone", "no children")
    assert _is_not_estimable(wh._mse_gone_corrected(part, ["register", "counselling"], no_gone), "gone correction")


def test_log_normal_fallback_interval():
    lo, hi, n = _log_normal_fallback(100.0, 20.0, 0.5)
    assert lo < n < hi and n == 120.0
    assert _log_normal_fallback(100.0, 20.0, math.inf)[1] == math.inf


def test_guarded_turns_a_domain_error_into_reasons_per_quantity():
    def broken(*_):
        return math.sqrt(-1.0)

    unreg, total = guarded("components_school", ("unregistered", "residents"), broken, 1)
    assert _is_not_estimable(unreg, "math domain error") and total.quantity == "residents"
    ok = guarded("ratio_school", ("residents",), ratio_estimate, 50, 50, 100)
    assert ok.estimable and ok.point == pytest.approx(100)


# --- the whole mart on tiny strata ------------------------------------------------------------

TINY = (("DE", 600, 10, 20), ("EU2", 4, 0, 1), ("ASYL8", 1, 2, 0), ("DRITT_SONST", 0, 3, 0))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny") / "w.duckdb"
    build(path, seed=3, sizes=TINY)
    return path


def _estimate(path) -> pl.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return wh.estimate_all(con)
    finally:
        con.close()


def test_tiny_strata_give_numbers_or_reasons_never_nan(tiny):
    df = _estimate(tiny)
    assert df.height > 0
    for c in ("point", "lower", "upper", "se", "registered"):
        assert df[c].is_nan().sum() == 0, c  # NaN became NULL, never a NaN in the mart
    estimated = df["status"] == "estimated"
    assert (estimated == df["point"].is_not_null()).all()
    reasons = df.filter(~estimated)
    assert reasons.height > 0  # the tiny groups do produce degenerate strata
    assert reasons["warnings"].str.starts_with("not estimable:").all()
    assert reasons["lower"].is_null().all() and reasons["upper"].is_null().all() and (~reasons["valid"]).all()
    rec = df.filter("recommended")
    assert rec.select(pl.col("point", "lower", "upper").is_null().any()).row(0) == (False, False, False)
    # the big group is untouched by its tiny neighbours: every band has all three parts recommended
    de = rec.filter((pl.col("nationality_group") == "DE") & (pl.col("district") == "INSGESAMT"))
    assert de.group_by("age_band").agg(pl.col("quantity").n_unique())["quantity"].min() == 3


def test_recommended_rows_still_decompose(tiny):
    rec = _estimate(tiny).filter("recommended")
    keys = ["city", "nationality_group", "age_band", "district"]
    wide = rec.pivot(on="quantity", index=keys + ["registered"], values="point", aggregate_function="first")
    full = wide.drop_nulls([c for c in ("residents", "registered_gone", "unregistered") if c in wide.columns])
    assert full.height > 0
    gap = (full["residents"] - (full["registered"] - full["registered_gone"] + full["unregistered"])).abs()
    assert gap.max() < 1e-6


def test_one_failing_call_does_not_touch_other_strata_or_methods(tiny, monkeypatch):
    before = _estimate(tiny)
    calls = {"n": 0}
    real = wh.lag_overcount

    def fails_once(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ValueError("math domain error")
        return real(*args, **kwargs)

    monkeypatch.setattr(wh, "lag_overcount", fails_once)
    after = _estimate(tiny)
    keys = ["city", "nationality_group", "age_band", "district", "method", "quantity"]
    joined = before.join(after, on=keys, suffix="_after")
    assert joined.height == before.height == after.height
    # (polars' group order makes the last bits of some sums vary between runs: compare to 1e-9)
    differs = lambda c: (
        (pl.col(c).is_null() != pl.col(f"{c}_after").is_null())
        | ((pl.col(c) - pl.col(f"{c}_after")).abs() > 1e-9 * (1 + pl.col(c).abs()))
    )
    changed = joined.filter(differs("point") | differs("upper"))
    # one stratum moved: its lag row lost its number (with the reason), and where the lag was that
    # stratum's gone correction, the rows built on it; every other stratum is as before
    assert changed.select("nationality_group", "age_band", "district").unique().height == 1
    lag = changed.filter(pl.col("method") == "lag_projection")
    assert lag.height == 1 and lag["point_after"][0] is None and lag["status_after"][0] == "not_estimable"
    assert "failed on this stratum's counts (ValueError: math domain error)" in lag["warnings_after"][0]


def test_command_on_lists_without_overlap_and_on_a_single_list(tmp_path, capsys):
    from estimation.__main__ import main

    zero = tmp_path / "zero.csv"
    zero.write_text("a,b,c,count\n1,0,0,30\n0,1,0,20\n0,0,1,5\n1,0,1,3\n")
    assert main(["capture-history", str(zero)]) == 0
    assert "not estimable: no overlap" in capsys.readouterr().out
    single = tmp_path / "single.csv"
    single.write_text("a,count\n1,30\n")
    assert main(["capture-history", str(single)]) == 2  # a clear error, no traceback
    assert "at least two lists" in capsys.readouterr().err


def test_unregistered_row_without_a_gone_figure_says_why():
    from estimation.rows import resident_rows

    total = ratio_estimate(50, 50, 100)
    gone = not_estimable("lag_projection", "registered_gone", "no outflows")
    res, unreg = resident_rows({"district": "INSGESAMT"}, total, 100.0, gone, net=True)
    assert res["status"] == "estimated" and res["point"] == pytest.approx(100)
    assert unreg["status"] == "not_estimable" and unreg["point"] is None
    assert unreg["warnings"].startswith("not estimable:") and "no outflows" in unreg["warnings"]
