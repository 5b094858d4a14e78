-- Bridge between cities and alliances: one row per city and alliance it belongs to, from the
-- `alliances` list of the city files (ingest/cities/<city>.yaml via meta.cities). A new alliance
-- is a word in the city files, not a column.
select
    c.slug as city,
    m.alliance
from {{ ref('stg_meta__cities') }} as c
{{ lateral_unnest(split_string('c.alliances', '|'), 'm', 'alliance') }}
where m.alliance <> ''
