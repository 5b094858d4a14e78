"""Readers for the delivery dialects.

Every reader turns the bytes of one delivery into a Polars frame in the `standard` shape:
standard column names, standard code vocabulary, all values still text (typing and checks
follow in `ingest.normalise` and `ingest.validate`), plus `source_line` (the line or row of
the record in the file, for messages and provenance). Problems of form raise `DeliveryError`.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from ingest.config import CityConfig
from ingest.dialects import brp_export, ewo_legacy, standard, xlsx_report
from ingest.layout import DeliveryName

Reader = Callable[[bytes, DeliveryName, CityConfig], pl.DataFrame]

READERS: dict[str, Reader] = {
    "standard": standard.read,
    "ewo-legacy": ewo_legacy.read,
    "xlsx-report": xlsx_report.read,
    "brp-export": brp_export.read,
}


def read_delivery(data: bytes, name: DeliveryName, city: CityConfig) -> pl.DataFrame:
    """Text frame in the standard shape (see module docstring)."""
    return READERS[city.dialect](data, name, city)
