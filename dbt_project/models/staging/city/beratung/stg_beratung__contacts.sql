-- Counselling contacts (one row per contact), blocked deliveries left out.
with contacts as (
    select * from {{ source('raw', 'beratung') }} as r
    where {{ not_blocked('r', 'beratung') }}
)

select
    k.*,
    cast(date_trunc('month', k.kontakt_datum) as date) as contact_month,
    {{ nationality_group('k.staatsangehoerigkeit', 'c.country', 'n.group_de') }} as nationality_group,
    {{ age_at('k.kontakt_datum', 'k.geburtsjahr') }} as age
from contacts as k
left join {{ ref('stg_meta__cities') }} as c on c.slug = k.city
left join {{ ref('nationalities') }} as n on n.destatis_key = k.staatsangehoerigkeit
