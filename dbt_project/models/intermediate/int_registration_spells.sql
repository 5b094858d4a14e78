-- Spells of registration in a city (person-level, city layer): from moving in to leaving the
-- register, in days of ereignis_datum (the legal day of moving).
-- * Spells from inflow events: an inflow (ZU_*, STATUS_NW_HW) ends at the person's next outflow
--   (FO_*, AVA/vow, STATUS_HW_NW) or death; it is right-censored at the end of the observation
--   (last day of the latest delivered month), or at a following inflow without outflow between.
-- * Delayed entry (left truncation): persons in the first stock S0 of the city who moved in before
--   the first delivered month enter the risk set at S0 - zuzug_datum days. Left-censored
--   (1990-01-01) and city-born persons have no arrival date and are left out. A later exit recorded
--   with an ereignis_datum on or before S0 contradicts the stock; such spells are dropped.
with events as (
    select * from {{ ref('stg_meldewesen__events') }}
    where flow_direction in ('inflow', 'outflow') or flow_kind = 'death'
),

observation as (
    select
        city,
        min(registration_month) as observation_start,
        (max(registration_month) + interval 1 month - interval 1 day)::date as observation_end
    from {{ ref('stg_meldewesen__events') }}
    group by city
),

ordered as (
    select
        e.*,
        lead(ereignis_datum) over w as next_date,
        lead(flow_direction) over w as next_direction,
        lead(flow_kind) over w as next_kind
    from events as e
    window w as (partition by city, person_pseudonym order by ereignis_datum, meldedatum, ereignis_id)
),

from_events as (
    select
        o.city, o.person_pseudonym, o.nationality_group,
        o.ereignis_datum as arrival_date,
        0 as entry_days,
        case
            when o.next_direction = 'outflow' or o.next_kind = 'death'
                then date_diff('day', o.ereignis_datum, o.next_date)
            when
                o.next_date is not null
                then date_diff('day', o.ereignis_datum, least(o.next_date, obs.observation_end))
            else date_diff('day', o.ereignis_datum, obs.observation_end)
        end as duration_days,
        coalesce(o.next_direction = 'outflow' or o.next_kind = 'death', false) as left_register,
        'event' as spell_source
    from ordered as o
    inner join observation as obs on obs.city = o.city
    where o.flow_direction = 'inflow' and o.ereignis_datum <= obs.observation_end
),

first_stock as (
    select p.*
    from {{ ref('stg_bestand__persons') }} as p
    inner join (
        select city, min(stichtag) as s0 from {{ ref('stg_bestand__persons') }}
        group by city
    ) as f
        on f.city = p.city and f.s0 = p.stichtag
),

first_exit_after_stock as (
    select
        s.city, s.person_pseudonym,
        min(e.ereignis_datum) filter (where e.flow_direction = 'outflow' or e.flow_kind = 'death') as exit_date,
        min(e.meldedatum) filter (where e.flow_direction = 'outflow' or e.flow_kind = 'death') as exit_recorded
    from first_stock as s
    inner join events as e
        on e.city = s.city and e.person_pseudonym = s.person_pseudonym and e.meldedatum > s.stichtag
    group by all
),

from_stock as (
    select
        s.city, s.person_pseudonym, s.nationality_group,
        s.zuzug_datum as arrival_date,
        date_diff('day', s.zuzug_datum, s.stichtag) as entry_days,
        date_diff('day', s.zuzug_datum, coalesce(x.exit_date, obs.observation_end)) as duration_days,
        x.exit_date is not null as left_register,
        'stock' as spell_source
    from first_stock as s
    inner join observation as obs on obs.city = s.city
    left join first_exit_after_stock as x on x.city = s.city and x.person_pseudonym = s.person_pseudonym
    where s.zuzug_datum is not null
        and not s.zuzug_left_censored
        and s.zuzug_datum < obs.observation_start
        and s.stichtag <= obs.observation_end
)

select *, year(arrival_date) as arrival_year
from (
    select * from from_events
    union all
    select * from from_stock
) as spells
where duration_days >= entry_days and not (spell_source = 'stock' and duration_days = entry_days and left_register)
