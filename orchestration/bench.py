"""`make bench`: print the benchmark figures (never pass/fail).

Sections (each prints its own figures; a section that fails says so and the command exits 1):
  1. ingest throughput per dialect vs DuckDB's bare read_csv, peak memory (ingest.bench)
  2. the demo world end to end: generate, load, checks, dbt rebuild, publish, report render
  3. Dunkelziffer validation against the demo truth (coverage, mean relative error)
  4. a large world (~10 million movement events): load, checks as share of load, dbt rebuild
  5. chaos (orchestration.chaos): kill -9 trials at random moments of load, checks, dbt,
     publish and export with a reader loop; trials, inconsistencies, identical reruns, reader
     queries and failures
  6. the validation family (estimation/family.py): every Dunkelziffer method on 13 settings x 3
     seeds of worlds that break the methods' assumptions - coverage, bias, interval width per
     method and setting (`--family-seeds`, `--skip family`)
  7. nightly increments (orchestration.bench_increments): one city's new month and a _v2 of a
     month two years back through the nightly path vs the full pipeline, on the demo-sized world
     and larger ones (`--increment-events 1e5,6e5,1e6` or `--increment-scales`), with the
     equality check, each with the engine's floor of the same files, the full pipeline's profile (steps, load per city
     and source, dbt models) and the planner queries' p50/p95 on its published copy
  8. generation only (`--generate-only-events N`, off by default): N movement events written
     (movements and districts only) with events, files, GB, seconds, events/s and the
     generator's peak RSS - how the national scale (100 million) is shown without loading it
  9. planner queries (`--only planner --workdir W`): p50/p95 over `--planner-runs` runs of the
     README's queries on every published copy already in W (the demo and large worlds measure
     theirs in their own sections)
 10. engines (orchestration.bench_engines): the same small world (`--engines-scale`, default
     0.005) built by dbt on DuckDB and on a local Spark session side by side: dbt build on each,
     the import of Spark's served tables into DuckDB, their ratio, and the served tables compared

`--only SECTION[,SECTION]` runs those sections alone, `--skip` leaves some out; the names are
ingest, demo, large, chaos, family, increments, generate, planner, engines. Every world also times the
engine's floor: its delivered files read by DuckDB's bare read_csv/read_parquet (xlsx through
fastexcel) into tables (orchestration.bench_floor), and prints the full pipeline over it.

The pipeline phases (load, official, checks, dbt, publish, report) are selections of the one
pipeline, the Dagster definitions (orchestration.pipeline); the last pipeline phase takes what
the earlier ones left, so an asset added to the graph is in the benchmark too. Memory is
attributed per phase: every phase (generate, the pipeline phases, validation) runs in a fresh
interpreter of its own, which reports its peak RSS (its own and its children's, e.g. dbt). So
"10 million events ingested in under 4 GB" is read off the `load` phase alone, not off a process
that also generated the world and ran dbt; a pipeline phase's own figure excludes the import of
the definitions (`<phase>_definitions_import_s`), which every phase pays once.
All work happens in a temporary folder; the checkout's data/ is not touched.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

EVENTS_PER_SCALE = 6.32e6  # movement events the demo world writes per 1.0 of scale (measured: 10.10 M at 1.6)
LARGE_SOURCES = "meldewesen,gebiete"
_HERE = "orchestration.bench"  # phases are imported by name in their own interpreter


def _peak_rss_mb() -> float:
    """Peak resident set of this process or of the largest child it waited for (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return max(own, kids)


# ------------------------------------------------------------------ phases in their own process
def _phase_child(target: str, kwargs: dict, conn) -> None:
    """Runs in a fresh interpreter: call `module:function(**kwargs)`, send back result and peak RSS."""
    t0 = time.perf_counter()
    result, error = None, None
    try:
        module, name = target.split(":")
        result = getattr(importlib.import_module(module), name)(**kwargs)
    except BaseException as exc:  # reported to the parent, which marks the section failed
        error = f"{exc!r}\n{traceback.format_exc(limit=6)}"
    conn.send(
        {
            "result": result,
            "error": error,
            "seconds": round(time.perf_counter() - t0, 1),
            "peak_rss_mb": round(_peak_rss_mb()),
        }
    )
    conn.close()


def run_phase(figures: dict, name: str, target: str, **kwargs):
    """Run one phase in a spawned interpreter (environment inherited); record `<name>_s` (incl.
    imports, excl. interpreter start) and `<name>_peak_rss_mb`; raise if the phase failed."""
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_phase_child, args=(target, kwargs, sender), name=f"bench-{name}")
    proc.start()
    sender.close()
    try:
        msg = receiver.recv()
    except EOFError:
        proc.join()
        raise RuntimeError(
            f"phase {name} died without a result (exit code {proc.exitcode}; killed by the kernel's OOM killer?)"
        ) from None
    proc.join()
    figures[f"{name}_s"] = msg["seconds"]
    figures[f"{name}_peak_rss_mb"] = msg["peak_rss_mb"]
    print(f"   {name}: {msg['seconds']:.1f} s, peak RSS {msg['peak_rss_mb']:,} MB", flush=True)
    if msg["error"]:
        raise RuntimeError(f"phase {name} failed: {msg['error']}")
    return msg["result"]


