"""Expectation suites kept as JSON files in `quality/suites/` (GX 1.x suite format).

A suite file is `{"name", "meta", "expectations": [{"type", "kwargs", "meta"}]}` as GX writes it,
with two project rules checked here before GX sees it, so that a broken file fails loudly:
every expectation carries `meta.check` (a stable name for the record and the gate) and
`meta.severity` (`error` blocks the city and period, `warning` is recorded and shown).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

SUITE_DIR = Path(__file__).resolve().parent / "suites"
SEVERITIES = ("error", "warning")


class SuiteError(RuntimeError):
    """A suite file cannot be used; every check of it counts as failed (never as passed)."""


@dataclass(frozen=True)
class Suite:
    name: str
    path: Path
    meta: dict
    expectations: tuple[dict, ...]

    def check_names(self) -> list[str]:
        return [e["meta"]["check"] for e in self.expectations]


def suite_path(name: str, suite_dir: Path | None = None) -> Path:
    return (suite_dir or SUITE_DIR) / f"{name}.json"


def load_suite(name: str, suite_dir: Path | None = None) -> Suite:
    """Read and validate one suite file; raises SuiteError with the reason if it is unusable."""
    path = suite_path(name, suite_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SuiteError(f"suite file missing: {path}") from exc
    except (OSError, ValueError) as exc:
        raise SuiteError(f"suite file {path.name} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise SuiteError(f"suite file {path.name}: needs an object with an `expectations` list")
    if not data["expectations"]:
        raise SuiteError(f"suite file {path.name}: no expectations (a suite that cannot fail)")
    seen: set[str] = set()
    for i, exp in enumerate(data["expectations"]):
        where = f"suite file {path.name}, expectation {i}"
        if not isinstance(exp, dict) or not isinstance(exp.get("type"), str):
            raise SuiteError(f"{where}: needs a `type`")
        if not isinstance(exp.get("kwargs"), dict):
            raise SuiteError(f"{where}: needs `kwargs`")
        meta = exp.get("meta")
        if not isinstance(meta, dict) or not meta.get("check"):
            raise SuiteError(f"{where}: needs meta.check")
        if meta.get("severity") not in SEVERITIES:
            raise SuiteError(f"{where}: meta.severity must be one of {SEVERITIES}")
        if meta["check"] in seen:
            raise SuiteError(f"{where}: duplicate check name {meta['check']!r}")
        seen.add(meta["check"])
    return Suite(
        name=data.get("name") or name, path=path, meta=data.get("meta") or {}, expectations=tuple(data["expectations"])
    )


def suite_names(prefix: str = "", suite_dir: Path | None = None) -> list[str]:
    return sorted(p.stem for p in (suite_dir or SUITE_DIR).glob(f"{prefix}*.json"))
