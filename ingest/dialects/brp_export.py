"""`brp-export` dialect (Enschede): UTF-8 with BOM, `,` separator, Dutch column names and codes,
ISO alpha-3 nationalities (translated to Destatis keys), CBS wijk/gemeente codes."""

from __future__ import annotations

import polars as pl

from ingest.config import CityConfig, iso3_to_destatis
from ingest.dialects.text import check_no_wide_encoding, check_not_empty, check_utf8, parse_csv
from ingest.layout import DeliveryName
from ingest.schemas import COLUMNS

# Dutch column names per raw table; names not listed are taken as the standard names.
HEADER_NAMES: dict[str, dict[str, str]] = {
    "meldewesen": {
        "mutatie_id": "ereignis_id",
        "datum_mutatie": "ereignis_datum",
        "datum_verwerking": "meldedatum",
        "soort_mutatie": "ereignis_art",
        "persoon_pseudoniem": "person_pseudonym",
        "geboortejaar": "geburtsjahr",
        "geslacht": "geschlecht",
        "nationaliteit": "staatsangehoerigkeit",
        "wijk_oud": "bezirk_alt",
        "wijk_nieuw": "bezirk_neu",
        "adres_pseudoniem": "adresse_pseudonym",
        "land_of_gemeente": "herkunft_ziel",
    },
    "bestand": {
        "peildatum": "stichtag",
        "persoon_pseudoniem": "person_pseudonym",
        "geboortejaar": "geburtsjahr",
        "geslacht": "geschlecht",
        "nationaliteit": "staatsangehoerigkeit",
        "wijk": "bezirk",
        "adres_pseudoniem": "adresse_pseudonym",
        "datum_vestiging_gemeente": "zuzug_datum",
        "datum_adres": "einzug_datum",
    },
    "schule": {
        "peildatum": "stichtag",
        "leerling_pseudoniem": "schueler_pseudonym",
        "geboortejaar": "geburtsjahr",
        "geslacht": "geschlecht",
        "nationaliteit": "staatsangehoerigkeit_iso3",
        "onderwijssoort": "schulform",
        "nieuwkomersklas": "klassenart",
        "wijk": "wohnbezirk",
    },
    "beratung": {
        "datum_contact": "kontakt_datum",
        "persoon_pseudoniem": "person_pseudonym",
        "geboortejaar": "geburtsjahr",
        "geslacht": "geschlecht",
        "nationaliteit": "staatsangehoerigkeit",
    },
}
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
# The BRP has no second nationality and the school file no school id: added as empty columns.
ABSENT_COLUMNS = {
    "meldewesen": ["staatsangehoerigkeit_2"],
    "bestand": ["staatsangehoerigkeit_2"],
    "schule": ["schule_id"],
}


def read(data: bytes, name: DeliveryName, city: CityConfig) -> pl.DataFrame:
    check_not_empty(data)
    check_no_wide_encoding(data)
    check_utf8(data)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    names = HEADER_NAMES.get(name.table, {})
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
    missing = [c for c in ABSENT_COLUMNS.get(name.table, []) if c not in df.columns]
    return df.with_columns([pl.lit(None, pl.String).alias(c) for c in missing])
