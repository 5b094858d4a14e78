"""The quarterly report read as its readers would (issue 16), on the small demo world with two
gaps a real alliance has: Essen joined the alliance and has delivered nothing, and Enschede's
movements of 2026-08 failed a blocking quality check. Rendered once in German and once in Dutch.

The missing-city list, the tables and the charts must agree; a blocked city-period is blocked in
every table and chart; every generated sentence is in the report's language."""

from __future__ import annotations

import csv
import json
import re
import shutil

import duckdb
import pytest
from language_scan import code_texts, data_texts, english_in, visible_text

from reports.render import render_report

pytestmark = pytest.mark.slow

ESSEN = """slug: essen
name: Essen
country: DE
official_key: "05113000"
key_type: AGS
dialect: standard
file_format: csv
sources: [meldewesen, bestand]
alliances: [euregio]
notes: "Joined the alliance; no delivery yet."
"""
BLOCK_REASON = "meldewesen: unknown event type codes in 12 % of rows"


def _block_enschede(con) -> None:
    """What the alliance layer does when Enschede's movements of 2026-08 fail a blocking check:
    every indicator fed by `meldewesen` is withheld for 2026-Q3 (with placeholder rows for those
    without a cell), and the published gate names the delivery and the check."""
    ids = [
        r[0]
        for r in con.execute(
            "select indicator_id from reference.indicator_catalogue where source like '%meldewesen%'"
        ).fetchall()
    ]
    con.execute(
        """update alliance.fct_intercity_indicators
           set is_blocked = true, blocked_reason = ?, value = null, numerator = null, denominator = null,
               ci_lower = null, ci_upper = null, rank_among_cities = null, n_cities_ranked = null
           where city = 'enschede' and period = '2026-Q3' and indicator_id in (select unnest(?))""",
        [BLOCK_REASON, ids],
    )
    con.execute(
        """insert into alliance.fct_intercity_indicators by name
           select 'enschede' as city, 'NL' as country, '2026-Q3' as period, i as indicator_id,
                  'total' as breakdown, 'INSGESAMT' as group_value, true as is_total, 'register' as basis,
                  true as is_blocked, ? as blocked_reason, false as is_suppressed, false as is_not_comparable,
                  false as is_provisional, false as is_break
           from (select unnest(?) as i)
           where i not in (select indicator_id from alliance.fct_intercity_indicators
                           where city = 'enschede' and period = '2026-Q3' and breakdown = 'total')""",
        [BLOCK_REASON, ids],
    )
    con.execute(
        "insert into publication.quality_gate values ('enschede', 'meldewesen', '', '2026-08', "
        "'raw.meldewesen.event_types_known', 'unknown event type codes in 12 % of rows', now())"
    )


@pytest.fixture(scope="module")
def gaps(tmp_path_factory, published_demo):
    root = tmp_path_factory.mktemp("gaps")
    db = root / "published.duckdb"
    shutil.copyfile(published_demo[1], db)
    with duckdb.connect(str(db)) as con:
        _block_enschede(con)
    cities = root / "cities"
    cities.mkdir()
    (cities / "essen.yaml").write_text(ESSEN, encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv("CITY_CONFIG_DIR", str(cities))
    try:
        results = {
            lang: render_report("euregio", "2026-Q3", lang, ("html",), warehouse=db, output_dir=root / "out")
            for lang in ("de", "nl")
        }
    finally:
        mp.undo()
    return db, results


def _html(result) -> str:
    return result.outputs["html"].read_text(encoding="utf-8")


def _chart_rows(result) -> dict[str, list[dict]]:
    folder = result.manifest.parent / f"{result.manifest.stem}_chart_data"
    return {p.stem: list(csv.DictReader(p.open(encoding="utf-8"))) for p in folder.glob("*.csv")}


def _tables_outside_operational(html: str) -> str:
    """The report's statistical tables: the deliveries/checks tables (div.operational) list every
    member, as they should, and are cut out."""
    return re.sub(r'<div class="operational">.*?</div>', "", html, flags=re.S)


def test_missing_city_is_named_with_its_reason_and_left_out_of_tables_and_charts(gaps):
    _db, results = gaps
    html = _html(results["de"])
    cover = html[: html.index('id="zusammenfassung"')]
    assert "Essen: keine Daten für 2026-Q3 im Verbund" in visible_text(cover)
    statistical = _tables_outside_operational(html)
    assert not re.search(r"<td[^>]*>Essen</td>", statistical), "a missing city got a row in a table"
    assert all(r["city"] != "essen" for rows in _chart_rows(results["de"]).values() for r in rows)
    record = json.loads(results["de"].manifest.read_text())
    assert record["missing_cities"] == [["essen", "no_data"]]
    dutch = visible_text(_html(results["nl"]))
    assert "Essen: geen gegevens voor 2026-Q3 in het samenwerkingsverband" in dutch


def test_blocked_city_period_is_blocked_in_every_table_and_chart(gaps):
    _db, results = gaps
    html = _html(results["de"])
    text = visible_text(html)
    assert "Teilweise gesperrte Städte" in text
    assert "Enschede: durch Qualitätsprüfungen zurückgehalten: Melderegister (Bewegungen) 2026-08" in text
    assert "<code>event_types_known</code>" in html
    assert "unknown event type codes" not in html  # the check's own English message is not shown
    # the inflow table keeps Enschede's row, withheld and flagged g, without a rank
    row = re.search(r"<tr[^>]*>\s*<td[^>]*>Enschede</td>\s*<td[^>]*>insgesamt</td>(.*?)</tr>", html, re.S)
    assert row and "–" in row.group(1) and ">g<" in row.group(1)
    charts = _chart_rows(results["de"])
    plotted = [
        (name, r)
        for name, rows in charts.items()
        for r in rows
        if r["city"] == "enschede" and r["value"] and name.endswith("_eu2") and r["period"] == "2026-Q3"
    ]
    fed_by_register = ("inflow", "outflow", "net_migration", "migration_volume_rate", "ava_share")
    assert not [n for n, _r in plotted if any(n.startswith(f"bar_{i}_") for i in fed_by_register)]
    assert not [r for r in charts.get("km_retention", []) if r["city"] == "enschede"]
    assert not [r for r in charts.get("dunkelziffer", []) if r["city"] == "enschede"]
    assert "Ohne Enschede: durch Qualitätsprüfung zurückgehalten." in text
    record = json.loads(results["de"].manifest.read_text())
    assert record["partly_blocked_cities"] == [["enschede", "partly_blocked"]]


@pytest.mark.parametrize("lang", ["de", "nl"])
def test_german_and_dutch_renders_hold_no_english_sentence(gaps, lang):
    db, results = gaps
    found = english_in(_html(results[lang]), code_texts() + data_texts(db))
    assert found == [], found[:10]


def test_the_scan_finds_english_where_it_is(gaps):
    db, results = gaps
    from estimation.ratio import ASSUMPTIONS

    for english in (ASSUMPTIONS, "Die Zahl ist klein, and the values for this city have been withheld."):
        html = _html(results["de"]).replace("</body>", f"<p>{english}</p></body>")
        assert english_in(html, code_texts() + data_texts(db)), english


def test_generated_sentences_read_right(gaps):
    _db, results = gaps
    text = visible_text(_html(results["de"]))
    assert not re.search(r"\b(sank|stieg) um [+−-]", text), "a change must not carry a sign after 'sank/stieg um'"
    assert "Kleine Demo-Welt: Sie simuliert zusammen" in text  # the cover says how small the world is
    assert "Register und amtliche Statistik" in text and "In der Demo-Welt sind auch die amtlichen Tabellen" in text
