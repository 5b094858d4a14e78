"""A load that dies at any point (an exception between two write batches, kill -9, a full
disk) leaves every delivery fully in or fully out, and the rerun gives the tables of an
uninterrupted load. A landing folder that cannot be written is no problem.

The first test reproduces issue 19's lost ten rows without any kill: two files with the same
bytes (a `_v2` identical to its v1), a crash after the first batch; the duplicate row used to
be committed in that first batch, before the file it points to, so the rerun took the v1 for
the copy of its own `_v2` and never loaded it.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))
from ingest_helpers import EXAMPLES, copy_tree  # noqa: E402

import ingest.batch as batch_module  # noqa: E402
import ingest.load as load_module  # noqa: E402
from ingest.errors import WarehouseFailure  # noqa: E402
from ingest.load import load_landing  # noqa: E402

TWIN = "wuppertal/beratung/2024-11_v2.csv"  # same bytes as wuppertal/beratung/2024-11.csv
REPO = Path(__file__).resolve().parents[2]


class Crash(Exception):
    pass


def make_landing(root: Path) -> Path:
    landing = copy_tree(EXAMPLES, root / "landing")
    shutil.copy2(landing / "wuppertal/beratung/2024-11.csv", landing / TWIN)
    return landing


def content(wh: Path) -> dict:
    """Raw rows without load times, and the registry's verdicts."""
    con = duckdb.connect(str(wh), read_only=True)
    try:
        out = {}
        for (table,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
        ).fetchall():
            out[table] = sorted(con.execute(f"SELECT * EXCLUDE (loaded_at) FROM raw.{table}").fetchall(), key=repr)
        out["registry"] = sorted(
            con.execute(
                "SELECT delivery_file, file_sha256, status, reason, line, rows, superseded_by FROM meta.delivery_registry"
            ).fetchall(),
            key=repr,
        )
        return out
    finally:
        con.close()


def consistency_problems(wh: Path) -> list[str]:
    """Every loaded file has exactly its rows in the raw layer, no raw row lacks its loaded
    registry row, every duplicate points to a registered file."""
    con = duckdb.connect(str(wh), read_only=True)
    try:
        problems = []
        raw = {}
        for (table,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
        ).fetchall():
            for f, n in con.execute(f"SELECT delivery_file, count(*) FROM raw.{table} GROUP BY 1").fetchall():
                raw[f] = raw.get(f, 0) + n
        registry = con.execute("SELECT delivery_file, status, reason, rows FROM meta.delivery_registry").fetchall()
        loaded = {f: n for f, s, _, n in registry if s == "loaded"}
        if raw != loaded:
            problems.append(f"raw rows {sorted(set(raw.items()) ^ set(loaded.items()))[:5]} differ from the registry")
        files = {f for f, *_ in registry}
        for f, s, reason, _ in registry:
            if (
                s == "duplicate"
                and reason.startswith("same bytes as ")
                and reason.removeprefix("same bytes as ") not in files
            ):
                problems.append(f"{f}: duplicate of an unregistered file ({reason})")
        return problems
    finally:
        con.close()


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("reference")
    landing = make_landing(root)
    saved = batch_module.MAX_BATCH_ROWS
    batch_module.MAX_BATCH_ROWS = 1  # one delivery per commit: a crash point between any two
    try:
        load_landing(landing, root / "wh.duckdb", log=lambda _m: None)
    finally:
        batch_module.MAX_BATCH_ROWS = saved
    return content(root / "wh.duckdb")


def test_reference_loads_v1_and_marks_its_twin(reference):
    status = {r[0]: r[2] for r in reference["registry"]}
    assert status["wuppertal/beratung/2024-11.csv"] == "loaded"
    assert status[TWIN] == "duplicate"


@pytest.mark.parametrize("crash_at", [2, 40])
def test_crash_between_batches_then_rerun_equals_uninterrupted(tmp_path, monkeypatch, reference, crash_at):
    landing, wh = make_landing(tmp_path), tmp_path / "wh.duckdb"
    monkeypatch.setattr(batch_module, "MAX_BATCH_ROWS", 1)
    real, calls = load_module._insert_frame, []

    def crashing(con, table, frame):
        calls.append(table)
        if len(calls) == crash_at:
            raise Crash(f"injected crash at insert {crash_at}")
        real(con, table, frame)

    monkeypatch.setattr(load_module, "_insert_frame", crashing)
    with pytest.raises(WarehouseFailure) as failed:
        load_landing(landing, wh, log=lambda _m: None)
    assert isinstance(failed.value.__cause__, Crash)
    assert consistency_problems(wh) == []
    monkeypatch.setattr(load_module, "_insert_frame", real)
    load_landing(landing, wh, log=lambda _m: None)
    assert consistency_problems(wh) == []
    assert content(wh) == reference


KILLER = """
import os, signal, sys
import ingest.batch as b
b.MAX_BATCH_ROWS = 1
real, n = b.WriteBatch.flush, [0]
def flush(self, con, insert=b.insert_frame):
    real(self, con, insert)
    n[0] += 1
    if n[0] == {after}:
        os.kill(os.getpid(), signal.SIGKILL)  # kill -9 right after a commit
b.WriteBatch.flush = flush
from ingest.__main__ import main
sys.exit(main(["load", "--landing", sys.argv[1], "--warehouse", sys.argv[2]]))
"""


