-- Person-level SGB II of the Optionskommunen (city layer only).
with persons as (
    select * from {{ source('raw', 'sgb2_personen') }} as r
    where {{ not_blocked('r', 'sgb2', 'personen') }}
)

select
    p.*,
    p.erwerbsfaehig = 'J' as is_elb,
    {{ nationality_group('p.staatsangehoerigkeit', 'c.country', 'n.group_de') }} as nationality_group,
    {{ age_at('p.monat', 'p.geburtsjahr') }} as age,
    p.delivery_version < 2 as is_provisional
from persons as p
left join {{ ref('stg_meta__cities') }} as c on c.slug = p.city
left join {{ ref('nationalities') }} as n on n.destatis_key = p.staatsangehoerigkeit
