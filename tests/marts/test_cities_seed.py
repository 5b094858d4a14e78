"""The dbt seed `cities.csv` must say what ingest/cities/*.yaml say (dbt cannot read YAML)."""
from __future__ import annotations

import csv
import sys

import pytest

from ingest.config import CITY_DIR_DEFAULT, REPO_ROOT, _load_city

SEED = REPO_ROOT / "dbt_project" / "seeds" / "cities.csv"
RULES = REPO_ROOT / "dbt_project" / "seeds" / "registration_rules.csv"
HOW_TO_FIX = ("a city is added (or changed) in BOTH ingest/cities/<slug>.yaml and "
              "dbt_project/seeds/cities.csv")


def _seed_rows() -> dict[str, dict]:
    with SEED.open(encoding="utf-8") as fh:
        return {r["slug"]: r for r in csv.DictReader(fh)}


def _yaml_cities() -> dict:
    # only the built-in folder: CITY_CONFIG_DIR of the environment must not change the result
    return {p.stem: _load_city(p) for p in sorted(CITY_DIR_DEFAULT.glob("*.yaml"))}


def test_same_cities_in_seed_and_yaml():
    seed, cities = _seed_rows(), _yaml_cities()
    assert sorted(seed) == sorted(cities), f"seed and YAML list different cities; {HOW_TO_FIX}"


@pytest.mark.parametrize("slug", sorted(_yaml_cities()))
def test_seed_row_agrees_with_yaml(slug):
    cfg = _yaml_cities()[slug]
    row = _seed_rows().get(slug)
    assert row is not None, f"{slug} missing in cities.csv; {HOW_TO_FIX}"
    expected = {
        "name": cfg.name, "country": cfg.country, "official_key": cfg.official_key,
        "key_type": cfg.key_type, "dialect": cfg.dialect,
        "optionskommune": str(cfg.optionskommune).lower(),
        "alliances": "|".join(cfg.alliances),
        "delivers_sgb2": str("sgb2" in cfg.sources).lower(),
    }
    actual = {k: row[k] for k in expected}
    assert actual == expected, f"{slug}: cities.csv differs from {slug}.yaml; {HOW_TO_FIX}"


def test_every_city_has_a_registration_rule_of_its_country():
    with RULES.open(encoding="utf-8") as fh:
        rules = {r["rule_code"]: r for r in csv.DictReader(fh)}
    for slug, row in _seed_rows().items():
        rule = rules.get(row["registration_rule"])
        assert rule is not None, f"{slug}: unknown registration_rule {row['registration_rule']!r}"
        assert rule["country"] == row["country"], f"{slug}: rule of another country"


def test_mismatch_is_detected(tmp_path, monkeypatch):
    """The comparison itself can fail: a changed name in a copied seed is reported."""
    bad = tmp_path / "cities.csv"
    bad.write_text(SEED.read_text(encoding="utf-8").replace("Dortmund,DE", "Dortmund-Nord,DE"),
                   encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "SEED", bad)
    with pytest.raises(AssertionError, match="BOTH"):
        test_seed_row_agrees_with_yaml("dortmund")
