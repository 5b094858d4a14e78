-- Dwelling stock and vacancy per city, reference date and district ('INSGESAMT' = all).
with stock as (
    select * from {{ ref('stg_wohnen__dwelling_stock') }}
),

rolled as (
    select
        city, stichtag,
        case when grouping(bezirk) = 1 then 'INSGESAMT' else bezirk end as district_code,
        cast(sum(wohneinheiten) as bigint) as dwellings,
        cast(sum(leerstand_we) as bigint) as vacant_dwellings,
        cast(sum(gefoerderte_we) as bigint) as subsidised_dwellings
    from stock
    group by grouping sets ((city, stichtag, bezirk), (city, stichtag))
)

select
    *,
    {{ safe_ratio('vacant_dwellings', 'dwellings') }} as vacancy_share,
    {{ safe_ratio('subsidised_dwellings', 'dwellings') }} as subsidised_share,
    'register' as basis
from rolled
