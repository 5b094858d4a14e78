"""One delivery's guard: whatever reading and checking it raises becomes that delivery's
quarantine, and a delivery that takes longer than its limit is given up, while the run goes on.

The guarded work is pure (bytes in, checked frame out; no warehouse connection, no shared
state), so it can run in a thread of its own that the run stops waiting for: Python cannot
interrupt a thread inside Polars or a decoder, so a delivery over time is quarantined and its
thread left to finish in the background (a daemon: it never holds up the end of the run).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from ingest.errors import DeliveryError, PendingDelivery

T = TypeVar("T")


class TransientError(Exception):
    """The file could not be read this time (vanished, no permission): reported, not
    registered, so the next run tries it again."""


def describe(exc: BaseException) -> str:
    """A reason for the registry: the exception's type and first line, never a traceback."""
    first = (str(exc).strip().splitlines() or [""])[0][:300]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def guarded(work: Callable[[], T], timeout: float, what: str = "reading and checking") -> T:
    """`work()` with its failures as `DeliveryError` (or `PendingDelivery` / `TransientError`
    passed on), given up after `timeout` seconds."""
    box: dict = {}

    def run() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:  # noqa: BLE001 - every failure of a delivery is its own
            box["error"] = exc

    thread = threading.Thread(target=run, name="ingest-delivery", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise DeliveryError(f"{what} took longer than {timeout:,.0f} s (timeout_seconds): given up")
    if "error" in box:
        exc = box["error"]
        if isinstance(exc, DeliveryError | PendingDelivery | TransientError):
            raise exc
        if isinstance(exc, FileNotFoundError | PermissionError):
            raise TransientError(describe(exc)) from exc
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise exc
        if isinstance(exc, MemoryError):
            raise DeliveryError("out of memory while reading the file (MemoryError)") from None
        raise DeliveryError(f"file could not be read: {describe(exc)}") from None
    return box["result"]