def phase_generate(landing: str, truth: str, scale: float, sources: list[str] | None, verbose: bool = False) -> dict:
    from ingest.demo import generate

    s = generate(
        scale=scale,
        landing=landing,
        truth=truth,
        sources=sources,
        overwrite=True,
        progress=(lambda m: print(m, flush=True)) if verbose else (lambda *_: None),
    )
    return {"events": s.events, "rows": s.rows, "files": s.files, "bytes": s.bytes, "per_city": s.per_city}


REPORT_QUARTER, REPORT_ALLIANCE = "2026-Q3", "alle"


def phase_selection(phase: str, with_tests: bool = True):
    """The part of the pipeline one benchmark phase runs; "publish" is the rest of the graph
    but the reports (exchange packages, mart checks, the published copy and whatever is new)."""
    import dagster as dg

    from orchestration.defs.dbt import dbt_models, dbt_tests
    from orchestration.defs.estimates import dunkelziffer_estimates
    from orchestration.defs.ingest import raw_city_deliveries
    from orchestration.defs.official import raw_official_tables

    parts = {
        "load": dg.AssetSelection.assets(raw_city_deliveries).without_checks(),
        "official": dg.AssetSelection.assets(raw_official_tables).without_checks(),
        "checks": dg.AssetSelection.checks_for_assets(raw_city_deliveries),
        # the estimates run between the two dbt ops (orchestration/defs/estimates.py)
        "dbt": (dbt_models() | dbt_tests() if with_tests else dbt_models())
        | dg.AssetSelection.assets(dunkelziffer_estimates),
        "report": dg.AssetSelection.groups("reports"),
    }
    if phase in parts:
        return parts[phase]
    if phase != "publish":
        raise ValueError(f"unknown phase {phase!r}")
    rest = dg.AssetSelection.all()
    for part in parts.values():
        rest = rest - part
    return rest


def phase_pipeline(phase: str, with_tests: bool = True, repeat: bool = False) -> dict:
    """Run one phase of the pipeline; with `repeat` a second time (unchanged inputs: dbt's full
    rebuild figure)."""
    t0 = time.perf_counter()
    from orchestration.definitions import defs  # noqa: F401  (the import every phase pays, timed apart)
    from orchestration.pipeline import run_pipeline

    figures = {f"{phase}_definitions_import_s": round(time.perf_counter() - t0, 1)}
    if phase == "checks":
        # Great Expectations' import (~8 s) is paid once per process: timed on its own.
        t1 = time.perf_counter()
        from quality import gx_engine

        gx_engine._batch_definition()
        figures["gx_import_s"] = round(time.perf_counter() - t1, 1)
    selection = phase_selection(phase, with_tests)
    options = {
        "quarters": [REPORT_QUARTER],
        "alliances": [REPORT_ALLIANCE],
        "op_config": {"quarterly_report": {"languages": ["de"]}},
        "log": lambda *_: None,
    }
    t1 = time.perf_counter()
    run_pipeline(selection, **options)
    figures[f"{phase}_run_s"] = round(time.perf_counter() - t1, 1)
    if repeat:
        t2 = time.perf_counter()
        run_pipeline(selection, **options)
        figures[f"{phase}_again_s"] = round(time.perf_counter() - t2, 1)
    if phase == "report":  # the dashboards are built in the reports group: their size and opening time
        from warehouse import settings

        figures.update(_dashboard_figures(settings.published_path()))
    return figures


