{#
  City-quarters (and sources) that quality checks blocked: they travel with the exchange
  package so the alliance layer shows them as blocked with the reason instead of missing.
  Monthly periods (YYYY-MM) and reference dates (YYYY-MM-DD) are mapped to their quarter;
  `current` (the area reference) blocks every quarter of that city.
#}
with gate as (
    select city, source, coalesce(form, '') as form, period, check_name, reason, blocked_at
    from {{ source('meta_exchange', 'quality_gate') }}
),

dated as (
    select
        *,
        case
            when period ~ '^\d{4}-Q[1-4]$' then period
            when period ~ '^\d{4}-\d{2}(-\d{2})?$' then
                {{ quarter_key("cast(left(period, 7) || '-01' as date)") }}
        end as quarter
    from gate
)

select
    city,
    quarter as period,
    source,
    form,
    period = 'current' as applies_to_all_periods,
    string_agg(distinct check_name, '; ' order by check_name) as check_names,
    string_agg(distinct coalesce(reason, check_name), '; ' order by coalesce(reason, check_name)) as reason,
    min(period) as first_blocked_delivery_period,
    max(blocked_at) as last_blocked_at
from dated
where quarter is not null or period = 'current'
group by city, quarter, source, form, period = 'current'
