"""Notes about a city's missing sources come from its city file, not from its name."""

from __future__ import annotations

from reports import data as report_data
from reports import i18n, sections


def _ctx(cities: dict[str, str], tmp_path) -> sections.ReportContext:
    data = report_data.ReportData(
        alliance="test", quarter="2026-Q3", cities=cities, frames={}, synthetic=True, source_path="x"
    )
    return sections.ReportContext(data=data, lang="de", fig_dir=tmp_path, ind=None)


def test_enschede_note_comes_from_its_city_file(tmp_path):
    notes = sections.no_sgb2_notes(_ctx({"muenster": "Münster", "enschede": "Enschede"}, tmp_path))
    assert notes == [
        "Enschede: keine SGB-II-Daten (in den Niederlanden gilt die Participatiewet; die Lücke wird nicht aufgefüllt)."
    ]
    assert sections.no_sgb2_notes(_ctx({"dortmund": "Dortmund", "muenster": "Münster"}, tmp_path)) == []


def test_a_new_city_without_sgb2_gets_the_note_by_its_file(tmp_path, monkeypatch):
    extra = tmp_path / "cities"
    extra.mkdir()
    for slug, name, country, key in (("essen", "Essen", "DE", "'05113000'"), ("hengelo", "Hengelo", "NL", "GM0164")):
        (extra / f"{slug}.yaml").write_text(
            f"slug: {slug}\nname: {name}\ncountry: {country}\nofficial_key: {key}\nkey_type: AGS\n"
            "dialect: standard\nfile_format: csv\nsources: [meldewesen, bestand, gebiete]\nalliances: [alle]\n",
            encoding="utf-8",
        )
    monkeypatch.setenv("CITY_CONFIG_DIR", str(extra))
    ctx = _ctx({"essen": "Essen", "enschede": "Enschede", "hengelo": "Hengelo", "dortmund": "Dortmund"}, tmp_path)
    assert sections.no_sgb2_notes(ctx) == [
        i18n.no_sgb2_note(["Essen"], "DE", "de"),
        i18n.no_sgb2_note(["Enschede", "Hengelo"], "NL", "de"),
    ]
    assert "nicht geliefert" in sections.no_sgb2_notes(ctx)[0]
