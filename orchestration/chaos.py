"""`python -m orchestration.chaos`: kill -9 the nightly pipeline at random moments and prove
that nothing is ever left half done (also the `chaos` section of `make bench`).

The pipeline is the demo's (`orchestration.demo`), each phase a process of its own so that a
kill hits exactly one: load (city deliveries in small write batches, official tables), raw
checks, dbt build, mart checks, disclosure repair, publish, exchange export. First one uninterrupted run builds
the reference (order-independent fingerprints of every table: `warehouse.fingerprint`) and
keeps the state before each phase. Each trial starts from the state before its phase, kills
the phase's process group with SIGKILL after a random delay within the phase's duration, then

  1. checks what the kill left: the warehouse opens, every delivery is in the raw layer with
     exactly its registry row's rows or absent, no duplicate points to an unregistered file,
     the published copy opens and is a whole version, every package in the outbox verifies;
  2. reruns the pipeline from the killed phase on (what came before was complete) and
     compares every table, the published copy and the packages with the reference.

Meanwhile a reader process queries the published DuckDB file and its Parquet in a loop.
Printed: trials, inconsistencies found, reruns identical, reader queries, failures.
Figures, never pass/fail in the test suite; the exit code is 1 when anything was found.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from warehouse.settings import REPO_ROOT

PHASES = ("load", "checks", "dbt", "marts", "disclosure", "publish", "export")
KILLED_PHASES = ("load", "checks", "dbt", "disclosure", "publish", "export")
QUARTER = "2026-Q3"
PY = sys.executable
# Tables that log how often something ran (a killed run adds its own rows): compared without
# their counters, never by count.
RUN_LOGS = {"publication.load_runs": None, "publication.quality_check_counts": ["n_results"]}
# The published list of tables counts the run logs' rows too: compared without its counts (every
# table it lists is compared whole).
COUNTS_OF_RUN_LOGS = {"publication.tables": ["n_rows"]}


def phase_command(phase: str, cities: list[str]) -> list[str]:
    if phase == "load":
        code = (
            "import sys; from ingest.load import load_landing; from ingest.official import load_official; "
            "from warehouse.settings import landing_dir, warehouse_path; "
            "load_landing(log=lambda m: None); load_official(landing_dir(), warehouse_path())"
        )
        return [PY, "-c", code]
    if phase == "checks":
        return [PY, "-m", "quality", "raw"]
    if phase == "dbt":
        # its own process group (to be killed): dbt, the Dunkelziffer estimation, dbt on the models
        # reading the estimates (orchestration.dbt_project.run_models)
        return [PY, "-m", "orchestration.dbt_project", "build", "--quiet"]
    if phase == "marts":
        return [PY, "-m", "quality", "marts"]
    if phase == "disclosure":  # the repair of the suppression pattern (the disclosure_repair asset)
        return [PY, "-m", "disclosure", "repair"]
    if phase == "publish":
        return [PY, "-m", "orchestration.publish"]
    code = (
        "from orchestration.exchange import export_package; from warehouse.settings import exchange_outbox_dir; "
        f"[export_package(c, {QUARTER!r}, exchange_outbox_dir()) for c in {cities!r}]"
    )
    return [PY, "-c", code]


class Pipeline:
    def __init__(self, work: Path, cities: list[str]):
        self.work, self.cities = work, cities
        from orchestration.signing import ensure_keys

        ensure_keys(cities, work / "keys" / "private", work / "keys" / "keyring")  # the exports sign
        self.published = work / "published" / "warehouse.duckdb"

    def env(self, state: Path) -> dict[str, str]:
        return dict(
            os.environ,
            WAREHOUSE_DUCKDB_PATH=str(state / "warehouse.duckdb"),
            EXCHANGE_OUTBOX_DIR=str(state / "outbox"),
            LANDING_DIR=str(self.work / "landing"),
            PUBLISHED_DUCKDB_PATH=str(self.published),
            DBT_TARGET_PATH=str(self.work / "dbt_target"),
            DBT_LOG_PATH=str(self.work / "dbt_logs"),
            EXCHANGE_SIGNING_KEY_DIR=str(self.work / "keys" / "private"),
            EXCHANGE_KEYRING_DIR=str(self.work / "keys" / "keyring"),
            DUCKDB_MEMORY_LIMIT=os.environ.get("DUCKDB_MEMORY_LIMIT", "1GB"),
            INGEST_BATCH_ROWS="5000",  # many commit points for the kills
            DBT_SEND_ANONYMOUS_USAGE_STATS="false",
            DO_NOT_TRACK="1",
        )

    def start(self, phase: str, state: Path) -> subprocess.Popen:
        log = open(state / f"{phase}.log", "ab")  # noqa: SIM115 - closed by the child's exit
        return subprocess.Popen(
            phase_command(phase, self.cities),
            env=self.env(state),
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the kill reaches dbt's children too
        )

    def run(self, phase: str, state: Path) -> tuple[bool, float]:
        t0 = time.perf_counter()
        proc = self.start(phase, state)
        code = proc.wait()
        # quality raw: 0 clean, 1 a blocking check failed (a verdict, not a crash)
        ok = code == 0 or (phase in ("checks", "marts") and code == 1)
        return ok, time.perf_counter() - t0


# ----------------------------------------------------------------------------- fingerprints
def warehouse_print(path: Path) -> dict:
    from warehouse.fingerprint import warehouse_fingerprints

    prints = warehouse_fingerprints(
        path,
        ("raw", "raw_official", "staging", "intermediate", "marts", "official", "exchange", "alliance", "reference"),
    )
    meta = warehouse_fingerprints(path, ("meta",))
    prints.update({k: v for k, v in meta.items() if k in ("meta.delivery_registry", "meta.quality_gate")})
    return prints


def published_print(path: Path) -> dict:
    from warehouse.fingerprint import warehouse_fingerprints

    prints = warehouse_fingerprints(
        path,
        ("alliance", "exchange", "official", "reference", "publication"),
        exclude_columns={**{k: v for k, v in RUN_LOGS.items() if v}, **COUNTS_OF_RUN_LOGS},
    )
    return {k: v for k, v in prints.items() if not (k in RUN_LOGS and RUN_LOGS[k] is None)}


def parquet_print(folder: Path) -> dict:
    """The Parquet files' prints, without the columns that say when something ran (the same
    ones the warehouse fingerprints leave out)."""
    import duckdb

    from warehouse.fingerprint import VOLATILE_COLUMNS

    con = duckdb.connect()
    try:
        out = {}
        for f in sorted(folder.glob("*.parquet")):
            if f.stem in RUN_LOGS and RUN_LOGS[f.stem] is None:
                continue
            cols = [r[0] for r in con.execute(f"describe select * from read_parquet('{f}')").fetchall()]
            skip = set(RUN_LOGS.get(f.stem) or []) | set(COUNTS_OF_RUN_LOGS.get(f.stem, [])) | set(VOLATILE_COLUMNS)
            kept = ", ".join(f'"{c}"' for c in cols if c not in skip)
            out[f.name] = con.execute(
                f"select count(*), coalesce(sum(hash(struct_pack({kept}))::hugeint), 0)::varchar "
                f"from (select {kept} from read_parquet('{f}'))"
            ).fetchone()
        return out
    finally:
        con.close()


def outbox_print(outbox: Path) -> dict:
    out = {}
    if outbox.is_dir():
        for pkg in sorted(p for p in outbox.iterdir() if p.is_dir() and not p.name.startswith(".")):
            out[pkg.name] = parquet_print(pkg)
    return out


def everything(pipeline: Pipeline, state: Path) -> dict:
    return {
        "warehouse": warehouse_print(state / "warehouse.duckdb"),
        "published": published_print(pipeline.published),
        "parquet": parquet_print(pipeline.published.parent / "parquet"),
        "outbox": outbox_print(state / "outbox"),
    }


def print_differences(reference: dict, now: dict) -> list[str]:
    """The tables (part/name) whose print differs between `reference` and `now`."""
    out = []
    for part in reference:
        a, b = reference[part], now.get(part, {})
        out += [f"{part} {k}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    return out


# ----------------------------------------------------------------------------- after a kill
def inconsistencies(pipeline: Pipeline, state: Path, reference: dict) -> list[str]:
    import duckdb

    from orchestration.exchange import PackageRejected, verify_package

    problems = []
    wh = state / "warehouse.duckdb"
    if wh.exists():
        try:
            con = duckdb.connect(str(wh))  # as the rerun will: read-write (replays the WAL)
            con.close()
            problems += [f"warehouse: {p}" for p in registry_problems(wh)]
        except duckdb.Error as exc:
            problems.append(f"warehouse does not open: {exc}")
    try:
        pub = published_print(pipeline.published)
        if pub != reference["published"]:
            problems.append("published copy is neither the old nor the new one")
        if parquet_print(pipeline.published.parent / "parquet") != reference["parquet"]:
            problems.append("published Parquet is neither the old nor the new version")
    except Exception as exc:  # noqa: BLE001 - any failure to read it is an inconsistency
        problems.append(f"published copy unreadable: {exc}")
    outbox = state / "outbox"
    for pkg in (
        sorted(p for p in outbox.iterdir() if p.is_dir() and not p.name.startswith(".")) if outbox.is_dir() else []
    ):
        try:
            verify_package(pkg, keyring_dirs=[pipeline.work / "keys" / "keyring"])
        except PackageRejected as exc:
            problems.append(f"half package in the outbox: {pkg.name}: {exc}")
    return problems


def registry_problems(wh: Path) -> list[str]:
    """Raw rows per file equal the registry's rows of its loaded files; duplicates point to
    registered files."""
    import duckdb

    con = duckdb.connect(str(wh), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        ]
        if not tables:
            return []
        raw: dict[str, int] = {}
        for t in tables:
            for f, n in con.execute(f"select delivery_file, count(*) from raw.{t} group by 1").fetchall():
                raw[f] = raw.get(f, 0) + n
        registry = con.execute("select delivery_file, status, reason, rows from meta.delivery_registry").fetchall()
    finally:
        con.close()
    loaded = {f: n for f, s, _, n in registry if s == "loaded"}
    problems = [
        f"{f}: {raw.get(f)} raw rows, registry says {loaded.get(f)}"
        for f in sorted(set(raw) | set(loaded))
        if raw.get(f) != loaded.get(f)
    ]
    files = {f for f, *_ in registry}
    problems += [
        f"{f}: duplicate of unregistered {reason}"
        for f, s, reason, _ in registry
        if s == "duplicate"
        and reason.startswith("same bytes as ")
        and reason.removeprefix("same bytes as ") not in files
    ]
    return problems[:10]


# ----------------------------------------------------------------------------- readers
def reader_loop(published: str, stop_file: str, out_file: str, pause: float = 0.05) -> None:
    """Query the published copy (DuckDB and Parquet, alternately) until `stop_file` exists."""
    import duckdb

    counts = {"duckdb": 0, "parquet": 0, "failures": 0}
    errors: list[str] = []
    parquet = Path(published).parent / "parquet" / "alliance.fct_intercity_indicators.parquet"
    while not os.path.exists(stop_file):
        for kind in ("duckdb", "parquet"):
            try:
                if kind == "duckdb":
                    con = duckdb.connect(published, read_only=True)
                    try:
                        con.execute("select count(*) from alliance.fct_intercity_indicators").fetchone()
                        con.execute("select data_version from publication.about").fetchone()
                    finally:
                        con.close()
                else:
                    duckdb.connect().execute(f"select count(*) from read_parquet('{parquet}')").fetchone()
                counts[kind] += 1
            except Exception as exc:  # noqa: BLE001 - every failed query is counted and kept
                counts["failures"] += 1
                errors.append(f"{kind}: {type(exc).__name__}: {str(exc)[:200]}")
        time.sleep(pause)
    Path(out_file).write_text(json.dumps({**counts, "errors": errors[:20]}), encoding="utf-8")


# ----------------------------------------------------------------------------- the command
def _copy_state(src: Path, dst: Path) -> None:
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, symlinks=True)


def make_world(work: Path, scale: float, cities: list[str], seed: int) -> None:
    from ingest.demo.generate import generate

    # the world writes its own official tables beside its deliveries
    generate(scale=scale, seed=seed, landing=work / "landing", truth=work / "truth", cities=cities, overwrite=True)


def chaos(kills: int, work: Path, scale: float, cities: list[str], seed: int, say=print) -> dict:
    """Trials until `kills` of them were really killed (a phase that ends before its random
    moment is a trial without a kill, still checked); at most 3 x `kills` trials."""
    rng = random.Random(seed)
    pipeline = Pipeline(work, cities)
    t0 = time.perf_counter()
    make_world(work, scale, cities, seed)
    say(f"   world: {', '.join(cities)} at scale {scale} ({time.perf_counter() - t0:.0f} s)")

    # the uninterrupted run, keeping the state before every phase
    ref_state, durations = work / "reference", {}
    ref_state.mkdir()
    for phase in PHASES:
        _copy_state(ref_state, work / "before" / phase)
        ok, secs = pipeline.run(phase, ref_state)
        durations[phase] = secs
        if not ok:
            raise RuntimeError(f"the uninterrupted run failed in {phase}; see {ref_state / (phase + '.log')}")
    reference = everything(pipeline, ref_state)
    say("   uninterrupted run: " + ", ".join(f"{p} {s:.0f} s" for p, s in durations.items()))

    stop, reader_out = work / "readers.stop", work / "readers.json"
    reader = subprocess.Popen(
        [
            PY,
            "-c",
            f"from orchestration.chaos import reader_loop; reader_loop({str(pipeline.published)!r}, {str(stop)!r}, {str(reader_out)!r})",
        ],
        cwd=REPO_ROOT,
    )
    results = []
    try:
        i = 0
        while sum(t["killed"] for t in results) < kills and i < 3 * kills:
            phase = KILLED_PHASES[i % len(KILLED_PHASES)]
            i += 1
            state = work / "trial"
            _copy_state(work / "before" / phase, state)
            delay = rng.uniform(0.05, 0.95) * durations[phase]
            proc = pipeline.start(phase, state)
            try:
                proc.wait(timeout=delay)
                killed = False
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                killed = True
            found = inconsistencies(pipeline, state, reference)
            failed = []
            for later in PHASES[PHASES.index(phase) :]:
                ok, _ = pipeline.run(later, state)
                if not ok:
                    failed.append(later)
                    break
            differing = [] if failed else print_differences(reference, everything(pipeline, state))
            identical = not failed and not differing
            results.append(
                {
                    "phase": phase,
                    "delay_s": round(delay, 2),
                    "killed": killed,
                    "inconsistencies": found,
                    "failed": failed,
                    "identical": identical,
                    "differing": differing,
                }
            )
            say(
                f"   trial {i:>2}: kill -9 in {phase:<10} after {delay:5.1f} s"
                + ("" if killed else " (finished before the kill)")
                + f": {len(found)} inconsistencies, rerun {'identical' if identical else 'DIFFERENT'}"
                + (f", rerun failed in {failed[0]}" if failed else "")
            )
            for p in found:
                say(f"      - {p}")
            for d in differing:
                say(f"      - differs from the uninterrupted run: {d}")
    finally:
        stop.write_text("stop")
        reader.wait(timeout=120)
    readers = json.loads(reader_out.read_text()) if reader_out.exists() else {"duckdb": 0, "parquet": 0, "failures": -1}
    return {"trials": results, "readers": readers, "durations": durations, "kills_wanted": kills}


def report(summary: dict, say=print) -> int:
    trials = summary["trials"]
    killed = [t for t in trials if t["killed"]]
    found = sum(len(t["inconsistencies"]) for t in trials)
    identical = sum(t["identical"] for t in trials)
    failures = sum(bool(t["failed"]) for t in trials)
    r = summary["readers"]
    per_phase = ", ".join(f"{p} {sum(t['phase'] == p for t in killed)}" for p in KILLED_PHASES)
    say(f"trials: {len(trials)} ({len(killed)} killed with SIGKILL: {per_phase})")
    say(f"inconsistencies found: {found}")
    say(f"reruns identical to the uninterrupted run: {identical} of {len(trials)}")
    say(
        f"reader queries: {r['duckdb'] + r['parquet']} ({r['duckdb']} DuckDB, {r['parquet']} Parquet), failures: {r['failures']}"
    )
    for e in r.get("errors", []):
        say(f"   - {e}")
    say(f"failures (reruns that did not complete): {failures}")
    too_few = len(killed) < summary.get("kills_wanted", 0)
    if too_few:
        say(f"only {len(killed)} of {summary['kills_wanted']} kills delivered: the phases ended before their moments")
    return 0 if not too_few and found == 0 and identical == len(trials) and failures == 0 and r["failures"] == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.chaos", description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs to deliver (default 20)")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--scale", type=float, default=0.005)
    parser.add_argument(
        "--cities", default="muenster,enschede", help="comma-separated (default: a Parquet and a brp-export city)"
    )
    parser.add_argument("--workdir", type=Path, help="keep everything here (default: a temporary folder, removed)")
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="chaos."))
    work.mkdir(parents=True, exist_ok=True)
    try:
        summary = chaos(args.kills, work, args.scale, [c for c in args.cities.split(",") if c], args.seed)
        (work / "chaos.json").write_text(json.dumps(summary, indent=1, default=str), encoding="utf-8")
        return report(summary)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
