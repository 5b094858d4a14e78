"""Signed exchange packages: only a city's own key makes a package the hub takes.

Each refusal has its own test: unsigned, forged (altered after signing, or signed with a key the
alliance does not know), signed by another city's key, outside the key's quarters, a replayed
older package, a manifest whose files do not match. In every case the hub's tables are exactly
as before (table fingerprints of exchange_import)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from orchestration import exchange, signing
from orchestration.exchange import PackageRejected, export_package, import_package, verify_package
from warehouse.fingerprint import warehouse_fingerprints

from .conftest import CLEAN_CELLS, cell, make_exchange_warehouse

OCT, NOV = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)


def _print(hub: Path) -> dict:
    prints = warehouse_fingerprints(hub, schemas=("exchange_import",))
    assert prints["exchange_import.cells"]["rows"] > 0  # a print of an empty hub proves nothing
    return prints


@pytest.fixture
def hub(tmp_path, exchange_warehouse) -> Path:
    """A hub that holds Dortmund's 2026-Q2 package already."""
    wh = make_exchange_warehouse(tmp_path / "q2.duckdb", cells=CLEAN_CELLS + [cell(period="2026-Q2", numerator=7)])
    hub = tmp_path / "hub.duckdb"
    assert import_package(export_package("dortmund", "2026-Q2", tmp_path / "q2", wh, created_at=OCT), hub)["rows"]
    return hub


@pytest.fixture
def package(tmp_path, exchange_warehouse) -> Path:
    return export_package("dortmund", "2026-Q3", tmp_path / "out", exchange_warehouse, created_at=NOV)


def _refused(package: Path, hub: Path, reason: str) -> None:
    before = _print(hub)
    with pytest.raises(PackageRejected, match=reason):
        import_package(package, hub)
    assert warehouse_fingerprints(hub, schemas=("exchange_import",)) == before


def test_export_signs_the_manifest_bytes(package, signing_keys):
    claim = json.loads((package / "manifest.sig").read_text())
    key = {k.city: k for k in signing.load_keyring()}["dortmund"]
    assert claim["algorithm"] == "ed25519" and claim["city"] == "dortmund" and claim["key_id"] == key.key_id
    assert verify_package(package).key_id == key.key_id
    # the signature is over the manifest as written: one changed byte and it no longer verifies
    raw = (package / "manifest.json").read_bytes()
    signer = signing.verify_signature(raw, package / "manifest.sig", "dortmund", "2026-Q3")
    assert signer.city == "dortmund"
    with pytest.raises(signing.SignatureRejected, match="forged or altered"):
        signing.verify_signature(raw + b" ", package / "manifest.sig", "dortmund", "2026-Q3")


def test_signed_package_is_imported(package, hub):
    assert import_package(package, hub)["status"] == "imported"


def test_unsigned_package_refused(package, hub):
    (package / "manifest.sig").unlink()
    _refused(package, hub, "unsigned package: no manifest.sig")


def test_garbage_signature_file_refused(package, hub):
    (package / "manifest.sig").write_text("not a signature")
    _refused(package, hub, "unsigned package: manifest.sig is not a signature")


