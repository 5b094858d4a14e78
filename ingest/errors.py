"""The one exception type for a bad delivery: the loader quarantines the whole file with it."""

from __future__ import annotations


class DeliveryError(Exception):
    """A delivery that must not be loaded. `line` is the file line (CSV), sheet row (xlsx) or
    record number (Parquet) where the problem shows, when it can be named."""

    def __init__(self, reason: str, line: int | None = None):
        super().__init__(reason if line is None else f"line {line}: {reason}")
        self.reason = reason
        self.line = line


class PendingDelivery(Exception):
    """A delivery that cannot be checked yet (e.g. the city's `gebiete` is not loaded)."""


class WarehouseFailure(Exception):
    """Writing the warehouse failed (full disk, I/O error, a killed transaction): the run stops,
    the batch being written is rolled back, and no delivery is blamed for it."""