def _dashboard_figures(published: Path) -> dict:
    """Build time, size and opening time (headless Chromium) of the alliance dashboard."""
    from reports.dashboard import build_dashboard
    from reports.dashboard.browser import chromium_path, measure_opening

    t0 = time.perf_counter()
    path = build_dashboard("alle", None, published)
    out = {"dashboard_build_s": round(time.perf_counter() - t0, 1)}
    if chromium_path() is None:
        out["dashboard_mb"] = round(path.stat().st_size / 1e6, 2)
        print("   dashboard opening time: not measured (no system Chromium)")
        return out
    out.update(measure_opening(path))
    print(
        f"   alliance dashboard {path}: {out['dashboard_mb']} MB (target < 15 MB), opens in "
        f"{out['dashboard_open_ms']} ms in headless Chromium (target < 2,000 ms)"
    )
    return out


def phase_floor(landing: str) -> dict:
    """The engine's floor of a world's delivered files (orchestration.bench_floor)."""
    from orchestration.bench_floor import engine_floor

    return engine_floor(Path(landing))


def planner_section(published: Path, runs: int, figures: dict) -> None:
    from orchestration.bench_planner import planner_figures, print_planner, time_planner_queries

    rows = time_planner_queries(published, runs)
    print_planner(rows, runs)
    figures.update(planner_figures(rows))


def full_over_floor(figures: dict) -> None:
    """Load + official + checks + dbt (+ publish) of a world against its engine floor."""
    parts = ("load_run_s", "official_run_s", "checks_run_s", "dbt_build_s", "publish_run_s")
    if not figures.get("floor_s") or "load_run_s" not in figures:
        return
    figures["pipeline_s"] = round(sum(figures.get(p, 0.0) for p in parts), 1)
    figures["full_over_floor"] = round(figures["pipeline_s"] / figures["floor_s"], 1)
    done = "+".join(p.removesuffix("_run_s").removesuffix("_s") for p in parts if p in figures)
    print(
        f"   full pipeline ({done}) {figures['pipeline_s']:.1f} s vs the engine floor {figures['floor_s']:.1f} s: "
        f"{figures['full_over_floor']:.1f}x (target <= 4x)"
    )


def phase_validation(landing: str, truth: str, warehouse: str) -> dict:
    from estimation.validate import print_report, validate

    print_report(validate(Path(landing), Path(truth), Path(warehouse), build=False))
    return {}


# ------------------------------------------------------------------ sections
def phase_family(work: str, seeds: list[int]) -> dict:
    from estimation.family import print_family, run_family

    result = run_family(work=Path(work), seeds=tuple(seeds), keep=True)
    print_family(result)
    rec = {r["quantity"]: r for r in result["recommended"]}
    return {
        f"recommended_{q}_{k}": round(rec[q][k], 3) for q in rec for k in ("coverage", "rel_bias", "median_width")
    } | {k: v for k, v in result["timings"].items()}


def _use_workdir(work: Path, name: str) -> dict[str, Path]:
    """Point every path of the system at a private folder for one world (phases inherit it)."""
    base = work / name
    paths = {
        "landing": base / "landing",
        "truth": base / "truth",
        "warehouse": base / "warehouse.duckdb",
        "published": base / "published" / "warehouse.duckdb",
        "reports": base / "reports",
    }
    os.environ["LANDING_DIR"] = str(paths["landing"])
    os.environ["WAREHOUSE_DUCKDB_PATH"] = str(paths["warehouse"])
    os.environ["PUBLISHED_DUCKDB_PATH"] = str(paths["published"])
    os.environ["REPORTS_OUTPUT_DIR"] = str(paths["reports"])
    os.environ["DEMO_TRUTH_DIR"] = str(paths["truth"])
    os.environ["EXCHANGE_OUTBOX_DIR"] = str(base / "outbox")
    return paths


