"""Fast tests of what the report writes from data (no render): sentences of changes, why a chart is
not drawn, bounded intervals, sources in captions, small denominators, city names in narrow
columns, and that every estimation method has its name and assumptions in three languages."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from reports import data as report_data
from reports import figures, i18n, sections, tables
from reports.data import CityGap, bound_interval

REPO_ROOT = Path(__file__).resolve().parents[2]
SEED = REPO_ROOT / "dbt_project" / "seeds" / "indicator_catalogue.csv"
CITIES = {"dortmund": "Dortmund", "muelheim": "Mülheim an der Ruhr", "muenster": "Münster"}


def report(indicators: pl.DataFrame | None = None, **frames) -> report_data.ReportData:
    """ReportData over the real catalogue and the given indicator rows, shaped as the loader does."""
    all_frames = {"catalogue": pl.read_csv(SEED, infer_schema=False), "indicators": indicators, **frames}
    report_data._shape_frames(all_frames, CITIES, "2026-Q3")
    return report_data.ReportData(
        alliance="test", quarter="2026-Q3", cities=dict(CITIES), frames=all_frames, synthetic=True,
        source_path="test", members=dict(CITIES),
    )  # fmt: skip


def rows(*records) -> pl.DataFrame:
    base = {"group_value": "INSGESAMT", "breakdown": "total", "is_suppressed": False, "is_blocked": False,
            "numerator": None, "denominator": None, "basis": "register"}  # fmt: skip
    df = pl.DataFrame([{**base, **r} for r in records], infer_schema_length=None)
    return report_data.canonical(df)


def test_a_fall_reads_without_a_sign():
    d = report(
        rows(
            {"city": "dortmund", "indicator_id": "net_migration", "period": "2026-Q2", "value": 63.0},
            {"city": "dortmund", "indicator_id": "net_migration", "period": "2026-Q3", "value": 22.0},
        )
    )
    sentence = " ".join(tables.notable_movements(d.frame("indicators"), d, "de")["dortmund"])
    assert "sank um 41 auf +22" in sentence
    english = " ".join(tables.notable_movements(d.frame("indicators"), d, "en")["dortmund"])
    assert "fell by 41 to +22" in english


def test_movements_on_small_bases_are_not_notable():
    d = report(
        rows(
            {"city": "muenster", "indicator_id": "net_migration", "period": "2026-Q2", "value": 4.0},
            {"city": "muenster", "indicator_id": "net_migration", "period": "2026-Q3", "value": 8.0},
            {"city": "muenster", "indicator_id": "ava_share", "period": "2026-Q2", "value": 0.25, "denominator": 4},
            {"city": "muenster", "indicator_id": "ava_share", "period": "2026-Q3", "value": 1.0, "denominator": 4},
        )
    )
    assert tables.notable_movements(d.frame("indicators"), d, "de")["muenster"] == []


def _bars(values: dict[str, float | None], suppressed=()):
    return rows(
        *[
            {
                "city": c,
                "indicator_id": "problem_properties",
                "period": "2026-Q3",
                "value": v,
                "is_suppressed": c in suppressed,
            }  # fmt: skip
            for c, v in values.items()
        ]
    )


@pytest.mark.parametrize(
    "values, suppressed, expected",
    [
        ({"dortmund": 0.0, "muenster": 0.0}, (), "Alle veröffentlichten Werte für 2026-Q3 sind 0"),
        ({"dortmund": None, "muenster": None}, ("dortmund", "muenster"), "kein Wert veröffentlicht"),
        ({"dortmund": 12.0, "muenster": None}, ("muenster",), "Nur Dortmund hat für 2026-Q3 einen veröffentlichten"),
    ],
)
def test_a_chart_that_would_show_nothing_is_a_sentence(tmp_path, values, suppressed, expected):
    d = report(_bars(values, suppressed))
    ind = d.frame("indicators")
    assert expected in figures.bars_gap(ind, d, "problem_properties", "INSGESAMT", "de", "2026-Q3")
    assert figures.comparison_bars(ind, d, "problem_properties", "INSGESAMT", "de", tmp_path, "x") is None
    assert not list(tmp_path.glob("*.png"))


def test_two_cities_with_values_make_a_chart(tmp_path):
    d = report(_bars({"dortmund": 12.0, "muenster": 3.0}))
    ind = d.frame("indicators")
    assert figures.bars_gap(ind, d, "problem_properties", "INSGESAMT", "de", "2026-Q3") is None
    md = figures.comparison_bars(ind, d, "problem_properties", "INSGESAMT", "de", tmp_path, "x")
    assert "Quelle: Wohnungsaufsicht der Städte" in md and (tmp_path / "x.png").exists()


@pytest.mark.parametrize(
    "indicator_id, source",
    [
        ("inflow", "Melderegister (Bewegungen)"),
        ("migration_volume_rate", "Melderegister (Bewegungen und Bestand)"),
        ("pupils_newcomer_classes", "Schulstatistik"),
        ("sgb2_elb_rate", "SGB-II-Statistik (Jobcenter) und Melderegister (Bestand)"),
        ("counselling_contacts", "Beratungsstellen"),
        ("problem_properties", "Wohnungsaufsicht"),
        ("unregistered_estimate", "Modellschätzung aus"),
    ],
)
def test_captions_name_the_source_of_the_catalogue(indicator_id, source):
    d = report()
    caption = figures.source_caption(report_data.catalogue_entry(d, indicator_id, "de"), "de")
    assert source in caption
    if indicator_id != "inflow" and indicator_id != "migration_volume_rate":
        assert "Melderegister (Bewegungen)" not in caption or indicator_id == "unregistered_estimate"


def test_intervals_are_bounded_to_the_possible_and_marked():
    assert bound_interval(-14.0, 32.0, 0.0) == (0.0, 32.0, True)
    assert bound_interval(3.0, 40.0, 0.0, 25.0) == (3.0, 25.0, True)  # registered but gone <= registered
    assert bound_interval(3.0, 20.0, 0.0, 25.0) == (3.0, 20.0, False)
    d = report()
    ctx = sections.ReportContext(data=d, lang="de", fig_dir=Path("."), ind=None)
    est = pl.DataFrame(
        {
            "city": ["dortmund", "dortmund"],
            "quantity": ["unregistered", "registered_gone"],
            "group_code": ["EU2", "EU2"],
            "age_band": ["06-14", "06-14"],
            "method": ["ratio_school", "school_gone_share"],
            "ci_lower": [-14.0, 1.0],
            "ci_upper": [32.0, 40.0],
            "registered": [98, 25],
        }
    )
    out = sections._bounded_estimates(ctx, est)
    assert out["lower"].to_list() == [0.0, 1.0] and out["upper"].to_list() == [32.0, 25.0]
    assert out["bounded"].to_list() == [True, True]
    assert [b["method"] for b in ctx.bounded] == ["ratio_school", "school_gone_share"]


def test_comparison_table_marks_small_denominators_and_keeps_city_names_whole():
    d = report(
        rows(
            {
                "city": "muelheim",
                "indicator_id": "ava_share",
                "period": "2026-Q3",
                "value": 0.5,
                "numerator": 5,
                "denominator": 10,
            },
            {
                "city": "dortmund",
                "indicator_id": "ava_share",
                "period": "2026-Q3",
                "value": 0.4,
                "numerator": 60,
                "denominator": 150,
            },
        )  # fmt: skip
    )
    md = tables.comparison_table(d.frame("indicators"), d, "ava_share", "de", groups=["INSGESAMT"])
    assert "| (50,0 %) |" in md and "| 40,0 % |" in md
    assert "( ) Aussagewert eingeschränkt: Nenner unter 100 Personen." in md
    assert "Mülheim an\u00a0der\u00a0Ruhr" in md  # breaks at most once, after "Mülheim"
    assert tables.city_cell("Dortmund") == "Dortmund"


def test_headings_stay_with_their_chart_in_the_pdf():
    md = tables.keep_together("## Zuzüge\n\nText\n\n![c](figures/x.png)")
    assert md.startswith("```{=typst}\n#block(breakable: false") and md.rstrip().endswith("]\n```")


def test_gap_reasons_are_in_the_reports_language():
    gap = CityGap("essen", "no_data")
    assert sections.gap_reason(gap, "2026-Q3", "de").startswith("keine Daten für 2026-Q3")
    assert sections.gap_reason(gap, "2026-Q3", "nl").startswith("geen gegevens voor 2026-Q3")
    blocked = CityGap("enschede", "partly_blocked", (report_data.Block("meldewesen", "2026-08", "event_types_known"),))
    text = sections.gap_reason(blocked, "2026-Q3", "nl")
    assert "basisregistratie personen (mutaties) 2026-08 (controle `event_types_known` niet geslaagd)" in text


def _methods_of_the_estimation_package() -> set[str]:
    """Every method an Estimate can carry: the `method="..."` of the estimators, the modules'
    METHOD constants and the methods of the recommendation order (the dual-system ones are named
    there); scipy's own `method="bounded"` is no estimation method."""
    from estimation.warehouse import RECOMMENDATION

    found = {m for methods in RECOMMENDATION.values() for m in methods}
    for path in (REPO_ROOT / "estimation").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'^\s+method="([a-z_]+)",$', text, re.M))
        found |= set(re.findall(r'^METHOD = "([a-z_]+)"', text, re.M))
    return found


