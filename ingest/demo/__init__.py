"""Synthetic demo world: simulated people of the alliance cities and their deliveries.

Entry points: `python -m ingest.demo` and `generate(...)`. See README.md in this folder.
"""

from ingest.demo.generate import DEFAULT_SCALE, DEFAULT_SEED, generate

__all__ = ["generate", "DEFAULT_SCALE", "DEFAULT_SEED"]
