"""End to end through the fallback engine (Jupyter kernel + pandoc + typst) on the published
copy of a small real demo world (Münster + Enschede = alliance euregio): HTML and PDF, three
languages, the disclosure scan, blocked cities and leaks upstream."""

import json
import re
import shutil

import duckdb
import pytest
from pypdf import PdfReader

from reports.disclosure import DisclosureError, scan_output
from reports.render import engine_name, render_report

pytestmark = pytest.mark.slow
EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import""", re.I)


@pytest.fixture(scope="module")
def euregio(tmp_path_factory, published_demo):
    """The German report as HTML + PDF and the English one as HTML, in one output folder (Dutch:
    the city profile below; every label's translations: test_formatting_and_disclosure)."""
    root = tmp_path_factory.mktemp("euregio")
    db = published_demo[1]
    results = {
        "de": render_report("euregio", "2026-Q3", "de", ("html", "pdf"), warehouse=db, output_dir=root / "out"),
        "en": render_report("euregio", "2026-Q3", "en", ("html",), warehouse=db, output_dir=root / "out"),
    }
    return root, results


@pytest.fixture
def published_copy(tmp_path, published_demo):
    """A private copy of the published demo warehouse, to break."""
    copy = tmp_path / "published.duckdb"
    shutil.copyfile(published_demo[1], copy)
    return copy


@pytest.mark.parametrize(
    "lang, banner, thousands", [("de", "SYNTHETISCHE DATEN", r"\d\.\d{3}\b"), ("en", "SYNTHETIC DATA", r"\d,\d{3}\b")]
)
def test_html_is_self_contained_translated_and_marked_synthetic(euregio, lang, banner, thousands):
    _root, results = euregio
    result = results[lang]
    html = result.outputs["html"].read_text(encoding="utf-8")
    assert result.engine == engine_name()
    assert not EXTERNAL.search(html), "HTML must open offline (no external URLs)"
    assert "data:image/png;base64," in html  # charts embedded
    assert banner in html and 'class="report-footer"' in html  # cover and footer
    assert re.search(thousands, html)
    assert "<td>*</td>" in html or ">*<" in html  # suppressed cells shown as the source does
    assert f'lang="{lang}"' in html


def test_every_section_has_data_from_the_real_tables(euregio):
    _root, results = euregio
    record = json.loads(results["de"].manifest.read_text())
    assert all(record["tables_present"].values()), record["tables_present"]
    assert {"km_retention", "dunkelziffer"} <= set(record["charts"])
    html = results["de"].outputs["html"].read_text(encoding="utf-8")

    def section(anchor: str, next_anchor: str) -> str:  # by the headings' ids (titles may wrap)
        return html[html.index(f'<h1 id="{anchor}"') : html.index(f'<h1 id="{next_anchor}"')]

    # the summary's "all foreigners" group, the estimates and the two bases are filled from the real tables
    assert "Ausländer" in section("zusammenfassung", "zuzüge-fortzüge-saldo-und-fluktuation")
    for anchor, next_anchor in (
        ("dunkelziffer-nicht-gemeldete-bevölkerung", "register-und-amtliche-statistik"),
        ("register-und-amtliche-statistik", "datenqualität"),
        ("verweildauer", "räumliche-konzentration"),
    ):
        text = section(anchor, next_anchor)
        assert "<table" in text or "<img" in text, anchor
        assert "noch keine Daten" not in text, anchor


def test_pdf_has_pages_banner_and_footer_on_every_page(euregio):
    _root, results = euregio
    pdf = results["de"].outputs["pdf"]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    pages = [p.extract_text() or "" for p in PdfReader(str(pdf)).pages]
    assert len(pages) >= 5
    assert all("Synthetische Daten" in p for p in pages), "synthetic mark missing from a page footer"
    text = "\n".join(pages)
    assert "Verweildauer" in text and "Dunkelziffer" in text


def test_manifest_records_sources_and_scan(euregio):
    _root, results = euregio
    record = json.loads(results["de"].manifest.read_text())
    assert record["synthetic"] is True and record["disclosure_scan"] == "passed"
    assert record["sources"]["loaded_files"] > 0 and len(record["sources"]["data_version"]) == 64
    assert record["outputs"]["pdf"]["sha256"] and record["missing_cities"] == []
    assert record["report_suppressed_cells"] == 0  # the alliance layer left nothing to fix


def test_rendered_tables_and_chart_data_pass_disclosure_scan(euregio):
    root, results = euregio
    out = results["de"].manifest.parent
    files = list(out.glob("*.html")) + list(out.glob("*_chart_data/*.csv"))
    assert len(files) > 10
    assert scan_output(files) == []


def test_pseudonym_in_output_stops_publication(tmp_path, published_copy):
    with duckdb.connect(str(published_copy)) as con:
        # a text the report prints as it is (the catalogue's definition; the methods' assumptions
        # come from the report's own translations)
        con.execute(
            "UPDATE reference.indicator_catalogue SET definition = '0123456789abcdef0123456789abcdef' "
            "WHERE indicator_id = 'inflow'"
        )
    with pytest.raises(DisclosureError, match="pseudonym"):
        render_report("euregio", "2026-Q3", "en", ("html",), warehouse=published_copy, output_dir=tmp_path / "out")
    assert not list((tmp_path / "out").glob("**/*.json"))  # nothing published


def test_city_profile_blocked_city_and_upstream_small_count_guarded(tmp_path, published_copy):
    """One render for three cases: the Dutch city profile of Enschede, Enschede blocked by a
    quality check in the quarter, and a count of 2 that leaked unsuppressed from upstream."""
    with duckdb.connect(str(published_copy)) as con:
        leaked = con.execute("""UPDATE alliance.fct_intercity_indicators SET value = 2, numerator = 2, is_suppressed = false
                                WHERE city = 'enschede' AND indicator_id = 'inflow' AND group_value = 'EU2'
                                  AND period = '2026-Q3'""").fetchone()[0]
        con.execute(
            "INSERT INTO publication.quality_gate VALUES ('enschede', 'meldewesen', '', '2026-08', "
            "'event_types_known', 'unknown event type codes in 12 % of rows', now())"
        )
    assert leaked == 1
    result = render_report(
        "euregio",
        "2026-Q3",
        "nl",
        ("html",),
        document="city_profile",
        city="enschede",
        warehouse=published_copy,
        output_dir=tmp_path / "out",
    )
    html = result.outputs["html"].read_text(encoding="utf-8")
    assert "Stadsprofiel" in html and "Enschede" in html and "Münster</td>" not in html
    record = json.loads(result.manifest.read_text())
    assert record["report_suppressed_cells"] >= 1
    # a block on one source in one month leaves the city in the report, named as partly blocked
    # with the delivery and the check, in Dutch (the check's English message is not shown)
    assert record["missing_cities"] == [] and record["partly_blocked_cities"] == [["enschede", "partly_blocked"]]
    assert "basisregistratie personen (mutaties) 2026-08" in html and "<code>event_types_known</code>" in html
    assert "unknown event type codes" not in html and "SYNTHETISCHE GEGEVENS" in html
    with pytest.raises(FileNotFoundError):
        render_report(
            "euregio", "2026-Q3", "de", ("html",), warehouse=tmp_path / "nope.duckdb", output_dir=tmp_path / "out"
        )


def test_leak_scan_passes_the_rendered_reports(euregio):
    """reports.leakscan over the output folder: HTML, PDF text, chart data and report manifests."""
    from reports.leakscan import pdf_pages, scan
    from reports.pdf_tables import tables

    root, results = euregio
    assert results["de"].outputs["pdf"].exists()  # the PDF is among what is scanned
    read = tables(pdf_pages(results["de"].outputs["pdf"], layout=True))
    assert len(read) >= 15 and sum(len(t.rows) for t in read) >= 60  # its tables were read, row by row
    assert scan([root / "out"]) == []