def test_every_estimation_method_has_name_and_assumptions_in_three_languages():
    from reports.phrases import METHODS

    methods = _methods_of_the_estimation_package()
    assert {"ratio_school", "mse_loglinear", "components_school"} <= methods
    missing = sorted(m for m in methods if m not in METHODS)
    assert missing == [], f"add the name and assumptions of {missing} to reports/phrases.py"
    for m, texts in METHODS.items():
        for part in ("name", "assumptions"):
            assert set(texts[part]) == set(i18n.LANGUAGES), (m, part)
    assert i18n.method_assumptions("no_such_method", "de").startswith("Annahmen: siehe")


def test_chart_data_rows_do_not_depend_on_the_order_the_warehouse_returned(tmp_path):
    """The chart's CSV is written in a fixed order (key columns first): the same file whether the
    rows came from DuckDB's own table or from one imported from Spark in another order."""
    import matplotlib.pyplot as plt

    rows = pl.DataFrame(
        {
            "chart": ["km"] * 4,
            "city": ["muenster", "dortmund", "muenster", "dortmund"],
            "group_code": ["EU2", "EU2", "EU2", "EU2"],
            "period": ["2026-Q3"] * 4,
            "x": [12, 3, 3, 12],
            "value": [0.8, 0.95, 0.9, 0.85],
        }
    )
    written = []
    for name, frame in (("a", rows), ("b", rows.reverse())):
        fig, _ = plt.subplots()
        figures.save_chart(fig, frame, tmp_path, name, "caption", "source")
        written.append((tmp_path / f"{name}.csv").read_text(encoding="utf-8"))
    assert written[0] == written[1]
    lines = written[0].splitlines()
    assert lines[1].startswith("km,dortmund,EU2,2026-Q3,3,") and lines[4].startswith("km,muenster,EU2,2026-Q3,12,")
