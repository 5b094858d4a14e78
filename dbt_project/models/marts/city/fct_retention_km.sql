-- Kaplan-Meier retention of arrival cohorts: the probability of still being registered in the
-- city t days after moving in, per city, nationality group ('INSGESAMT' = all) and arrival year.
-- Right censoring at the end of observation; delayed entry (left truncation) for persons already
-- in the first stock. At risk at t: spells with entry_days < t <= duration_days (entrants at the
-- cohort's first time point count too), the convention of lifelines.
-- S(t) = prod over event times u <= t of (1 - d_u / n_u), computed as exp(sum(ln(...))).
-- 95 % confidence interval: Greenwood variance with the log(-log) transform (lifelines' default).
-- Kaplan, E. L. & Meier, P. (1958), Nonparametric estimation from incomplete observations, JASA
-- 53, 457-481; delayed entry as in Klein & Moeschberger (2003), Survival Analysis, ch. 4.6.
-- observed_from_days: the cohort's earliest entry. 0 = observed from arrival; > 0 = every spell
-- of the cohort entered late, so S(t) is the retention among those still registered that many
-- days after arrival (conditional), and the months before are not observed at all.
with spells as (
    select city, nationality_group, arrival_year, entry_days, duration_days, left_register
    from {{ ref('int_registration_spells') }}
    union all
    select city, 'INSGESAMT', arrival_year, entry_days, duration_days, left_register
    from {{ ref('int_registration_spells') }}
),

exits as (
    select
        city, nationality_group, arrival_year, duration_days as t,
        {{ count_true('left_register') }} as d, {{ count_true('not left_register') }} as c, count(*) as removed
    from spells
    group by all
),

entries as (
    select city, nationality_group, arrival_year, entry_days as t, count(*) as entered
    from spells
    group by all
),

times as (
    select city, nationality_group, arrival_year, t from exits
    union
    select city, nationality_group, arrival_year, t from entries
),

at_risk as (
    select
        tm.city, tm.nationality_group, tm.arrival_year, tm.t,
        coalesce(x.d, 0) as d,
        coalesce(x.c, 0) as c,
        x.t is not null as is_exit_time,
        -- entrants at t join after the exits at t (left truncation: entry < t), except at the
        -- first time of the cohort, where entrants come first - the convention of lifelines
        coalesce(sum(coalesce(en.entered, 0)) over w_before, 0)
        + case when row_number() over w_upto = 1 then coalesce(en.entered, 0) else 0 end
        - coalesce(sum(coalesce(x.removed, 0)) over w_before, 0) as n
    from times as tm
    left join exits as x
        on x.city = tm.city and x.nationality_group = tm.nationality_group
            and x.arrival_year = tm.arrival_year and x.t = tm.t
    left join entries as en
        on en.city = tm.city and en.nationality_group = tm.nationality_group
            and en.arrival_year = tm.arrival_year and en.t = tm.t
    window
        w_upto as (
            partition by tm.city, tm.nationality_group, tm.arrival_year order by tm.t
            rows between unbounded preceding and current row
        ),
        w_before as (
            partition by tm.city, tm.nationality_group, tm.arrival_year order by tm.t
            rows between unbounded preceding and 1 preceding
        )
),

steps as (
    select
        *,
        -- once everybody at risk has left, S stays 0
        max(case when d > 0 and d = n then 1 else 0 end) over w as reached_zero,
        -- the running sums exact: a double sum's last bit depends on the order DuckDB adds in,
        -- which differs between builds of the same rows (a night and a full rebuild differed by
        -- 1e-16 on a million-event world). Each term times 2^90 is an integer (exactly, for terms
        -- above 2^-37; the rest round at 2^-91) summed in decimal(38, 0), and divided back once:
        -- the correctly rounded sum of the terms, whatever the order. |ln(1 - d/n)| < 20 and
        -- d / (n (n - d)) <= 1, so sums of up to 10^8 terms stay below 10^38.
        cast(
            sum(case when d > 0 and d < n then cast(ln(1 - d / n) * power(2, 90) as decimal(38, 0)) else 0 end)
                over w
            as double
        ) / power(2, 90) as log_s,
        cast(
            sum(case when d > 0 and d < n then cast(d / (n * (n - d)) * power(2, 90) as decimal(38, 0)) else 0 end)
                over w
            as double
        ) / power(2, 90) as greenwood_sum
    from at_risk
    window w as (
        partition by city, nationality_group, arrival_year order by t
        rows between unbounded preceding and current row
    )
),

estimates as (
    select
        *,
        case when reached_zero = 1 then 0.0 else exp(log_s) end as survival
    from steps
    where is_exit_time
),

observed_from as (
    select city, nationality_group, arrival_year, min(entry_days) as observed_from_days
    from spells
    group by all
)

select
    e.city,
    e.nationality_group,
    e.arrival_year,
    t as days_since_arrival,
    t / cast(30.4375 as double) as months_since_arrival,
    cast(n as bigint) as n_at_risk,
    cast(d as bigint) as n_left,
    cast(c as bigint) as n_censored,
    survival,
    greenwood_sum,
    case
        when survival = 1 then 1.0
        when survival = 0 then 0.0
        else exp(-exp(ln(-log_s) + 1.959963984540054 * sqrt(greenwood_sum) / abs(log_s)))
    end as ci_lower,
    case
        when survival = 1 then 1.0
        when survival = 0 then 0.0
        else exp(-exp(ln(-log_s) - 1.959963984540054 * sqrt(greenwood_sum) / abs(log_s)))
    end as ci_upper,
    o.observed_from_days,
    'kaplan-meier, greenwood log(-log) 95 %' as method,
    'register' as basis
from estimates as e
inner join observed_from as o
    on o.city = e.city and o.nationality_group = e.nationality_group and o.arrival_year = e.arrival_year
