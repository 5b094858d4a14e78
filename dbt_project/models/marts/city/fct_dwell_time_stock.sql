-- Dwell time in the city of the registered population per reference date, district and
-- nationality group ('INSGESAMT' = all). Time in the city runs from zuzug_datum; it is a lower
-- bound ("at least") for left-censored entries (1990-01-01) and for persons born in the city
-- (empty zuzug_datum: counted from 31 Dec of the birth year). Both are kept in the population;
-- their lower bounds count towards ">= k years" only when the bound itself reaches k years.
-- The median is flagged as a lower bound when censored values could move it.
with persons as (
    select
        city, stichtag,
        coalesce(bezirk, 'UNBEKANNT') as district_code,
        nationality_group,
        born_in_city,
        zuzug_left_censored,
        born_in_city or zuzug_left_censored as is_lower_bound,
        in_city_since_lower_bound,
        date_diff('day', in_city_since_lower_bound, stichtag) / 365.25 as years_in_city
    from {{ ref('stg_bestand__persons') }}
),

aggregated as (
    select
        city, stichtag,
        {{ district_group_columns() }},
        count(*)::bigint as persons,
        count_if(born_in_city)::bigint as persons_born_in_city,
        count_if(zuzug_left_censored)::bigint as persons_left_censored,
        count_if(in_city_since_lower_bound <= stichtag - interval 1 year)::bigint as persons_ge_1y,
        count_if(in_city_since_lower_bound <= stichtag - interval 3 year)::bigint as persons_ge_3y,
        count_if(in_city_since_lower_bound <= stichtag - interval 5 year)::bigint as persons_ge_5y,
        quantile_cont(years_in_city, 0.5) as median_years,
        list(struct_pack(y := years_in_city, lb := is_lower_bound)) as obs
    from persons
    {{ group_by_district_group_totals('city, stichtag') }}
)

select
    city, stichtag, district_code, nationality_group,
    persons, persons_born_in_city, persons_left_censored,
    persons_ge_1y, persons_ge_3y, persons_ge_5y,
    {{ safe_ratio('persons_ge_1y', 'persons') }} as share_ge_1y,
    {{ safe_ratio('persons_ge_3y', 'persons') }} as share_ge_3y,
    {{ safe_ratio('persons_ge_5y', 'persons') }} as share_ge_5y,
    median_years,
    -- exact only if at least half of the population has an exact value at or below the median
    len(list_filter(obs, o -> not o.lb and o.y <= median_years)) < persons / 2.0 as median_is_lower_bound,
    'register' as basis
from aggregated
