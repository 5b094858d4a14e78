"""docs/extending.md, "Adding a source", holds: a new optional source needs exactly the files it lists.

The test copies the parts of the repository the pipeline runs (ingest, quality, dbt project,
warehouse) into tmp, adds a small counselling-like source `sprachkurse` (language-course
participants, monthly, optional; Münster delivers it in the standard dialect as Parquet,
Enschede as a Dutch brp-export CSV) by editing exactly the files the document lists - and
checks that the copy differs from the repository in those files only. Then, in the copy:
landing files -> `load_landing` -> `raw.sprachkurse` -> raw checks (suite, profile,
completeness) and the gate -> `dbt build` of the new staging model and its tests. Each listed
file shows its effect; a file the pipeline would need beyond the list (or a listed one it does
not need) makes the test fail. Bad cases: a code outside the declared code list (quarantined
by ingest), a city that does not deliver the source (quarantined), a loadable delivery with an
implausible birth year (blocked by the suite, left out of staging), a missing month
(completeness warning).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "extending.md"
EXAMPLES = REPO.parent / "shared" / "spec" / "examples" / "landing"
COPIED = ("ingest", "quality", "dbt_project", "warehouse")  # what load, checks and dbt import or read
NEW = {"<source>": "sprachkurse", "<table>": "sprachkurse", "<entity>": "courses"}
CITIES = ("muenster", "enschede")  # the cities that deliver the new source

# -- the new source, as a team would write it --------------------------------------------------
DECLARATION = """
SPRACHKURSE = Source(
    name="sprachkurse",
    description="Participants of language courses (one row per person and course start), one file per month.",
    cadence="monthly",
    expected=EVERY_MONTH,
    optional=True,
    code_lists=(CodeList("course_types", "unknown course type", frozenset({"INTEGRATION", "BERUF", "ALPHA"})),),
    tables=(
        RawTable(
            name="sprachkurse",
            description="Language-course participants, one row per person and course start.",
            columns={
                "kurs_beginn": D,
                "person_pseudonym": S,
                "geburtsjahr": I,
                "geschlecht": S,
                "staatsangehoerigkeit": S,
                "bezirk": S,
                "kursart": S,
                "stunden": I,
            },
            required=("kurs_beginn", "person_pseudonym", "kursart"),
            keys=("kurs_beginn", "person_pseudonym", "kursart"),
            period_column="kurs_beginn",
            districts=(District("bezirk", ("kurs_beginn", "kurs_beginn")),),
            codes={**PERSON, "kursart": "course_types"},
            dialect_columns={
                BRP: {
                    "startdatum": "kurs_beginn",
                    "persoon_pseudoniem": "person_pseudonym",
                    "geboortejaar": "geburtsjahr",
                    "geslacht": "geschlecht",
                    "nationaliteit": "staatsangehoerigkeit",
                    "wijk": "bezirk",
                    "cursussoort": "kursart",
                    "uren": "stunden",
                }
            },
        ),
    ),
)
"""
COLUMNS = ["kurs_beginn", "person_pseudonym", "geburtsjahr", "geschlecht", "staatsangehoerigkeit", "bezirk"]
COLUMNS += ["kursart", "stunden"]
PROVENANCE = ["city", "delivery_file", "file_sha256", "delivery_period", "delivery_version", "source_line"]
PROVENANCE += ["received_at", "loaded_at"]


def _exp(kind: str, check: str, severity: str = "error", **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": {"check": check, "severity": severity}}


SUITE = {
    "name": "raw_sprachkurse",
    "meta": {"scope": "raw", "table": "sprachkurse", "guards": "raw.sprachkurse"},
    "expectations": [
        _exp(
            "expect_table_columns_to_match_set",
            "columns_match_contract",
            column_set=[*COLUMNS, *PROVENANCE, "_period_start", "_period_end", "_bezirk_ok"],
            exact_match=True,
        ),
        *[
            _exp("expect_column_values_to_not_be_null", f"{c}_present", column=c)
            for c in ("kurs_beginn", "person_pseudonym", "kursart")
        ],
        _exp(
            "expect_compound_columns_to_be_unique",
            "participant_once_per_course",
            column_list=["city", "kurs_beginn", "person_pseudonym", "kursart"],
        ),
        _exp(
            "expect_column_pair_values_a_to_be_greater_than_b",
            "kurs_beginn_not_before_period",
            column_A="kurs_beginn",
            column_B="_period_start",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        _exp(
            "expect_column_pair_values_a_to_be_greater_than_b",
            "kurs_beginn_not_after_period",
            column_A="_period_end",
            column_B="kurs_beginn",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        _exp(
            "expect_column_values_to_be_in_set",
            "kursart_in_vocabulary",
            column="kursart",
            value_set={"$PARAMETER": "course_types"},
        ),
        _exp(
            "expect_column_values_to_be_in_set",
            "geschlecht_in_vocabulary",
            "warning",
            column="geschlecht",
            value_set={"$PARAMETER": "sexes"},
        ),
        _exp(
            "expect_column_values_to_match_regex",
            "person_pseudonym_is_32_hex",
            column="person_pseudonym",
            regex="^[0-9a-f]{32}$",
        ),
        _exp(
            "expect_column_values_to_be_between",
            "geburtsjahr_plausible",
            column="geburtsjahr",
            min_value={"$PARAMETER": "min_birth_year"},
        ),
        _exp(
            "expect_column_values_to_be_in_set", "bezirk_valid_on_course_start", column="_bezirk_ok", value_set=[True]
        ),
        _exp(
            "expect_column_values_to_be_between",
            "stunden_plausible",
            "warning",
            column="stunden",
            min_value=1,
            max_value=2000,
        ),
    ],
}
STAGING_SQL = """-- Language-course participants (one row per person and course start), blocked deliveries left out.
with participants as (
    select * from {{ source('raw', 'sprachkurse') }} as r
    where {{ not_blocked('r', 'sprachkurse') }}
)

