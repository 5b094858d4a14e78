"""District boundaries (spec section 3.8): a GeoJSON FeatureCollection next to the `gebiete` CSV.

`read_geometry(data, gebiete)` turns the bytes of `gebiete/current[_vN].geojson` into one row per
feature: code, level, validity, the geometry reprojected with pyproj from the delivered system
(EPSG:4326 by RFC 7946, or EPSG:25832 / EPSG:28992 named in a top-level `crs` member) to
`GEOMETRY_CRS` as WKB, and its area. Every problem the spec lists is a `DeliveryError` with its
reason and the feature number (`line`), which the loader turns into the file's quarantine:

- not a GeoJSON FeatureCollection, an unknown coordinate system, coordinates that do not fit it;
- a feature without `bezirk_code`/`ebene`, with bad validity dates, or a geometry that is not a
  Polygon or MultiPolygon;
- a ring that is not closed, a self-intersecting (or otherwise invalid) polygon (shapely);
- a code the `gebiete` CSV does not know, at another level or outside its validity there, a code
  twice for overlapping periods, a district of the CSV without geometry.

A geometry delivery never changes the district reference itself.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache

import numpy as np
import polars as pl

from ingest.errors import DeliveryError
from ingest.schemas import GEOMETRY_COLUMNS, GEOMETRY_CRS
from ingest.sources import AREA_LEVELS

# Systems a city may deliver (spec 3.8) and a box of plausible coordinates for each: a projected
# file that forgets its `crs` member has coordinates far outside WGS 84 and is caught here.
ACCEPTED_CRS: dict[str, tuple[float, float, float, float]] = {
    "EPSG:4326": (-180.0, -90.0, 180.0, 90.0),  # longitude, latitude (RFC 7946 axis order)
    "EPSG:25832": (-1_500_000.0, 3_500_000.0, 2_500_000.0, 9_500_000.0),  # ETRS89 / UTM 32N
    "EPSG:28992": (-10_000.0, 280_000.0, 310_000.0, 650_000.0),  # Amersfoort / RD New
}
_CRS_NAME = re.compile(r"(?:urn:ogc:def:crs:)?EPSG:{1,2}(?P<code>\d+)$", re.I)
_CRS84 = {"urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "CRS84"}


def declared_crs(doc: dict) -> str:
    """The delivered coordinate system: the top-level `crs` member, else RFC 7946's WGS 84."""
    crs = doc.get("crs")
    if crs is None:
        return "EPSG:4326"
    name = (crs.get("properties") or {}).get("name") if isinstance(crs, dict) else None
    if not isinstance(name, str):
        raise DeliveryError('crs member without a name (expected {"type": "name", "properties": {"name": ...}})')
    if name.strip() in _CRS84:
        return "EPSG:4326"
    m = _CRS_NAME.match(name.strip())
    code = f"EPSG:{m.group('code')}" if m else name
    if code not in ACCEPTED_CRS:
        raise DeliveryError(f"coordinate system {name!r} is not accepted (EPSG:4326, EPSG:25832 or EPSG:28992)")
    return code


def _date(value, what: str, line: int) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DeliveryError(f"{what} {value!r} is no ISO date YYYY-MM-DD", line) from None


def _rings(geom: dict, line: int) -> list[list[list]]:
    """Polygons of a GeoJSON geometry as lists of rings (positions), shape-checked."""
    kind = geom.get("type") if isinstance(geom, dict) else None
    coords = geom.get("coordinates") if isinstance(geom, dict) else None
    if kind == "Polygon":
        polygons = [coords]
    elif kind == "MultiPolygon":
        polygons = coords
    else:
        raise DeliveryError(f"geometry must be a Polygon or MultiPolygon, not {kind or 'missing'}", line)
    if not isinstance(polygons, list) or not polygons or not all(isinstance(p, list) and p for p in polygons):
        raise DeliveryError(f"{kind} without coordinates", line)
    for polygon in polygons:
        for ring in polygon:
            if not isinstance(ring, list) or len(ring) < 4:
                raise DeliveryError("ring with fewer than 4 positions (a closed ring needs at least 4)", line)
            if not all(isinstance(p, list) and len(p) >= 2 for p in ring):
                raise DeliveryError("position that is not a coordinate pair", line)
            if list(ring[0][:2]) != list(ring[-1][:2]):
                raise DeliveryError(
                    f"ring not closed: first position {ring[0][:2]} differs from last {ring[-1][:2]}", line
                )
    return polygons


def _shape(polygons: list, crs: str, line: int):
    import shapely

    try:
        parts = [
            shapely.Polygon(np.asarray(p[0], dtype=float)[:, :2], [np.asarray(h, dtype=float)[:, :2] for h in p[1:]])
            for p in polygons
        ]
    except (TypeError, ValueError) as exc:
        raise DeliveryError(f"coordinates are not numbers: {exc}", line) from None
    geom = parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
    xmin, ymin, xmax, ymax = shapely.bounds(geom)
    bx0, by0, bx1, by1 = ACCEPTED_CRS[crs]
    if not (
        np.isfinite([xmin, ymin, xmax, ymax]).all() and bx0 <= xmin and xmax <= bx1 and by0 <= ymin and ymax <= by1
    ):
        hint = " (a projected file must name its system in a top-level crs member)" if crs == "EPSG:4326" else ""
        raise DeliveryError(
            f"coordinates ({xmin:.6g}, {ymin:.6g}) - ({xmax:.6g}, {ymax:.6g}) lie outside {crs}{hint}", line
        )
    if not shapely.is_valid(geom):
        reason = shapely.is_valid_reason(geom)
        what = "self-intersecting polygon" if "intersection" in reason.lower() else "invalid polygon"
        raise DeliveryError(f"{what}: {reason}", line)
    return geom


