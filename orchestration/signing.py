"""Signatures of exchange packages: only a city can publish numbers in its own name.

Each city has one Ed25519 key pair (the `cryptography` package). The exporter signs the exact
bytes of a package's `manifest.json` (which holds the SHA-256 of every file, so the signature
covers the whole package) and writes `manifest.sig` beside it. The hub verifies the signature
against the alliance keyring and refuses a package that is unsigned, whose signature matches
no key of the keyring (forged, or changed after signing), that was signed by another city's
key, or whose quarter lies outside the signing key's validity.

Where the keys live (warehouse/settings.py):
- private key: `EXCHANGE_SIGNING_KEY_DIR/<city>.ed25519.pem` (PKCS#8 PEM, file mode 0600),
  outside the repository (default ~/.migration-warehouse/signing_keys). Only the city's
  exporting machine holds it.
- public keys: the alliance keyring, one file per city, `<city>.pub.json`, in the folder
  `keyring/` beside the city configuration (ingest/cities/keyring and `keyring/` in every
  CITY_CONFIG_DIR folder), or in EXCHANGE_KEYRING_DIR (os.pathsep-separated folders) if set.
  A keyring file holds the city, the public key (raw 32 bytes, base64), its key id and the
  quarters it is valid for (`valid_from`, `valid_until`, either may be null = open).

    python -m orchestration.signing keygen --city dortmund            # key pair of a city
    python -m orchestration.signing keygen --city dortmund --valid-from 2027-Q1 --force  # rotate
    python -m orchestration.signing show                               # the keyring as read

Plain functions, no Dagster import.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from warehouse.settings import exchange_keyring_dirs, exchange_signing_key_dir

SIGNATURE = "manifest.sig"
ALGORITHM = "ed25519"
KEYRING_SUFFIX = ".pub.json"
PRIVATE_SUFFIX = ".ed25519.pem"
_QUARTER = re.compile(r"^\d{4}-Q[1-4]$")
_CITY = re.compile(r"^[a-z0-9_]+$")


class SigningError(ValueError):
    """No usable signing key (the export cannot sign); the message says what to do."""


class SignatureRejected(Exception):
    """A package's signature does not prove that its city made it; the message says why."""


@dataclass(frozen=True)
class PublicKey:
    city: str
    key_id: str
    key: Ed25519PublicKey
    valid_from: str | None
    valid_until: str | None
    source: Path

    def covers(self, quarter: str) -> bool:
        # quarters as YYYY-Qn compare correctly as text
        return (self.valid_from is None or quarter >= self.valid_from) and (
            self.valid_until is None or quarter <= self.valid_until
        )

    def validity(self) -> str:
        return f"{self.valid_from or 'open'} .. {self.valid_until or 'open'}"