select
    k.*,
    date_trunc('month', k.kurs_beginn)::date as course_month,
    {{ nationality_group('k.staatsangehoerigkeit', 'c.country', 'n.group_de') }} as nationality_group,
    {{ age_at('k.kurs_beginn', 'k.geburtsjahr') }} as age
from participants as k
left join {{ ref('stg_meta__cities') }} as c on c.slug = k.city
left join {{ ref('nationalities') }} as n on n.destatis_key = k.staatsangehoerigkeit
"""
_DESCRIBED = {
    "kurs_beginn": "First day of the course.",
    "person_pseudonym": "Keyed-hash pseudonym of the person (city layer only).",
    "geburtsjahr": "Year of birth.",
    "geschlecht": "Sex (m, w, d, x).",
    "staatsangehoerigkeit": "First nationality, Destatis 3-digit key.",
    "bezirk": "District of residence (the city's gebiete code).",
    "kursart": "Course type (INTEGRATION, BERUF, ALPHA).",
    "stunden": "Hours booked.",
    **{c: f"Provenance: {c}." for c in PROVENANCE},
    "course_month": "Month of kurs_beginn.",
    "age": "Age in birth-year steps at the course start.",
}
STAGING_YAML = {
    "version": 2,
    "models": [
        {
            "name": "stg_sprachkurse__courses",
            "description": "Language-course participants (person-level, city layer); blocked deliveries left out.",
            "columns": [
                *[
                    {"name": c, "description": d}
                    for c, d in _DESCRIBED.items()
                    if c not in ("city", "nationality_group")
                ],
                {
                    "name": "city",
                    "description": "City slug.",
                    "data_tests": [
                        "not_null",
                        {"relationships": {"arguments": {"to": "ref('stg_meta__cities')", "field": "slug"}}},
                    ],
                },
                {
                    "name": "nationality_group",
                    "description": "Nationality group as seen from the city's country.",
                    "data_tests": [
                        "not_null",
                        {
                            "accepted_values": {
                                "arguments": {"values": ["DE", "NL", "EU2", "EU_SONST", "ASYL8", "DRITT_SONST"]}
                            }
                        },
                    ],
                },
            ],
        }
    ],
}


# -- the edits, one per file the document lists -------------------------------------------------
def _declare(root: Path, _: str) -> None:
    path = root / "ingest" / "sources.py"
    text = path.read_text(encoding="utf-8")
    anchor = "\n# Every source, in this order wherever sources are listed."
    listed = re.compile(r"(SOURCES: tuple\[Source, \.\.\.\] = \(\n(?:    [A-Z0-9_]+,\n)+)\)")
    assert anchor in text and listed.search(text), "ingest/sources.py no longer has the shape this test edits"
    text = text.replace(anchor, DECLARATION + anchor)
    path.write_text(listed.sub(lambda m: m.group(1) + "    SPRACHKURSE,\n)", text), encoding="utf-8")


def _city_delivers(root: Path, city: str) -> None:
    path = root / "ingest" / "cities" / f"{city}.yaml"
    text, n = re.subn(
        r"^sources: \[(.*)\]$", r"sources: [\1, sprachkurse]", path.read_text(encoding="utf-8"), flags=re.M
    )
    assert n == 1
    path.write_text(text, encoding="utf-8")


def _suite(root: Path, _: str) -> None:
    (root / "quality" / "suites" / "raw_sprachkurse.json").write_text(json.dumps(SUITE, indent=1), encoding="utf-8")


def _dbt_source(root: Path, _: str) -> None:
    path = root / "dbt_project" / "models" / "staging" / "city" / "_city__sources.yml"
    text = path.read_text(encoding="utf-8")
    anchor = "  - name: meta\n"
    assert anchor in text
    entry = "      - name: sprachkurse\n        description: Language-course participants (one row per person and course start).\n"
    path.write_text(text.replace(anchor, entry + anchor, 1), encoding="utf-8")


def _staging_model(root: Path, _: str) -> None:
    folder = root / "dbt_project" / "models" / "staging" / "city" / "sprachkurse"
    folder.mkdir(exist_ok=True)
    (folder / "stg_sprachkurse__courses.sql").write_text(STAGING_SQL, encoding="utf-8")


def _staging_yaml(root: Path, _: str) -> None:
    import yaml

    folder = root / "dbt_project" / "models" / "staging" / "city" / "sprachkurse"
    folder.mkdir(exist_ok=True)
    (folder / "stg_sprachkurse__courses.yml").write_text(
        yaml.safe_dump(STAGING_YAML, sort_keys=False), encoding="utf-8"
    )


EDITS = {
    "ingest/sources.py": _declare,
    "ingest/cities/<city>.yaml": _city_delivers,
    "quality/suites/raw_<table>.json": _suite,
    "dbt_project/models/staging/city/_city__sources.yml": _dbt_source,
    "dbt_project/models/staging/city/<source>/stg_<source>__<entity>.sql": _staging_model,
    "dbt_project/models/staging/city/<source>/stg_<source>__<entity>.yml": _staging_yaml,
}


def documented_files(section: str = "Adding a source") -> list[str]:
    """The numbered list of files of a section of docs/extending.md (first path of each item)."""
    text = DOC.read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\d+\. `([^`]+)`", body, flags=re.M)


def _expand(template: str) -> list[tuple[str, str]]:
    """(path, city) for each file a template stands for."""
    for k, v in NEW.items():
        template = template.replace(k, v)
    return [(template.replace("<city>", c), c) for c in CITIES] if "<city>" in template else [(template, "")]


# -- a copy of the repository and a diff against it ---------------------------------------------
def _tracked(folders) -> list[str]:
    """The repository's files below `folders` (git's view; without git: every file but caches and
    build output)."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", *folders],
            cwd=REPO,
            capture_output=True,
            check=True,
        ).stdout
        return [p for p in out.decode().split("\0") if p and (REPO / p).is_file()]
    except (OSError, subprocess.CalledProcessError):
        skip = {"__pycache__", "target", "logs", "dbt_packages"}
        files = (p for f in folders for p in (REPO / f).rglob("*") if p.is_file())
        return sorted(p.relative_to(REPO).as_posix() for p in files if not skip & set(p.relative_to(REPO).parts))


