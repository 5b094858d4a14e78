-- Districts of every city with hierarchy, validity and the successor after a district reform.
-- harmonised_code: the code valid today for a merged or renamed old code, the code itself when
-- it is still valid; NULL for split (or otherwise unmappable) codes, which keep their own series.
select
    d.city,
    d.bezirk_code as district_code,
    d.bezirk_name as district_name,
    d.ebene as level,
    d.uebergeordnet_code as parent_code,
    d.gueltig_ab as valid_from,
    d.gueltig_bis as valid_to,
    d.gueltig_bis is null as is_current,
    d.flaeche_ha as area_ha,
    -- leaves of the hierarchy: movement and stock files use the finest level
    not exists (
        select 1 from {{ ref('stg_gebiete__districts') }} as child
        where child.city = d.city and child.uebergeordnet_code = d.bezirk_code
    ) as is_finest_level,
    m.mapping_kind as reform_mapping,
    case when d.gueltig_bis is null then d.bezirk_code else m.new_code end as harmonised_code
from {{ ref('stg_gebiete__districts') }} as d
left join {{ ref('int_district_reform_mapping') }} as m
    on m.city = d.city and m.old_code = d.bezirk_code
