-- Register movement events, current delivery version, blocked deliveries left out.
-- Adds the flow classification, the effective nationality (nationals with a second
-- nationality count as nationals), the nationality group and the age at the event.
with events as (
    select * from {{ source('raw', 'meldewesen') }} as r
    where {{ not_blocked('r', 'meldewesen') }}
),

keyed as (
    select
        e.*,
        c.country,
        {{ effective_nationality_key('e.staatsangehoerigkeit', 'e.staatsangehoerigkeit_2', 'c.country') }}
            as nationality_key
    from events as e
    left join {{ ref('stg_meta__cities') }} as c on c.slug = e.city
)

select
    k.* exclude (country),
    -- The official statistics count an event in the month it was processed; so do we.
    date_trunc('month', k.meldedatum)::date as registration_month,
    date_trunc('month', k.ereignis_datum)::date as event_month,
    t.flow_direction,
    t.flow_kind,
    {{ nationality_group('k.nationality_key', 'k.country', 'n.group_de') }} as nationality_group,
    {{ age_at('k.ereignis_datum', 'k.geburtsjahr') }} as age_at_event,
    {{ standard_age_band(age_at('k.ereignis_datum', 'k.geburtsjahr')) }} as age_band
from keyed as k
left join {{ ref('event_types') }} as t on t.event_type = k.ereignis_art
left join {{ ref('nationalities') }} as n on n.destatis_key = k.nationality_key
