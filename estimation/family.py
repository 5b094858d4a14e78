"""The validation family: the Dunkelziffer methods scored on a grid of worlds that break their
assumptions one at a time (and together), not on the one world they were tuned to.

Each setting is a set of knobs of the demo generator (ingest/demo/assumptions.py): the share of
resident registered children not on the school list, the dependence between counselling and the
register, heterogeneity of catchability, the lags of ex-officio removals, and the school
attendance of unregistered children. Every setting is simulated with several seeds as one
mid-sized city (the template city's profile at `scale`), the worlds are loaded into one warehouse
as cities of their own (`fam<setting>s<seed>`, city files in a CITY_CONFIG_DIR of the family) and
built by the pipeline (ingest + dbt, models only), and each world is scored against its own
truth in the generator-independent format of estimation.validate.

    python -m estimation validate --family [--work DIR] [--seeds 1,2,3] [--scale 0.25] [--jobs 2]

prints coverage, bias and interval width per method and setting (METHODS.md, "Validation
family"); `make bench` runs it as its own section.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

import polars as pl

from ingest.demo.assumptions import DEMO, Assumptions

TEMPLATE = "solingen"  # a mid-sized Optionskommune: all four lists (register, school, SGB II persons, counselling)
SCALE = 0.25  # persons per real inhabitant: about 40,000 people per world
START, END = "2024-07", "2026-09"  # deliveries; the world runs 36 months of burn-in before
SEEDS = (1, 2, 3)
ABSENT_BY_GROUP = {"DE": 0.03, "EU2": 0.17, "EU_SONST": 0.06, "ASYL8": 0.12, "DRITT_SONST": 0.08}


@dataclass(frozen=True)
class Setting:
    name: str
    breaks: str  # the assumption the setting breaks, in words
    knobs: Assumptions


SETTINGS: tuple[Setting, ...] = (
    Setting("demo", "nothing (the demo world's assumptions)", DEMO),
    Setting("absent_5", "absent share 5 % (demo 1.5 %)", Assumptions(absent_share=0.05)),
    Setting("absent_10", "absent share 10 %", Assumptions(absent_share=0.10)),
    Setting("absent_by_group", "absent share 3-17 % by group", Assumptions(absent_share=ABSENT_BY_GROUP)),
    Setting(
        "counselling_indep", "counselling independent of the register", Assumptions(counselling_unregistered_factor=1.0)
    ),
    Setting(
        "counselling_strong",
        "counselling finds the unregistered 8x as often",
        Assumptions(counselling_unregistered_factor=8.0),
    ),
    Setting("hetero_05", "heterogeneous catchability (sd 0.5)", Assumptions(catchability_sd=0.5)),
    Setting("hetero_10", "heterogeneous catchability (sd 1.0)", Assumptions(catchability_sd=1.0)),
    Setting("ava_slow", "ex-officio removals 3x later", Assumptions(ava_delay_factor=3.0)),
    Setting("ava_fast", "ex-officio removals 3x sooner", Assumptions(ava_delay_factor=1 / 3)),
    Setting(
        "unreg_school_low",
        "unregistered children at school half as often",
        Assumptions(unregistered_school_factor=0.5),
    ),
    Setting(
        "unreg_school_equal",
        "unregistered children at school like registered ones",
        Assumptions(unregistered_school_factor=1.8),
    ),
    Setting(
        "independent",
        "all at once: absent 3-17 % by group, sd 0.7, counselling 5x, removals 2x later",
        Assumptions(
            absent_share=ABSENT_BY_GROUP,
            catchability_sd=0.7,
            counselling_unregistered_factor=5.0,
            ava_delay_factor=2.0,
        ),
    ),
)


def world_id(index: int, seed: int) -> str:
    return f"fam{index:02d}s{seed}"


def _generate_world(job: dict) -> dict:
    """One world (runs in a worker process): generate the template city, move its deliveries
    into the family landing under the world's own slug, write its truth and description."""
    from ingest.demo.generate import generate

    work, wid, template = Path(job["work"]), job["world"], job["template"]
    knobs = Assumptions(**job["knobs"])
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        tmp = Path(tmp)
        summary = generate(
            scale=job["scale"],
            seed=job["seed"],
            landing=tmp / "landing",
            truth=tmp / "truth",
            cities=[template],
            start=job["start"],
            end=job["end"],
            overwrite=True,
            progress=lambda *_: None,
            assumptions=knobs,
            now=job["now"],
        )
        target = work / "landing" / wid
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(tmp / "landing" / template), target)
        _own_district_names(target, wid)
        truth_dir = work / "truth" / wid
        truth_dir.mkdir(parents=True, exist_ok=True)
        truth = pl.read_parquet(tmp / "truth" / "truth_strata.parquet").with_columns(city=pl.lit(wid))
        truth.write_parquet(truth_dir / "truth_strata.parquet")
    world = {
        "name": wid,
        "generator": "ingest.demo",
        "template_city": template,
        "setting": job["setting"],
        "breaks": job["breaks"],
        "seed": job["seed"],
        "scale": job["scale"],
        "period": f"{job['start']}..{job['end']}",
        "assumptions": knobs.describe(),
        "events": summary.events,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    (truth_dir / "world.json").write_text(json.dumps(world, indent=1), encoding="utf-8")
    return world


def _own_district_names(city_dir: Path, wid: str) -> None:
    """The district file is the same for every world of a template; the loader skips a file whose
    bytes it has seen before in any city, so the names carry the world's id."""
    for f in (city_dir / "gebiete").glob("*.csv"):
        lines = f.read_text(encoding="utf-8").splitlines()
        head, rows = lines[0].split(";"), [ln.split(";") for ln in lines[1:]]
        k = head.index("bezirk_name")
        for r in rows:
            r[k] = f"{r[k]} ({wid})"
        f.write_text("\n".join(";".join(r) for r in [head, *rows]) + "\n", encoding="utf-8")


def _city_file(work: Path, wid: str, template: str) -> None:
    from warehouse.settings import BUILTIN_CITY_DIR as CITY_DIR_DEFAULT

    text = (CITY_DIR_DEFAULT / f"{template}.yaml").read_text(encoding="utf-8").splitlines()
    out = [f"slug: {wid}" if ln.startswith("slug:") else ln for ln in text]
    out = [f"name: Family world {wid} (synthetic, {template} profile)" if ln.startswith("name:") else ln for ln in out]
    out = [ln for ln in out if not ln.startswith("alliances:")] + ["alliances: []"]
    (work / "cities").mkdir(parents=True, exist_ok=True)
    (work / "cities" / f"{wid}.yaml").write_text("\n".join(out) + "\n", encoding="utf-8")


def generate_family(
    work: Path,
    settings: tuple[Setting, ...] = SETTINGS,
    seeds: tuple[int, ...] = SEEDS,
    template: str = TEMPLATE,
    scale: float = SCALE,
    start: str = START,
    end: str = END,
    jobs: int = 2,
    progress=print,
) -> list[dict]:
    """Write every world of the grid into work/landing/<world> and work/truth/<world>."""
    from dataclasses import asdict
    from datetime import datetime

    now = datetime(int(end[:4]) + 1, 1, 15, 8, 0)  # a fixed delivery time: the same bytes every run
    (work / "landing").mkdir(parents=True, exist_ok=True)
    (work / "landing" / "DEMO_SYNTHETIC_DATA.txt").write_text(
        "SYNTHETIC DATA - the validation family of estimation/family.py; no real person is in it.\n",
        encoding="utf-8",
    )
    jobs_ = []
    for i, s in enumerate(settings, start=1):
        for seed in seeds:
            wid = world_id(i, seed)
            _city_file(work, wid, template)
            # a generator seed of its own per world: worlds of one replicate share no bytes
            knobs = {k: v for k, v in asdict(s.knobs).items() if k != "notes"}
            jobs_.append(
                dict(
                    work=str(work), world=wid, template=template, knobs=knobs, seed=100 * i + seed, scale=scale,
                    start=start, end=end, setting=s.name, breaks=s.breaks, now=now,
                )
            )  # fmt: skip
    worlds = []
    with ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=get_context("spawn")) as pool:
        for w in pool.map(_generate_world, jobs_):
            progress(
                f"   {w['name']}: {w['setting']:<20} seed {w['seed']}  {w['events']:>7,} events  {w['seconds']:5.1f} s"
            )
            worlds.append(w)
    return worlds


