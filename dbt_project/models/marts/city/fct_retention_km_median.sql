-- Summary of the Kaplan-Meier retention per city, nationality group and arrival year: median
-- time to leave the register (first time S(t) <= 0.5, in exact arithmetic: see median_days; NULL
-- while more than half are still registered) with the confidence limits where the bounds cross
-- 0.5, and S at 3, 12 and 36 months
-- (the step function's value at the last exit time on or before the horizon; NULL when
-- follow-up is shorter than the horizon, except that a cohort whose curve reached 0 - everybody
-- left - has 0 at every later horizon). A cohort not observed from arrival (every spell entered
-- late, observed_from_days > 0: arrivals before the first delivered month) has no median and no
-- retention at a horizon - its curve is conditional on being registered on the truncation day.
with km as (
    select * from {{ ref('fct_retention_km') }}
),

spells as (
    select
        city,
        nationality_group,
        arrival_year,
        cast(count(*) as bigint) as spells,
        cast({{ count_true('left_register') }} as bigint) as spells_left
    from (
        select city, nationality_group, arrival_year, left_register from {{ ref('int_registration_spells') }}
        union all
        select city, 'INSGESAMT', arrival_year, left_register from {{ ref('int_registration_spells') }}
    ) as spell_rows
    group by all
)

select
    s.city,
    s.nationality_group,
    s.arrival_year,
    s.spells,
    s.spells_left,
    -- S(t) <= 0.5 up to rounding: S is often exactly 1/2 in exact arithmetic (1 of 2 at risk
    -- leaves), and its double (exp of a sum of logarithms) lands on either side of 0.5 by an ulp,
    -- differently on DuckDB and Spark (their exp/ln differ in the last bit), which moved the
    -- median by years. The error of S is below 1e-15; an exact S in (0.5, 0.5 + 1e-12] would
    -- need a product of risk sets above 10^12.
    min(case when k.survival <= 0.5 + 1e-12 and k.observed_from_days = 0 then k.days_since_arrival end) as median_days,
    min(case when k.survival <= 0.5 + 1e-12 and k.observed_from_days = 0 then k.days_since_arrival end)
    / cast(30.4375 as double)
        as median_months,
    min(case when k.ci_lower <= 0.5 and k.observed_from_days = 0 then k.days_since_arrival end) as median_days_ci_lower,
    min(case when k.ci_upper <= 0.5 and k.observed_from_days = 0 then k.days_since_arrival end) as median_days_ci_upper,
    case when (max(k.months_since_arrival) >= 3 or min(k.survival) = 0) and max(k.observed_from_days) = 0
            then coalesce(max_by(k.survival, case when k.months_since_arrival <= 3 then k.days_since_arrival end), 1.0)
    end as retention_3m,
    case when (max(k.months_since_arrival) >= 12 or min(k.survival) = 0) and max(k.observed_from_days) = 0
            then coalesce(max_by(k.survival, case when k.months_since_arrival <= 12 then k.days_since_arrival end), 1.0)
    end as retention_12m,
    case when (max(k.months_since_arrival) >= 36 or min(k.survival) = 0) and max(k.observed_from_days) = 0
            then coalesce(max_by(k.survival, case when k.months_since_arrival <= 36 then k.days_since_arrival end), 1.0)
    end as retention_36m,
    max(k.days_since_arrival) as max_followup_days,
    max(k.observed_from_days) as observed_from_days,
    'kaplan-meier, greenwood log(-log) 95 %' as method,
    'register' as basis
from spells as s
left join km as k
    on k.city = s.city and k.nationality_group = s.nationality_group and k.arrival_year = s.arrival_year
group by all
