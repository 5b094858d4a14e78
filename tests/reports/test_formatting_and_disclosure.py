"""Fast unit tests: number formats, totals, the small-count guard, the output scanners, due dates."""

import datetime as dt

import polars as pl
import pytest

from reports import i18n, tables
from reports.disclosure import guard_counts, scan_chart_csv, scan_html
from reports.schedule import quarter_due_on, report_due_date


@pytest.mark.parametrize("lang, expected", [("de", "1.234.567"), ("nl", "1.234.567"), ("en", "1,234,567")])
def test_thousands_separator_per_language(lang, expected):
    assert i18n.fmt_number(1234567, lang) == expected


def test_decimals_sign_and_missing():
    assert i18n.fmt_number(1234.56, "de", 1) == "1.234,6"
    assert i18n.fmt_number(1234.56, "en", 1) == "1,234.6"
    assert i18n.fmt_number(-5, "de") == "−5"
    assert i18n.fmt_number(5, "en", signed=True) == "+5"
    assert i18n.fmt_number(-0.01, "de", 1) == "0,0"  # no "−0,0"
    assert i18n.fmt_number(None, "de") == i18n.MISSING
    assert i18n.fmt_pct(2, "de") == "2,0 %"  # a share never looks like a bare count
    assert i18n.fmt_rank(1, 8, "en") == "1/8"


def test_unknown_language_and_key_fail():
    with pytest.raises(ValueError):
        i18n.fmt_number(1, "fr")
    with pytest.raises(KeyError):
        i18n.t("no_such_label", "de")


def test_every_label_has_all_languages():
    for key, texts in i18n.LABELS.items():
        assert set(texts) == set(i18n.LANGUAGES), key


def test_suppressed_cells_show_as_the_source_does():
    assert tables.format_value(None, "count", "de", suppressed=True) == "*"
    assert tables.format_value(17, "count", "de", suppressed=True) == "*"
    assert "\\*" in tables.md_table(["a", "b"], [["x", "*"]])  # escaped: not Markdown emphasis


def test_safe_total_refuses_rounded_and_suppressed_parts():
    assert tables.safe_total([10, 20]) == 30
    assert tables.safe_total([10, 20], rounded=True) is None
    assert tables.safe_total([10, None]) is None
    assert tables.safe_total([10, 20], suppressed=[False, True]) is None


def test_guard_suppresses_small_counts_and_revealing_cells():
    df = pl.DataFrame(
        {
            "indicator_id": ["n", "n", "rate", "rate", "n"],
            "value": [2.0, 3.0, 2.0, 12.5, None],
            "numerator": [None, None, 5.0, 1.0, None],
            "denominator": [None, None, 250.0, 8.0, None],
            "is_suppressed": [False, False, False, False, True],
        }
    )
    out, fixed = guard_counts(df, pl.col("indicator_id") == "n")
    assert fixed == 2  # count 2, and numerator 1 of a rate
    assert out["is_suppressed"].to_list() == [True, False, False, True, True]
    assert out["value"].to_list() == [None, 3.0, 2.0, None, None]  # rate 2.0 is not a count
    assert out["numerator"].to_list()[3] is None and out["denominator"].to_list()[3] is None


def _html(body):
    return f"<html><body>{body}</body></html>"


def test_scan_html_finds_small_counts_and_pseudonyms(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(_html("<table><tr><td>Dortmund</td><td>2</td></tr></table><p>a3f0" + "0" * 28 + "</p>"))
    problems = scan_html(bad)
    assert any("count of 1 or 2" in p for p in problems)
    assert any("pseudonym" in p for p in problems)


def test_scan_html_accepts_clean_and_operational_tables(tmp_path):
    good = tmp_path / "good.html"
    good.write_text(
        _html(
            "<table><tr><td>*</td><td>1.234</td><td>2,0 %</td><td>1/8</td></tr></table>"
            '<div class="operational"><table><tr><td>2</td></tr></table></div>'
            '<img src="data:image/png;base64,' + "ab" * 40 + '">'
        )
    )
    assert scan_html(good) == []


def test_scan_chart_csv_checks_counts_only(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text(
        "chart,city,value,unit,numerator,denominator\n"
        "x,dortmund,1,percent,,\n"  # a share of 1 % is fine
        "x,dortmund,2,count,,\n"  # a count of 2 is not
        "x,muenster,40,percent,2,500\n"
    )  # nor a numerator of 2
    problems = scan_chart_csv(p)
    assert len(problems) == 2 and "value=2" in problems[0] and "numerator=2" in problems[1]


@pytest.mark.parametrize(
    "quarter, delay, due",
    [
        ("2026-Q1", 0, dt.date(2026, 4, 1)),  # ends Tue -> Wed
        ("2023-Q3", 0, dt.date(2023, 10, 2)),  # ends Sat -> Mon
        ("2024-Q2", 0, dt.date(2024, 7, 1)),  # ends Sun -> Mon
        ("2026-Q3", 5, dt.date(2026, 10, 8)),  # Thu 1 Oct + 5 working days
        ("2025-Q4", 0, dt.date(2026, 1, 1)),  # holidays are not modelled (the delay absorbs them)
    ],
)
def test_report_due_date(quarter, delay, due):
    assert report_due_date(quarter, delay) == due
    assert quarter_due_on(due, delay) == quarter
    assert quarter_due_on(due + dt.timedelta(days=1), delay) is None


def test_bad_quarter_is_rejected():
    with pytest.raises(ValueError):
        report_due_date("2026-Q5", 0)


@pytest.mark.parametrize(
    "unit, kind",
    [
        ("persons (cases)", "count"),
        ("share (0-1)", "percent"),
        ("probability (0-1)", "percent"),
        ("per 1,000 inhabitants", "per_1000"),
        ("index (0-1)", "index"),
        ("ratio", "ratio"),
        ("balance (persons)", "balance"),
        ("pupils", "count"),
    ],
)
def test_catalogue_units_map_to_report_units(unit, kind):
    from reports.data import report_unit

    assert report_unit(unit) == kind


def test_balances_are_signed_and_exempt_only_inside_their_div(tmp_path):
    assert tables.format_value(-1, "balance", "de") == "−1" and tables.format_value(2, "balance", "de") == "+2"
    page = tmp_path / "b.html"
    page.write_text(
        _html('<div class="balance"><table><tr><td>−1</td></tr></table></div><table><tr><td>−1</td></tr></table>')
    )
    assert len(scan_html(page)) == 1  # the same cell outside the balance table is refused
