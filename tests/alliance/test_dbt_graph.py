"""The dbt graph: alliance models see person-level data only through the exchange layer,
every published model and column is described, every model states its grain, and model names
follow stg_/int_/fct_/dim_."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestration.dbt_project import run_dbt
from warehouse.settings import DBT_PROJECT_DIR as PROJECT

PUBLISHED_FOLDERS = ("marts", "exchange", "alliance")  # marts/ includes marts/official
EXCHANGE_BOUNDARY_SCHEMA = "exchange"
# The alliance reads what the hub knows (local rows plus imported exchange packages), never a
# local exchange table directly - otherwise an imported city would be missing from it.
HUB_PREFIX = "fct_exchange_hub_"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("dbt_parse")
    run_dbt(["parse", "--no-partial-parse"], warehouse=tmp / "unused.duckdb", target_path=tmp / "target", log=_quiet)
    return json.loads((tmp / "target" / "manifest.json").read_text())


def _quiet(_line: str) -> None:
    pass


def _folder(node: dict) -> str:
    return Path(node["original_file_path"]).parts[1] if node["original_file_path"].startswith("models/") else ""


def alliance_leaks(manifest: dict) -> list[str]:
    """Paths from an alliance model to anything upstream that is not an exchange hub model
    (schema `exchange`, fct_exchange_hub_*), a seed or another alliance model."""
    nodes, parents = manifest["nodes"], manifest["parent_map"]
    leaks: list[str] = []

    def walk(uid: str, path: list[str]) -> None:
        for parent in parents.get(uid, []):
            node = nodes.get(parent)
            chain = path + [parent]
            if node is None:  # a source: raw or meta tables
                leaks.append(" <- ".join(chain))
            elif node["resource_type"] == "seed":
                continue
            elif (
                node["resource_type"] == "model"
                and _folder(node) == "exchange"
                and node["config"].get("schema") == EXCHANGE_BOUNDARY_SCHEMA
            ):
                if not node["name"].startswith(HUB_PREFIX):  # disclosure-controlled, but local only
                    leaks.append(" <- ".join(chain) + " (not a hub model)")
                continue  # the boundary: the hub models
            elif node["resource_type"] == "model" and _folder(node) == "alliance":
                walk(parent, chain)
            else:
                leaks.append(" <- ".join(chain))

    for uid, node in nodes.items():
        if node["resource_type"] == "model" and _folder(node) == "alliance":
            walk(uid, [uid])
    return leaks


def test_alliance_models_exist(manifest):
    assert any(_folder(n) == "alliance" for n in manifest["nodes"].values() if n["resource_type"] == "model")


def test_alliance_depends_on_person_level_only_through_exchange(manifest):
    assert alliance_leaks(manifest) == []


def test_every_exchange_table_of_a_package_has_a_hub_model(manifest):
    """Each table an exchange package carries reaches the alliance through a hub model."""
    from orchestration.exchange_tables import TABLES

    names = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    locals_ = {t.relation.split(".")[1] for t in TABLES}
    assert locals_ <= names
    assert {"fct_exchange_hub_" + n.removeprefix("fct_exchange_") for n in locals_} <= names


def test_leak_detector_catches_a_bad_graph():
    """The check above can fail: an alliance model reading a staging model, directly or via
    another alliance model, and one reading a source."""

    def model(name, folder, schema):
        return {
            "resource_type": "model",
            "name": name,
            "original_file_path": f"models/{folder}/{name}.sql",
            "config": {"schema": schema},
        }

    nodes = {
        "model.p.fct_intercity": model("fct_intercity", "alliance", "alliance"),
        "model.p.fct_helper": model("fct_helper", "alliance", "alliance"),
        "model.p.fct_exchange_hub_cells": model("fct_exchange_hub_cells", "exchange", "exchange"),
        "model.p.fct_exchange_cells": model("fct_exchange_cells", "exchange", "exchange"),
        "model.p.int_exchange__cells": model("int_exchange__cells", "exchange", "intermediate"),
        "model.p.stg_meldewesen__events": model("stg_meldewesen__events", "staging", "staging"),
        "model.p.fct_direct": model("fct_direct", "alliance", "alliance"),
        "model.p.fct_local": model("fct_local", "alliance", "alliance"),
    }
    parents = {
        "model.p.fct_intercity": ["model.p.fct_exchange_hub_cells", "model.p.fct_helper"],
        "model.p.fct_helper": ["model.p.stg_meldewesen__events"],
        "model.p.fct_exchange_hub_cells": ["model.p.fct_exchange_cells"],
        "model.p.fct_exchange_cells": ["model.p.int_exchange__cells"],
        "model.p.fct_direct": ["model.p.int_exchange__cells", "source.p.raw.meldewesen"],
        "model.p.fct_local": ["model.p.fct_exchange_cells"],
    }
    leaks = alliance_leaks({"nodes": nodes, "parent_map": parents})
    assert "model.p.fct_intercity <- model.p.fct_helper <- model.p.stg_meldewesen__events" in leaks
    assert "model.p.fct_direct <- model.p.int_exchange__cells" in leaks
    assert "model.p.fct_direct <- source.p.raw.meldewesen" in leaks
    assert "model.p.fct_local <- model.p.fct_exchange_cells (not a hub model)" in leaks
    assert not [l for l in leaks if "fct_exchange_hub_cells" in l]


def _published_models(manifest):
    return {
        uid: n
        for uid, n in manifest["nodes"].items()
        if n["resource_type"] == "model" and _folder(n) in PUBLISHED_FOLDERS
    }


def test_published_models_and_columns_are_described(manifest):
    problems = []
    for uid, node in _published_models(manifest).items():
        if not node["description"].strip():
            problems.append(f"{uid}: no description")
        if not node["columns"]:
            problems.append(f"{uid}: no documented columns")
        problems += [
            f"{uid}.{c}: no description" for c, col in node["columns"].items() if not col.get("description", "").strip()
        ]
    assert problems == []


def test_every_model_states_its_grain(manifest):
    """Each model's description says what one row is ("Grain: one row per ..."), as in jaffle-shop."""
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert len(models) > 60
    assert [n["name"] for n in models if "Grain: one row per " not in n["description"]] == []


def test_model_names_follow_conventions(manifest):
    problems = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model":
            continue
        name, folder, schema = node["name"], _folder(node), node["config"].get("schema")
        if name.startswith("stg_"):
            ok = folder == "staging"
        elif name.startswith("int_"):
            ok = schema == "intermediate"
        elif name.startswith(("fct_", "dim_")):
            ok = folder in PUBLISHED_FOLDERS
        else:
            ok = False
        if not ok:
            problems.append(f"{name} (folder {folder}, schema {schema})")
    assert problems == []


def test_catalogue_seed_is_complete():
    import csv

    with (PROJECT / "seeds" / "indicator_catalogue.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    required = [
        "indicator_id",
        "name_de",
        "name_en",
        "name_nl",
        "definition",
        "formula",
        "unit",
        "source",
        "basis",
        "caveats",
        "reading_aid",
    ]
    assert rows and all(k in rows[0] for k in required)
    empty = [(r["indicator_id"], k) for r in rows for k in required if not (r[k] or "").strip()]
    assert empty == []
    assert len({r["indicator_id"] for r in rows}) == len(rows)
    assert {r["basis"] for r in rows} <= {"register", "official"}
