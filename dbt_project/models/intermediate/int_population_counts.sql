-- Registered population per reference date, district and nationality group (city layer), with the
-- counts the rate denominators need. Old codes merged in a district reform are also projected onto
-- their successor at the last reference date before the reform (is_projected = true), so that the
-- first period after the reform has a start-of-period stock; projected rows never enter city totals.
with persons as (
    select * from {{ ref('stg_bestand__persons') }}
),

counts as (
    select
        city,
        stichtag,
        coalesce(bezirk, 'UNBEKANNT') as district_code,
        nationality_group,
        count(*) as persons,
        {{ count_true('age between 6 and 14') }} as persons_6_14,
        {{ count_true('age between 15 and 64') }} as persons_15_64
    from persons
    group by all
),

projected as (
    select
        c.city,
        c.stichtag,
        m.new_code as district_code,
        c.nationality_group,
        sum(c.persons) as persons,
        sum(c.persons_6_14) as persons_6_14,
        sum(c.persons_15_64) as persons_15_64
    from counts as c
    inner join {{ ref('int_district_reform_mapping') }} as m
        on m.city = c.city and m.old_code = c.district_code and m.new_code is not null
            and c.stichtag = m.old_valid_to
    group by all
)

select *, false as is_projected from counts
union all
select *, true as is_projected from projected
