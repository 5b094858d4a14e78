"""District geometry (spec 3.8): GeoJSON in EPSG:4326/25832/28992 reprojected to EPSG:3035 and
validated; every listed problem is the file's quarantine with its reason; `_vN` replaces; a
geometry delivery never changes the district reference."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
import shapely
from pyproj import Transformer

from ingest.errors import DeliveryError
from ingest.geometry import read_geometry
from ingest.load import load_landing

GEBIETE_CSV = (
    "bezirk_code;bezirk_name;ebene;uebergeordnet_code;gueltig_ab;gueltig_bis;flaeche_ha\n"
    "01;Nord;stadtbezirk;;2000-01-01;;400\n"
    "02;Sued;stadtbezirk;;2000-01-01;2023-12-31;400\n"
    "03;Sued-West;stadtbezirk;;2024-01-01;;200\n"
    "04;Sued-Ost;stadtbezirk;;2024-01-01;;200\n"
)
REFERENCE = pl.DataFrame(
    {
        "bezirk_code": ["01", "02", "03", "04"],
        "ebene": ["stadtbezirk"] * 4,
        "gueltig_ab": [date(2000, 1, 1), date(2000, 1, 1), date(2024, 1, 1), date(2024, 1, 1)],
        "gueltig_bis": [None, date(2023, 12, 31), None, None],
    }
)
# Wuppertal in ETRS89 / UTM 32N: four boxes of 2 km x 2 km (400 ha) and two halves
X0, Y0 = 370_000.0, 5_680_000.0


def box(x, y, w, h):
    return [[[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]]


def feature(code, coords, ab="2000-01-01", bis="", kind="Polygon", ebene="stadtbezirk"):
    props = {"bezirk_code": code, "ebene": ebene, "gueltig_ab": ab, "gueltig_bis": bis, "bezirk_name": "x"}
    return {"type": "Feature", "properties": props, "geometry": {"type": kind, "coordinates": coords}}


def collection(features, crs="urn:ogc:def:crs:EPSG::25832"):
    doc = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    return doc


def good_features():
    return [
        feature("01", box(X0, Y0 + 2000, 2000, 2000)),
        feature("02", box(X0, Y0, 2000, 2000), bis="2023-12-31"),
        feature("03", box(X0, Y0, 1000, 2000), ab="2024-01-01"),
        feature("04", box(X0 + 1000, Y0, 1000, 2000), ab="2024-01-01"),
    ]


def read(doc) -> pl.DataFrame:
    return read_geometry(json.dumps(doc).encode(), REFERENCE)


def test_a_good_delivery_in_utm_is_reprojected_to_laea_with_its_areas():
    frame = read(collection(good_features()))
    assert frame["bezirk_code"].to_list() == ["01", "02", "03", "04"]
    assert frame["source_crs"].unique().to_list() == ["EPSG:25832"]
    assert frame["area_ha"].to_list() == pytest.approx([400, 400, 200, 200], rel=2e-3)  # UTM scale vs equal-area
    # the first corner lands where pyproj puts it in EPSG:3035
    geom = shapely.from_wkb(frame["geometry_wkb"][0])
    x, y = Transformer.from_crs("EPSG:25832", "EPSG:3035", always_xy=True).transform(X0, Y0 + 2000)
    assert min(abs(cx - x) + abs(cy - y) for cx, cy in geom.exterior.coords) < 0.01
    assert frame["gueltig_bis"].to_list() == [None, date(2023, 12, 31), None, None]


@pytest.mark.parametrize("crs", ["EPSG:4326", "EPSG:28992"])
def test_the_same_shapes_in_wgs84_and_rd_new_give_the_same_geometry(crs):
    to = Transformer.from_crs("EPSG:25832", crs, always_xy=True)

    def moved(f):
        ring = [list(to.transform(x, y)) for x, y in f["geometry"]["coordinates"][0]]
        return {**f, "geometry": {"type": "Polygon", "coordinates": [ring]}}

    name = None if crs == "EPSG:4326" else "urn:ogc:def:crs:EPSG::28992"
    frame = read(collection([moved(f) for f in good_features()], crs=name))
    utm = read(collection(good_features()))
    assert frame["source_crs"][0] == crs
    for a, b in zip(frame["geometry_wkb"], utm["geometry_wkb"]):
        assert shapely.hausdorff_distance(shapely.from_wkb(a), shapely.from_wkb(b)) < 2.0  # metres


def _with(i, **changes):
    fs = good_features()
    fs[i] = {**fs[i], **changes}
    return fs


BOWTIE = [[[X0, Y0], [X0 + 2000, Y0 + 2000], [X0 + 2000, Y0], [X0, Y0 + 2000], [X0, Y0]]]
OPEN_RING = [[[X0, Y0], [X0 + 2000, Y0], [X0 + 2000, Y0 + 2000], [X0, Y0 + 2000], [X0, Y0 + 10]]]

BAD = {
    "unknown code": (
        good_features() + [feature("99", box(X0 + 5000, Y0, 100, 100))],
        "district code 99 is not in the gebiete file",
    ),
    "district without geometry": (good_features()[:3], "districts of the gebiete file without geometry: 04"),
    "ring not closed": (_with(0, geometry={"type": "Polygon", "coordinates": OPEN_RING}), "ring not closed"),
    "self-intersecting": (
        _with(0, geometry={"type": "Polygon", "coordinates": BOWTIE}),
        "self-intersecting polygon",
    ),
    "not a polygon": (
        _with(0, geometry={"type": "LineString", "coordinates": [[X0, Y0], [X0 + 1, Y0]]}),
        "geometry must be a Polygon or MultiPolygon, not LineString",
    ),
    "level differs": (
        _with(0, properties={**good_features()[0]["properties"], "ebene": "ortsteil"}),
        "district 01 is ebene stadtbezirk in the gebiete file, not ortsteil",
    ),
    "two geometries for one period": (
        good_features() + [feature("01", box(X0, Y0 + 4000, 10, 10), ab="2010-01-01")],
        "district 01 has two geometries for one period",
    ),
    "outside the code's validity": (
        _with(2, properties={**good_features()[2]["properties"], "gueltig_ab": "2019-01-01"}),
        "feature 03 valid 2019-01-01.. lies outside the code's validity",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_every_listed_problem_is_an_error_with_its_reason(case):
    features, message = BAD[case]
    with pytest.raises(DeliveryError, match=message.replace("(", r"\(").replace(".", r"\.")):
        read(collection(features))


@pytest.mark.parametrize(
    "doc, message",
    [
        (b"not json", "not a GeoJSON file"),
        (json.dumps({"type": "Feature"}).encode(), "not a GeoJSON FeatureCollection"),
        (
            json.dumps(collection(good_features(), crs="EPSG:3857")).encode(),
            "coordinate system 'EPSG:3857' is not accepted",
        ),
        # UTM coordinates without a crs member read as longitude/latitude
        (json.dumps(collection(good_features(), crs=None)).encode(), "lie outside EPSG:4326"),
    ],
)
def test_file_level_problems(doc, message):
    with pytest.raises(DeliveryError, match=message):
        read_geometry(doc, REFERENCE)


def test_the_feature_number_is_the_line_of_the_message():
    with pytest.raises(DeliveryError) as exc:
        read(collection(_with(2, geometry={"type": "Polygon", "coordinates": BOWTIE})))
    assert exc.value.line == 3


# -- through the loader ------------------------------------------------------------------------
def _landing(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    folder = landing / "wuppertal" / "gebiete"
    folder.mkdir(parents=True)
    (folder / "current.csv").write_text(GEBIETE_CSV, encoding="utf-8")
    return landing


def _registry(wh: Path) -> dict[str, tuple]:
    with duckdb.connect(str(wh), read_only=True) as con:
        rows = con.execute(
            "select delivery_file, status, reason, form from meta.delivery_registry where source = 'gebiete'"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_loader_loads_quarantines_and_replaces_by_version(tmp_path):
    landing, wh = _landing(tmp_path), tmp_path / "wh.duckdb"
    folder = landing / "wuppertal" / "gebiete"
    (folder / "current.geojson").write_text(json.dumps(collection(good_features()[:3])), encoding="utf-8")
    load_landing(landing, wh, cities=["wuppertal"], log=lambda _m: None)
    reg = _registry(wh)
    assert reg["wuppertal/gebiete/current.csv"][0] == "loaded"
    status, reason, form = reg["wuppertal/gebiete/current.geojson"]
    assert (status, form) == ("quarantined", "geometrie")
    assert "without geometry: 04" in reason
    # the corrected delivery as _v2 is loaded; the reference is untouched
    (folder / "current_v2.geojson").write_text(json.dumps(collection(good_features())), encoding="utf-8")
    load_landing(landing, wh, cities=["wuppertal"], log=lambda _m: None)
    assert _registry(wh)["wuppertal/gebiete/current_v2.geojson"][0] == "loaded"
    with duckdb.connect(str(wh), read_only=True) as con:
        geo = con.execute(
            "select bezirk_code, delivery_version from raw.gebiete_geometrie order by bezirk_code"
        ).fetchall()
        n_ref = con.execute("select count(*) from raw.gebiete").fetchone()[0]
    assert geo == [("01", 2), ("02", 2), ("03", 2), ("04", 2)]
    assert n_ref == 4
    # a _v3 with other shapes replaces v2 (one version in the raw layer)
    moved = [{**f, "geometry": {"type": "Polygon", "coordinates": box(X0 + 10, Y0, 100, 100)}} for f in good_features()]
    (folder / "current_v3.geojson").write_text(json.dumps(collection(moved)), encoding="utf-8")
    load_landing(landing, wh, cities=["wuppertal"], log=lambda _m: None)
    reg = _registry(wh)
    assert reg["wuppertal/gebiete/current_v2.geojson"][0] == "superseded"
    with duckdb.connect(str(wh), read_only=True) as con:
        assert con.execute("select distinct delivery_version from raw.gebiete_geometrie").fetchall() == [(3,)]


def test_geometry_waits_for_its_reference(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    folder = landing / "wuppertal" / "gebiete"
    folder.mkdir(parents=True)
    (folder / "current.geojson").write_text(json.dumps(collection(good_features())), encoding="utf-8")
    load_landing(landing, wh, cities=["wuppertal"], log=lambda _m: None)
    assert _registry(wh)["wuppertal/gebiete/current.geojson"][0] == "pending"
    (folder / "current.csv").write_text(GEBIETE_CSV, encoding="utf-8")
    load_landing(landing, wh, cities=["wuppertal"], log=lambda _m: None)
    assert _registry(wh)["wuppertal/gebiete/current.geojson"][0] == "loaded"


def test_a_geojson_elsewhere_is_a_layout_error(tmp_path):
    landing, wh = _landing(tmp_path), tmp_path / "wh.duckdb"
    bad = landing / "wuppertal" / "bestand" / "2024-12-31.geojson"
    bad.parent.mkdir(parents=True)
    bad.write_text("{}", encoding="utf-8")
    summary = load_landing(landing, wh, cities=["wuppertal"], log=lambda _m: None)
    (outcome,) = [o for o in summary.outcomes if o.file.endswith(".geojson")]
    assert outcome.status == "quarantined" and "bad extension .geojson" in outcome.reason
