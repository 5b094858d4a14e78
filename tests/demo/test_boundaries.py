"""The demo world's synthetic boundaries: every city and level, areas of flaeche_ha, a partition of
the city (nested levels inside their parents, both sides of Düsseldorf's reform), labelled
synthetic, in the systems the spec names - and accepted by the geometry ingest."""

from __future__ import annotations

import json
from datetime import datetime

import polars as pl
import pytest
import shapely

from ingest.demo import boundaries as b
from ingest.demo import geography as geo
from ingest.geometry import read_geometry

CITIES = sorted(geo.CELLS)


@pytest.fixture(scope="module")
def shapes():
    return {city: b.district_shapes(city) for city in CITIES}


@pytest.mark.parametrize("city", CITIES)
def test_every_district_has_a_valid_shape_of_its_area(city, shapes):
    areas = {(a.code, a.valid_from): a for a in geo.areas(city) + geo.pre_reform_areas(city)}
    assert set(shapes[city]) == set(areas)
    for key, shape in shapes[city].items():
        assert shape.is_valid and shape.geom_type == "Polygon"
        assert shape.area / 10_000 == pytest.approx(areas[key].area_ha, rel=1e-6)


@pytest.mark.parametrize("city", CITIES)
def test_each_level_and_period_tiles_the_city_without_overlap(city, shapes):
    for _version, rows in b.versions(city):
        for level, on in {(a.level, on) for a in rows for on in (geo.VALID_FROM, geo.REFORM_DATE)}:
            tiles = [
                shapes[city][(a.code, a.valid_from)]
                for a in rows
                if a.level == level and a.valid_from <= on and (a.valid_to is None or a.valid_to >= on)
            ]
            union = shapely.union_all(tiles, grid_size=0.01)
            assert union.geom_type == "Polygon"  # one connected city
            assert sum(t.area for t in tiles) == pytest.approx(union.area, rel=1e-6)  # no overlap


def test_nested_and_reformed_districts_are_unions_of_their_parts(shapes):
    du = shapes["duisburg"]
    start = geo.VALID_FROM
    for sb, _ in geo._DU_SB:
        parts = [du[(c.code, start)] for c in geo.cells("duisburg") if c.parent == sb]
        assert shapely.symmetric_difference(du[(sb, start)], shapely.union_all(parts)).area < 1.0
    ds = shapes["duesseldorf"]
    new = geo.REFORM_DATE
    assert (
        shapely.symmetric_difference(ds[("03", start)], shapely.union_all([ds[("11", new)], ds[("12", new)]])).area < 1
    )
    assert (
        shapely.symmetric_difference(ds[("13", new)], shapely.union_all([ds[("09", start)], ds[("10", start)]])).area
        < 1
    )


def test_the_shapes_depend_on_nothing_but_the_city():
    one, two = b.district_shapes("muenster"), b.district_shapes("muenster")
    assert all(shapely.equals_exact(one[k], two[k], 0) for k in one)


def test_delivered_systems_and_the_synthetic_label(tmp_path):
    assert b.DELIVERED_CRS["enschede"] == "EPSG:28992"
    assert "EPSG:25832" in set(b.DELIVERED_CRS.values())
    received = {1: datetime(2018, 12, 12, 7, 30), 2: datetime(2023, 11, 22, 7, 30)}
    paths = b.write_boundaries(tmp_path, "duesseldorf", received)
    assert [p.name for p in paths] == ["current.geojson", "current_v2.geojson"]
    doc = json.loads(paths[1].read_text(encoding="utf-8"))
    assert doc["synthetic"] is True and "SYNTHETIC" in doc["description"]
    assert all(f["properties"]["synthetic"] for f in doc["features"])
    assert datetime.fromtimestamp(paths[1].stat().st_mtime) == received[2]


@pytest.mark.parametrize("city", CITIES)
def test_the_written_files_pass_the_geometry_ingest(city, tmp_path):
    received = {1: datetime(2018, 12, 12), 2: datetime(2023, 11, 22)}
    paths = b.write_boundaries(tmp_path, city, received)
    for (version, areas), path in zip(b.versions(city), paths):
        reference = pl.DataFrame(
            {
                "bezirk_code": [a.code for a in areas],
                "ebene": [a.level for a in areas],
                "gueltig_ab": [a.valid_from for a in areas],
                "gueltig_bis": [a.valid_to for a in areas],
            }
        )
        frame = read_geometry(path.read_bytes(), reference)
        assert frame.height == len(areas), version
        assert frame["source_crs"][0] == b.DELIVERED_CRS[city]
        expected = [a.area_ha for a in areas]
        assert frame["area_ha"].to_list() == pytest.approx(expected, rel=5e-3)
