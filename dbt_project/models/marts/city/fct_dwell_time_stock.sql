-- Dwell time in the city of the registered population per reference date, district and
-- nationality group ('INSGESAMT' = all). Time in the city runs from zuzug_datum; it is a lower
-- bound ("at least") for left-censored entries (1990-01-01) and for persons born in the city
-- (empty zuzug_datum: counted from 31 Dec of the birth year). Both are kept in the population;
-- their lower bounds count towards ">= k years" only when the bound itself reaches k years.
-- The median is flagged as a lower bound when censored values could move it.
--
-- Why not quantile_cont over the persons: the stock has one row per person and reference date
-- (140 M rows on a 10-million-event world), and a median or a window over that many rows does
-- not spill to disk in DuckDB. So persons are counted per date of moving in
-- (int_dwell_time_counts), the median's year is found from counts per year (one row per year
-- and cell), and only that year's dates (at most 366 rows, 732 when the two middle values
-- straddle a year) are ranked day by day. The result
-- is bit for bit quantile_cont(years_in_city, 0.5): the value at rank floor((n - 1) / 2) and the
-- one at ceil((n - 1) / 2), averaged.
{%- set cell_joins = [
    ('t.district_code = c.district_code', 't.nationality_group = c.nationality_group'),
    ('t.district_code = c.district_code', "t.nationality_group = 'INSGESAMT'"),
    ("t.district_code = 'INSGESAMT'", 't.nationality_group = c.nationality_group'),
    ("t.district_code = 'INSGESAMT'", "t.nationality_group = 'INSGESAMT'"),
] %}
with counted as (
    select * from {{ ref('int_dwell_time_counts') }}
),

cells as (
    select
        city, stichtag,
        {{ district_group_columns() }},
        cast(sum(persons) as bigint) as persons,
        cast(sum(persons_born_in_city) as bigint) as persons_born_in_city,
        cast(sum(persons_left_censored) as bigint) as persons_left_censored,
        cast(coalesce(sum(
            case when in_city_since_lower_bound <= {{ add_months('stichtag', -12) }} then persons end
        ), 0) as bigint)
            as persons_ge_1y,
        cast(coalesce(sum(
            case when in_city_since_lower_bound <= {{ add_months('stichtag', -36) }} then persons end
        ), 0) as bigint)
            as persons_ge_3y,
        cast(coalesce(sum(
            case when in_city_since_lower_bound <= {{ add_months('stichtag', -60) }} then persons end
        ), 0) as bigint)
            as persons_ge_5y
    from counted
    {{ group_by_district_group_totals('city, stichtag') }}
),

-- step 1: persons per cell and year of moving in, in the order of years in the city (latest
-- year first); each year holds the 0-based ranks [rank_from, rank_to] of the cell
by_year as (
    select
        city, stichtag,
        {{ district_group_columns() }},
        year(in_city_since_lower_bound) as move_in_year,
        sum(persons) as persons,
        sum(persons_exact) as persons_exact
    from counted
    {{ group_by_district_group_totals('city, stichtag, year(in_city_since_lower_bound)') }}
),

year_ranked as (
    select
        *,
        (sum(persons) over cell_by_years) - persons as rank_from,
        (sum(persons) over cell_by_years) - 1 as rank_to,
        (sum(persons_exact) over cell_by_years) - persons_exact as exact_before,
        sum(persons) over (partition by city, stichtag, district_code, nationality_group) as cell_persons
    from by_year
    window cell_by_years as (
        partition by city, stichtag, district_code, nationality_group
        order by move_in_year desc
        rows between unbounded preceding and current row
    )
),

-- the years holding the two middle ranks, and what lies before the first of them
middle_ranks as (
    select
        *,
        floor((cell_persons - 1) / 2) as rank_low,
        ceil((cell_persons - 1) / 2) as rank_high
    from year_ranked
),

median_years as (
    select
        city, stichtag, district_code, nationality_group,
        max(rank_low) as rank_low,
        max(rank_high) as rank_high,
        max(case when rank_from <= rank_low and rank_low <= rank_to then move_in_year end) as year_low,
        max(case when rank_from <= rank_high and rank_high <= rank_to then move_in_year end) as year_high,
        max(case when rank_from <= rank_low and rank_low <= rank_to then rank_from end) as ranks_before,
        max(case when rank_from <= rank_low and rank_low <= rank_to then exact_before end) as exact_before
    from middle_ranks
    group by all
),

-- step 2: the dates of those years (the later year first: the years are adjacent in the order)
in_median_years as (
    {%- for district_join, group_join in cell_joins %}
        select
            t.city, t.stichtag, t.district_code, t.nationality_group,
            c.in_city_since_lower_bound, c.persons, c.persons_exact
        from counted as c
        inner join median_years as t
            on t.city = c.city and t.stichtag = c.stichtag and {{ district_join }} and {{ group_join }}
                and year(c.in_city_since_lower_bound) in (t.year_low, t.year_high)
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

by_date as (
    select
        city, stichtag, district_code, nationality_group, in_city_since_lower_bound,
        sum(persons) as persons, sum(persons_exact) as persons_exact
    from in_median_years
    group by all
),

date_ranked as (
    select
        d.*,
        {{ days_between('d.in_city_since_lower_bound', 'd.stichtag') }} / cast(365.25 as double) as years_in_city,
        t.rank_low, t.rank_high,
        t.ranks_before + (sum(d.persons) over cell_by_date) - d.persons as rank_from,
        t.ranks_before + (sum(d.persons) over cell_by_date) - 1 as rank_to,
        t.exact_before + sum(d.persons_exact) over cell_by_date as exact_up_to_here
    from by_date as d
    inner join median_years as t using (city, stichtag, district_code, nationality_group)
    window cell_by_date as (
        partition by d.city, d.stichtag, d.district_code, d.nationality_group
        order by d.in_city_since_lower_bound desc
        rows between unbounded preceding and current row
    )
),

medians as (
    select
        city, stichtag, district_code, nationality_group,
        max(case when rank_from <= rank_low and rank_low <= rank_to then years_in_city end) as median_low,
        max(case when rank_from <= rank_high and rank_high <= rank_to then years_in_city end) as median_high,
        -- exact persons with at most median_low years are also all exact persons at or below the
        -- median: no value lies between the two middle ones (adjacent ranks)
        max(case when rank_from <= rank_low and rank_low <= rank_to then exact_up_to_here end)
            as exact_at_or_below_median
    from date_ranked
    group by all
)

select
    c.city, c.stichtag, c.district_code, c.nationality_group,
    c.persons, c.persons_born_in_city, c.persons_left_censored,
    c.persons_ge_1y, c.persons_ge_3y, c.persons_ge_5y,
    {{ safe_ratio('c.persons_ge_1y', 'c.persons') }} as share_ge_1y,
    {{ safe_ratio('c.persons_ge_3y', 'c.persons') }} as share_ge_3y,
    {{ safe_ratio('c.persons_ge_5y', 'c.persons') }} as share_ge_5y,
    -- (lo + hi) / 2 is bit for bit what quantile_cont returns for q = 0.5
    (m.median_low + m.median_high) / 2 as median_years,
    -- exact only if at least half of the population has an exact value at or below the median
    m.exact_at_or_below_median < c.persons / 2.0 as median_is_lower_bound,
    'register' as basis
from cells as c
left join medians as m using (city, stichtag, district_code, nationality_group)