def world_pipeline(
    work: Path,
    name: str,
    scale: float,
    sources: list[str] | None,
    report: bool,
    figures: dict,
    reuse: bool = False,
    planner_runs: int = 50,
) -> dict[str, Path]:
    paths = _use_workdir(work, name)
    p = {k: str(v) for k, v in paths.items()}
    print(f"\n-- {name}: scale {scale:g}, sources {','.join(sources) if sources else 'all'}")
    if reuse and paths["warehouse"].exists():
        # a world built by an earlier run in the same --workdir: dbt (and the report) only
        print(f"   reusing the loaded world in {paths['warehouse'].parent} (generate, load and checks skipped)")
    else:
        _build_world(p, scale, sources, figures)
    # The demo world is built with its data and unit tests; a partial world (movements only)
    # would fail tests that expect stock, so there only the models run. The second run on
    # unchanged inputs is the full rebuild figure.
    figures.update(
        run_phase(figures, "dbt", f"{_HERE}:phase_pipeline", phase="dbt", with_tests=sources is None, repeat=True)
    )
    figures["dbt_build_s"], figures["dbt_full_rebuild_s"] = figures.pop("dbt_run_s"), figures.pop("dbt_again_s")
    if report:
        figures.update(run_phase(figures, "publish", f"{_HERE}:phase_pipeline", phase="publish"))
        figures.update(run_phase(figures, "report", f"{_HERE}:phase_pipeline", phase="report"))
        figures["report_render_html_pdf_s"] = figures.pop("report_run_s")
    full_over_floor(figures)
    if report and paths["published"].exists():
        planner_section(paths["published"], planner_runs, figures)
    if figures.get("events"):
        print(
            f"   ingest memory: {figures['events']:,} movement events loaded with a peak RSS of "
            f"{figures['load_peak_rss_mb']:,} MB in the load phase (target < 4,096 MB at 10 million)"
        )
    return paths


def _build_world(p: dict[str, str], scale: float, sources: list[str] | None, figures: dict) -> None:
    """Generate, load, official tables and quality checks of one world."""
    gen = run_phase(
        figures,
        "generate",
        f"{_HERE}:phase_generate",
        landing=p["landing"],
        truth=p["truth"],
        scale=scale,
        sources=sources,
    )
    figures["events"], figures["rows_delivered"] = gen["events"], gen["rows"]
    floor = run_phase(figures, "floor", f"{_HERE}:phase_floor", landing=p["landing"])
    figures.update({k: v for k, v in floor.items() if k != "floor_per_source_s"})
    print(f"   engine floor per source (s): {floor['floor_per_source_s']}")
    for phase in ("load", "official", "checks"):
        figures.update(run_phase(figures, phase, f"{_HERE}:phase_pipeline", phase=phase))
    figures["checks_share_of_load"] = round(figures["checks_run_s"] / figures["load_run_s"], 3)
    figures["checks_share_incl_gx_import"] = round(
        (figures["checks_run_s"] + figures["gx_import_s"]) / figures["load_run_s"], 3
    )
    print(
        f"   checks add {100 * figures['checks_share_of_load']:.1f} % to the load "
        f"({100 * figures['checks_share_incl_gx_import']:.1f} % with the GX import; target < 25 %)"
    )


def generate_only(work: Path, events: float, keep: bool, figures: dict) -> None:
    """Write `events` movement events (movements and districts only) and measure the generator."""
    scale = events / EVENTS_PER_SCALE
    base = work / "generate_only"
    print(
        f"\n-- generation only: scale {scale:.3g} (~{events / 1e6:g} million events), sources {LARGE_SOURCES} -> {base}"
    )
    gen = run_phase(
        figures,
        "generate",
        f"{_HERE}:phase_generate",
        landing=str(base / "landing"),
        truth=str(base / "truth"),
        scale=scale,
        sources=LARGE_SOURCES.split(","),
        verbose=True,
    )
    secs = figures["generate_s"]
    figures.update(
        {
            "scale": round(scale, 4),
            "events": gen["events"],
            "files": gen["files"],
            "rows": gen["rows"],
            "gb_written": round(gen["bytes"] / 1e9, 2),
            "events_per_s": round(gen["events"] / secs) if secs else None,
        }
    )
    held = {c: f"{v.get('persons_held', '?'):,}/{v.get('persons_ever', '?'):,}" for c, v in gen["per_city"].items()}
    print(
        f"   {gen['events']:,} events, {gen['files']:,} files, {figures['gb_written']} GB in {secs:,.0f} s "
        f"({figures['events_per_s']:,} events/s); generator peak RSS {figures['generate_peak_rss_mb']:,} MB"
    )
    print(f"   persons held at the end / ever simulated, per city: {held}")
    if not keep:
        shutil.rmtree(base, ignore_errors=True)
        print(f"   removed {base} (use --keep-generated to keep it)")