def key_id(public: Ed25519PublicKey) -> str:
    """First 16 hex digits of the SHA-256 of the raw public key: names a key in logs and files."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def private_key_path(city: str, key_dir: Path | None = None) -> Path:
    return Path(key_dir or exchange_signing_key_dir()) / f"{city}{PRIVATE_SUFFIX}"


def _check_city(city: str) -> None:
    if not _CITY.match(city):
        raise ValueError(f"city id must be lower-case letters, digits or _, got {city!r}")


def _check_quarter(name: str, quarter: str | None) -> None:
    if quarter is not None and not _QUARTER.match(quarter):
        raise ValueError(f"{name} must look like 2026-Q3, got {quarter!r}")


# --- key pairs ------------------------------------------------------------------------------


def keygen(
    city: str,
    key_dir: Path | None = None,
    keyring_dir: Path | None = None,
    *,
    valid_from: str | None = None,
    valid_until: str | None = None,
    force: bool = False,
) -> tuple[Path, Path]:
    """Create a city's key pair: the private key into `key_dir` (mode 0600), its public key as
    `<city>.pub.json` into `keyring_dir` (default: the first keyring folder). Refuses to replace
    an existing private key unless `force` (a new key invalidates what the hub knows)."""
    _check_city(city)
    _check_quarter("valid_from", valid_from)
    _check_quarter("valid_until", valid_until)
    private_path = private_key_path(city, key_dir)
    keyring_dir = Path(keyring_dir or exchange_keyring_dirs()[0])
    if private_path.exists() and not force:
        raise SigningError(f"{private_path} exists already (use --force to replace the key of {city})")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    private_path.parent.mkdir(parents=True, exist_ok=True)
    private_path.parent.chmod(0o700)
    tmp = private_path.with_name(f".{private_path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.replace(tmp, private_path)
    public = private.public_key()
    entry = {
        "city": city,
        "algorithm": ALGORITHM,
        "public_key": base64.b64encode(
            public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        ).decode(),
        "key_id": key_id(public),
        "valid_from": valid_from,
        "valid_until": valid_until,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    keyring_dir.mkdir(parents=True, exist_ok=True)
    public_path = keyring_dir / f"{city}{KEYRING_SUFFIX}"
    public_path.write_text(json.dumps(entry, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return private_path, public_path


def ensure_keys(cities, key_dir: Path, keyring_dir: Path) -> list[str]:
    """Key pairs for every city of `cities` that has none in `key_dir` yet (demo and tests);
    returns the cities that got a new one."""
    made = []
    for city in cities:
        if not (private_key_path(city, key_dir).exists() and (Path(keyring_dir) / f"{city}{KEYRING_SUFFIX}").exists()):
            keygen(city, key_dir, keyring_dir, force=True)
            made.append(city)
    return made


def load_private_key(city: str, key_dir: Path | None = None) -> Ed25519PrivateKey:
    path = private_key_path(city, key_dir)
    if not path.is_file():
        raise SigningError(
            f"no signing key of {city} at {path}: create one with "
            f"`python -m orchestration.signing keygen --city {city}` (EXCHANGE_SIGNING_KEY_DIR) and give "
            f"the alliance hub its public key"
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise SigningError(f"{path}: not an unencrypted PEM private key ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path}: not an Ed25519 key")
    return key


# --- keyring --------------------------------------------------------------------------------


def load_keyring(dirs: list[Path] | None = None) -> list[PublicKey]:
    """Every public key of the keyring folders (a later folder's file of a city replaces an
    earlier one's, as city configurations do). A malformed file is an error, not a missing key."""
    by_city: dict[str, PublicKey] = {}
    for folder in dirs if dirs is not None else exchange_keyring_dirs():
        folder = Path(folder)
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob(f"*{KEYRING_SUFFIX}")):
            try:
                entry = json.loads(path.read_text(encoding="utf-8"))
                if entry.get("algorithm") != ALGORITHM:
                    raise ValueError(f"algorithm {entry.get('algorithm')!r}, expected {ALGORITHM}")
                public = Ed25519PublicKey.from_public_bytes(base64.b64decode(entry["public_key"], validate=True))
                city = entry["city"]
                _check_city(city)
                _check_quarter("valid_from", entry.get("valid_from"))
                _check_quarter("valid_until", entry.get("valid_until"))
            except (ValueError, KeyError, TypeError) as exc:
                raise SigningError(f"keyring file {path} unusable: {exc}") from exc
            if path.name != f"{city}{KEYRING_SUFFIX}":
                raise SigningError(f"keyring file {path} holds the key of {city!r}: name it {city}{KEYRING_SUFFIX}")
            if entry.get("key_id") not in (None, key_id(public)):
                raise SigningError(f"keyring file {path}: key_id {entry['key_id']} does not match its key")
            by_city[city] = PublicKey(
                city, key_id(public), public, entry.get("valid_from"), entry.get("valid_until"), path
            )
    return list(by_city.values())


# --- signing and verification ---------------------------------------------------------------


