"""The comparison of the Spark parity test (tests/engine/parity.py) catches what it must: a
changed value, a double beyond the tolerance, a missing or duplicated row, NULL against a value;
and lets through what is equal: other row orders, doubles within 1e-9 relative, the engines'
different Python types of one value."""

import datetime as dt
from decimal import Decimal

from engine.parity import compare_rows

ROWS = [("muenster", 2019, 0.5, None), ("muenster", 2020, 1 / 3, "x"), ("enschede", 2019, 0.25, "y")]


def test_equal_rows_in_another_order_are_equal():
    assert compare_rows(ROWS, list(reversed(ROWS))) is None


def test_doubles_within_the_tolerance_are_equal():
    close = [(c, y, v * (1 + 1e-12), s) for c, y, v, s in ROWS]
    assert compare_rows(ROWS, close) is None


def test_a_double_beyond_the_tolerance_differs():
    planted = [*ROWS[:2], ("enschede", 2019, 0.25 * (1 + 1e-7), "y")]
    assert compare_rows(ROWS, planted, ["city", "year", "share", "note"]) == "share: 0.25 != 0.250000025"


def test_a_changed_key_differs():
    planted = [*ROWS[:2], ("enschede", 2021, 0.25, "y")]
    assert "#1: 2019 != 2021" in compare_rows(ROWS, planted)


def test_null_against_a_value_differs():
    planted = [("muenster", 2019, 0.5, "z"), *ROWS[1:]]
    assert compare_rows(ROWS, planted) is not None
    assert compare_rows([(1, None)], [(1, 0.0)]) is not None


def test_a_missing_or_duplicated_row_differs():
    assert compare_rows(ROWS, ROWS[:2]) == "3 rows != 2 rows"
    assert compare_rows(ROWS, [*ROWS[:2], ROWS[0]]) is not None


def test_rows_with_equal_keys_are_matched_by_their_doubles():
    left = [("a", 1.0), ("a", 2.0)]
    assert compare_rows(left, [("a", 2.0 + 1e-15), ("a", 1.0)]) is None
    assert compare_rows(left, [("a", 2.0), ("a", 2.0)]) is not None
    # by value, not by spelling: 9.999...8 sorts below 10.0 as 10.0 does (against 5.0)
    assert compare_rows([("a", 10.0), ("a", 5.0)], [("a", 5.0), ("a", 9.999999999999998)]) is None


def test_the_engines_python_types_of_one_value_are_equal():
    duck = [(Decimal("1.50"), dt.datetime(2020, 1, 1, 12, tzinfo=dt.UTC), [1, 2], {"a": 1.0})]
    spark = [(1.5, dt.datetime(2020, 1, 1, 12), (1, 2), {"a": 1.0})]
    assert compare_rows(duck, spark) is None
    assert compare_rows(duck, [(1.5, dt.datetime(2020, 1, 1, 13), (1, 2), {"a": 1.0})]) is not None


def test_a_double_against_an_integer_differs():
    """The same number, typed double on one engine and integer on the other, is a difference."""
    difference = compare_rows([("a", 10.0)], [("a", 10)], ["k", "n"])
    assert "without its match" in difference and difference.endswith(("n: 10.0 != 10", "n: 10 != 10.0"))
