{{ config(alias='fct_dunkelziffer_estimates') }}
{#
  Dunkelziffer estimates of every method with point, 95 % interval, interval method,
  assumptions and warnings, disclosure-controlled in the exchange layer (no JSON inputs); from
  the hub (local or imported packages).
  `is_recommended` marks the method estimation/METHODS.md recommends for the stratum.
  A city-quarter the quality gate blocks for a source of the estimate (the catalogue's sources of
  unregistered_estimate) keeps its rows with is_blocked and the reason, its figures withheld
  (macros/alliance_gate.sql: the same gate as fct_intercity_indicators).
#}
with est as (
    select
        hub.*,
        {{ alliance_blocked_reason('hub.city', 'hub.period', indicator_sources(['unregistered_estimate'])) }}
            as blocked_reason
    from {{ ref('fct_exchange_hub_dunkelziffer_estimates') }} as hub
)

select
    city,
    country,
    period,
    stichtag,
    nationality_group,
    age_band,
    quantity,
    method,
    recommended as is_recommended,
    {{ unless_blocked('registered') }} as registered,
    {{ unless_blocked('point') }} as point,
    {{ unless_blocked('lower') }} as ci_lower,
    {{ unless_blocked('upper') }} as ci_upper,
    {{ unless_blocked('se') }} as se,
    interval_method,
    assumptions,
    warnings,
    valid as is_valid,
    model,
    is_suppressed,
    suppression_reason,
    basis,
    blocked_reason is not null as is_blocked,
    blocked_reason
from est