def build_family(work: Path, timings: dict | None = None) -> Path:
    """Load every world of work/landing into work/warehouse.duckdb and build the estimates with
    the pipeline (models only). The family's cities (work/cities) are partitions of the Dagster
    definitions, which read the city files when imported: so the build runs in a process of its
    own with CITY_CONFIG_DIR set from the start."""
    import subprocess
    import sys
    import time

    warehouse = work / "warehouse.duckdb"
    if warehouse.exists():
        warehouse.unlink()
    code = (
        "import sys; from pathlib import Path; from estimation.validate import build_warehouse; "
        "build_warehouse(Path(sys.argv[1]), Path(sys.argv[2]), with_tests=False)"
    )
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code, str(work / "landing"), str(warehouse)],
        env={**os.environ, "CITY_CONFIG_DIR": str(work / "cities")},
        check=True,
    )
    if timings is not None:
        timings["build_s"] = round(time.perf_counter() - t0, 1)
    return warehouse


def score_family(work: Path, estimates: pl.DataFrame, settings: tuple[Setting, ...] = SETTINGS) -> dict:
    """Score every world of work/truth (world.json + truth_strata) against the estimates."""
    from estimation.validate import MIN_REGISTERED, read_truth, read_world, score, summarise

    worlds = [read_world(d / "world.json") for d in sorted((work / "truth").iterdir()) if (d / "world.json").exists()]
    truth = pl.concat([read_truth(work / "truth" / w["name"]) for w in worlds])
    meta = pl.DataFrame(
        {
            "city": [w["name"] for w in worlds],
            "setting": [w["setting"] for w in worlds],
            "seed": [w["seed"] for w in worlds],
        }
    )
    scored = score(estimates, truth).join(meta, on="city").filter(pl.col("scope") == "city")
    order = {s.name: i for i, s in enumerate(settings)}
    by_order = lambda df: df.with_columns(_o=pl.col("setting").replace_strict(order, default=99, return_dtype=pl.Int64))
    rec = scored.filter("recommended").with_columns(method=pl.lit("recommended"))
    used = [s for s in settings if s.name in set(meta["setting"])]
    return {
        "settings": [{"name": s.name, "breaks": s.breaks, **s.knobs.describe()} for s in used],
        "seeds": sorted({w["seed"] for w in worlds}),
        "template": worlds[0]["template_city"] if worlds else None,
        "scale": worlds[0]["scale"] if worlds else None,
        "min_registered": MIN_REGISTERED,
        "worlds": worlds,
        "by_method": summarise(scored).to_dicts(),
        "by_method_setting": by_order(summarise(scored, by=("quantity", "method", "setting")))
        .sort("quantity", "method", "_o")
        .drop("_o")
        .to_dicts(),
        "recommended": summarise(rec).to_dicts(),
        "recommended_by_setting": by_order(summarise(rec, by=("quantity", "method", "setting")))
        .sort("quantity", "_o")
        .drop("_o")
        .to_dicts(),
        "recommended_methods": scored.filter("recommended")
        .group_by("quantity", "method")
        .len()
        .sort("quantity", "len", descending=[False, True])
        .to_dicts(),
    }


