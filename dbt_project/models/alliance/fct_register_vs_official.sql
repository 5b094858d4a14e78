{#
  Register against official migration figures per city, year and flow: both bases side by
  side (never summed), difference and ratio only where both exist; register counts of 1 or 2
  withheld in the exchange layer. From the hub (local or imported packages): per city the
  latest snapshot, as of the quarter in `period`.
  A snapshot quarter the quality gate blocks for the register (meldewesen) keeps its rows with
  is_blocked and the reason, the register side withheld; the official side stays
  (macros/alliance_gate.sql).
#}
with comparison as (
    select
        hub.*,
        {{ alliance_blocked_reason('hub.city', 'hub.period', sql_array(["'meldewesen'"])) }} as blocked_reason
    from {{ ref('fct_exchange_hub_register_vs_official') }} as hub
)

select
    city,
    city_name,
    city_key,
    year,
    period,
    flow,
    {{ unless_blocked('register_value') }} as register_value,
    register_months,
    register_year_complete,
    {{ unless_blocked('register_status_changes') }} as register_status_changes,
    official_value,
    {{ unless_blocked('difference') }} as difference,
    {{ unless_blocked('ratio_register_to_official') }} as ratio_register_to_official,
    comparison_status,
    explanation,
    official_known_issue,
    official_definition,
    is_suppressed,
    suppression_reason,
    blocked_reason is not null as is_blocked,
    blocked_reason
from comparison
