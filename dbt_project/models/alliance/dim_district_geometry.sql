{#
  District boundaries of the alliance's cities for maps (one row per district code and validity
  period; WKB in EPSG:3035). Join to fct_district_indicators on city and district_code, taking the
  row valid on the quarter's end.
#}
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
    geometry_wkb
from {{ ref('fct_exchange_hub_district_geometry') }}