def test_manifest_altered_after_signing_refused(package, hub):
    """A forger changes the manifest (here: a later created_at to win over the hub's copy)."""
    manifest = json.loads((package / "manifest.json").read_text())
    manifest["created_at"] = datetime(2027, 1, 1, tzinfo=UTC).isoformat()
    (package / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
    _refused(package, hub, "forged or altered package")


def test_package_signed_with_unknown_key_refused(package, hub):
    """Someone who can drop a folder into the inbox signs with a key of their own."""
    intruder = signing.Ed25519PrivateKey.generate()
    signing.sign_package(package, "dortmund", intruder)
    _refused(package, hub, "forged or altered package.*does not verify")


def test_package_signed_by_another_citys_key_refused(package, hub):
    """Duisburg (a member, its key in the keyring) signs numbers in Dortmund's name."""
    signing.sign_package(package, "dortmund", signing.load_private_key("duisburg"))
    _refused(package, hub, "signed by another city's key: the manifest says dortmund.*key of duisburg")


def test_city_changed_in_a_signed_manifest_refused(tmp_path, hub):
    """Duisburg's genuine package relabelled as Dortmund's and signed by Duisburg: refused as
    another city's signature; left unsigned after the relabel: refused as altered."""
    wh = make_exchange_warehouse(tmp_path / "du.duckdb", cells=[dict(r, city="duisburg") for r in CLEAN_CELLS])
    pkg = export_package("duisburg", "2026-Q3", tmp_path / "du", wh)
    text = (pkg / "manifest.json").read_text().replace('"city": "duisburg"', '"city": "dortmund"')
    (pkg / "manifest.json").write_text(text)
    _refused(pkg, hub, "forged or altered package")
    signing.sign_package(pkg, "duisburg", signing.load_private_key("duisburg"))
    _refused(pkg, hub, "signed by another city's key")


def test_quarter_outside_the_keys_validity_refused(package, hub, signing_keys, tmp_path, monkeypatch):
    """Dortmund's key was rotated: the keyring's key is valid from 2027-Q1 only, so a 2026-Q3
    package signed with it is refused (and so is one signed with the replaced key)."""
    keyring = tmp_path / "keyring"
    keyring.mkdir()
    for p in signing_keys[1].glob("*.pub.json"):
        (keyring / p.name).write_text(p.read_text())
    entry = json.loads((keyring / "dortmund.pub.json").read_text())
    entry["valid_from"] = "2027-Q1"
    (keyring / "dortmund.pub.json").write_text(json.dumps(entry))
    monkeypatch.setenv("EXCHANGE_KEYRING_DIR", str(keyring))
    _refused(package, hub, "valid for 2027-Q1 .. open, not for the package's quarter 2026-Q3")


def test_replayed_older_package_refused(tmp_path, exchange_warehouse, hub):
    """An old, genuinely signed package of a quarter the hub holds in a newer version."""
    old = export_package("dortmund", "2026-Q3", tmp_path / "a", exchange_warehouse, created_at=OCT)
    new = export_package("dortmund", "2026-Q3", tmp_path / "b", exchange_warehouse, created_at=NOV)
    assert verify_package(old).manifest["created_at"] < verify_package(new).manifest["created_at"]
    import_package(new, hub)
    _refused(old, hub, "replayed older package: dortmund_2026-Q3_20261001.*dortmund 2026-Q3")


def test_signed_manifest_whose_file_was_swapped_refused(package, hub):
    """The signature is genuine, but a file is not the one it lists (checksum)."""
    path = package / "cells.parquet"
    frame = pl.read_parquet(path).with_columns((pl.col("numerator") + 10).alias("numerator"))
    frame.write_parquet(path)
    _refused(package, hub, "cells.parquet: checksum mismatch")


def test_signed_manifest_with_a_file_missing_or_extra_refused(package, hub):
    (package / "retention_curves.parquet").unlink()
    _refused(package, hub, "files on disk .* differ from the manifest")
    (package / "persons.parquet").write_bytes(b"PAR1")
    _refused(package, hub, "files on disk .* differ from the manifest")


def test_cli_prints_the_refusal(package, hub, capsys):
    (package / "manifest.sig").unlink()
    assert exchange.main(["import", str(package), "--warehouse", str(hub)]) == 2
    assert "REJECTED: dortmund 2026-Q3: unsigned package" in capsys.readouterr().err


def test_export_without_a_key_writes_nothing(tmp_path, exchange_warehouse, monkeypatch):
    monkeypatch.setenv("EXCHANGE_SIGNING_KEY_DIR", str(tmp_path / "no_keys"))
    with pytest.raises(signing.SigningError, match="no signing key of dortmund.*keygen --city dortmund"):
        export_package("dortmund", "2026-Q3", tmp_path / "out", exchange_warehouse)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_keygen_command(tmp_path, capsys):
    keys, ring = tmp_path / "keys", tmp_path / "ring"
    args = ["keygen", "--city", "solingen", "--key-dir", str(keys), "--keyring", str(ring)]
    assert signing.main(args) == 0
    private = keys / "solingen.ed25519.pem"
    assert private.stat().st_mode & 0o077 == 0  # readable by its owner only
    entry = json.loads((ring / "solingen.pub.json").read_text())
    assert entry["city"] == "solingen" and "PRIVATE" not in (ring / "solingen.pub.json").read_text()
    loaded = signing.load_keyring([ring])
    assert [k.key_id for k in loaded] == [signing.key_id(signing.load_private_key("solingen", keys).public_key())]
    assert signing.main(args) == 2  # never replaces a key silently
    assert "exists already" in capsys.readouterr().err


def test_malformed_keyring_file_is_an_error(tmp_path):
    (tmp_path / "dortmund.pub.json").write_text(json.dumps({"city": "dortmund", "algorithm": "ed25519"}))
    with pytest.raises(signing.SigningError, match="unusable"):
        signing.load_keyring([tmp_path])
