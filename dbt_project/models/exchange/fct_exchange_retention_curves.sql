{#
  Kaplan-Meier retention curves of arrival cohorts for the alliance (report chart), evaluated
  every 3 months since arrival. Disclosure control of a curve: a point is published only if at
  least 3 persons are at risk there and the persons who left since the previously published
  point number 0 or at least 3 (a step of 1 or 2 would reveal individual departures); a point
  that fails is dropped and its departures count towards the next point. Counts of the cohort
  are not published beside the curve except the risk set (>= 3) and departures (0 or >= 3).
  Only cohorts observed from arrival are published (observed_from_days = 0): a cohort that arrived
  before the first delivered month is seen only from the first stock on, so its curve would be
  the retention among those still registered then, not the cohort's retention.
  Limitation: curves of different groups are not checked against the INSGESAMT curve.
#}
{#- the evaluation grid: every 3 months since arrival up to 8 years -#}
{%- set grid_months = range(0, 97, 3) | list -%}
with km as (
    select * from {{ ref('fct_retention_km') }}
),

curves as (
    select
        city, nationality_group, arrival_year, max(months_since_arrival) as max_months,
        min(days_since_arrival) as first_exit_day
    from km
    where observed_from_days = 0
    group by all
),

grid as (
    select cast(grid_values.m as bigint) as months
    from (
        values
        {%- for m in grid_months %}
            ({{ m }}){% if not loop.last %},{% endif %}
        {%- endfor %}
    ) as grid_values (m)
),

-- the risk set before any step: the first step's (every step of the curve, observed or not)
first_risk as (
    select city, nationality_group, arrival_year, {{ min_by_present('n_at_risk', 'days_since_arrival') }} as n_at_risk
    from km
    group by city, nationality_group, arrival_year
),

points as (
    select
        c.city, c.nationality_group, c.arrival_year, g.months,
        row_number() over (partition by c.city, c.nationality_group, c.arrival_year order by g.months) as k,
        coalesce({{ max_by_present('k.survival', 'k.days_since_arrival') }}, 1.0) as retention,
        coalesce({{ max_by_present('k.ci_lower', 'k.days_since_arrival') }}, 1.0) as ci_lower,
        coalesce({{ max_by_present('k.ci_upper', 'k.days_since_arrival') }}, 1.0) as ci_upper,
        coalesce(sum(k.n_left), 0) as left_cumulative,
        -- risk set behind the last step (before any step: the first one's)
        coalesce({{ max_by_present('k.n_at_risk', 'k.days_since_arrival') }}, max(f.n_at_risk)) as n_at_risk
    from curves as c
    cross join grid as g
    left join first_risk as f
        on f.city = c.city and f.nationality_group = c.nationality_group and f.arrival_year = c.arrival_year
    left join km as k
        on k.city = c.city and k.nationality_group = c.nationality_group
            and k.arrival_year = c.arrival_year and k.months_since_arrival <= g.months
    where g.months <= c.max_months
    group by c.city, c.nationality_group, c.arrival_year, g.months
),

-- the walk along each curve (macros/retention_walk.sql): the published point before decides
-- whether this one may be published
{{ retention_walk('points', grid_months | length) }},

cells_as_of as (
    select city, max(period_key) as period
    from {{ ref('fct_fluctuation') }}
    where period_type = 'quarter'
    group by city
)

select
    w.city,
    ci.country,
    a.period,
    w.nationality_group,
    w.arrival_year,
    cast(w.months as integer) as months,
    w.retention,
    w.ci_lower,
    w.ci_upper,
    cast(w.n_at_risk as bigint) as n_at_risk,
    cast(w.left_cumulative as bigint) as n_left_cumulative,
    'kaplan-meier, greenwood log(-log) 95 %' as method,
    'register' as basis
from walk as w
left join cells_as_of as a on a.city = w.city
left join {{ ref('dim_cities') }} as ci on ci.city = w.city
where w.is_published
