"""`dbt docs generate` works offline and documents every column the marts really have; the
property files are one per model and write each column text once (doc blocks for the rest)."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from pathlib import Path

import yaml

from orchestration.dbt_project import run_dbt
from warehouse.settings import REPO_ROOT

DOCUMENTED_SCHEMAS = {"marts", "official", "exchange", "alliance"}


def test_docs_generate_documents_every_mart_column(published_demo, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"  # a private copy: dbt opens it for writing
    shutil.copyfile(published_demo[0], warehouse)
    run_dbt(["docs", "generate"], warehouse=warehouse, target_path=tmp_path / "target", log=lambda _line: None)
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    assert (tmp_path / "target" / "index.html").exists()

    checked, undocumented = 0, []
    for uid, node in catalog["nodes"].items():
        model = manifest["nodes"].get(uid)
        if not model or model["resource_type"] != "model" or model["schema"] not in DOCUMENTED_SCHEMAS:
            continue
        for column in node["columns"]:
            checked += 1
            described = model["columns"].get(column) or model["columns"].get(column.lower()) or {}
            if not described.get("description"):
                undocumented.append(f"{model['name']}.{column}")
    assert checked > 300, f"only {checked} mart columns in the catalog: did the marts build?"
    assert not undocumented, f"columns without a description: {undocumented[:20]}"


# --- how the documentation is written (no dbt run needed) ------------------------------------

PROJECT = REPO_ROOT / "dbt_project"
DOC_REF = re.compile(r"^\{\{ doc\(\"(\w+)\"\) \}\}$")


def _property_files() -> list[Path]:
    return [p for p in sorted(PROJECT.rglob("*.yml")) if "target" not in p.parts and p.parent != PROJECT]


def _column_descriptions() -> list[tuple[str, str, str]]:
    """(relation, column, description) of every documented column of models, seeds and sources."""
    out = []
    for path in _property_files():
        props = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        relations = [*(props.get("models") or []), *(props.get("seeds") or [])]
        relations += [t for s in props.get("sources") or [] for t in s.get("tables") or []]
        for rel in relations:
            out += [(rel["name"], c["name"], (c.get("description") or "").strip()) for c in rel.get("columns") or []]
    return out


def _doc_blocks() -> dict[str, str]:
    blocks = {}
    for md in PROJECT.rglob("*.md"):
        if "target" not in md.parts:
            blocks.update(re.findall(r"{% docs (\w+) %}\n(.*?){% enddocs %}", md.read_text(encoding="utf-8"), re.S))
    return blocks


def repeated_texts(descriptions: list[tuple[str, str, str]]) -> dict[str, int]:
    counts = Counter(text for _, _, text in descriptions if text and not DOC_REF.match(text))
    return {text: n for text, n in counts.items() if n > 1}


def test_each_column_text_is_written_once():
    """A description that several columns share is a doc block (models/docs/*.md), not a copy."""
    descriptions = _column_descriptions()
    assert len(descriptions) > 1000
    assert repeated_texts(descriptions) == {}


def test_repeated_text_check_can_fail():
    rows = [("a", "city", "City slug."), ("b", "city", "City slug."), ("c", "city", '{{ doc("city") }}')]
    assert repeated_texts(rows) == {"City slug.": 2}


def test_every_doc_block_is_used_and_every_reference_exists():
    blocks = _doc_blocks()
    used = set()
    for path in _property_files():
        used |= set(re.findall(r"doc\(\"(\w+)\"\)", path.read_text(encoding="utf-8")))
    assert used - set(blocks) == set()
    assert set(blocks) - used == set()


def test_one_property_file_per_model_beside_it():
    """jaffle-shop style: <model>.yml next to <model>.sql (or .py) with that model alone and its unit tests."""
    problems = []
    for model in sorted((PROJECT / "models").rglob("*")):
        if model.suffix not in (".sql", ".py"):
            continue
        props = model.with_suffix(".yml")
        if not props.exists():
            problems.append(f"{model.relative_to(PROJECT)}: no {props.name}")
            continue
        content = yaml.safe_load(props.read_text(encoding="utf-8")) or {}
        if [m["name"] for m in content.get("models") or []] != [model.stem]:
            problems.append(f"{props.relative_to(PROJECT)}: models {[m['name'] for m in content.get('models') or []]}")
        problems += [
            f"{props.relative_to(PROJECT)}: unit test {t['name']} of {t['model']}"
            for t in content.get("unit_tests") or []
            if t["model"] != model.stem
        ]
    for path in _property_files():
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if content.get("models") and path.stem != content["models"][0]["name"]:
            problems.append(f"{path.relative_to(PROJECT)} holds {content['models'][0]['name']}")
    assert problems == []
