"""The leak scan reads a report PDF's tables row by row (reports.pdf_tables): a bare count of 1
or 2 planted in a count column is found, also on a table's second page; what is no count (ranks,
shares, rates, years, page numbers, prose, operational tables, balances) is not flagged. The
PDFs are made the report's way: reports.tables' pipe tables, pandoc to Typst, typst."""

from __future__ import annotations

from pathlib import Path

import pytest

from reports.leakscan import pdf_pages, scan_path
from reports.pdf_tables import small_counts, tables
from reports.render import _pandoc, _typst_footer
from reports.tables import md_table

COMPARISON = ["Stadt", "Gruppe", "Wert", "Zähler", "Nenner", "Rang", "Basis", "Hinweise"]


def _rows(value: str = "73,4", numerator: str = "82") -> list[list[str]]:
    return [
        ["Enschede", "insgesamt", value, numerator, "1.117", "1/2", "Register", ""],
        ["Münster", "insgesamt", "64,0", "129", "2.015", "2/2", "Register", "v"],
        ["Münster", "Asyl-8", "(0,0)", "0", "83", "1/1", "Register", ""],
        ["Enschede", "Asyl-8", "*", "*", "*", "–", "Register", ""],
    ]


def _pdf(tmp_path: Path, markdown: str, name: str = "r") -> Path:
    """Markdown -> pandoc (Typst) -> typst, with the options of reports.render's fallback engine."""
    import typst

    (tmp_path / f"{name}.md").write_text(markdown, encoding="utf-8")
    # the renderer's page setup: a footer with the page number, tables that break over pages
    (tmp_path / "header.typ").write_text(_typst_footer("Bericht 2026-Q3 · 2", "de"), encoding="utf-8")
    _pandoc(
        [
            f"{name}.md",
            "--from",
            "markdown",
            "--metadata",
            "title=Bericht",
            "--metadata",
            "lang=de",
            "--columns=1000",
            "--standalone",
            "-t",
            "typst",
            "-V",
            "papersize=a4",
            "-H",
            "header.typ",
            "-o",
            f"{name}.typ",
        ],
        tmp_path,
    )
    typst.compile(str(tmp_path / f"{name}.typ"), output=str(tmp_path / f"{name}.pdf"))
    return tmp_path / f"{name}.pdf"


def _report(*tables_md: str) -> str:
    prose = (
        "Zuzüge stiegen im Jahr 2026 um 2 auf 46; 1 Stadt fehlt. Seite 2 nennt die Methode.\n\n"
        "| Stadt | erhalten | verspätet |\n|:--|--:|--:|\n| Münster | 2 | 1 |\n\n: Lieferungen, 2026-Q3\n\n"
    )
    return "# Zuzüge\n\n" + prose + "\n\n".join(tables_md) + "\n\nText danach mit 1 und 2.\n"


CLEAN = md_table(COMPARISON, _rows(), caption="Wanderungsvolumen je 1.000 Einwohner, 2026-Q3")
# a balance is the difference of two published counts (HTML: div.balance)
BALANCE = md_table(
    COMPARISON[:3], [["Münster", "insgesamt", "+2"], ["Enschede", "EU-2", "−1"]], caption="Wanderungssaldo, 2026-Q3"
)


def test_clean_tables_ranks_shares_years_prose_and_balances_pass(tmp_path):
    pdf = _pdf(tmp_path, _report(CLEAN, BALANCE))
    found = tables(pdf_pages(pdf, layout=True))
    assert [t.caption for t in found] == [
        "Lieferungen, 2026-Q3",
        "Wanderungsvolumen je 1.000 Einwohner, 2026-Q3",
        "Wanderungssaldo, 2026-Q3",
    ]  # the tables were read (a clean scan of nothing would prove nothing)
    assert [len(t.rows) for t in found] == [1, 4, 2]
    assert scan_path(pdf) == []


