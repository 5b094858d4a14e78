"""Open a dashboard in the system's headless Chromium (Debian's `chromium`) with Playwright.

Used by the browser tests and by `make bench` (opening time). Playwright drives the installed
browser (`CHROMIUM`); its own browser download is never used. Every request other than the
page's own file is recorded and aborted, so a page that tried to load anything would show it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
READY = "body[data-ready='1']"


def chromium_path() -> str | None:
    """The system Chromium (CHROMIUM env var, else Debian's), or None when it is not installed."""
    env = os.environ.get("CHROMIUM")
    for candidate in ([env] if env else []) + list(CHROMIUM_CANDIDATES):
        if candidate and Path(candidate).exists():
            return candidate
    found = shutil.which("chromium")
    return found


@dataclass
class PageLog:
    """What a page did: console errors and warnings, uncaught errors, requests other than itself."""

    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@contextmanager
def browser():
    """A headless Chromium with a fresh profile (closed and removed afterwards)."""
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if exe is None:
        raise RuntimeError("no system Chromium (apt-get install chromium chromium-driver)")
    profile = tempfile.mkdtemp(prefix="dashboard_chromium_")
    try:
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(
                profile, executable_path=exe, args=FLAGS, headless=True, viewport={"width": 1400, "height": 1100}
            )
            try:
                yield ctx
            finally:
                ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def open_page(ctx, path: Path, log: PageLog | None = None, timeout_ms: int = 30_000):
    """Open the dashboard file in a new tab, recording what it does in `log`; wait until rendered."""
    log = log if log is not None else PageLog()
    url = Path(path).resolve().as_uri()
    page = ctx.new_page()

    def route(r):
        if r.request.url != url:
            log.requests.append(r.request.url)
            return r.abort()
        return r.continue_()

    page.route("**/*", route)
    page.on("console", lambda m: log.console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: log.errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector(READY, state="attached", timeout=timeout_ms)
    return page, log


def measure_opening(path: Path, runs: int = 3) -> dict:
    """Opening time of a dashboard (navigation start to the first complete render, the page's
    own `window.dashboardReady.ms`), median of `runs` fresh tabs, and the file size."""
    times, wall = [], []
    with browser() as ctx:
        for _ in range(runs):
            t0 = time.perf_counter()
            page, log = open_page(ctx, path)
            wall.append(time.perf_counter() - t0)
            times.append(page.evaluate("window.dashboardReady.ms"))
            page.close()
            if log.errors or log.requests:
                raise RuntimeError(f"dashboard misbehaved: errors {log.errors}, requests {log.requests}")
    times.sort()
    return {
        "dashboard_mb": round(Path(path).stat().st_size / 1e6, 2),
        "dashboard_open_ms": round(times[len(times) // 2]),
        "dashboard_open_wall_s": round(sorted(wall)[len(wall) // 2], 2),
    }
