"""The planners' dashboard: one self-contained HTML file per alliance and per city.

Built from the published copy only (`reports.dashboard.data`): plain HTML with an inline script
and SVG drawn by it (`app.js`, no library, no CDN, no npm), the data embedded as JSON, and a
Content-Security-Policy that forbids the page any request - it opens from a file on an office PC
without internet.

    python -m reports.dashboard                       # every alliance and every city
    python -m reports.dashboard --alliance euregio --city enschede

Output: `<REPORTS_OUTPUT_DIR>/<alliance>/dashboard.html` and `.../dashboard_<city>.html`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ingest.config import load_cities
from warehouse.settings import published_path, reports_output_dir

HERE = Path(__file__).resolve().parent


def page(data: dict) -> str:
    """The HTML of one dashboard (template, CSS, script and data inlined)."""
    template = (HERE / "page.html").read_text(encoding="utf-8")
    blob = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    blob = blob.replace("</", "<\\/")  # never closes the script element early
    head, rest = template.split("/*CSS*/", 1)
    middle, rest = rest.split("/*DATA*/", 1)
    between, tail = rest.split("/*JS*/", 1)
    css = (HERE / "style.css").read_text(encoding="utf-8")
    js = (HERE / "app.js").read_text(encoding="utf-8")
    return head + css + middle + blob + between + js + tail


def dashboard_path(alliance: str, city: str | None = None, out_dir: Path | None = None) -> Path:
    base = Path(out_dir) if out_dir else reports_output_dir()
    return base / alliance / (f"dashboard_{city}.html" if city else "dashboard.html")


def build_dashboard(
    alliance: str = "alle", city: str | None = None, published: Path | None = None, out_dir: Path | None = None
) -> Path:
    """Write the dashboard of an alliance (or of one of its cities) atomically; returns its path."""
    from reports.dashboard.data import payload

    source = Path(published) if published else published_path()
    if not source.exists():
        raise FileNotFoundError(f"published copy {source} does not exist (run the pipeline and publish first)")
    target = dashboard_path(alliance, city, out_dir)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(page(payload(source, alliance, city)), encoding="utf-8")
    os.replace(tmp, target)
    return target


def build_all(published: Path | None = None, out_dir: Path | None = None, alliances=None) -> list[Path]:
    """Every alliance's dashboard and one per member city (under each of its alliances' folders
    only once: the city's first alliance in `alle`-first order)."""
    cities = load_cities()
    names = sorted({a for c in cities.values() for a in c.alliances}, key=lambda a: (a != "alle", a))
    names = [a for a in names if not alliances or a in alliances]
    written, done = [], set()
    for alliance in names:
        written.append(build_dashboard(alliance, None, published, out_dir))
        for slug, c in sorted(cities.items()):
            if alliance in c.alliances and slug not in done:
                written.append(build_dashboard(alliance, slug, published, out_dir))
                done.add(slug)
    return written
