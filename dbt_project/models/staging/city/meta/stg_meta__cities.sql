-- The configured cities (ingest writes meta.cities from the YAML files on every load).
select
    slug,
    name,
    country,
    official_key,
    key_type,
    dialect,
    optionskommune,
    alliances,
    delivers_sgb2,
    registration_rule
from {{ source('meta', 'cities') }}