@lru_cache(maxsize=8)
def _transformer(crs: str):
    from pyproj import Transformer

    return Transformer.from_crs(crs, GEOMETRY_CRS, always_xy=True)


def reproject(geoms: list, crs: str) -> list:
    """Shapely geometries from `crs` to GEOMETRY_CRS (x = easting/longitude first)."""
    import shapely

    t = _transformer(crs)

    def move(xy: np.ndarray) -> np.ndarray:
        x, y = t.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return [shapely.transform(g, move) for g in geoms]


def _parse(data: bytes) -> dict:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DeliveryError(f"not a GeoJSON file (no valid UTF-8 JSON): {exc}") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise DeliveryError("not a GeoJSON FeatureCollection (top-level type must be FeatureCollection)")
    if not isinstance(doc.get("features"), list) or not doc["features"]:
        raise DeliveryError("FeatureCollection without features")
    return doc


def read_geometry(data: bytes, gebiete: pl.DataFrame) -> pl.DataFrame:
    """Rows of `raw.gebiete_geometrie` (domain columns plus `source_line` = feature number),
    checked against the city's `gebiete` (bezirk_code, ebene, gueltig_ab, gueltig_bis)."""
    doc = _parse(data)
    crs = declared_crs(doc)
    rows, shapes = [], []
    for line, feature in enumerate(doc["features"], start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise DeliveryError("member of features that is not a Feature", line)
        props = feature.get("properties") or {}
        code, level = props.get("bezirk_code"), props.get("ebene")
        if not code or not isinstance(code, str):
            raise DeliveryError("feature without bezirk_code", line)
        if level not in AREA_LEVELS:
            raise DeliveryError(f"feature {code}: unknown or missing ebene {level!r}", line)
        ab = _date(props.get("gueltig_ab"), "gueltig_ab", line)
        bis = _date(props.get("gueltig_bis"), "gueltig_bis", line)
        if ab and bis and bis < ab:
            raise DeliveryError(f"feature {code}: gueltig_bis {bis} before gueltig_ab {ab}", line)
        shapes.append(_shape(_rings(feature.get("geometry"), line), crs, line))
        rows.append((code, level, ab, bis, line))
    _check_against_reference(rows, gebiete)
    import shapely

    moved = reproject(shapes, crs)
    return pl.DataFrame(
        {
            "bezirk_code": [r[0] for r in rows],
            "ebene": [r[1] for r in rows],
            "gueltig_ab": [r[2] for r in rows],
            "gueltig_bis": [r[3] for r in rows],
            "geometry_wkb": [shapely.to_wkb(g) for g in moved],
            "area_ha": [float(shapely.area(g)) / 10_000 for g in moved],
            "source_crs": [crs] * len(rows),
            "source_line": [r[4] for r in rows],
        },
        schema={**GEOMETRY_COLUMNS, "source_line": pl.Int32},
    )


_OPEN_START, _OPEN_END = date.min, date.max


def _check_against_reference(rows: list[tuple], gebiete: pl.DataFrame) -> None:
    """Codes and levels as in the CSV, within its validity, once per period, none missing."""
    known: dict[str, list[tuple]] = {}
    for r in gebiete.select("bezirk_code", "ebene", "gueltig_ab", "gueltig_bis").iter_rows():
        known.setdefault(r[0], []).append((r[1], r[2] or _OPEN_START, r[3] or _OPEN_END))
    seen: dict[str, list[tuple]] = {}
    for code, level, ab, bis, line in rows:
        ab, bis = ab or _OPEN_START, bis or _OPEN_END
        ref = known.get(code)
        if ref is None:
            raise DeliveryError(f"district code {code} is not in the gebiete file", line)
        if level not in {lv for lv, _, _ in ref}:
            raise DeliveryError(
                f"district {code} is ebene {'/'.join(sorted({lv for lv, _, _ in ref}))} in the gebiete file, "
                f"not {level}",
                line,
            )
        if not any(r_ab <= ab and bis <= r_bis for lv, r_ab, r_bis in ref if lv == level):
            spans = ", ".join(f"{_span(r_ab, r_bis)}" for _, r_ab, r_bis in ref)
            raise DeliveryError(
                f"feature {code} valid {_span(ab, bis)} lies outside the code's validity in the gebiete file ({spans})",
                line,
            )
        for o_ab, o_bis, o_line in seen.get(code, []):
            if ab <= o_bis and o_ab <= bis:
                raise DeliveryError(
                    f"district {code} has two geometries for one period (features {o_line} and {line})", line
                )
        seen.setdefault(code, []).append((ab, bis, line))
    missing = sorted(set(known) - set(seen))
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        raise DeliveryError(f"districts of the gebiete file without geometry: {shown}")


def _span(ab: date, bis: date) -> str:
    return f"{'' if ab == _OPEN_START else ab}..{'' if bis == _OPEN_END else bis}"
