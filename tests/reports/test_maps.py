"""District maps: quintile classes, values only from the published district table (a withheld cell
is drawn withheld), the boundaries valid in the quarter, and the map section of the report and
the city profile in HTML and PDF."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
import shapely

from reports import district_maps as dm
from reports import maps

QUARTER = "2026-Q3"


def test_quantile_edges_are_numpys_quintiles_with_at_most_as_many_classes_as_values():
    v = [3.0, 1.0, 4.0, 1.5, 9.0, 2.6, 5.3, 5.8, 9.7, 9.3]
    assert dm.quantile_edges(v) == pytest.approx(list(np.quantile(v, [0, 0.2, 0.4, 0.6, 0.8, 1])))
    assert len(dm.quantile_edges([1.0, 2.0, 3.0])) == 4  # three values: three classes
    assert dm.quantile_edges([2.0, 2.0]) == [2.0, 2.0]
    assert dm.quantile_edges([None]) == []
    edges = dm.quantile_edges(v)
    classes = dm.classify(v + [None], edges)
    assert classes[-1] is None
    assert sorted(set(classes[:-1])) == [0, 1, 2, 3, 4]
    assert dm.classify([min(v)], edges) == [0] and dm.classify([max(v)], edges) == [4]
    assert [classes[v.index(x)] for x in sorted(v)] == sorted(classes[:-1])  # monotone


def test_the_boundaries_of_a_quarter_are_those_valid_on_its_last_day():
    square = shapely.to_wkb(shapely.box(0, 0, 1, 1))
    geometry = pl.DataFrame(
        {
            "city": ["x"] * 3,
            "district_code": ["03", "11", "12"],
            "district_name": ["old", "west", "east"],
            "district_level": ["stadtbezirk"] * 3,
            "valid_from": [date(2000, 1, 1), date(2024, 1, 1), date(2024, 1, 1)],
            "valid_to": [date(2023, 12, 31), None, None],
            "geometry_wkb": [square] * 3,
        }
    )
    assert dm.boundaries_on(geometry, "x", "2019-Q2")["district_code"].to_list() == ["03"]
    assert dm.boundaries_on(geometry, "x", "2023-Q4")["district_code"].to_list() == ["03"]
    assert dm.boundaries_on(geometry, "x", "2024-Q1")["district_code"].to_list() == ["11", "12"]


@pytest.fixture(scope="module")
def published(published_demo):
    cells, geometry = dm.read_published(published_demo[1])
    return cells, dm.with_derived(cells), geometry


def _cell(cells, city, period, ind, group, code):
    row = cells.filter(
        (pl.col("city") == city)
        & (pl.col("period") == period)
        & (pl.col("indicator_id") == ind)
        & (pl.col("group_value") == group)
        & (pl.col("district_code") == code)
    )
    return row.row(0, named=True) if row.height else None


def test_every_value_drawn_is_a_published_cell_or_a_ratio_of_published_cells(published):
    cells, full, geometry = published
    assert set(geometry["city"]) == {"muenster", "enschede"}
    checked = withheld = 0
    for city in ("muenster", "enschede"):
        for ind in dm.REPORT_MAP_INDICATORS:
            m = dm.district_map(full, geometry, city, QUARTER, ind)
            assert m is not None and m.districts.height == geometry.filter(pl.col("city") == city).height
            for d in m.districts.iter_rows(named=True):
                code = d["district_code"]
                if ind == "dwell_3y_share":
                    parts = [_cell(cells, city, QUARTER, ind, "INSGESAMT", code)]
                    expected = parts[0]["value"]
                elif ind == "eu2_population_share":
                    total = _cell(cells, city, QUARTER, "population", "INSGESAMT", code)
                    eu2 = _cell(cells, city, QUARTER, "population", "EU2", code)
                    parts = [total] + ([eu2] if eu2 else [])
                    usable = (
                        not total["is_suppressed"]
                        and not (eu2 and eu2["is_suppressed"])
                        and total["value"] >= dm.MIN_DENOMINATOR
                    )
                    expected = (eu2["value"] if eu2 else 0.0) / total["value"] if usable else None
                else:
                    prev = dm.previous_quarter(QUARTER)
                    parts = [
                        _cell(cells, city, QUARTER, i, "INSGESAMT", code) for i in ("inflow", "outflow", "population")
                    ]
                    parts.append(_cell(cells, city, prev, "population", "INSGESAMT", code))
                    ok = all(p and not p["is_suppressed"] for p in parts)
                    mean = (parts[2]["value"] + parts[3]["value"]) / 2 if ok else 0
                    expected = 1000 * (parts[0]["value"] + parts[1]["value"]) / mean if ok and mean >= 3 else None
                hidden = any(p["is_suppressed"] for p in parts if p)
                assert d["is_suppressed"] == hidden, (city, ind, code)
                if hidden:
                    assert d["value"] is None and d["class"] is None
                    withheld += 1
                elif expected is None:
                    assert d["value"] is None and d["class"] is None, (city, ind, code)
                else:
                    assert d["value"] == pytest.approx(expected), (city, ind, code)
                    checked += 1
    assert checked > 10 and withheld > 0  # the demo world has both


def test_the_legend_names_withheld_districts_in_the_reports_language(published):
    _, full, geometry = published
    m = next(
        m
        for city in ("muenster", "enschede")
        for ind in dm.REPORT_MAP_INDICATORS
        if (m := dm.district_map(full, geometry, city, QUARTER, ind)) is not None and m.n_withheld
    )
    import matplotlib.pyplot as plt

    for lang, text in (
        ("de", "gesperrt (Geheimhaltung)"),
        ("nl", "niet gepubliceerd (geheimhouding)"),
        ("en", "withheld (disclosure control)"),
    ):
        fig, ax = plt.subplots()
        labels = [h.get_label() for h in maps.draw_map(ax, m, "percent", lang)]
        plt.close(fig)
        assert text in labels
        assert sum(" – " in lab or "%" in lab for lab in labels) == len(m.edges) - 1  # one entry per class
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == m.n_withheld


@pytest.fixture(scope="module")
def profile(tmp_path_factory, published_demo):
    from reports.render import render_report

    out = tmp_path_factory.mktemp("profile")
    return render_report(
        "euregio",
        QUARTER,
        "de",
        ("html", "pdf"),
        document="city_profile",
        city="enschede",
        warehouse=published_demo[1],
        output_dir=out,
    )


@pytest.mark.slow
def test_the_city_profile_has_its_maps_in_html_and_pdf(profile):
    from pypdf import PdfReader

    html = profile.outputs["html"].read_text(encoding="utf-8")
    assert "Bezirkskarten" in html and "map_enschede" not in html  # the figure is embedded, not linked
    assert html.count("data:image/png;base64") >= 1
    assert "Quintile" in html
    assert "map_enschede" in profile.build_info["charts"]
    reader = PdfReader(str(profile.outputs["pdf"]))
    text = " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())
    assert "Bezirkskarten" in text and "SYNTHETISCHE DATEN (Demo-Welt): erfundene Bezirksgrenzen" in text
    data = profile.outputs["html"].parent / "city_profile_de_enschede_chart_data" / "map_enschede.csv"
    frame = pl.read_csv(data, infer_schema_length=0)
    assert set(frame["chart"]) == {f"map_enschede:{i}" for i in dm.REPORT_MAP_INDICATORS}
    assert frame["x"].str.starts_with("WK0153").all()
