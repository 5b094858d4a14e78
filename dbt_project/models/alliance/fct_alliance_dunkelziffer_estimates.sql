{{ config(alias='fct_dunkelziffer_estimates') }}
{#
  Dunkelziffer estimates of every method with point, 95 % interval, interval method,
  assumptions and warnings, disclosure-controlled in the exchange layer (no JSON inputs); from
  the hub (local or imported packages).
  `is_recommended` marks the method estimation/METHODS.md recommends for the stratum.
#}
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
    registered,
    point,
    lower as ci_lower,
    upper as ci_upper,
    se,
    interval_method,
    assumptions,
    warnings,
    valid as is_valid,
    model,
    is_suppressed,
    suppression_reason,
    basis
from {{ ref('fct_exchange_hub_dunkelziffer_estimates') }}
