-- Pupils on the school census day, blocked deliveries left out. ISO alpha-3 is translated to the
-- currently valid Destatis key so that pupils fall into the same nationality groups as residents.
with pupils as (
    select * from {{ source('raw', 'schule') }} as r
    where {{ not_blocked('r', 'schule') }}
),

current_keys as (
    select iso3, destatis_key, group_de
    from {{ ref('nationalities') }}
    where valid_to is null
)

select
    p.*,
    nk.destatis_key as nationality_key,
    {{ nationality_group('nk.destatis_key', 'c.country', 'nk.group_de') }} as nationality_group,
    {{ age_at('p.stichtag', 'p.geburtsjahr') }} as age,
    {{ standard_age_band(age_at('p.stichtag', 'p.geburtsjahr')) }} as age_band,
    -- District of residence: a code of this city, empty, or a place outside the city.
    case
        when p.wohnbezirk is null then 'UNBEKANNT'
        when exists (
                select 1 from {{ ref('stg_gebiete__districts') }} as g
                where g.city = p.city and g.bezirk_code = p.wohnbezirk
            ) then p.wohnbezirk
        else 'AUSSERHALB'
    end as residence_district
from pupils as p
left join {{ ref('stg_meta__cities') }} as c on c.slug = p.city
left join current_keys as nk on nk.iso3 = p.staatsangehoerigkeit_iso3