@pytest.mark.parametrize("after", [12])
def test_kill_9_during_load_then_rerun_equals_uninterrupted(tmp_path, reference, after):
    landing, wh = make_landing(tmp_path), tmp_path / "wh.duckdb"
    script = tmp_path / "killer.py"
    script.write_text(KILLER.format(after=after))
    env = dict(os.environ, INGEST_BATCH_ROWS="1")
    killed = subprocess.run(
        [sys.executable, str(script), str(landing), str(wh)], cwd=REPO, env=env, capture_output=True
    )
    assert killed.returncode == -signal.SIGKILL
    assert consistency_problems(wh) == []  # the file opens; every delivery in or out
    rerun = subprocess.run(
        [sys.executable, "-m", "ingest", "load", "--landing", str(landing), "--warehouse", str(wh)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert rerun.returncode == 0, rerun.stdout[-2000:] + rerun.stderr[-2000:]
    assert content(wh) == reference


def _mount_tmpfs(path: Path, size: str, options: str = "") -> bool:
    path.mkdir(parents=True, exist_ok=True)
    opts = f"size={size}" + (f",{options}" if options else "")
    return subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True).returncode == 0


@pytest.fixture
def mounts():
    made: list[Path] = []
    yield made
    for m in reversed(made):
        subprocess.run(["umount", "-l", str(m)], capture_output=True)


def _big_delivery(landing: Path, rows: int) -> None:
    """A large, valid bestand delivery for Wuppertal (its example rows repeated)."""
    lines = (landing / "wuppertal/bestand/2024-12-31.csv").read_text().splitlines(keepends=True)
    body = [l.replace("2024-12-31", "2025-03-31", 1) for l in lines[1:]]
    (landing / "wuppertal/bestand/2025-03-31.csv").write_text(
        lines[0] + "".join(body[i % len(body)] for i in range(rows))
    )


def _limit_file_size(limit: int) -> None:
    """In the child: files may not grow beyond `limit` bytes; a write beyond fails (EFBIG)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def test_disk_full_fails_cleanly_and_leaves_the_warehouse_unchanged(tmp_path, mounts):
    disk = tmp_path / "small_disk"
    # root: a small tmpfs that fills up; otherwise the same failure from a file-size limit on the
    # loading process (writes beyond it fail with EFBIG, as on a full disk)
    mounted = os.geteuid() == 0 and _mount_tmpfs(disk, "64m")
    if mounted:
        mounts.append(disk)
    else:
        disk.mkdir()
    landing = copy_tree(EXAMPLES, tmp_path / "landing")
    wh = disk / "wh.duckdb"
    load_landing(landing, wh, log=lambda _m: None)
    before = content(wh)
    room = wh.stat().st_size + (3 << 20)
    if mounted:
        subprocess.run(["mount", "-o", f"remount,size={room}", str(disk)], check=True)
    _big_delivery(landing, 400_000)  # ~60 MB of rows: far more than the disk has left
    res = subprocess.run(
        [sys.executable, "-m", "ingest", "load", "--landing", str(landing), "--warehouse", str(wh)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=dict(os.environ, DUCKDB_MEMORY_LIMIT="1GB"),
        preexec_fn=None if mounted else lambda: _limit_file_size(room),
    )
    assert res.returncode == 1, res.stdout[-1500:] + res.stderr[-1500:]  # a failure of the warehouse, not a quarantine
    assert "FAILED: the warehouse could not be written" in res.stderr
    roomy = tmp_path / "roomy"
    roomy.mkdir()
    for f in disk.iterdir():  # what the full disk holds, opened where there is room again
        if f.is_file():
            shutil.copy2(f, roomy / f.name)
    assert content(roomy / "wh.duckdb") == before
    assert consistency_problems(roomy / "wh.duckdb") == []
    assert load_landing(landing, roomy / "wh.duckdb", log=lambda _m: None).loaded == 1


def test_read_only_landing_is_fine(tmp_path, mounts, reference):
    ro = tmp_path / "ro_landing"
    # root: a read-only mount (root ignores file modes); otherwise every file and folder read-only
    mounted = os.geteuid() == 0 and _mount_tmpfs(ro, "64m")
    if mounted:
        mounts.append(ro)
    make_landing(tmp_path)
    shutil.copytree(tmp_path / "landing", ro, dirs_exist_ok=True, symlinks=True, copy_function=shutil.copy2)
    if mounted:
        subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
    else:
        for path in sorted(ro.rglob("*"), reverse=True) + [ro]:
            if not path.is_symlink():
                path.chmod(0o555 if path.is_dir() else 0o444)
    summary = load_landing(ro, tmp_path / "wh.duckdb", log=lambda _m: None)
    assert summary.quarantined == 0 and summary.loaded == 54
    got = content(tmp_path / "wh.duckdb")
    assert got == reference
