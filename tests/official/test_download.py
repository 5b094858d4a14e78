"""Downloads replayed from recorded responses (real ZIP bodies); no network."""

import json

import pytest
import responses
from responses import matchers

from ingest.official.download import (
    CBS_ODATA_URL,
    GENESIS_URL,
    DownloadError,
    download_cbs_table,
    download_genesis_table,
)
from ingest.official.genesis_flat import parse_flat
from warehouse.settings import official_source_dir

ZIP = official_source_dir() / "genesis-flat" / "12411-01-01-4_2024_de_flat.zip"


@responses.activate
def test_genesis_tablefile_posts_token_in_header_and_writes_the_zip(tmp_path):
    body = ZIP.read_bytes()
    responses.post(
        f"{GENESIS_URL}/data/tablefile",
        body=body,
        content_type="application/zip",
        match=[
            matchers.header_matcher({"username": "TOKEN123", "password": ""}),
            matchers.urlencoded_params_matcher(
                {"name": "12411-01-01-4", "area": "all", "format": "ffcsv", "compress": "false", "language": "de"}
            ),
        ],
    )
    path = download_genesis_table("12411-01-01-4", "TOKEN123", tmp_path)
    assert path.read_bytes() == body
    assert path.parent == tmp_path / "official" / "genesis"
    # the token never goes into the URL
    assert "TOKEN123" not in responses.calls[0].request.url
    parsed = parse_flat(path.read_bytes(), "x.zip")
    assert any(v["region_code"] == "05913" and v["sex"] == "insgesamt" and v["value"] == 603462 for v in parsed.values)


@responses.activate
def test_genesis_error_json_is_reported_and_nothing_written(tmp_path):
    responses.post(
        f"{GENESIS_URL}/data/tablefile", json={"Status": {"Code": 98, "Content": "Fehler: Anmeldung fehlgeschlagen"}}
    )
    with pytest.raises(DownloadError, match="Anmeldung"):
        download_genesis_table("12411-01-01-4", "bad", tmp_path)
    assert not (tmp_path / "official").exists()


@responses.activate
def test_genesis_http_error(tmp_path):
    responses.post(f"{GENESIS_URL}/data/tablefile", status=503)
    with pytest.raises(DownloadError, match="HTTP 503"):
        download_genesis_table("12411-01-01-4", "t", tmp_path)


def test_genesis_rejects_bad_table_codes(tmp_path):
    with pytest.raises(DownloadError):
        download_genesis_table("../etc", "t", tmp_path)


@responses.activate
def test_cbs_odata_pages_are_joined_into_one_csv(tmp_path):
    url = f"{CBS_ODATA_URL}/37230ned/TypedDataSet"
    page2 = "https://opendata.cbs.nl/ODataApi/odata/37230ned/TypedDataSet?$skiptoken=1"
    responses.get(
        url,
        json={
            "value": [
                {
                    "ID": 1,
                    "RegioS": "GM0153    ",
                    "Perioden": "2024MM01",
                    "BevolkingAanHetBeginVanDePeriode_1": 162000,
                    "VertrekNaarEenAndereGemeente_8": 650,
                }
            ],
            "odata.nextLink": page2,
        },
    )
    responses.get(
        page2,
        json={
            "value": [
                {
                    "ID": 2,
                    "RegioS": "GM0153    ",
                    "Perioden": "2024JJ00",
                    "BevolkingAanHetBeginVanDePeriode_1": 161738,
                    "VertrekNaarEenAndereGemeente_8": 8000,
                }
            ]
        },
    )
    path = download_cbs_table("37230ned", tmp_path)
    from ingest.official.cbs import parse_cbs

    parsed = parse_cbs(path.read_bytes(), "official/cbs/" + path.name)
    moves = {(v["period_type"], v["measure"]): v["value"] for v in parsed.values}
    # the old key name is resolved to the current one, the padded key trimmed, periods parsed
    assert moves[("month", "VertrekNaarAndereGemeente")] == 650
    assert moves[("year", "VertrekNaarAndereGemeente")] == 8000
    assert {v["region_code"] for v in parsed.values} == {"GM0153"}
    assert json.loads(parsed.values[0]["dims"]) == {}
