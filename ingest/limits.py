"""Limits of one delivery (file size, records, field length, decompressed size, time) and the
checks that enforce them before a file is parsed, so a hostile or broken file costs at most
its own quarantine: never the memory, the time or the night of the whole run.

The numbers live in `ingest/limits.yaml` (or the file named by INGEST_LIMITS_FILE); see there
for why they are as they are. Every check raises `DeliveryError` with the limit in the reason.
"""

from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from ingest.errors import DeliveryError

LIMITS_FILE = Path(__file__).with_name("limits.yaml")
BOMB_MEMBER_BYTES = 10 << 20  # the ratio limit applies to members larger than this (small ones cannot hurt)


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_rows: int
    max_field_bytes: int
    max_uncompressed_bytes: int
    max_compression_ratio: float
    timeout_seconds: float
    replacement_min_ratio: float
    replacement_min_basis: int


def limits_file() -> Path:
    value = os.environ.get("INGEST_LIMITS_FILE")
    return Path(value).expanduser() if value else LIMITS_FILE


@lru_cache(maxsize=8)
def _settings(path: str, mtime_ns: int) -> dict:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(data.get("default"), dict):
        raise ValueError(f"{path}: a mapping `default:` of limits is required")
    return data


def limits_for(city: str, table: str) -> Limits:
    """The limits of one (city, raw table): default < table < city default < city table."""
    path = limits_file()
    data = _settings(str(path), path.stat().st_mtime_ns)
    city_part = (data.get("cities") or {}).get(city) or {}
    merged: dict = {}
    for part in (
        data["default"],
        (data.get("tables") or {}).get(table),
        city_part.get("default"),
        city_part.get(table),
    ):
        merged.update(part or {})
    fields = Limits.__dataclass_fields__
    unknown = set(merged) - set(fields)
    if unknown:
        raise ValueError(f"{path}: unknown limit(s) {sorted(unknown)}")
    missing = set(fields) - set(merged)
    if missing:
        raise ValueError(f"{path}: limit(s) {sorted(missing)} missing under default:")
    return Limits(**{k: (int(v) if fields[k].type == "int" else float(v)) for k, v in merged.items()})


def batch_rows(default: int) -> int:
    """Rows held in a write batch (INGEST_BATCH_ROWS; the chaos trials use small batches to get
    many commit points)."""
    value = os.environ.get("INGEST_BATCH_ROWS")
    return int(value) if value else default


def _mib(n: float) -> str:
    return f"{n / (1 << 20):,.1f} MiB"


def check_file_size(size: int, lim: Limits) -> None:
    if size > lim.max_file_bytes:
        raise DeliveryError(f"file too large: {_mib(size)} > limit {_mib(lim.max_file_bytes)} (max_file_bytes)")


def check_row_count(rows: int, lim: Limits) -> None:
    if rows > lim.max_rows:
        raise DeliveryError(f"too many records: {rows:,} > limit {lim.max_rows:,} (max_rows)")


def check_text_lines(data: bytes, lim: Limits) -> None:
    """Records of a text file bounded before parsing (a line per record, plus the header)."""
    lines = data.count(b"\n")
    if lines > lim.max_rows + 2:
        check_row_count(lines - 1, lim)


def check_zip(data: bytes, lim: Limits) -> None:
    """An xlsx is a zip: its members' declared sizes must stay inside the limits, and the
    declared sizes must be the real ones (inflated here with a bound, so a forged header
    cannot make the workbook reader expand gigabytes)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise DeliveryError(f"not a readable xlsx workbook (zip): {exc}") from None
    total = sum(m.file_size for m in members)
    if total > lim.max_uncompressed_bytes:
        raise DeliveryError(
            f"workbook expands to {_mib(total)} > limit {_mib(lim.max_uncompressed_bytes)} (max_uncompressed_bytes)"
        )
    for m in members:
        if m.file_size > BOMB_MEMBER_BYTES and m.file_size > lim.max_compression_ratio * max(m.compress_size, 1):
            raise DeliveryError(
                f"zip member {m.filename!r} expands {m.file_size / max(m.compress_size, 1):,.0f}-fold "
                f"(> {lim.max_compression_ratio:,.0f}, max_compression_ratio): decompression bomb?"
            )
    # deflate expands at most ~1032-fold: only a file that could exceed the limit is inflated
    if len(data) * 1032 <= lim.max_uncompressed_bytes:
        return
    try:
        for m in members:
            with archive.open(m) as fh:  # zipfile stops at the declared size and checks the CRC
                while fh.read(8 << 20):
                    pass
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise DeliveryError(f"not a readable xlsx workbook (zip member): {exc}") from None
