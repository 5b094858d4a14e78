{#
  Register against official migration figures per city, year and flow: both bases side by
  side (never summed), difference and ratio only where both exist; register counts of 1 or 2
  withheld in the exchange layer. From the hub (local or imported packages): per city the
  latest snapshot, as of the quarter in `period`.
#}
select
    city,
    city_name,
    city_key,
    year,
    period,
    flow,
    register_value,
    register_months,
    register_year_complete,
    register_status_changes,
    official_value,
    difference,
    ratio_register_to_official,
    comparison_status,
    explanation,
    official_known_issue,
    official_definition,
    is_suppressed,
    suppression_reason
from {{ ref('fct_exchange_hub_register_vs_official') }}
