-- Concentration and segregation of each nationality group against the rest of the population,
-- per city and reference date (quarter ends), over the finest districts of the stock:
-- * share living in the top third of districts (ceil(n/3) districts with the most members of the
--   group, ties broken by code);
-- * dissimilarity index D = 1/2 sum_i |g_i/G - r_i/R| (r = everyone else);
-- * isolation index xPx = sum_i (g_i/G) (g_i/t_i) (t = everyone), and the group's city share G/T
--   (the isolation index equals it under even distribution).
with counts as (
    select city, stichtag, district_code, nationality_group, persons
    from {{ ref('int_population_counts') }}
    where not is_projected and district_code <> 'UNBEKANNT'
),

districts as (
    select city, stichtag, district_code, sum(persons) as district_total
    from counts
    group by all
),

groups as (
    select distinct city, stichtag, nationality_group from counts
),

grid as (
    select
        g.city, g.stichtag, g.nationality_group, d.district_code, d.district_total,
        coalesce(c.persons, 0) as group_persons
    from groups as g
    inner join districts as d on d.city = g.city and d.stichtag = g.stichtag
    left join counts as c
        on c.city = g.city and c.stichtag = g.stichtag and c.district_code = d.district_code
            and c.nationality_group = g.nationality_group
),

with_totals as (
    select
        *,
        sum(group_persons) over w as group_total,
        sum(district_total) over w as city_total,
        count(*) over w as n_districts,
        row_number() over (
            partition by city, stichtag, nationality_group
            order by group_persons desc, district_code asc
        ) as rank_in_group
    from grid
    window w as (partition by city, stichtag, nationality_group)
)

select
    city,
    stichtag,
    {{ quarter_key('stichtag') }} as period,
    nationality_group,
    max(n_districts) as districts,
    cast(max(group_total) as bigint) as group_persons,
    cast(max(city_total) as bigint) as total_persons,
    {{ safe_ratio('max(group_total)', 'max(city_total)') }} as group_share_of_city,
    cast(ceil(max(n_districts) / 3.0) as integer) as top_third_districts,
    cast(sum(case when rank_in_group <= ceil(n_districts / 3.0) then group_persons end) as bigint)
        as group_persons_top_third,
    {{ safe_ratio('sum(case when rank_in_group <= ceil(n_districts / 3.0) then group_persons end)',
                  'max(group_total)') }} as share_in_top_third,
    case when max(group_total) > 0 and max(city_total - group_total) > 0 then
            0.5 * sum(abs(
                group_persons / group_total
                - (district_total - group_persons) / (city_total - group_total)
            ))
    end as dissimilarity_index,
    case when max(group_total) > 0 then
            sum(
                case
                    when district_total > 0 then (group_persons / group_total) * (group_persons / district_total) else 0
                end
            )
    end as isolation_index,
    'register' as basis
from with_totals
group by city, stichtag, nationality_group
