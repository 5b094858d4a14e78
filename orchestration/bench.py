"""`make bench`: print the benchmark figures (never pass/fail).

Sections (each prints its own figures; a section that fails says so and the command exits 1):
  1. ingest throughput per dialect vs DuckDB's bare read_csv, peak memory (ingest.bench)
  2. the demo world end to end: generate, load, checks, dbt rebuild, publish, report render
  3. Dunkelziffer validation against the demo truth (coverage, mean relative error)
  4. a large world (~10 million movement events): load, checks as share of load, dbt rebuild
  5. the validation family (estimation/family.py): every Dunkelziffer method on 13 settings x 3
     seeds of worlds that break the methods' assumptions - coverage, bias, interval width per
     method and setting (`--family-seeds`, `--skip family`)
  6. generation only (`--generate-only-events N`, off by default): N movement events written
     (movements and districts only) with events, files, GB, seconds, events/s and the
     generator's peak RSS - how the national scale (100 million) is shown without loading it

Memory is attributed per phase: every phase (generate, load, official, checks, dbt, report,
validation) runs in a fresh interpreter of its own, which reports its peak RSS (its own and its
children's, e.g. dbt). So "10 million events ingested in under 4 GB" is read off the `load`
phase alone, not off a process that also generated the world and ran dbt.
All work happens in a temporary folder; the checkout's data/ is not touched.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import multiprocessing
import os
import re
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


def phase_load(landing: str, warehouse: str) -> dict:
    from ingest.load import load_landing

    load = load_landing(landing_dir=landing, warehouse=warehouse, log=lambda *_: None)
    return {"deliveries_loaded": load.loaded, "deliveries_quarantined": load.quarantined}


def phase_official(landing: str, warehouse: str) -> dict:
    from ingest.official import load_official, seed_landing

    seed_landing(Path(landing))
    load_official(Path(landing), Path(warehouse))
    return {}


def phase_checks(warehouse: str) -> dict:
    # Great Expectations' import (~8 s) is paid once per process: timed on its own.
    t0 = time.perf_counter()
    from quality import gx_engine

    gx_engine._batch_definition()
    t1 = time.perf_counter()
    import quality

    quality.run_raw_checks(warehouse)
    return {"gx_import_s": round(t1 - t0, 1), "raw_checks_s": round(time.perf_counter() - t1, 1)}


def _dbt(args: list[str]) -> None:
    """dbt quietly; on failure its error lines are shown (the phase's output is not streamed)."""
    from orchestration.dbt_project import run_dbt

    res = run_dbt(args, log=lambda *_: None, check=False)
    if res.returncode:
        lines = re.sub(r"\x1b\[[0-9;]*m", "", res.stdout).splitlines()  # without colour codes
        errors = [ln for ln in lines if any(w in ln for w in ("ERROR", "FAIL ", "Error", "error:"))]
        raise RuntimeError(
            f"dbt {' '.join(args)} failed (exit {res.returncode}):\n" + "\n".join((errors or lines)[-30:])
        )


def phase_dbt(with_tests: bool) -> dict:
    t0 = time.perf_counter()
    # The demo world is built with its data and unit tests; a partial world (movements only)
    # would fail tests that expect stock, so there only the models run.
    if with_tests:
        _dbt(["build"])
    else:
        _dbt(["seed"])
        _dbt(["run"])
    t1 = time.perf_counter()
    # A second, full rebuild on unchanged inputs: the figure the issue asks for.
    _dbt(["run", "--full-refresh"])
    return {"dbt_build_s": round(t1 - t0, 1), "dbt_full_rebuild_s": round(time.perf_counter() - t1, 1)}


def phase_report(warehouse: str, published: str) -> dict:
    from orchestration.publish import publish
    from reports.render import render_report

    t0 = time.perf_counter()
    publish(Path(warehouse), Path(published))
    t1 = time.perf_counter()
    render_report(alliance="alle", quarter="2026-Q3", lang="de", formats=("html", "pdf"))
    return {"publish_s": round(t1 - t0, 1), "report_render_html_pdf_s": round(time.perf_counter() - t1, 1)}


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
    return paths


def world_pipeline(
    work: Path, name: str, scale: float, sources: list[str] | None, report: bool, figures: dict, reuse: bool = False
) -> dict[str, Path]:
    paths = _use_workdir(work, name)
    p = {k: str(v) for k, v in paths.items()}
    print(f"\n-- {name}: scale {scale:g}, sources {','.join(sources) if sources else 'all'}")
    if reuse and paths["warehouse"].exists():
        # a world built by an earlier run in the same --workdir: dbt (and the report) only
        print(f"   reusing the loaded world in {paths['warehouse'].parent} (generate, load and checks skipped)")
    else:
        _build_world(p, scale, sources, figures)
    figures.update(run_phase(figures, "dbt", f"{_HERE}:phase_dbt", with_tests=sources is None))
    if report:
        figures.update(
            run_phase(figures, "report", f"{_HERE}:phase_report", warehouse=p["warehouse"], published=p["published"])
        )
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
    figures.update(run_phase(figures, "load", f"{_HERE}:phase_load", landing=p["landing"], warehouse=p["warehouse"]))
    run_phase(figures, "official", f"{_HERE}:phase_official", landing=p["landing"], warehouse=p["warehouse"])
    figures.update(run_phase(figures, "checks", f"{_HERE}:phase_checks", warehouse=p["warehouse"]))
    figures["checks_share_of_load"] = round(figures["raw_checks_s"] / figures["load_s"], 3)
    figures["checks_share_incl_gx_import"] = round(
        (figures["raw_checks_s"] + figures["gx_import_s"]) / figures["load_s"], 3
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
    parser.add_argument("--demo-scale", type=float, default=None, help="default: the demo's default scale")
    parser.add_argument("--skip", default="", help="comma-separated sections to skip: ingest,demo,large,family")
    parser.add_argument("--family-seeds", default="1,2,3", help="seeds of the validation family (default 1,2,3)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--reuse-world",
        action="store_true",
        help="with --workdir: a world already loaded there by an earlier run is reused "
        "(only dbt and the report run again)",
    )
    args = parser.parse_args(argv)
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

        paths = world_pipeline(work, "demo", args.demo_scale or DEFAULT_SCALE, None, True, fig, args.reuse_world)
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

    skip = set(filter(None, args.skip.split(",")))
    if "ingest" not in skip:
        section("1 ingest throughput", ingest_section)
    if "demo" not in skip:
        section("2 demo world end to end", demo_section)
    if args.large_events > 0 and "large" not in skip:
        section(f"3 large world (~{args.large_events / 1e6:.0f} million events)", large_section)
    if "family" not in skip:
        section(
            "4 validation family (Dunkelziffer methods on worlds that break their assumptions)",
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
    if args.generate_only_events > 0:
        section(
            f"5 generation only (~{args.generate_only_events / 1e6:g} million events)",
            lambda fig: generate_only(work, args.generate_only_events, args.keep_generated, fig),
        )

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