def _copy_repo(dst: Path) -> list[str]:
    files = _tracked(COPIED)
    for rel in files:
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, dst / rel)
    return files


def _changed(root: Path, original: list[str]) -> set[str]:
    now = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    return {rel for rel in now if rel not in original or (root / rel).read_bytes() != (REPO / rel).read_bytes()}


# -- deliveries ---------------------------------------------------------------------------------
def _hex(i: int) -> str:
    return f"{i:032x}"


def _rows(month: str, n: int, districts: list[str], nationalities: list[str]) -> list[dict]:
    return [
        {
            "kurs_beginn": f"{month}-{3 + 7 * i:02d}",
            "person_pseudonym": _hex(1000 + 10 * int(month[5:]) + i),
            "geburtsjahr": str(1980 + i),
            "geschlecht": "w" if i % 2 else "m",
            "staatsangehoerigkeit": nationalities[i % len(nationalities)],
            "bezirk": districts[i % len(districts)],
            "kursart": ("INTEGRATION", "BERUF", "ALPHA")[i % 3],
            "stunden": str(100 * (i + 1)),
        }
        for i in range(n)
    ]


def _write_landing(landing: Path) -> None:
    for city in CITIES:  # the district reference the new source is checked against
        shutil.copytree(EXAMPLES / city / "gebiete", landing / city / "gebiete")
    ms = landing / "muenster" / "sprachkurse"
    ms.mkdir(parents=True)
    muenster = {m: _rows(m, n, ["01", "02", "03"], ["000", "475", "154"]) for m, n in (("2024-01", 3), ("2024-03", 2))}
    muenster["2024-02"] = _rows("2024-02", 3, ["01"], ["000"])
    muenster["2024-02"][2]["kursart"] = "YOGA"  # not in the declared code list: ingest quarantines the file
    for month, rows in muenster.items():
        pl.DataFrame(rows).write_parquet(ms / f"{month}.parquet")
    es = landing / "enschede" / "sprachkurse"
    es.mkdir(parents=True)
    dutch = {
        "kurs_beginn": "startdatum",
        "person_pseudonym": "persoon_pseudoniem",
        "geburtsjahr": "geboortejaar",
        "geschlecht": "geslacht",
        "staatsangehoerigkeit": "nationaliteit",
        "bezirk": "wijk",
        "kursart": "cursussoort",
        "stunden": "uren",
    }
    for month in ("2024-01", "2024-02", "2024-03"):
        rows = _rows(month, 2, ["WK015301", "WK015302"], ["NLD", "SYR"])
        for r in rows:
            r["geschlecht"] = {"m": "M", "w": "V"}[r["geschlecht"]]
        if month == "2024-02":
            rows[1]["geburtsjahr"] = "1700"  # loads, but the suite's error check blocks the period
        buf = io.BytesIO()
        pl.DataFrame(rows).rename(dutch).write_csv(buf, separator=",")
        (es / f"{month}.csv").write_bytes(b"\xef\xbb\xbf" + buf.getvalue())
    other = landing / "dortmund" / "sprachkurse"
    other.mkdir(parents=True)
    (other / "2024-01.csv").write_text("KURS_BEGINN;PERS_PSEUDO\n2024-01-03;" + _hex(1) + "\nSumme Datensaetze: 1\n")


