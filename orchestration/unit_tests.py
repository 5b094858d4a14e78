"""dbt unit tests run only when the dbt code changed.

A unit test checks a model's SQL on fixed rows, never the warehouse's data: once every unit test
of the project passed on a code version (orchestration.dbt_project.dbt_code_version), a build
of the same code excludes them (`--exclude test_type:unit`). What passed is kept in the
warehouse's dbt target folder, per code version; a new version starts empty.
"""

from __future__ import annotations

import json
from pathlib import Path

RECORD = "unit_tests_passed.json"


def _read(target: Path) -> dict:
    try:
        return json.loads((target / RECORD).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def project_unit_tests(manifest_path: Path) -> set[str]:
    """The unique ids of the project's unit tests (the manifest Dagster reads)."""
    return set(json.loads(Path(manifest_path).read_text(encoding="utf-8")).get("unit_tests", {}))


def unit_tests_needed(target: Path, code_version: str, manifest_path: Path) -> bool:
    """Whether a build must run unit tests: one of the project's has not passed on this code."""
    record = _read(target)
    passed = set(record.get("passed", [])) if record.get("code_version") == code_version else set()
    return not project_unit_tests(manifest_path) <= passed


def passed_unit_tests(invocation) -> set[str]:
    """The unit tests a dagster-dbt invocation ran and passed (its run_results.json)."""
    try:
        results = invocation.get_artifact("run_results.json")["results"]
    except (FileNotFoundError, KeyError):
        return set()
    return {r["unique_id"] for r in results if r["unique_id"].startswith("unit_test.") and r["status"] == "pass"}


def record_unit_tests(target: Path, code_version: str, passed: set[str]) -> None:
    """Add `passed` to what passed on `code_version` (a record of another version is replaced)."""
    if not passed:
        return
    record = _read(target)
    before = set(record.get("passed", [])) if record.get("code_version") == code_version else set()
    target.mkdir(parents=True, exist_ok=True)
    (target / RECORD).write_text(
        json.dumps({"code_version": code_version, "passed": sorted(before | passed)}, indent=1), encoding="utf-8"
    )
