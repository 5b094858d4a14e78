"""Loader behaviour: idempotent, atomic per file, failures registered with a reason."""

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from ingest.official import load_official, seed_landing
from warehouse.settings import official_source_dir

SRC = official_source_dir()
SMALL = ["genesis-classic/12612-01-01-4_1995-2015.cp1252.csv", "cbs/37259eng_2012-2023_NL01_PV23_GM0153.csv"]
PROVIDER = {"genesis-classic": "genesis", "genesis-flat": "genesis", "cbs": "cbs", "city": "city"}


def _landing(tmp_path: Path, files=SMALL) -> Path:
    landing = tmp_path / "landing"
    for rel in files:
        folder, name = rel.split("/")
        dst = landing / "official" / PROVIDER[folder] / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SRC / rel, dst)
        dst.chmod(0o644)
    return landing


def _counts(wh: Path) -> tuple:
    with duckdb.connect(str(wh), read_only=True) as c:
        return tuple(
            c.execute(f"select count(*) from raw_official.{t}").fetchone()[0] for t in ("values", "notes", "files")
        )


def test_same_bytes_twice_change_nothing(tmp_path):
    landing, wh = _landing(tmp_path), tmp_path / "w.duckdb"
    first = load_official(landing, wh)
    assert [r.status for r in first] == ["loaded", "loaded"]
    before = _counts(wh)
    second = load_official(landing, wh)
    assert [r.status for r in second] == ["unchanged", "unchanged"]
    assert _counts(wh) == before


def test_force_parses_again_without_duplicating(tmp_path):
    landing, wh = _landing(tmp_path), tmp_path / "w.duckdb"
    load_official(landing, wh)
    before = _counts(wh)
    assert [r.status for r in load_official(landing, wh, force=True)] == ["replaced", "replaced"]
    assert _counts(wh) == before


def test_changed_bytes_replace_the_file_rows(tmp_path):
    landing, wh = _landing(tmp_path), tmp_path / "w.duckdb"
    load_official(landing, wh)
    path = landing / "official/cbs/37259eng_2012-2023_NL01_PV23_GM0153.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:2]), encoding="utf-8")  # a corrected, shorter publication
    results = {r.file: r for r in load_official(landing, wh)}
    assert results["official/cbs/37259eng_2012-2023_NL01_PV23_GM0153.csv"].status == "replaced"
    with duckdb.connect(str(wh), read_only=True) as c:
        n = c.execute(
            "select count(distinct source_line) from raw_official.values where table_code = '37259eng'"
        ).fetchone()[0]
        statuses = sorted(
            r[0] for r in c.execute("select status from raw_official.files where file like '%37259eng%'").fetchall()
        )
    assert n == 1
    assert statuses == ["loaded", "superseded"]


def test_broken_file_loads_nothing_and_says_why(tmp_path):
    landing, wh = _landing(tmp_path), tmp_path / "w.duckdb"
    broken = landing / "official/genesis/12711-03-02-4_1995-2015.csv"
    text = (SRC / "genesis-classic/12711-03-02-4_1995-2015.csv").read_text(encoding="utf-8")
    broken.write_text(text.replace(";35514;", ";35.514,0x;"), encoding="utf-8")  # a corrupt cell
    truncated = landing / "official/genesis/12613-01-01-4_1995-2015.csv"
    truncated.write_text(text.split("__________")[0][:5000], encoding="utf-8")  # footer missing
    results = {r.file.rsplit("/", 1)[1]: r for r in load_official(landing, wh)}
    assert results["12711-03-02-4_1995-2015.csv"].status == "failed"
    assert "line 48" in results["12711-03-02-4_1995-2015.csv"].reason
    assert "footer" in results["12613-01-01-4_1995-2015.csv"].reason
    with duckdb.connect(str(wh), read_only=True) as c:
        assert (
            c.execute(
                "select count(*) from raw_official.values where table_code in ('12711-03-02-4', '12613-01-01-4')"
            ).fetchone()[0]
            == 0
        )
        reasons = c.execute(
            "select count(*) from raw_official.files where status = 'failed' and reason is not null"
        ).fetchone()[0]
    assert reasons == 2
    # the good files were loaded all the same
    assert results["12612-01-01-4_1995-2015.cp1252.csv"].status == "loaded"


def test_unknown_layout_and_bad_encoding_are_refused(tmp_path):
    landing, wh = _landing(tmp_path, []), tmp_path / "w.duckdb"
    d = landing / "official" / "cbs"
    d.mkdir(parents=True)
    (d / "37230ned_x.csv").write_bytes(b"foo,bar\n1,2\n")
    g = landing / "official" / "genesis"
    g.mkdir(parents=True)
    (g / "junk.csv").write_bytes(b"GENESIS-Tabelle: 1\n\x81\x8d\n")
    results = {r.file.rsplit("/", 1)[1]: r for r in load_official(landing, wh)}
    assert results["37230ned_x.csv"].status == "failed" and "unknown CBS layout" in results["37230ned_x.csv"].reason
    assert results["junk.csv"].status == "failed" and "Windows-1252" in results["junk.csv"].reason


def test_seed_landing_and_cli(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "w.duckdb"
    written = seed_landing(landing)
    assert len(written) == 49
    assert {p.parent.name for p in written} == {"genesis", "cbs", "city"}
    # byte-exact copies (BOMs, encodings)
    assert (landing / "official/genesis/12411-01-01-4_2015.cp1252.csv").read_bytes() == (
        SRC / "genesis-classic/12411-01-01-4_2015.cp1252.csv"
    ).read_bytes()
    for p in written:  # keep the CLI run small: only the CBS files
        if p.parent.name != "cbs":
            p.unlink()
    out = subprocess.run(
        [sys.executable, "-m", "ingest.official", "load", "--landing", str(landing), "--warehouse", str(wh)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "{'loaded': 2}" in out
