{#
  Kaplan-Meier retention curves (share still registered by months since arrival) per city,
  nationality group and arrival year, as the exchange layer published them (the hub's latest
  snapshot per city, local or from an imported package): only points whose
  risk set is at least 3 and whose departures since the previous point are 0 or at least 3.
#}
select
    city,
    country,
    period,
    nationality_group,
    arrival_year,
    months,
    retention,
    ci_lower,
    ci_upper,
    n_at_risk,
    n_left_cumulative,
    method,
    basis
from {{ ref('fct_exchange_hub_retention_curves') }}
