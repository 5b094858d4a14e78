{#
  District boundaries for maps: public information (no person is counted in it), but shown only
  with the disclosure-controlled district cells. One row per city, district code and validity
  period, so a map of a quarter takes the districts valid on its end (Duesseldorf 2019: the
  old Stadtbezirke; 2026: the reformed ones). Geometry as WKB in EPSG:3035 (ETRS89-LAEA, metres,
  equal-area); name and level from the gebiete reference.
#}
select
    g.city,
    c.country,
    g.bezirk_code as district_code,
    d.district_name,
    g.ebene as district_level,
    g.gueltig_ab as valid_from,
    g.gueltig_bis as valid_to,
    g.area_ha,
    d.area_ha as reference_area_ha,
    'EPSG:3035' as geometry_crs,
    g.source_crs,
    g.geometry_wkb
from {{ ref('stg_gebiete__geometry') }} as g
inner join {{ ref('dim_cities') }} as c on c.city = g.city
left join {{ ref('dim_districts') }} as d
    on d.city = g.city and d.district_code = g.bezirk_code
        and coalesce(d.valid_from, date '1900-01-01') <= g.valid_from_or_open
        and g.valid_to_or_open <= coalesce(d.valid_to, date '9999-12-31')
