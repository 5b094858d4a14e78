-- Registered population (main residence) per reference date, blocked deliveries left out.
-- Adds effective nationality, nationality group, age and the dwell-time basis.
{%- set nationality_key = effective_nationality_key(
    'p.staatsangehoerigkeit', 'p.staatsangehoerigkeit_2', 'c.country'
) %}
with persons as (
    select * from {{ source('raw', 'bestand') }} as r
    where {{ not_blocked('r', 'bestand') }}
)

select
    p.*,
    {{ nationality_key }} as nationality_key,
    {{ nationality_group(nationality_key, 'c.country', 'n.group_de') }} as nationality_group,
    {{ age_at('p.stichtag', 'p.geburtsjahr') }} as age,
    {{ standard_age_band(age_at('p.stichtag', 'p.geburtsjahr')) }} as age_band,
    -- Empty zuzug_datum: born in the city and never left. 1990-01-01: moved in on that day or earlier.
    p.zuzug_datum is null as born_in_city,
    p.zuzug_datum = date '1990-01-01' as zuzug_left_censored,
    -- Lower bound of the date since which the person lives in the city: the move-in date, or for
    -- persons born in the city the last day of the birth year (the birth date is not delivered).
    coalesce(p.zuzug_datum, make_date(p.geburtsjahr, 12, 31)) as in_city_since_lower_bound
from persons as p
left join {{ ref('stg_meta__cities') }} as c on c.slug = p.city
left join {{ ref('nationalities') }} as n on n.destatis_key = {{ nationality_key }}