PIPELINE = """
import json, sys
from ingest.load import load_landing
from quality.completeness import completeness_frame
from quality.runner import connect, run_raw_checks
load_landing(log=lambda _m: None)
results = run_raw_checks(full=True)
con = connect(read_only=True)
expected = completeness_frame(con, None).query("source == 'sprachkurse'")
json.dump({"results": [[r.city, r.check_name, r.period, r.outcome, r.severity] for r in results],
           "expected": expected[["city", "period", "present"]].values.tolist()}, sys.stdout, default=str)
"""


def _run(cmd: list[str], env: dict, cwd: Path) -> str:
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    assert proc.returncode == 0, f"{cmd[:3]} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def added(tmp_path_factory):
    """(copy of the repository with the new source, warehouse, pipeline output, changed files)."""
    base = tmp_path_factory.mktemp("extending")
    root = base / "repo"
    original = _copy_repo(root)
    touched = []
    for template in documented_files():
        if template not in EDITS:
            pytest.fail(f"docs/extending.md lists {template}, which this test does not know how to touch")
        for path, city in _expand(template):
            EDITS[template](root, city)
            touched.append(path)
    changed = _changed(root, original)
    landing, warehouse = base / "landing", base / "warehouse.duckdb"
    _write_landing(landing)
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "LANDING_DIR": str(landing),
        "WAREHOUSE_DUCKDB_PATH": str(warehouse),
        "DBT_TARGET_PATH": str(base / "dbt_target"),
        "DBT_LOG_PATH": str(base / "dbt_logs"),
        "DUCKDB_MEMORY_LIMIT": "1GB",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }
    env.pop("CITY_CONFIG_DIR", None)
    out = json.loads(_run([sys.executable, "-c", PIPELINE], env, root))
    dbt = str(Path(sys.executable).parent / "dbt")
    project = ["--project-dir", str(root / "dbt_project"), "--profiles-dir", str(root / "dbt_project")]
    _run([dbt, "build", "--select", "+stg_sprachkurse__courses", *project], env, root / "dbt_project")
    run_results = json.loads((base / "dbt_target" / "run_results.json").read_text())
    return {"touched": touched, "changed": changed, "warehouse": warehouse, "out": out, "dbt": run_results}


