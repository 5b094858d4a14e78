-- Pupils aged 6 to under 15 against the registered 6 to under 15 year olds, per city, census day
-- and nationality group ('INSGESAMT' = all); KOMM-IN ("about equal" in Dortmund) compares all
-- enrolled pupils of the group with the registered 6 to under 15 year olds - both ratios are given.
-- Age = census year - birth year for both. Pupils living outside the city are left out of the
-- numerator; pupils with unknown residence stay in it (they attend the city's schools).
with pupils as (
    select
        city, stichtag, register_stock_date, nationality_group,
        sum(pupils_6_14) as pupils_6_14,
        sum(pupils_not_in_register) as pupils_not_in_register,
        sum(pupils) as pupils
    from {{ ref('fct_schools') }}
    where residence_district <> 'AUSSERHALB'
    group by all
),

pupils_rolled as (
    select
        city, stichtag, max(register_stock_date) as register_stock_date,
        case when grouping(nationality_group) = 1 then 'INSGESAMT' else nationality_group end as nationality_group,
        cast(sum(pupils_6_14) as bigint) as pupils_6_14,
        cast(sum(pupils) as bigint) as pupils,
        cast(sum(pupils_not_in_register) as bigint) as pupils_not_in_register
    from pupils
    group by grouping sets ((city, stichtag, nationality_group), (city, stichtag))
)

select
    p.city,
    p.stichtag,
    p.register_stock_date,
    p.nationality_group,
    p.pupils,
    p.pupils_6_14,
    p.pupils_not_in_register,
    -- registered persons whose age in the census year is 6..14
    cast(coalesce(r.persons_6_14, case when p.register_stock_date is not null then 0 end) as bigint) as registered_6_14,
    {{ safe_ratio('p.pupils_6_14', 'r.persons_6_14') }} as pupils_per_registered_6_14,
    -- KOMM-IN's comparison: all enrolled pupils of the group against the registered 6-14 year olds
    {{ safe_ratio('p.pupils', 'r.persons_6_14') }} as pupils_all_ages_per_registered_6_14,
    'register' as basis
from pupils_rolled as p
left join (
    select
        b.city, b.stichtag,
        case when grouping(b.nationality_group) = 1 then 'INSGESAMT' else b.nationality_group end as nationality_group,
        s.census_year,
        {{ count_true('s.census_year - b.geburtsjahr between 6 and 14') }} as persons_6_14
    from {{ ref('stg_bestand__persons') }} as b
    inner join (select distinct city, register_stock_date, year(stichtag) as census_year from pupils_rolled) as s
        on s.city = b.city and s.register_stock_date = b.stichtag
    group by
        grouping sets ((b.city, b.stichtag, s.census_year, b.nationality_group), (b.city, b.stichtag, s.census_year))
) as r
    on r.city = p.city and r.stichtag = p.register_stock_date and r.census_year = year(p.stichtag)
        and r.nationality_group = p.nationality_group
