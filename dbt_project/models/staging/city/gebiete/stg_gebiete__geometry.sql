-- District boundaries (gebiete/current[_vN].geojson, ingest.geometry): one row per district code
-- and validity, WKB in EPSG:3035; left out with the city's gebiete reference when it is blocked.
select
    r.*,
    coalesce(r.gueltig_ab, date '1900-01-01') as valid_from_or_open,
    coalesce(r.gueltig_bis, date '9999-12-31') as valid_to_or_open
from {{ source('raw', 'gebiete_geometrie') }} as r
where {{ not_blocked('r', 'gebiete') }}
