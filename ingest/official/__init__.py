"""Official statistics (GENESIS, CBS, city open data) into the raw layer `raw_official`.

Entry points: `load_official(landing_dir, warehouse)`, `seed_landing(landing_dir)`, and the command
`python -m ingest.official load|seed-landing`. See ingest/official/schema.py for the table contract.
"""

from ingest.official.load import FileResult, load_official
from ingest.official.seed import seed_landing

__all__ = ["FileResult", "load_official", "seed_landing"]