def sign_manifest(manifest_bytes: bytes, city: str, private: Ed25519PrivateKey) -> bytes:
    """The content of `manifest.sig` for these manifest bytes."""
    signature = private.sign(manifest_bytes)
    return (
        json.dumps(
            {
                "algorithm": ALGORITHM,
                "city": city,
                "key_id": key_id(private.public_key()),
                "signed": "manifest.json (exact bytes)",
                "signature": base64.b64encode(signature).decode(),
            },
            indent=2,
            sort_keys=True,
        )
        + "\n"
    ).encode()


def sign_package(
    package_dir: Path, city: str, private: Ed25519PrivateKey, manifest_name: str = "manifest.json"
) -> Path:
    package_dir = Path(package_dir)
    path = package_dir / SIGNATURE
    path.write_bytes(sign_manifest((package_dir / manifest_name).read_bytes(), city, private))
    return path


def verify_signature(manifest_bytes: bytes, signature_file: Path, city: str, quarter: str, keyring=None) -> PublicKey:
    """The keyring key that signed these manifest bytes, if it is `city`'s and covers `quarter`;
    else SignatureRejected. Every key of the keyring is tried, whatever the signature file
    claims, so a package signed by another member is named as such and not as a mere forgery."""
    signature_file = Path(signature_file)
    if not signature_file.is_file():
        raise SignatureRejected(
            f"unsigned package: no {SIGNATURE} (the hub takes only packages signed by their city's key)"
        )
    try:
        claim = json.loads(signature_file.read_text(encoding="utf-8"))
        if claim.get("algorithm") != ALGORITHM:
            raise ValueError(f"algorithm {claim.get('algorithm')!r}, expected {ALGORITHM}")
        signature = base64.b64decode(claim["signature"], validate=True)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise SignatureRejected(f"unsigned package: {SIGNATURE} is not a signature ({exc})") from exc
    keys = load_keyring() if keyring is None else keyring
    signer = None
    for candidate in keys:
        try:
            candidate.key.verify(signature, manifest_bytes)
        except InvalidSignature:
            continue
        signer = candidate
        break
    if signer is None:
        known = (
            "a key of" if any(k.city == city for k in keys) else "any key of (and there is no key of " + city + " in)"
        )
        raise SignatureRejected(
            f"forged or altered package: the signature of manifest.json does not verify with {known} "
            f"the alliance keyring (changed after signing, or signed with a key the alliance does not know)"
        )
    if signer.city != city:
        raise SignatureRejected(
            f"signed by another city's key: the manifest says {city}, the signature is by the key of "
            f"{signer.city} ({signer.key_id}); a city signs only its own packages"
        )
    if not signer.covers(quarter):
        raise SignatureRejected(
            f"the key of {city} ({signer.key_id}) is valid for {signer.validity()}, not for the package's quarter {quarter}"
        )
    return signer


# --- command line ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.signing", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("keygen", help="create a city's signing key pair")
    gen.add_argument("--city", required=True)
    gen.add_argument("--key-dir", type=Path, default=None, help="default EXCHANGE_SIGNING_KEY_DIR")
    gen.add_argument("--keyring", type=Path, default=None, help="default: the first keyring folder")
    gen.add_argument("--valid-from", default=None, help="first quarter the key signs (YYYY-Qn)")
    gen.add_argument("--valid-until", default=None, help="last quarter the key signs (YYYY-Qn)")
    gen.add_argument("--force", action="store_true", help="replace an existing key")
    sub.add_parser("show", help="list the keyring as the hub reads it")
    args = parser.parse_args(argv)
    try:
        if args.command == "keygen":
            private, public = keygen(
                args.city,
                args.key_dir,
                args.keyring,
                valid_from=args.valid_from,
                valid_until=args.valid_until,
                force=args.force,
            )
            print(f"private key (keep it secret, never in the repository): {private}")
            print(f"public key (hand it to the alliance keyring): {public}")
        else:
            for k in sorted(load_keyring(), key=lambda k: k.city):
                print(f"{k.city}: {k.key_id} valid {k.validity()} ({k.source})")
    except (SigningError, ValueError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
