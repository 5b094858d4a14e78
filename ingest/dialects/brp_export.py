"""`brp-export` dialect (Enschede): UTF-8 with BOM, `,` separator, Dutch column names and codes,
ISO alpha-3 nationalities (translated to Destatis keys), CBS wijk/gemeente codes."""

from __future__ import annotations

import polars as pl

from ingest import sources
from ingest.config import CityConfig, iso3_to_destatis
from ingest.dialects.text import check_no_wide_encoding, check_not_empty, check_utf8, parse_csv
from ingest.layout import DeliveryName
from ingest.schemas import COLUMNS

DIALECT = "brp-export"  # its Dutch column names are declared per raw table in ingest.sources
EVENT_CODES = {
    "vestiging_buitenland": "ZU_AUSLAND",
    "vestiging_binnenland": "ZU_INLAND",
    "vertrek_buitenland": "FO_AUSLAND",
    "vertrek_binnenland": "FO_INLAND",
    "vow": "AVA",
    "verhuizing": "UMZUG",
    "geboorte": "GEBURT",
    "overlijden": "TOD",
}
SEX_CODES = {"M": "m", "V": "w", "O": "x"}
CLASS_CODES = {"J": "ERSTFOERDERUNG", "N": "REGEL"}


def read(data: bytes, name: DeliveryName, city: CityConfig) -> pl.DataFrame:
    check_not_empty(data)
    check_no_wide_encoding(data)
    check_utf8(data)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    table = sources.table(name.table)
    names = table.dialect_columns.get(DIALECT, {})
    df = parse_csv(data, ",", set(names) | set(COLUMNS[name.table]))
    df = df.rename({c: names[c] for c in df.columns if c in names})
    iso = iso3_to_destatis()
    fixes = []
    if "ereignis_art" in df.columns:
        fixes.append(pl.col("ereignis_art").replace(EVENT_CODES))
    if "geschlecht" in df.columns:
        fixes.append(pl.col("geschlecht").replace(SEX_CODES))
    if "klassenart" in df.columns:
        fixes.append(pl.col("klassenart").replace(CLASS_CODES))
    if "staatsangehoerigkeit" in df.columns:  # unknown ISO codes stay and fail validation
        fixes.append(pl.col("staatsangehoerigkeit").replace(iso))
    if "herkunft_ziel" in df.columns and "ereignis_art" in df.columns:
        abroad = pl.col("ereignis_art").replace(EVENT_CODES).str.ends_with("_AUSLAND")
        fixes.append(
            pl.when(abroad)
            .then(pl.col("herkunft_ziel").replace(iso))
            .otherwise(pl.col("herkunft_ziel"))
            .alias("herkunft_ziel")
        )
    df = df.with_columns(fixes)
    # e.g. the BRP has no second nationality and the school file no school id
    missing = [c for c in table.absent_columns.get(DIALECT, ()) if c not in df.columns]
    return df.with_columns([pl.lit(None, pl.String).alias(c) for c in missing])
