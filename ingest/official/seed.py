"""Copy the real published files (shared/data/official) into the landing layout for offline runs."""

from __future__ import annotations

import shutil
from pathlib import Path

from warehouse.settings import official_source_dir

# folder in the shared data set -> provider folder under landing/official/
FOLDERS = {"genesis-classic": "genesis", "genesis-flat": "genesis", "cbs": "cbs", "city": "city"}


def seed_landing(landing_dir: Path | str, source_dir: Path | str | None = None) -> list[Path]:
    """Copy every file byte-exact (encodings and BOMs matter); returns the written paths."""
    src = Path(source_dir) if source_dir else official_source_dir()
    if not src.is_dir():
        raise FileNotFoundError(f"official source folder not found: {src} (set OFFICIAL_SOURCE_DIR)")
    written = []
    for folder, provider in FOLDERS.items():
        d = src / folder
        if not d.is_dir():
            continue
        target = Path(landing_dir) / "official" / provider
        target.mkdir(parents=True, exist_ok=True)
        for p in sorted(d.iterdir()):
            if p.is_file() and not p.name.startswith("."):
                dst = target / p.name
                shutil.copyfile(p, dst)
                dst.chmod(0o644)  # the shared files are read-only; landing copies need not be
                written.append(dst)
    return written
