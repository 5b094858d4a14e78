-- Calendar periods (months, quarters, years) with first and last day. Months are keyed by their
-- first day as in the raw layer, quarters as YYYY-Qn, years as YYYY.
with month_list as (
    -- a generator (unnest / explode) must stand alone in its select item on Spark
    select
        {{ unnest_list(month_series(
            "date '" ~ var("first_period", "2000-01-01") ~ "'",
            "date '" ~ var("last_period", "2035-12-01") ~ "'"
        )) }} as month_value
),

months as (
    select cast(month_value as date) as month_start
    from month_list
)

select
    'month' as period_type,
    year(month_start) || '-' || lpad(cast(month(month_start) as string), 2, '0') as period_key,
    month_start as period_start,
    {{ add_months('month_start', 1) }} - 1 as period_end,
    year(month_start) as year,
    quarter(month_start) as quarter,
    month(month_start) as month,
    {{ quarter_key('month_start') }} as quarter_key
from months
union all
select
    'quarter',
    {{ quarter_key('month_start') }},
    month_start,
    {{ add_months('month_start', 3) }} - 1,
    year(month_start),
    quarter(month_start),
    null,
    {{ quarter_key('month_start') }}
from months
where month(month_start) in (1, 4, 7, 10)
union all
select
    'year',
    cast(year(month_start) as string),
    month_start,
    {{ add_months('month_start', 12) }} - 1,
    year(month_start),
    null,
    null,
    null
from months
where month(month_start) = 1
