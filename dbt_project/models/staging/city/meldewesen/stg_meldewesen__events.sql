-- Register movement events, current delivery version, blocked deliveries left out.
-- Adds the flow classification, the effective nationality (nationals with a second
-- nationality count as nationals), the nationality group and the age at the event.
{%- set nationality_key = effective_nationality_key(
    'e.staatsangehoerigkeit', 'e.staatsangehoerigkeit_2', 'c.country'
) %}
with events as (
    select * from {{ source('raw', 'meldewesen') }} as r
    where {{ not_blocked('r', 'meldewesen') }}
)

select
    e.*,
    {{ nationality_key }} as nationality_key,
    -- The official statistics count an event in the month it was processed; so do we.
    cast(date_trunc('month', e.meldedatum) as date) as registration_month,
    cast(date_trunc('month', e.ereignis_datum) as date) as event_month,
    t.flow_direction,
    t.flow_kind,
    {{ nationality_group(nationality_key, 'c.country', 'n.group_de') }} as nationality_group,
    {{ age_at('e.ereignis_datum', 'e.geburtsjahr') }} as age_at_event,
    {{ standard_age_band(age_at('e.ereignis_datum', 'e.geburtsjahr')) }} as age_band
from events as e
left join {{ ref('stg_meta__cities') }} as c on c.slug = e.city
left join {{ ref('event_types') }} as t on t.event_type = e.ereignis_art
left join {{ ref('nationalities') }} as n on n.destatis_key = {{ nationality_key }}
