-- Spells of registration in a city (person-level, city layer): from moving in to leaving the
-- register, in days of ereignis_datum (the legal day of moving). One spell per stay: a person
-- enters an arrival cohort once per stay; a person who leaves and returns starts a new spell.
-- Observation: events are delivered from the first delivered month O (by meldedatum); the
-- register's complete state is first seen in the first stock on or after O - 1 day (tau).
-- * Arrivals on or after O: the inflow event starts the spell at day 0 - every such spell is
--   observed from its start, whenever it was recorded (a late registration included). It ends
--   at the person's next outflow (FO_*, AVA/vow, STATUS_HW_NW) or death; it is right-censored
--   at the end of the observation (last day of the latest delivered month), or at a following
--   inflow without outflow between.
-- * Arrivals before O: only the stays still registered on tau can be seen (those that ended
--   before are in no delivery), so they are left-truncated at tau: entry_days = tau - arrival.
--   The stay comes from the stock on tau (zuzug_datum before O) or, for a late registration
--   recorded after tau with a moving-in day before O, from its inflow event - never from both
--   (the double count of late registrations). Stays whose exit lies on or before tau were not
--   at risk on tau and are left out. Left-censored (1990-01-01) and city-born persons have no
--   arrival date and are left out. A cohort made only of such stays is not observed from
--   arrival: its Kaplan-Meier curve is conditional on being registered on tau
--   (fct_retention_km.observed_from_days > 0) and is not published.
with events as (
    select * from {{ ref('stg_meldewesen__events') }}
    where flow_direction in ('inflow', 'outflow') or flow_kind = 'death'
),

observation as (
    select
        city,
        min(registration_month) as observation_start,
        {{ add_months('max(registration_month)', 1) }} - 1 as observation_end
    from {{ ref('stg_meldewesen__events') }}
    group by city
),

truncation as (
    select o.city, o.observation_start, o.observation_end, min(p.stichtag) as tau
    from observation as o
    inner join {{ ref('stg_bestand__persons') }} as p
        on p.city = o.city and p.stichtag >= o.observation_start - 1
    group by all
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

-- every inflow event with the stay it starts: to the next outflow or death, else censored at the
-- next inflow (without outflow between) or at the end of the observation
inflows as (
    select
        o.city, o.person_pseudonym, o.nationality_group, o.ereignis_datum, o.meldedatum,
        case
            when o.next_direction = 'outflow' or o.next_kind = 'death'
                then {{ days_between('o.ereignis_datum', 'o.next_date') }}
            when
                o.next_date is not null
                then {{ days_between('o.ereignis_datum', 'least(o.next_date, obs.observation_end)') }}
            else {{ days_between('o.ereignis_datum', 'obs.observation_end') }}
        end as duration_days,
        coalesce(o.next_direction = 'outflow' or o.next_kind = 'death', false) as left_register
    from ordered as o
    inner join observation as obs on obs.city = o.city
    where o.flow_direction = 'inflow'
),

from_events as (
    select
        i.city, i.person_pseudonym, i.nationality_group,
        i.ereignis_datum as arrival_date,
        0 as entry_days,
        i.duration_days,
        i.left_register,
        'event' as spell_source
    from inflows as i
    inner join observation as obs on obs.city = i.city
    where i.ereignis_datum >= obs.observation_start
        and i.ereignis_datum <= obs.observation_end
),

stock_at_tau as (
    select p.*
    from {{ ref('stg_bestand__persons') }} as p
    inner join truncation as tr on tr.city = p.city and tr.tau = p.stichtag
),

first_exit_after_tau as (
    select
        s.city, s.person_pseudonym,
        min(case when e.flow_direction = 'outflow' or e.flow_kind = 'death' then e.ereignis_datum end) as exit_date
    from stock_at_tau as s
    inner join events as e
        on e.city = s.city and e.person_pseudonym = s.person_pseudonym and e.meldedatum > s.stichtag
    group by all
),

from_stock as (
    select
        s.city, s.person_pseudonym, s.nationality_group,
        s.zuzug_datum as arrival_date,
        {{ days_between('s.zuzug_datum', 'tr.tau') }} as entry_days,
        {{ days_between('s.zuzug_datum', 'coalesce(x.exit_date, tr.observation_end)') }} as duration_days,
        x.exit_date is not null as left_register,
        'stock' as spell_source
    from stock_at_tau as s
    inner join truncation as tr on tr.city = s.city
    left join first_exit_after_tau as x on x.city = s.city and x.person_pseudonym = s.person_pseudonym
    where s.zuzug_datum is not null
        and not s.zuzug_left_censored
        and s.zuzug_datum < tr.observation_start
        and tr.tau <= tr.observation_end
),

-- late registrations recorded after tau that state a moving-in day before O: registered (from
-- that day) on tau without being in its stock; truncated at tau like the stock
late_before_observation as (
    select
        i.city, i.person_pseudonym, i.nationality_group,
        i.ereignis_datum as arrival_date,
        {{ days_between('i.ereignis_datum', 'tr.tau') }} as entry_days,
        i.duration_days,
        i.left_register,
        'late_registration' as spell_source
    from inflows as i
    inner join truncation as tr on tr.city = i.city
    where i.ereignis_datum < tr.observation_start
        and i.meldedatum > tr.tau
        and not exists (
            select 1 from from_stock as s
            where s.city = i.city and s.person_pseudonym = i.person_pseudonym
        )
),

spells as (
    select * from from_events
    union all
    select * from from_stock
    union all
    select * from late_before_observation
)

select *, year(arrival_date) as arrival_year
from spells
-- at risk on entry_days < t <= duration_days: a truncated stay that ended by tau never was
where duration_days >= entry_days and not (entry_days > 0 and duration_days = entry_days)
