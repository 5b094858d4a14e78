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
            when {{ regexp_matches_all('period', '^[0-9]{4}-Q[1-4]$') }} then period
            when {{ regexp_matches_all('period', '^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$') }} then
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
    {{ string_agg_distinct('check_name', '; ') }} as check_names,
    {{ string_agg_distinct('coalesce(reason, check_name)', '; ') }} as reason,
    min(period) as first_blocked_delivery_period,
    max(blocked_at) as last_blocked_at
from dated
where quarter is not null or period = 'current'
group by city, quarter, source, form, period = 'current'
