-- Register events counted per registration month, district and nationality group. Each event is
-- counted on the side of the district it touches: inflows and births in the new district,
-- outflows and deaths in the old one, moves inside the city out of the old and into the new
-- district (a move inside one district is counted once as moves_within).
with events as (
    select * from {{ ref('stg_meldewesen__events') }}
    where flow_direction is not null
),

sides as (
    select
        city, registration_month as month, coalesce(bezirk_neu, 'UNBEKANNT') as district_code,
        nationality_group,
        case
            when flow_direction = 'inflow' then 'in_' || flow_kind
            when flow_kind = 'birth' then 'birth'
            when (bezirk_alt is not distinct from bezirk_neu) then 'move_within'
            else 'move_in'
        end as measure
    from events
    where flow_direction = 'inflow' or flow_kind in ('birth', 'move')
    union all
    select
        city, registration_month, coalesce(bezirk_alt, 'UNBEKANNT'), nationality_group,
        case
            when flow_direction = 'outflow' then 'out_' || flow_kind
            when flow_kind = 'death' then 'death'
            else 'move_out'
        end
    from events
    where flow_direction = 'outflow' or flow_kind = 'death'
        or (flow_kind = 'move' and bezirk_alt is distinct from bezirk_neu)
)

select
    city,
    month,
    district_code,
    nationality_group,
    count_if(measure = 'in_abroad')::bigint as inflows_abroad,
    count_if(measure = 'in_domestic')::bigint as inflows_domestic,
    count_if(measure = 'in_unknown')::bigint as inflows_unknown,
    count_if(measure = 'in_status_change')::bigint as inflows_status_change,
    count_if(measure = 'out_abroad')::bigint as outflows_abroad,
    count_if(measure = 'out_domestic')::bigint as outflows_domestic,
    count_if(measure = 'out_unknown')::bigint as outflows_unknown,
    count_if(measure = 'out_ex_officio')::bigint as outflows_ex_officio,
    count_if(measure = 'out_status_change')::bigint as outflows_status_change,
    count_if(measure = 'move_in')::bigint as moves_in,
    count_if(measure = 'move_out')::bigint as moves_out,
    count_if(measure = 'move_within')::bigint as moves_within,
    count_if(measure = 'birth')::bigint as births,
    count_if(measure = 'death')::bigint as deaths
from sides
group by all