def _sql(warehouse: Path, query: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def test_the_document_lists_exactly_the_files_the_source_needed(added):
    assert sorted(EDITS) == sorted(documented_files()), "docs/extending.md and this test name different files"
    assert added["changed"] == set(added["touched"]), "the copy differs from the repository elsewhere"


def test_the_declaration_and_the_city_files_load_both_dialects(added):
    wh = added["warehouse"]
    rows = _sql(wh, "SELECT city, delivery_period, count(*) FROM raw.sprachkurse GROUP BY ALL ORDER BY 1, 2")
    assert rows == [
        ("enschede", "2024-01", 2),
        ("enschede", "2024-02", 2),
        ("enschede", "2024-03", 2),
        ("muenster", "2024-01", 3),
        ("muenster", "2024-03", 2),
    ]
    # brp-export: Dutch headers, M/V and ISO alpha-3 translated as for every other source
    assert _sql(
        wh, "SELECT DISTINCT geschlecht, staatsangehoerigkeit FROM raw.sprachkurse WHERE city = 'enschede' ORDER BY 1"
    ) == [
        ("m", "148"),
        ("w", "475"),
    ]
    status = dict(_sql(wh, "SELECT delivery_file, status || ': ' || coalesce(reason, '') FROM meta.delivery_registry"))
    assert status["muenster/sprachkurse/2024-02.parquet"] == "quarantined: unknown course type in kursart: 'YOGA'"
    assert status["dortmund/sprachkurse/2024-01.csv"] == (
        "quarantined: file name does not fit the layout: dortmund does not deliver source 'sprachkurse'"
    )
    assert status["enschede/sprachkurse/2024-02.csv"] == "loaded: "


def test_the_suite_checks_every_delivery_and_blocks_the_bad_period(added):
    results = added["out"]["results"]
    mine = [r for r in results if r[1].startswith("raw.sprachkurse.")]
    checks = {e["meta"]["check"] for e in SUITE["expectations"]}
    periods = {("enschede", "2024-01"), ("enschede", "2024-02"), ("enschede", "2024-03")}
    periods |= {("muenster", "2024-01"), ("muenster", "2024-03")}
    assert {(r[0], r[2]) for r in mine} == periods
    assert {r[1].removeprefix("raw.sprachkurse.") for r in mine} == checks
    failed = {(r[0], r[1], r[2]) for r in mine if r[3] != "passed"}
    assert failed == {("enschede", "raw.sprachkurse.geburtsjahr_plausible", "2024-02")}
    gate = _sql(
        added["warehouse"], "SELECT city, source, form, period FROM meta.quality_gate WHERE source = 'sprachkurse'"
    )
    assert gate == [("enschede", "sprachkurse", "", "2024-02")]
    assert any(r[1].startswith("profile.sprachkurse.") for r in results)


def test_completeness_expects_every_month_of_the_new_source(added):
    assert sorted(added["out"]["expected"]) == [
        ["enschede", "2024-01", True],
        ["enschede", "2024-02", True],
        ["enschede", "2024-03", True],
        ["muenster", "2024-01", True],
        ["muenster", "2024-02", False],  # quarantined: not in the raw layer
        ["muenster", "2024-03", True],
    ]
    warned = {(r[0], r[3]) for r in added["out"]["results"] if r[1] == "completeness.delivery_present"}
    assert ("muenster", "failed") in warned


def test_the_staging_model_and_its_tests_leave_the_blocked_period_out(added):
    rows = _sql(
        added["warehouse"],
        "SELECT city, delivery_period, nationality_group, count(*) FROM staging.stg_sprachkurse__courses "
        "GROUP BY ALL ORDER BY ALL",
    )
    assert {(c, p) for c, p, _, _ in rows} == {
        ("enschede", "2024-01"),
        ("enschede", "2024-03"),
        ("muenster", "2024-01"),
        ("muenster", "2024-03"),
    }
    assert {(c, g) for c, _, g, _ in rows} >= {("enschede", "NL"), ("muenster", "DE"), ("muenster", "ASYL8")}
    assert sum(n for *_, n in rows) == 9
    ran = {r["unique_id"]: r["status"] for r in added["dbt"]["results"]}
    tests = [u for u in ran if u.startswith("test.") and "stg_sprachkurse__courses" in u]
    assert len(tests) == 4 and all(ran[u] == "pass" for u in tests), ran
    assert ran["model.migration_warehouse.stg_sprachkurse__courses"] == "success"


def test_every_file_the_document_names_exists_or_has_an_instance():
    """The other recipes are not run end to end; their paths must at least not rot: each named
    file exists, and a path with placeholders matches an existing instance (e.g. a city file)."""
    text = DOC.read_text(encoding="utf-8")
    sections = re.findall(r"^## (Adding .+)$", text, flags=re.M)
    assert sections == ["Adding a city", "Adding a dialect", "Adding a source", "Adding an indicator"] + [
        "Adding a report section"
    ]
    named = set(re.findall(r"^(?:\d+\.|-) `([^`]+)`", text, flags=re.M))
    assert len(named) > 20
    missing = [p for p in sorted(named) if not list(REPO.glob(re.sub(r"<[a-z]+>", "*", p).rstrip("/") or "."))]
    assert missing == []
