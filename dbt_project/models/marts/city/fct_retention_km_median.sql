-- Summary of the Kaplan-Meier retention per city, nationality group and arrival year: median
-- time to leave the register (first time S(t) <= 0.5; NULL while more than half are still
-- registered) with the confidence limits where the bounds cross 0.5, and S at 3, 12 and 36 months
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
        count(*)::bigint as spells,
        count_if(left_register)::bigint as spells_left
    from (
        select city, nationality_group, arrival_year, left_register from {{ ref('int_registration_spells') }}
        union all
        select city, 'INSGESAMT', arrival_year, left_register from {{ ref('int_registration_spells') }}
    )
    group by all
)

select
    s.city,
    s.nationality_group,
    s.arrival_year,
    s.spells,
    s.spells_left,
    min(k.days_since_arrival) filter (where k.survival <= 0.5 and k.observed_from_days = 0) as median_days,
    min(k.days_since_arrival) filter (where k.survival <= 0.5 and k.observed_from_days = 0) / 30.4375
        as median_months,
    min(k.days_since_arrival) filter (where k.ci_lower <= 0.5 and k.observed_from_days = 0) as median_days_ci_lower,
    min(k.days_since_arrival) filter (where k.ci_upper <= 0.5 and k.observed_from_days = 0) as median_days_ci_upper,
    case when (max(k.months_since_arrival) >= 3 or min(k.survival) = 0) and max(k.observed_from_days) = 0
            then coalesce(arg_max(k.survival, k.days_since_arrival) filter (where k.months_since_arrival <= 3), 1.0)
    end as retention_3m,
    case when (max(k.months_since_arrival) >= 12 or min(k.survival) = 0) and max(k.observed_from_days) = 0
            then coalesce(arg_max(k.survival, k.days_since_arrival) filter (where k.months_since_arrival <= 12), 1.0)
    end as retention_12m,
    case when (max(k.months_since_arrival) >= 36 or min(k.survival) = 0) and max(k.observed_from_days) = 0
            then coalesce(arg_max(k.survival, k.days_since_arrival) filter (where k.months_since_arrival <= 36), 1.0)
    end as retention_36m,
    max(k.days_since_arrival) as max_followup_days,
    max(k.observed_from_days) as observed_from_days,
    'kaplan-meier, greenwood log(-log) 95 %' as method,
    'register' as basis
from spells as s
left join km as k
    on k.city = s.city and k.nationality_group = s.nationality_group and k.arrival_year = s.arrival_year
group by all
