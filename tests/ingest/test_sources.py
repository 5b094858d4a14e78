"""The source registry (ingest/sources.py) is the one description of every source: the dbt sources,
the raw suites and the shipped city files agree with it, and a declaration that cannot work fails
loudly. The end-to-end proof that a new source needs nothing else is tests/ingest/test_extending.py."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
import yaml

from ingest import schemas, sources
from ingest.config import load_cities
from quality.suites import load_suite
from warehouse.settings import BUILTIN_CITY_DIR as CITY_DIR_DEFAULT

REPO = Path(__file__).resolve().parents[2]
DBT_SOURCES = REPO / "dbt_project" / "models" / "staging" / "city" / "_city__sources.yml"


# Required columns whose emptiness the raw suite does not check again (ingest rejects such a file
# before it reaches the raw layer). Adding the check would add a result row per delivery to the
# quality record; left to the suites' owner, listed here so that no new gap goes unnoticed.
NOT_RECHECKED = {("sgb2_personen", "bezirk"), ("wohnen_problemimmobilien", "bezirk")}


def _expectations(table: sources.RawTable, kind: str) -> list[dict]:
    return [e["kwargs"] for e in load_suite(table.suite).expectations if e["type"] == kind]


def test_the_dbt_source_raw_lists_exactly_the_registered_tables():
    spec = yaml.safe_load(DBT_SOURCES.read_text(encoding="utf-8"))
    raw = next(s for s in spec["sources"] if s["name"] == "raw")
    # plus the district boundaries: not a dialect table (GeoJSON in every dialect, ingest.geometry)
    assert [t["name"] for t in raw["tables"]] == [t.name for t in sources.tables()] + [schemas.GEOMETRY_TABLE]


def test_the_raw_layer_is_the_registry():
    assert list(schemas.COLUMNS) == [t.name for t in sources.tables()]
    assert schemas.TABLES == {(t.source, t.form): t.name for t in sources.tables()}
    flags = schemas.COLUMNS["sgb2_aggregat"]
    assert [c for c, d in flags.items() if d == pl.Boolean] == [
        f"{c}_gesperrt" for c in ("bg", "elb", "nef", "personen_in_bg")
    ]


@pytest.mark.parametrize("table", [t.name for t in sources.tables()])
def test_the_raw_suite_checks_the_declared_keys_and_required_columns(table):
    t = sources.table(table)
    unique = _expectations(t, "expect_compound_columns_to_be_unique")
    assert [u["column_list"] for u in unique] == ([["city", *t.keys]] if t.keys else [])
    not_null = {k["column"] for k in _expectations(t, "expect_column_values_to_not_be_null")}
    assert {c for c in t.required if (table, c) not in NOT_RECHECKED} <= not_null
    in_set = {k["column"]: k["value_set"] for k in _expectations(t, "expect_column_values_to_be_in_set")}
    for col, name in t.codes.items():  # a code list by country is checked through a helper column
        if sources.code_lists()[name].by_country is None:
            assert in_set.get(col) in ({"$PARAMETER": name}, sorted(sources.code_lists()[name].values())), col


def test_every_shipped_city_delivers_declared_sources_and_every_required_one():
    required = {s.name for s in sources.all_sources() if not s.optional}
    for path in sorted(CITY_DIR_DEFAULT.glob("*.yaml")):
        cfg = load_cities()[path.stem]
        assert set(cfg.sources) <= set(sources.source_names()), path.name
        assert required <= set(cfg.sources), path.name
        assert all(cfg.country in sources.source(s).countries for s in cfg.sources), path.name


def test_completeness_rhythms():
    months = ["2024-09", "2024-10", "2024-11", "2024-12"]
    assert sources.source("meldewesen").expected_periods(months) == months
    assert sources.source("bestand").expected_periods(months) == ["2024-09-30", "2024-12-31"]
    assert sources.source("schule").expected_periods(months) == ["2024-10-15"]
    assert sources.source("gebiete").expected_periods(months) == ["current"]
    assert sources.source("wohnen").expected_periods(months) == []


def test_code_lists_are_the_ones_ingest_and_the_suites_use():
    lists = sources.code_lists()
    assert lists["event_types"].values() == frozenset(sources.EVENT_TYPES)
    assert lists["school_forms"].values("NL") == frozenset(sources.SCHOOL_FORMS_NL)
    assert lists["school_forms"].values("DE") == frozenset(sources.SCHOOL_FORMS_DE)
    assert "000" in lists["nationality_keys"].values() and "NLD" in lists["iso3_codes"].values()


BAD = [
    (dict(period_column="datum"), "column 'datum' is not declared"),
    (dict(codes={"stelle": "stellen"}), "code list 'stellen' is not declared"),
    (dict(requires="grossstadt"), "requires 'grossstadt'"),
    (dict(duplicate_keys_message="twice", keys=()), "duplicate_keys_message without keys"),
    (dict(dialect_columns={"brp-export": {"datum": "kontaktdatum"}}), "column 'kontaktdatum' is not declared"),
]


@pytest.mark.parametrize("change, reason", BAD, ids=[r for _, r in BAD])
def test_a_declaration_that_cannot_work_fails_with_its_reason(change, reason):
    good = sources.source("beratung")
    bad = replace(good, tables=(replace(good.tables[0], **change),))
    sources.check_source(good, sources.code_lists())
    with pytest.raises(ValueError, match=reason):
        sources.check_source(bad, sources.code_lists())


def test_a_wrong_rhythm_or_cadence_fails():
    good = sources.source("beratung")
    with pytest.raises(ValueError, match="expected 'weekly'"):
        sources.check_source(replace(good, expected="weekly"), sources.code_lists())
    with pytest.raises(ValueError, match="a period column is needed exactly"):
        sources.check_source(replace(good, cadence="reference"), sources.code_lists())
