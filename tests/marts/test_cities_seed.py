"""dim_cities comes from the city configuration files alone (meta.cities, written by ingest)."""

from __future__ import annotations

import duckdb

from ingest.config import load_cities
from ingest.schemas import create_raw_tables


def test_meta_cities_mirrors_every_configuration_file():
    con = duckdb.connect()
    create_raw_tables(con)
    rows = {
        r[0]: r
        for r in con.execute(
            "select slug, name, country, official_key, dialect, optionskommune, alliances, delivers_sgb2, "
            "registration_rule from meta.cities"
        ).fetchall()
    }
    configs = load_cities()
    assert set(rows) == set(configs)
    for slug, c in configs.items():
        assert rows[slug][1:8] == (
            c.name,
            c.country,
            c.official_key,
            c.dialect,
            c.optionskommune,
            "|".join(c.alliances),
            "sgb2" in c.sources,
        )
    assert rows["enschede"][8] == "NL_4_MONTHS" and rows["dortmund"][8] == "DE_2_WEEKS"
    assert rows["enschede"][7] is False  # no SGB II in the Netherlands


def test_a_ninth_city_is_one_configuration_file(tmp_path, monkeypatch):
    """In a city folder of the test's own (the checkout's set is left out, whatever it holds)."""
    extra = tmp_path / "cities"
    extra.mkdir()
    (extra / "essen.yaml").write_text(
        "slug: essen\nname: Essen\ncountry: DE\nofficial_key: '05113000'\nkey_type: AGS\n"
        "dialect: standard\nfile_format: csv\nsources: [meldewesen, bestand, gebiete]\nalliances: [alle]\n",
        encoding="utf-8",
    )
    (extra / "enschede.yaml").write_text(
        "slug: enschede\nname: Enschede\ncountry: NL\nofficial_key: GM0153\nkey_type: CBS\n"
        "dialect: standard\nfile_format: csv\nsources: [meldewesen, bestand, gebiete]\nalliances: [euregio]\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("CITY_CONFIG_BUILTIN", "0")
    monkeypatch.setenv("CITY_CONFIG_DIR", str(extra))
    con = duckdb.connect()
    create_raw_tables(con)
    assert con.execute("select slug, name, official_key, delivers_sgb2 from meta.cities order by slug").fetchall() == [
        ("enschede", "Enschede", "GM0153", False),
        ("essen", "Essen", "05113000", False),
    ]
    # rewritten, not appended: without the file the city is gone again
    (extra / "essen.yaml").unlink()
    create_raw_tables(con)
    assert con.execute("select slug from meta.cities").fetchall() == [("enschede",)]


def test_the_checkouts_cities_can_be_left_out(tmp_path, monkeypatch):
    monkeypatch.setenv("CITY_CONFIG_BUILTIN", "0")
    monkeypatch.setenv("CITY_CONFIG_DIR", str(tmp_path))
    assert load_cities() == {}
    monkeypatch.delenv("CITY_CONFIG_BUILTIN")
    assert "muenster" in load_cities()
