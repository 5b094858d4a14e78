{#
  District boundaries of the alliance's cities for maps (one row per district code and validity
  period; WKB in EPSG:3035). Join to fct_district_indicators on city and district_code, taking the
  row valid on the quarter's end.
  Boundaries the quality gate blocks (source gebiete, which blocks every quarter) keep their
  rows with is_blocked and the reason, the geometry withheld (macros/alliance_gate.sql).
#}
with districts as (
    select
        hub.*,
        {{ alliance_blocked_reason('hub.city', 'cast(null as string)', sql_array(["'gebiete'"])) }} as blocked_reason
    from {{ ref('fct_exchange_hub_district_geometry') }} as hub
)

select
    city,
    country,
    district_code,
    district_name,
    district_level,
    valid_from,
    valid_to,
    area_ha,
    reference_area_ha,
    geometry_crs,
    source_crs,
    {{ unless_blocked('geometry_wkb') }} as geometry_wkb,
    blocked_reason is not null as is_blocked,
    blocked_reason
from districts