SECTIONS = ("ingest", "demo", "large", "chaos", "family", "increments", "generate", "planner", "engines")
BY_DEFAULT = {"ingest", "demo", "large", "chaos", "family", "increments", "engines"}  # generate and planner: asked for


def chosen_sections(only: str, skip: str, large_events: float, generate_events: float) -> set[str]:
    """The sections a run does: `only`'s (else the default ones and `generate` when asked for)
    less `skip`'s; an unknown name is an error, not a silently empty run."""
    wanted, left_out = set(filter(None, only.split(","))), set(filter(None, skip.split(",")))
    unknown = (wanted | left_out) - set(SECTIONS)
    if unknown:
        raise ValueError(f"unknown section(s) {sorted(unknown)}; the sections are {','.join(SECTIONS)}")
    if "generate" in wanted and generate_events <= 0:
        raise ValueError("--only generate needs --generate-only-events N")
    chosen = wanted or BY_DEFAULT | ({"generate"} if generate_events > 0 else set())
    if large_events <= 0:
        chosen = chosen - {"large"}
    return chosen - left_out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--ingest-events",
        type=int,
        default=2_000_000,
        help="events in the single-file ingest benchmark (default 2,000,000)",
    )
    parser.add_argument(
        "--large-events",
        type=float,
        default=10e6,
        help="movement events of the large world (default 10 million; 0 skips it)",
    )
    parser.add_argument(
        "--large-sources",
        default=LARGE_SOURCES,
        help="sources of the large world (default meldewesen,gebiete: quarterly stock "
        "snapshots of a 10-million-event world would be ~100 million rows; `all` for every source)",
    )
    parser.add_argument(
        "--generate-only-events",
        type=float,
        default=0,
        help="also generate this many movement events without loading them and print the "
        "generator's figures (e.g. 1e8 for national scale: ~1 hour, ~12 GB of disk; "
        "default 0: skipped)",
    )
    parser.add_argument(
        "--keep-generated",
        action="store_true",
        help="keep the files of --generate-only-events (default: removed after measuring)",
    )
    parser.add_argument(
        "--increment-scales",
        default="0.005,0.02",
        help="world scales of the increments section (Münster + Enschede 2019-2026): 1.0 of scale is about "
        "0.86 M movement events, plus ~4 k at any scale (0.02: 21 k, 0.1: 89 k, 0.75: 645 k)",
    )
    parser.add_argument(
        "--increment-events",
        default="",
        help="sizes of the increments section in movement events instead of scales, e.g. 1e5,6e5,1e6 "
        "(the issue's 1e6,3e6,1e7 take hours on a shared 2-core machine)",
    )
    parser.add_argument("--planner-runs", type=int, default=50, help="runs per planner query (default 50)")
    parser.add_argument(
        "--engines-scale", type=float, default=0.005, help="world scale of the engines section (default 0.005)"
    )
    parser.add_argument("--demo-scale", type=float, default=None, help="default: the demo's default scale")
    parser.add_argument("--skip", default="", help=f"comma-separated sections to skip: {','.join(SECTIONS)}")
    parser.add_argument(
        "--only",
        default="",
        help=f"comma-separated sections to run alone (the others are skipped): {','.join(SECTIONS)}",
    )
    parser.add_argument("--chaos-kills", type=int, default=20, help="kill -9s of the chaos section (default 20)")
    parser.add_argument("--family-seeds", default="1,2,3", help="seeds of the validation family (default 1,2,3)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--reuse-world",
        action="store_true",
        help="with --workdir: a world already loaded there by an earlier run is reused "
        "(only dbt and the report run again)",
    )
    args = parser.parse_args(argv)
    try:
        chosen = chosen_sections(args.only, args.skip, args.large_events, args.generate_only_events)
    except ValueError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.WARNING)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench_"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"benchmark work folder: {work}  (synthetic data only)")
    figures: dict[str, dict] = {}
    failed: list[str] = []

    def section(title: str, fn):
        print(f"\n== {title}", flush=True)
        figures[title] = {}
        try:
            fn(figures[title])
        except Exception as exc:  # a figure that could not be measured is reported, never faked
            failed.append(title)
            print(f"   FAILED: {exc!r}")
            traceback.print_exc(limit=3)

    def ingest_section(fig):
        from ingest.bench import bench_ingest

        fig.update(bench_ingest(args.ingest_events, work / "ingest"))

    def demo_section(fig):
        from ingest.demo import DEFAULT_SCALE

        paths = world_pipeline(
            work, "demo", args.demo_scale or DEFAULT_SCALE, None, True, fig, args.reuse_world, args.planner_runs
        )
        run_phase(
            fig,
            "validation",
            f"{_HERE}:phase_validation",
            landing=str(paths["landing"]),
            truth=str(paths["truth"]),
            warehouse=str(paths["warehouse"]),
        )

    def large_section(fig):
        scale = args.large_events / EVENTS_PER_SCALE
        sources = None if args.large_sources == "all" else args.large_sources.split(",")
        world_pipeline(work, "large", scale, sources, False, fig, args.reuse_world)

    def chaos_section(fig):
        from orchestration.chaos import chaos, report

        summary = chaos(args.chaos_kills, work / "chaos", 0.005, ["muenster", "enschede"], 19)
        trials = summary["trials"]
        fig.update(
            trials=len(trials),
            inconsistencies=sum(len(t["inconsistencies"]) for t in trials),
            reruns_identical=sum(t["identical"] for t in trials),
            reader_queries=summary["readers"]["duckdb"] + summary["readers"]["parquet"],
            reader_failures=summary["readers"]["failures"],
            failures=sum(bool(t["failed"]) for t in trials),
        )
        if report(summary):
            raise RuntimeError("the chaos trials found a problem (see above)")

    if "ingest" in chosen:
        section("1 ingest throughput", ingest_section)
    if "demo" in chosen:
        section("2 demo world end to end", demo_section)
    if "large" in chosen:
        section(f"3 large world (~{args.large_events / 1e6:.0f} million events)", large_section)
    if "chaos" in chosen:
        section(f"4 chaos: kill -9 at random moments ({args.chaos_kills} kills) with readers", chaos_section)
    if "family" in chosen:
        section(
            "5 validation family (Dunkelziffer methods on worlds that break their assumptions)",
            lambda fig: fig.update(
                run_phase(
                    fig,
                    "family",
                    f"{_HERE}:phase_family",
                    work=str(work / "family"),
                    seeds=[int(x) for x in args.family_seeds.split(",")],
                )
            ),
        )
    if "increments" in chosen:

        def increments_section(fig):
            from orchestration.bench_increments import bench_world, print_table, world_scales

            scales = world_scales(args.increment_scales, args.increment_events)
            rows = [bench_world(work / "increments", s, planner_runs=args.planner_runs) for s in scales]
            print_table(rows)
            for r in rows:
                fig.update({f"{k}@{r['scale']:g}": v for k, v in r.items() if isinstance(v, (int, float, bool))})

        section("6 nightly increments vs full pipeline", increments_section)
    if "generate" in chosen:
        section(
            f"7 generation only (~{args.generate_only_events / 1e6:g} million events)",
            lambda fig: generate_only(work, args.generate_only_events, args.keep_generated, fig),
        )
    if "planner" in chosen:

        def planner_copies(fig):
            copies = sorted(work.rglob("published/warehouse.duckdb"))
            if not copies:
                raise RuntimeError(f"no published copy below {work} (run a world there first, e.g. --only demo)")
            for copy in copies:
                print(f"   {copy}")
                found: dict = {}
                planner_section(copy, args.planner_runs, found)
                fig.update({f"{k}@{copy.parent.parent.name}": v for k, v in found.items()})

        section("8 planner queries on the published copies", planner_copies)

    if "engines" in chosen:

        def engines_section(fig):
            from orchestration.bench_engines import bench_engines

            fig.update(bench_engines(work, args.engines_scale))

        section("9 engines: dbt on DuckDB and on a local Spark session, the same world", engines_section)

    print("\n== summary")
    for title, fig in figures.items():
        flat = {k: v for k, v in fig.items() if isinstance(v, (int, float, str)) or v is None}
        print(f"{title}: " + ", ".join(f"{k}={v}" for k, v in flat.items()))
    print(
        f"peak RSS of the bench process itself (phases run in their own processes, see *_peak_rss_mb): "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB"
    )
    if failed:
        print(f"sections that failed: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
