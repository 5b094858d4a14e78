{#
  Kaplan-Meier retention curves (share still registered by months since arrival) per city,
  nationality group and arrival year, as the exchange layer published them (the hub's latest
  snapshot per city, local or from an imported package): only points whose
  risk set is at least 3 and whose departures since the previous point are 0 or at least 3.
  A snapshot quarter the quality gate blocks for a source of the retention indicators keeps its
  rows with is_blocked and the reason, the curve withheld (macros/alliance_gate.sql).
#}
with curves as (
    select
        hub.*,
        {{ alliance_blocked_reason('hub.city', 'hub.period', indicator_sources(['retention_12m', 'retention_36m'])) }}
            as blocked_reason
    from {{ ref('fct_exchange_hub_retention_curves') }} as hub
)

select
    city,
    country,
    period,
    nationality_group,
    arrival_year,
    months,
    {{ unless_blocked('retention') }} as retention,
    {{ unless_blocked('ci_lower') }} as ci_lower,
    {{ unless_blocked('ci_upper') }} as ci_upper,
    {{ unless_blocked('n_at_risk') }} as n_at_risk,
    {{ unless_blocked('n_left_cumulative') }} as n_left_cumulative,
    method,
    basis,
    blocked_reason is not null as is_blocked,
    blocked_reason
from curves