def run_family(
    work: str | Path | None = None,
    settings: tuple[Setting, ...] = SETTINGS,
    seeds: tuple[int, ...] = SEEDS,
    template: str = TEMPLATE,
    scale: float = SCALE,
    jobs: int = 2,
    keep: bool = False,
    progress=print,
) -> dict:
    """Generate the grid, build it with the pipeline, score every world. Returns the tables
    (lists of dicts) print_family shows; `work` (default: a temporary folder, removed unless
    `keep`) holds the landing, truth, city files and warehouse."""
    from estimation.validate import read_estimates

    own = work is None
    work = Path(work or tempfile.mkdtemp(prefix="estimation_family_"))
    work.mkdir(parents=True, exist_ok=True)
    timings: dict = {}
    try:
        t0 = time.perf_counter()
        progress(
            f"== validation family: {len(settings)} settings x {len(seeds)} seeds, {template} profile at scale {scale}"
        )
        generate_family(work, settings, seeds, template, scale, jobs=jobs, progress=progress)
        timings["generate_s"] = round(time.perf_counter() - t0, 1)
        warehouse = build_family(work, timings)
        result = score_family(work, read_estimates(warehouse), settings)
        result["timings"] = {**timings, "total_s": round(time.perf_counter() - t0, 1)}
        return result
    finally:
        if own and not keep:
            shutil.rmtree(work, ignore_errors=True)


def print_family(result: dict) -> None:
    cols = ["strata", "coverage", "rel_bias", "mean_error", "median_width", "median_rel_width"]
    with pl.Config(tbl_rows=400, tbl_cols=-1, tbl_width_chars=250, tbl_hide_dataframe_shape=True, float_precision=3):
        print("\nsettings (what each breaks):")
        for s in result["settings"]:
            print(f"   {s['name']:<20} {s['breaks']}")
        print(
            f"\n{len(result['worlds'])} worlds ({result['template']} profile, scale {result['scale']}, seeds "
            f"{result['seeds']}); whole-city strata with >= {result['min_registered']} registered. coverage = share "
            "of 95 % intervals holding the truth; rel_bias = sum(estimate - truth) / sum(truth); width = upper - lower."
        )
        print("\nrecommended method, per setting:")
        print(pl.DataFrame(result["recommended_by_setting"]).select(["quantity", "setting", *cols]))
        print("\nrecommended method, whole family:")
        print(pl.DataFrame(result["recommended"]).select(["quantity", *cols]))
        print("\nevery method, whole family:")
        print(pl.DataFrame(result["by_method"]).select(["quantity", "method", *cols]))
        print("\nevery method, per setting:")
        print(pl.DataFrame(result["by_method_setting"]).select(["quantity", "method", "setting", *cols]))
    t = result.get("timings", {})
    print(f"\nfamily: generate {t.get('generate_s')} s, build {t.get('build_s')} s, total {t.get('total_s')} s")
