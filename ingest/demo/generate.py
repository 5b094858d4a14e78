"""Run the demo world and write its deliveries (and the truth) - city by city, month by month.

Nothing is kept across months except the people of the city being simulated, and of those
only the ones who can still matter (the world compacts its person store, see
`CityWorld.compact`), so the number of movement events written is bounded by disk, not memory.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import time
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import numpy as np
import polars as pl

from ingest.config import CityConfig, load_cities
from ingest.demo import geography as geo
from ingest.demo import official as off
from ingest.demo import sources as src
from ingest.demo import truth as tr
from ingest.demo.assumptions import DEMO, Assumptions
from ingest.demo.calibration import PROFILES
from ingest.demo.manifest import record as record_demo_files
from ingest.demo.manifest import refuse_foreign
from ingest.demo.pseudonyms import city_keys
from ingest.demo.world import CityWorld, days, month_bounds, to_date
from ingest.demo.writers import delivery_path, write_delivery
from warehouse.settings import demo_truth_dir, landing_dir

DEFAULT_SCALE = 0.02  # persons per real inhabitant: ~57,000 people in the eight cities
DEFAULT_SEED = 20190101
DEFAULT_START, DEFAULT_END = "2019-01", "2026-09"
BURN_IN_MONTHS = 36  # the world runs three years before the first delivery (steady state)
MARKER = "DEMO_SYNTHETIC_DATA.txt"
PREFIXES = {
    "dortmund": "DOR",
    "duisburg": "DUI",
    "muenster": "MUE",
    "enschede": "ENS",
    "wuppertal": "WUP",
    "duesseldorf": "DUS",
    "solingen": "SOL",
    "muelheim": "MUH",
}
SGB2_LATE_SHARE = 0.03  # cases missing from provisional SGB II figures
CENSUS = {"DE": (10, 15), "NL": (10, 1)}


@dataclass
class Summary:
    files: int = 0
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0
    per_city: dict = field(default_factory=dict)
    events: int = 0


def _months(start: str, end: str):
    y, m = map(int, start.split("-"))
    ey, em = map(int, end.split("-"))
    while (y, m) <= (ey, em):
        yield y, m
        y, m = y + (m == 12), m % 12 + 1


def _shift(ym: str, k: int) -> str:
    y, m = map(int, ym.split("-"))
    t = y * 12 + m - 1 + k
    return f"{t // 12}-{t % 12 + 1:02d}"


class CityRun:
    """Deliveries of one city: file naming, versions, delivery times."""

    def __init__(
        self,
        cfg: CityConfig,
        landing: Path,
        sources: set[str],
        start: str,
        end: str,
        now: datetime,
        summary: Summary,
        rng: np.random.Generator,
        seed: int,
        dry: bool = False,
    ):
        self.dry = dry  # simulate and count, write nothing
        self.cfg, self.landing, self.sources, self.end, self.now = cfg, landing, sources, end, now
        self.summary, self.rng = summary, rng
        self.keys = {k: city_keys(seed, cfg.slug, k) for k in ("person", "address", "bg")}
        self.stats = {"files": 0, "rows": 0}
        # one corrected movement month (v1 lacks the last batch) and one delivered months late,
        # both in the middle of the delivered period
        months = list(_months(start, end))
        middle = months[len(months) // 4 : max(len(months) // 4 + 1, len(months) - 2)]
        self.corrected_month = middle[int(rng.integers(0, len(middle)))]
        self.late_month = middle[int(rng.integers(0, len(middle)))]

    def wants(self, source: str) -> bool:
        return source in self.sources and source in self.cfg.sources

    def received(self, period_end: date, delay_days: int) -> datetime:
        t = datetime.combine(period_end + timedelta(days=delay_days), dtime(7, 30))
        return min(t, self.now)

    def write(
        self,
        source: str,
        table: str,
        period: str,
        df: pl.DataFrame,
        received: datetime,
        form: str = "",
        version: int = 1,
    ) -> None:
        if df.height == 0 or self.dry:  # nothing to report: the city sends no file for the period
            return
        path = delivery_path(self.landing, self.cfg.slug, source, period, form, version, self.cfg.extension)
        size = write_delivery(self.cfg, table, df, path, received, received - timedelta(days=1))
        self.summary.files += 1
        self.summary.rows += df.height
        self.summary.bytes += size
        self.stats["files"] += 1
        self.stats["rows"] += df.height


def generate(
    scale: float = DEFAULT_SCALE,
    seed: int = DEFAULT_SEED,
    landing: Path | str | None = None,
    truth: Path | str | None = None,
    cities: list[str] | None = None,
    start: str = DEFAULT_START,
    end: str = DEFAULT_END,
    sources: list[str] | None = None,
    overwrite: bool = False,
    progress=print,
    now: datetime | None = None,
    official_only: bool = False,
    assumptions: Assumptions = DEMO,
) -> Summary:
    """Simulate the cities and write deliveries into `landing` and truth tables into `truth`, and
    the world's own official tables into `landing/official/` (ingest/demo/official.py).

    `official_only`: simulate the same world (same seed, same draws) but write only the official
    tables - for a demo landing generated before the world had official tables of its own.
    `assumptions`: knobs for what the Dunkelziffer methods assume (ingest/demo/assumptions.py);
    the default is the demo world."""
    t0 = time.perf_counter()
    landing = Path(landing) if landing else landing_dir()
    truth_dir = Path(truth) if truth else demo_truth_dir()
    configs = load_cities()
    slugs = cities or [s for s in configs if s in geo.CELLS]
    unknown = [s for s in slugs if s not in configs or s not in geo.CELLS or s not in PROFILES]
    if unknown:
        raise ValueError(f"the demo world cannot simulate {unknown}: it knows {sorted(geo.CELLS)}")
    all_sources = {"meldewesen", "bestand", "schule", "sgb2", "beratung", "wohnen", "gebiete"}
    wanted = set(sources) if sources else all_sources
    if wanted - all_sources:
        raise ValueError(f"unknown sources {sorted(wanted - all_sources)}")
    now = now or datetime.now().replace(microsecond=0)
    refuse_foreign(landing)  # never write synthetic files beside deliveries the demo did not write
    if not official_only:
        _prepare(landing, truth_dir, slugs, overwrite)
    summary = Summary()
    tally = off.OfficialTally()
    truth_parts: dict[str, list[pl.DataFrame]] = {"stock": [], "strata": [], "school": [], "inspections": []}
    flows: list[dict] = []
    for slug in slugs:
        t_city = time.perf_counter()
        before = (summary.files, summary.rows)
        run, world = _run_city(
            configs[slug],
            scale,
            seed,
            landing,
            start,
            end,
            wanted,
            now,
            summary,
            truth_parts,
            flows,
            tally,
            official_only,
            assumptions,
        )
        dt = time.perf_counter() - t_city
        summary.per_city[slug] = {
            "files": summary.files - before[0],
            "rows": summary.rows - before[1],
            "events": run,
            "seconds": round(dt, 2),
            "persons_held": world.p.n,
            "persons_ever": world.p.total,
            "peak_rss_mb_so_far": peak_rss_mb(),
        }
        progress(
            f"  {slug:<12} {summary.files - before[0]:>5} files {summary.rows - before[1]:>10,} rows "
            f"{run:>9,} events  {dt:6.1f} s  persons held {world.p.n:,} of {world.p.total:,} "
            f"simulated, peak RSS so far {summary.per_city[slug]['peak_rss_mb_so_far']} MB"
        )
        del world
    if "meldewesen" in wanted:
        areas = {s: sum(c.area_ha for c in geo.cells(s)) for s in slugs}
        for path in off.write_official_tables(landing, tally, [configs[s] for s in slugs], start, end, now, areas):
            progress(f"  official     {path.relative_to(landing)} (synthetic, the world's own official statistics)")
    if not official_only:
        _write_marker(landing, scale, seed, start, end)
        _write_truth(
            truth_dir,
            truth_parts,
            flows,
            dict(
                scale=scale,
                seed=seed,
                start=start,
                end=end,
                cities=slugs,
                sources=sorted(wanted),
                **({} if assumptions.is_demo else {"assumptions": assumptions.describe()}),
            ),
        )
    record_demo_files(landing)
    summary.seconds = time.perf_counter() - t0
    progress(
        f"demo world: {summary.files:,} files, {summary.rows:,} rows "
        f"({summary.bytes / 1e6:.1f} MB), {summary.events:,} movement events, "
        f"{summary.seconds:.1f} s  -> {landing}  (truth: {truth_dir})"
    )
    return summary


def peak_rss_mb() -> int | None:
    """Peak resident set of this process so far (None where `resource` is missing, e.g. Windows)."""
    try:
        import resource
    except ImportError:
        return None
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(kib / 1024 if sys.platform != "darwin" else kib / 2**20)


def _prepare(landing: Path, truth_dir: Path, slugs: list[str], overwrite: bool) -> None:
    taken = [landing / s for s in slugs if (landing / s).exists() and any((landing / s).iterdir())]
    if taken and not overwrite:
        raise FileExistsError(
            f"landing already holds deliveries of {[p.name for p in taken]}; "
            "deliveries are immutable - use a fresh folder or overwrite=True"
        )
    for p in taken:
        shutil.rmtree(p)
    landing.mkdir(parents=True, exist_ok=True)
    truth_dir.mkdir(parents=True, exist_ok=True)


def _run_city(
    cfg: CityConfig,
    scale,
    seed,
    landing,
    start,
    end,
    wanted,
    now,
    summary,
    truth_parts,
    flows,
    tally,
    official_only,
    assumptions=DEMO,
) -> tuple[int, CityWorld]:
    slug = cfg.slug
    rng = np.random.default_rng([seed, zlib.crc32(slug.encode())])
    burn = _shift(start, -BURN_IN_MONTHS)
    world = CityWorld(
        slug,
        cfg.country,
        cfg.official_key,
        scale,
        rng,
        date.fromisoformat(burn + "-01"),
        frozenset(wanted & set(cfg.sources)),
        assumptions,
    )
    run = CityRun(
        cfg,
        landing,
        wanted,
        start,
        end,
        now,
        summary,
        np.random.default_rng([seed, 7, zlib.crc32(slug.encode())]),
        seed,
        dry=official_only,
    )
    prefix = PREFIXES.get(slug, slug[:3].upper())
    next_id = 0
    counselling_from = PROFILES[slug].counselling_from
    last_final = _shift(end, -3)  # SGB II months whose final figures exist by the end
    for y, m in _months(burn, end):
        ym = f"{y}-{m:02d}"
        out = world.step_month(y, m)
        d0, d1 = month_bounds(y, m)
        if m == 12:  # the register on 31 December, for the official population tables
            tally.add_stock(slug, y, int(np.count_nonzero(world.p.reg)))
        if ym < start:
            continue
        end_day = to_date(d1)
        flows += tr.flow_rows(world, ym)
        if run.wants("meldewesen"):
            ev = out["events"]
            df = src.meldewesen(world, ev, next_id, prefix, run.keys)
            next_id += df.height
            summary.events += df.height
            tally.add_events(slug, df)  # the complete month, as the statistical office gets it
            delay = int(run.rng.integers(3, 12)) + (100 if ym == run.late_month else 0)
            if ym == run.corrected_month and df.height > 10:
                # v1 came without the last processing batch; v2 a month later is complete
                cut = df.filter(pl.col("meldedatum") < pl.col("meldedatum").max() - pl.duration(days=3))
                run.write("meldewesen", "meldewesen", ym, cut, run.received(end_day, delay))
                run.write("meldewesen", "meldewesen", ym, df, run.received(end_day, delay + 30), version=2)
            else:
                run.write("meldewesen", "meldewesen", ym, df, run.received(end_day, delay))
        if run.wants("sgb2") and cfg.country == "DE":
            units = src.sgb2_units(world, d1)
            provisional = src.drop_late_cases(units, run.rng, SGB2_LATE_SHARE)
            final_known = ym <= last_final
            for version, u, delay in ((1, provisional, 20), (2, units, 110)):
                if version == 2 and not final_known:
                    continue
                rec = run.received(end_day, delay)
                run.write("sgb2", "sgb2_aggregat", ym, src.sgb2_aggregate(world, u, ym, d1), rec, version=version)
                if cfg.optionskommune:
                    run.write(
                        "sgb2",
                        "sgb2_personen",
                        ym,
                        src.sgb2_persons(world, u, ym, d1, run.keys),
                        rec,
                        form="personen",
                        version=version,
                    )
        if run.wants("beratung") and ym >= counselling_from and not (slug == "wuppertal" and ym == "2023-08"):
            df = src.beratung(world, out["contacts"], run.keys)
            run.write("beratung", "beratung", ym, df, run.received(end_day, int(run.rng.integers(5, 20))))
            if slug == "wuppertal" and ym == "2021-06":  # sent twice: the same bytes again as _v2
                run.write("beratung", "beratung", ym, df, run.received(end_day, 40), version=2)
        if m in (3, 6, 9, 12):
            quarter = f"{y}-Q{m // 3}"
            truth_parts["stock"].append(tr.stock_snapshot(world, d1, quarter))
            truth_parts["strata"].append(tr.strata_snapshot(world, d1))
            if run.wants("bestand"):
                run.write(
                    "bestand",
                    "bestand",
                    end_day.isoformat(),
                    src.bestand(world, d1, run.keys),
                    run.received(end_day, int(run.rng.integers(5, 25))),
                )
        if m == 10:
            cm, cd = CENSUS[cfg.country]
            stichtag = date(y, cm, cd)
            df, school_truth = src.schule(world, stichtag, run.keys, _iso3())
            truth_parts["school"].append(tr.school_snapshot(world, days(stichtag), school_truth))
            if run.wants("schule"):
                run.write("schule", "schule", f"{y}-10-15", df, run.received(date(y, 10, 15), 45))
        if m == 12:
            if run.wants("wohnen"):
                rec = run.received(end_day, 30)
                run.write(
                    "wohnen",
                    "wohnen_problemimmobilien",
                    end_day.isoformat(),
                    src.problem_properties(world, d1, run.keys),
                    rec,
                    form="problemimmobilien",
                )
                run.write(
                    "wohnen",
                    "wohnen_wohnungsbestand",
                    end_day.isoformat(),
                    src.dwelling_stock(world, d1, y - 2019),
                    rec,
                    form="wohnungsbestand",
                )
    if run.wants("gebiete"):
        _write_gebiete(run, world, start)
    if world.inspections:
        truth_parts["inspections"].append(
            pl.DataFrame(world.inspections).with_columns(
                pl.lit(slug).alias("city"), pl.col("date").cast(pl.Int32).cast(pl.Date)
            )
        )
    return next_id, world


def _write_gebiete(run: CityRun, world: CityWorld, start: str) -> None:
    first = run.received(date.fromisoformat(start + "-01") - timedelta(days=20), 0)
    received = {1: first}
    if run.cfg.slug == geo.REFORM_CITY:
        run.write("gebiete", "gebiete", "current", src.gebiete(geo.pre_reform_areas(run.cfg.slug)), first)
        decided = received[2] = run.received(geo.REFORM_DATE - timedelta(days=40), 0)
        run.write("gebiete", "gebiete", "current", src.gebiete(geo.areas(run.cfg.slug)), decided, version=2)
    else:
        run.write("gebiete", "gebiete", "current", src.gebiete(geo.areas(run.cfg.slug)), first)
    # the boundaries (synthetic shapes, spec 3.8) arrive with each version of the reference
    from ingest.demo.boundaries import write_boundaries  # not at import: `-m ingest.demo.boundaries`

    for path in write_boundaries(run.landing, run.cfg.slug, received):
        run.summary.files += 1
        run.summary.bytes += path.stat().st_size
        run.stats["files"] += 1


def _iso3() -> dict[str, str]:
    from ingest.demo.writers import destatis_to_iso3

    return destatis_to_iso3()


def _write_marker(landing: Path, scale, seed, start, end) -> None:
    (landing / MARKER).write_text(
        "SYNTHETIC DATA - NOT REAL PERSONS\n\n"
        "Every delivery below this folder was written by the demo-world generator of the\n"
        "migration statistics warehouse (python -m ingest.demo). The people, pseudonyms,\n"
        "addresses, events, pupils, benefit cases and inspections are simulated; sizes and\n"
        "shares are only calibrated to published figures (ingest/demo/calibration.py).\n"
        "The official tables under official/ are the demo world's own statistics, made from\n"
        "its simulated registrations in the real publication formats (ingest/demo/official.py).\n"
        "Nothing built from these files may be presented as a statement about a real city.\n\n"
        f"scale={scale} seed={seed} period={start}..{end} generated={datetime.now():%Y-%m-%d %H:%M}\n",
        encoding="utf-8",
    )


def _write_truth(truth_dir: Path, parts: dict, flows: list[dict], params: dict) -> None:
    files = {
        "truth.parquet": parts["stock"],
        # the generator-independent format estimation.validate reads (estimation/METHODS.md)
        "truth_strata.parquet": parts["strata"],
        "truth_school.parquet": parts["school"],
        "truth_inspections.parquet": parts["inspections"],
    }
    for name, frames in files.items():
        if frames:
            pl.concat(frames, how="diagonal_relaxed").write_parquet(truth_dir / name)
    if flows:
        pl.DataFrame(flows).write_parquet(truth_dir / "truth_flows.parquet")
    (truth_dir / "manifest.json").write_text(json.dumps({**params, "synthetic": True}, indent=2))


def marker_parameters(landing: Path) -> dict:
    """scale, seed, start and end of the demo world in `landing`, read from its marker file."""
    text = (landing / MARKER).read_text(encoding="utf-8")
    found = dict(re.findall(r"\b(scale|seed|period)=(\S+)", text))
    if not {"scale", "seed", "period"} <= set(found):
        raise ValueError(f"{landing / MARKER} does not name scale, seed and period")
    start, end = found["period"].split("..")
    return {"scale": float(found["scale"]), "seed": int(found["seed"]), "start": start, "end": end}


def ensure_official_tables(landing: Path, progress=print) -> list[str]:
    """Make the official tables of a demo landing the world's own: if `landing/official/` holds
    anything else (e.g. the real files an older demo copied in) or lacks them, clear it and write
    them from the same world (same parameters, simulated again, no city file touched).
    Returns the names of the files removed."""
    root = landing / off.OFFICIAL_DIR
    files = [p for p in root.rglob("*") if p.is_file()] if root.is_dir() else []
    foreign = [p for p in files if off.DEMO_TAG not in p.name]
    if files and not foreign:
        return []
    removed = [p.name for p in off.clear_official(landing)]
    cities = sorted(p.name for p in landing.iterdir() if (p / "meldewesen").is_dir())
    generate(**marker_parameters(landing), landing=landing, cities=cities, official_only=True, progress=lambda *_: None)
    for p in sorted(root.rglob("*")):
        if p.is_file():
            progress(f"   {p.relative_to(landing)} (synthetic)")
    return removed
