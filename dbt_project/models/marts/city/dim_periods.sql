-- Calendar periods (months, quarters, years) with first and last day. Months are keyed by their
-- first day as in the raw layer, quarters as YYYY-Qn, years as YYYY.
with months as (
    select unnest(generate_series(
        date '{{ var("first_period", "2000-01-01") }}',
        date '{{ var("last_period", "2035-12-01") }}',
        interval 1 month
    ))::date as month_start
)

select
    'month' as period_type,
    strftime(month_start, '%Y-%m') as period_key,
    month_start as period_start,
    (month_start + interval 1 month - interval 1 day)::date as period_end,
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
    (month_start + interval 3 month - interval 1 day)::date,
    year(month_start),
    quarter(month_start),
    null,
    {{ quarter_key('month_start') }}
from months
where month(month_start) in (1, 4, 7, 10)
union all
select
    'year',
    year(month_start)::varchar,
    month_start,
    (month_start + interval 12 month - interval 1 day)::date,
    year(month_start),
    null,
    null,
    null
from months
where month(month_start) = 1
