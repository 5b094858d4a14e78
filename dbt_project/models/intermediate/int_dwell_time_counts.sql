-- Registered persons per reference date, district, nationality group and date since which they
-- live in the city (the lower bound of fct_dwell_time_stock), split by how exact that date is.
-- A table of its own because fct_dwell_time_stock reads it three times: the stock holds one row
-- per person and reference date (140 M on a 10-million-event world); these counts are about
-- half as many rows, and scanning a table is cheaper than counting the stock three times.
select
    city,
    stichtag,
    coalesce(bezirk, 'UNBEKANNT') as district_code,
    nationality_group,
    in_city_since_lower_bound,
    -- zuzug_left_censored is NULL for the city-born (no zuzug_datum), and count_if over only
    -- NULLs is NULL: count the rows where the condition holds instead
    count(*) as persons,
    count(case when born_in_city then 1 end) as persons_born_in_city,
    count(case when zuzug_left_censored then 1 end) as persons_left_censored,
    count(case when not coalesce(born_in_city or zuzug_left_censored, false) then 1 end) as persons_exact
from {{ ref('stg_bestand__persons') }}
group by all