@pytest.mark.parametrize(
    "table, finding",
    [
        (md_table(COMPARISON, _rows(numerator="2"), caption="Anteil AVA, 2026-Q3"), "Zähler='2' is a count of 1 or 2"),
        (md_table(COMPARISON, _rows(value="1"), caption="Zuzüge, 2026-Q3"), "Wert='1' is a count of 1 or 2"),
        # a signed value outside a balance table, a count in parentheses, a footnote mark after it
        (md_table(COMPARISON, _rows(value="+2"), caption="Zuzüge, 2026-Q3"), "Wert='+2'"),
        (md_table(COMPARISON, _rows(value="(2)"), caption="Zuzüge, 2026-Q3"), "Wert='(2)'"),
        (md_table(COMPARISON, _rows(value="2 ‡"), caption="Zuzüge, 2026-Q3"), "Wert='2 ‡'"),
        # a column the report does not know is taken for a count (the safe side)
        (md_table(["Stadt", "EU-2", "± %"], [["Münster", "2", "+12,6 %"]], caption="Zielgruppen"), "EU-2='2'"),
    ],
)
def test_planted_count_in_a_pdf_table_is_found(tmp_path, table, finding):
    problems = scan_path(_pdf(tmp_path, _report(CLEAN, table, BALANCE)))
    assert len(problems) == 1 and finding in problems[0], problems
    assert "r.pdf: page 1" in problems[0]


def test_planted_count_on_the_second_page_of_a_long_table_is_found(tmp_path):
    rows = [[f"Stadt {i:02d}", "insgesamt", "64,0", str(100 + i), "2.015", "1/70", "Register", ""] for i in range(70)]
    rows[-1][3] = "2"
    pdf = _pdf(tmp_path, _report(md_table(COMPARISON, rows, caption="Wanderungsvolumen, 2026-Q3")))
    problems = scan_path(pdf)
    assert len(problems) == 1 and "Zähler='2'" in problems[0] and "page 1" not in problems[0], problems
    assert "(Wanderungsvolumen, 2026-Q3)" in problems[0]  # the header repeated on the next page continues it


def test_the_renderer_refuses_a_pdf_with_a_planted_count(tmp_path, monkeypatch):
    """reports.render scans the built PDF before it copies anything out (scan_pdf, blocking)."""
    from reports import render
    from reports.disclosure import DisclosureError

    pdf = _pdf(tmp_path, _report(md_table(COMPARISON, _rows(numerator="1"), caption="Anteil AVA, 2026-Q3")))

    def fake_render(qmd, params, build_dir, stem, formats, title, lang):
        return {"pdf": Path(pdf)}

    monkeypatch.setattr(render, "_render_fallback", fake_render)
    monkeypatch.setattr(render, "engine_name", lambda: "jupyter+pandoc+typst")
    db = tmp_path / "w.duckdb"
    db.write_bytes(b"")
    with pytest.raises(DisclosureError, match="Zähler='1' is a count of 1 or 2"):
        render.render_report("alle", "2026-Q3", "de", ("pdf",), warehouse=db, output_dir=tmp_path / "out")
    assert not list((tmp_path / "out").rglob("*.pdf"))


def test_a_long_justified_caption_is_not_taken_for_a_table():
    """Layout text as pypdf gives it for a caption of three lines, the middle ones justified
    (words apart by two spaces, a 2 among them), then the table."""
    page = "\n".join(
        [
            "            Tabelle 9: Zuzüge (insgesamt), 2026-Q3; die Werte sind um",
            "Zahlen  unter  3  und  um  2  weitere  Zellen  je  Zeile  gesperrt,  damit  sich",
            "keine  gesperrte  Zahl  aus  den  übrigen  Tabellen  errechnen  lässt  (siehe",
            "            Stadt          Gruppe          Wert     Rang",
            "            Enschede       insgesamt          46       –",
            "            Münster        EU-2                2       –",
            "",
            "Seite 2",
        ]
    )
    (table,) = tables([page])
    assert table.caption.startswith("Zuzüge (insgesamt)") and [c.text for c in table.header][0] == "Stadt"
    assert [(line, column, text) for _, line, column, text in small_counts([page])] == [(6, "Wert", "2")]
