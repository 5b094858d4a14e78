"""The standard age band of every person-level staging model comes from the seed age_bands: the
dbt macro renders its CASE from the seed's table, so a band changed in the seed changes staging
(and warehouse.vocabulary, which reads the same seed, agrees with it)."""

from __future__ import annotations

import re
import shutil

import duckdb
import pytest

from orchestration.dbt_project import run_dbt
from warehouse import vocabulary

AGE_COLUMNS = {
    "stg_bestand__persons": "age",
    "stg_meldewesen__events": "age_at_event",
    "stg_schule__pupils": "age",
}


def _case_bands(sql: str) -> list[tuple[int, str]]:
    return [(int(limit), band) for limit, band in re.findall(r"< (\d+) then '([^']+)'", sql)]


@pytest.mark.parametrize("model", sorted(AGE_COLUMNS))
def test_compiled_case_is_the_seed(compiled_model, model):
    sql = compiled_model(model)
    bands = vocabulary.standard_age_bands()
    assert _case_bands(sql) == [(b.age_to + 1, b.label) for b in bands[:-1]]
    assert f"else '{bands[-1].label}'" in sql


@pytest.mark.parametrize("model", sorted(AGE_COLUMNS))
def test_staging_bands_agree_with_the_vocabulary(demo_con, model):
    age = AGE_COLUMNS[model]
    rows = demo_con.execute(f"select distinct {age}, age_band from staging.{model}").fetchall()
    # pupils span the school ages only (about 5 to 19), the register every age
    assert len(rows) > (10 if model == "stg_schule__pupils" else 20)
    assert [(a, b) for a, b in rows if b != vocabulary.age_band_of(a)] == []


def test_a_band_changed_in_the_seed_changes_the_case(demo_marts, tmp_path):
    """The macro reads the seed's table: split 25-44 there and the compiled CASE has both halves."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(demo_marts, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update reference.age_bands set sort_order = sort_order + 1 where sort_order >= 5")
        con.execute("update reference.age_bands set age_band = '35-44', age_from = 35 where age_band = '25-44'")
        con.execute("insert into reference.age_bands values ('25-34', 'standard', 25, 34, 5, '25 bis 34 Jahre')")
    target = tmp_path / "dbt_target"
    run_dbt(
        ["compile", "--select", "stg_bestand__persons"], warehouse=warehouse, target_path=target, log=lambda _l: None
    )
    compiled = next(
        p for p in (target / "compiled").rglob("stg_bestand__persons.sql") if p.parent.name == "bestand"
    ).read_text()
    assert (35, "25-34") in _case_bands(compiled) and (45, "35-44") in _case_bands(compiled)
    assert "'25-44'" not in compiled
