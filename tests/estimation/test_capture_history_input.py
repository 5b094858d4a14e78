"""Malformed capture histories: each case has its own error or an explicit warning, the same in
the function (estimate_capture_history) and the command (python -m estimation capture-history)."""

import json
import math

import polars as pl
import pytest

from estimation.__main__ import main
from estimation.capture_history import estimate_capture_history

GOOD = "a;b;count\n1;0;80\n0;1;80\n1;1;20\n"


def _run(tmp_path, text: str, *args: str):
    f = tmp_path / "ch.csv"
    f.write_text(text, encoding="utf-8")
    return main(["capture-history", str(f), *args])


def _frame(rows, lists=("a", "b")):
    return pl.DataFrame(rows, schema=[*lists, "count"], orient="row")


def test_all_zero_history_is_dropped_with_a_warning_in_function_and_command(tmp_path, capsys):
    res = estimate_capture_history(_frame([(1, 0, 80), (0, 1, 80), (1, 1, 20), (0, 0, 999)]), ["a", "b"])
    for _, e in res:
        assert any("1 row(s) with an all-zero history (999 persons) dropped" in w for w in e.warnings)
        assert e.inputs["dropped_all_zero_rows"] == 1
    assert {e.method: round(e.point, 2) for _, e in res}["chapman"] == 484.76  # the rest unchanged
    assert _run(tmp_path, GOOD + "0;0;999\n") == 0
    out = capsys.readouterr().out
    assert out.startswith("warning: 1 row(s) with an all-zero history (999 persons) dropped")
    assert _run(tmp_path, GOOD + "0;0;999\n", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert all("all-zero history (999 persons)" in r["warnings"] for r in rows)


def test_a_clean_table_has_no_such_warning(tmp_path, capsys):
    res = estimate_capture_history(_frame([(1, 0, 80), (0, 1, 80), (1, 1, 20)]), ["a", "b"])
    assert all(e.inputs["dropped_all_zero_rows"] == 0 for _, e in res)
    assert not any("all-zero" in w for _, e in res for w in e.warnings)
    assert _run(tmp_path, GOOD) == 0
    assert "all-zero" not in capsys.readouterr().out


def test_empty_count_cell_is_an_error_naming_the_row(tmp_path, capsys):
    with pytest.raises(ValueError, match="row 2: the count is empty"):
        estimate_capture_history(_frame([(1, 0, 80), (0, 1, None), (1, 1, 20)]), ["a", "b"])
    assert _run(tmp_path, "a;b;count\n1;0;80\n0;1;\n1;1;20\n") == 2
    assert "row 2: the count is empty" in capsys.readouterr().err


def test_fractional_counts_are_an_error(tmp_path, capsys):
    with pytest.raises(ValueError, match=r"row 1: count 80.5 is not a whole number"):
        estimate_capture_history(_frame([(1, 0, 80.5), (0, 1, 80), (1, 1, 20)]), ["a", "b"])
    assert _run(tmp_path, "a;b;count\n1;0;80,5\n0;1;80\n1;1;20\n") == 2  # a German decimal comma too
    assert "row 1: count 80.5 is not a whole number" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("rows", "text", "message"),
    [
        ([(1, 2, 5), (1, 1, 3)], "a;b;count\n1;2;5\n1;1;3\n", "row 1: list 'b' must hold 0/1, found 2"),
        ([(1, 0, -5), (1, 1, 3)], "a;b;count\n1;0;-5\n1;1;3\n", "row 1: count -5 is negative"),
        ([(1, None, 5), (1, 1, 3)], "a;b;count\n1;;5\n1;1;3\n", "row 1: list 'b' is empty"),
    ],
)
def test_list_values_and_negative_counts_are_errors_in_both(tmp_path, capsys, rows, text, message):
    """The function rejects what the command rejects (a 2 used to pass the function)."""
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        estimate_capture_history(_frame(rows), ["a", "b"])
    assert _run(tmp_path, text) == 2
    assert message in capsys.readouterr().err


def test_text_in_a_count_is_an_error(tmp_path, capsys):
    assert _run(tmp_path, "a;b;count\n1;0;x\n") == 2
    assert "row 1: count 'count' = 'x' is not a number" in capsys.readouterr().err


def test_zero_overlap_gives_the_reason_not_a_model_search_failure(tmp_path, capsys):
    """Two lists that share nobody: every method says 'no overlap', none 'no identifiable model'."""
    res = estimate_capture_history(_frame([(1, 0, 80), (0, 1, 80), (1, 1, 0)]), ["a", "b"])
    for _, e in res:
        assert not e.estimable and math.isnan(e.point)
        assert "no overlap" in e.warnings[0], e.warnings
        assert "identifiable" not in e.warnings[0]
    assert _run(tmp_path, "a;b;count\n1;0;80\n0;1;80\n") == 0
    out = capsys.readouterr().out
    assert "Multiple-systems estimation: not estimable: no overlap between the lists" in out
    assert "identifiable" not in out


def test_a_pair_without_overlap_among_three_lists_is_still_estimable():
    rows = [(1, 0, 0, 50), (0, 1, 0, 40), (0, 0, 1, 30), (1, 0, 1, 10), (0, 1, 1, 8)]
    res = dict(
        (e.method + ":" + label, e)
        for label, e in estimate_capture_history(_frame(rows, ("a", "b", "c")), ["a", "b", "c"])
    )
    assert not res["chapman:a+b"].estimable and "no overlap" in res["chapman:a+b"].warnings[0]
    assert res["mse_loglinear:a+b+c"].estimable


def test_structural_zero_on_an_unknown_list_and_malformed_rules_are_errors(tmp_path, capsys):
    with pytest.raises(ValueError, match="names lists not in the table"):
        estimate_capture_history(_frame([(1, 0, 8), (1, 1, 3), (0, 1, 4)]), ["a", "b"], structural_zeros=[{"x": 1}])
    assert _run(tmp_path, GOOD, "--structural-zero", "x=1") == 2
    assert "names lists not in the table" in capsys.readouterr().err
    assert _run(tmp_path, GOOD, "--structural-zero", "a=2") == 2
    assert "write list=0|1" in capsys.readouterr().err


def test_an_empty_table_and_a_single_list_are_errors(tmp_path, capsys):
    with pytest.raises(ValueError, match="no rows"):
        estimate_capture_history(_frame([]), ["a", "b"])
    with pytest.raises(ValueError, match="at least two lists"):
        estimate_capture_history(_frame([(1, 0, 3)]), ["a"])
    assert _run(tmp_path, "a;b;count\n") == 2
    assert "no rows" in capsys.readouterr().err
