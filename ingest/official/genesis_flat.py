"""GENESIS REST API 2020 flat files ("ffcsv"): a ZIP holding `<table>_<ts>_<lang>_flat.csv`
(UTF-8 with BOM, `;`, one value per row), or that CSV on its own; plus the table's metadata
JSON (`<table>_metadata_table_<lang>.json`) which is kept as notes."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date

from ingest.official.decoding import decode
from ingest.official.records import (
    NATIONALITY_LABELS,
    ParsedFile,
    ParseError,
    basis_note,
    dims_json,
    is_rounded,
    normalise_region,
    value_row,
)
from ingest.official.symbols import ValueError_, parse_cell

REQUIRED = [
    "statistics_code",
    "time_code",
    "time",
    "value",
    "value_unit",
    "value_variable_code",
    "value_variable_label",
]
# Variables that hold the region (GENESIS Merkmal codes).
_REGION_VAR = re.compile(r"^(DINSG|DLAND|KREISE|GEMEIN|REGBEZ|GEO[A-Z]{2}\d)$")
_SEX_CODES = {"GESM": "maennlich", "GESW": "weiblich", "": "insgesamt"}
_NAT_CODES = {"NATA": "auslaendisch", "NATD": "deutsch", "": "insgesamt"}
_TABLE_FROM_NAME = re.compile(r"^(?P<table>[0-9A-Z]{5}-[0-9A-Z-]+?)_")


def is_zip(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"


def unzip_flat(data: bytes) -> tuple[str, bytes]:
    """(member name, bytes) of the single flat CSV inside an API response ZIP."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = [n for n in zf.namelist() if n.endswith(".csv")]
            if len(members) != 1:
                raise ParseError(f"ZIP holds {len(members)} CSV files, expected exactly one")
            return members[0], zf.read(members[0])
    except zipfile.BadZipFile as exc:
        raise ParseError(f"broken ZIP: {exc}") from None


def _period(time_code: str, time: str) -> tuple[str, date | None, int]:
    t = time.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
        d = date.fromisoformat(t)
        return "reference_date", d, d.year
    if re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", t):
        d = date(int(t[6:]), int(t[3:5]), int(t[:2]))
        return "reference_date", d, d.year
    if re.fullmatch(r"\d{4}", t):
        if time_code.startswith("SCHJ"):
            return "school_year", None, int(t)
        return "year", date(int(t), 12, 31), int(t)
    if re.fullmatch(r"\d{4}/\d{2}", t):  # school year 2019/20
        return "school_year", None, int(t[:4])
    raise ParseError(f"unknown time {time!r} ({time_code})")


def parse_flat(data: bytes, file: str) -> ParsedFile:
    member = file.rsplit("/", 1)[-1]
    if is_zip(data):
        member, data = unzip_flat(data)
    text, encoding = decode(data)
    m = _TABLE_FROM_NAME.match(member)
    if not m:
        raise ParseError(f"cannot read the table code from the file name {member!r}")
    table_code = m["table"]
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=";")
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ParseError(f"not a GENESIS flat file: columns {missing} missing")
    n_vars = max((int(c.split("_")[0]) for c in header if re.match(r"^\d+_variable_code$", c)), default=0)
    has_q = "value_q" in header
    values: list[dict] = []
    for lineno, rec in enumerate(reader, start=2):
        statistic = rec["statistics_code"].strip()
        region = None
        sex, nat, age = "insgesamt", "insgesamt", "insgesamt"
        dims: dict[str, str] = {}
        for k in range(1, n_vars + 1):
            var = (rec.get(f"{k}_variable_code") or "").strip()
            code = (rec.get(f"{k}_variable_attribute_code") or "").strip()
            label = (rec.get(f"{k}_variable_attribute_label") or "").strip()
            if not var:
                continue
            if _REGION_VAR.match(var):
                region = (code, label)
            elif var == "GES":
                if code not in _SEX_CODES:
                    raise ParseError(f"line {lineno}: unknown sex code {code!r}")
                sex = _SEX_CODES[code]
            elif var == "NAT":
                nat = _NAT_CODES.get(code) or NATIONALITY_LABELS.get(label.lower(), label)
            elif var.startswith("STAAG"):
                nat = f"STAAG:{code}" if code else "insgesamt"
                dims[rec.get(f"{k}_variable_label") or var] = label
            elif var.startswith("ALT"):
                age = label if code else "insgesamt"
            else:
                dims[(rec.get(f"{k}_variable_label") or var).strip()] = label or "Insgesamt"
        if region is None:
            raise ParseError(f"line {lineno}: no region variable")
        try:
            region_code, level = normalise_region(region[0])
            ptype, pdate, pyear = _period(rec["time_code"], rec["time"])
            cell = parse_cell(rec["value"], decimal_comma=True)
        except (ParseError, ValueError_) as exc:
            raise ParseError(f"line {lineno}: {exc}") from None
        flag = (rec.get("value_q") or "").strip() or None if has_q else None
        values.append(
            value_row(
                table_code=table_code,
                statistic_code=statistic,
                source="genesis-flat",
                file=file,
                source_line=lineno,
                region_code=region_code,
                region_level=level,
                region_name=region[1],
                period_type=ptype,
                period_date=pdate,
                period_year=pyear,
                measure=rec["value_variable_label"].strip(),
                measure_code=rec["value_variable_code"].strip(),
                sex=sex,
                nationality=nat,
                age_group=age,
                dims=dims_json(dims),
                value=cell.value,
                value_symbol=cell.symbol,
                missing_reason=cell.missing_reason,
                quality_flag=cell.quality_flag or flag,
                rounded=is_rounded(statistic, pyear, region_code),
                unit=rec["value_unit"].strip() or None,
                basis_note=basis_note(statistic, pyear, ptype),
            )
        )
    if not values:
        raise ParseError("flat file has a header but no values")
    notes = [
        {
            "table_code": table_code,
            "file": file,
            "note_no": 1,
            "kind": "source_line",
            "scope": None,
            "subject": "member",
            "note_text": f"ZIP member {member}",
        }
    ]
    return ParsedFile("genesis-flat", table_code, encoding, values, notes)


def parse_metadata(data: bytes, file: str) -> ParsedFile:
    """Metadata JSON of a table (POST .../metadata/table): title, time range, update, copyright."""
    text, encoding = decode(data)
    try:
        doc = json.loads(text)
        obj = doc["Object"]
        table_code = obj["Code"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ParseError(f"not a GENESIS table metadata JSON: {exc}") from None
    items = [
        ("title", obj.get("Content")),
        ("time_range", f"{(obj.get('Time') or {}).get('From')} - {(obj.get('Time') or {}).get('To')}"),
        ("updated", obj.get("Updated")),
        ("copyright", doc.get("Copyright")),
    ]
    notes = [
        {
            "table_code": table_code,
            "file": file,
            "note_no": i,
            "kind": "metadata",
            "scope": None,
            "subject": key,
            "note_text": " ".join(str(val).split()),
        }
        for i, (key, val) in enumerate(items, 1)
        if val
    ]
    return ParsedFile("genesis-metadata", table_code, encoding, [], notes, obj.get("Updated"))
