"""Synthetic district boundaries of the demo world (spec 3.8), labelled synthetic in every file.

Not the real boundaries: each city gets an irregular outline around its real centre whose area is
the sum of its districts' `flaeche_ha`, cut by straight lines into districts of exactly their
`flaeche_ha` (recursive bisection: each cut splits a piece into two groups of districts in the
ratio of their areas, across the piece's longer extent). Nested units are cut inside their parent:
Duisburg's Ortsteile inside their Stadtbezirk, and Düsseldorf's reform cells inside the district
they form before or after the 2024 reform - so the old Stadtbezirk 3 is exactly the union of the
new 11 and 12, the new 13 exactly 09 plus 10, and both generations of the map tile the same city.

The files come in the systems cities use (`DELIVERED_CRS`: Enschede EPSG:28992, most German cities
EPSG:25832, some plain RFC 7946 WGS 84). Randomness comes from a generator of its own per city,
so adding boundaries changes no other delivery of the world (and the shapes depend on the city
only, not on the world's seed or scale).

    python -m ingest.demo.boundaries --landing DIR [--cities a,b]   # add them to an existing world
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np

from ingest.demo import geography as geo

# Real city centres (longitude, latitude); the shapes around them are invented.
CENTRES = {
    "dortmund": (7.4653, 51.5136),
    "duisburg": (6.7623, 51.4344),
    "muenster": (7.6261, 51.9607),
    "enschede": (6.8937, 52.2215),
    "duesseldorf": (6.7735, 51.2277),
    "wuppertal": (7.1508, 51.2562),
    "solingen": (7.0845, 51.1652),
    "muelheim": (6.8827, 51.4275),
}
DELIVERED_CRS = {
    "enschede": "EPSG:28992",
    "dortmund": "EPSG:25832",
    "duisburg": "EPSG:25832",
    "muenster": "EPSG:25832",
    "solingen": "EPSG:25832",
    "duesseldorf": "EPSG:4326",
    "wuppertal": "EPSG:4326",
    "muelheim": "EPSG:4326",
}
WORK_CRS = "EPSG:3035"  # metres, equal-area: where the shapes are made
SYNTHETIC_NOTE = (
    "SYNTHETIC boundaries of the demo world (python -m ingest.demo): invented shapes with the "
    "districts' flaeche_ha around the real city centre - not the city's real districts."
)
OUTLINE_VERTICES = 240
SEGMENT_M = 150.0  # straight edges are densified before reprojection


@dataclass
class Node:
    """A piece of the city to be cut: its area and the pieces inside it."""

    key: str
    area: float
    children: list[Node]


@lru_cache(maxsize=16)
def _transformer(src: str, dst: str):
    from pyproj import Transformer

    return Transformer.from_crs(src, dst, always_xy=True)


def _rng(city: str) -> np.random.Generator:
    return np.random.default_rng([3_857, zlib.crc32(city.encode())])


def outline(city: str, area_ha: float, rng: np.random.Generator):
    """An irregular, star-shaped outline of exactly `area_ha` around the city centre (EPSG:3035)."""
    import shapely

    x0, y0 = _transformer("EPSG:4326", WORK_CRS).transform(*CENTRES[city])
    theta = np.linspace(0, 2 * np.pi, OUTLINE_VERTICES, endpoint=False)
    radius = np.ones_like(theta)
    for k in range(2, 7):  # a few low harmonics: lobes and bays, never a self-crossing
        radius += rng.uniform(0.02, 0.12 / (k - 1)) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
    radius *= 1 + rng.uniform(0.0, 0.25) * np.cos(theta - rng.uniform(0, np.pi))  # one elongated axis
    unit = shapely.Polygon(np.column_stack([radius * np.cos(theta), radius * np.sin(theta)]))
    scale = np.sqrt(area_ha * 10_000 / unit.area)
    return shapely.Polygon(np.column_stack([x0 + scale * radius * np.cos(theta), y0 + scale * radius * np.sin(theta)]))


def _cut(poly, share: float, angle: float):
    """Split `poly` by a line across `angle` into (part with `share` of the area, the rest): turned so
    that the cut is vertical, the offset found by bisection (the area left of it grows with it)."""
    import shapely
    from shapely import affinity

    c = poly.centroid
    turned = affinity.rotate(poly, -angle, origin=c, use_radians=True)
    x0, y0, x1, y1 = turned.bounds

    def left(t: float):
        return shapely.clip_by_rect(turned, x0 - 1, y0 - 1, t, y1 + 1)

    a, b = x0, x1
    for _ in range(40):
        m = (a + b) / 2
        if left(m).area < share * poly.area:
            a = m
        else:
            b = m
    t = (a + b) / 2
    back = lambda g: _polygon(affinity.rotate(g, angle, origin=c, use_radians=True))
    return back(left(t)), back(shapely.clip_by_rect(turned, t, y0 - 1, x1 + 1, y1 + 1))


def _polygon(g):
    """The largest polygon of a cut result (drops slivers of floating-point width)."""
    if g.geom_type == "Polygon":
        return g
    parts = [p for p in getattr(g, "geoms", []) if p.geom_type == "Polygon"]
    return max(parts, key=lambda p: p.area)


def _compactness(poly) -> float:
    """Polsby-Popper: 1 for a circle, near 0 for a sliver."""
    return 4 * np.pi * poly.area / poly.length**2


def _long_axis(poly) -> float:
    """Angle of the longer side of the minimum rotated rectangle."""
    box = np.asarray(poly.minimum_rotated_rectangle.exterior.coords)
    e1, e2 = box[1] - box[0], box[2] - box[1]
    e = e1 if np.hypot(*e1) >= np.hypot(*e2) else e2
    return float(np.arctan2(e[1], e[0]))


def partition(poly, nodes: list[Node], rng: np.random.Generator, out: dict) -> None:
    """Cut `poly` into the nodes (areas in ratio), recursively into their children; `out` gets
    key -> polygon for every node."""
    if len(nodes) == 1:
        node = nodes[0]
        out[node.key] = poly
        if node.children:
            partition(poly, node.children, rng, out)
        return
    total = sum(n.area for n in nodes)
    # the split point that makes the two groups most nearly equal keeps pieces compact
    acc = np.cumsum([n.area for n in nodes])[:-1]
    k = int(np.argmin(np.abs(acc - total / 2))) + 1
    share = float(acc[k - 1] / total)
    # of a few cut directions, the one whose two pieces are the most compact (no slivers)
    base = _long_axis(poly) + rng.uniform(-0.2, 0.2)
    cuts = [_cut(poly, share, base + a) for a in np.linspace(-np.pi / 2, np.pi / 2, 8, endpoint=False)]
    first, rest = max(cuts, key=lambda fr: min(_compactness(fr[0]), _compactness(fr[1])))
    partition(first, nodes[:k], rng, out)
    partition(rest, nodes[k:], rng, out)


def _tree(city: str) -> list[Node]:
    """Top-level units of the city with their cells (see module docstring)."""
    cells = geo.cells(city)
    groups: dict[str, list[int]] = {}
    if city == "duisburg":
        for i, c in enumerate(cells):
            groups.setdefault(c.parent, []).append(i)
    else:  # cells sharing a code before or after the reform stay together
        parent = list(range(len(cells)))

        def find(i):
            while parent[i] != i:
                i = parent[i]
            return i

        for i, a in enumerate(cells):
            for j, b in enumerate(cells[:i]):
                if a.code == b.code or (a.new_code and a.new_code == b.new_code):
                    parent[find(i)] = find(j)
        for i in range(len(cells)):
            groups.setdefault(str(find(i)), []).append(i)
    nodes = []
    for key, members in groups.items():
        children = [Node(f"cell:{i}", cells[i].area_ha, []) for i in members] if len(members) > 1 else []
        key = f"group:{key}" if children else f"cell:{members[0]}"
        nodes.append(Node(key, sum(cells[i].area_ha for i in members), children))
    return nodes


def district_shapes(city: str) -> dict[tuple[str, date], object]:
    """(bezirk_code, gueltig_ab) -> polygon in EPSG:3035 for every row of the city's `gebiete`,
    before and after a reform."""
    import shapely

    rng = _rng(city)
    nodes = _tree(city)
    pieces: dict[str, object] = {}
    partition(outline(city, sum(n.area for n in nodes), rng), nodes, rng, pieces)
    cells = geo.cells(city)
    by_members = {}
    for n in nodes:
        members = frozenset(int(c.key[5:]) for c in n.children) or frozenset([int(n.key[5:])])
        by_members[members] = pieces[n.key]
    for i in range(len(cells)):
        by_members.setdefault(frozenset([i]), pieces[f"cell:{i}"])
    out = {}
    for a in _all_areas(city):
        members = frozenset(i for i, c in enumerate(cells) if _cell_in(c, a, city))
        shape = by_members.get(members)
        if shape is None:  # not a unit of the cut: the union of its cells
            shape = shapely.union_all([by_members[frozenset([i])] for i in members], grid_size=0.01)
        out[(a.code, a.valid_from)] = shape
    return out


def _cell_in(cell: geo.Cell, area: geo.Area, city: str) -> bool:
    if area.level == "stadtbezirk" and city == "duisburg":
        return cell.parent == area.code
    if city == geo.REFORM_CITY and area.valid_from >= geo.REFORM_DATE:
        return cell.new_code == area.code
    return cell.code == area.code


def _all_areas(city: str) -> list[geo.Area]:
    seen = {(a.code, a.valid_from): a for a in geo.areas(city) + geo.pre_reform_areas(city)}
    return list(seen.values())


def feature_collection(city: str, areas: list[geo.Area], shapes: dict, crs: str) -> dict:
    """The GeoJSON of one delivery: one feature per row of that `gebiete` version, in `crs`."""
    import shapely

    t = _transformer(WORK_CRS, crs)
    digits = 6 if crs == "EPSG:4326" else 2

    def move(xy: np.ndarray) -> np.ndarray:
        x, y = t.transform(xy[:, 0], xy[:, 1])
        return np.round(np.column_stack([x, y]), digits)

    features = []
    for a in areas:
        g = shapely.transform(shapely.segmentize(shapes[(a.code, a.valid_from)], SEGMENT_M), move)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "bezirk_code": a.code,
                    "bezirk_name": a.name,
                    "ebene": a.level,
                    "uebergeordnet_code": a.parent or None,
                    "gueltig_ab": a.valid_from.isoformat(),
                    "gueltig_bis": a.valid_to.isoformat() if a.valid_to else "",
                    "flaeche_ha": a.area_ha,
                    "synthetic": True,
                },
                "geometry": shapely.geometry.mapping(g),
            }
        )
    doc = {"type": "FeatureCollection", "name": f"{city} districts (SYNTHETIC)", "synthetic": True}
    doc["description"] = SYNTHETIC_NOTE
    if crs != "EPSG:4326":
        doc["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{crs.split(':')[1]}"}}
    doc["features"] = features
    return doc


def _lists(obj):
    """shapely's mapping uses tuples; JSON wants lists (and the same bytes every time)."""
    if isinstance(obj, dict):
        return {k: _lists(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_lists(v) for v in obj]
    return obj


def versions(city: str) -> list[tuple[int, list[geo.Area]]]:
    """(version, rows) as the `gebiete` CSV is delivered: Düsseldorf first before its reform (v1),
    then with the old and the new codes (v2); every other city once."""
    if city == geo.REFORM_CITY:
        return [(1, geo.pre_reform_areas(city)), (2, geo.areas(city))]
    return [(1, geo.areas(city))]


def write_boundaries(landing: Path, city: str, received: dict[int, datetime]) -> list[Path]:
    """Write `<city>/gebiete/current[_vN].geojson` for every version, each with the delivery time
    of its `gebiete` CSV (`received`: version -> time) as modification time."""
    shapes = district_shapes(city)
    written = []
    for version, areas in versions(city):
        doc = _lists(feature_collection(city, areas, shapes, DELIVERED_CRS.get(city, "EPSG:4326")))
        path = landing / city / "gebiete" / f"current{'' if version == 1 else f'_v{version}'}.geojson"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
        os.replace(tmp, path)
        ts = received[version].timestamp()
        os.utime(path, (ts, ts))
        written.append(path)
    return written


def add_to_landing(landing: Path, cities: list[str] | None = None) -> list[Path]:
    """Boundaries for the cities of an existing demo landing folder, dated like their gebiete CSVs."""
    written = []
    for city in cities or sorted(CENTRES):
        folder = landing / city / "gebiete"
        csvs = {int(p.stem.partition("_v")[2] or 1): p for p in folder.glob("current*") if p.suffix != ".geojson"}
        if not csvs:
            continue
        received = {v: datetime.fromtimestamp(p.stat().st_mtime) for v, p in csvs.items()}
        written += write_boundaries(landing, city, received)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m ingest.demo.boundaries", description=__doc__.split("\n")[0])
    ap.add_argument("--landing", required=True, help="an existing demo landing folder")
    ap.add_argument("--cities", help="comma-separated slugs (default: every city with a gebiete delivery)")
    a = ap.parse_args(argv)
    cities = [c.strip() for c in a.cities.split(",")] if a.cities else None
    for p in add_to_landing(Path(a.landing), cities):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
