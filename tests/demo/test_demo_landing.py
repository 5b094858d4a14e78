"""The demo refuses a landing folder holding anything it did not write (.demo_files.json)."""

from __future__ import annotations

import pytest

from ingest.demo.generate import generate
from ingest.demo.manifest import MANIFEST, ForeignLandingError, foreign_files, recorded

SMALL = dict(scale=0.002, cities=["muenster"], start="2024-01", end="2024-03", sources=["gebiete", "bestand"])


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_the_demo_records_what_it_wrote_and_may_write_again(tmp_path):
    landing = tmp_path / "landing"
    generate(landing=landing, truth=tmp_path / "truth", progress=lambda *_: None, **SMALL)
    own = recorded(landing)
    assert own and set(own) == set(_files(landing)) - {MANIFEST}
    assert foreign_files(landing) == []
    generate(landing=landing, truth=tmp_path / "truth", overwrite=True, progress=lambda *_: None, **SMALL)
    assert foreign_files(landing) == []


def test_a_file_the_demo_did_not_write_is_refused_and_nothing_is_touched(tmp_path):
    landing = tmp_path / "landing"
    generate(landing=landing, truth=tmp_path / "truth", progress=lambda *_: None, **SMALL)
    real = landing / "muenster" / "meldewesen" / "2024-05.parquet"
    real.parent.mkdir(parents=True, exist_ok=True)
    real.write_bytes(b"a real delivery")
    before = {p: p.stat().st_mtime_ns for p in landing.rglob("*") if p.is_file()}
    with pytest.raises(ForeignLandingError, match="muenster/meldewesen/2024-05.parquet") as exc:
        generate(landing=landing, truth=tmp_path / "truth", overwrite=True, progress=lambda *_: None, **SMALL)
    assert "LANDING_DIR" in str(exc.value)
    assert {p: p.stat().st_mtime_ns for p in landing.rglob("*") if p.is_file()} == before


def test_a_changed_demo_file_counts_as_foreign(tmp_path):
    landing = tmp_path / "landing"
    generate(landing=landing, truth=tmp_path / "truth", progress=lambda *_: None, **SMALL)
    victim = next(p for p in sorted(landing.rglob("*.parquet")))
    victim.write_bytes(victim.read_bytes() + b"x")
    assert foreign_files(landing) == [victim.relative_to(landing).as_posix()]


def test_a_real_landing_without_manifest_is_refused(examples_landing, tmp_path):
    before = _files(examples_landing)
    with pytest.raises(ForeignLandingError, match=f"{len(before)} file"):
        generate(landing=examples_landing, truth=tmp_path / "truth", overwrite=True, progress=lambda *_: None, **SMALL)
    assert _files(examples_landing) == before


def test_make_demo_refuses_a_real_landing_before_any_work(examples_landing, monkeypatch, capsys):
    from orchestration import demo

    monkeypatch.setenv("LANDING_DIR", str(examples_landing))
    before = _files(examples_landing)
    assert demo.main(["--scale", "0.002"]) == 2
    err = capsys.readouterr().err
    assert "refuses the landing folder" in err and str(examples_landing) in err
    assert _files(examples_landing) == before
