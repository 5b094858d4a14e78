{#
  Register against official migration figures per city, year and flow, for the alliance
  (from the official comparison mart). The official value is published by the statistical
  office; the register value is a count of the city layer and follows the primary rule: a
  register count of 1 or 2 is withheld together with the difference and ratio it would reveal.
  Status changes of 1 or 2 are withheld likewise. The two bases are never summed.
  period: the city's latest delivered quarter - the table is a snapshot as of then and travels in
  the exchange package of that quarter, like the retention curves (NULL for cities without
  register data here).
#}
with cmp as (
    select
        *,
        -- the same "small" as every other exchange table (0.5 to 2.5; these are whole counts)
        {{ disclosure_is_small("register_value") }} as hide_register,
        {{ disclosure_is_small("register_status_changes") }} as hide_status
    from {{ ref('fct_register_vs_official_migration') }}
),

as_of as (
    select city, max(period_key) as period
    from {{ ref('fct_fluctuation') }}
    where period_type = 'quarter'
    group by city
)

select
    city,
    city_name,
    city_key,
    year,
    a.period,
    flow,
    case when not hide_register then register_value end as register_value,
    register_months,
    register_year_complete,
    case when not (hide_register or hide_status) then register_status_changes end as register_status_changes,
    official_value,
    case when not hide_register then difference end as difference,
    case when not hide_register then ratio_register_to_official end as ratio_register_to_official,
    comparison_status,
    explanation,
    official_known_issue,
    official_definition,
    hide_register as is_suppressed,
    case when hide_register then 'primary' when hide_status then 'primary (status changes)' end as suppression_reason
from cmp
left join as_of as a using (city)
