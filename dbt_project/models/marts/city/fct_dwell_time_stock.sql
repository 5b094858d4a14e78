-- Dwell time in the city of the registered population per reference date, district and
-- nationality group ('INSGESAMT' = all). Time in the city runs from zuzug_datum; it is a lower
-- bound ("at least") for left-censored entries (1990-01-01) and for persons born in the city
-- (empty zuzug_datum: counted from 31 Dec of the birth year). Both are kept in the population;
-- their lower bounds count towards ">= k years" only when the bound itself reaches k years.
-- The median is flagged as a lower bound when censored values could move it.
--
-- Why counts first: the stock has one row per person and reference date (140 M rows on a
-- 10-million-event world). A median over those rows, four times for the totals, does not spill
-- in DuckDB. Persons are first counted per date of moving in, a few thousand dates per cell,
-- and the median is read from the cumulative counts with the interpolation of quantile_cont.
with counted as (
    select
        city, stichtag,
        coalesce(bezirk, 'UNBEKANNT') as district_code,
        nationality_group,
        in_city_since_lower_bound,
        count(*)::bigint as persons,
        count_if(born_in_city)::bigint as persons_born_in_city,
        count_if(zuzug_left_censored)::bigint as persons_left_censored,
        count_if(not (born_in_city or zuzug_left_censored))::bigint as persons_exact
    from {{ ref('stg_bestand__persons') }}
    group by all
),

-- the same counts for every cell and total, still per date of moving in
by_date as (
    select
        city, stichtag,
        {{ district_group_columns() }},
        in_city_since_lower_bound,
        sum(persons)::bigint as persons,
        sum(persons_born_in_city)::bigint as persons_born_in_city,
        sum(persons_left_censored)::bigint as persons_left_censored,
        sum(persons_exact)::bigint as persons_exact
    from counted
    {{ group_by_district_group_totals('city, stichtag, in_city_since_lower_bound') }}
),

-- persons sorted by years in the city: this date holds the 0-based ranks [rank_from, rank_to]
ranked as (
    select
        *,
        date_diff('day', in_city_since_lower_bound, stichtag) / 365.25 as years_in_city,
        sum(persons) over cell_by_years - persons as rank_from,
        sum(persons) over cell_by_years - 1 as rank_to,
        sum(persons_exact) over cell_by_years as exact_up_to_here,
        sum(persons) over (partition by city, stichtag, district_code, nationality_group) as cell_persons
    from by_date
    window cell_by_years as (
        partition by city, stichtag, district_code, nationality_group
        order by in_city_since_lower_bound desc
        rows between unbounded preceding and current row
    )
),

aggregated as (
    select
        city, stichtag, district_code, nationality_group,
        sum(persons)::bigint as persons,
        sum(persons_born_in_city)::bigint as persons_born_in_city,
        sum(persons_left_censored)::bigint as persons_left_censored,
        sum(persons) filter (where in_city_since_lower_bound <= stichtag - interval 1 year)::bigint as persons_ge_1y,
        sum(persons) filter (where in_city_since_lower_bound <= stichtag - interval 3 year)::bigint as persons_ge_3y,
        sum(persons) filter (where in_city_since_lower_bound <= stichtag - interval 5 year)::bigint as persons_ge_5y,
        -- quantile_cont(y, 0.5): h = (n - 1) / 2, interpolated between the values at floor(h) and ceil(h)
        any_value(years_in_city) filter (where rank_from <= floor((cell_persons - 1) / 2)
                                           and floor((cell_persons - 1) / 2) <= rank_to) as median_low,
        any_value(years_in_city) filter (where rank_from <= ceil((cell_persons - 1) / 2)
                                           and ceil((cell_persons - 1) / 2) <= rank_to) as median_high,
        -- (years, exact persons with at most these years) to read the exact count at the median
        list(struct_pack(y := years_in_city, exact := exact_up_to_here)) as exact_by_years
    from ranked
    group by all
),

with_median as (
    select
        * exclude (median_low, median_high, exact_by_years),
        -- (lo + hi) / 2 is bit for bit what quantile_cont returns for q = 0.5
        (median_low + median_high) / 2 as median_years,
        exact_by_years
    from aggregated
)

select
    city, stichtag, district_code, nationality_group,
    coalesce(persons, 0) as persons, persons_born_in_city, persons_left_censored,
    coalesce(persons_ge_1y, 0) as persons_ge_1y,
    coalesce(persons_ge_3y, 0) as persons_ge_3y,
    coalesce(persons_ge_5y, 0) as persons_ge_5y,
    {{ safe_ratio('coalesce(persons_ge_1y, 0)', 'persons') }} as share_ge_1y,
    {{ safe_ratio('coalesce(persons_ge_3y, 0)', 'persons') }} as share_ge_3y,
    {{ safe_ratio('coalesce(persons_ge_5y, 0)', 'persons') }} as share_ge_5y,
    median_years,
    -- exact only if at least half of the population has an exact value at or below the median
    coalesce(list_max(list_transform(list_filter(exact_by_years, o -> o.y <= median_years), o -> o.exact)), 0)
        < persons / 2.0 as median_is_lower_bound,
    'register' as basis
from with_median
