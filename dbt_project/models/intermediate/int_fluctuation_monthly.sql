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
    cast({{ count_true("measure = 'in_abroad'") }} as bigint) as inflows_abroad,
    cast({{ count_true("measure = 'in_domestic'") }} as bigint) as inflows_domestic,
    cast({{ count_true("measure = 'in_unknown'") }} as bigint) as inflows_unknown,
    cast({{ count_true("measure = 'in_status_change'") }} as bigint) as inflows_status_change,
    cast({{ count_true("measure = 'out_abroad'") }} as bigint) as outflows_abroad,
    cast({{ count_true("measure = 'out_domestic'") }} as bigint) as outflows_domestic,
    cast({{ count_true("measure = 'out_unknown'") }} as bigint) as outflows_unknown,
    cast({{ count_true("measure = 'out_ex_officio'") }} as bigint) as outflows_ex_officio,
    cast({{ count_true("measure = 'out_status_change'") }} as bigint) as outflows_status_change,
    cast({{ count_true("measure = 'move_in'") }} as bigint) as moves_in,
    cast({{ count_true("measure = 'move_out'") }} as bigint) as moves_out,
    cast({{ count_true("measure = 'move_within'") }} as bigint) as moves_within,
    cast({{ count_true("measure = 'birth'") }} as bigint) as births,
    cast({{ count_true("measure = 'death'") }} as bigint) as deaths
from sides
group by all
