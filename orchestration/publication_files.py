"""Files of the published copy, swapped as one: the DuckDB file and its Parquet folder live in
a version folder, and ONE atomic rename of a symbolic link makes a new version current.

    <dir>/warehouse.duckdb -> .warehouse.duckdb.current/warehouse.duckdb   (fixed link)
    <dir>/parquet          -> .warehouse.duckdb.current/parquet             (fixed link)
    <dir>/.warehouse.duckdb.current -> .warehouse.duckdb.versions/<id>      (swapped)

A reader opening either path gets the old or the new version, never a mix and never a half
file; a reader with the old file open keeps reading it (the previous version folder is kept
until the publish after next). Publishes hold an flock on `<dir>/.publish.lock`, released by
the kernel when a publish is killed, so a stale lock never blocks the next one; that one
first removes what killed publishes left behind (unfinished version folders, temp files).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

LOCK = ".publish.lock"
KEEP_PREVIOUS = 1  # version folders kept besides the current one (readers still on them)


def _current_link(target: Path) -> Path:
    return target.with_name(f".{target.name}.current")


def _versions(target: Path) -> Path:
    return target.with_name(f".{target.name}.versions")


@contextmanager
def publication_lock(folder: Path, name: str = LOCK) -> Iterator[None]:
    """An exclusive flock on `folder/name` for the time of one publish (or export)."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder / name, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # waits for a running publish; a killed one holds nothing
        yield
    finally:
        os.close(fd)


def new_version(target: Path) -> Path:
    """An empty version folder for the next publish (not current until `activate`)."""
    versions = _versions(target)
    versions.mkdir(parents=True, exist_ok=True)
    folder = versions / f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{os.getpid()}"
    folder.mkdir()
    folder.chmod(0o755)
    return folder


def _replace_with_link(link: Path, points_to: str) -> None:
    """`link` becomes a symbolic link to `points_to`, atomically (rename over the old entry);
    a real folder in the way (a copy published before version folders existed) is moved aside."""
    if link.is_symlink() and os.readlink(link) == points_to:
        return
    if link.is_dir() and not link.is_symlink():
        aside = _versions(link).parent / f".{link.name}.before-versions"
        shutil.rmtree(aside, ignore_errors=True)
        os.replace(link, aside)
    tmp = link.with_name(f".{link.name}.link.{os.getpid()}")
    tmp.unlink(missing_ok=True)
    os.symlink(points_to, tmp)
    os.replace(tmp, link)


def activate(target: Path, version: Path) -> None:
    """Make `version` the published copy: one rename of the `current` link."""
    current = _current_link(target)
    _replace_with_link(current, os.path.relpath(version, target.parent))
    _replace_with_link(target, f"{current.name}/{target.name}")
    _replace_with_link(target.parent / "parquet", f"{current.name}/parquet")


def remove_leftovers(target: Path) -> list[str]:
    """Version folders that are neither current nor the previous one (unfinished ones of killed
    publishes among them) and temp files of earlier publish code; returns what was removed."""
    removed = []
    versions = _versions(target)
    current = _current_link(target)
    active = Path(os.path.realpath(current)).name if current.is_symlink() else None
    if versions.is_dir():
        finished = sorted(p for p in versions.iterdir() if (p / target.name).exists() and p.name != active)
        keep = {active, *[p.name for p in finished[-KEEP_PREVIOUS:]]}
        for p in versions.iterdir():
            if p.name not in keep:
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
                removed.append(p.name)
    folder = target.parent
    for pattern in (f".{target.stem}.*.duckdb.tmp*", ".parquet.*", f".{target.name}.link.*", ".parquet.link.*"):
        for p in folder.glob(pattern):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() and not p.is_symlink() else p.unlink(missing_ok=True)
            removed.append(p.name)
    return removed
