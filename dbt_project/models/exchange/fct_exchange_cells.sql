{#
  Disclosure-controlled aggregates of every city and quarter: the only cell-level table that
  leaves the city layer (exported in exchange packages, read by the alliance layer).
  Suppression groups: one breakdown of one indicator in one city, quarter and basis; linked
  indicators (same suppression_family) share their hidden cells and totals.
  The summary group AUSL (breakdown nationality_summary) equals total minus national group of
  the nationality_group breakdown: it is withheld ('linked') whenever either of those is.
#}
{%- set cell_columns = [
    'city', 'country', 'period', 'indicator_id', 'breakdown', 'group_value', 'is_total',
    'basis', 'method', 'is_provisional', 'is_break', 'suppression_family',
] %}
with controlled as (
{{ disclosure_suppress(
    ref('int_exchange__cells'),
    columns=cell_columns,
    group_cols=['city', 'period', 'basis', 'indicator_id', 'breakdown'],
    family_cols=['city', 'period', 'basis', 'coalesce(suppression_family, indicator_id)', 'breakdown', 'group_value'],
    total_scope_cols=['city', 'period', 'basis', 'coalesce(suppression_family, indicator_id)'],
) }}
),

margins as (
    select
        city, period, basis, indicator_id,
        bool_or(case when is_total or group_value in ('DE', 'NL') then is_suppressed end) as margin_hidden,
        count(case when is_total or group_value in ('DE', 'NL') then 1 end) as n_margins
    from controlled
    where breakdown = 'nationality_group'
    group by all
),

summary_hidden as (
    select
        c.*,
        c.breakdown = 'nationality_summary' and not c.is_suppressed
        and (m.indicator_id is null or m.margin_hidden or m.n_margins < 2) as hide_summary
    from controlled as c
    left join margins as m
        on m.city = c.city and m.period = c.period and m.basis = c.basis and m.indicator_id = c.indicator_id
)

select
    {{ cell_columns | join(', ') }},
    case when not hide_summary then numerator end as numerator,
    case when not hide_summary then denominator end as denominator,
    case when not hide_summary then value end as value,
    case when not hide_summary then ci_lower end as ci_lower,
    case when not hide_summary then ci_upper end as ci_upper,
    is_suppressed or hide_summary as is_suppressed,
    case when hide_summary then 'linked' else suppression_reason end as suppression_reason
from summary_hidden
