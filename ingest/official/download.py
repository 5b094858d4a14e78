"""Download official tables into the landing layout (network only here; tests replay recorded bodies).

GENESIS REST API 2020: `POST <base>/data/tablefile` with the credentials in request headers
(`username` = API token, `password` empty; GET with credentials in the URL was switched off in
July 2025), form fields `name`, `area`, `format=ffcsv`, `language`. The response is the ZIP of
the flat file; an error comes back as JSON with a `Status`.
CBS OData v3: `GET https://opendata.cbs.nl/ODataApi/odata/<table>/TypedDataSet` (JSON, paged via
`odata.nextLink`), written as CSV with the typed keys, i.e. the shape `cbs.parse_cbs` reads.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path

import requests

GENESIS_URL = "https://www-genesis.destatis.de/genesisWS/rest/2020"
REGIONALSTATISTIK_URL = "https://www.regionalstatistik.de/genesisws/rest/2020"
CBS_ODATA_URL = "https://opendata.cbs.nl/ODataApi/odata"
TIMEOUT = 120


class DownloadError(RuntimeError):
    pass


def _atomic_write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)  # a half-written file never appears under its final name
    return path


def download_genesis_table(
    table: str,
    token: str,
    landing: Path,
    *,
    base_url: str = GENESIS_URL,
    language: str = "de",
    session: requests.Session | None = None,
    **params: str,
) -> Path:
    """Fetch one table as flat ZIP into landing/official/genesis/<table>_<date>_<lang>_flat.zip."""
    if not re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z-]+", table):
        raise DownloadError(f"not a GENESIS table code: {table!r}")
    http = session or requests.Session()
    resp = http.post(
        f"{base_url}/data/tablefile",
        headers={"username": token, "password": "", "Content-Type": "application/x-www-form-urlencoded"},
        data={"name": table, "area": "all", "format": "ffcsv", "compress": "false", "language": language, **params},
        timeout=TIMEOUT,
    )
    if resp.status_code != 200:
        raise DownloadError(f"GENESIS {table}: HTTP {resp.status_code}")
    body = resp.content
    if body[:4] != b"PK\x03\x04":
        try:
            status = json.loads(body.decode("utf-8")).get("Status", {})
            msg = f"{status.get('Code')} {status.get('Content')}"
        except ValueError:
            msg = body[:200].decode("utf-8", "replace")
        raise DownloadError(f"GENESIS {table}: no ZIP in the response ({msg})")
    stamp = datetime.now().strftime("%Y%m%d")
    return _atomic_write(landing / "official" / "genesis" / f"{table}_{stamp}_{language}_flat.zip", body)


def download_cbs_table(
    table: str,
    landing: Path,
    *,
    odata_filter: str | None = None,
    base_url: str = CBS_ODATA_URL,
    session: requests.Session | None = None,
) -> Path:
    """Fetch a CBS TypedDataSet (all pages) and write it as CSV into landing/official/cbs/."""
    if not re.fullmatch(r"\d{5}[a-z]{3}", table, re.I):
        raise DownloadError(f"not a CBS table id: {table!r}")
    http = session or requests.Session()
    url = f"{base_url}/{table}/TypedDataSet"
    params = {"$format": "json"}
    if odata_filter:
        params["$filter"] = odata_filter
    rows: list[dict] = []
    while url:
        resp = http.get(url, params=params, timeout=TIMEOUT)
        if resp.status_code != 200:
            raise DownloadError(f"CBS {table}: HTTP {resp.status_code}")
        doc = resp.json()
        rows += doc.get("value", [])
        url, params = doc.get("odata.nextLink"), None
    if not rows:
        raise DownloadError(f"CBS {table}: no rows")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    stamp = datetime.now().strftime("%Y%m%d")
    return _atomic_write(landing / "official" / "cbs" / f"{table}_{stamp}.csv", buf.getvalue().encode("utf-8"))
