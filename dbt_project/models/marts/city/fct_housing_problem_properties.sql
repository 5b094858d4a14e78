-- Problem properties per city, reference date, district ('INSGESAMT' = all) and status
-- ('INSGESAMT' = all): properties, dwellings, vacancy, persons registered at those addresses per
-- dwelling against the city average, and the latest inspection findings (only inspected
-- properties enter the inspection sums). The register count comes from the stock on the same
-- reference date (linked by address pseudonym inside the city layer).
with properties as (
    select * from {{ ref('stg_wohnen__problem_properties') }}
),

registered_at_address as (
    select
        p.city, p.stichtag, p.objekt_id, count(b.person_pseudonym) as registered_persons,
        count(case when b.nationality_group = 'EU2' then b.person_pseudonym end) as registered_persons_eu2
    from properties as p
    left join {{ ref('stg_bestand__persons') }} as b
        on b.city = p.city and b.stichtag = p.stichtag and b.adresse_pseudonym = p.adresse_pseudonym
    group by all
),

-- persons per city and reference date: one pass over the stock serves both the presence of a
-- snapshot and the city average (they were two more scans of the stock view)
stock_present as (
    select city, stichtag, count(*) as registered_persons_city
    from {{ ref('stg_bestand__persons') }}
    group by all
),

city_average as (
    select
        d.city, d.stichtag,
        coalesce(max(sp.registered_persons_city), 0) as registered_persons_city,
        sum(d.wohneinheiten) as dwellings_city
    from {{ ref('stg_wohnen__dwelling_stock') }} as d
    left join stock_present as sp on sp.city = d.city and sp.stichtag = d.stichtag
    group by d.city, d.stichtag
),

per_property as (
    select p.*, r.registered_persons, r.registered_persons_eu2, sp.city is not null as stock_available
    from properties as p
    inner join registered_at_address as r on r.city = p.city and r.stichtag = p.stichtag and r.objekt_id = p.objekt_id
    left join stock_present as sp on sp.city = p.city and sp.stichtag = p.stichtag
),

rolled as (
    select
        city, stichtag,
        case when grouping(bezirk) = 1 then 'INSGESAMT' else coalesce(bezirk, 'UNBEKANNT') end as district_code,
        case when grouping(status) = 1 then 'INSGESAMT' else status end as status,
        count(*) as properties,
        cast(sum(wohneinheiten) as bigint) as dwellings,
        cast(sum(leerstand_we) as bigint) as vacant_dwellings,
        bool_and(stock_available) as stock_available,
        cast(sum(registered_persons) as bigint) as registered_persons,
        cast(sum(registered_persons_eu2) as bigint) as registered_persons_eu2,
        {{ count_true('is_inspected') }} as properties_inspected,
        cast(sum(case when is_inspected then gemeldet_laut_register end) as bigint) as inspection_registered,
        cast(sum(case when is_inspected then angetroffen_gemeldet end) as bigint) as inspection_found_registered,
        cast(sum(case when is_inspected then angetroffen_nicht_gemeldet end) as bigint)
            as inspection_found_not_registered
    from per_property
    group by grouping sets (
        (city, stichtag, bezirk, status), (city, stichtag, bezirk),
        (city, stichtag, status), (city, stichtag)
    )
)

select
    r.city, r.stichtag, r.district_code, r.status,
    r.properties, r.dwellings, r.vacant_dwellings,
    {{ safe_ratio('r.vacant_dwellings', 'r.dwellings') }} as vacancy_share,
    case when r.stock_available then r.registered_persons end as registered_persons,
    case when r.stock_available then r.registered_persons_eu2 end as registered_persons_eu2,
    case when r.stock_available then {{ safe_ratio('r.registered_persons', 'r.dwellings') }} end
        as registered_per_dwelling,
    ca.registered_persons_city,
    cast(ca.dwellings_city as bigint) as dwellings_city,
    case when r.stock_available then {{ safe_ratio('ca.registered_persons_city', 'ca.dwellings_city') }} end
        as registered_per_dwelling_city,
    r.properties_inspected,
    r.inspection_registered,
    r.inspection_found_registered,
    r.inspection_found_not_registered,
    r.inspection_registered - r.inspection_found_registered as inspection_registered_not_found,
    -- Duisburg's three addresses: 58 % of the registered not found, 27 % of those found not registered
    {{ safe_ratio('r.inspection_registered - r.inspection_found_registered', 'r.inspection_registered') }}
        as share_registered_not_found,
    {{ safe_ratio('r.inspection_found_not_registered',
                  'r.inspection_found_registered + r.inspection_found_not_registered') }}
        as share_found_not_registered,
    'register' as basis
from rolled as r
left join city_average as ca on ca.city = r.city and ca.stichtag = r.stichtag
