"""The indicator catalogue in German, English and Dutch (issue #4): every text filled in every
language, numbers written as in the language, the seed's YAML describing every column, and the
reports' glossary showing the text of its own language (built from the seed, no warehouse)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import polars as pl
import pytest
import yaml

from reports import data as report_data
from reports import sections

REPO_ROOT = Path(__file__).resolve().parents[2]
SEED = REPO_ROOT / "dbt_project" / "seeds" / "indicator_catalogue.csv"
SEED_YAML = REPO_ROOT / "dbt_project" / "seeds" / "indicator_catalogue.yml"
TRANSLATED = ("definition", "unit", "caveats", "reading_aid")  # English without suffix
PROSE = ("definition", "caveats", "reading_aid")
OTHER = {"de": "nl", "nl": "de"}


def catalogue_rows() -> list[dict]:
    with SEED.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def report_with_catalogue(frame: pl.DataFrame) -> report_data.ReportData:
    """ReportData holding only the catalogue, shaped as load_report_data shapes it."""
    frames = {"catalogue": frame}
    report_data._shape_frames(frames, {}, "2026-Q3")
    return report_data.ReportData(
        alliance="test", quarter="2026-Q3", cities={}, frames=frames, synthetic=False, source_path="test"
    )


def seed_frame() -> pl.DataFrame:
    return pl.read_csv(SEED, infer_schema=False)  # every column as text, as the seed's content


def glossary(frame: pl.DataFrame, lang: str, tmp_path: Path) -> str:
    ctx = sections.ReportContext(data=report_with_catalogue(frame), lang=lang, fig_dir=tmp_path, ind=None)
    return sections.methods(ctx)


def test_every_indicator_has_every_text_in_de_en_nl():
    rows = catalogue_rows()
    assert len(rows) >= 26
    missing = [
        (r["indicator_id"], col)
        for r in rows
        for col in ["name_de", "name_en", "name_nl"] + [f + sfx for f in TRANSLATED for sfx in ("", "_de", "_nl")]
        if not (r.get(col) or "").strip()
    ]
    assert missing == []


def test_translations_are_not_copies_of_the_english_text():
    same = [
        (r["indicator_id"], f, lang)
        for r in catalogue_rows()
        for f in PROSE
        for lang in ("de", "nl")
        if r[f"{f}_{lang}"].strip() in (r[f].strip(), r[f"{f}_{OTHER[lang]}"].strip())
    ]
    assert same == []


def _localise(number: str) -> str:
    """English 37,985 / 0.55 -> German and Dutch 37.985 / 0,55."""
    return number.replace(",", "\0").replace(".", ",").replace("\0", ".")


ENGLISH_NUMBER = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])|(?<![\d.,])\d+\.\d+(?![\d.])")
# In a German or Dutch text an English decimal (0.55) or thousands group (37,985) is a mistake;
# dates like 01.01.1990 and thousands like 1.200 are excluded by the look-arounds.
ENGLISH_FORMAT = re.compile(r"(?<![\d.])\d+\.\d{1,2}(?![\d.])|(?<![\d,])\d{1,3},\d{3}(?![\d,])")


def test_numbers_in_texts_follow_the_language():
    problems = []
    for r in catalogue_rows():
        for f in TRANSLATED:
            for lang in ("de", "nl"):
                text = r[f"{f}_{lang}"]
                problems += [
                    (r["indicator_id"], f"{f}_{lang}", n, "missing")
                    for n in ENGLISH_NUMBER.findall(r[f])
                    if _localise(n) not in text
                ]
                problems += [
                    (r["indicator_id"], f"{f}_{lang}", n, "English format") for n in ENGLISH_FORMAT.findall(text)
                ]
    assert problems == []


def test_number_check_catches_english_formats():
    assert ENGLISH_FORMAT.findall("Dortmund 2015: 37,985 Zuzüge, 0.3 bedeutet") == ["37,985", "0.3"]
    assert ENGLISH_FORMAT.findall("am 01.01.1990: 37.985 und 0,3 und 1.200 [800; 1.900]") == []
    assert _localise("37,985") == "37.985" and _localise("0.55") == "0,55"


def test_seed_yaml_describes_every_column():
    spec = yaml.safe_load(SEED_YAML.read_text(encoding="utf-8"))
    seed = next(s for s in spec["seeds"] if s["name"] == "indicator_catalogue")
    described = {c["name"] for c in seed["columns"] if (c.get("description") or "").strip()}
    header = list(catalogue_rows()[0])
    assert [c for c in header if c not in described] == []


@pytest.mark.parametrize("lang", ["de", "nl"])
def test_glossary_shows_the_languages_own_texts(lang, tmp_path):
    text = glossary(seed_frame(), lang, tmp_path)
    rows = catalogue_rows()
    for r in rows:
        for f in PROSE:
            assert r[f"{f}_{lang}"] in text, (r["indicator_id"], f)
        assert r[f"unit_{lang}"] in text
        assert r[f"name_{lang}"] in text
    english_in_text = [(r["indicator_id"], f) for r in rows for f in PROSE if r[f] in text]
    assert english_in_text == []
    assert f"{'Lesehilfe' if lang == 'de' else 'Leeswijzer'}:" in text


def test_english_glossary_keeps_the_english_texts(tmp_path):
    text = glossary(seed_frame(), "en", tmp_path)
    for r in catalogue_rows():
        assert r["definition"] in text and r["caveats"] in text and r["reading_aid"] in text
        assert r["definition_de"] not in text


def test_empty_translation_falls_back_to_english_cell_by_cell(tmp_path):
    frame = seed_frame().with_columns(
        definition_de=pl.when(pl.col("indicator_id") == "inflow").then(pl.lit("")).otherwise(pl.col("definition_de")),
        caveats_de=pl.when(pl.col("indicator_id") == "inflow").then(None).otherwise(pl.col("caveats_de")),
    )
    entry = report_data.catalogue_entry(report_with_catalogue(frame), "inflow", "de")
    row = next(r for r in catalogue_rows() if r["indicator_id"] == "inflow")
    assert entry["definition"] == row["definition"] and entry["caveats"] == row["caveats"]
    assert entry["reading_aid"] == row["reading_aid_de"] and entry["name"] == row["name_de"]


def test_entry_keeps_the_unit_kind_for_formatting_and_the_translated_unit_for_display():
    entry = report_data.catalogue_entry(report_with_catalogue(seed_frame()), "ava_share", "nl")
    assert entry["unit"] == "percent" and entry["unit_text"] == "aandeel (0-1)"
    old_catalogue = seed_frame().select("indicator_id", "name_de", "name_en", "name_nl", "definition", "unit", "topic")
    entry = report_data.catalogue_entry(report_with_catalogue(old_catalogue), "ava_share", "de")
    assert entry["unit_text"] == "share (0-1)" and entry["caveats"] == ""  # a catalogue without translations
    unknown = report_data.catalogue_entry(report_with_catalogue(seed_frame()), "no_such_indicator", "de")
    assert unknown["name"] == "no_such_indicator" and unknown["definition"] == ""


def test_indicator_section_shows_the_translated_definition(tmp_path):
    """The topic sections print the definition above each indicator's chart and table."""
    data = report_with_catalogue(seed_frame())
    data.frames["indicators"] = pl.DataFrame(
        {
            "city": ["x"],
            "period": ["2026-Q3"],
            "indicator_id": ["net_migration"],
            "breakdown": ["total"],
            "group_code": ["INSGESAMT"],
            "value": [40.0],
            "numerator": [None],
            "denominator": [None],
            "is_suppressed": [False],
        }
    )
    row = next(r for r in catalogue_rows() if r["indicator_id"] == "net_migration")
    ctx = sections.ReportContext(data=data, lang="nl", fig_dir=tmp_path, ind=data.frames["indicators"])
    block = "\n".join(sections._indicator_block(ctx, "net_migration", ["INSGESAMT"], series=False))
    assert row["definition_nl"] in block and row["definition"] not in block
